#pragma once
// What a `key` holds. Private to the library, and only crypto/*.cpp include it.

#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "crypto/openssl_ptr.hpp"
#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"

namespace jwtfort::detail {

enum class okp_curve : std::uint8_t { none, ed25519, ed448 };

/// The one owner type of an EVP_PKEY in the library.
using pkey_ptr = crypto::openssl_ptr<EVP_PKEY, EVP_PKEY_free>;

/// A second owner of `p` (OpenSSL counts the references), or null for null.
inline pkey_ptr share(EVP_PKEY* p) noexcept {
  if (p != nullptr) EVP_PKEY_up_ref(p);
  return pkey_ptr(p);
}

struct key_material {
  algorithm alg{};
  std::string kid;
  unsigned bits = 0;
  bool has_private = false;
  okp_curve curve = okp_curve::none;
  pkey_ptr pkey;       // RSA, EC, OKP
  std::string secret;  // HMAC; for Ed25519 with a private part, seed || public key (libsodium's)
  // Ed25519: the public key's 32 bytes, which libsodium verifies with (crypto/ed25519.hpp).
  std::array<unsigned char, 32> ed25519_public{};
  // A process-unique number, so per-thread caches never confuse two keys that happened to live
  // at the same address.
  std::uint64_t serial = next_serial();

  key_material() = default;
  key_material(const key_material& other);
  key_material& operator=(const key_material&) = delete;
  ~key_material();

  static std::uint64_t next_serial() {
    static std::atomic<std::uint64_t> counter{1};
    return counter.fetch_add(1, std::memory_order_relaxed);
  }
  static key wrap(std::shared_ptr<const key_material> m) { return key(std::move(m)); }
};

}  // namespace jwtfort::detail
