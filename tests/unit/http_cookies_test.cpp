// Set-Cookie values for token and CSRF cookies, their removal, and the values refused.
#include "jwtfort/http/cookies.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

using strings = std::vector<std::string>;

// Cookies only read the payload, unverified: any key will do.
std::string token_with(std::string_view payload) {
  return test::hmac_token(R"({"alg":"HS256","typ":"JWT"})", payload, std::string(32, 'k'));
}

const std::string token = token_with(R"({"sub":"alice","csrf":"c-123"})");

TEST(http_cookies_test, defaults_give_an_httponly_token_cookie_and_a_readable_csrf_cookie) {
  auto set = http::access_cookies({}, token);
  ASSERT_OK(set);
  EXPECT_EQ(*set, (strings{"access_token_cookie=" + token + "; Path=/; HttpOnly",
                           "csrf_access_token=c-123; Path=/"}));
  auto refresh = http::refresh_cookies({}, token);
  ASSERT_OK(refresh);
  EXPECT_EQ(*refresh, (strings{"refresh_token_cookie=" + token + "; Path=/; HttpOnly",
                               "csrf_refresh_token=c-123; Path=/"}));
}

TEST(http_cookies_test, every_attribute_in_its_fixed_order) {
  http::cookie_options o;
  o.access_path = "/api";
  o.access_csrf_path = "/";
  o.refresh_path = "/auth/refresh";
  o.refresh_csrf_path = "/auth";
  o.domain = "example.com";
  o.max_age = 900;
  o.secure = true;
  o.same_site = "lax";
  auto set = http::access_cookies(o, token);
  ASSERT_OK(set);
  EXPECT_EQ(*set,
            (strings{"access_token_cookie=" + token +
                         "; Path=/api; Domain=example.com; Max-Age=900; Secure; HttpOnly; "
                         "SameSite=Lax",
                     "csrf_access_token=c-123; Path=/; Domain=example.com; Max-Age=900; Secure; "
                     "SameSite=Lax"}));
  o.same_site = "STRICT";
  auto refresh = http::refresh_cookies(o, token, 60);  // the argument overrides max_age
  ASSERT_OK(refresh);
  EXPECT_EQ(*refresh,
            (strings{"refresh_token_cookie=" + token +
                         "; Path=/auth/refresh; Domain=example.com; Max-Age=60; Secure; HttpOnly; "
                         "SameSite=Strict",
                     "csrf_refresh_token=c-123; Path=/auth; Domain=example.com; Max-Age=60; "
                     "Secure; SameSite=Strict"}));
  o.same_site = "None";
  auto none = http::access_cookies(o, token);
  ASSERT_OK(none);
  EXPECT_TRUE(none->front().ends_with("; Secure; HttpOnly; SameSite=None")) << none->front();
}

TEST(http_cookies_test, without_csrf_only_the_token_cookie) {
  http::cookie_options o;
  o.csrf_protect = false;
  const std::string plain = token_with(R"({"sub":"alice"})");
  auto set = http::access_cookies(o, plain);
  ASSERT_OK(set);
  EXPECT_EQ(*set, (strings{"access_token_cookie=" + plain + "; Path=/; HttpOnly"}));
  EXPECT_ERRC(http::access_cookies({}, plain), errc::missing_claim);
}

TEST(http_cookies_test, tokens_and_csrf_claims_that_cannot_be_cookies_are_refused) {
  EXPECT_ERRC(http::access_cookies({}, "not a token"), errc::malformed_token);
  EXPECT_ERRC(http::access_cookies({}, "a.b"), errc::malformed_token);
  EXPECT_ERRC(http::access_cookies({}, token + "; Domain=evil.com"), errc::malformed_token);
  EXPECT_ERRC(http::access_cookies({}, token_with(R"({"csrf":"a; Domain=evil.com"})")),
              errc::invalid_claim);
  EXPECT_ERRC(http::access_cookies({}, token_with(R"({"csrf":7})")), errc::invalid_claim);
}

TEST(http_cookies_test, unusable_options_are_refused) {
  auto refused = [](http::cookie_options o, std::string_view field) {
    auto set = http::access_cookies(o, token);
    ASSERT_ERRC(set, errc::invalid_configuration) << field;
    EXPECT_NE(set.error().message.find(field), std::string::npos) << set.error().message;
    EXPECT_ERRC(http::unset_cookies(o), errc::invalid_configuration) << field;
  };
  refused({.access_cookie = "access token"}, "access_cookie");
  refused({.refresh_cookie = ""}, "refresh_cookie");
  refused({.access_csrf_cookie = "a=b"}, "access_csrf_cookie");
  refused({.access_path = "/a;b"}, "access_path");
  refused({.refresh_path = "relative"}, "refresh_path");
  refused({.access_csrf_path = "/a b"}, "access_csrf_path");
  refused({.refresh_csrf_path = ""}, "refresh_csrf_path");
  refused({.domain = "example.com\r\nX: y"}, "domain");
  refused({.domain = ""}, "domain");
  refused({.max_age = -1}, "max_age");
  refused({.same_site = "sometimes"}, "same_site");
  // Browsers drop SameSite=None without Secure: refuse instead of setting a cookie that
  // never arrives.
  refused({.same_site = "none"}, "same_site");
  EXPECT_ERRC(http::access_cookies({}, token, -5), errc::invalid_configuration);
}

TEST(http_cookies_test, unset_cookies_expire_every_cookie_with_its_path_and_domain) {
  auto plain = http::unset_cookies({});
  ASSERT_OK(plain);
  EXPECT_EQ(*plain, (strings{"access_token_cookie=; Path=/; Max-Age=0",
                             "refresh_token_cookie=; Path=/; Max-Age=0",
                             "csrf_access_token=; Path=/; Max-Age=0",
                             "csrf_refresh_token=; Path=/; Max-Age=0"}));
  http::cookie_options o;
  o.refresh_path = "/auth/refresh";
  o.domain = "example.com";
  o.max_age = 900;  // ignored: removal is Max-Age=0
  o.secure = true;
  o.same_site = "strict";
  o.csrf_protect = false;
  auto scoped = http::unset_cookies(o);
  ASSERT_OK(scoped);
  EXPECT_EQ(*scoped,
            (strings{"access_token_cookie=; Path=/; Domain=example.com; Max-Age=0; Secure; "
                     "SameSite=Strict",
                     "refresh_token_cookie=; Path=/auth/refresh; Domain=example.com; Max-Age=0; "
                     "Secure; SameSite=Strict"}));
}

TEST(http_cookies_test, from_config_maps_every_cookie_setting) {
  config c;
  c.access_cookie_key = "a";
  c.refresh_cookie_key = "r";
  c.access_cookie_path = "/api";
  c.refresh_cookie_path = "/refresh";
  c.cookie_max_age = 3600;
  c.cookie_domain = "example.com";
  c.cookie_secure = true;
  c.cookie_samesite = "none";
  c.cookie_csrf_protect = false;
  c.access_csrf_cookie_key = "ca";
  c.refresh_csrf_cookie_key = "cr";
  c.access_csrf_cookie_path = "/c";
  c.refresh_csrf_cookie_path = "/d";
  auto o = http::cookie_options::from_config(c);
  EXPECT_EQ(o.access_cookie, "a");
  EXPECT_EQ(o.refresh_cookie, "r");
  EXPECT_EQ(o.access_path, "/api");
  EXPECT_EQ(o.refresh_path, "/refresh");
  EXPECT_EQ(o.max_age, 3600);
  EXPECT_EQ(o.domain, "example.com");
  EXPECT_TRUE(o.secure);
  EXPECT_EQ(o.same_site, "none");
  EXPECT_FALSE(o.csrf_protect);
  EXPECT_EQ(o.access_csrf_cookie, "ca");
  EXPECT_EQ(o.refresh_csrf_cookie, "cr");
  EXPECT_EQ(o.access_csrf_path, "/c");
  EXPECT_EQ(o.refresh_csrf_path, "/d");

  auto defaults = http::cookie_options::from_config(config{});
  EXPECT_EQ(defaults.access_cookie, "access_token_cookie");
  EXPECT_EQ(defaults.max_age, std::nullopt);
  EXPECT_EQ(defaults.domain, std::nullopt);
  EXPECT_EQ(defaults.same_site, std::nullopt);
  EXPECT_TRUE(defaults.csrf_protect);
}

}  // namespace
}  // namespace jwtfort
