#pragma once
/// `server_settings`: what jwtfort-server reads, the library's `config` and the server's own
/// JWTFORT_* settings (listen address, threads, login throttling, request log, connection limits
/// and timeouts, verified-token cache), from one source in one pass: the environment, a lookup
/// function or a file, with the library's syntax, messages and refusal of unknown names. The
/// `jwtfort` command reads them too: it runs on the same deployment's settings, so a setting of
/// the server must not be an unknown name to it. docs/server.md lists the server's settings.
///
/// Example:
///   auto settings = server_settings::from_environment();
///   if (!settings) { log(settings.error().message); return 2; }
///   auto address = parse_listen(settings->listen);

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/config.hpp"
#include "jwtfort/service/settings.hpp"
#include "jwtfort/service/trusted_issuers.hpp"

namespace jwtfort::server {

/// One trusted OpenID Connect issuer as the settings give it: the JWTFORT_OIDC_* settings for a
/// single one, or one table of JWTFORT_OIDC_ISSUERS for each of several. Empty lists keep the
/// defaults of `issuer_options` and `claim_mapping`.
struct oidc_issuer_settings {
  std::string issuer;  ///< empty = not configured
  std::vector<std::string> audience;
  std::string audience_claim;             ///< "aud", or "client_id" (Cognito); empty = "aud"
  std::vector<algorithm> algorithms;      ///< empty = RS256
  std::vector<std::string> roles_claim;   ///< claim paths; empty = `roles`
  std::vector<std::string> scopes_claim;  ///< empty = `scope`, `scp`
  std::string subject_claim;              ///< empty = `sub`
  bool require_at_jwt = false;
  std::string jwks_url;                ///< empty = discovered
  std::string ca_file;                 ///< empty = the system's CA bundle
  std::optional<std::int64_t> leeway;  ///< empty = JWTFORT_LEEWAY, AUTHJWT_DECODE_LEEWAY
};

struct server_settings : config {
  std::string listen = "127.0.0.1:8000";         ///< HOST:PORT, `[v6]:PORT`; port 0 = any free port
  std::int64_t threads = 0;                      ///< I/O threads; 0 = one per core
  std::int64_t login_attempts_per_user = 5;      ///< failed logins per user per window
  std::int64_t login_attempts_per_address = 20;  ///< failed logins per client address per window
  std::int64_t login_window = 60;                ///< seconds
  bool trust_forwarded_for = false;  ///< client address from X-Forwarded-For (behind a proxy)
  std::string log = "json";          ///< request log: "json" (one line per request) or "off"
  std::int64_t max_connections = 0;  ///< open connections in all; 0 = from the descriptor limit
  std::int64_t max_connections_per_address = 0;  ///< per client address; 0 = derived (docs)
  std::int64_t header_timeout = 10;  ///< seconds from a request's first byte to its last header
  std::int64_t idle_timeout = 30;    ///< seconds a kept-alive connection may wait for a request
  std::int64_t verified_cache_entries = 16384;           ///< verified tokens remembered; 0 = off
  std::int64_t verified_cache_bytes = 16 * 1024 * 1024;  ///< and their estimated bytes at most
  oidc_issuer_settings oidc;                             ///< JWTFORT_OIDC_*: one issuer
  std::vector<oidc_issuer_settings> oidc_issuers;        ///< JWTFORT_OIDC_ISSUERS: several
  bool accept_own_tokens = true;                ///< the server's own tokens, next to the issuers'
  std::int64_t oidc_refresh_interval = 300;     ///< seconds between JWKS re-fetches
  std::int64_t oidc_min_refresh_interval = 30;  ///< least seconds between unknown-kid fetches
  std::int64_t oidc_max_key_age = 86400;        ///< seconds fetched keys verify without a new fetch

  /// As `config::from_environment`, for the library's settings and the server's.
  /// Errors: invalid_configuration.
  static result<server_settings> from_environment();
  /// As `config::from_lookup`. Errors: invalid_configuration.
  static result<server_settings> from_lookup(const settings_lookup& lookup);
  /// As `config::from_file`. Errors: invalid_configuration.
  static result<server_settings> from_file(const std::string& path);
  /// The library's rows (`config::add_settings`), then the server's, all writing into this object.
  void add_settings(settings_table& table);

  /// `config::validate`, then the trusted issuers' settings together: JWTFORT_OIDC_ISSUER and
  /// JWTFORT_OIDC_AUDIENCE come together, the other JWTFORT_OIDC_* issuer settings need them,
  /// and JWTFORT_ACCEPT_OWN_TOKENS=false needs an issuer. Errors: as `config::validate`,
  /// invalid_configuration.
  result<void> validate() const;
  /// JWTFORT_OIDC_ISSUER's issuer, then JWTFORT_OIDC_ISSUERS' in order; empty when none is set.
  std::vector<issuer_options> trusted_issuer_options() const;
};

}  // namespace jwtfort::server
