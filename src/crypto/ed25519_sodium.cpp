// Ed25519 through libsodium: the only file that calls it.
//
// Strictness of crypto_sign_verify_detached in libsodium 1.0.18 (Debian bookworm), built without
// ED25519_COMPAT (Debian does not define it): before any curve arithmetic it refuses a
// non-canonical S (S >= L), an R of small order, and a public key that is a non-canonical
// encoding or of small order; then it checks the cofactorless equation [S]B = R + [k]A by
// comparing the canonical encoding of [S]B - [k]A with R's bytes, so a non-canonical R never
// matches. OpenSSL 3.0 refuses S >= L and non-canonical R the same way, but takes small-order R
// and A: libsodium refuses a superset (tests/unit/ed25519_test.cpp hands both the same hostile
// inputs). ED25519_NONDETERMINISTIC only changes signing and is not defined by Debian either;
// the tests check signatures are RFC 8032's deterministic ones.

#include <sodium.h>

#include "crypto/ed25519.hpp"

namespace jwtfort::crypto {

bool ed25519_available() {
  // sodium_init is thread-safe and idempotent; 1 means "already initialised".
  static const bool initialised = sodium_init() >= 0;
  return initialised;
}

bool ed25519_verify(std::span<const unsigned char, ed25519_public_bytes> public_key,
                    std::string_view message,
                    std::span<const unsigned char, ed25519_signature_bytes> signature) {
  static_assert(crypto_sign_PUBLICKEYBYTES == ed25519_public_bytes &&
                crypto_sign_BYTES == ed25519_signature_bytes);
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key.data()) == 0;
}

bool ed25519_sign(std::span<const unsigned char, ed25519_secret_bytes> secret_key,
                  std::string_view message,
                  std::span<unsigned char, ed25519_signature_bytes> signature) {
  static_assert(crypto_sign_SECRETKEYBYTES == ed25519_secret_bytes);
  return crypto_sign_detached(signature.data(), nullptr,
                              reinterpret_cast<const unsigned char*>(message.data()),
                              message.size(), secret_key.data()) == 0;
}

}  // namespace jwtfort::crypto
