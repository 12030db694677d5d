#pragma once
/// Cookie helpers: the `Set-Cookie` values that store access and refresh tokens in cookies and
/// remove them again, with fastapi-jwt-auth's semantics. The token cookie is `HttpOnly` (scripts
/// cannot read it); the CSRF cookie is not, so the page's script can copy it into the
/// `X-CSRF-Token` header of its state-changing requests (double submit).
///
/// Example:
///   auto jar = http::cookie_options::from_config(cfg);
///   auto set = http::access_cookies(jar, access_token);       // result<std::vector<std::string>>
///   for (auto& v : *set) response.insert("Set-Cookie", v);
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/config.hpp"

namespace jwtfort::http {

struct cookie_options {
  std::string access_cookie = "access_token_cookie";
  std::string refresh_cookie = "refresh_token_cookie";
  std::string access_path = "/";
  std::string refresh_path = "/";
  /// Seconds; unset = a session cookie.
  std::optional<std::int64_t> max_age;
  std::optional<std::string> domain;
  bool secure = false;
  /// "strict", "lax" or "none"; unset = no attribute.
  std::optional<std::string> same_site;
  /// Also set the CSRF cookies (the token's `csrf` claim).
  bool csrf_protect = true;
  std::string access_csrf_cookie = "csrf_access_token";
  std::string refresh_csrf_cookie = "csrf_refresh_token";
  std::string access_csrf_path = "/";
  std::string refresh_csrf_path = "/";

  /// From AUTHJWT_ACCESS_COOKIE_KEY, AUTHJWT_COOKIE_MAX_AGE, AUTHJWT_COOKIE_SECURE...
  JWTFORT_API static cookie_options from_config(const config& settings);
};

/// `Set-Cookie` values for an access token: the token cookie and, with CSRF protection, the
/// CSRF cookie holding the token's `csrf` claim. `max_age` overrides the options'.
/// The token must be one this service just issued: its `csrf` claim is read without verifying.
/// Format: `name=value; Path=/; Domain=d; Max-Age=N; Secure; HttpOnly; SameSite=Lax`, the
/// attributes in that order and only those set.
/// Errors: the malformed group (not a compact JWS), missing_claim (CSRF on and no `csrf`
/// claim), invalid_claim (a `csrf` claim that is not a string or not a valid cookie value),
/// invalid_configuration (a name, path, domain, Max-Age or SameSite value unusable in a cookie,
/// or SameSite=None without Secure, which browsers drop).
JWTFORT_API result<std::vector<std::string>> access_cookies(
    const cookie_options& options, std::string_view token,
    std::optional<std::int64_t> max_age = std::nullopt);

/// The same for a refresh token, with the refresh cookie names and paths.
JWTFORT_API result<std::vector<std::string>> refresh_cookies(
    const cookie_options& options, std::string_view token,
    std::optional<std::int64_t> max_age = std::nullopt);

/// `Set-Cookie` values that delete the access, refresh and (with CSRF protection) CSRF cookies:
/// empty values with `Max-Age=0` and the same path and domain (and Secure/SameSite as set).
/// Errors: invalid_configuration, as `access_cookies`.
JWTFORT_API result<std::vector<std::string>> unset_cookies(const cookie_options& options);

}  // namespace jwtfort::http
