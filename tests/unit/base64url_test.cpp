// base64url without padding (RFC 7515 §2, RFC 4648 §5): one accepted encoding per byte string.

#include "core/base64url.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace jwtfort;
using jwtfort::test::must;
using namespace std::string_literals;

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

// RFC 4648 §10 test vectors, in the url alphabet without padding.
TEST(base64url, rfc4648_vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64url::encode(bytes), text);
    EXPECT_EQ(must(base64url::decode(text)), bytes);
  }
}

// The two characters where the url alphabet differs from the standard one (RFC 4648 §5).
TEST(base64url, url_alphabet) {
  EXPECT_EQ(base64url::encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url::encode("\xff\xff\xff"), "____");
  EXPECT_EQ(base64url::encode("\xfb\xef\xbe"), "----");
  EXPECT_EQ(must(base64url::decode("-_8")), "\xfb\xff");
  for (int i = 0; i < 128; ++i) {
    const char c = static_cast<char>(i);
    EXPECT_EQ(base64url::is_alphabet(c), alphabet.find(c) != std::string_view::npos) << i;
  }
  EXPECT_FALSE(base64url::is_alphabet('\x80'));
  EXPECT_FALSE(base64url::is_alphabet('\xff'));
}

TEST(base64url, round_trip_every_length_and_byte) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    const std::string text = base64url::encode(bytes);
    EXPECT_EQ(text.size(), base64url::encoded_size(n));
    EXPECT_NE(text.size() % 4, 1u);
    EXPECT_EQ(text.find_first_of("=+/"), std::string::npos);
    EXPECT_EQ(must(base64url::decode(text)), bytes) << n;
    EXPECT_GE(base64url::decoded_size(text.size()), n);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(must(base64url::decode(base64url::encode(all))), all);
}

TEST(base64url, append_encoded_appends) {
  std::string out = "prefix.";
  base64url::append_encoded(out, "foob");
  EXPECT_EQ(out, "prefix.Zm9vYg");
}

// A length of 1 mod 4 cannot come from any byte string.
TEST(base64url, length_one_mod_four) {
  for (std::string_view text : {"A", "Zm9vY", "Zm9vYmFyZ", "_"})
    EXPECT_ERRC(base64url::decode(text), errc::invalid_base64) << text;
}

// Canonical form: the unused low bits of the last character are zero (Wycheproof JWS tcId
// 374/375). Exactly one of the 16 (2 mod 4) or 4 (3 mod 4) candidates decodes.
TEST(base64url, canonical_trailing_bits) {
  int accepted_two = 0, accepted_three = 0;
  for (char last : alphabet) {
    const bool two = base64url::decode(std::string("Z") + last).has_value();
    const bool three = base64url::decode(std::string("Zm") + last).has_value();
    accepted_two += two;
    accepted_three += three;
    const auto value = alphabet.find(last);
    EXPECT_EQ(two, (value & 0x0f) == 0) << last;
    EXPECT_EQ(three, (value & 0x03) == 0) << last;
  }
  EXPECT_EQ(accepted_two, 4);     // A Q g w
  EXPECT_EQ(accepted_three, 16);  // multiples of 4
  EXPECT_ERRC(base64url::decode("AB"), errc::invalid_base64);
  EXPECT_ERRC(base64url::decode("Zh"), errc::invalid_base64);
  EXPECT_ERRC(base64url::decode("Zm9"), errc::invalid_base64);
  EXPECT_EQ(must(base64url::decode("Zg")), "f");
  EXPECT_EQ(must(base64url::decode("Zm8")), "fo");
}

TEST(base64url, rejects_padding_and_foreign_characters) {
  for (const std::string& text : std::vector<std::string>{
           "Zg==", "Zg=", "Zm8=", "Zm9v====", "Zm+v", "Zm/v", "Zm9 v", "Zm9v\n", " Zm9v", "Zm9.",
           "Zm9\x80", "Zm9\xff", "Zm9\0"s, "Zg=A", "====", "Z==="}) {
    SCOPED_TRACE(testing::PrintToString(text));
    EXPECT_ERRC(base64url::decode(text), errc::invalid_base64);
  }
  // The same characters in the tail group (2 and 3 characters).
  for (std::string_view text : {"Zm9vY+", "Zm9vY/", "Zm9vYm=", "Zm9vY\n", "Zm9vYm\x01"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(text)));
    EXPECT_ERRC(base64url::decode(text), errc::invalid_base64);
  }
}

// The vector steps cover 32 characters each, the last one overlapping those before it: a foreign
// character anywhere, at every length they handle, is still found, and nothing is written past
// the one byte of slack decode_into may use.
TEST(base64url, decode_into_every_position_and_bound) {
  std::mt19937 rng(11);
  for (std::size_t n = 30; n < 160; ++n) {
    std::string bytes(n, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    const std::string text = base64url::encode(bytes);
    const std::size_t room = base64url::decoded_size(text.size()) + 1;
    std::vector<unsigned char> out(room + 64, 0xa5);
    ASSERT_EQ(must(base64url::decode_into(text, out.data())), n);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), n), bytes) << n;
    for (std::size_t i = room; i < out.size(); ++i) ASSERT_EQ(out[i], 0xa5) << n << " " << i;
    for (std::size_t at = 0; at < text.size(); ++at) {
      std::string bad = text;
      bad[at] = at % 2 ? '+' : '.';
      ASSERT_ERRC(base64url::decode_into(bad, out.data()), errc::invalid_base64) << n << " " << at;
    }
  }
}

TEST(base64url, decode_into_reports_length) {
  unsigned char out[16];
  auto n = base64url::decode_into("Zm9vYmE", out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 5), "fooba");
  auto empty = base64url::decode_into("", out);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, 0u);
}
