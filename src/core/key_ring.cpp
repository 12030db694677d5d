#include "jwtfort/key_ring.hpp"

#include <algorithm>

#include "jwtfort/key_set.hpp"

namespace jwtfort {

// Rotation is by `kid`, so a ring never holds a key without one.
result<key> key_ring::with_kid(key k) {
  if (!k.id().empty()) return k;
  std::string thumbprint = k.thumbprint();
  return k.with_id(std::move(thumbprint));
}

result<key_ring> key_ring::from_key(key signing_key) {
  if (!signing_key.can_sign())
    return error(errc::invalid_key, "the active key of a key ring must be able to sign");
  auto k = with_kid(std::move(signing_key));
  if (!k) return k.error();
  key_ring ring;
  if (auto added = ring.keys_.add(std::move(*k)); !added) return added.error();
  return ring;
}

result<key_ring> key_ring::from_jwks(std::string_view private_jwks) {
  auto set = key_set::from_jwks(private_jwks);
  if (!set) return set.error();
  if (set->empty()) return error(errc::invalid_key, "the key ring has no usable key");
  auto ring = from_key(set->keys().front());
  if (!ring) return ring.error();
  for (std::size_t i = 1; i < set->size(); ++i)
    if (auto added = ring->add_verification_key(set->keys()[i]); !added) return added.error();
  return ring;
}

result<void> key_ring::add_verification_key(key k) {
  auto with_id = with_kid(std::move(k));
  if (!with_id) return with_id.error();
  return keys_.add(std::move(*with_id));
}

result<key_ring> key_ring::rotated(std::size_t keep) const {
  if (keep < 2 || keep > 100)
    return error(errc::invalid_configuration, "a rotation keeps 2..100 keys");
  const key& current = active();
  // The size matters for RSA only; other families ignore it.
  auto fresh = key::generate(current.alg(), std::max(current.bits(), 2048u));
  if (!fresh) return fresh.error();
  auto ring = from_key(std::move(*fresh));
  if (!ring) return ring.error();
  for (const key& k : keys_.keys()) {
    if (ring->keys_.size() == keep) break;
    if (auto added = ring->keys_.add(k); !added) return added.error();
  }
  return ring;
}

result<std::string> key_ring::to_private_jwks() const {
  std::string out = R"({"keys":[)";
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    auto jwk = keys_.keys()[i].to_private_jwk();
    if (!jwk) return jwk.error();
    if (i) out += ',';
    out += *jwk;
  }
  out += "]}";
  return out;
}

}  // namespace jwtfort
