// request_view: the target split, header lookup, Cookie parsing and query parameters.
#include <gtest/gtest.h>

#include <vector>

#include "jwtfort/http/request_view.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

using http::header_field;
using http::request_view;

request_view with(const std::vector<header_field>& headers, std::string_view target = "/") {
  return {.method = "GET", .target = target, .headers = headers};
}

TEST(http_request_view_test, path_and_query) {
  struct row {
    std::string_view target, path, query;
  };
  for (auto [target, path, query] :
       {row{"/me?x=1", "/me", "x=1"}, row{"/me", "/me", ""}, row{"/me?", "/me", ""},
        row{"?a", "", "a"}, row{"/a?b?c", "/a", "b?c"}, row{"", "", ""}}) {
    request_view r{.method = "GET", .target = target};
    EXPECT_EQ(r.path(), path) << target;
    EXPECT_EQ(r.query(), query) << target;
  }
}

TEST(http_request_view_test, headers_are_found_case_insensitively_first_value_wins) {
  std::vector<header_field> h = {{"Host", "a"}, {"X-Token", "one"}, {"x-token", "two"}};
  bool duplicate = false;
  EXPECT_EQ(http::find_header(with(h), "X-TOKEN", &duplicate), "one");
  EXPECT_TRUE(duplicate);
  EXPECT_EQ(http::find_header(with(h), "host", &duplicate), "a");
  EXPECT_FALSE(duplicate);
  EXPECT_EQ(http::find_header(with(h), "X-Toke"), std::nullopt);
  EXPECT_EQ(http::find_header(with(h), "X-Tokens", &duplicate), std::nullopt);
  EXPECT_FALSE(duplicate);
  EXPECT_EQ(http::find_header(with(h), "x-token"), "one");  // no flag asked for
}

TEST(http_request_view_test, cookies_are_parsed_from_every_cookie_header) {
  std::vector<header_field> h = {{"Cookie", "a=1; b = 2 ;c=\"quoted\";; flag; d=; e=x=y"},
                                 {"cookie", "f=3"}};
  bool duplicate = true;
  EXPECT_EQ(http::find_cookie(with(h), "a", &duplicate), "1");
  EXPECT_FALSE(duplicate);
  EXPECT_EQ(http::find_cookie(with(h), "b"), "2");
  EXPECT_EQ(http::find_cookie(with(h), "c"), "quoted");
  EXPECT_EQ(http::find_cookie(with(h), "d"), "");
  EXPECT_EQ(http::find_cookie(with(h), "e"), "x=y");
  EXPECT_EQ(http::find_cookie(with(h), "f"), "3");
  EXPECT_EQ(http::find_cookie(with(h), "flag"), std::nullopt);  // not a cookie-pair
  EXPECT_EQ(http::find_cookie(with(h), "A"), std::nullopt);     // names are case-sensitive
  EXPECT_EQ(http::find_cookie(with(h), "g"), std::nullopt);
  std::vector<header_field> lone_quote = {{"Cookie", "q=\""}};
  EXPECT_EQ(http::find_cookie(with(lone_quote), "q"), "\"");
}

TEST(http_request_view_test, a_cookie_sent_twice_is_flagged) {
  bool duplicate = false;
  std::vector<header_field> one_header = {{"Cookie", "t=first; t=second"}};
  EXPECT_EQ(http::find_cookie(with(one_header), "t", &duplicate), "first");
  EXPECT_TRUE(duplicate);
  std::vector<header_field> two_headers = {{"Cookie", "t=first"}, {"Cookie", "x=1; t=second"}};
  duplicate = false;
  EXPECT_EQ(http::find_cookie(with(two_headers), "t", &duplicate), "first");
  EXPECT_TRUE(duplicate);
}

TEST(http_request_view_test, query_parameters_are_percent_decoded) {
  auto param = [](std::string_view target, std::string_view name, bool* dup = nullptr) {
    return http::find_query_parameter(with({}, target), name, dup);
  };
  EXPECT_EQ(param("/ws?a=1&token=x%2Ey%2e", "token"), "x.y.");
  EXPECT_EQ(param("/ws?token=a+b", "token"), "a+b");  // `+` is not a space here
  EXPECT_EQ(param("/ws?t%6Fken=v", "token"), "v");
  EXPECT_EQ(param("/ws?token", "token"), "");
  EXPECT_EQ(param("/ws?token=", "token"), "");
  EXPECT_EQ(param("/ws?token=a=b", "token"), "a=b");
  EXPECT_EQ(param("/ws?token=%00", "token"), std::string(1, '\0'));
  EXPECT_EQ(param("/ws?tokens=1&xtoken=2", "token"), std::nullopt);
  EXPECT_EQ(param("/ws", "token"), std::nullopt);
  EXPECT_EQ(param("/ws?", "token"), std::nullopt);
  for (std::string_view bad : {"/ws?token=%zz", "/ws?token=%4", "/ws?token=%", "/ws?token=a%g1"})
    EXPECT_EQ(param(bad, "token"), std::nullopt) << bad;
  EXPECT_EQ(param("/ws?to%zzken=1&token=2", "token"), "2");  // a malformed name is skipped

  bool duplicate = false;
  EXPECT_EQ(param("/ws?token=a&x=1&t%6Fken=b", "token", &duplicate), "a");
  EXPECT_TRUE(duplicate);
  EXPECT_EQ(param("/ws?token=a&x=1", "token", &duplicate), "a");
  EXPECT_FALSE(duplicate);
}

// Every value, strictly: a parameter that adds requirements must not lose one to a bad escape.
TEST(http_request_view_test, all_values_of_a_query_parameter) {
  auto params = [](std::string_view target) {
    return http::find_query_parameters(with({}, target), "roles");
  };
  using list = std::vector<std::string>;
  EXPECT_EQ(test::must(params("/v?roles=a,b&x=1&r%6Fles=c%2Cd&roles&roles=")),
            (list{"a,b", "c,d", "", ""}));
  EXPECT_EQ(test::must(params("/v?roles=a+b&roles=%00")), (list{"a+b", std::string(1, '\0')}));
  EXPECT_EQ(test::must(params("/v?role=a&rolesx=b&ro%zzles=c")), list{});
  EXPECT_EQ(test::must(params("/v")), list{});
  for (std::string_view bad : {"/v?roles=admin%", "/v?roles=admin%2", "/v?roles=%zzadmin",
                               "/v?roles=admin,%", "/v?roles=a&roles=%g1", "/v?r%6fles=%"}) {
    const auto r = params(bad);
    EXPECT_ERRC(r, errc::malformed_token) << bad;
    if (!r) {
      EXPECT_EQ(r.error().message, "query parameter 'roles': malformed percent-encoding");
    }
  }
}

}  // namespace
}  // namespace jwtfort
