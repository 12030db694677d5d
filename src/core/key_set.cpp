#include "jwtfort/key.hpp"

namespace jwtfort {

result<void> key_set::add(key k) {
  for (const key& existing : keys_) {
    // Wycheproof jws_mixedSymmetryKeyset: a set holding both secrets and public keys invites
    // key confusion, so it is refused outright.
    if (existing.is_symmetric() != k.is_symmetric())
      return error(errc::invalid_key, "a key set cannot mix HMAC secrets and public keys");
    if (!k.id().empty() && existing.id() == k.id())
      return error(errc::invalid_key, "duplicate kid \"" + k.id() + "\" in key set");
  }
  keys_.push_back(std::move(k));
  return {};
}

result<const key*> key_set::find(std::optional<std::string_view> kid, algorithm alg) const {
  const key* found = nullptr;
  if (kid) {
    for (const key& k : keys_)
      if (k.id() == *kid) found = &k;
    // One anonymous key is the caller's explicit choice; its id is not the token's business.
    if (found == nullptr && keys_.size() == 1 && keys_.front().id().empty()) found = &keys_.front();
    if (found == nullptr) return error(errc::unknown_key, "no key with the token's kid");
  } else {
    std::size_t candidates = 0;
    for (const key& k : keys_)
      if (k.accepts(alg)) found = &k, ++candidates;
    if (candidates == 0) return error(errc::unknown_key, "no key for the token's algorithm");
    if (candidates > 1)
      return error(errc::unknown_key, "token has no kid and several keys match its algorithm");
  }
  if (!found->accepts(alg))
    return error(errc::key_algorithm_mismatch,
                 "the key for this kid is bound to " + std::string(to_string(found->alg())));
  return found;
}

std::string key_set::to_jwks() const {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const key& k : keys_) {
    auto jwk = k.to_public_jwk();
    if (!jwk) continue;
    if (!first) out += ',';
    out += *jwk;
    first = false;
  }
  out += "]}";
  return out;
}

}  // namespace jwtfort
