// Wycheproof conformance vectors (tests/vectors/wycheproof), run against the crypto layer
// (crypto::verify with keys loaded through the public key API) and, for the json_web_* files,
// against the compact-token verifier. Every vector of every file runs; the expectations this
// harness changes are listed, with reasons, in tests/vectors/wycheproof/OVERRIDES.md.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64url.hpp"
#include "core/compact.hpp"
#include "crypto/crypto.hpp"
#include "crypto/hmac.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/verifier.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

using vector_json = nlohmann::json;

vector_json load_vectors(const std::string& file) {
  std::ifstream in(std::string(JWTFORT_VECTORS_DIR) + "/wycheproof/" + file);
  if (!in) throw std::runtime_error("cannot open " + file);
  return vector_json::parse(in);
}

/// A vector file's name without "_test.json", as the parameterized test's name.
template <class File>
std::string stem(const testing::TestParamInfo<File>& info) {
  const std::string_view name = info.param.name;
  return std::string(name.substr(0, name.size() - std::string_view("_test.json").size()));
}

// --- expectations and outcomes -----------------------------------------------------------------

/// What the harness expects of one vector after overrides.
struct expectation {
  bool accept = false;
  std::optional<errc> code;  // the exact code of the rejection, when the harness pins it
  bool overridden = false;   // differs from the upstream "result"
};

/// What the engine did with one vector.
struct outcome {
  bool accepted = false;
  errc code = errc::internal_error;  // meaningful when !accepted
};

expectation upstream(const vector_json& test) {
  const std::string result = test.at("result");
  // "acceptable" (PKCS#1 v1.5 MissingNull) is legal-but-discouraged; this project rejects it.
  return {result == "valid", std::nullopt, result == "acceptable"};
}

expectation rejected_as(errc code, bool was_valid) { return {false, code, was_valid}; }

/// Counts per file, and the vectors whose outcome disagrees with the expectation.
struct tally {
  std::size_t run = 0, accepted = 0, rejected = 0, overridden = 0, skipped = 0;
  std::map<errc, std::size_t> codes;
  std::vector<std::string> disagreements;

  void record(int tc_id, const expectation& want, const outcome& got) {
    ++run;
    overridden += want.overridden ? 1 : 0;
    if (got.accepted) {
      ++accepted;
    } else {
      ++rejected;
      ++codes[got.code];
    }
    std::ostringstream why;
    if (want.accept != got.accepted)
      why << (want.accept ? "rejected (" + std::string(to_string(got.code)) + ")" : "accepted");
    else if (!got.accepted && want.code && *want.code != got.code)
      why << "rejected with " << to_string(got.code) << ", expected " << to_string(*want.code);
    if (!why.str().empty())
      disagreements.push_back("tcId " + std::to_string(tc_id) + ": " + why.str());
  }

  std::string summary(const std::string& file) const {
    std::ostringstream s;
    s << file << ": run " << run << ", accepted " << accepted << ", rejected " << rejected
      << ", overridden " << overridden << ", skipped " << skipped << "; rejections:";
    for (auto [code, n] : codes) s << ' ' << to_string(code) << '=' << n;
    return s.str();
  }
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

/// The checks every file ends with: nothing disagrees, and nothing was silently left out.
void expect_complete(const tally& t, const std::string& file, std::size_t number_of_tests,
                     std::size_t documented_skips) {
  std::cout << "[ vectors  ] " << t.summary(file) << "\n";
  EXPECT_TRUE(t.disagreements.empty()) << file << " disagreements:\n" << joined(t.disagreements);
  EXPECT_EQ(t.skipped, documented_skips) << file;
  EXPECT_EQ(t.run, number_of_tests - documented_skips) << file;
}

/// Upstream expectations this harness corrects (OVERRIDES.md has the reasons), by file and tcId.
struct correction {
  int tc_id;
  expectation want;
};

const std::map<std::string, std::vector<correction>>& corrections() {
  static const std::map<std::string, std::vector<correction>> table = {
      {"rsa_pss_2048_sha256_mgf1_0_test.json",
       {
           // "s_len changed to 32": invalid under the file's salt length 0, but salt 32 is exactly
           // what PS256 pins (RFC 7518 §3.5), so the signature is a valid PS256 signature.
           {69, {true, std::nullopt, true}},
       }},
      {"json_web_signature_test.json",
       {
           // Byte-identical to tcId 357 (valid): the padding they were meant to carry is gone.
           {367, {true, std::nullopt, true}},
           {370, {true, std::nullopt, true}},
           // A '?' inside a segment: not base64url, and the MAC no longer matches.
           {372, {false, errc::malformed_token, true}},
           {373, {false, errc::malformed_token, true}},
           // The key is bound to PS256 and the token says PS384 (RFC 8725 §3.1).
           {346, {false, errc::algorithm_not_allowed, true}},
           {350, {false, errc::algorithm_not_allowed, true}},
           // The key says "ES521", which is no JWS algorithm: refused when the key is loaded.
           {347, {false, errc::unsupported_algorithm, true}},
           {351, {false, errc::unsupported_algorithm, true}},
       }},
  };
  return table;
}

std::optional<expectation> correction_for(const std::string& file, int tc_id) {
  auto it = corrections().find(file);
  if (it == corrections().end()) return std::nullopt;
  for (const auto& c : it->second)
    if (c.tc_id == tc_id) return c.want;
  return std::nullopt;
}

// --- crypto layer ------------------------------------------------------------------------------

enum class family {
  ecdsa_p1363,   // ES*: raw R||S, as JWS carries it
  ecdsa_der,     // DER in a JWS slot: format confusion, all rejected
  eddsa,         // Ed25519 / Ed448
  hmac,          // HS*: full tag and full-length key only
  rsa_pkcs1,     // RS*
  rsa_pss,       // PS*: salt = hash length
  rsa_pss_salt0  // salt length 0 under PS256: all rejected (salt pinned, RFC 7518 §3.5)
};

struct crypto_file {
  const char* name;
  algorithm alg;
  family kind;
};

void PrintTo(const crypto_file& f, std::ostream* os) { *os << f.name; }

expectation crypto_expectation(const crypto_file& f, const vector_json& group,
                               const vector_json& test) {
  if (auto fixed = correction_for(f.name, test.at("tcId"))) return *fixed;
  expectation want = upstream(test);
  const bool valid = want.accept;
  if (f.kind == family::ecdsa_der || f.kind == family::rsa_pss_salt0)
    return rejected_as(errc::invalid_signature, valid || want.overridden);
  if (f.kind == family::hmac) {
    // RFC 7518 §3.2: the key is at least as long as the hash (refused at load), and the tag is
    // the full HMAC output (a truncated tag is a wrong-length signature).
    const std::size_t hash_bits = 8 * crypto::hmac_tag_bytes(f.alg);
    if (group.at("keySize").get<std::size_t>() < hash_bits)
      return rejected_as(errc::weak_key, valid);
    if (group.at("tagSize").get<std::size_t>() < hash_bits)
      return rejected_as(errc::invalid_signature, valid);
  }
  if (!want.accept) want.code = errc::invalid_signature;  // crypto::verify has one failure code
  return want;
}

result<key> crypto_key(const crypto_file& f, const vector_json& group, const vector_json& test) {
  if (f.kind == family::hmac)
    return key::from_secret(test::from_hex(test.at("key").get<std::string>()), f.alg);
  return key::from_pem(group.at("publicKeyPem").get<std::string>(), f.alg);
}

outcome crypto_outcome(const crypto_file& f, const result<key>& k, const vector_json& test) {
  if (!k) return {false, k.code()};
  const std::string msg = test::from_hex(test.at("msg").get<std::string>());
  const std::string sig =
      test::from_hex(test.at(f.kind == family::hmac ? "tag" : "sig").get<std::string>());
  auto r = crypto::verify(k->material(), f.alg, msg, test::bytes_of(sig));
  if (r) return {true, errc::internal_error};
  return {false, r.code()};
}

class wycheproof_crypto : public testing::TestWithParam<crypto_file> {};

TEST_P(wycheproof_crypto, every_vector_matches) {
  const crypto_file& f = GetParam();
  const vector_json doc = load_vectors(f.name);
  tally t;
  for (const auto& group : doc.at("testGroups")) {
    // One key per group, except HMAC, whose key is per vector.
    std::optional<result<key>> group_key;
    if (f.kind != family::hmac) group_key.emplace(crypto_key(f, group, {}));
    for (const auto& test : group.at("tests")) {
      const result<key> k = group_key ? *group_key : crypto_key(f, group, test);
      t.record(test.at("tcId"), crypto_expectation(f, group, test), crypto_outcome(f, k, test));
    }
  }
  expect_complete(t, f.name, doc.at("numberOfTests"), 0);
}

constexpr crypto_file crypto_files[] = {
    {"ecdsa_secp256r1_sha256_p1363_test.json", algorithm::es256, family::ecdsa_p1363},
    {"ecdsa_secp384r1_sha384_p1363_test.json", algorithm::es384, family::ecdsa_p1363},
    {"ecdsa_secp521r1_sha512_p1363_test.json", algorithm::es512, family::ecdsa_p1363},
    {"ecdsa_secp256r1_sha256_test.json", algorithm::es256, family::ecdsa_der},
    {"ecdsa_secp384r1_sha384_test.json", algorithm::es384, family::ecdsa_der},
    {"ecdsa_secp521r1_sha512_test.json", algorithm::es512, family::ecdsa_der},
    {"ed25519_test.json", algorithm::ed25519, family::eddsa},
    {"ed448_test.json", algorithm::ed448, family::eddsa},
    {"hmac_sha256_test.json", algorithm::hs256, family::hmac},
    {"hmac_sha384_test.json", algorithm::hs384, family::hmac},
    {"hmac_sha512_test.json", algorithm::hs512, family::hmac},
    {"rsa_signature_2048_sha256_test.json", algorithm::rs256, family::rsa_pkcs1},
    {"rsa_signature_2048_sha384_test.json", algorithm::rs384, family::rsa_pkcs1},
    {"rsa_signature_2048_sha512_test.json", algorithm::rs512, family::rsa_pkcs1},
    {"rsa_signature_3072_sha256_test.json", algorithm::rs256, family::rsa_pkcs1},
    {"rsa_signature_3072_sha384_test.json", algorithm::rs384, family::rsa_pkcs1},
    {"rsa_signature_3072_sha512_test.json", algorithm::rs512, family::rsa_pkcs1},
    {"rsa_signature_4096_sha256_test.json", algorithm::rs256, family::rsa_pkcs1},
    {"rsa_signature_4096_sha384_test.json", algorithm::rs384, family::rsa_pkcs1},
    {"rsa_signature_4096_sha512_test.json", algorithm::rs512, family::rsa_pkcs1},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", algorithm::ps256, family::rsa_pss},
    {"rsa_pss_3072_sha256_mgf1_32_test.json", algorithm::ps256, family::rsa_pss},
    {"rsa_pss_4096_sha256_mgf1_32_test.json", algorithm::ps256, family::rsa_pss},
    {"rsa_pss_2048_sha384_mgf1_48_test.json", algorithm::ps384, family::rsa_pss},
    {"rsa_pss_4096_sha384_mgf1_48_test.json", algorithm::ps384, family::rsa_pss},
    {"rsa_pss_4096_sha512_mgf1_64_test.json", algorithm::ps512, family::rsa_pss},
    {"rsa_pss_2048_sha256_mgf1_0_test.json", algorithm::ps256, family::rsa_pss_salt0},
};

INSTANTIATE_TEST_SUITE_P(wycheproof, wycheproof_crypto, testing::ValuesIn(crypto_files),
                         stem<crypto_file>);

// --- JWS layer ---------------------------------------------------------------------------------

/// Rejections whose exact code this harness also pins (upstream already expects rejection).
const std::map<std::string, std::map<int, errc>>& pinned_codes() {
  static const std::map<std::string, std::map<int, errc>> table = {
      {"json_web_signature_test.json",
       {{16, errc::unsupported_algorithm},   // alg none
        {17, errc::malformed_token},         // JSON serialization given as a string
        {31, errc::algorithm_not_allowed},   // HS256 over the EC key's bytes
        {32, errc::unsupported_header},      // embedded jwk
        {341, errc::unsupported_algorithm},  // "none"
        {342, errc::unsupported_algorithm},  // "NONE"
        {343, errc::unsupported_algorithm},
        {344, errc::unsupported_algorithm},
        {353, errc::invalid_key},  // use: enc
        {354, errc::invalid_key},
        {355, errc::invalid_key},  // key_ops: encrypt
        {356, errc::invalid_key},
        {374, errc::invalid_signature},
        {375, errc::invalid_base64}}},  // non-zero unused bits in the payload
      {"json_web_crypto_test.json",
       {{16, errc::unsupported_algorithm},
        {31, errc::algorithm_not_allowed},
        {32, errc::unsupported_header},
        {46, errc::weak_key},       // ROCA modulus
        {47, errc::invalid_key}}},  // HMAC secret and EC key in one set
      {"json_web_key_test.json",
       {{1, errc::invalid_key},  // mixed symmetric and asymmetric set
        {3, errc::invalid_signature},
        {4, errc::invalid_key},            // duplicate kid
        {6, errc::invalid_configuration},  // the only key is use: enc, so the set is empty
        {7, errc::weak_key},               // ROCA modulus
        {8, errc::weak_key},               // 1024-bit RSA
        {9, errc::weak_key},               // e = 1
        {10, errc::weak_key},              // HMAC secrets shorter than the hash
        {11, errc::weak_key},
        {12, errc::weak_key},
        {16, errc::weak_key},  // empty HMAC secrets
        {17, errc::weak_key},
        {18, errc::weak_key},
        {19, errc::unsupported_algorithm},    // "ES521"
        {20, errc::unsupported_algorithm},    // "ES224"
        {21, errc::invalid_configuration},    // use: enc, skipped, so the set is empty
        {22, errc::invalid_key},              // point not on the curve
        {23, errc::invalid_key},              // P-256 coordinates under crv P-384
        {24, errc::invalid_key},              // EC members under kty RSA
        {25, errc::unsupported_algorithm},    // A256GCM
        {26, errc::unsupported_algorithm}}},  // A256KW
  };
  return table;
}

expectation jws_expectation(const std::string& file, const vector_json& test) {
  const int tc_id = test.at("tcId");
  if (auto fixed = correction_for(file, tc_id)) return *fixed;
  expectation want = upstream(test);
  if (auto it = pinned_codes().find(file); it != pinned_codes().end())
    if (auto code = it->second.find(tc_id); code != it->second.end()) want.code = code->second;
  return want;
}

/// The group's keys: the public part when given, else the private JWK or JWK Set.
result<key_set> jws_keys(const vector_json& group) {
  const vector_json& jwk = group.contains("public") ? group.at("public") : group.at("private");
  if (jwk.contains("keys")) return key_set::from_jwks(jwk.dump());
  auto k = key::from_jwk(jwk.dump());
  if (!k) return k.error();
  key_set set;
  if (auto r = set.add(std::move(*k)); !r) return r.error();
  return set;
}

/// A JWS verifier for the keys: each key's algorithm allowed, no claim required.
result<verifier> jws_verifier(key_set keys) {
  verifier_options o;
  for (const key& k : keys.keys())
    if (std::find(o.algorithms.begin(), o.algorithms.end(), k.alg()) == o.algorithms.end())
      o.algorithms.push_back(k.alg());
  o.keys = std::move(keys);
  o.required_claims.clear();  // JWS vectors carry no exp
  o.clock = fixed_clock(test::now);
  return verifier::create(std::move(o));
}

// These payloads are arbitrary bytes ("foo"), not JWT claims. The verifier checks the signature
// before it reads the payload (RFC 7515 §5.2, then RFC 7519 §7.2), so for a well-encoded payload
// that is not a JSON object, "the JWS verified" shows as exactly the code decoding that payload
// gives. A payload that is not canonical base64url is a JWS-layer rejection, not this case.
std::optional<errc> claims_refusal(std::string_view token) {
  auto seg = compact::split(token);
  if (!seg || !base64url::decode(seg->payload)) return std::nullopt;
  auto claims = compact::decode_object(seg->payload, json::slot::payload, json::claims_limits);
  if (claims) return std::nullopt;
  return claims.code();
}

outcome jws_outcome(const result<verifier>& v, std::string_view token) {
  if (!v) return {false, v.code()};
  auto r = v->verify(token);
  if (r) return {true, errc::internal_error};
  const errc code = r.code();
  if (claims_refusal(token) == code) return {true, errc::internal_error};
  return {false, code};
}

bool is_jwe_group(const vector_json& group) {
  return group.at("comment").get<std::string>().rfind("jwe", 0) == 0;
}

struct jws_file {
  const char* name;
  std::size_t documented_skips;  // vectors left out by design (the comments in the loop say why)
};

void PrintTo(const jws_file& f, std::ostream* os) { *os << f.name; }

class wycheproof_jws : public testing::TestWithParam<jws_file> {};

TEST_P(wycheproof_jws, every_vector_matches) {
  const std::string file = GetParam().name;
  const vector_json doc = load_vectors(file);
  tally t;
  for (const auto& group : doc.at("testGroups")) {
    // JWE is not what this library does; JSON-serialization objects cannot be compact tokens.
    // A JSON serialization given as a string still runs: the compact verifier must refuse it.
    if (is_jwe_group(group)) {
      t.skipped += group.at("tests").size();
      continue;
    }
    auto keys = jws_keys(group);
    const result<verifier> v =
        keys ? jws_verifier(std::move(*keys)) : result<verifier>(keys.error());
    for (const auto& test : group.at("tests")) {
      if (!test.at("jws").is_string()) {
        ++t.skipped;
        continue;
      }
      t.record(test.at("tcId"), jws_expectation(file, test),
               jws_outcome(v, test.at("jws").get<std::string>()));
    }
  }
  expect_complete(t, file, doc.at("numberOfTests"), GetParam().documented_skips);
}

constexpr jws_file jws_files[] = {
    {"json_web_signature_test.json", 0},
    {"json_web_crypto_test.json", 34 + 1},  // the tests of the jwe_* groups, and tcId 17
    {"json_web_key_test.json", 0},
};

INSTANTIATE_TEST_SUITE_P(wycheproof, wycheproof_jws, testing::ValuesIn(jws_files), stem<jws_file>);

}  // namespace
}  // namespace jwtfort
