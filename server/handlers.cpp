// The resource, discovery and forward-authentication routes, and the building blocks every
// handler shares.
#include "handlers.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "json.hpp"

namespace jwtfort::server {
namespace {

bool is_ctl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// A value that can be sent as a header field value as it is: no control character could end
// the field early, and no comma could split a list item in two.
bool header_safe(std::string_view value, bool list_item) {
  for (char c : value)
    if (is_ctl(c) || (list_item && c == ',')) return false;
  return true;
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> items;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return items;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out.append(out.empty() ? "" : ",").append(item);
  return out;
}

std::string upper_case(std::string_view text) {
  std::string upper(text);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return upper;
}

// The method CSRF protection is decided for. The proxy says which method the original request
// had: Traefik in X-Forwarded-Method, nginx in X-Original-Method (when told to). But a proxy sets
// only its own header and passes the other one on from the client, so no header can be
// preferred: when this request's own method (Envoy's check keeps the original one) or any
// method header names a CSRF method, that method is the one checked. Otherwise it is the
// request's own, as nginx's and Traefik's GET subrequest. Upper-cased: a framework behind the
// proxy may read "post" as POST, and CSRF must then apply.
std::string csrf_method(const http::request_view& view, const http::authenticator_options& o) {
  const auto is_csrf_method = [&](const std::string& method) {
    return std::find(o.csrf_methods.begin(), o.csrf_methods.end(), method) != o.csrf_methods.end();
  };
  std::string own = upper_case(view.method);
  if (is_csrf_method(own)) return own;
  for (const http::header_field& f : view.headers) {
    if (!ascii_iequals(f.name, "X-Forwarded-Method") && !ascii_iequals(f.name, "X-Original-Method"))
      continue;
    for (std::string_view item : split_list(f.value))
      if (std::string method = upper_case(item); is_csrf_method(method)) return method;
  }
  return own;
}

bool has_token(std::string_view list, std::string_view token) {
  for (std::string_view item : split_list(list))
    if (ascii_iequals(item, token)) return true;
  return false;
}

// RFC 6455 §4.2.1: an upgrade says `Upgrade: websocket` and `Connection: Upgrade`.
bool is_websocket_upgrade(const http::request_view& view) {
  auto upgrade = http::find_header(view, "Upgrade");
  auto connection = http::find_header(view, "Connection");
  return upgrade && connection && has_token(*upgrade, "websocket") &&
         has_token(*connection, "upgrade");
}

// RFC 6455 §4.1: the key is 16 random bytes in base64 (RFC 4648 §4), so 22 characters, the last
// of which carries 2 bits and 4 zero bits, then "==".
bool is_handshake_key(std::string_view key) {
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (key.size() != 24 || !key.ends_with("==")) return false;
  for (char c : key.substr(0, 22))
    if (alphabet.find(c) == std::string_view::npos) return false;
  return (alphabet.find(key[21]) & 0x0f) == 0;
}

response bad_handshake(std::string_view why) {
  return detail_reply(400, "Bad WebSocket handshake: " + std::string(why));
}

// The rest of the opening handshake (RFC 6455 §4.2.1), checked here so that the WebSocket layer
// never refuses it with an answer of its own: a refusal is the server's JSON, with its real
// status in the log and the metrics. Nothing when the handshake is usable.
std::optional<response> unusable_handshake(const exchange& x) {
  if (x.view.method != "GET") return bad_handshake("the method must be GET");
  if (x.req.version != 11) return bad_handshake("HTTP/1.1 required");
  if (!http::find_header(x.view, "Host")) return bad_handshake("missing Host");
  bool twice = false;
  const auto key = http::find_header(x.view, "Sec-WebSocket-Key", &twice);
  if (!key) return bad_handshake("missing Sec-WebSocket-Key");
  if (twice) return bad_handshake("Sec-WebSocket-Key sent more than once");
  if (!is_handshake_key(*key)) return bad_handshake("Sec-WebSocket-Key must be 16 bytes in base64");
  const auto version = http::find_header(x.view, "Sec-WebSocket-Version", &twice);
  if (!version) return bad_handshake("missing Sec-WebSocket-Version");
  if (twice) return bad_handshake("Sec-WebSocket-Version sent more than once");
  if (*version != "13") {  // RFC 6455 §4.4: 426 and the version this server speaks
    response r = detail_reply(426, "Unsupported WebSocket version");
    r.headers.push_back({"Sec-WebSocket-Version", "13"});
    return r;
  }
  return std::nullopt;
}

}  // namespace

response json_reply(int status, std::string body) {
  response r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  // A refusal is about this request alone: a cache must not answer another one with it.
  if (status >= 400) no_store(r);
  return r;
}

response detail_reply(int status, std::string_view detail) {
  return json_reply(status, json::object().text("detail", detail).str());
}

response refusal(const http::challenge& c) {
  response r = json_reply(c.status, c.body());
  if (!c.www_authenticate.empty()) r.headers.push_back({"WWW-Authenticate", c.www_authenticate});
  no_store(r);
  r.decided = true;
  r.refused = c.code;
  return r;
}

response refusal(const application& app, const error& failure) {
  return refusal(http::challenge_for(failure, app.auth().options()));
}

void accepted(response& r, std::string_view subject) {
  r.decided = true;
  r.refused.reset();
  r.subject = subject;
}

bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void no_store(response& r) {
  if (r.header("Cache-Control").empty()) r.headers.push_back({"Cache-Control", "no-store"});
}

response protected_resource(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view), [](const http::principal& p) {
    return json_reply(200, json::object().text("user", p.subject()).str());
  });
}

response me(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view), [](const http::principal& p) {
    const verified_token& t = p.token;
    json::object body;
    body.text("subject", p.subject()).texts("roles", p.roles);
    body.boolean("fresh", t.bool_claim("fresh").value_or(false)).text("jti", t.jwt_id());
    body.number_or_null("issued_at", t.issued_at()).number_or_null("expires_at", t.expires_at());
    return json_reply(200, body.str());
  });
}

response admin(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view), [](const http::principal& p) {
    return json_reply(200, json::object().boolean("admin", true).text("user", p.subject()).str());
  });
}

response jwks(application& app, const exchange&) {
  response r;
  r.headers.push_back({"Content-Type", "application/jwk-set+json"});
  r.body = app.public_jwks();
  return r;
}

response healthz(application& app, const exchange&) {
  // The per-request revocation check costs no I/O and fails exactly when the store cannot
  // vouch for its answers, which is what "healthy" means for this server.
  if (auto ok = app.store().check({}); !ok && ok.code() == errc::store_unavailable)
    return json_reply(503, R"({"status":"store_unavailable"})");
  return json_reply(200, R"({"status":"ok"})");
}

response public_resource(application&, const exchange&) {
  return json_reply(200, R"({"hello":"world"})");
}

response metrics_text(application& app, const exchange&) {
  response r;
  r.headers.push_back({"Content-Type", std::string(exposition_content_type)});
  r.body = app.stats().exposition();
  return r;
}

response verify(application& app, const exchange& x) {
  // The requirement is the proxy's configuration, read before the token: one that cannot be
  // read is refused as the misconfiguration it is, never read as no requirement at all.
  const auto roles = http::find_query_parameters(x.view, "roles");
  const auto scopes = http::find_query_parameters(x.view, "scopes");
  if (!roles || !scopes) {
    response r =
        detail_reply(500, roles ? "Malformed scopes requirement" : "Malformed roles requirement");
    r.decided = true;
    r.refused = errc::invalid_configuration;
    return r;
  }
  http::route_rule rule{.need = http::requirement::access};
  for (const std::string& list : *roles)  // every parameter adds to the requirement
    for (std::string_view role : split_list(list)) rule.roles.emplace_back(role);
  for (const std::string& list : *scopes)
    for (std::string_view scope : split_list(list)) rule.scopes.emplace_back(scope);
  const std::string method = csrf_method(x.view, app.auth().options());
  http::request_view original = x.view;
  original.method = method;

  const http::decision d = app.auth().decide(original, rule);
  if (const http::challenge* c = d.challenge()) {
    // Proxies pass only 401 and 403 through to the client (anything else becomes a 500), so
    // an unusable header is reported as the 401 it is to the client; 503 stays a 503.
    http::challenge passed = *c;
    if (passed.status == 400) passed.status = 401;
    return refusal(passed);
  }
  const http::principal* p = d.principal();
  if (p == nullptr) return refusal(app, error(errc::missing_token));
  bool safe = header_safe(p->subject(), false) && header_safe(p->token.jwt_id(), false);
  for (const std::string& role : p->roles) safe = safe && header_safe(role, true);
  for (const std::string& scope : p->scopes) safe = safe && header_safe(scope, true);
  if (!safe)
    return refusal(app, error(errc::invalid_claim, "a claim cannot be sent in a header field"));
  response r;
  r.headers.push_back({"X-Auth-Subject", std::string(p->subject())});
  r.headers.push_back({"X-Auth-Roles", join(p->roles)});
  r.headers.push_back({"X-Auth-Scopes", join(p->scopes)});
  r.headers.push_back({"X-Auth-Jti", std::string(p->token.jwt_id())});
  // Which trusted issuer vouched for the caller; empty for the server's own tokens.
  r.headers.push_back({"X-Auth-Issuer", p->issuer});
  no_store(r);
  accepted(r, p->subject());
  return r;
}

response websocket(application& app, const exchange& x) {
  if (!is_websocket_upgrade(x.view)) {
    response r = detail_reply(426, "Upgrade Required");
    r.headers.push_back({"Upgrade", "websocket"});
    return r;
  }
  if (std::optional<response> refused = unusable_handshake(x)) return std::move(*refused);
  return for_caller(app, app.auth().decide(x.view), [](const http::principal& p) {
    response r;
    r.status = 101;
    r.token = p.token;
    return r;
  });
}

}  // namespace jwtfort::server
