#pragma once
// A JWK's members as plain values: what core/jwk.cpp reads from JSON and writes back, and what
// the crypto layer makes keys from and exports keys to. No JSON and no OpenSSL type appears here,
// so the core reads JWK text and the crypto layer applies the key policy without either knowing
// the other's library.

#include <optional>
#include <string>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort::detail {
struct key_material;
}

namespace jwtfort::crypto {

/// The members of one JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2). Base64url members hold their
/// decoded bytes; a member the JWK lacks is nullopt. The private members are wiped on
/// destruction.
struct jwk_fields {
  std::string kty;
  std::optional<std::string> crv;
  /// The algorithm the key is bound to: the JWK's "alg", else the caller's; nullopt when neither
  /// says.
  std::optional<algorithm> alg;
  std::string kid;
  std::optional<std::string> k;                       // oct
  std::optional<std::string> n, e, p, q, dp, dq, qi;  // RSA (d below)
  std::optional<std::string> x, y;                    // EC, OKP (x only)
  std::optional<std::string> d;                       // RSA, EC, OKP private part
  /// The first "x5c" certificate, DER.
  std::optional<std::string> x5c;

  jwk_fields() = default;
  jwk_fields(const jwk_fields&) = delete;
  jwk_fields& operator=(const jwk_fields&) = delete;
  ~jwk_fields();
};

/// A key from JWK members, with the key policy applied: the algorithm follows from "alg", "crv"
/// or the caller, and must suit "kty"; member lengths, RSA size and numbers, EC points and the
/// x5c certificate are checked. Errors: invalid_key, weak_key.
result<key> key_from_jwk(const jwk_fields& f);

/// The JWK members of a key: kty, crv and the public members; with `with_private`, also the
/// private ones (d, p, q, dp, dq, qi for RSA; d for EC and OKP). For an HMAC key, kty and k.
/// alg and kid are left for the caller, which knows the key.
void export_jwk_fields(const detail::key_material& m, bool with_private, jwk_fields& out);

}  // namespace jwtfort::crypto
