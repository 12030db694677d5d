// HMAC for JWS (RFC 2104 over SHA-2, RFC 7518 §3.2).
//
// Why not only EVP_MAC: on OpenSSL 3.0 each keyed HMAC through a provider copies two digest
// contexts (an allocation, a cleanse and a free each) and dispatches through the provider
// tables; for a 260-byte token that costs more than the hashing. The SHA-2 block functions take
// plain state structs, so the key's inner and outer states are kept and copied by value. Those
// functions are deprecated in OpenSSL 3 because they bypass providers, which only matters when
// a FIPS provider must do the work: then the provider path is used.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

#include "crypto/key_material.hpp"
#include "crypto/key_state_cache.hpp"
#include "crypto/openssl_ptr.hpp"

namespace jwtfort::crypto {
namespace {

// --- SHA-2 midstates --------------------------------------------------------------------------

// The hash states after absorbing (key ^ ipad) and (key ^ opad): all that HMAC needs of the key.
// Derived from the secret, so wiped when destroyed.
struct midstates {
  union state {
    SHA256_CTX sha256;
    SHA512_CTX sha512;  // SHA-384 uses the SHA-512 state
  } inner{}, outer{};

  midstates() = default;
  midstates(const midstates&) = default;
  midstates& operator=(const midstates&) = default;
  ~midstates() { OPENSSL_cleanse(this, sizeof *this); }
};

bool is_sha256(algorithm alg) { return alg == algorithm::hs256; }
std::size_t block_bytes(algorithm alg) { return is_sha256(alg) ? 64 : 128; }

void hash_init(algorithm alg, midstates::state& s) {
  if (alg == algorithm::hs256)
    SHA256_Init(&s.sha256);
  else if (alg == algorithm::hs384)
    SHA384_Init(&s.sha512);
  else
    SHA512_Init(&s.sha512);
}

void hash_update(algorithm alg, midstates::state& s, const void* data, std::size_t len) {
  if (is_sha256(alg))
    SHA256_Update(&s.sha256, data, len);
  else
    SHA512_Update(&s.sha512, data, len);  // SHA384_Update is the same function
}

void hash_final(algorithm alg, midstates::state& s, unsigned char* out) {
  if (alg == algorithm::hs256)
    SHA256_Final(out, &s.sha256);
  else if (alg == algorithm::hs384)
    SHA384_Final(out, &s.sha512);
  else
    SHA512_Final(out, &s.sha512);
}

// RFC 2104 §2: a key longer than the block is hashed first; then it is zero-padded to the block.
midstates key_midstates(std::string_view secret, algorithm alg) {
  midstates m;
  const std::size_t block = block_bytes(alg);
  unsigned char padded[128] = {};
  if (secret.size() > block) {
    midstates::state s;
    hash_init(alg, s);
    hash_update(alg, s, secret.data(), secret.size());
    hash_final(alg, s, padded);
    OPENSSL_cleanse(&s, sizeof s);
  } else {
    std::memcpy(padded, secret.data(), secret.size());
  }
  unsigned char pad[128];
  for (std::size_t i = 0; i < block; ++i) pad[i] = padded[i] ^ 0x36;
  hash_init(alg, m.inner);
  hash_update(alg, m.inner, pad, block);
  for (std::size_t i = 0; i < block; ++i) pad[i] = padded[i] ^ 0x5c;
  hash_init(alg, m.outer);
  hash_update(alg, m.outer, pad, block);
  OPENSSL_cleanse(padded, sizeof padded);
  OPENSSL_cleanse(pad, sizeof pad);
  return m;
}

const midstates& cached_midstates(const detail::key_material& key, algorithm alg) {
  thread_local key_state_cache<midstates> cache;
  if (const midstates* m = cache.find(key.serial, alg)) return *m;
  return cache.put(key.serial, alg, key_midstates(key.secret, alg));
}

std::size_t hmac_from_midstates(const midstates& m, algorithm alg, std::string_view input,
                                unsigned char* out) {
  midstates::state s = m.inner;
  unsigned char inner_hash[max_hmac_bytes];
  hash_update(alg, s, input.data(), input.size());
  hash_final(alg, s, inner_hash);
  s = m.outer;
  hash_update(alg, s, inner_hash, hmac_tag_bytes(alg));
  hash_final(alg, s, out);
  // Only the state the algorithm used, with glibc's explicit_bzero (a vectorised memset the
  // compiler may not drop): OPENSSL_cleanse clears the whole union a byte at a time, which cost
  // a tenth of an HS256 verification.
  explicit_bzero(&s, is_sha256(alg) ? sizeof s.sha256 : sizeof s.sha512);
  return hmac_tag_bytes(alg);
}

// --- provider HMAC ----------------------------------------------------------------------------

using mac_ctx_ptr = openssl_ptr<EVP_MAC_CTX, EVP_MAC_CTX_free>;

const char* digest_name(algorithm alg) {
  return alg == algorithm::hs256 ? "SHA256" : alg == algorithm::hs384 ? "SHA384" : "SHA512";
}

mac_ctx_ptr new_keyed_mac(const detail::key_material& key, algorithm alg) {
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return nullptr;
  mac_ctx_ptr ctx(EVP_MAC_CTX_new(hmac));
  if (!ctx) return nullptr;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                          const_cast<char*>(digest_name(alg)), 0),
                         OSSL_PARAM_construct_end()};
  const auto* secret = reinterpret_cast<const unsigned char*>(key.secret.data());
  if (EVP_MAC_init(ctx.get(), secret, key.secret.size(), params) != 1) return nullptr;
  return ctx;
}

bool fips_mode() {
  static const bool fips = EVP_default_properties_is_fips_enabled(nullptr) == 1;
  return fips;
}

}  // namespace

std::size_t hmac_via_provider(const detail::key_material& key, algorithm alg,
                              std::string_view input, unsigned char* out) {
  if (family_of(alg) != key_family::hmac) return 0;
  mac_ctx_ptr ctx = new_keyed_mac(key, alg);
  std::size_t len = 0;
  if (!ctx ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &len, max_hmac_bytes) != 1)
    return 0;
  return len;
}

std::size_t hmac(const detail::key_material& key, algorithm alg, std::string_view input,
                 unsigned char* out) {
  if (family_of(alg) != key_family::hmac) return 0;
  if (fips_mode()) return hmac_via_provider(key, alg, input, out);
  return hmac_from_midstates(cached_midstates(key, alg), alg, input, out);
}

}  // namespace jwtfort::crypto
