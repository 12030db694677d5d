#include "router.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "handlers.hpp"
#include "jwtfort/http/request_view.hpp"

namespace jwtfort::server {
namespace {

struct route {
  std::string_view pattern;
  std::string_view method;  // GET routes answer HEAD too (RFC 9110 §9.3.2); "*": any method
  handler handle;
};

constexpr auto routes = std::to_array<route>({
    {"/login", "POST", login},
    {"/fresh-login", "POST", fresh_login},
    {"/refresh", "POST", refresh},
    {"/logout", "POST", logout},
    {"/logout-all", "POST", logout_all},
    {"/password", "POST", change_password},
    {"/protected", "GET", protected_resource},
    {"/me", "GET", me},
    {"/admin", "GET", admin},
    {"/.well-known/jwks.json", "GET", jwks},
    {"/healthz", "GET", healthz},
    {"/public", "GET", public_resource},
    {"/metrics", "GET", metrics_text},
    // Envoy's ext_authz asks with the method of the request it checks.
    {"/auth/verify", "*", verify},
    {"/ws", "GET", websocket},
});

constexpr std::array<std::string_view, routes.size()> patterns = [] {
  std::array<std::string_view, routes.size()> out{};
  for (std::size_t i = 0; i < routes.size(); ++i) out[i] = routes[i].pattern;
  return out;
}();

bool contains_insensitive(std::string_view text, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i)
    if (ascii_iequals(text.substr(i, needle.size()), needle)) return true;
  return false;
}

// Routes and route rules match the path as received, so a path that a proxy or a file system
// could read as another path is refused rather than interpreted: dot segments (RFC 3986 §3.3),
// empty segments, encoded dots, slashes and backslashes, and anything not in origin form.
bool acceptable_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '#') return false;
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.find("//") != std::string_view::npos) return false;
  if (path.find('\\') != std::string_view::npos) return false;
  for (std::string_view encoded : {"%2e", "%2f", "%5c"})
    if (contains_insensitive(path, encoded)) return false;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

const route* find_route(std::string_view path) {
  for (const route& r : routes)
    if (r.pattern == path) return &r;
  return nullptr;
}

bool method_allowed(const route& r, std::string_view method) {
  return r.method == "*" || method == r.method || (r.method == "GET" && method == "HEAD");
}

response method_not_allowed(const route& r) {
  response res = detail_reply(405, "Method Not Allowed");
  res.headers.push_back({"Allow", r.method == "GET" ? "GET, HEAD" : std::string(r.method)});
  return res;
}

response dispatch(application& app, const request& r, std::size_t& route_index) {
  if (!acceptable_target(r.target)) return detail_reply(400, "Bad request target");
  const std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
  const route* found = find_route(path);
  if (found == nullptr) return detail_reply(404, "Not Found");
  route_index = static_cast<std::size_t>(found - routes.data());
  response res;
  if (!method_allowed(*found, r.method)) {
    res = method_not_allowed(*found);
  } else if (r.body.size() > max_body_bytes) {
    res = detail_reply(413, "Request body too large");
  } else {
    std::vector<http::header_field> fields;
    fields.reserve(r.headers.size());
    for (const field& f : r.headers) fields.push_back({f.name, f.value});
    const http::request_view view{.method = r.method, .target = r.target, .headers = fields};
    res = found->handle(app, exchange{r, view});
  }
  res.route = found->pattern;
  return res;
}

}  // namespace

std::span<const std::string_view> route_patterns() { return patterns; }

std::string_view response::header(std::string_view name) const {
  for (const field& f : headers)
    if (ascii_iequals(f.name, name)) return f.value;
  return {};
}

std::string_view response::outcome() const noexcept {
  if (!decided) return {};
  return refused ? to_string(*refused) : "ok";
}

std::string_view client_address(const request& r, bool trust_forwarded_for) {
  if (!trust_forwarded_for) return r.client;
  std::string_view last;
  for (const field& f : r.headers) {
    if (!ascii_iequals(f.name, "X-Forwarded-For")) continue;
    last = f.value;  // a later header field continues the list (RFC 9110 §5.3)
  }
  const std::size_t comma = last.rfind(',');
  if (comma != std::string_view::npos) last.remove_prefix(comma + 1);
  last = trim_ows(last);
  return last.empty() ? std::string_view(r.client) : last;
}

response router::handle(const request& r) const {
  std::size_t route_index = app_.stats().unmatched();
  response res = dispatch(app_, r, route_index);
  metrics& stats = app_.stats();
  stats.count_request(route_index, r.method, res.status);
  if (res.decided) {
    if (res.refused) {
      stats.count_auth_error(*res.refused);
    } else {
      stats.count_auth_ok();
    }
  }
  return res;
}

}  // namespace jwtfort::server
