// Sign and verify per algorithm, next to the raw OpenSSL primitive over the same bytes.
//
// Keys and claims come from $JWTFORT_BENCH_FIXTURES (written by run_benchmarks.py, shared with
// the peer libraries) so every library works on identical input; without it, keys are generated.

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

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
  return dir ? read_file(std::string(dir) + "/" + name) : std::string();
}

std::string default_claims() {
  std::int64_t now = std::time(nullptr);
  return R"({"sub":"user-4711@example.com","iat":)" + std::to_string(now) + R"(,"nbf":)" +
         std::to_string(now) + R"(,"exp":)" + std::to_string(now + 3600) +
         R"(,"jti":"9f1c2a4e-7b3d-4c1e-8a2f-5d6e7f8a9b0c","type":"access","fresh":false,)"
         R"("iss":"https://auth.example.com","aud":"api.example.com"})";
}

// One algorithm's fixture: the signing key, a verifier with full claim validation, a token.
struct fixture_set {
  key signing_key;
  verifier checker;
  std::string token;
  std::string signing_input;
  std::string signature;  // raw bytes, DER for ECDSA (what OpenSSL itself consumes)
  EVP_PKEY* pkey = nullptr;
};

key load_key(algorithm alg) {
  std::string pem;
  switch (family_of(alg)) {
    case key_family::hmac: {
      std::string secret = fixture("hs256.secret");
      return secret.empty() ? *key::generate(alg) : *key::from_secret(secret, alg);
    }
    case key_family::rsa: pem = fixture("rsa.pem"); break;
    case key_family::ec: pem = fixture("es256.pem"); break;
    case key_family::okp: pem = fixture("ed25519.pem"); break;
  }
  return pem.empty() ? *key::generate(alg) : *key::from_pem(pem, alg);
}

fixture_set make_fixture(algorithm alg) {
  key k = load_key(alg);
  verifier_options o;
  o.algorithms = {alg};
  if (!o.keys.add(k)) throw std::runtime_error("key set");
  o.issuer = "https://auth.example.com";
  o.audiences = {"api.example.com"};
  o.required_claims = {"exp", "iat", "sub", "jti"};
  auto v = verifier::create(std::move(o));
  if (!v) throw std::runtime_error(v.error().message);
  std::string claims = fixture("claims.json");
  if (claims.empty()) claims = default_claims();
  while (!claims.empty() && (claims.back() == '\n' || claims.back() == ' ')) claims.pop_back();
  auto s = signer::create(k);
  auto token = s->sign_json(claims);
  if (!token) throw std::runtime_error(token.error().message);
  if (auto r = v->verify(*token); !r) throw std::runtime_error("fixture token: " + r.error().message);
  fixture_set f{k, std::move(*v), *token, token->substr(0, token->rfind('.')), {}, nullptr};
  return f;
}

const fixture_set& fixture_for(algorithm alg) {
  static fixture_set* sets[std::size(all_algorithms)] = {};
  auto& slot = sets[static_cast<int>(alg)];
  if (slot == nullptr) slot = new fixture_set(make_fixture(alg));
  return *slot;
}

void jwtfort_verify(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  for (auto _ : state) {
    auto r = f.checker.verify(f.token);
    if (!r) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void jwtfort_sign(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  auto s = signer::create(f.signing_key);
  std::string claims = unverified_token::decode(f.token)->payload_json();
  for (auto _ : state) {
    auto t = s->sign_json(claims);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- the floor: OpenSSL alone, pre-keyed, over the same signing input ---------------------------

struct openssl_key {
  EVP_PKEY* pkey = nullptr;
  const EVP_MD* md = nullptr;
  bool pss = false;
};

openssl_key openssl_key_for(algorithm alg) {
  std::string pem = family_of(alg) == key_family::rsa ? fixture("rsa.pem")
                    : family_of(alg) == key_family::ec ? fixture("es256.pem")
                                                       : fixture("ed25519.pem");
  if (pem.empty()) pem = *fixture_for(alg).signing_key.to_public_pem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    BIO_reset(bio);
    pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  }
  BIO_free(bio);
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return {pkey, family_of(alg) == key_family::okp ? nullptr : sha256,
          alg == algorithm::ps256};
}

bool openssl_verify_once(const openssl_key& k, const std::string& input, const std::string& sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, k.md, nullptr, k.pkey) == 1;
  if (ok && k.pss)
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                              reinterpret_cast<const unsigned char*>(input.data()),
                              input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string openssl_sign_once(const openssl_key& k, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t len = 1024;
  std::string sig(len, '\0');
  bool ok = EVP_DigestSignInit(ctx, &pctx, k.md, nullptr, k.pkey) == 1;
  if (ok && k.pss)
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  ok = ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                            reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  sig.resize(ok ? len : 0);
  return sig;
}

void openssl_verify(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  openssl_key k = openssl_key_for(alg);
  std::string sig = openssl_sign_once(k, f.signing_input);
  if (!openssl_verify_once(k, f.signing_input, sig)) state.SkipWithError("floor does not verify");
  for (auto _ : state) benchmark::DoNotOptimize(openssl_verify_once(k, f.signing_input, sig));
  state.SetItemsProcessed(state.iterations());
  EVP_PKEY_free(k.pkey);
}

void openssl_sign(benchmark::State& state, algorithm alg) {
  const fixture_set& f = fixture_for(alg);
  openssl_key k = openssl_key_for(alg);
  for (auto _ : state) benchmark::DoNotOptimize(openssl_sign_once(k, f.signing_input));
  state.SetItemsProcessed(state.iterations());
  EVP_PKEY_free(k.pkey);
}

// HMAC-SHA256 keyed once; each iteration re-initialises with the stored key, MACs the signing
// input and compares the tag: the least any HS256 verifier must do.
void hmac_floor(benchmark::State& state, bool compare) {
  const fixture_set& f = fixture_for(algorithm::hs256);
  std::string secret = fixture("hs256.secret");
  if (secret.empty()) secret.assign(32, 'k');
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params);
  unsigned char expected[32] = {0};
  const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  for (auto _ : state) {
    unsigned char out[64];
    std::size_t len = 0;
    EVP_MAC_init(ctx, nullptr, 0, nullptr);
    EVP_MAC_update(ctx, in, f.signing_input.size());
    EVP_MAC_final(ctx, out, &len, sizeof out);
    if (compare) benchmark::DoNotOptimize(CRYPTO_memcmp(out, expected, 32));
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
}

void jwtfort_verify_threads(benchmark::State& state) {
  const fixture_set& f = fixture_for(algorithm::hs256);
  for (auto _ : state) {
    auto r = f.checker.verify(f.token);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

constexpr std::pair<const char*, algorithm> measured[] = {{"HS256", algorithm::hs256},
                                                          {"RS256", algorithm::rs256},
                                                          {"PS256", algorithm::ps256},
                                                          {"ES256", algorithm::es256},
                                                          {"EdDSA", algorithm::eddsa}};

int register_all() {
  for (auto [name, alg] : measured) {
    benchmark::RegisterBenchmark((std::string("jwtfort_verify/") + name).c_str(), jwtfort_verify, alg);
    benchmark::RegisterBenchmark((std::string("jwtfort_sign/") + name).c_str(), jwtfort_sign, alg);
    if (alg == algorithm::hs256) {
      benchmark::RegisterBenchmark("openssl_verify/HS256", hmac_floor, true);
      benchmark::RegisterBenchmark("openssl_sign/HS256", hmac_floor, false);
    } else {
      benchmark::RegisterBenchmark((std::string("openssl_verify/") + name).c_str(), openssl_verify, alg);
      benchmark::RegisterBenchmark((std::string("openssl_sign/") + name).c_str(), openssl_sign, alg);
    }
  }
  benchmark::RegisterBenchmark("jwtfort_verify_threads/HS256", jwtfort_verify_threads)
      ->Threads(1)
      ->Threads(2)
      ->UseRealTime();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
