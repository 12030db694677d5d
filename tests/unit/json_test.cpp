// The private JSON wrapper: RFC 8259 text, UTF-8, one object at the top, no duplicate names at
// any depth, bounded depth, width and size (RFC 7515 §10.12, RFC 8725 §3.7).

#include "core/json.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_json.hpp"
#include "test_support.hpp"

using namespace jwtfort;
using namespace std::string_literals;
using jwtfort::test::must;

namespace {

result<json::object> parse(std::string_view text, const json::limits& lim = json::claims_limits) {
  return json::parse_object(json::slot::scratch, text, lim);
}

// An object nested `depth` levels deep: depth 1 is `{"a":1}`.
std::string nested_objects(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += R"({"a":)";
  s += "1";
  s += std::string(static_cast<std::size_t>(depth), '}');
  return s;
}

// An object holding arrays, `depth` levels in all: depth 2 is `{"a":[1]}`.
std::string nested_arrays(int depth) {
  const auto n = static_cast<std::size_t>(depth - 1);
  return R"({"a":)" + std::string(n, '[') + "1" + std::string(n, ']') + "}";
}

std::string object_with_members(int count, std::string_view extra = "") {
  std::string s = "{";
  for (int i = 0; i < count; ++i) s += (i ? "," : "") + ("\"m" + std::to_string(i) + "\":" + "1");
  return s + std::string(extra) + "}";
}

}  // namespace

TEST(json, accepts_strict_objects) {
  for (std::string_view text :
       {"{}", R"({"a":1})", " \t\r\n{ \"a\" : [ 1 , {\"b\" : null } ] } \n", R"({"":""})",
        R"({"a":true,"b":false,"c":null,"d":"x","e":1.5,"f":[],"g":{}})"}) {
    SCOPED_TRACE(text);
    EXPECT_OK(parse(text));
  }
}

TEST(json, rejects_anything_but_one_object) {
  for (std::string_view text : {"",
                                " ",
                                "[]",
                                "[{}]",
                                "1",
                                "\"s\"",
                                "null",
                                "true",
                                R"({"a":1}ABCD)",
                                "{}{}",
                                "{} x",
                                "{",
                                "}",
                                R"({"a":1,})",
                                R"({"a" 1})",
                                R"({a:1})",
                                R"({'a':1})",
                                R"({"a":1}//c)",
                                R"({/*c*/"a":1})",
                                R"({"a":NaN})",
                                R"({"a":Infinity})",
                                R"({"a":-Infinity})",
                                R"({"a":undefined})",
                                R"({"a":[1,]})",
                                R"({"a":"\x41"})",
                                R"({"a":"\u12"})",
                                R"({"a":"\q"})"}) {
    SCOPED_TRACE(text);
    EXPECT_ERRC(parse(text), errc::invalid_json);
  }
}

TEST(json, duplicates_rejected_at_every_depth) {
  const std::vector<std::string> duplicates = {
      R"({"a":1,"a":1})",
      R"({"a":1,"b":2,"a":3})",
      R"({"x":{"a":1,"a":2}})",
      R"({"x":[{"a":1},{"a":1,"a":1}]})",
      R"({"a":1,"\u0061":2})",  // equal after unescaping
      R"({"é":1,"\u00e9":2})",
      "{\"x\":" + nested_objects(10).insert(nested_objects(10).size() - 10, R"(,"a":2)") + "}",
      object_with_members(40, R"(,"m7":2)"),   // the wide-object path
      object_with_members(16, R"(,"m0":2)"),   // 17 members
      object_with_members(15, R"(,"m14":2)"),  // 16 members, the small-object path
  };
  for (const auto& text : duplicates) {
    SCOPED_TRACE(text.substr(0, 80));
    EXPECT_ERRC(parse(text), errc::duplicate_member);
  }
  for (std::string_view distinct : {R"({"a":1,"A":2})", R"({"a":{"a":{"a":1}}})",
                                    R"({"x":[{"a":1},{"a":1}]})", R"({"a":1,"a ":2})"}) {
    SCOPED_TRACE(distinct);
    EXPECT_OK(parse(distinct));
  }
  EXPECT_OK(parse(object_with_members(200)));
}

// limits::max_depth counts container levels: 1 is a flat object. (simdjson parses an empty
// container without entering it, so `{"a":{}}` is as deep as a flat object.)
TEST(json, depth_limits_are_exact) {
  EXPECT_OK(parse("{}", json::limits{1, 8, 100}));
  EXPECT_OK(parse(R"({"a":1})", json::limits{1, 8, 100}));
  EXPECT_ERRC(parse(R"({"a":{"b":1}})", json::limits{1, 8, 100}), errc::json_too_complex);
  EXPECT_ERRC(parse(R"({"a":[1]})", json::limits{1, 8, 100}), errc::json_too_complex);

  EXPECT_OK(parse(nested_objects(3), json::header_limits));
  EXPECT_ERRC(parse(nested_objects(4), json::header_limits), errc::json_too_complex);
  EXPECT_OK(parse(nested_arrays(3), json::header_limits));
  EXPECT_ERRC(parse(nested_arrays(4), json::header_limits), errc::json_too_complex);

  EXPECT_OK(parse(nested_objects(32)));
  EXPECT_ERRC(parse(nested_objects(33)), errc::json_too_complex);
  EXPECT_OK(parse(nested_arrays(32)));
  EXPECT_ERRC(parse(nested_arrays(33)), errc::json_too_complex);
  EXPECT_ERRC(parse(nested_objects(5000)), errc::json_too_complex);
}

TEST(json, width_and_size_limits) {
  EXPECT_OK(parse(object_with_members(64), json::header_limits));
  EXPECT_ERRC(parse(object_with_members(65), json::header_limits), errc::json_too_complex);
  auto array_of = [](int n) {
    std::string s = R"({"a":[)";
    for (int i = 0; i < n; ++i) s += i ? ",0" : "0";
    return s + "]}";
  };
  EXPECT_OK(parse(array_of(256)));
  EXPECT_ERRC(parse(array_of(257)), errc::json_too_complex);
  EXPECT_ERRC(parse(R"({"x":{"a":)" + array_of(257).substr(5) + "}"), errc::json_too_complex);
  const std::string big = R"({"a":")" + std::string(4096 - 8, 'x') + R"("})";
  ASSERT_EQ(big.size(), 4096u);
  EXPECT_OK(parse(big, json::header_limits));
  EXPECT_ERRC(parse(R"({"a":")" + std::string(4096 - 7, 'x') + R"("})", json::header_limits),
              errc::json_too_complex);
}

TEST(json, unicode_escapes) {
  auto o = parse(R"({"a":"\ud83d\ude00","b":"\u00e9\u0000z","c":"\/\"\\\b\f\n\r\t"})");
  ASSERT_TRUE(o) << o.error().message;
  auto a = json::string_member(*o, "a", errc::invalid_header);
  auto b = json::string_member(*o, "b", errc::invalid_header);
  auto c = json::string_member(*o, "c", errc::invalid_header);
  ASSERT_TRUE(a && *a && b && *b && c && *c);
  EXPECT_EQ(**a, "\xf0\x9f\x98\x80");
  EXPECT_EQ(**b, "\xc3\xa9\0z"s);
  EXPECT_EQ(**c, "/\"\\\b\f\n\r\t");
  // RFC 7515 §10.13 allows rejecting lone surrogates; jwtfort does.
  for (std::string_view text :
       {R"({"a":"\ud800"})", R"({"a":"\udbff"})", R"({"a":"\udc00"})", R"({"a":"\udfff"})",
        R"({"a":"\udc00\ud800"})", R"({"a":"\ud800\ud800"})", R"({"a":"\ud800x"})",
        R"({"a":"\ud800\u0041"})", R"({"\ud800":1})"}) {
    SCOPED_TRACE(text);
    EXPECT_ERRC(parse(text), errc::invalid_json);
  }
}

TEST(json, invalid_utf8_and_bom) {
  for (const std::string& text : {
           "\xef\xbb\xbf{}"s,                // BOM
           "{\"a\":\"\xff\"}"s,              // never valid
           "{\"a\":\"\xc0\xaf\"}"s,          // overlong '/'
           "{\"a\":\"\xe0\x80\xaf\"}"s,      // overlong, 3 bytes
           "{\"a\":\"\xed\xa0\x80\"}"s,      // encoded surrogate (CESU-8)
           "{\"a\":\"\xf4\x90\x80\x80\"}"s,  // above U+10FFFF
           "{\"a\":\"\xe2\x82\"}"s,          // truncated
           "{\"a\":\"\x80\"}"s,              // lone continuation byte
           "{\"\xfe\":1}"s,                  // in a name
       }) {
    SCOPED_TRACE(testing::PrintToString(text));
    EXPECT_ERRC(parse(text), errc::invalid_json);
  }
  EXPECT_OK(parse("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"));  // é € 😀
}

// RFC 8259 §7: control characters must be escaped inside strings; DEL need not be.
TEST(json, control_characters) {
  for (int c = 0; c < 0x20; ++c) {
    std::string text = R"({"a":"x?y"})";
    text[7] = static_cast<char>(c);
    EXPECT_ERRC(parse(text), errc::invalid_json) << c;
    std::string name = R"({"x?y":1})";
    name[3] = static_cast<char>(c);
    EXPECT_ERRC(parse(name), errc::invalid_json) << c;
  }
  EXPECT_OK(parse("{\"a\":\"x\x7fy\"}"));
  EXPECT_OK(parse(R"({"a":"\u0000\u001f"})"));
  EXPECT_ERRC(parse("{\"a\":1}\0"s), errc::invalid_json);
  EXPECT_ERRC(parse("\0{\"a\":1}"s), errc::invalid_json);
}

TEST(json, numbers) {
  for (std::string_view n : {"0", "-0", "1", "-1", "1.5", "-1.25e-3", "1e10", "1E+2", "1e-400",
                             "0.0", "18446744073709551615", "-9223372036854775808", "123.456e7"}) {
    SCOPED_TRACE(n);
    EXPECT_OK(parse(R"({"a":)" + std::string(n) + "}"));
  }
  for (std::string_view n :
       {"01", "-01", "00", "1.", ".5", "+1", "-", "1e", "1e+", "0x10", "1_000", "1.5.2", "--1",
        "1e400", "-1e400", "18446744073709551616", "123456789012345678901234567890"}) {
    SCOPED_TRACE(n);
    EXPECT_ERRC(parse(R"({"a":)" + std::string(n) + "}"), errc::invalid_json);
  }
}

// RFC 7519 §2 NumericDate: a JSON number, finite, within [0, 253402300799].
TEST(json, numeric_date) {
  auto date = [](std::string_view value) -> result<double> {
    auto o = json::parse_object(json::slot::scratch, R"({"d":)" + std::string(value) + "}",
                                json::claims_limits);
    if (!o) return o.error();
    return json::numeric_date(*json::find(*o, "d"), "d");
  };
  EXPECT_EQ(must(date("0")), 0.0);
  EXPECT_EQ(must(date("1700000000")), 1700000000.0);
  EXPECT_EQ(must(date("1700000000.75")), 1700000000.75);
  EXPECT_EQ(must(date("253402300799")), 253402300799.0);
  EXPECT_EQ(must(date("1.7e9")), 1.7e9);
  EXPECT_EQ(must(date("-0")), 0.0);
  for (std::string_view bad : {"-1", "-0.001", "253402300799.5", "253402300800",
                               "18446744073709551615", "9.2233720368547758e18", "1e300"}) {
    SCOPED_TRACE(bad);
    EXPECT_ERRC(date(bad), errc::invalid_claim);
  }
  for (std::string_view wrong_type : {R"("1700000000")", "true", "false", "null", "[1]", "{}"}) {
    SCOPED_TRACE(wrong_type);
    auto r = date(wrong_type);
    EXPECT_ERRC(r, errc::invalid_claim);
    if (!r) {
      EXPECT_NE(r.error().message.find("\"d\""), std::string::npos);
    }
  }
}

TEST(json, string_member) {
  auto o = parse(R"({"s":"v","n":1,"z":null})");
  ASSERT_TRUE(o);
  auto s = json::string_member(*o, "s", errc::invalid_header);
  ASSERT_TRUE(s && *s);
  EXPECT_EQ(**s, "v");
  auto absent = json::string_member(*o, "missing", errc::invalid_header);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());
  EXPECT_ERRC(json::string_member(*o, "n", errc::invalid_header), errc::invalid_header);
  EXPECT_ERRC(json::string_member(*o, "z", errc::invalid_key), errc::invalid_key);
  EXPECT_FALSE(json::find(*o, "missing").has_value());
  EXPECT_TRUE(json::find(*o, "z").has_value());
}

TEST(json, parse_value_and_to_text) {
  for (std::string_view text : {"1", "-2.5", R"("s")", "null", "true", "[1,2]", R"({"a":[]})"})
    EXPECT_OK(json::parse_value(json::slot::scratch, text, json::claims_limits)) << text;
  EXPECT_ERRC(json::parse_value(json::slot::scratch, "", json::claims_limits), errc::invalid_json);
  EXPECT_ERRC(json::parse_value(json::slot::scratch, "1 2", json::claims_limits),
              errc::invalid_json);
  EXPECT_ERRC(json::parse_value(json::slot::scratch, R"([{"a":1,"a":2}])", json::claims_limits),
              errc::duplicate_member);
  auto v = json::parse_value(json::slot::scratch, " [ 1 , \"a\\u0062\" , { \"k\" : null } ] ",
                             json::claims_limits);
  ASSERT_TRUE(v);
  EXPECT_EQ(json::to_text(*v), R"([1,"ab",{"k":null}])");
}

template <class T>
T present(std::optional<T> v) {
  EXPECT_TRUE(v.has_value());
  return v.value_or(T{});
}

// The views read a value only as the type it has: a wrong type is nullopt, never a conversion.
TEST(json, views_read_each_type_and_nothing_else) {
  auto o = parse(R"({"s":"t\u0065xt","i":-7,"big":18446744073709551615,"f":1.5,"b":false,)"
                 R"("z":null,"a":["x",2],"o":{"k":"v"}})");
  ASSERT_TRUE(o);
  const auto at = [&](std::string_view name) { return present(o->find(name)); };
  EXPECT_EQ(at("s").as_string(), "text");
  EXPECT_EQ(at("i").as_int64(), -7);
  EXPECT_EQ(at("b").as_bool(), false);
  EXPECT_FALSE(at("big").as_int64());  // above int64: not silently wrapped
  EXPECT_FALSE(at("f").as_int64());
  EXPECT_FALSE(at("i").as_string());
  EXPECT_FALSE(at("s").as_bool());
  EXPECT_FALSE(at("z").as_object());
  EXPECT_FALSE(at("o").as_array());
  EXPECT_FALSE(at("a").as_object());
  EXPECT_EQ(json::to_text(at("f")), "1.5");

  auto list = present(at("a").as_array());
  ASSERT_EQ(list.size(), 2u);
  std::vector<std::string> items;
  for (json::value item : list) items.push_back(json::to_text(item));
  EXPECT_EQ(items, (std::vector<std::string>{R"("x")", "2"}));

  auto inner = present(at("o").as_object());
  EXPECT_EQ(inner.size(), 1u);
  EXPECT_EQ(present(inner.find("k")).as_string(), "v");
  EXPECT_FALSE(inner.find("s"));  // members of the outer object are not the inner one's
}

// Members come in document order, with their names unescaped.
TEST(json, object_iteration_keeps_document_order) {
  auto o = parse(R"({"z":1,"\u0061":2,"m":[]})");
  ASSERT_TRUE(o);
  std::vector<std::string> names;
  for (const json::object::member& m : *o) names.emplace_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(o->size(), 3u);
  auto empty = parse("{}");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->begin() == empty->end());
}

// Each slot keeps its own parser: a header parsed in one slot survives a payload parse.
TEST(json, slots_are_independent) {
  auto header = json::parse_object(json::slot::header, R"({"alg":"HS256"})", json::header_limits);
  auto payload = json::parse_object(json::slot::payload, R"({"sub":"x"})", json::claims_limits);
  auto scratch = json::parse_object(json::slot::scratch, R"({"k":1})", json::document_limits);
  ASSERT_TRUE(header && payload && scratch);
  auto alg = json::string_member(*header, "alg", errc::invalid_header);
  ASSERT_TRUE(alg && *alg);
  EXPECT_EQ(**alg, "HS256");
  auto sub = json::string_member(*payload, "sub", errc::invalid_claim);
  ASSERT_TRUE(sub && *sub);
  EXPECT_EQ(**sub, "x");
}

// --- the flat fast path (json::read_flat_object) -------------------------------------------------

namespace {

// What the fast path saw of one member, in a form comparable with the full parser's value.
struct flat_member {
  std::string name;
  json::flat_value::kind_t kind;
  std::string text;
  std::int64_t number;
  std::size_t count;
  bool all_strings;
};

// The fast path on `text`, in a padded buffer as the verifier gives it; nullopt when it declines.
std::optional<std::vector<flat_member>> read_flat(std::string_view text,
                                                  const json::limits& lim = json::claims_limits) {
  std::string padded(text);
  padded.append(64, '\0');
  std::vector<flat_member> members;
  auto visit = [&members](std::string_view name, const json::flat_value& v) {
    members.push_back(
        {std::string(name), v.kind, std::string(v.text), v.number, v.count, v.all_strings});
    return true;
  };
  if (!json::read_flat_object(reinterpret_cast<const unsigned char*>(padded.data()), text.size(),
                              lim, visit))
    return std::nullopt;
  return members;
}

std::vector<std::string> quoted_strings(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t open = text.find('"'); open != std::string_view::npos; open = text.find('"')) {
    const std::size_t close = text.find('"', open + 1);
    out.emplace_back(text.substr(open + 1, close - open - 1));
    text.remove_prefix(close + 1);
  }
  return out;
}

// Whenever the fast path accepts, the full parser accepts too, with the same members and values.
void expect_same_as_full_parser(std::string_view text) {
  SCOPED_TRACE(text);
  const auto flat = read_flat(text);
  if (!flat) return;
  auto full = parse(text);
  ASSERT_TRUE(full.has_value()) << "the fast path accepted what the full parser refuses";
  ASSERT_EQ(full->size(), flat->size());
  std::size_t i = 0;
  for (auto member : *full) {
    const flat_member& f = (*flat)[i++];
    EXPECT_EQ(member.name, f.name);
    switch (f.kind) {
      case json::flat_value::string: EXPECT_EQ(member.value.as_string(), f.text); break;
      case json::flat_value::integer: EXPECT_EQ(member.value.as_int64(), f.number); break;
      case json::flat_value::literal: EXPECT_EQ(json::to_text(member.value), f.text); break;
      case json::flat_value::array: {
        auto a = member.value.as_array();
        ASSERT_TRUE(a.has_value());
        EXPECT_EQ(a->size(), f.count);
        std::vector<std::string> strings;
        for (json::value v : *a)
          if (auto s = v.as_string()) strings.emplace_back(*s);
        EXPECT_EQ(strings.size() == f.count, f.all_strings);
        // The verifier reads a string array's values as the text between quote pairs.
        if (f.all_strings) {
          EXPECT_EQ(quoted_strings(f.text), strings);
        }
        break;
      }
    }
  }
}

}  // namespace

TEST(json_flat, reads_common_claims_objects) {
  const auto claims = read_flat(
      R"({"sub":"4711","iat":1700000000,"exp":4102444800,"jti":"9f1c","fresh":false,)"
      R"("n":null,"ok":true,"neg":-5,"zero":0,"iss":"jwtfort","aud":["a","b"],"mixed":[1,"x",null],)"
      R"("empty":[],"s":"","big":999999999999999999})");
  ASSERT_TRUE(claims.has_value());
  ASSERT_EQ(claims->size(), 15u);
  EXPECT_EQ((*claims)[0].text, "4711");
  EXPECT_EQ((*claims)[1].number, 1700000000);
  EXPECT_EQ((*claims)[4].text, "false");
  EXPECT_EQ((*claims)[7].number, -5);
  EXPECT_EQ((*claims)[10].kind, json::flat_value::array);
  EXPECT_EQ((*claims)[10].count, 2u);
  EXPECT_TRUE((*claims)[10].all_strings);
  EXPECT_FALSE((*claims)[11].all_strings);
  EXPECT_EQ((*claims)[12].count, 0u);
  EXPECT_EQ((*claims)[14].number, 999999999999999999);
  EXPECT_TRUE(read_flat("  { \"a\" : [ \"x\" , 1 ] , \"b\":2 }  ").has_value());
  // Tabs and line breaks are whitespace, but the fast path leaves them to the full parser.
  EXPECT_FALSE(read_flat(" \t\r\n{ \"a\" : [ \"x\" , 1 ] , \"b\":2 } \n").has_value());
  expect_same_as_full_parser(" \t\r\n{ \"a\" : [ \"x\" , 1 ] , \"b\":2 } \n");
  // Quotes past the first 64 bytes, and strings that cross a 64-byte boundary.
  const std::string long_text = R"({"a":")" + std::string(70, 'x') + R"(","b":")" +
                                std::string(100, 'y') + R"(","c":[")" + std::string(60, 'z') +
                                R"("]})";
  const auto long_members = read_flat(long_text);
  ASSERT_TRUE(long_members.has_value());
  EXPECT_EQ((*long_members)[1].text, std::string(100, 'y'));
  expect_same_as_full_parser(long_text);
  EXPECT_FALSE(read_flat(R"({"a":")" + std::string(1100, 'x') + R"("})").has_value());
  EXPECT_TRUE(read_flat("{}").has_value());
}

// Everything outside the subset goes to the full parser, valid or not.
TEST(json_flat, declines_everything_outside_its_subset) {
  for (std::string_view text :
       {"", " ", "[]", "1", "\"s\"", "{", "}", "{}x", "{} {}", "{,}", R"({"a":1,})", R"({"a" 1})",
        R"({"a":})", R"({a:1})", R"({'a':1})", R"({"a":1 "b":2})", R"({"a":[1,]})", R"({"a":[,1]})",
        R"({"a":[1 2]})", R"({"a":[1})",
        // escapes, control characters and non-ASCII bytes in names and values
        R"({"a\"b":1})", R"({"a":"x\ny"})", R"({"a":"\u0041"})", "{\"a\":\"x\ty\"}",
        "{\"a\x01\":1}", "{\"\xc3\xa9\":1}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\xff\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        // numbers other than short integers
        R"({"a":1.5})", R"({"a":1e3})", R"({"a":1E3})", R"({"a":-0})", R"({"a":01})",
        R"({"a":-01})", R"({"a":-})", R"({"a":+1})", R"({"a":.5})", R"({"a":1.})", R"({"a":0x10})",
        R"({"a":1234567890123456789})", R"({"a":99999999999999999999})", R"({"a":NaN})",
        R"({"a":Infinity})",
        // literals, nesting, duplicates, sizes
        R"({"a":tru})", R"({"a":True})", R"({"a":nul})", R"({"a":truex})", R"({"a":nullnull})",
        R"({"a":{}})", R"({"a":{"b":1}})", R"({"a":[[1]]})", R"({"a":[{}]})", R"({"a":1,"a":2})",
        R"({"abcdefghij":1,"abcdefghij":2})", R"({"":1,"":2})", R"({"a":1,"b":2,"a":3})"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(read_flat(text).has_value());
    expect_same_as_full_parser(text);
  }
  for (std::string_view text :
       {std::string_view("{\"a\":1}\0", 8), std::string_view("{\"a\":\"x\0\"}", 10)}) {
    EXPECT_FALSE(read_flat(text).has_value());
    expect_same_as_full_parser(text);
  }
  // More than 16 members, or more than the limits allow.
  EXPECT_FALSE(read_flat(object_with_members(17)).has_value());
  EXPECT_TRUE(read_flat(object_with_members(16)).has_value());
  EXPECT_FALSE(read_flat(object_with_members(3), json::limits{1, 2, 4096}).has_value());
  EXPECT_FALSE(read_flat(R"({"a":[1,2,3]})", json::limits{2, 2, 4096}).has_value());
  EXPECT_FALSE(read_flat(R"({"a":[1]})", json::limits{1, 64, 4096}).has_value());
  EXPECT_FALSE(read_flat(R"({"a":1})", json::limits{1, 64, 6}).has_value());
  // An unterminated string at the very end, and one whose quote is only in the padding.
  EXPECT_FALSE(read_flat(R"({"a":"x)").has_value());
  EXPECT_FALSE(read_flat(std::string_view(R"({"a":"x"})", 7)).has_value());
}

// Names that share a long prefix or differ only past eight bytes are told apart exactly.
TEST(json_flat, tells_names_apart_exactly) {
  EXPECT_TRUE(read_flat(R"({"abcdefgh":1,"abcdefghi":2,"abcdefghij":3,"abcdefghik":4})"));
  EXPECT_TRUE(read_flat(R"({"a":1,"a ":2,"":3," a":4})"));
  EXPECT_FALSE(read_flat(R"({"abcdefghik":1,"x":2,"abcdefghik":3})"));
  EXPECT_FALSE(read_flat(R"({"abcdefgh":1,"abcdefgh":2})"));
}

// Every prefix and every one-byte change of a claims object: whatever the fast path accepts, the
// full parser accepts with the same members.
TEST(json_flat, agrees_with_the_full_parser_on_mutations) {
  const std::string base =
      R"({"sub":"4711","iat":1700000000,"exp":4102444800,"aud":["a","b"],"n":null,"t":true})";
  for (std::size_t len = 0; len <= base.size(); ++len)
    expect_same_as_full_parser(base.substr(0, len));
  for (std::size_t at = 0; at < base.size(); ++at)
    for (char c : std::string_view("\"\\{}[],:0-1.eE tfnx\x7f\x80\x01", 23)) {
      std::string changed = base;
      changed[at] = c;
      expect_same_as_full_parser(changed);
    }
}
