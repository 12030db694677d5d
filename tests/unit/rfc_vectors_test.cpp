// The JWS examples of RFC 7515 Appendix A, RFC 7520 §4 and RFC 8037 Appendix A
// (tests/vectors/rfc/jws_examples.json): each verifies, or is refused with the exact code, and the
// deterministic algorithms (HS256, RS256, Ed25519) reproduce the RFC's signature byte for byte.

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/base64url.hpp"
#include "crypto/crypto.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/verifier.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

using example_json = nlohmann::json;

const example_json& examples_file() {
  static const example_json doc = [] {
    std::ifstream in(std::string(JWTFORT_VECTORS_DIR) + "/rfc/jws_examples.json");
    if (!in) throw std::runtime_error("cannot open rfc/jws_examples.json");
    return example_json::parse(in);
  }();
  return doc;
}

const example_json& example(std::string_view name) {
  for (const auto& e : examples_file().at("examples"))
    if (e.at("name") == name) return e;
  throw std::runtime_error("no RFC example " + std::string(name));
}

algorithm alg_of(const example_json& e) {
  return algorithm_from_string(e.at("alg").get<std::string>()).value();
}

/// The RFC's key, bound to the example's algorithm.
key key_of(const example_json& e) {
  return test::must(key::from_jwk(e.at("key").dump(), alg_of(e)), "RFC key");
}

/// An example and its key, parsed once for all the checks a test makes.
struct loaded_example {
  const example_json& json;
  key k;
};

loaded_example load(std::string_view name) {
  const example_json& e = example(name);
  return {e, key_of(e)};
}

/// A verifier for the example's key (bound to the example's algorithm), at one second before
/// the RFC 7515 tokens' exp (1300819380).
verifier verifier_for(const key& k) {
  verifier_options o = test::options_for(k);
  o.clock = fixed_clock(examples_file().at("not_before_expiry").get<std::int64_t>());
  return test::make_verifier(std::move(o));
}

/// The bytes the token's signature covers: `header.payload`, as the token carries them.
std::string signing_input_of(const test::parts& p) { return p.header + "." + p.payload; }

/// The code with this wire name, among those the examples expect.
errc errc_from(const std::string& name) {
  for (errc code : {errc::unsupported_algorithm, errc::invalid_signature})
    if (to_string(code) == name) return code;
  throw std::runtime_error("unexpected errc name " + name);
}

/// The token's header and payload segments decode to exactly the octets the RFC shows.
void expect_rfc_octets(const example_json& e) {
  const test::parts p = test::split(e.at("token").get<std::string>());
  EXPECT_EQ(test::unb64(p.header), e.at("header").get<std::string>());
  EXPECT_EQ(test::unb64(p.payload), e.at("payload").get<std::string>());
}

/// The example's outcome through the compact verifier, plus a direct check of the signature.
void expect_outcome(const loaded_example& x) {
  const example_json& e = x.json;
  SCOPED_TRACE(e.at("name").get<std::string>());
  const std::string token = e.at("token");
  const std::string outcome = e.at("outcome");
  auto r = verifier_for(x.k).verify(token);
  if (outcome == "verified") {
    ASSERT_OK(r);
    EXPECT_EQ(r->issuer(), "joe");
    EXPECT_EQ(r->expires_at(), 1300819380);
    EXPECT_EQ(r->claims_json(), e.at("payload").get<std::string>());
  } else if (outcome == "signature_only") {
    // The payload is text, not a claims set: the verifier reads it only after the signature
    // verified (RFC 7515 §5.2 before RFC 7519 §7.2), so the refusal is about JSON.
    EXPECT_ERRC(r, errc::invalid_json);
  } else {
    EXPECT_ERRC(r, errc_from(e.at("errc").get<std::string>()));
    return;
  }
  const test::parts p = test::split(token);
  const std::string sig = test::unb64(p.signature);
  EXPECT_OK(crypto::verify(x.k.material(), alg_of(e), signing_input_of(p), test::bytes_of(sig)));
}

/// Signing the RFC's signing input with jwtfort gives the RFC's signature (deterministic algs).
void expect_same_signature(const loaded_example& x) {
  const example_json& e = x.json;
  SCOPED_TRACE(e.at("name").get<std::string>());
  ASSERT_TRUE(e.at("deterministic").get<bool>());
  const test::parts p = test::split(e.at("token").get<std::string>());
  auto sig = crypto::sign(x.k.material(), alg_of(e), signing_input_of(p));
  ASSERT_OK(sig);
  EXPECT_EQ(test::b64(*sig), p.signature);
}

TEST(rfc_vectors, every_example_keeps_the_rfc_octets) {
  std::size_t count = 0;
  for (const auto& e : examples_file().at("examples")) {
    SCOPED_TRACE(e.at("name").get<std::string>());
    if (e.at("payload").get<std::string>().empty()) continue;  // RFC 7520 §4.5: detached
    expect_rfc_octets(e);
    ++count;
  }
  EXPECT_EQ(count, 10u);
  // RFC 7515 A.1 keeps its CR LF line breaks in both header and payload.
  EXPECT_NE(example("rfc7515_a1").at("header").get<std::string>().find("\r\n "), std::string::npos);
  EXPECT_NE(example("rfc7515_a1").at("payload").get<std::string>().find("\r\n "),
            std::string::npos);
}

TEST(rfc7515, a1_hs256_verifies_and_signs_identically) {
  const loaded_example e = load("rfc7515_a1");
  expect_outcome(e);
  expect_same_signature(e);
}

TEST(rfc7515, a1_is_expired_at_its_exp) {
  const loaded_example a1 = load("rfc7515_a1");
  verifier_options o = verifier_for(a1.k).options();
  o.clock = fixed_clock(1300819380);
  EXPECT_ERRC(test::make_verifier(std::move(o)).verify(a1.json.at("token").get<std::string>()),
              errc::expired);
}

TEST(rfc7515, a2_rs256_verifies_and_signs_identically) {
  const loaded_example e = load("rfc7515_a2");
  expect_outcome(e);
  expect_same_signature(e);
}

TEST(rfc7515, a3_es256_verifies) { expect_outcome(load("rfc7515_a3")); }

TEST(rfc7515, a4_es512_signature_verifies) { expect_outcome(load("rfc7515_a4")); }

TEST(rfc7515, a5_unsecured_jws_is_refused) { expect_outcome(load("rfc7515_a5")); }

TEST(rfc7520, s4_1_rs256_verifies_and_signs_identically) {
  const loaded_example e = load("rfc7520_4_1");
  expect_outcome(e);
  expect_same_signature(e);
}

TEST(rfc7520, s4_2_ps384_verifies) { expect_outcome(load("rfc7520_4_2")); }

TEST(rfc7520, s4_3_es512_verifies) { expect_outcome(load("rfc7520_4_3")); }

TEST(rfc7520, s4_4_hs256_verifies_and_signs_identically) {
  const loaded_example e = load("rfc7520_4_4");
  expect_outcome(e);
  expect_same_signature(e);
}

TEST(rfc7520, s4_5_detached_content_in_compact_form_is_refused) {
  // The compact form leaves the payload out; the MAC covers the real payload, not the empty one.
  expect_outcome(load("rfc7520_4_5"));
}

TEST(rfc8037, a4_ed25519_signs_identically_and_a5_verifies) {
  const loaded_example e = load("rfc8037_a4_a5");
  expect_outcome(e);
  expect_same_signature(e);
}

}  // namespace
}  // namespace jwtfort
