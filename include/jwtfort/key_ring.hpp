#pragma once
/// `key_ring`: the keys a token service owns. One active key signs; it and the keys it replaced
/// verify, so tokens signed before a rotation stay valid until they expire. Keys are found by
/// `kid`, which every key in a ring has (the RFC 7638 thumbprint when none was given).
///
/// On disk a ring is a JWK Set with private keys, active key first (`jwtfort keys rotate`
/// writes it); the public half is published as a JWKS for other verifiers.
///
/// Example:
///   auto ring = key_ring::from_jwks(read_file("keys.json"));
///   auto next = ring->rotated(3);   // new active key; keeps the 2 newest old keys
///   write_file("keys.json", *next->to_private_jwks());
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/export.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

class JWTFORT_API key_ring {
 public:
  /// A ring of one key, which must be able to sign.
  /// Errors: invalid_key (a public key).
  static result<key_ring> from_key(key signing_key);

  /// Loads a private JWK Set; the first key is the active one and must be able to sign.
  /// Errors: those of `key_set::from_jwks`, invalid_key (empty set, public active key).
  static result<key_ring> from_jwks(std::string_view private_jwks);

  /// Adds a key that only verifies (e.g. the previous secret during a manual rotation).
  /// Errors: invalid_key (duplicate `kid`, mixing secrets and public keys).
  result<void> add_verification_key(key k);

  /// A new ring whose active key is freshly generated with the same algorithm (and RSA size),
  /// followed by the current keys, newest first, `keep` keys in all (2..100).
  /// Errors: invalid_configuration (keep out of range), internal_error.
  result<key_ring> rotated(std::size_t keep = 3) const;

  /// The key that signs.
  const key& active() const noexcept { return keys_.keys().front(); }
  /// Every key, active first, for verifiers.
  const key_set& keys() const noexcept { return keys_; }

  /// The public JWKS (`{"keys":[...]}`) to publish; empty for an HMAC ring.
  std::string to_public_jwks() const { return keys_.to_jwks(); }
  /// The whole ring with private members, for the ring file. Handle with care.
  result<std::string> to_private_jwks() const;

 private:
  key_ring() = default;
  static result<key> with_kid(key k);
  key_set keys_;
};

}  // namespace jwtfort
