// src/http: component `http`, framework-free HTTP authentication: request views, this
// authenticator, the challenge table (errc -> status, WWW-Authenticate, body) and cookies. It may
// use service, store and core; the server, the adapters in include/jwtfort/adapters and Python
// use it. No framework and no socket here.

#include "jwtfort/http/authenticator.hpp"

#include <algorithm>
#include <span>
#include <utility>

#include "core/json.hpp"
#include "crypto/crypto.hpp"
#include "http/text.hpp"

namespace jwtfort::http {
namespace {

// --- configuration ---------------------------------------------------------------------------

error misconfigured(std::string_view field, std::string_view why) {
  return error(errc::invalid_configuration,
               "authenticator option " + std::string(field) + ": " + std::string(why));
}

// Patterns are `/exact` or `/prefix/*`: a `*` anywhere else would suggest a glob that
// path_matches does not implement.
bool is_valid_pattern(std::string_view p) noexcept {
  if (p.empty() || p.front() != '/') return false;
  const std::size_t star = p.find('*');
  return star == std::string_view::npos || (star == p.size() - 1 && p.ends_with("/*"));
}

// RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`, so a list of them can
// be written space-separated inside a quoted `scope` attribute.
bool is_scope_token(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
}

bool allows_any(const token_locations& l) noexcept { return l.header || l.cookies || l.query; }

result<void> check_names(const authenticator_options& o) {
  const std::pair<std::string_view, std::string_view> names[] = {
      {"header_name", o.header_name},
      {"access_cookie", o.access_cookie},
      {"refresh_cookie", o.refresh_cookie},
      {"access_csrf_header", o.access_csrf_header},
      {"refresh_csrf_header", o.refresh_csrf_header},
      {"query_parameter", o.query_parameter}};
  for (auto [field, value] : names)
    if (!text::is_token(value)) return misconfigured(field, "must be a non-empty HTTP token");
  if (!o.header_type.empty() && !text::is_token(o.header_type))
    return misconfigured("header_type", "must be empty or an HTTP token");
  if (std::any_of(o.realm.begin(), o.realm.end(), text::is_ctl))
    return misconfigured("realm", "must not contain control characters");
  if (!allows_any(o.locations)) return misconfigured("locations", "allow no location");
  return {};
}

result<void> check_csrf_methods(const authenticator_options& o) {
  static constexpr std::string_view known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                               "PATCH", "DELETE", "OPTIONS"};
  for (const std::string& m : o.csrf_methods)
    if (std::find(std::begin(known), std::end(known), m) == std::end(known))
      return misconfigured("csrf_methods",
                           "'" + m + "' is not one of " + "GET HEAD POST PUT PATCH DELETE OPTIONS");
  return {};
}

result<void> check_rule(const route_rule& rule, const std::string& field) {
  if (!is_valid_pattern(rule.path))
    return misconfigured(field + ".path", "must be '/exact' or '/prefix/*'");
  for (const std::string& m : rule.methods)
    if (!text::is_token(m)) return misconfigured(field + ".methods", "must be HTTP methods");
  for (const std::string& r : rule.roles)
    if (r.empty()) return misconfigured(field + ".roles", "must not be empty strings");
  for (const std::string& s : rule.scopes)
    if (!is_scope_token(s)) return misconfigured(field + ".scopes", "must be scope tokens");
  if (rule.locations && !allows_any(*rule.locations))
    return misconfigured(field + ".locations", "allow no location");
  return {};
}

result<void> check_options(const authenticator_options& o) {
  if (auto ok = check_names(o); !ok) return ok;
  if (auto ok = check_csrf_methods(o); !ok) return ok;
  for (std::size_t i = 0; i < o.excluded_paths.size(); ++i)
    if (!is_valid_pattern(o.excluded_paths[i]))
      return misconfigured("excluded_paths[" + std::to_string(i) + "]",
                           "must be '/exact' or '/prefix/*'");
  for (std::size_t i = 0; i < o.routes.size(); ++i)
    if (auto ok = check_rule(o.routes[i], "routes[" + std::to_string(i) + "]"); !ok) return ok;
  return {};
}

// --- finding the token -----------------------------------------------------------------------

struct found_token {
  std::string_view text;
  std::string_view location;  // "header", "cookie" or "query"
};

// Nothing found is not an error yet: an optional route lets the caller in anonymously.
using lookup = result<std::optional<found_token>>;

const std::string& cookie_name(const authenticator_options& o, requirement need) {
  return need == requirement::refresh ? o.refresh_cookie : o.access_cookie;
}

error bad_header(const authenticator_options& o) {
  const std::string expected = o.header_type.empty() ? "<JWT>" : o.header_type + " <JWT>";
  return error(errc::invalid_authorization_header,
               "Bad " + o.header_name + " header. Expected value '" + expected + "'");
}

// token68 (RFC 9110 §11.2), the b64token of RFC 6750 §2.1.
bool is_token68(std::string_view s) noexcept {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  });
}

// RFC 6750 §2.1: `Bearer 1*SP b64token`, the scheme case-insensitive (RFC 9110 §11.1). The
// b64token itself is checked only when verification fails (see authenticate): a token that
// verifies is base64url with two dots (RFC 7515 §7.1), which token68 contains, so the happy path
// does not walk the token twice.
result<std::string_view> token_from_header(std::string_view value, const authenticator_options& o) {
  value = text::trim_ows(value);
  if (!o.header_type.empty()) {
    const std::size_t n = o.header_type.size();
    if (value.size() <= n || value[n] != ' ' || !text::iequals(value.substr(0, n), o.header_type))
      return bad_header(o);
    value.remove_prefix(value.find_first_not_of(' ', n));  // trimmed: a non-space follows
  }
  if (value.empty()) return bad_header(o);
  return value;
}

lookup from_header(const request_view& r, const authenticator_options& o) {
  bool twice = false;
  auto value = find_header(r, o.header_name, &twice);
  if (!value) return std::optional<found_token>{};
  // Two headers are two candidate tokens; intermediaries may keep either (RFC 9110 §5.3).
  if (twice)
    return error(errc::invalid_authorization_header,
                 "Bad " + o.header_name + " header. Sent more than once");
  auto token = token_from_header(*value, o);
  if (!token) return token.error();
  return std::optional<found_token>{{*token, "header"}};
}

// A second cookie of the same name is cookie tossing (a sibling domain planting its own):
// choosing either one silently would let the attacker's win.
lookup from_cookie(const request_view& r, const authenticator_options& o, requirement need) {
  bool twice = false;
  auto value = find_cookie(r, cookie_name(o, need), &twice);
  if (twice) return error(errc::malformed_token, "the token cookie is sent more than once");
  if (!value || value->empty()) return std::optional<found_token>{};
  return std::optional<found_token>{{*value, "cookie"}};
}

lookup from_query(const request_view& r, const authenticator_options& o, std::string& decoded) {
  bool twice = false;
  auto value = find_query_parameter(r, o.query_parameter, &twice);
  if (twice)
    return error(errc::malformed_token, "the token query parameter is sent more than once");
  if (!value || value->empty()) return std::optional<found_token>{};
  decoded = std::move(*value);
  return std::optional<found_token>{{decoded, "query"}};
}

// Header, then cookies, then query (fastapi-jwt-auth: a header that is there wins); `decoded`
// holds a query token, which must be percent-decoded.
lookup find_token(const request_view& r, const authenticator_options& o, requirement need,
                  const token_locations& where, std::string& decoded) {
  if (where.header) {
    auto t = from_header(r, o);
    if (!t || *t) return t;
  }
  if (where.cookies) {
    auto t = from_cookie(r, o, need);
    if (!t || *t) return t;
  }
  if (where.query) return from_query(r, o, decoded);
  return std::optional<found_token>{};
}

error missing_token(const authenticator_options& o, requirement need,
                    const token_locations& where) {
  if (where.header) return error(errc::missing_token, "Missing " + o.header_name + " Header");
  if (where.cookies) return error(errc::missing_token, "Missing cookie " + cookie_name(o, need));
  return error(errc::missing_token, "Missing token query parameter '" + o.query_parameter + "'");
}

// --- checking it -----------------------------------------------------------------------------

result<verified_token> verify(const token_service& service, requirement need,
                              std::string_view token) {
  auto t = need == requirement::fresh     ? service.require_fresh(token)
           : need == requirement::refresh ? service.require_refresh(token)
                                          : service.require_access(token);
  if (!t && t.code() == errc::wrong_token_type)
    return error(errc::wrong_token_type, need == requirement::refresh
                                             ? "Only refresh tokens are allowed"
                                             : "Only access tokens are allowed");
  return t;
}

bool csrf_applies(const authenticator_options& o, const found_token& found,
                  std::string_view method) {
  return o.csrf_protect && found.location == "cookie" &&
         std::find(o.csrf_methods.begin(), o.csrf_methods.end(), method) != o.csrf_methods.end();
}

std::span<const unsigned char> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// Double submit: a cookie rides along on cross-site requests, the header only comes from a
// page that could read the CSRF cookie. Compared in constant time (timing would leak it).
result<void> check_csrf(const request_view& r, const authenticator_options& o, requirement need,
                        const json::object& claims) {
  bool twice = false;
  const std::string& header =
      need == requirement::refresh ? o.refresh_csrf_header : o.access_csrf_header;
  auto submitted = find_header(r, header, &twice);
  if (!submitted || text::trim_ows(*submitted).empty())
    return error(errc::csrf_failed, "Missing CSRF Token");
  auto claim = json::find(claims, "csrf");
  auto expected = claim ? claim->as_string() : std::nullopt;
  if (!expected) return error(errc::csrf_failed, "Missing claim: csrf");
  if (twice ||
      !crypto::equal_constant_time(bytes_of(*expected), bytes_of(text::trim_ows(*submitted))))
    return error(errc::csrf_failed, "CSRF double submit tokens do not match");
  return {};
}

// A string, or an array of strings (as verified_token::string_list_claim); else nothing.
std::vector<std::string> string_list(const json::object& claims, std::string_view name) {
  std::vector<std::string> out;
  auto v = json::find(claims, name);
  if (!v) return out;
  if (auto s = v->as_string()) {
    out.emplace_back(*s);
  } else if (auto list = v->as_array()) {
    for (json::value item : *list) {
      auto text = item.as_string();
      if (!text) return {};
      out.emplace_back(*text);
    }
  }
  return out;
}

// RFC 9068 §2.2.3: `scope` is one space-separated string; some issuers write a `scp` list.
std::vector<std::string> scopes_of(const json::object& claims) {
  auto v = json::find(claims, "scope");
  auto scope = v ? v->as_string() : std::nullopt;
  if (!scope) return string_list(claims, "scp");
  std::string_view s = *scope;
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t end = std::min(s.find(' '), s.size());
    if (end > 0) out.emplace_back(s.substr(0, end));
    s.remove_prefix(std::min(end + 1, s.size()));
  }
  return out;
}

bool contains_all(std::span<const std::string> have, std::span<const std::string> wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::find(have.begin(), have.end(), w) != have.end();
  });
}

result<void> check_grants(const principal& p, const route_rule& rule) {
  for (const std::string& role : rule.roles)
    if (std::find(p.roles.begin(), p.roles.end(), role) == p.roles.end())
      return error(errc::insufficient_scope, "Missing required role '" + role + "'");
  if (!contains_all(p.scopes, rule.scopes))
    return error(errc::insufficient_scope, "Insufficient scope for this route");
  return {};
}

// Whether the claims text may hold a member named one of `names`. Without a backslash no
// string is escaped, so a name that is none of its strings is absent: most tokens then skip the
// parse below. Values equal to a name only cost that parse.
bool may_hold(std::string_view claims, std::initializer_list<std::string_view> names) noexcept {
  if (claims.find('\\') != std::string_view::npos) return true;
  for (std::size_t open = claims.find('"'); open != std::string_view::npos;) {
    const std::size_t close = claims.find('"', open + 1);
    if (close == std::string_view::npos) return true;
    const std::string_view s = claims.substr(open + 1, close - open - 1);
    if (std::find(names.begin(), names.end(), s) != names.end()) return true;
    open = claims.find('"', close + 1);
  }
  return false;
}

// The principal for a verified token, after the CSRF check: one parse of the claims serves
// the roles, the scopes and the `csrf` claim (each accessor of verified_token parses again).
result<principal> make_principal(verified_token&& token, const found_token& found,
                                 std::string& decoded, const request_view& r,
                                 const authenticator_options& o, requirement need) {
  principal p{.token = std::move(token),
              .location = found.location,
              .encoded = found.location == "query" ? std::move(decoded) : std::string(found.text)};
  const bool csrf = csrf_applies(o, found, r.method);
  const std::string_view text = p.token.claims_json();
  if (csrf || may_hold(text, {o.roles_claim, "scope", "scp"})) {
    auto claims = json::parse_object(json::slot::scratch, text, json::claims_limits);
    if (!claims) return claims.error();
    if (csrf)
      if (auto ok = check_csrf(r, o, need, *claims); !ok) return ok.error();
    p.roles = string_list(*claims, o.roles_claim);
    p.scopes = scopes_of(*claims);
  }
  return p;
}

// A trusted issuer's token: its mapped identity is the principal. Providers issue neither fresh
// nor refresh JWTs, so only access and optional routes take one. A cookie-borne one meets the
// same double-submit check as an own token (which a provider's token, without `csrf`, fails).
result<principal> trusted_principal(issuer_identity&& id, const found_token& found,
                                    std::string& decoded, const request_view& r,
                                    const authenticator_options& o, requirement need) {
  if (need == requirement::fresh) return error(errc::fresh_token_required);
  if (need == requirement::refresh)
    return error(errc::wrong_token_type, "Only refresh tokens are allowed");
  if (csrf_applies(o, found, r.method)) {
    auto claims =
        json::parse_object(json::slot::scratch, id.token.claims_json(), json::claims_limits);
    if (!claims) return claims.error();
    if (auto ok = check_csrf(r, o, need, *claims); !ok) return ok.error();
  }
  return principal{
      .token = std::move(id.token),
      .roles = std::move(id.roles),
      .scopes = std::move(id.scopes),
      .location = found.location,
      .encoded = found.location == "query" ? std::move(decoded) : std::string(found.text),
      .issuer = std::move(id.issuer),
      .mapped_subject = std::move(id.subject)};
}

// The trusted issuers first: their routing reads only the token's `iss`, and a token naming
// none of them (invalid_issuer, with no network) goes on to the token service when own tokens
// are accepted.
result<principal> verify_any(const token_service* service, const authenticator_options& o,
                             const request_view& r, const found_token& found, std::string& decoded,
                             requirement need) {
  if (o.trusted) {
    auto id = o.trusted->verify(found.text);
    if (id) return trusted_principal(std::move(*id), found, decoded, r, o, need);
    const bool unknown_issuer = id.code() == errc::invalid_issuer;
    if (!unknown_issuer || !o.accept_own_tokens || service == nullptr) return id.error();
  }
  auto token = verify(*service, need, found.text);
  if (!token) return token.error();
  return make_principal(std::move(*token), found, decoded, r, o, need);
}

// The whole check for one rule: nullopt is an anonymous caller.
result<std::optional<principal>> authenticate(const token_service* service,
                                              const authenticator_options& o, const request_view& r,
                                              const route_rule& rule) {
  const token_locations& where = rule.locations ? *rule.locations : o.locations;
  std::string decoded;
  auto found = find_token(r, o, rule.need, where, decoded);
  if (!found) return found.error();
  if (!*found) {
    if (rule.need == requirement::optional) return std::optional<principal>{};
    return missing_token(o, rule.need, where);
  }
  auto p = verify_any(service, o, r, **found, decoded, rule.need);
  if (!p) {
    // Not one token68 (a second word, a stray character): the header is unusable, a 400,
    // whatever the verifier made of it.
    if ((*found)->location == "header" && !is_token68((*found)->text)) return bad_header(o);
    return p.error();
  }
  if (auto ok = check_grants(*p, rule); !ok) return ok.error();
  return std::optional<principal>(std::move(*p));
}

const route_rule* find_rule(const std::vector<route_rule>& routes, std::string_view method,
                            std::string_view path) noexcept {
  for (const route_rule& rule : routes) {
    if (!path_matches(rule.path, path)) continue;
    if (rule.methods.empty() ||
        std::find(rule.methods.begin(), rule.methods.end(), method) != rule.methods.end())
      return &rule;
  }
  return nullptr;
}

bool is_excluded(const authenticator_options& o, std::string_view path) noexcept {
  return std::any_of(o.excluded_paths.begin(), o.excluded_paths.end(),
                     [path](const std::string& p) { return path_matches(p, path); });
}

}  // namespace

// Byte-exact on purpose: decoding or normalizing here would disagree with the router that
// dispatches the request; servers reject dot segments and ambiguous encodings before this.
bool path_matches(std::string_view pattern, std::string_view path) noexcept {
  if (!pattern.ends_with("/*")) return pattern == path;
  const std::string_view base = pattern.substr(0, pattern.size() - 2);
  if (base.empty()) return true;  // `/*`
  return path.starts_with(base) && (path.size() == base.size() || path[base.size()] == '/');
}

authenticator_options authenticator_options::from_config(const config& settings) {
  authenticator_options o;
  auto has = [&](std::string_view where) {
    return std::find(settings.token_location.begin(), settings.token_location.end(), where) !=
           settings.token_location.end();
  };
  o.locations = {.header = has("headers"), .cookies = has("cookies"), .query = false};
  o.header_name = settings.header_name;
  o.header_type = settings.header_type;
  o.access_cookie = settings.access_cookie_key;
  o.refresh_cookie = settings.refresh_cookie_key;
  o.csrf_protect = settings.cookie_csrf_protect;
  o.access_csrf_header = settings.access_csrf_header_name;
  o.refresh_csrf_header = settings.refresh_csrf_header_name;
  o.csrf_methods = settings.csrf_methods;
  return o;
}

authenticator::authenticator(std::shared_ptr<const token_service> service,
                             authenticator_options options)
    : service_(std::move(service)), options_(std::move(options)) {}

result<authenticator> authenticator::create(std::shared_ptr<const token_service> service,
                                            authenticator_options options) {
  if (!options.accept_own_tokens && !options.trusted)
    return misconfigured("accept_own_tokens", "is false but no trusted issuers are given");
  if (!service && options.accept_own_tokens) return misconfigured("service", "is missing");
  if (auto ok = check_options(options); !ok) return ok.error();
  return authenticator(std::move(service), std::move(options));
}

decision authenticator::decide(const request_view& request) const {
  const std::string_view path = request.path();
  if (is_excluded(options_, path)) return decision::anonymous{};
  if (const route_rule* rule = find_rule(options_.routes, request.method, path))
    return decide(request, *rule);
  route_rule fallback;  // empty strings and vectors: no allocation
  fallback.need = options_.default_requirement;
  return decide(request, fallback);
}

decision authenticator::decide(const request_view& request, const route_rule& rule) const {
  if (rule.need == requirement::none) return decision::anonymous{};
  auto outcome = authenticate(service_.get(), options_, request, rule);
  if (!outcome) return challenge_for(outcome.error(), options_, rule.scopes);
  if (!*outcome) return decision::anonymous{};
  return std::move(**outcome);
}

std::optional<route_rule> authenticator::rule_for(std::string_view method,
                                                  std::string_view path) const {
  if (is_excluded(options_, path)) return std::nullopt;
  if (const route_rule* rule = find_rule(options_.routes, method, path)) return *rule;
  route_rule fallback;
  fallback.need = options_.default_requirement;
  return fallback;
}

}  // namespace jwtfort::http
