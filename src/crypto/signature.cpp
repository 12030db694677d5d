// JWS signatures over OpenSSL 3 (RFC 7518 §3). Every OpenSSL failure means "invalid": fail closed.

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "crypto/crypto.hpp"
#include "crypto/ecdsa_der.hpp"
#include "crypto/ed25519.hpp"
#include "crypto/hmac.hpp"
#include "crypto/key_material.hpp"
#include "crypto/key_state_cache.hpp"
#include "crypto/openssl_ptr.hpp"

namespace jwtfort::crypto {
namespace {

using md_ctx_ptr = openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;

// Digests fetched once: an implicit fetch on every call costs more than a SHA-256 of a token.
const EVP_MD* digest_for(algorithm alg) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  switch (alg) {
    case algorithm::hs256:
    case algorithm::rs256:
    case algorithm::ps256:
    case algorithm::es256: return sha256;
    case algorithm::hs384:
    case algorithm::rs384:
    case algorithm::ps384:
    case algorithm::es384: return sha384;
    case algorithm::hs512:
    case algorithm::rs512:
    case algorithm::ps512:
    case algorithm::es512: return sha512;
    default: return nullptr;  // EdDSA hashes internally
  }
}

std::size_t ec_coordinate_size(algorithm alg) {
  switch (alg) {
    case algorithm::es256: return 32;
    case algorithm::es384: return 48;
    default: return 66;  // P-521
  }
}

bool is_pss(algorithm alg) {
  return alg == algorithm::ps256 || alg == algorithm::ps384 || alg == algorithm::ps512;
}

// Constant-time equality of two HMAC tags (32, 48 or 64 bytes), a word at a time: the
// differences are OR-ed together and only the total is tested, and the empty asm keeps the
// compiler from ending the loop early. CRYPTO_memcmp goes a byte at a time, a tenth of an HS256
// verification.
bool tags_equal(const unsigned char* a, const unsigned char* b, std::size_t len) {
  if (len % 8 != 0) return CRYPTO_memcmp(a, b, len) == 0;
  std::uint64_t diff = 0;
  for (std::size_t i = 0; i < len; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    diff |= x ^ y;
    __asm__("" : "+r"(diff));
  }
  return diff == 0;
}

error invalid_signature(const char* why) {
  ERR_clear_error();
  return {errc::invalid_signature, why};
}

// --- EVP digest sign/verify ---------------------------------------------------------------------

bool configure_padding(EVP_PKEY_CTX* pctx, algorithm alg) {
  if (!is_pss(alg)) return true;
  // RFC 7518 §3.5: MGF1 with the same hash and a salt as long as the hash. Pinned: OpenSSL's
  // automatic salt length would accept salt-0 signatures (Wycheproof rsa_pss_*_mgf1_0).
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_for(alg)) == 1;
}

bool init_verify(EVP_MD_CTX* ctx, const detail::key_material& key, algorithm alg) {
  EVP_PKEY_CTX* pctx = nullptr;
  return EVP_DigestVerifyInit(ctx, &pctx, digest_for(alg), nullptr, key.pkey.get()) == 1 &&
         configure_padding(pctx, alg);
}

// A verification context initialised once per key and algorithm and copied for each token:
// EVP_DigestVerifyInit (provider key import, digest and padding set-up) costs microseconds on
// OpenSSL 3.0, a copy a fraction of that. Per thread, like the HMAC midstates, so no context is
// ever shared; a cached context keeps its EVP_PKEY referenced until the slot is reused.
const EVP_MD_CTX* prepared_verify(const detail::key_material& key, algorithm alg) {
  thread_local key_state_cache<md_ctx_ptr> cache;
  if (const md_ctx_ptr* prepared = cache.find(key.serial, alg)) return prepared->get();
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx || !init_verify(ctx.get(), key, alg)) return nullptr;
  return cache.put(key.serial, alg, std::move(ctx)).get();
}

// The context to verify with: a copy of the prepared one, or a fresh initialisation where a copy
// is not possible (a provider without dupctx).
bool ready_to_verify(EVP_MD_CTX* ctx, const detail::key_material& key, algorithm alg) {
  const EVP_MD_CTX* prepared = prepared_verify(key, alg);
  if (prepared != nullptr && EVP_MD_CTX_copy_ex(ctx, prepared) == 1) return true;
  ERR_clear_error();
  return EVP_MD_CTX_reset(ctx) == 1 && init_verify(ctx, key, alg);
}

bool evp_verify(const detail::key_material& key, algorithm alg, std::string_view input,
                const unsigned char* sig, std::size_t sig_len) {
  thread_local const md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx || !ready_to_verify(ctx.get(), key, alg)) return false;
  return EVP_DigestVerify(ctx.get(), sig, sig_len,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

bool evp_sign(const detail::key_material& key, algorithm alg, std::string_view input,
              std::string& out) {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg), nullptr, key.pkey.get()) != 1 ||
      !configure_padding(pctx, alg))
    return false;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) return false;
  out.assign(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                     input.size()) != 1)
    return false;
  out.resize(len);
  return true;
}

// --- Ed25519 through libsodium -------------------------------------------------------------------

// libsodium verifies Ed25519 in half OpenSSL 3.0's time and refuses at least what OpenSSL refuses
// (crypto/ed25519_sodium.cpp). With FIPS default properties OpenSSL's provider does the work.
bool use_sodium(const detail::key_material& key) {
  static const bool fips = EVP_default_properties_is_fips_enabled(nullptr) == 1;
  return key.curve == detail::okp_curve::ed25519 && !fips && ed25519_available();
}

bool sodium_sign(const detail::key_material& key, std::string_view input, std::string& out) {
  if (key.secret.size() != ed25519_secret_bytes) return false;
  unsigned char sig[ed25519_signature_bytes];
  const std::span<const unsigned char, ed25519_secret_bytes> secret(
      reinterpret_cast<const unsigned char*>(key.secret.data()), ed25519_secret_bytes);
  if (!ed25519_sign(secret, input, sig)) return false;
  out.assign(reinterpret_cast<const char*>(sig), sizeof sig);
  return true;
}

}  // namespace

result<void> verify(const detail::key_material& key, algorithm alg, std::string_view signing_input,
                    std::span<const unsigned char> signature) {
  switch (family_of(alg)) {
    case key_family::hmac: {
      unsigned char mac[max_hmac_bytes];
      std::size_t len = hmac(key, alg, signing_input, mac);
      if (len == 0) return invalid_signature("HMAC computation failed");
      // The full tag, compared in constant time: a truncated tag is not a shorter match.
      if (signature.size() != len || !tags_equal(mac, signature.data(), len))
        return invalid_signature("signature verification failed");
      return {};
    }
    case key_family::rsa:
      // RFC 8017 §8.1.2/§8.2.2 step 1: the signature is exactly as long as the modulus. OpenSSL
      // checks this for PKCS#1 v1.5 but accepts a short PSS signature.
      if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey.get())))
        return invalid_signature("RSA signature length differs from the modulus length");
      break;
    case key_family::ec: {
      const std::size_t n = ec_coordinate_size(alg);
      if (signature.size() != 2 * n)
        return invalid_signature("ECDSA signature is not R||S of the curve's size");
      unsigned char der[max_ecdsa_der_bytes];
      std::size_t der_len = ecdsa_raw_to_der(signature, der);
      if (!evp_verify(key, alg, signing_input, der, der_len))
        return invalid_signature("signature verification failed");
      return {};
    }
    case key_family::okp: {
      const std::size_t expected = key.curve == detail::okp_curve::ed448 ? 114 : 64;
      if (signature.size() != expected)
        return invalid_signature("EdDSA signature has the wrong length");
      if (!use_sodium(key)) break;
      if (!ed25519_verify(key.ed25519_public, signing_input, signature.first<64>()))
        return invalid_signature("signature verification failed");
      return {};
    }
  }
  if (!evp_verify(key, alg, signing_input, signature.data(), signature.size()))
    return invalid_signature("signature verification failed");
  return {};
}

result<std::string> sign(const detail::key_material& key, algorithm alg,
                         std::string_view signing_input) {
  if (!key.has_private) return error(errc::invalid_key, "key has no private part");
  std::string out;
  switch (family_of(alg)) {
    case key_family::hmac: {
      unsigned char mac[max_hmac_bytes];
      std::size_t len = hmac(key, alg, signing_input, mac);
      if (len == 0) break;
      return std::string(reinterpret_cast<const char*>(mac), len);
    }
    case key_family::ec: {
      std::string der;
      if (!evp_sign(key, alg, signing_input, der)) break;
      if (!ecdsa_der_to_raw(reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                            ec_coordinate_size(alg), out))
        break;
      return out;
    }
    case key_family::okp:
      if (!(use_sodium(key) ? sodium_sign(key, signing_input, out)
                            : evp_sign(key, alg, signing_input, out)))
        break;
      return out;
    default:
      if (!evp_sign(key, alg, signing_input, out)) break;
      return out;
  }
  ERR_clear_error();
  return error(errc::internal_error, "signing failed in the crypto library");
}

result<void> random_bytes(std::span<unsigned char> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    ERR_clear_error();
    return error(errc::internal_error, "random generator failed");
  }
  return {};
}

std::string sha256(std::string_view data) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, digest_for(algorithm::hs256), nullptr);
  return std::string(reinterpret_cast<const char*>(md), 32);
}

bool equal_constant_time(std::span<const unsigned char> a, std::span<const unsigned char> b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace jwtfort::crypto
