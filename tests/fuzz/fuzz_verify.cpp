// libFuzzer target: the input is a compact token. It goes through three verifiers (HS256 secrets,
// ES256 public keys, and one key for each other algorithm), then through the unverified decoder.
// The seed tokens in corpus/fuzz_verify are signed with the keys of fuzz_keys.hpp, so mutations
// start from tokens that reach the signature and claim checks, not only the parser.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_keys.hpp"
#include "fuzz_support.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/token.hpp"
#include "jwtfort/verifier.hpp"

namespace {

using namespace jwtfort;

verifier make_verifier(std::string_view jwks, std::vector<algorithm> algorithms) {
  verifier_options o;
  o.algorithms = std::move(algorithms);
  o.keys = fuzz::must(key_set::from_jwks(jwks), "key_set::from_jwks(fuzz_keys)");
  o.issuer = std::string(fuzz::issuer);
  o.audiences = {std::string(fuzz::audience)};
  o.leeway_seconds = 30;
  o.understood_critical = {std::string(fuzz::critical_name)};
  o.clock = fixed_clock(fuzz::now);
  return fuzz::must(verifier::create(std::move(o)), "verifier::create");
}

// Built once: verification is what is fuzzed, not key loading.
const std::vector<verifier>& verifiers() {
  static const std::vector<verifier> all = [] {
    std::vector<verifier> v;
    v.push_back(make_verifier(fuzz::hmac_jwks, {algorithm::hs256}));
    v.push_back(make_verifier(fuzz::es256_jwks, {algorithm::es256}));
    v.push_back(make_verifier(
        fuzz::mixed_jwks, {algorithm::rs256, algorithm::ps256, algorithm::es384, algorithm::es512,
                           algorithm::eddsa, algorithm::ed25519, algorithm::ed448}));
    return v;
  }();
  return all;
}

bool is_allowed(const verifier& v, algorithm alg) {
  for (algorithm allowed : v.options().algorithms)
    if (allowed == alg) return true;
  return false;
}

// What a verified token promises, checked against the options and against the plain decoder.
void check_verified(const verifier& v, const verified_token& t, std::string_view token) {
  fuzz::expect(is_allowed(v, t.alg()), "verified a token whose alg is not allowed");
  fuzz::expect(t.issuer() == fuzz::issuer, "verified a token with another issuer");
  fuzz::expect(t.expires_at().has_value(), "verified a token without exp");
  // exp is floored to whole seconds, so the rule now < exp + leeway becomes <= here.
  fuzz::expect(*t.expires_at() + v.options().leeway_seconds >= fuzz::now,
               "verified an expired token");
  const auto decoded = unverified_token::decode(token);
  fuzz::expect(decoded.has_value(), "the decoder refuses a token the verifier accepted");
  fuzz::expect(decoded->header_json() == t.header_json(), "header differs from the decoder's");
  fuzz::expect(decoded->payload_json() == t.claims_json(), "payload differs from the decoder's");
  fuzz::expect(decoded->alg_name() == to_string(t.alg()), "alg differs from the decoder's");
  fuzz::expect(decoded->key_id() == t.key_id(), "kid differs from the decoder's");
  fuzz::expect(t.string_claim("iss") == std::string(fuzz::issuer), "string_claim(iss) differs");
  fuzz::expect(t.claim_json("exp").has_value(), "exp is in the token but claim_json misses it");
  const auto audiences = t.string_list_claim("aud");
  fuzz::expect(audiences.has_value(), "verified a token whose aud is not a string list");
  // Reads that may or may not find something; they must only not crash.
  (void)t.has_claim("sub");
  (void)t.string_claim("sub");
  (void)t.bool_claim("admin");
  (void)t.string_list_claim("roles");
  (void)t.claim_json("nested");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  for (const verifier& v : verifiers()) {
    auto verified = v.verify(token);
    if (verified) check_verified(v, *verified, token);
  }
  auto decoded = unverified_token::decode(token);
  if (decoded) (void)decoded->payload_json().size();
  return 0;
}
