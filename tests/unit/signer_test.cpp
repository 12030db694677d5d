// Signer: header shape, extra header members, claim helpers and a round trip for every algorithm.

#include "test_support.hpp"

namespace jwtfort::test {
namespace {

verifier_options lenient_options(const key& k) {
  verifier_options o = options_for(k);
  o.clock = system_now;
  return o;
}

TEST(signer, round_trip_every_algorithm) {
  for (algorithm alg : all_algorithms) {
    SCOPED_TRACE(to_string(alg));
    const key& k = test_key(alg);
    const signer s = must(signer::create(k));
    const std::string token = must(s.sign(claims().subject("alice").expires_in(60)));
    const auto t = make_verifier(lenient_options(k)).verify(token);
    ASSERT_OK(t);
    EXPECT_EQ(t->subject(), "alice");
    EXPECT_EQ(t->alg(), alg);
  }
}

TEST(signer, header_carries_alg_kid_and_typ) {
  const key k = test_key(algorithm::hs256).with_id("key-1");
  const std::string token = must(must(signer::create(k)).sign_json(R"({"sub":"a"})"));
  EXPECT_EQ(unb64(split(token).header), R"({"alg":"HS256","kid":"key-1","typ":"JWT"})");
  EXPECT_EQ(unb64(split(token).payload), R"({"sub":"a"})");
}

TEST(signer, type_can_be_changed_or_left_out) {
  const key& k = test_key(algorithm::hs256);
  const signer s = must(signer::create(k));
  header_options at;
  at.type = "at+jwt";
  EXPECT_EQ(unb64(split(must(s.sign_json("{}", at))).header), R"({"alg":"HS256","typ":"at+jwt"})");
  header_options none;
  none.type.clear();
  EXPECT_EQ(unb64(split(must(s.sign_json("{}", none))).header), R"({"alg":"HS256"})");
}

TEST(signer, extra_header_members) {
  const signer s = must(signer::create(test_key(algorithm::hs256)));
  header_options h;
  h.extra_json = R"({"cty":"example","x-tenant":7})";
  EXPECT_EQ(unb64(split(must(s.sign_json("{}", h))).header),
            R"({"alg":"HS256","typ":"JWT","cty":"example","x-tenant":7})");
  // Members the signer owns cannot be overridden, and the extra text must be one JSON object.
  for (const char* bad :
       {R"({"alg":"none"})", R"({"kid":"x"})", R"({"typ":"x"})", "[1]", "{", R"({"a":1,"a":2})"}) {
    h.extra_json = bad;
    EXPECT_ERRC(s.sign_json("{}", h), errc::invalid_header) << bad;
  }
}

TEST(signer, claims_must_be_one_json_object) {
  const signer s = must(signer::create(test_key(algorithm::hs256)));
  EXPECT_ERRC(s.sign_json("[]"), errc::invalid_json);
  EXPECT_ERRC(s.sign_json(R"({"a":1} x)"), errc::invalid_json);
  EXPECT_ERRC(s.sign_json(R"({"sub":"a","sub":"b"})"), errc::duplicate_member);
}

TEST(signer, public_key_cannot_sign) {
  EXPECT_ERRC(signer::create(public_of(test_key(algorithm::es256))), errc::invalid_key);
}

TEST(signer, time_helpers_read_the_clock_once) {
  const claims c = claims().issued_now(fixed_clock(now)).expires_in(900, fixed_clock(now));
  EXPECT_EQ(c.to_json(),
            R"({"iat":)" + std::to_string(now) + R"(,"exp":)" + std::to_string(now + 900) + "}");
}

TEST(signer, hmac_and_eddsa_are_deterministic_ecdsa_is_not) {
  for (algorithm alg : {algorithm::hs256, algorithm::ed25519}) {
    const signer s = must(signer::create(test_key(alg)));
    EXPECT_EQ(must(s.sign_json(R"({"a":1})")), must(s.sign_json(R"({"a":1})"))) << to_string(alg);
  }
  const signer es = must(signer::create(test_key(algorithm::es256)));
  const std::string a = must(es.sign_json(R"({"a":1})")), b = must(es.sign_json(R"({"a":1})"));
  EXPECT_NE(a, b);
  EXPECT_EQ(unb64(split(a).signature).size(), 64u);  // R||S, 32 bytes each (RFC 7518 §3.4)
}

}  // namespace
}  // namespace jwtfort::test
