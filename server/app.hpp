#pragma once
// The reference server's application, wired once at startup: settings -> bootstrap (data
// directory, generated key, first user) -> token store -> token service -> authenticator with the
// server's route table -> user store -> login throttle -> metrics. Everything the request
// handlers use hangs off it; nothing in it touches a socket.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "jwtfort/clock.hpp"
#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/http/cookies.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/service/trusted_issuers.hpp"
#include "jwtfort/store/token_store.hpp"
#include "login_throttle.hpp"
#include "metrics.hpp"
#include "server_settings.hpp"
#include "users.hpp"

namespace jwtfort::server {

/// Receives what the trusted issuers' background thread reports (a fetch failed, keys
/// arrived); called from that thread.
using issuer_event_handler = std::function<void(const issuer_event&)>;

class application {
 public:
  /// Wires an application from settings that are already bootstrapped and validated. `clock`
  /// is the time of the token service, the trusted issuers and the login throttle; `on_event`
  /// hears the trusted issuers' fetches (none without JWTFORT_OIDC_* settings).
  /// Errors: those of make_key_ring, open_store (store_unavailable, invalid_configuration),
  /// token_service::create, trusted_issuers::create, authenticator::create and user_store::open.
  static result<std::unique_ptr<application>> create(server_settings settings,
                                                     jwtfort::clock clock = system_now,
                                                     issuer_event_handler on_event = {});

  application(const application&) = delete;
  application& operator=(const application&) = delete;

  const server_settings& settings() const noexcept { return settings_; }
  const token_service& tokens() const noexcept { return *tokens_; }
  /// The service's store (the server always has one: logout depends on it).
  token_store& store() const noexcept { return *tokens_->options().store; }
  const http::authenticator& auth() const noexcept { return *auth_; }
  /// The OpenID Connect issuers whose tokens are accepted; null when none is configured.
  const std::shared_ptr<const trusted_issuers>& trusted() const noexcept { return trusted_; }
  const http::cookie_options& cookies() const noexcept { return cookies_; }
  user_store& users() noexcept { return *users_; }
  login_throttle& throttle() noexcept { return throttle_; }
  server::metrics& stats() noexcept { return metrics_; }
  /// The ring's public JWKS, computed once (`{"keys":[]}` for an HMAC ring).
  const std::string& public_jwks() const noexcept { return public_jwks_; }

 private:
  application(server_settings settings, std::shared_ptr<const token_service> tokens,
              std::shared_ptr<const trusted_issuers> trusted, http::authenticator auth,
              user_store users, jwtfort::clock clock);

  server_settings settings_;
  std::shared_ptr<const token_service> tokens_;
  std::shared_ptr<const trusted_issuers> trusted_;
  std::optional<http::authenticator> auth_;
  http::cookie_options cookies_;
  std::optional<user_store> users_;
  login_throttle throttle_;
  server::metrics metrics_;
  std::string public_jwks_;
};

/// A started application and, on the first run, the generated password of user "demo" (to be
/// shown once).
struct startup {
  std::unique_ptr<application> app;
  std::optional<std::string> demo_password;
};

/// Bootstraps the data directory (which may set `settings.key_ring_file`), validates the
/// settings, then wires the application.
/// Errors: those of bootstrap, config::validate and application::create.
result<startup> start(server_settings settings, jwtfort::clock clock = system_now,
                      issuer_event_handler on_event = {});

/// The service options the server runs with: the configured ones, with revocation checks on
/// for both token types (logout depends on them) and a `csrf` claim in every token (cookie
/// login), on `store` and `clock`.
token_service_options service_options(const server_settings& settings,
                                      std::shared_ptr<token_store> store, jwtfort::clock clock);

/// The authenticator options: the configured locations extended to header and cookies, and
/// the server's route table (public routes excluded, /refresh wanting a refresh token, /admin
/// the role "admin", /ws a token in the header or the query); `trusted` issuers' tokens next to
/// the server's own, or instead of them with JWTFORT_ACCEPT_OWN_TOKENS=false.
http::authenticator_options authenticator_options_for(
    const server_settings& settings, std::shared_ptr<const trusted_issuers> trusted = nullptr);

}  // namespace jwtfort::server
