// claims: the builder, parsing, JSON escaping (RFC 8259 §7) and random jti.

#include "jwtfort/claims.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <set>
#include <string>

#include "core/json.hpp"
#include "test_support.hpp"

using namespace jwtfort;
using namespace jwtfort::test;
using namespace std::string_literals;

namespace {

std::string json_literal(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// What a strict parser reads back from a JSON string literal.
std::string parse_string_literal(const std::string& literal) {
  auto o = json::parse_object(json::slot::scratch, R"({"v":)" + literal + "}", json::claims_limits);
  if (!o) throw std::runtime_error(o.error().message);
  return std::string(*must(json::string_member(*o, "v", errc::invalid_json)));
}

}  // namespace

TEST(claims, builder_keeps_order) {
  claims c;
  c.issuer("https://issuer")
      .subject("alice")
      .audience("api")
      .jwt_id("id-1")
      .expires_at(1700003600)
      .not_before(1700000000)
      .issued_at(1699999999)
      .set("admin", true)
      .set("n", 7)
      .set("name", "Alice");
  EXPECT_EQ(c.to_json(),
            R"({"iss":"https://issuer","sub":"alice","aud":"api","jti":"id-1","exp":1700003600,)"
            R"("nbf":1700000000,"iat":1699999999,"admin":true,"n":7,"name":"Alice"})");
  EXPECT_EQ(c.members().size(), 10u);
  EXPECT_EQ(c.members()[1].first, "sub");
  EXPECT_EQ(claims{}.to_json(), "{}");
}

TEST(claims, setting_twice_replaces_in_place) {
  claims c;
  c.subject("a").set("x", 1).subject("b").set("x", "now a string");
  EXPECT_EQ(c.to_json(), R"({"sub":"b","x":"now a string"})");
  c.audience(std::vector<std::string>{"a", "b\"c"});
  c.audience("single");
  EXPECT_EQ(c.json_of("aud"), R"("single")");
  EXPECT_EQ(c.members().size(), 3u);
}

TEST(claims, audience_array) {
  EXPECT_EQ(claims{}.audience(std::vector<std::string>{"a", "b"}).to_json(),
            R"({"aud":["a","b"]})");
  EXPECT_EQ(claims{}.audience(std::vector<std::string>{"x\"y"}).to_json(), R"({"aud":["x\"y"]})");
  EXPECT_EQ(claims{}.audience(std::vector<std::string>{}).to_json(), R"({"aud":[]})");
}

TEST(claims, numbers_and_booleans) {
  claims c;
  c.set("i", std::numeric_limits<std::int64_t>::min())
      .set("j", std::numeric_limits<std::int64_t>::max())
      .set("k", 0)
      .set("d", 1.5)
      .set("e", 1e21)
      .set("f", -0.25)
      .set("t", true)
      .set("u", false);
  EXPECT_EQ(c.json_of("i"), "-9223372036854775808");
  EXPECT_EQ(c.json_of("j"), "9223372036854775807");
  EXPECT_EQ(c.json_of("k"), "0");
  EXPECT_EQ(c.json_of("d"), "1.5");
  EXPECT_EQ(c.json_of("f"), "-0.25");
  EXPECT_EQ(c.json_of("t"), "true");
  EXPECT_EQ(c.json_of("u"), "false");
  // Whatever the shortest form of 1e21 is, it must parse back as JSON to the same value.
  auto parsed = claims::from_json(c.to_json());
  ASSERT_OK(parsed);
  // JSON has no NaN or infinity: they become null rather than an unparsable token.
  c.set("nan", std::nan("")).set("inf", std::numeric_limits<double>::infinity());
  EXPECT_EQ(c.json_of("nan"), "null");
  EXPECT_EQ(c.json_of("inf"), "null");
  EXPECT_OK(claims::from_json(c.to_json()));
}

TEST(claims, contains_erase_json_of) {
  claims c;
  c.subject("s").set("x", 1);
  EXPECT_TRUE(c.contains("sub"));
  EXPECT_FALSE(c.contains("iss"));
  EXPECT_EQ(c.json_of("iss"), "");
  c.erase("sub");
  c.erase("absent");
  EXPECT_FALSE(c.contains("sub"));
  EXPECT_EQ(c.to_json(), R"({"x":1})");
}

// RFC 8259 §7: quote, backslash and U+0000..U+001F are escaped; everything else is kept.
// string_value reads a member back as the string it holds, whatever escapes its text used.
TEST(claims, string_value) {
  auto c = must(claims::from_json(R"({"typ":"a\u0062\"c\n","n":1,"z":null,"e":""})"));
  EXPECT_EQ(c.string_value("typ"), "ab\"c\n");
  EXPECT_EQ(c.string_value("e"), "");
  EXPECT_EQ(c.string_value("n"), std::nullopt);
  EXPECT_EQ(c.string_value("z"), std::nullopt);
  EXPECT_EQ(c.string_value("missing"), std::nullopt);
  c.set("sub", std::string_view("nul\0and \x01", 9));
  EXPECT_EQ(c.string_value("sub"), std::string("nul\0and \x01", 9));
}

TEST(claims, string_escaping) {
  EXPECT_EQ(json_literal(""), R"("")");
  EXPECT_EQ(json_literal("plain"), R"("plain")");
  EXPECT_EQ(json_literal("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_literal("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json_literal("\0"s), R"("\u0000")");
  EXPECT_EQ(json_literal("a\0b"s), R"("a\u0000b")");
  EXPECT_EQ(json_literal("\x01\x1f"), R"("\u0001\u001f")");
  EXPECT_EQ(json_literal("\x0b"), R"("\u000b")");
  EXPECT_EQ(json_literal("\x7f"), "\"\x7f\"");
  EXPECT_EQ(json_literal("/"), R"("/")");
  EXPECT_EQ(json_literal("\xc3\xa9\xf0\x9f\x98\x80"), "\"\xc3\xa9\xf0\x9f\x98\x80\"");
  std::string out = "prefix:";
  append_json_string(out, "x");
  EXPECT_EQ(out, R"(prefix:"x")");
  // Every control character survives a round trip through a strict parser.
  std::string all;
  for (int c = 0; c < 0x80; ++c) all += static_cast<char>(c);
  EXPECT_EQ(parse_string_literal(json_literal(all)), all);
}

TEST(claims, names_are_escaped_too) {
  claims c;
  c.set("a\"b", 1).set("n\0l"s, 2).set("line\n", 3);
  EXPECT_EQ(c.to_json(), R"({"a\"b":1,"n\u0000l":2,"line\n":3})");
  auto back = claims::from_json(c.to_json());
  ASSERT_OK(back);
  EXPECT_TRUE(back->contains("n\0l"s));
  EXPECT_TRUE(back->contains("a\"b"));
}

TEST(claims, from_json) {
  auto c = claims::from_json(R"( { "sub" : "alice" , "roles" : [ "a" , "b" ], "n": 1.50 } )");
  ASSERT_OK(c);
  ASSERT_EQ(c->members().size(), 3u);
  EXPECT_EQ(c->members()[0].first, "sub");
  EXPECT_EQ(c->json_of("sub"), R"("alice")");
  EXPECT_EQ(c->json_of("roles"), R"(["a","b"])");
  EXPECT_EQ(c->members()[2].first, "n");
  EXPECT_OK(claims::from_json(c->to_json()));

  for (std::string_view bad : {"", "[]", "1", R"({"a":1}x)", R"({"a":})", "{\"a\":\"\xff\"}",
                               R"({"a":"\ud800"})", "\xef\xbb\xbf{}"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERRC(claims::from_json(bad), errc::invalid_json);
  }
  EXPECT_ERRC(claims::from_json(R"({"sub":"user","sub":"admin"})"), errc::duplicate_member);
  EXPECT_ERRC(claims::from_json(R"({"x":{"a":1,"a":2}})"), errc::duplicate_member);
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += R"({"a":)";
  deep += "1" + std::string(40, '}');
  EXPECT_ERRC(claims::from_json(deep), errc::json_too_complex);
  EXPECT_ERRC(claims::from_json(R"({"a":")" + std::string(70000, 'x') + R"("})"),
              errc::json_too_complex);
}

TEST(claims, set_json) {
  claims c;
  c.subject("alice");
  ASSERT_OK(c.set_json("roles", R"( [ "admin" , "user" ] )"));
  ASSERT_OK(c.set_json("profile", R"({"age":30,"tags":{}})"));
  ASSERT_OK(c.set_json("n", "12"));
  ASSERT_OK(c.set_json("s", R"("text")"));
  ASSERT_OK(c.set_json("z", "null"));
  EXPECT_EQ(c.to_json(),
            R"({"sub":"alice","roles":["admin","user"],"profile":{"age":30,"tags":{}},)"
            R"("n":12,"s":"text","z":null})");

  const std::string before = c.to_json();
  for (std::string_view bad :
       {"", " ", "{", "[1,]", "NaN", "1 2", "'x'", "undefined", "\"\xff\""}) {
    SCOPED_TRACE(bad);
    EXPECT_ERRC(c.set_json("bad", bad), errc::invalid_json);
  }
  EXPECT_ERRC(c.set_json("bad", R"({"a":1,"a":2})"), errc::duplicate_member);
  EXPECT_ERRC(c.set_json("bad", R"([{"a":1,"a":2}])"), errc::duplicate_member);
  EXPECT_ERRC(c.set_json("bad", std::string(40, '[') + std::string(40, ']')),
              errc::json_too_complex);
  EXPECT_ERRC(c.set_json("bad", "\"" + std::string(70000, 'x') + "\""), errc::json_too_complex);
  EXPECT_EQ(c.to_json(), before) << "a failed set_json must leave the claims unchanged";
}

// A version 4 UUID (RFC 9562 §5.4): 122 random bits from the OS CSPRNG.
TEST(claims, random_jwt_id) {
  const std::regex uuid_v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    claims c;
    c.random_jwt_id();
    const std::string jti = parse_string_literal(std::string(c.json_of("jti")));
    EXPECT_TRUE(std::regex_match(jti, uuid_v4)) << jti;
    seen.insert(jti);
  }
  EXPECT_EQ(seen.size(), 200u);
  claims c;
  c.jwt_id("fixed").random_jwt_id();
  EXPECT_NE(c.json_of("jti"), R"("fixed")");
  EXPECT_EQ(c.members().size(), 1u);
}

// Claims with NUL and control characters reach a verified token byte for byte.
TEST(claims, survive_sign_and_verify) {
  const key& k = test_key(algorithm::hs256);
  claims c;
  c.subject("a\0b"s).set("ctl", "\x01\x1f\"\\").expires_at(now + 60);
  const std::string token = must(must(signer::create(k)).sign(c));
  auto v = make_verifier(options_for(k)).verify(token);
  ASSERT_OK(v);
  EXPECT_EQ(v->subject(), "a\0b"s);
  EXPECT_EQ(v->string_claim("ctl"), "\x01\x1f\"\\");
  // Invalid UTF-8 cannot be put in a token: the signer refuses the claims.
  claims bad;
  bad.set("x", "\xff");
  EXPECT_ERRC(must(signer::create(k)).sign(bad), errc::invalid_json);
}
