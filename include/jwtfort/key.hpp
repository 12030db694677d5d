#pragma once
/// Keys, each bound to exactly one JWS algorithm (RFC 8725 §3.1), and key sets (JWKS).
///
/// A `key` is immutable and cheap to copy (shared, reference counted); it is safe to use from many
/// threads at once. Loading enforces the key policy: HMAC secrets at least as long as the hash
/// output, RSA moduli of 2048..8192 bits with an odd exponent >= 3, EC points on the curve.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

namespace detail {
struct key_material;
}

class JWTFORT_API key {
 public:
  /// Loads a PEM key: SPKI public ("PUBLIC KEY"), PKCS#8 private ("PRIVATE KEY"), or PKCS#1
  /// ("RSA PUBLIC KEY" / "RSA PRIVATE KEY"). The key must suit `alg`.
  /// Errors: invalid_key (unparsable, wrong type for alg), weak_key (policy).
  /// Example: `auto k = key::from_pem(pem, algorithm::rs256);`
  static result<key> from_pem(std::string_view pem, algorithm alg);

  /// Loads one JWK (RFC 7517). The algorithm comes from `alg` in the JWK; without one it is
  /// inferred where unambiguous (EC from `crv`, OKP Ed25519/Ed448), and otherwise an error.
  /// `use` other than "sig", or `key_ops` without sign/verify, is refused.
  /// Errors: invalid_key, weak_key, unsupported_algorithm.
  static result<key> from_jwk(std::string_view jwk_json);

  /// Loads one JWK for the given algorithm; a JWK `alg` that differs is an error.
  static result<key> from_jwk(std::string_view jwk_json, algorithm alg);

  /// An HMAC key from raw secret bytes. `alg` must be HS256/384/512.
  /// Errors: weak_key when the secret is shorter than the hash output (RFC 7518 §3.2).
  static result<key> from_secret(std::string_view secret, algorithm alg);

  /// An HMAC key from a secret shorter than the hash output. Unsafe: only for migrating legacy
  /// deployments; an empty secret is still refused.
  static result<key> from_weak_secret_unsafe(std::string_view secret, algorithm alg);

  /// A PEM key as from_pem, but an RSA modulus may be 1000 to 2047 bits. Unsafe: only for
  /// migrating legacy deployments whose keys predate RFC 7518's 2048-bit floor.
  static result<key> from_legacy_pem_unsafe(std::string_view pem, algorithm alg);

  /// Generates a new private key (or a random secret of the hash length for HS*).
  /// `rsa_bits` is used for RS*/PS* only (2048..8192).
  static result<key> generate(algorithm alg, unsigned rsa_bits = 2048);

  /// The one algorithm this key is used with. An Ed25519 key bound to `eddsa` or `ed25519`
  /// accepts tokens with either name; see `accepts()`.
  algorithm alg() const noexcept;

  /// The key id (`kid`); empty when none was given.
  const std::string& id() const noexcept;

  /// A copy of this key with another id.
  key with_id(std::string kid) const;

  /// True when the key can sign (private key or HMAC secret).
  bool can_sign() const noexcept;

  /// True for HMAC secrets.
  bool is_symmetric() const noexcept;

  /// True when a token whose header says `alg` may be verified with this key.
  bool accepts(algorithm header_alg) const noexcept;

  /// Size in bits: RSA modulus, EC/OKP field, HMAC secret.
  unsigned bits() const noexcept;

  /// RFC 7638 JWK thumbprint (SHA-256, base64url) of the public part; for HMAC keys, of the secret.
  std::string thumbprint() const;

  /// The public JWK as compact JSON, with `kty`, `alg`, `use: "sig"` and `kid` (the id, or the
  /// thumbprint when there is none). Errors: invalid_key for HMAC keys (a secret has no public
  /// part).
  result<std::string> to_public_jwk() const;

  /// The full JWK including private members (`d`, ... or `k`). Handle with care.
  result<std::string> to_private_jwk() const;

  /// The public key as SPKI PEM. Errors: invalid_key for HMAC keys.
  result<std::string> to_public_pem() const;

  /// Internal: the material behind the key, for the signer and verifier.
  const detail::key_material& material() const noexcept { return *material_; }

 private:
  explicit key(std::shared_ptr<const detail::key_material> m) : material_(std::move(m)) {}
  friend struct detail::key_material;
  std::shared_ptr<const detail::key_material> material_;
};

}  // namespace jwtfort
