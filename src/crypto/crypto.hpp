#pragma once
// src/crypto: the only folder that includes OpenSSL or libsodium (component `core`). Keys are made
// from PEM, DER or JWK fields (never JSON) and hold their EVP_PKEY in owning pointers; signatures,
// HMAC and the ECDSA DER/P1363 conversion live here. It may use the standard library, OpenSSL and
// libsodium (Ed25519, in ed25519_sodium.cpp only); the rest of the library reaches it through
// this header and jwk_fields.hpp.
//
// The operations the core asks of the crypto layer. No OpenSSL type appears here.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort::detail {
struct key_material;
}

namespace jwtfort::crypto {

/// Verifies `signature` over `signing_input` with `alg`. The key must accept `alg` (checked by
/// the caller). Errors: invalid_signature; never anything that says "maybe".
result<void> verify(const detail::key_material& key, algorithm alg, std::string_view signing_input,
                    std::span<const unsigned char> signature);

/// Signs `signing_input`; returns the JWS signature bytes (R||S for ECDSA).
result<std::string> sign(const detail::key_material& key, algorithm alg,
                         std::string_view signing_input);

/// Fills `out` from the OS-seeded CSPRNG. Errors: internal_error.
result<void> random_bytes(std::span<unsigned char> out);

/// SHA-256 of `data`, 32 raw bytes.
std::string sha256(std::string_view data);

/// Overwrites `bytes` with zeros in a way the compiler keeps (a secret's copy before it is freed).
void cleanse(std::string& bytes) noexcept;

/// Constant-time equality of two byte strings of the same length (RFC 7515 §10.9).
bool equal_constant_time(std::span<const unsigned char> a, std::span<const unsigned char> b);

}  // namespace jwtfort::crypto
