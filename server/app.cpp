#include "app.hpp"

#include <utility>

#include "bootstrap.hpp"
#include "jwtfort/store/open_store.hpp"
#include "router.hpp"

namespace jwtfort::server {

token_service_options service_options(const server_settings& settings,
                                      std::shared_ptr<token_store> store, jwtfort::clock clock) {
  token_service_options o = settings.make_service_options();
  // Logout revokes access tokens and rotation revokes refresh families: with checks off for a
  // type, its revocations would be written and never read.
  o.revocation_checks = {token_type::access, token_type::refresh};
  o.csrf_claim = true;
  // Clients send the same access token on every request until it expires: verify it once.
  o.verified_cache_entries = static_cast<std::size_t>(settings.verified_cache_entries);
  o.verified_cache_bytes = static_cast<std::size_t>(settings.verified_cache_bytes);
  o.store = std::move(store);
  o.clock = std::move(clock);
  return o;
}

http::authenticator_options authenticator_options_for(
    const server_settings& settings, std::shared_ptr<const trusted_issuers> trusted) {
  auto o = http::authenticator_options::from_config(settings);
  o.trusted = std::move(trusted);
  o.accept_own_tokens = settings.accept_own_tokens;
  o.locations.header = true;
  o.locations.cookies = true;
  o.excluded_paths = {"/login",   "/fresh-login", "/healthz",
                      "/metrics", "/public",      "/.well-known/*"};
  o.routes = {
      {.path = "/refresh", .need = http::requirement::refresh},
      {.path = "/admin", .roles = {"admin"}},
      // Browsers cannot set a header on a WebSocket upgrade. Cookies stay off here: an upgrade
      // is a GET, which CSRF protection does not cover, so any site could open the socket.
      {.path = "/ws", .locations = http::token_locations{.header = true, .query = true}},
  };
  o.default_requirement = http::requirement::access;
  return o;
}

namespace {

// Both verified-token caches, the token service's and the trusted issuers', as one: the metrics
// show how often a request skipped its signature, whoever issued the token.
verified_cache_stats cache_stats_of(const token_service& tokens, const trusted_issuers* trusted) {
  verified_cache_stats total = tokens.cache_stats();
  if (!trusted) return total;
  const verified_cache_stats more = trusted->cache_stats();
  total.hits += more.hits;
  total.misses += more.misses;
  total.evictions += more.evictions;
  total.expired += more.expired;
  total.entries += more.entries;
  total.bytes += more.bytes;
  return total;
}

}  // namespace

application::application(server_settings settings, std::shared_ptr<const token_service> tokens,
                         std::shared_ptr<const trusted_issuers> trusted, http::authenticator auth,
                         user_store users, jwtfort::clock clock)
    : settings_(std::move(settings)),
      tokens_(std::move(tokens)),
      trusted_(std::move(trusted)),
      auth_(std::move(auth)),
      cookies_(http::cookie_options::from_config(settings_)),
      users_(std::move(users)),
      throttle_(settings_.login_attempts_per_user, settings_.login_attempts_per_address,
                settings_.login_window, std::move(clock)),
      metrics_(route_patterns(),
               [tokens = tokens_, trusted = trusted_] {
                 return cache_stats_of(*tokens, trusted.get());
               }),
      public_jwks_(tokens_->keys().to_public_jwks()) {
  if (public_jwks_.empty()) public_jwks_ = R"({"keys":[]})";  // an HMAC ring publishes nothing
  if (trusted_) metrics_.watch_issuers([trusted = trusted_] { return trusted->stats(); });
}

namespace {

// The trusted issuers of the settings, fetching keys on their own thread from now on; null when
// none is configured.
result<std::shared_ptr<const trusted_issuers>> make_trusted_issuers(const server_settings& settings,
                                                                    jwtfort::clock clock,
                                                                    issuer_event_handler on_event) {
  auto issuers = settings.trusted_issuer_options();
  if (issuers.empty()) return std::shared_ptr<const trusted_issuers>();
  // A provider's client sends its token on every request as a client of ours does: the same
  // cache settings, a cache of its own.
  auto trusted = trusted_issuers::create(
      {.issuers = std::move(issuers),
       .clock = std::move(clock),
       .verified_cache_entries = static_cast<std::size_t>(settings.verified_cache_entries),
       .verified_cache_bytes = static_cast<std::size_t>(settings.verified_cache_bytes),
       .on_event = std::move(on_event)});
  if (!trusted) return trusted.error();
  return std::shared_ptr<const trusted_issuers>(std::move(*trusted));
}

}  // namespace

result<std::unique_ptr<application>> application::create(server_settings settings,
                                                         jwtfort::clock clock,
                                                         issuer_event_handler on_event) {
  auto ring = settings.make_key_ring();
  if (!ring) return ring.error();
  auto store = open_store(settings.store_url_or_default(),
                          store_options{.fail_open = settings.store_fail_open});
  if (!store) return store.error();
  auto service = token_service::create(
      std::move(*ring), service_options(settings, std::shared_ptr(std::move(*store)), clock));
  if (!service) return service.error();
  auto tokens = std::make_shared<const token_service>(std::move(*service));
  auto trusted = make_trusted_issuers(settings, clock, std::move(on_event));
  if (!trusted) return trusted.error();
  auto auth = http::authenticator::create(tokens, authenticator_options_for(settings, *trusted));
  if (!auth) return auth.error();
  auto users = user_store::open(users_database_path(settings.data_dir));
  if (!users) return users.error();
  return std::unique_ptr<application>(new application(std::move(settings), std::move(tokens),
                                                      std::move(*trusted), std::move(*auth),
                                                      std::move(*users), clock));
}

result<startup> start(server_settings settings, jwtfort::clock clock,
                      issuer_event_handler on_event) {
  auto created = bootstrap(settings);
  if (!created) return created.error();
  if (auto valid = settings.validate(); !valid) return valid.error();
  auto app = application::create(std::move(settings), std::move(clock), std::move(on_event));
  if (!app) return app.error();
  return startup{std::move(*app), std::move(created->demo_password)};
}

}  // namespace jwtfort::server
