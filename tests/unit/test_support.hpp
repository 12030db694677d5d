#pragma once
// Helpers shared by the unit tests: tokens built by hand from raw header and payload JSON text,
// raw signatures made through crypto::sign (or OpenSSL directly, to play the attacker), a fixed
// clock, and keys generated once per test process. The assertions (EXPECT_OK, EXPECT_ERRC, must)
// are every test tree's, from support/assertions.hpp.

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "core/base64url.hpp"
#include "crypto/crypto.hpp"
#include "crypto/key_material.hpp"
#include "jwtfort/claims.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/signer.hpp"
#include "jwtfort/verifier.hpp"
#include "support/assertions.hpp"

namespace jwtfort::test {

/// "Now" for every test: 2023-11-14T22:13:20Z.
inline constexpr std::int64_t now = 1'700'000'000;

inline std::string b64(std::string_view bytes) { return base64url::encode(bytes); }
inline std::string unb64(std::string_view text) { return must(base64url::decode(text), "decode"); }

/// The bytes of hex text (either case), as RFCs and vector files write them. Throws on an odd
/// length or a non-hex digit, so a mistyped constant fails the test instead of changing it.
inline std::string from_hex(std::string_view hex) {
  auto nibble = [hex](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("not hex: " + std::string(hex));
  };
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd-length hex: " + std::string(hex));
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  return out;
}

/// `s` as the byte span crypto::verify takes a signature in.
inline std::span<const unsigned char> bytes_of(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// --- tokens by hand -------------------------------------------------------------------------

/// `base64url(header).base64url(payload)`, the bytes a JWS signature covers (RFC 7515 §5.1).
inline std::string signing_input(std::string_view header_json, std::string_view payload_json) {
  return b64(header_json) + "." + b64(payload_json);
}

/// Raw signature bytes over `input` with `k`, used as `alg` (by default the key's own).
inline std::string raw_signature(const key& k, std::string_view input,
                                 std::optional<algorithm> alg = std::nullopt) {
  return must(crypto::sign(k.material(), alg.value_or(k.alg()), input), "crypto::sign");
}

/// HMAC key material for any secret, built directly so that it may be one key::from_secret
/// refuses (empty or short): what an attacker signs with.
inline detail::key_material secret_material(algorithm alg, std::string_view secret) {
  detail::key_material m;
  m.alg = alg;
  m.secret.assign(secret);
  m.has_private = true;
  return m;
}

/// An HMAC under any secret, including the empty or short ones key::from_secret refuses.
inline std::string hmac(algorithm alg, std::string_view secret, std::string_view input) {
  return must(crypto::sign(secret_material(alg, secret), alg, input), "hmac");
}

inline std::string token_with_signature(std::string_view header_json, std::string_view payload_json,
                                        std::string_view sig) {
  return signing_input(header_json, payload_json) + "." + b64(sig);
}

/// A compact token from raw JSON texts, signed with `k` (as `alg`, by default the key's own).
inline std::string make_token(std::string_view header_json, std::string_view payload_json,
                              const key& k, std::optional<algorithm> alg = std::nullopt) {
  std::string input = signing_input(header_json, payload_json);
  return input + "." + b64(raw_signature(k, input, alg));
}

/// A compact token MAC'd with a raw secret.
inline std::string hmac_token(std::string_view header_json, std::string_view payload_json,
                              std::string_view secret, algorithm alg = algorithm::hs256) {
  std::string input = signing_input(header_json, payload_json);
  return input + "." + b64(hmac(alg, secret, input));
}

/// `{"alg":"<alg>","typ":"JWT"}`.
inline std::string header_for(algorithm alg) {
  return R"({"alg":")" + std::string(to_string(alg)) + R"(","typ":"JWT"})";
}

/// Claims valid at `now`: a subject and an expiry an hour ahead.
inline std::string good_payload() {
  return R"({"sub":"alice","exp":)" + std::to_string(now + 3600) + "}";
}

/// The three segments of a compact token.
struct parts {
  std::string header, payload, signature;
};
inline parts split(std::string_view token) {
  auto a = token.find('.');
  auto b = token.find('.', a + 1);
  return {std::string(token.substr(0, a)), std::string(token.substr(a + 1, b - a - 1)),
          std::string(token.substr(b + 1))};
}
inline std::string join(const parts& p) { return p.header + "." + p.payload + "." + p.signature; }

// --- keys -------------------------------------------------------------------------------------

/// The same key material bound to another algorithm of its family (RSA: RS*/PS*; OKP: EdDSA
/// names), through a private JWK whose "alg" is rewritten. The copy has no id.
inline key rebind(const key& k, algorithm alg) {
  std::string jwk = must(k.to_private_jwk(), "to_private_jwk");
  const std::string from = R"("alg":")" + std::string(to_string(k.alg())) + '"';
  const std::string to = R"("alg":")" + std::string(to_string(alg)) + '"';
  jwk.replace(jwk.find(from), from.size(), to);
  return must(key::from_jwk(jwk, alg), "from_jwk").with_id("");
}

/// A private key (or secret) per algorithm, made once per process. The RS*/PS* keys share one
/// 2048-bit modulus, so a test pays for a single RSA generation.
inline const key& test_key(algorithm alg) {
  static std::map<algorithm, key> cache;
  if (auto it = cache.find(alg); it != cache.end()) return it->second;
  const bool derived_rsa = family_of(alg) == key_family::rsa && alg != algorithm::rs256;
  key k =
      derived_rsa ? rebind(test_key(algorithm::rs256), alg) : must(key::generate(alg), "generate");
  return cache.emplace(alg, std::move(k)).first->second;
}

/// The public half of `k` as a verifier would be given it (HMAC keys are returned as they are).
inline key public_of(const key& k) {
  if (k.is_symmetric()) return k;
  return must(key::from_jwk(must(k.to_public_jwk(), "to_public_jwk"), k.alg()), "from_jwk")
      .with_id(k.id());
}

/// Options for a verifier of `k` (public half) and its algorithm, at the fixed `now`.
inline verifier_options options_for(const key& k) {
  verifier_options o;
  o.algorithms = {k.alg()};
  must(o.keys.add(public_of(k)), "key_set::add");
  o.clock = fixed_clock(now);
  return o;
}

inline verifier make_verifier(verifier_options o) {
  return must(verifier::create(std::move(o)), "verifier::create");
}

/// Verifies `token` with a verifier for `k`; `tweak` may change the options first.
template <class Tweak>
result<verified_token> verify_with(const key& k, std::string_view token, Tweak tweak) {
  verifier_options o = options_for(k);
  tweak(o);
  return make_verifier(std::move(o)).verify(token);
}
inline result<verified_token> verify_with(const key& k, std::string_view token) {
  return verify_with(k, token, [](verifier_options&) {});
}

/// One member of a JWK text, decoded from base64url (e.g. "n", "x").
inline std::string jwk_bytes(std::string_view jwk, std::string_view name) {
  const std::string tag = "\"" + std::string(name) + "\":\"";
  auto start = jwk.find(tag);
  if (start == std::string_view::npos) throw std::runtime_error("JWK has no " + std::string(name));
  start += tag.size();
  return unb64(jwk.substr(start, jwk.find('"', start) - start));
}

/// `jwk` with member `name`'s string value replaced by `value` (or the member added).
inline std::string with_member(std::string jwk, std::string_view name, std::string_view value) {
  const std::string tag = "\"" + std::string(name) + "\":";
  auto start = jwk.find(tag);
  std::string quoted;
  append_json_string(quoted, value);
  if (start == std::string::npos) return jwk.insert(1, tag + quoted + ",");
  start += tag.size();
  auto end = jwk.find('"', start + 1) + 1;
  return jwk.replace(start, end - start, quoted);
}

/// `jwk` without member `name` (a string-valued member).
inline std::string without_member(std::string jwk, std::string_view name) {
  const std::string tag = "\"" + std::string(name) + "\":";
  auto start = jwk.find(tag);
  if (start == std::string::npos) return jwk;
  auto end = jwk.find('"', start + tag.size() + 1) + 1;
  if (jwk[end] == ',')
    ++end;
  else if (jwk[start - 1] == ',')
    --start;
  return jwk.erase(start, end - start);
}

// --- OpenSSL, for encodings and signatures the library does not produce ----------------------

struct pkey_ctx_free {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_ctx_free>;

/// `k` encoded as PEM (or DER) with OpenSSL's encoder. `structure`: "SubjectPublicKeyInfo",
/// "PrivateKeyInfo", or "type-specific" (PKCS#1 RSA, SEC1 EC).
inline std::string encode_pkey(const EVP_PKEY* pkey, bool private_part, const char* structure,
                               const char* format = "PEM") {
  const int selection = private_part ? OSSL_KEYMGMT_SELECT_KEYPAIR : OSSL_KEYMGMT_SELECT_PUBLIC_KEY;
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, format, structure, nullptr);
  unsigned char* data = nullptr;
  std::size_t len = 0;
  const bool ok = ctx != nullptr && OSSL_ENCODER_to_data(ctx, &data, &len) == 1;
  OSSL_ENCODER_CTX_free(ctx);
  if (!ok) throw std::runtime_error(std::string("cannot encode key as ") + structure);
  std::string out(reinterpret_cast<const char*>(data), len);
  OPENSSL_free(data);
  return out;
}
inline std::string encode_key(const key& k, bool private_part, const char* structure,
                              const char* format = "PEM") {
  return encode_pkey(k.material().pkey.get(), private_part, structure, format);
}

/// The raw RSA private-key operation (no padding) on a modulus-sized block: lets a test build
/// signatures with a chosen encoded message (RFC 8017 §8.2.1 EM), well formed or not.
inline std::string rsa_raw_sign(const key& k, std::string_view block) {
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, k.material().pkey.get(), nullptr));
  std::string out(block.size(), '\0');
  std::size_t len = out.size();
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING) != 1 ||
      EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                    reinterpret_cast<const unsigned char*>(block.data()), block.size()) != 1)
    throw std::runtime_error("raw RSA signing failed");
  out.resize(len);
  return out;
}

/// An RSA-PSS signature with SHA-256/MGF1-SHA-256 and the given salt length.
inline std::string pss_sign(const key& k, std::string_view input, int salt_length) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (!md ||
      EVP_DigestSignInit_ex(md.get(), &pctx, "SHA256", nullptr, nullptr, k.material().pkey.get(),
                            nullptr) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_length) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, in, input.size()) != 1)
    throw std::runtime_error("PSS signing failed");
  std::string out(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(out.data()), &len, in,
                     input.size()) != 1)
    throw std::runtime_error("PSS signing failed");
  out.resize(len);
  return out;
}

/// A self-signed X.509 certificate (DER) for `k`'s key pair.
inline std::string self_signed_certificate(const key& k) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), k.material().pkey.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("attacker"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), k.material().pkey.get(), EVP_sha256()) <= 0)
    throw std::runtime_error("cannot sign the certificate");
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  if (len <= 0) throw std::runtime_error("cannot encode the certificate");
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

/// Standard base64 with padding (RFC 4648 §4), as x5c uses.
inline std::string std_base64(std::string_view bytes) {
  std::string s = b64(bytes);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s += '=';
  return s;
}

/// The DER bytes inside a PEM text.
inline std::string pem_to_der(std::string_view pem) {
  std::string body;
  std::size_t pos = 0;
  while (pos < pem.size()) {
    auto end = pem.find('\n', pos);
    if (end == std::string_view::npos) end = pem.size();
    std::string_view line = pem.substr(pos, end - pos);
    if (line.rfind("-----", 0) != 0) body += line;
    pos = end + 1;
  }
  for (char& c : body) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!body.empty() && body.back() == '=') body.pop_back();
  return unb64(body);
}

}  // namespace jwtfort::test
