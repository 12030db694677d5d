// Verifier configuration, claim validation and the verified_token accessors. Hostile inputs live
// in attacks_test.cpp; this file checks the ordinary rules and their boundaries.

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace jwtfort::test {
namespace {

const key& hs() { return test_key(algorithm::hs256); }

std::string token_with(std::string_view payload) {
  return make_token(header_for(algorithm::hs256), payload, hs());
}

result<verified_token> verify_payload(
    std::string_view payload, void (*tweak)(verifier_options&) = [](verifier_options&) {}) {
  return verify_with(hs(), token_with(payload), tweak);
}

TEST(verifier, create_refuses_incomplete_options) {
  verifier_options none = options_for(hs());
  none.algorithms.clear();
  EXPECT_ERRC(verifier::create(none), errc::invalid_configuration);

  verifier_options no_keys;
  no_keys.algorithms = {algorithm::hs256};
  EXPECT_ERRC(verifier::create(no_keys), errc::invalid_configuration);

  verifier_options unmatched = options_for(hs());
  unmatched.algorithms.push_back(algorithm::rs256);  // no RS256 key configured
  EXPECT_ERRC(verifier::create(unmatched), errc::invalid_configuration);

  for (std::int64_t leeway : {std::int64_t{-1}, std::int64_t{301}}) {
    verifier_options o = options_for(hs());
    o.leeway_seconds = leeway;
    EXPECT_ERRC(verifier::create(o), errc::invalid_configuration) << leeway;
  }
  for (std::size_t size : {std::size_t{0}, std::size_t{65537}}) {
    verifier_options o = options_for(hs());
    o.max_token_bytes = size;
    EXPECT_ERRC(verifier::create(o), errc::invalid_configuration) << size;
  }
  verifier_options edge = options_for(hs());
  edge.leeway_seconds = 300;
  edge.max_token_bytes = 65536;
  EXPECT_OK(verifier::create(edge));
}

TEST(verifier, exp_is_required_by_default_and_can_be_waived) {
  EXPECT_ERRC(verify_payload(R"({"sub":"a"})"), errc::missing_claim);
  EXPECT_OK(
      verify_payload(R"({"sub":"a"})", [](verifier_options& o) { o.required_claims.clear(); }));
}

TEST(verifier, required_claims_are_checked_by_name) {
  auto need_jti = [](verifier_options& o) { o.required_claims = {"exp", "jti"}; };
  EXPECT_ERRC(verify_payload(good_payload(), need_jti), errc::missing_claim);
  const std::string with_jti = R"({"jti":"j1","exp":)" + std::to_string(now + 10) + "}";
  EXPECT_OK(verify_payload(with_jti, need_jti));
}

// A required claim that is not a registered one (the token service requires "type") is checked
// by the one-pass claims reader as by the full parser: present with any value, or named when
// missing. An escaped name or a nested value sends a token to the full parser; the outcome is the
// same. More than eight such names are left to the full parser alone.
TEST(verifier, required_claims_of_any_name_on_both_paths) {
  const std::string exp = R"("exp":)" + std::to_string(now + 10);
  auto need = [](std::vector<std::string> names) {
    return [names](verifier_options& o) { o.required_claims = names; };
  };
  auto check = [&](std::vector<std::string> names, const std::string& payload) {
    verifier_options o = options_for(hs());
    need(names)(o);
    return outcome(make_verifier(o).verify(token_with(payload)));
  };
  const std::vector<std::string> type = {"exp", "type"};
  EXPECT_EQ(check(type, "{" + exp + R"(,"type":"access"})"), "ok");
  EXPECT_EQ(check(type, "{" + exp + R"(,"type":null})"), "ok");
  EXPECT_EQ(check(type, "{" + exp + R"(,"type":{"nested":[1]}})"), "ok");
  EXPECT_EQ(check(type, "{" + exp + R"(,"typ\u0065":"access"})"), "ok");
  const std::string missing_type = R"(missing_claim: required claim "type" is missing)";
  EXPECT_EQ(check(type, "{" + exp + R"(,"typ":"access"})"), missing_type);
  EXPECT_EQ(check(type, "{" + exp + R"(,"types":"access"})"), missing_type);
  EXPECT_EQ(check(type, "{" + exp + R"(,"x":"\u00e9"})"), missing_type);
  // The first missing name in the order required, whichever path.
  const std::vector<std::string> two = {"exp", "a", "b"};
  EXPECT_EQ(check(two, "{" + exp + R"(,"b":1})"),
            R"(missing_claim: required claim "a" is missing)");
  EXPECT_EQ(check(two, "{" + exp + R"(,"b":1.5})"),
            R"(missing_claim: required claim "a" is missing)");
  EXPECT_EQ(check(two, "{" + exp + R"(,"a":1,"b":true})"), "ok");
  // Nine other names: more than the fast path's byte of bits.
  std::vector<std::string> nine = {"exp"};
  std::string all = "{" + exp;
  for (char c = 'a'; c < 'j'; ++c) {
    nine.emplace_back(1, c);
    all += std::string(R"(,")") + c + R"(":0)";
  }
  EXPECT_EQ(check(nine, all + "}"), "ok");
  EXPECT_EQ(check(nine, "{" + exp + R"(,"a":0})"),
            R"(missing_claim: required claim "b" is missing)");
}

TEST(verifier, time_window_boundaries_with_leeway) {
  auto at = [](std::string_view name, std::int64_t value) {
    return R"({"exp":)" + std::to_string(name == "exp" ? value : now + 100) +
           (name == "exp" ? "" : ",\"" + std::string(name) + "\":" + std::to_string(value)) + "}";
  };
  auto leeway30 = [](verifier_options& o) { o.leeway_seconds = 30; };
  // exp: valid while now < exp + leeway.
  EXPECT_ERRC(verify_payload(at("exp", now)), errc::expired);
  EXPECT_OK(verify_payload(at("exp", now + 1)));
  EXPECT_ERRC(verify_payload(at("exp", now - 30), leeway30), errc::expired);
  EXPECT_OK(verify_payload(at("exp", now - 29), leeway30));
  // nbf: valid once now + leeway >= nbf.
  EXPECT_OK(verify_payload(at("nbf", now)));
  EXPECT_ERRC(verify_payload(at("nbf", now + 1)), errc::not_yet_valid);
  EXPECT_OK(verify_payload(at("nbf", now + 30), leeway30));
  EXPECT_ERRC(verify_payload(at("nbf", now + 31), leeway30), errc::not_yet_valid);
  // iat: not in the future beyond the leeway.
  EXPECT_OK(verify_payload(at("iat", now)));
  EXPECT_ERRC(verify_payload(at("iat", now + 1)), errc::issued_in_future);
  EXPECT_OK(verify_payload(at("iat", now + 30), leeway30));
  EXPECT_ERRC(verify_payload(at("iat", now + 31), leeway30), errc::issued_in_future);
}

TEST(verifier, the_clock_is_read_per_verification) {
  std::int64_t t = now;
  verifier_options o = options_for(hs());
  o.clock = [&t] { return t; };
  const verifier v = make_verifier(o);
  const std::string token = token_with(R"({"exp":)" + std::to_string(now + 5) + "}");
  EXPECT_OK(v.verify(token));
  t = now + 5;
  EXPECT_ERRC(v.verify(token), errc::expired);
}

// With the real clock the verifier reads the kernel's coarse clock and the precise one only near
// a bound (check_time_window). Whatever second boundary falls between reading the time here and
// the verification, a token issued, or valid from, this second is accepted and one expiring this
// second is refused: run across two boundaries, where a coarse reading lags the precise second.
TEST(verifier, the_wall_clock_decides_to_the_second) {
  verifier_options o = options_for(hs());
  o.clock = system_now;
  o.required_claims.clear();
  const verifier v = make_verifier(o);
  const std::int64_t start = system_now();
  std::size_t rounds = 0;
  for (std::int64_t t = start; t < start + 2; t = system_now(), ++rounds) {
    const std::string s = std::to_string(t);
    ASSERT_ERRC(v.verify(token_with(R"({"exp":)" + s + "}")), errc::expired) << t;
    ASSERT_OK(v.verify(token_with(R"({"iat":)" + s + "}"))) << t;
    ASSERT_OK(v.verify(token_with(R"({"nbf":)" + s + "}"))) << t;
    ASSERT_OK(v.verify(token_with(R"({"exp":)" + std::to_string(t + 2) + "}"))) << t;
    ASSERT_ERRC(v.verify(token_with(R"({"iat":)" + std::to_string(t + 2) + "}")),
                errc::issued_in_future)
        << t;
  }
  EXPECT_GT(rounds, 0u);
}

TEST(verifier, issuer_is_an_exact_match) {
  auto expect_iss = [](verifier_options& o) { o.issuer = "https://auth.example.com"; };
  auto with_iss = [](std::string_view iss) {
    return R"({"iss":")" + std::string(iss) + R"(","exp":)" + std::to_string(now + 10) + "}";
  };
  EXPECT_OK(verify_payload(with_iss("https://auth.example.com"), expect_iss));
  EXPECT_ERRC(verify_payload(with_iss("https://auth.example.com/"), expect_iss),
              errc::invalid_issuer);
  EXPECT_ERRC(verify_payload(with_iss("HTTPS://AUTH.EXAMPLE.COM"), expect_iss),
              errc::invalid_issuer);
  EXPECT_ERRC(verify_payload(good_payload(), expect_iss), errc::missing_claim);
  EXPECT_ERRC(verify_payload(R"({"iss":7,"exp":)" + std::to_string(now + 10) + "}", expect_iss),
              errc::invalid_claim);
}

TEST(verifier, audience_string_or_array) {
  auto expect_aud = [](verifier_options& o) { o.audiences = {"api", "admin"}; };
  auto with_aud = [](std::string_view aud_json) {
    return R"({"aud":)" + std::string(aud_json) + R"(,"exp":)" + std::to_string(now + 10) + "}";
  };
  EXPECT_OK(verify_payload(with_aud(R"("api")"), expect_aud));
  EXPECT_OK(verify_payload(with_aud(R"(["other","admin"])"), expect_aud));
  EXPECT_ERRC(verify_payload(with_aud(R"("other")"), expect_aud), errc::invalid_audience);
  EXPECT_ERRC(verify_payload(with_aud(R"(["other"])"), expect_aud), errc::invalid_audience);
  EXPECT_ERRC(verify_payload(good_payload(), expect_aud), errc::missing_claim);
  // No audience configured: a token that names one is not for us, unless explicitly ignored.
  EXPECT_ERRC(verify_payload(with_aud(R"("api")")), errc::invalid_audience);
  EXPECT_OK(
      verify_payload(with_aud(R"("api")"), [](verifier_options& o) { o.ignore_audience = true; }));
}

TEST(verifier, type_is_a_case_insensitive_media_type) {
  auto need_at = [](verifier_options& o) { o.type = "at+jwt"; };
  auto with_typ = [](std::string_view typ) {
    return make_token(R"({"alg":"HS256","typ":")" + std::string(typ) + R"("})", good_payload(),
                      hs());
  };
  EXPECT_OK(verify_with(hs(), with_typ("at+jwt"), need_at));
  EXPECT_OK(verify_with(hs(), with_typ("AT+JWT"), need_at));
  EXPECT_OK(verify_with(hs(), with_typ("application/at+jwt"), need_at));
  EXPECT_ERRC(verify_with(hs(), with_typ("JWT"), need_at), errc::invalid_type);
  EXPECT_ERRC(verify_with(hs(), make_token(R"({"alg":"HS256"})", good_payload(), hs()), need_at),
              errc::invalid_type);
  // Without a required type any typ is accepted.
  EXPECT_OK(verify_with(hs(), with_typ("whatever")));
}

TEST(verifier, kid_selects_the_key) {
  const key a = test_key(algorithm::hs256).with_id("a");
  const key b = must(key::from_secret(std::string(32, 'b'), algorithm::hs256)).with_id("b");
  verifier_options o = options_for(a);
  must(o.keys.add(b));
  const verifier v = make_verifier(o);
  EXPECT_OK(v.verify(make_token(R"({"alg":"HS256","kid":"a"})", good_payload(), a)));
  EXPECT_OK(v.verify(make_token(R"({"alg":"HS256","kid":"b"})", good_payload(), b)));
  EXPECT_ERRC(v.verify(make_token(R"({"alg":"HS256","kid":"b"})", good_payload(), a)),
              errc::invalid_signature);
  EXPECT_ERRC(v.verify(make_token(R"({"alg":"HS256","kid":"c"})", good_payload(), a)),
              errc::unknown_key);
}

TEST(verifier, token_size_limit_is_checked_first) {
  verifier_options o = options_for(hs());
  o.max_token_bytes = 64;
  const verifier v = make_verifier(o);
  EXPECT_ERRC(v.verify(std::string(65, 'a')), errc::token_too_large);
  EXPECT_ERRC(v.verify(std::string(64, 'a')), errc::malformed_token);
}

TEST(verifier, verified_token_accessors) {
  const std::string payload = R"({"sub":"alice","iss":"https://i","jti":"j-1","exp":)" +
                              std::to_string(now + 60) + R"(,"nbf":)" + std::to_string(now - 1) +
                              R"(,"iat":)" + std::to_string(now - 2) +
                              R"(,"roles":["admin","ops"],"fresh":true,"n":42,"obj":{"a":[1,2]}})";
  const key a = test_key(algorithm::hs256).with_id("k1");
  verifier_options o = options_for(a);
  o.issuer = "https://i";
  const auto t =
      make_verifier(o).verify(make_token(R"({"alg":"HS256","kid":"k1","typ":"JWT"})", payload, a));
  ASSERT_OK(t);
  EXPECT_EQ(t->alg(), algorithm::hs256);
  EXPECT_EQ(t->key_id(), "k1");
  EXPECT_EQ(t->header_json(), R"({"alg":"HS256","kid":"k1","typ":"JWT"})");
  EXPECT_EQ(t->claims_json(), payload);
  EXPECT_EQ(t->subject(), "alice");
  EXPECT_EQ(t->issuer(), "https://i");
  EXPECT_EQ(t->jwt_id(), "j-1");
  EXPECT_EQ(t->expires_at(), now + 60);
  EXPECT_EQ(t->not_before(), now - 1);
  EXPECT_EQ(t->issued_at(), now - 2);
  EXPECT_TRUE(t->has_claim("fresh"));
  EXPECT_FALSE(t->has_claim("missing"));
  EXPECT_EQ(t->bool_claim("fresh"), true);
  EXPECT_EQ(t->integer_claim("n"), 42);
  EXPECT_EQ(t->string_claim("sub"), "alice");
  EXPECT_EQ(t->string_claim("n"), std::nullopt);
  EXPECT_EQ(t->claim_json("obj"), R"({"a":[1,2]})");
  EXPECT_EQ(t->string_list_claim("roles"), (std::vector<std::string>{"admin", "ops"}));
  EXPECT_EQ(t->string_list_claim("sub"), (std::vector<std::string>{"alice"}));  // a list of one
  EXPECT_EQ(t->string_list_claim("n"), std::nullopt);
}

// The claim accessors read the usual claims object with the one-pass reader and anything else
// with the full parser: the same claims give the same answers either way (an escaped member sends
// the second token to the full parser).
TEST(verified_token, claim_accessors_agree_on_both_paths) {
  const std::string members = R"("exp":)" + std::to_string(now + 60) +
                              R"(,"s":"str","n":42,"neg":-7,"t":true,"f":false,"z":null,)"
                              R"("arr":["a","b"],"mixed":[1,"a"],"e":[])";
  const auto flat = verify_payload("{" + members + "}");
  const auto full = verify_payload("{" + members + R"(,"x":"\u00e9"})");
  ASSERT_OK(flat);
  ASSERT_OK(full);
  for (const char* name : {"s", "n", "neg", "t", "f", "z", "arr", "mixed", "e", "missing"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(flat->has_claim(name), full->has_claim(name));
    EXPECT_EQ(flat->string_claim(name), full->string_claim(name));
    EXPECT_EQ(flat->integer_claim(name), full->integer_claim(name));
    EXPECT_EQ(flat->bool_claim(name), full->bool_claim(name));
    EXPECT_EQ(flat->string_list_claim(name), full->string_list_claim(name));
  }
  EXPECT_EQ(flat->string_claim("s"), "str");
  EXPECT_EQ(flat->integer_claim("neg"), -7);
  EXPECT_EQ(flat->integer_claim("s"), std::nullopt);
  EXPECT_EQ(flat->bool_claim("f"), false);
  EXPECT_EQ(flat->bool_claim("z"), std::nullopt);
  EXPECT_TRUE(flat->has_claim("z"));
  EXPECT_FALSE(flat->has_claim("missing"));
  EXPECT_EQ(flat->string_list_claim("arr"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(flat->string_list_claim("s"), (std::vector<std::string>{"str"}));
  EXPECT_EQ(flat->string_list_claim("mixed"), std::nullopt);
  EXPECT_EQ(flat->string_list_claim("e"), std::vector<std::string>{});
}

// A token with one signature byte flipped in the middle (flipping the last character could
// leave non-zero trailing bits, which is an invalid_base64 rejection instead).
std::string with_flipped_signature(std::string token) {
  const std::size_t middle = token.rfind('.') + (token.size() - token.rfind('.')) / 2;
  token[middle] = token[middle] == 'A' ? 'B' : 'A';
  return token;
}

// A verifier is immutable and shared: concurrent verifications on one instance agree, for each
// key family (the crypto layer keeps per-thread contexts for HMAC and public keys alike).
TEST(verifier, shared_between_threads) {
  for (algorithm alg :
       {algorithm::hs256, algorithm::rs256, algorithm::ps256, algorithm::es256, algorithm::eddsa}) {
    SCOPED_TRACE(to_string(alg));
    const key& k = test_key(alg);
    const verifier v = make_verifier(options_for(k));
    const std::string good = make_token(header_for(alg), good_payload(), k);
    const std::string bad = with_flipped_signature(good);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
      threads.emplace_back([&] {
        for (int n = 0; n < 100; ++n) {
          if (!v.verify(good)) ++wrong;
          auto r = v.verify(bad);
          if (r || r.code() != errc::invalid_signature) ++wrong;
        }
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
  }
}

}  // namespace
}  // namespace jwtfort::test
