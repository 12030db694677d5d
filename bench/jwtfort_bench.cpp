// Sign and verify per algorithm, next to the raw OpenSSL primitive over the same bytes.
//
// Keys and claims come from $JWTFORT_BENCH_FIXTURES (written by bench/make_fixtures.py, shared
// with the peer libraries) so every library works on identical input.
//
// What is compared:
//   jwtfort_verify/ALG  verifier::verify on one token: split, header, signature, payload JSON,
//                       iss/aud/exp/nbf/iat and required-claim checks, the verified_token.
//   openssl_verify/ALG  the floor: the public key parsed and a context set up for it once, OpenSSL
//                       checks the token's own signature bytes over the token's signing input,
//                       and nothing else (for ES256 it includes the R||S to DER step OpenSSL
//                       needs, written directly as jwtfort does; for HS256 it is the HMAC of a
//                       key keyed once, plus the constant-time tag comparison).
//   openssl_verify_oneshot/ALG  the same with EVP_DigestVerifyInit on every call (for reference).
//   openssl_verify_midstate/HS256  HMAC-SHA256 from the key's saved inner and outer SHA-256
//                       states (the SHA256_* block functions, no provider), plus the compare:
//                       how jwtfort computes HMAC outside FIPS mode, so the cost of everything
//                       else in a verify is the difference to jwtfort_verify/HS256.
//   jwtfort_verify_threads/HS256  jwtfort_verify/HS256 on one and on two threads (throughput).
//   provider_verify/ALG  trusted_issuers::verify on a provider's token with warm keys: routing by
//                       the unverified `iss`, the issuer's verifier (iss/aud/exp checks), and the
//                       claim mapping to subject, roles and scopes. Keys come once from a JWKS
//                       served by a loopback HTTP server in this process (discovery included);
//                       the same claims and key as jwtfort_verify/ALG, `iss` aside, so the ratio
//                       of the two is the cost of accepting a provider's token.
//   jwtfort_sign/ALG    signer::sign from a claims object: JSON, base64url, signature.
//   openssl_sign/ALG    the bare signature over the same signing input (R||S for ES256).
//   sodium_verify/EdDSA, sodium_sign/EdDSA  libsodium's crypto_sign_verify_detached and
//                       crypto_sign_detached over the same bytes: the Ed25519 floor jwtfort stands
//                       on (openssl_*/EdDSA stay, for the comparison).
//   openssl_verify_lowlevel/ES256  SHA-256, then ECDSA_do_verify on a legacy EC_KEY with R and S
//                       as BIGNUMs: OpenSSL's P-256 arithmetic without the EVP layer, to see what
//                       the provider dispatch and DER costs.

// The SHA256_* functions of the midstate floor are deprecated in OpenSSL 3 (they bypass providers).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/base64url.hpp"
#include "crypto/ecdsa_der.hpp"
#include "jwtfort/claims.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/service/trusted_issuers.hpp"
#include "jwtfort/signer.hpp"
#include "jwtfort/verifier.hpp"

namespace {

using namespace jwtfort;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fixture(const char* name) {
  const char* dir = std::getenv("JWTFORT_BENCH_FIXTURES");
  if (dir == nullptr)
    throw std::runtime_error("set JWTFORT_BENCH_FIXTURES to a directory from make_fixtures.py");
  return read_file(std::string(dir) + "/" + name);
}

constexpr const char* expected_issuer = "jwtfort-bench";  // as in make_fixtures.py
constexpr const char* expected_audience = "api";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One algorithm's fixture: the signing key, a verifier holding only the public part (as a real
// verifier would) with full claim validation, and a token signed by jwtfort.
struct fixture_set {
  std::string claims_json;
  std::string secret;  // HMAC secret, or private key PEM
  key signing_key;
  std::string public_pem;  // empty for HMAC
  verifier checker;
  std::string token;
  std::string signing_input;
  std::string signature;  // the token's signature, decoded (R||S for ECDSA)
};

// The HMAC secret, or the private key as PEM.
std::string signing_secret(algorithm alg) {
  switch (family_of(alg)) {
    case key_family::hmac: return trimmed(fixture("hs256.secret"));
    case key_family::rsa: return fixture("rsa.pem");
    case key_family::ec: return fixture("es256.pem");
    case key_family::okp: return fixture("ed25519.pem");
  }
  throw std::logic_error("unreachable");
}

key load_signing_key(algorithm alg, const std::string& secret) {
  auto k = family_of(alg) == key_family::hmac ? key::from_secret(secret, alg)
                                              : key::from_pem(secret, alg);
  if (!k) throw std::runtime_error("signing key: " + k.error().message);
  return *k;
}

verifier make_verifier(const key& verification_key, algorithm alg) {
  verifier_options o;
  o.algorithms = {alg};
  if (!o.keys.add(verification_key)) throw std::runtime_error("key set");
  o.issuer = expected_issuer;
  o.audiences = {expected_audience};
  o.required_claims = {"exp", "iat", "sub", "jti"};
  auto v = verifier::create(std::move(o));
  if (!v) throw std::runtime_error(v.error().message);
  return std::move(*v);
}

fixture_set make_fixture(algorithm alg) {
  std::string claims_json = trimmed(fixture("claims.json"));
  std::string secret = signing_secret(alg);
  key signing_key = load_signing_key(alg, secret);
  std::string public_pem;
  key verification_key = signing_key;
  if (!signing_key.is_symmetric()) {
    public_pem = *signing_key.to_public_pem();
    verification_key = *key::from_pem(public_pem, alg);
  }
  auto token = signer::create(signing_key)->sign_json(claims_json);
  if (!token) throw std::runtime_error(token.error().message);
  verifier checker = make_verifier(verification_key, alg);
  if (auto r = checker.verify(*token); !r)
    throw std::runtime_error("fixture token: " + r.error().message);
  const std::size_t last_dot = token->rfind('.');
  auto signature = base64url::decode(std::string_view(*token).substr(last_dot + 1));
  if (!signature) throw std::runtime_error("fixture token signature: " + signature.error().message);
  return fixture_set{std::move(claims_json),
                     secret,
                     signing_key,
                     public_pem,
                     std::move(checker),
                     *token,
                     token->substr(0, last_dot),
                     std::move(*signature)};
}

constexpr std::pair<const char*, algorithm> measured[] = {{"HS256", algorithm::hs256},
                                                          {"RS256", algorithm::rs256},
                                                          {"PS256", algorithm::ps256},
                                                          {"ES256", algorithm::es256},
                                                          {"EdDSA", algorithm::eddsa}};

std::array<fixture_set*, std::size(all_algorithms)> fixtures{};

// Built once in main, before any benchmark (and so before any benchmark thread) runs.
void make_all_fixtures() {
  for (auto [name, alg] : measured)
    fixtures[static_cast<std::size_t>(alg)] = new fixture_set(make_fixture(alg));
}

const fixture_set& fixture_for(algorithm alg) { return *fixtures[static_cast<std::size_t>(alg)]; }

void jwtfort_verify(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  for (auto _ : state) {
    auto r = f.checker.verify(f.token);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(f.token.size());
}

// --- a provider's token: trusted_issuers with warm keys -----------------------------------------

// An identity provider on loopback serving discovery and the fixtures' public keys, and the
// trusted_issuers that fetched them; built in main, torn down before it returns.
struct provider_fixture {
  httplib::Server server;
  std::thread thread;
  std::string issuer;
  std::shared_ptr<trusted_issuers> trusted;
  std::array<std::string, std::size(all_algorithms)> tokens;  // per algorithm

  ~provider_fixture() {
    trusted.reset();
    server.stop();
    if (thread.joinable()) thread.join();
  }
};

provider_fixture* provider = nullptr;

constexpr algorithm provider_algorithms[] = {algorithm::rs256, algorithm::es256};

// The fixture claims with the provider's `iss`, so only the issuer differs from jwtfort_verify.
std::string provider_claims(const std::string& claims_json, const std::string& issuer) {
  const std::string own = std::string("\"iss\":\"") + expected_issuer + "\"";
  const std::size_t at = claims_json.find(own);
  if (at == std::string::npos) throw std::runtime_error("claims.json has no iss");
  return std::string(claims_json).replace(at, own.size(), "\"iss\":\"" + issuer + "\"");
}

void start_provider() {
  provider = new provider_fixture();
  key_set published;
  for (algorithm alg : provider_algorithms) {
    const fixture_set& f = fixture_for(alg);
    auto k = key::from_pem(f.public_pem, alg);
    if (!k || !published.add(k->with_id(std::string(to_string(alg)))))
      throw std::runtime_error("provider key set");
  }
  const int port = provider->server.bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("provider: cannot bind 127.0.0.1");
  provider->issuer = "http://127.0.0.1:" + std::to_string(port);
  const std::string discovery =
      "{\"issuer\":\"" + provider->issuer + "\",\"jwks_uri\":\"" + provider->issuer + "/jwks\"}";
  provider->server.Get("/.well-known/openid-configuration",
                       [discovery](const httplib::Request&, httplib::Response& res) {
                         res.set_content(discovery, "application/json");
                       });
  provider->server.Get(
      "/jwks", [jwks = published.to_jwks()](const httplib::Request&, httplib::Response& res) {
        res.set_content(jwks, "application/jwk-set+json");
      });
  provider->thread = std::thread([] { provider->server.listen_after_bind(); });

  issuer_options o;
  o.issuer = provider->issuer;
  o.audiences = {expected_audience};
  o.algorithms = {std::begin(provider_algorithms), std::end(provider_algorithms)};
  auto trusted = trusted_issuers::create({.issuers = {o}});
  if (!trusted) throw std::runtime_error(trusted.error().message);
  provider->trusted = std::move(*trusted);
  if (!provider->trusted->wait_until_ready(std::chrono::seconds(10)))
    throw std::runtime_error("provider keys were not fetched");
  for (algorithm alg : provider_algorithms) {
    const fixture_set& f = fixture_for(alg);
    auto s = signer::create(f.signing_key.with_id(std::string(to_string(alg))));
    auto token = s->sign_json(provider_claims(f.claims_json, provider->issuer));
    if (!token) throw std::runtime_error(token.error().message);
    provider->tokens[static_cast<std::size_t>(alg)] = *token;
  }
}

void provider_verify(benchmark::State& state, algorithm alg) {
  const std::string& token = provider->tokens[static_cast<std::size_t>(alg)];
  for (auto _ : state) {
    auto r = provider->trusted->verify(token);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(token.size());
}

// Signing from a claims object, as an application does: the JSON is written on every call, like
// the peers that serialise a dict or an object.
void jwtfort_sign(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  auto s = signer::create(f.signing_key);
  auto c = claims::from_json(f.claims_json);
  if (!c) throw std::runtime_error(c.error().message);
  for (auto _ : state) {
    auto t = s->sign(*c);
    if (!t) state.SkipWithError(t.error().message.c_str());
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- the floor: OpenSSL alone, pre-keyed, over the same signing input ---------------------------
//
// "Pre-keyed" means all per-key work is done before the loop: the key is parsed, and a context is
// initialised for it once (algorithm fetch, padding parameters). Each iteration copies that
// context and runs the one-shot digest-and-verify, the least OpenSSL lets a verifier do per token.
// EVP_DigestVerifyInit per call costs a few microseconds more on OpenSSL 3.0; that variant runs
// as openssl_verify_oneshot/ALG so the difference is visible rather than hidden in the floor.

struct openssl_key {
  EVP_PKEY* pkey = nullptr;
  const EVP_MD* md = nullptr;
  bool pss = false;
  bool ecdsa = false;
};

EVP_PKEY* parse_pem(const std::string& pem, bool is_private) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                              : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (pkey == nullptr) throw std::runtime_error("OpenSSL cannot parse the fixture key");
  return pkey;
}

// The floor verifies with the same public key the jwtfort verifier holds, and signs with the same
// private key jwtfort signs with.
openssl_key openssl_key_for(algorithm alg, bool is_private) {
  const fixture_set& f = fixture_for(alg);
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return {parse_pem(is_private ? f.secret : f.public_pem, is_private),
          family_of(alg) == key_family::okp ? nullptr : sha256, alg == algorithm::ps256,
          family_of(alg) == key_family::ec};
}

// RFC 7518 §3.5 parameters, set the same way a JWS verifier must set them.
bool configure_pss(EVP_PKEY_CTX* pctx, const openssl_key& k) {
  return !k.pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, k.md) == 1);
}

EVP_MD_CTX* initialised_context(const openssl_key& k, bool for_signing) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const int ok = for_signing ? EVP_DigestSignInit(ctx, &pctx, k.md, nullptr, k.pkey)
                             : EVP_DigestVerifyInit(ctx, &pctx, k.md, nullptr, k.pkey);
  if (ok != 1 || !configure_pss(pctx, k)) throw std::runtime_error("OpenSSL context setup");
  return ctx;
}

// JWS carries ECDSA signatures as R||S; OpenSSL's EVP interface speaks DER. Any JWS library built
// on OpenSSL converts on every token, so the floor does too (both ways), with jwtfort's own
// conversion: the cheapest there is, so the floor stays the least a verifier can do.
std::string ecdsa_der_to_raw(const unsigned char* der, std::size_t len) {
  std::string raw;
  if (!crypto::ecdsa_der_to_raw(der, len, 32, raw)) return {};
  return raw;
}

// `ctx` is ready to verify: initialised for this call or copied from a pre-initialised one.
bool digest_verify(EVP_MD_CTX* ctx, const openssl_key& k, const std::string& input,
                   const std::string& sig) {
  unsigned char der[crypto::max_ecdsa_der_bytes];
  const auto* sig_bytes = reinterpret_cast<const unsigned char*>(sig.data());
  std::size_t sig_len = sig.size();
  if (k.ecdsa) {
    sig_len = crypto::ecdsa_raw_to_der({sig_bytes, sig.size()}, der);
    sig_bytes = der;
  }
  return EVP_DigestVerify(ctx, sig_bytes, sig_len,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

std::string digest_sign(EVP_MD_CTX* ctx, const openssl_key& k, const std::string& input) {
  unsigned char sig[512];
  std::size_t len = sizeof sig;
  if (EVP_DigestSign(ctx, sig, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    return {};
  return k.ecdsa ? ecdsa_der_to_raw(sig, len) : std::string(reinterpret_cast<char*>(sig), len);
}

void openssl_verify(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  openssl_key k = openssl_key_for(alg, false);
  EVP_MD_CTX* prepared = initialised_context(k, false);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  int failures = 0;
  for (auto _ : state) {
    EVP_MD_CTX_copy_ex(ctx, prepared);
    failures += !digest_verify(ctx, k, f.signing_input, f.signature);
  }
  if (failures != 0) state.SkipWithError("floor does not verify the token's signature");
  state.SetItemsProcessed(state.iterations());
  EVP_MD_CTX_free(ctx);
  EVP_MD_CTX_free(prepared);
  EVP_PKEY_free(k.pkey);
}

// The usual OpenSSL idiom: the key is parsed once, the context initialised for every call.
void openssl_verify_oneshot(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  openssl_key k = openssl_key_for(alg, false);
  int failures = 0;
  for (auto _ : state) {
    EVP_MD_CTX* ctx = initialised_context(k, false);
    failures += !digest_verify(ctx, k, f.signing_input, f.signature);
    EVP_MD_CTX_free(ctx);
  }
  if (failures != 0) state.SkipWithError("floor does not verify the token's signature");
  state.SetItemsProcessed(state.iterations());
  EVP_PKEY_free(k.pkey);
}

void openssl_sign(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  openssl_key k = openssl_key_for(alg, true);
  EVP_MD_CTX* prepared = initialised_context(k, true);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  for (auto _ : state) {
    EVP_MD_CTX_copy_ex(ctx, prepared);
    auto sig = digest_sign(ctx, k, f.signing_input);
    if (sig.empty()) state.SkipWithError("floor cannot sign");
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_MD_CTX_free(ctx);
  EVP_MD_CTX_free(prepared);
  EVP_PKEY_free(k.pkey);
}

// HMAC-SHA256 keyed once; each iteration re-initialises with the stored key, MACs the signing
// input and, for verify, compares the tag with the token's: the least any HS256 verifier must do.
void hmac_floor(benchmark::State& state, bool compare) {
  const fixture_set& f = fixture_for(algorithm::hs256);
  const std::string& secret = f.secret;
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params);
  const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  const auto* expected = reinterpret_cast<const unsigned char*>(f.signature.data());
  int mismatches = 0;
  for (auto _ : state) {
    unsigned char out[64];
    std::size_t len = 0;
    EVP_MAC_init(ctx, nullptr, 0, nullptr);
    EVP_MAC_update(ctx, in, f.signing_input.size());
    EVP_MAC_final(ctx, out, &len, sizeof out);
    if (compare) mismatches += CRYPTO_memcmp(out, expected, 32) != 0;
    benchmark::DoNotOptimize(out);
  }
  if (mismatches != 0) state.SkipWithError("floor HMAC differs from the token's tag");
  state.SetItemsProcessed(state.iterations());
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
}

// HMAC-SHA256 (RFC 2104) from saved states: per iteration two state copies, the inner hash of the
// signing input, the outer hash of that, and the compare.
void hmac_midstate_floor(benchmark::State& state) {
  const fixture_set& f = fixture_for(algorithm::hs256);
  unsigned char block[64] = {};
  std::memcpy(block, f.secret.data(), std::min<std::size_t>(f.secret.size(), sizeof block));
  if (f.secret.size() > sizeof block)
    SHA256(reinterpret_cast<const unsigned char*>(f.secret.data()), f.secret.size(), block);
  SHA256_CTX inner, outer;
  unsigned char pad[64];
  for (std::size_t i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner);
  SHA256_Update(&inner, pad, sizeof pad);
  for (std::size_t i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer);
  SHA256_Update(&outer, pad, sizeof pad);
  const auto* expected = reinterpret_cast<const unsigned char*>(f.signature.data());
  int mismatches = 0;
  for (auto _ : state) {
    unsigned char inner_hash[32], out[32];
    SHA256_CTX c = inner;
    SHA256_Update(&c, f.signing_input.data(), f.signing_input.size());
    SHA256_Final(inner_hash, &c);
    c = outer;
    SHA256_Update(&c, inner_hash, sizeof inner_hash);
    SHA256_Final(out, &c);
    mismatches += CRYPTO_memcmp(out, expected, 32) != 0;
    benchmark::DoNotOptimize(out);
  }
  if (mismatches != 0) state.SkipWithError("midstate HMAC differs from the token's tag");
  state.SetItemsProcessed(state.iterations());
}

// --- Ed25519 on libsodium, and P-256 below the EVP layer ----------------------------------------

// The raw Ed25519 key of the fixture: the public key and libsodium's seed || public key secret.
struct sodium_key {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret[crypto_sign_SECRETKEYBYTES];
};

sodium_key sodium_key_for_fixture() {
  const fixture_set& f = fixture_for(algorithm::eddsa);
  EVP_PKEY* pkey = parse_pem(f.secret, true);
  sodium_key k{};
  std::size_t len = sizeof k.public_key;
  EVP_PKEY_get_raw_public_key(pkey, k.public_key, &len);
  len = 32;
  EVP_PKEY_get_raw_private_key(pkey, k.secret, &len);
  std::memcpy(k.secret + 32, k.public_key, 32);
  EVP_PKEY_free(pkey);
  return k;
}

void sodium_verify(benchmark::State& state) {
  if (sodium_init() < 0) state.SkipWithError("sodium_init failed");
  const fixture_set& f = fixture_for(algorithm::eddsa);
  const sodium_key k = sodium_key_for_fixture();
  const auto* sig = reinterpret_cast<const unsigned char*>(f.signature.data());
  const auto* input = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  int failures = 0;
  for (auto _ : state)
    failures += crypto_sign_verify_detached(sig, input, f.signing_input.size(), k.public_key) != 0;
  if (failures != 0) state.SkipWithError("libsodium does not verify the token's signature");
  state.SetItemsProcessed(state.iterations());
}

void sodium_sign(benchmark::State& state) {
  if (sodium_init() < 0) state.SkipWithError("sodium_init failed");
  const fixture_set& f = fixture_for(algorithm::eddsa);
  const sodium_key k = sodium_key_for_fixture();
  const auto* input = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  for (auto _ : state) {
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, input, f.signing_input.size(), k.secret);
    benchmark::DoNotOptimize(sig);
  }
  state.SetItemsProcessed(state.iterations());
}

// ECDSA_do_verify and EC_KEY are deprecated in OpenSSL 3 (they bypass providers), like the
// SHA256_* functions above.
void openssl_verify_lowlevel_es256(benchmark::State& state) {
  const fixture_set& f = fixture_for(algorithm::es256);
  EVP_PKEY* pkey = parse_pem(f.public_pem, false);
  EC_KEY* ec = EVP_PKEY_get1_EC_KEY(pkey);
  const auto* raw = reinterpret_cast<const unsigned char*>(f.signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
  int failures = 0;
  for (auto _ : state) {
    unsigned char digest[32];
    SHA256(reinterpret_cast<const unsigned char*>(f.signing_input.data()), f.signing_input.size(),
           digest);
    failures += ECDSA_do_verify(digest, sizeof digest, sig, ec) != 1;
  }
  if (failures != 0) state.SkipWithError("ECDSA_do_verify does not verify the token's signature");
  state.SetItemsProcessed(state.iterations());
  ECDSA_SIG_free(sig);
  EC_KEY_free(ec);
  EVP_PKEY_free(pkey);
}

void register_all() {
  for (auto [name, alg] : measured) {
    const std::string n(name);
    benchmark::RegisterBenchmark(("jwtfort_verify/" + n).c_str(), jwtfort_verify, alg);
    if (std::find(std::begin(provider_algorithms), std::end(provider_algorithms), alg) !=
        std::end(provider_algorithms))
      benchmark::RegisterBenchmark(("provider_verify/" + n).c_str(), provider_verify, alg);
    benchmark::RegisterBenchmark(("jwtfort_sign/" + n).c_str(), jwtfort_sign, alg);
    if (alg == algorithm::hs256) {
      benchmark::RegisterBenchmark("openssl_verify/HS256", hmac_floor, true);
      benchmark::RegisterBenchmark("openssl_sign/HS256", hmac_floor, false);
      benchmark::RegisterBenchmark("openssl_verify_midstate/HS256", hmac_midstate_floor);
    } else {
      benchmark::RegisterBenchmark(("openssl_verify/" + n).c_str(), openssl_verify, alg);
      benchmark::RegisterBenchmark(("openssl_sign/" + n).c_str(), openssl_sign, alg);
      benchmark::RegisterBenchmark(("openssl_verify_oneshot/" + n).c_str(), openssl_verify_oneshot,
                                   alg);
    }
  }
  benchmark::RegisterBenchmark("sodium_verify/EdDSA", sodium_verify);
  benchmark::RegisterBenchmark("sodium_sign/EdDSA", sodium_sign);
  benchmark::RegisterBenchmark("openssl_verify_lowlevel/ES256", openssl_verify_lowlevel_es256);
  benchmark::RegisterBenchmark("jwtfort_verify_threads/HS256", jwtfort_verify, algorithm::hs256)
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    make_all_fixtures();
    start_provider();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jwtfort_bench: %s\n", e.what());
    return 1;
  }
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete provider;  // stops the background fetcher and the server thread before exit
  return 0;
}
