// Algorithm names and the errc vocabulary: both are wire formats, so their spellings are pinned
// here and checked against the table in docs/errors.md.

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "test_support.hpp"

namespace jwtfort::test {
namespace {

TEST(algorithm, names_round_trip_byte_exactly) {
  const char* names[] = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",   "PS256", "PS384",
                         "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "Ed448"};
  std::size_t i = 0;
  for (algorithm alg : all_algorithms) {
    EXPECT_EQ(to_string(alg), names[i]);
    EXPECT_EQ(algorithm_from_string(names[i]), alg);
    ++i;
  }
  EXPECT_EQ(i, std::size(names));
  for (const char* bad : {"none", "hs256", "HS256 ", "EDDSA", "ES521", "RS1", ""})
    EXPECT_EQ(algorithm_from_string(bad), std::nullopt) << bad;
  EXPECT_EQ(algorithm_from_string(std::string_view("HS256\0", 6)), std::nullopt);
}

TEST(algorithm, families) {
  EXPECT_EQ(family_of(algorithm::hs512), key_family::hmac);
  EXPECT_EQ(family_of(algorithm::rs384), key_family::rsa);
  EXPECT_EQ(family_of(algorithm::ps256), key_family::rsa);
  EXPECT_EQ(family_of(algorithm::es512), key_family::ec);
  EXPECT_EQ(family_of(algorithm::eddsa), key_family::okp);
  EXPECT_EQ(family_of(algorithm::ed448), key_family::okp);
}

// Every code documented in docs/errors.md, as (wire name, value).
std::vector<std::pair<std::string, int>> documented_codes() {
  std::ifstream in(std::string(JWTFORT_DOCS_DIR) + "/errors.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const std::regex row(R"(\| `([a-z0-9_]+)` \| (\d+) \|)");
  std::vector<std::pair<std::string, int>> codes;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), row); it != std::sregex_iterator(); ++it)
    codes.emplace_back((*it)[1].str(), std::stoi((*it)[2].str()));
  return codes;
}

TEST(errc, wire_names_match_the_documentation) {
  const auto codes = documented_codes();
  ASSERT_EQ(codes.size(), 38u) << "docs/errors.md should list every errc";
  std::set<std::string> names;
  for (const auto& [name, value] : codes) {
    const auto code = static_cast<errc>(value);
    EXPECT_EQ(to_string(code), name) << value;
    EXPECT_FALSE(default_message(code).empty()) << name;
    EXPECT_TRUE(names.insert(name).second) << "duplicate wire name " << name;
  }
  EXPECT_EQ(to_string(static_cast<errc>(999)), "unknown_error");
}

TEST(errc, group_of_names_the_group_of_each_documented_range) {
  EXPECT_EQ(group_of(errc::invalid_authorization_header), error_group::malformed);
  EXPECT_EQ(group_of(errc::invalid_credentials), error_group::rejected);
  EXPECT_EQ(group_of(errc::issued_in_future), error_group::time);
  EXPECT_EQ(group_of(errc::insufficient_scope), error_group::forbidden);
  EXPECT_EQ(group_of(errc::too_many_attempts), error_group::unavailable);
  EXPECT_EQ(group_of(errc::internal_error), error_group::misconfigured);
  // A code added later to a range lands in its group.
  EXPECT_EQ(group_of(static_cast<errc>(507)), error_group::unavailable);
  for (const auto& [name, value] : documented_codes())
    EXPECT_EQ(static_cast<int>(group_of(static_cast<errc>(value))), value / 100) << name;
}

TEST(errc, std_error_code_interop) {
  const std::error_code ec = make_error_code(errc::expired);
  EXPECT_EQ(ec.value(), 300);
  EXPECT_STREQ(ec.category().name(), "jwtfort");
  EXPECT_EQ(ec.message(), std::string(default_message(errc::expired)));
}

TEST(errc, result_carries_code_and_message) {
  result<int> bad = error(errc::weak_key, "too short");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.code(), errc::weak_key);
  EXPECT_EQ(bad.error().message, "too short");
  result<int> good = 7;
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 7);
}

}  // namespace
}  // namespace jwtfort::test
