#pragma once
// The route handlers of the reference server and the building blocks they share. A handler
// reads the request, decides through the application's authenticator, token service and user
// store, and returns the response; every error it sends comes from `http::challenge_for`.

#include <string>
#include <string_view>

#include "app.hpp"
#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/http/request_view.hpp"
#include "router.hpp"

namespace jwtfort::server {

/// One request on its way through a handler: the request, and the view of it the
/// authenticator reads.
struct exchange {
  const request& req;
  const http::request_view& view;
};

using handler = response (*)(application& app, const exchange& x);

// --- token endpoints (login_handlers.cpp)
/// POST /login: a token pair (or cookies) for a user name and password.
response login(application& app, const exchange& x);
/// POST /fresh-login: a fresh access token alone, for sensitive actions.
response fresh_login(application& app, const exchange& x);
/// POST /refresh: rotation, answered in the form the refresh token came in.
response refresh(application& app, const exchange& x);
/// POST /logout: revokes the access token and, when sent, its refresh token.
response logout(application& app, const exchange& x);
/// POST /logout-all: revokes every token of the caller.
response logout_all(application& app, const exchange& x);
/// POST /password: changes the caller's password (a fresh token and the current password), then
/// revokes every token of the caller.
response change_password(application& app, const exchange& x);

// --- everything else (handlers.cpp)
response protected_resource(application& app, const exchange& x);
response me(application& app, const exchange& x);
response admin(application& app, const exchange& x);
response jwks(application& app, const exchange& x);
response healthz(application& app, const exchange& x);
response public_resource(application& app, const exchange& x);
response metrics_text(application& app, const exchange& x);
/// GET /auth/verify: forward authentication for a reverse proxy.
response verify(application& app, const exchange& x);
/// GET /ws: authenticates a WebSocket upgrade; 101 tells the session to accept it.
response websocket(application& app, const exchange& x);

// --- building blocks
/// `status` with a JSON body; `Cache-Control: no-store` when it is a refusal (4xx, 5xx).
response json_reply(int status, std::string body);
/// `{"detail": "<detail>"}`.
response detail_reply(int status, std::string_view detail);
/// A refusal: the challenge's status, `WWW-Authenticate` and body, recorded as the outcome.
response refusal(const http::challenge& c);
/// The refusal for an error of the service, the store or the user store.
response refusal(const application& app, const error& failure);
/// Records a successful decision for `subject` on `r`.
void accepted(response& r, std::string_view subject);
/// For an allowed decision, `reply(principal)`, recorded as accepted unless it refused itself;
/// for a refusal, its response. Every route using this needs a token, so an anonymous decision
/// (the route table changed under the handler) is refused rather than served.
template <class Reply>
response for_caller(application& app, const http::decision& d, Reply reply) {
  if (const http::challenge* c = d.challenge()) return refusal(*c);
  const http::principal* p = d.principal();
  if (p == nullptr) return refusal(app, error(errc::missing_token));
  response r = reply(*p);
  if (!r.decided) accepted(r, p->subject());
  return r;
}
/// ASCII case-insensitive equality (header names, media types, methods' list tokens).
bool ascii_iequals(std::string_view a, std::string_view b) noexcept;
/// `s` without optional whitespace (SP / HTAB, RFC 9110 §5.6.3) on either side.
std::string_view trim_ows(std::string_view s) noexcept;
/// Marks `r` as carrying a token: `Cache-Control: no-store` (RFC 6749 §5.1), unless `r` already
/// says how it may be cached.
void no_store(response& r);

}  // namespace jwtfort::server
