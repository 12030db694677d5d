#include "jwtfort/http/cookies.hpp"

#include <algorithm>

#include "core/json.hpp"
#include "http/text.hpp"
#include "jwtfort/token.hpp"

namespace jwtfort::http {
namespace {

error misconfigured(std::string_view field, std::string_view why) {
  return error(errc::invalid_configuration,
               "cookie option " + std::string(field) + ": " + std::string(why));
}

// RFC 6265 §4.1.1: an attribute value ends at `;` and holds no CTL; a space would be trimmed
// or split by some parsers, so it is refused too.
bool is_attribute_value(std::string_view s) noexcept {
  return !s.empty() && std::none_of(s.begin(), s.end(),
                                    [](char c) { return c == ';' || c == ' ' || text::is_ctl(c); });
}

// cookie-octet (RFC 6265 §4.1.1): no space, DQUOTE, comma, semicolon, backslash or CTL.
bool is_cookie_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
  });
}

// The SameSite attribute as browsers document it, or empty for none.
result<std::string_view> same_site_of(const cookie_options& o) {
  if (!o.same_site) return std::string_view{};
  std::string_view out;
  for (std::string_view v : {"Strict", "Lax", "None"})
    if (text::iequals(*o.same_site, v)) out = v;
  if (out.empty()) return misconfigured("same_site", "must be strict, lax or none");
  // Browsers drop a `SameSite=None` cookie that is not `Secure` (RFC 6265bis storage model).
  if (out == "None" && !o.secure) return misconfigured("same_site", "none requires secure");
  return out;
}

result<void> check_max_age(const std::optional<std::int64_t>& max_age) {
  if (max_age.has_value() && *max_age < 0) return misconfigured("max_age", "must be >= 0 seconds");
  return {};
}

result<void> check_options(const cookie_options& o) {
  const std::pair<std::string_view, std::string_view> names[] = {
      {"access_cookie", o.access_cookie},
      {"refresh_cookie", o.refresh_cookie},
      {"access_csrf_cookie", o.access_csrf_cookie},
      {"refresh_csrf_cookie", o.refresh_csrf_cookie}};
  for (auto [field, value] : names)
    if (!text::is_token(value)) return misconfigured(field, "must be a non-empty HTTP token");
  const std::pair<std::string_view, std::string_view> paths[] = {
      {"access_path", o.access_path},
      {"refresh_path", o.refresh_path},
      {"access_csrf_path", o.access_csrf_path},
      {"refresh_csrf_path", o.refresh_csrf_path}};
  // RFC 6265 §5.2.4: a path not starting with `/` is silently replaced by the default path.
  for (auto [field, value] : paths)
    if (!is_attribute_value(value) || value.front() != '/')
      return misconfigured(field, "must start with '/' and hold no ';', space or control");
  if (o.domain && !is_attribute_value(*o.domain))
    return misconfigured("domain", "must be non-empty and hold no ';', space or control");
  return check_max_age(o.max_age);
}

struct cookie {
  std::string_view name;
  std::string_view value;
  std::string_view path;
  std::optional<std::int64_t> max_age;
  bool http_only;
};

// `name=value; Path=/; Domain=d; Max-Age=N; Secure; HttpOnly; SameSite=Lax`, in that order.
std::string set_cookie(const cookie_options& o, const cookie& c, std::string_view same_site) {
  std::string out;
  out.append(c.name).append("=").append(c.value).append("; Path=").append(c.path);
  if (o.domain) out.append("; Domain=").append(*o.domain);
  if (c.max_age) out.append("; Max-Age=").append(std::to_string(*c.max_age));
  if (o.secure) out.append("; Secure");
  if (c.http_only) out.append("; HttpOnly");
  if (!same_site.empty()) out.append("; SameSite=").append(same_site);
  return out;
}

// The token's `csrf` claim, read without verification: the caller just issued the token, and
// the value only ends up in a cookie the same token's holder receives.
result<std::string> csrf_claim(const unverified_token& token) {
  auto claims = json::parse_object(json::slot::scratch, token.payload_json(), json::claims_limits);
  if (!claims) return claims.error();
  auto csrf = json::string_member(*claims, "csrf", errc::invalid_claim);
  if (!csrf) return csrf.error();
  if (!*csrf) return error(errc::missing_claim, "the token has no csrf claim");
  // A `;` in the value would add attributes to the cookie.
  if (!is_cookie_value(**csrf))
    return error(errc::invalid_claim, "the csrf claim is not a valid cookie value");
  return std::string(**csrf);
}

struct token_cookie_names {
  const std::string& token;
  const std::string& token_path;
  const std::string& csrf;
  const std::string& csrf_path;
};

result<std::vector<std::string>> token_cookies(const cookie_options& o, std::string_view token,
                                               std::optional<std::int64_t> max_age,
                                               const token_cookie_names& names) {
  if (auto ok = check_options(o); !ok) return ok.error();
  if (auto ok = check_max_age(max_age); !ok) return ok.error();
  auto same_site = same_site_of(o);
  if (!same_site) return same_site.error();
  auto decoded = unverified_token::decode(token);
  if (!decoded) return decoded.error();
  if (!is_cookie_value(token)) return error(errc::malformed_token, "not a compact token");
  const auto age = max_age ? max_age : o.max_age;
  std::vector<std::string> out;
  out.push_back(set_cookie(o, {names.token, token, names.token_path, age, true}, *same_site));
  if (o.csrf_protect) {
    auto csrf = csrf_claim(*decoded);
    if (!csrf) return csrf.error();
    // Not HttpOnly: the page's script copies it into the CSRF header.
    out.push_back(set_cookie(o, {names.csrf, *csrf, names.csrf_path, age, false}, *same_site));
  }
  return out;
}

}  // namespace

cookie_options cookie_options::from_config(const config& settings) {
  cookie_options o;
  o.access_cookie = settings.access_cookie_key;
  o.refresh_cookie = settings.refresh_cookie_key;
  o.access_path = settings.access_cookie_path;
  o.refresh_path = settings.refresh_cookie_path;
  o.max_age = settings.cookie_max_age;
  o.domain = settings.cookie_domain;
  o.secure = settings.cookie_secure;
  o.same_site = settings.cookie_samesite;
  o.csrf_protect = settings.cookie_csrf_protect;
  o.access_csrf_cookie = settings.access_csrf_cookie_key;
  o.refresh_csrf_cookie = settings.refresh_csrf_cookie_key;
  o.access_csrf_path = settings.access_csrf_cookie_path;
  o.refresh_csrf_path = settings.refresh_csrf_cookie_path;
  return o;
}

result<std::vector<std::string>> access_cookies(const cookie_options& options,
                                                std::string_view token,
                                                std::optional<std::int64_t> max_age) {
  return token_cookies(options, token, max_age,
                       {options.access_cookie, options.access_path, options.access_csrf_cookie,
                        options.access_csrf_path});
}

result<std::vector<std::string>> refresh_cookies(const cookie_options& options,
                                                 std::string_view token,
                                                 std::optional<std::int64_t> max_age) {
  return token_cookies(options, token, max_age,
                       {options.refresh_cookie, options.refresh_path, options.refresh_csrf_cookie,
                        options.refresh_csrf_path});
}

result<std::vector<std::string>> unset_cookies(const cookie_options& options) {
  if (auto ok = check_options(options); !ok) return ok.error();
  auto same_site = same_site_of(options);
  if (!same_site) return same_site.error();
  // RFC 6265 §3.1: a cookie is removed by one with the same name, path and domain and
  // Max-Age=0 (HttpOnly does not take part in matching).
  auto gone = [&](const std::string& name, const std::string& path) {
    return set_cookie(options, {name, "", path, 0, false}, *same_site);
  };
  std::vector<std::string> out = {gone(options.access_cookie, options.access_path),
                                  gone(options.refresh_cookie, options.refresh_path)};
  if (options.csrf_protect) {
    out.push_back(gone(options.access_csrf_cookie, options.access_csrf_path));
    out.push_back(gone(options.refresh_csrf_cookie, options.refresh_csrf_path));
  }
  return out;
}

}  // namespace jwtfort::http
