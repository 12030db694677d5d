#pragma once
// Ed25519 (RFC 8032 §5.1) for EdDSA/Ed25519 JWS, on libsodium: its verification is about twice
// as fast as OpenSSL 3.0's and at least as strict (see ed25519_sodium.cpp). Ed448 stays on
// OpenSSL. No libsodium type appears here.

#include <cstddef>
#include <span>
#include <string_view>

namespace jwtfort::crypto {

inline constexpr std::size_t ed25519_public_bytes = 32;
inline constexpr std::size_t ed25519_secret_bytes = 64;  // seed || public key, libsodium's form
inline constexpr std::size_t ed25519_signature_bytes = 64;

/// True once libsodium is initialised (the first call initialises it); false if it cannot be, and
/// then OpenSSL does the work.
bool ed25519_available();

/// Verifies a 64-byte signature over `message` under a 32-byte public key. Refuses S >= L,
/// small-order R, a non-canonical or small-order public key, and any mismatch.
bool ed25519_verify(std::span<const unsigned char, ed25519_public_bytes> public_key,
                    std::string_view message,
                    std::span<const unsigned char, ed25519_signature_bytes> signature);

/// Signs `message` (deterministically, as RFC 8032 says) with a seed || public key secret.
bool ed25519_sign(std::span<const unsigned char, ed25519_secret_bytes> secret_key,
                  std::string_view message,
                  std::span<unsigned char, ed25519_signature_bytes> signature);

}  // namespace jwtfort::crypto
