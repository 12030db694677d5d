#include "jwtfort/key_set.hpp"

#include "core/json.hpp"
#include "core/jwk.hpp"

namespace jwtfort {

result<key_set> key_set::from_jwks(std::string_view jwks_json) {
  auto root = json::parse_object(json::slot::scratch, jwks_json, json::document_limits);
  if (!root) return error(root.code(), "JWKS: " + root.error().message);
  auto keys = json::find(*root, "keys");
  auto list = keys ? keys->as_array() : std::nullopt;
  if (!list) return error(errc::invalid_key, "JWKS has no \"keys\" array");
  key_set set;
  std::size_t index = 0;
  for (json::value entry : *list) {
    auto o = entry.as_object();
    if (!o)
      return error(errc::invalid_key, "JWKS entry " + std::to_string(index) + " is not an object");
    auto kty = json::string_member(*o, "kty", errc::invalid_key);
    auto use = json::string_member(*o, "use", errc::invalid_key);
    // RFC 7517 §5: skip what we cannot use (unknown kty) and encryption keys.
    bool known =
        kty && *kty && (**kty == "oct" || **kty == "RSA" || **kty == "EC" || **kty == "OKP");
    bool encryption = use && *use && **use == "enc";
    if (known && !encryption) {
      auto k = jwk::to_key(*o, std::nullopt);
      if (!k)
        return error(k.code(), "JWKS entry " + std::to_string(index) + ": " + k.error().message);
      if (auto r = set.add(std::move(*k)); !r) return r.error();
    }
    ++index;
  }
  return set;
}

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
