// libjwt on the fixtures jwtfort_bench uses ($JWTFORT_BENCH_FIXTURES), for the side-by-side table.
//
// libjwt 1.x has no claim validation of its own (jwt_valid arrived in later releases), so verify
// here is what an application on libjwt 1.x writes: jwt_decode with the key (parse, signature),
// then the same checks jwtfort's verifier makes: algorithm pinned, iss and aud equal, exp in the
// future, nbf and iat not in the future, sub and jti present. libjwt 1.x supports neither PS256 nor
// EdDSA, so those rows are absent.

#include <benchmark/benchmark.h>
#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

std::string read_fixture(const char* name) {
  const char* dir = std::getenv("JWTFORT_BENCH_FIXTURES");
  if (dir == nullptr) throw std::runtime_error("JWTFORT_BENCH_FIXTURES is not set");
  std::ifstream in(std::string(dir) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read fixture ") + name);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text + (text.rfind("-----", 0) == 0 ? "\n" : "");
}

constexpr const char* expected_issuer = "jwtfort-bench";
constexpr const char* expected_audience = "api";

struct peer_fixture {
  jwt_alg_t alg;
  std::string signing_key;       // secret or private PEM
  std::string verification_key;  // secret or public PEM
  std::string claims;            // claims.json
  std::string token;
};

const unsigned char* bytes(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// A jwt_t holding the fixture claims, the algorithm and the signing key.
jwt_t* new_signing_jwt(const peer_fixture& f) {
  jwt_t* jwt = nullptr;
  if (jwt_new(&jwt) != 0 || jwt_add_grants_json(jwt, f.claims.c_str()) != 0 ||
      jwt_set_alg(jwt, f.alg, bytes(f.signing_key), static_cast<int>(f.signing_key.size())) != 0)
    throw std::runtime_error("libjwt cannot build the token");
  return jwt;
}

bool has_string(jwt_t* jwt, const char* name, const char* expected = nullptr) {
  const char* value = jwt_get_grant(jwt, name);
  return value != nullptr && (expected == nullptr || std::strcmp(value, expected) == 0);
}

// A numeric date claim; `present` says whether the token carries it.
long date_claim(jwt_t* jwt, const char* name, bool& present) {
  errno = 0;
  long value = jwt_get_grant_int(jwt, name);
  present = errno != ENOENT;
  return value;
}

bool claims_valid(jwt_t* jwt, jwt_alg_t alg, long now) {
  bool has_exp = false, has_nbf = false, has_iat = false;
  const long exp = date_claim(jwt, "exp", has_exp);
  const long nbf = date_claim(jwt, "nbf", has_nbf);
  const long iat = date_claim(jwt, "iat", has_iat);
  return jwt_get_alg(jwt) == alg && has_string(jwt, "iss", expected_issuer) &&
         has_string(jwt, "aud", expected_audience) && has_string(jwt, "sub") &&
         has_string(jwt, "jti") && has_exp && now < exp && (!has_nbf || nbf <= now) && has_iat &&
         iat <= now;
}

bool verify_once(const peer_fixture& f) {
  jwt_t* jwt = nullptr;
  if (jwt_decode(&jwt, f.token.c_str(), bytes(f.verification_key),
                 static_cast<int>(f.verification_key.size())) != 0)
    return false;
  const bool ok = claims_valid(jwt, f.alg, static_cast<long>(std::time(nullptr)));
  jwt_free(jwt);
  return ok;
}

peer_fixture make_fixture(jwt_alg_t alg, const char* private_name, const char* public_name) {
  peer_fixture f{
      alg, read_fixture(private_name), read_fixture(public_name), read_fixture("claims.json"), {}};
  jwt_t* jwt = new_signing_jwt(f);
  char* token = jwt_encode_str(jwt);
  jwt_free(jwt);
  if (token == nullptr) throw std::runtime_error("libjwt cannot sign");
  f.token = token;
  std::free(token);  // libjwt 1.x allocates with malloc and has no jwt_free_str
  if (!verify_once(f)) throw std::runtime_error("libjwt rejects its own token");
  return f;
}

void libjwt_verify(benchmark::State& state, peer_fixture f) {
  for (auto _ : state) {
    if (!verify_once(f)) state.SkipWithError("libjwt rejected the token");
  }
  state.SetItemsProcessed(state.iterations());
}

// The claims and key are set once; each call serialises, signs (libjwt reads the PEM key here on
// every call: that is its API) and returns the compact token.
void libjwt_sign(benchmark::State& state, peer_fixture f) {
  jwt_t* jwt = new_signing_jwt(f);
  for (auto _ : state) {
    char* token = jwt_encode_str(jwt);
    if (token == nullptr) state.SkipWithError("libjwt cannot sign");
    benchmark::DoNotOptimize(token);
    std::free(token);  // libjwt 1.x allocates with malloc and has no jwt_free_str
  }
  state.SetItemsProcessed(state.iterations());
  jwt_free(jwt);
}

void register_all() {
  struct entry {
    const char* name;
    jwt_alg_t alg;
    const char* private_name;
    const char* public_name;
  };
  const entry entries[] = {{"HS256", JWT_ALG_HS256, "hs256.secret", "hs256.secret"},
                           {"RS256", JWT_ALG_RS256, "rsa.pem", "rsa.pub.pem"},
                           {"ES256", JWT_ALG_ES256, "es256.pem", "es256.pub.pem"}};
  for (const auto& e : entries) {
    peer_fixture f = make_fixture(e.alg, e.private_name, e.public_name);
    benchmark::RegisterBenchmark((std::string("libjwt_verify/") + e.name).c_str(), libjwt_verify,
                                 f);
    benchmark::RegisterBenchmark((std::string("libjwt_sign/") + e.name).c_str(), libjwt_sign, f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::AddCustomContext("libjwt_version", LIBJWT_VERSION_TEXT);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
