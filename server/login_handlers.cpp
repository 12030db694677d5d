// The token endpoints: password login, fresh login, refresh rotation, logout and the password
// change.
#include <optional>
#include <string>
#include <utility>

#include "handlers.hpp"
#include "json.hpp"
#include "users.hpp"

namespace jwtfort::server {
namespace {

enum class issue { pair, fresh_access };

struct credentials {
  std::string username;
  std::string password;
  std::optional<bool> cookies;
};

bool is_json_media_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return ascii_iequals(type, "application/json");
}

// A JSON content type is required: a cross-site HTML form can post text/plain that happens to
// be JSON, but not application/json without the browser asking the server first (CORS), which
// stops another site from logging a browser into the attacker's account (login CSRF).
std::optional<response> require_json_body(const exchange& x) {
  const auto type = http::find_header(x.view, "Content-Type");
  if (!type || !is_json_media_type(*type))
    return detail_reply(415, "Content-Type must be application/json");
  return std::nullopt;
}

std::optional<response> read_credentials(const exchange& x, credentials& c) {
  if (auto bad = require_json_body(x)) return bad;
  const json::member members[] = {
      {.name = "username", .required = true, .text = &c.username},
      {.name = "password", .required = true, .text = &c.password},
      {.name = "cookies", .flag = &c.cookies},
  };
  if (auto why = json::read_object(x.req.body, members)) return detail_reply(422, *why);
  if (c.username.empty()) return detail_reply(422, "username: must not be empty");
  if (c.password.empty()) return detail_reply(422, "password: must not be empty");
  return std::nullopt;
}

// Throttling is checked before the password, so a throttled caller learns nothing about it,
// and costs the server no password hash.
std::optional<response> check_login(application& app, const exchange& x, const credentials& c,
                                    user& who) {
  const std::string address(client_address(x.req, app.settings().trust_forwarded_for));
  if (auto wait = app.throttle().retry_after(c.username, address)) {
    app.stats().count_login(login_result::throttled);
    response r = refusal(app, error(errc::too_many_attempts));
    r.headers.push_back({"Retry-After", std::to_string(std::max<std::int64_t>(*wait, 1))});
    return r;
  }
  auto found = app.users().authenticate(c.username, c.password);
  if (!found) {
    if (found.code() == errc::invalid_credentials) {
      app.throttle().record_failure(c.username, address);
      app.stats().count_login(login_result::invalid_credentials);
    }
    return refusal(app, found.error());
  }
  app.throttle().record_success(c.username);
  app.stats().count_login(login_result::ok);
  who = std::move(*found);
  return std::nullopt;
}

void add_expires_in(json::object& body, const application& app) {
  if (auto lifetime = app.tokens().options().access_lifetime) body.number("expires_in", *lifetime);
}

// For API clients: the tokens in the body.
response token_body(const application& app, std::string_view access,
                    const std::optional<std::string>& refresh) {
  json::object body;
  body.text("access_token", access);
  if (refresh) body.text("refresh_token", *refresh);
  body.text("token_type", "bearer");
  add_expires_in(body, app);
  response r = json_reply(200, body.str());
  no_store(r);
  return r;
}

// For browsers: the tokens in HttpOnly cookies, their CSRF values in readable ones; the body
// holds no token. `done` names what happened ("login", "refresh").
response token_cookies(const application& app, std::string_view access,
                       const std::optional<std::string>& refresh, std::string_view done) {
  auto set = http::access_cookies(app.cookies(), access);
  if (!set) return refusal(app, set.error());
  if (refresh) {
    auto more = http::refresh_cookies(app.cookies(), *refresh);
    if (!more) return refusal(app, more.error());
    set->insert(set->end(), more->begin(), more->end());
  }
  json::object body;
  body.boolean(done, true);
  add_expires_in(body, app);
  response r = json_reply(200, body.str());
  for (std::string& cookie : *set) r.headers.push_back({"Set-Cookie", std::move(cookie)});
  no_store(r);
  return r;
}

response password_login(application& app, const exchange& x, issue what) {
  credentials c;
  if (auto bad = read_credentials(x, c)) return std::move(*bad);
  user who;
  if (auto refused = check_login(app, x, c, who)) return std::move(*refused);

  const token_request request{
      .subject = who.name,
      .fresh = true,
      .extra_claims_json = json::object().texts(app.auth().options().roles_claim, who.roles).str(),
  };
  // A pair shares a refresh family, so that the family's revocation (reuse of a spent refresh
  // token, logout) also ends the access token; a fresh access token alone belongs to none.
  std::string access;
  std::optional<std::string> refresh_token;
  if (what == issue::pair) {
    auto pair = app.tokens().create_token_pair(request);
    if (!pair) return refusal(app, pair.error());
    access = std::move(pair->access_token);
    refresh_token = std::move(pair->refresh_token);
  } else {
    auto created = app.tokens().create_access_token(request);
    if (!created) return refusal(app, created.error());
    access = std::move(*created);
  }
  response r = c.cookies.value_or(false) ? token_cookies(app, access, refresh_token, "login")
                                         : token_body(app, access, refresh_token);
  if (r.status == 200) accepted(r, who.name);
  return r;
}

// The refresh token a logout may carry, in the body ({"refresh_token": "..."}) or the refresh
// cookie. Nullopt when there is none; a response when the body is unusable.
std::optional<response> refresh_token_of(const application& app, const exchange& x,
                                         std::string& token) {
  if (!x.req.body.empty()) {
    const json::member members[] = {{.name = "refresh_token", .text = &token}};
    if (auto why = json::read_object(x.req.body, members)) return detail_reply(422, *why);
  }
  if (token.empty()) {
    bool duplicate = false;
    auto cookie = http::find_cookie(x.view, app.auth().options().refresh_cookie, &duplicate);
    if (cookie && !duplicate) token = *cookie;
  }
  return std::nullopt;
}

response logged_out(const application& app, std::string body) {
  auto unset = http::unset_cookies(app.cookies());
  if (!unset) return refusal(app, unset.error());
  response r = json_reply(200, std::move(body));
  for (std::string& cookie : *unset) r.headers.push_back({"Set-Cookie", std::move(cookie)});
  no_store(r);
  return r;
}

struct password_change {
  std::string current_password;
  std::string new_password;
};

// Read as strictly as a login's body; the new password meets the policy of `users add`. Checked
// before the current password, so a refused request costs no hash and no login attempt.
std::optional<response> read_password_change(const exchange& x, password_change& c) {
  if (auto bad = require_json_body(x)) return bad;
  const json::member members[] = {
      {.name = "current_password", .required = true, .text = &c.current_password},
      {.name = "new_password", .required = true, .text = &c.new_password},
  };
  if (auto why = json::read_object(x.req.body, members)) return detail_reply(422, *why);
  if (c.current_password.empty()) return detail_reply(422, "current_password: must not be empty");
  if (c.new_password.empty()) return detail_reply(422, "new_password: must not be empty");
  if (auto ok = check_password(c.new_password); !ok)
    return detail_reply(422, "new_password: " + ok.error().message);
  if (c.new_password == c.current_password)
    return detail_reply(422, "new_password: must differ from the current password");
  return std::nullopt;
}

const http::route_rule access_rule{.need = http::requirement::access};
const http::route_rule fresh_rule{.need = http::requirement::fresh};
const http::route_rule refresh_rule{.need = http::requirement::refresh};

}  // namespace

response login(application& app, const exchange& x) { return password_login(app, x, issue::pair); }

response fresh_login(application& app, const exchange& x) {
  return password_login(app, x, issue::fresh_access);
}

response refresh(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view, refresh_rule), [&](const http::principal& p) {
    auto pair = app.tokens().refresh(p.encoded);
    if (!pair) return refusal(app, pair.error());  // a spent token: token_reused, family revoked
    if (p.location == "cookie")
      return token_cookies(app, pair->access_token, pair->refresh_token, "refresh");
    return token_body(app, pair->access_token, pair->refresh_token);
  });
}

response logout(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view, access_rule), [&](const http::principal& p) {
    std::string sent;
    if (auto bad = refresh_token_of(app, x, sent)) return std::move(*bad);
    std::optional<verified_token> family;
    if (!sent.empty()) {
      // Only the caller's own refresh token is revoked with it. One that no longer verifies
      // (expired, revoked, another user's) is left alone: it cannot be used anyway. An outage
      // is reported: the caller must not believe the family is gone.
      auto checked = app.tokens().require_refresh(sent);
      if (!checked && checked.code() == errc::store_unavailable)
        return refusal(app, checked.error());
      if (checked && checked->subject() == p.subject()) family = std::move(*checked);
    }
    if (auto done = app.tokens().revoke(p.token); !done) return refusal(app, done.error());
    if (family)
      if (auto done = app.tokens().revoke(*family); !done) return refusal(app, done.error());
    return logged_out(app, R"({"logout":true})");
  });
}

response logout_all(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view, access_rule), [&](const http::principal& p) {
    if (auto done = app.tokens().revoke_subject(p.subject()); !done)
      return refusal(app, done.error());
    return logged_out(app, R"({"logout_all":true})");
  });
}

response change_password(application& app, const exchange& x) {
  return for_caller(app, app.auth().decide(x.view, fresh_rule), [&](const http::principal& p) {
    password_change change;
    if (auto bad = read_password_change(x, change)) return std::move(*bad);
    // The current password is checked as a login would check it: throttled, counted, and
    // refused with the same answer, so a stolen fresh token cannot guess it faster.
    const credentials c{.username = std::string(p.subject()),
                        .password = std::move(change.current_password)};
    user who;
    if (auto refused = check_login(app, x, c, who)) return std::move(*refused);
    if (auto done = app.users().set_password(who.name, change.new_password); !done)
      return refusal(app, done.error());
    // After the change, so that no login with the old password can follow it: every token of
    // the user issued up to now ends, this one and those of whoever knew the old password.
    if (auto done = app.tokens().revoke_subject(who.name); !done) return refusal(app, done.error());
    return logged_out(app, R"({"detail":"Password changed"})");
  });
}

}  // namespace jwtfort::server
