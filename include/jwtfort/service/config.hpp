#pragma once
/// `config`: every setting of the jwtfort library in one struct, read from environment
/// variables or from a file (TOML, JSON or `.env`).
///
/// The `AUTHJWT_*` names and defaults are fastapi-jwt-auth's, so an existing `.env` keeps
/// working; jwtfort's own settings are `JWTFORT_*`. In a file, a setting is written with or
/// without its prefix, in any case: `AUTHJWT_SECRET_KEY`, `authjwt_secret_key` and `secret_key`
/// name the same setting (TOML and JSON may also nest `[authjwt]` / `[jwtfort]` tables).
///
/// Values are trimmed. An empty value leaves an optional setting unset (a secret, a key, an
/// issuer, a cookie domain...) and is an error for a setting that must have one (a header or
/// cookie name, an expiry, a boolean); AUTHJWT_HEADER_TYPE may be empty (bare token header).
/// docs/configuration.md lists every setting.
///
/// Every bad value is an `invalid_configuration` error whose message names the variable and the
/// reason, e.g. "AUTHJWT_ACCESS_TOKEN_EXPIRES: expected seconds or false, got 'soon'"; the value
/// of AUTHJWT_SECRET_KEY and AUTHJWT_PRIVATE_KEY is never shown. In a file, the message starts
/// with "<path>:<line>: ". Unknown `AUTHJWT_*`/`JWTFORT_*` names are errors too (a typo must not
/// silently keep a default). A program with settings of its own (the reference server's listen
/// address...) reads them in the same pass through a `settings_table` (settings.hpp).
///
/// Example:
///   auto cfg = config::from_environment();
///   if (!cfg) { log(cfg.error().message); return 2; }
///   if (auto ok = cfg->validate(); !ok) { log(ok.error().message); return 2; }
///   auto service = token_service::create(*cfg->make_key_ring(), cfg->make_service_options());
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/settings.hpp"
#include "jwtfort/service/token_service.hpp"

namespace jwtfort {

struct JWTFORT_API config {
  // --- fastapi-jwt-auth settings (AUTHJWT_<NAME>), with its defaults.
  std::vector<std::string> token_location = {"headers"};  ///< each "headers" or "cookies"
  std::string secret_key;                    ///< HMAC secret (UTF-8 text); needed for HS*
  std::string public_key;                    ///< PEM text; verifies RS*/PS*/ES*/EdDSA
  std::string private_key;                   ///< PEM text; signs RS*/PS*/ES*/EdDSA
  algorithm alg = algorithm::hs256;          ///< AUTHJWT_ALGORITHM
  std::vector<algorithm> decode_algorithms;  ///< empty = {alg}; each needs a key of its own
  std::int64_t decode_leeway = 0;            ///< seconds, 0..300
  std::optional<std::string> encode_issuer;
  std::optional<std::string> decode_issuer;
  std::vector<std::string> decode_audience;  ///< comma-separated in the environment
  bool denylist_enabled = false;
  std::vector<token_type> denylist_token_checks = {token_type::access, token_type::refresh};
  std::string header_name = "Authorization";
  std::string header_type = "Bearer";  ///< may be empty: the header is the bare token
  std::optional<std::int64_t> access_token_expires = 15 * 60;      ///< nullopt = `false`
  std::optional<std::int64_t> refresh_token_expires = 30 * 86400;  ///< nullopt = `false`
  std::string access_cookie_key = "access_token_cookie";
  std::string refresh_cookie_key = "refresh_token_cookie";
  std::string access_cookie_path = "/";
  std::string refresh_cookie_path = "/";
  std::optional<std::int64_t> cookie_max_age;  ///< unset = session cookie
  std::optional<std::string> cookie_domain;
  bool cookie_secure = false;
  std::optional<std::string> cookie_samesite;  ///< "strict", "lax" or "none"
  bool cookie_csrf_protect = true;
  std::string access_csrf_cookie_key = "csrf_access_token";
  std::string refresh_csrf_cookie_key = "csrf_refresh_token";
  std::string access_csrf_cookie_path = "/";
  std::string refresh_csrf_cookie_path = "/";
  std::string access_csrf_header_name = "X-CSRF-Token";
  std::string refresh_csrf_header_name = "X-CSRF-Token";
  std::vector<std::string> csrf_methods = {"POST", "PUT", "PATCH", "DELETE"};

  // --- jwtfort's own settings (JWTFORT_<NAME>).
  std::string store_url;                 ///< see `open_store`; empty = `store_url_or_default()`
  bool store_fail_open = false;          ///< loud: revocation checks pass during an outage
  std::string secret_key_file;           ///< file holding the HMAC secret (instead of the text)
  std::string private_key_file;          ///< PEM file (instead of AUTHJWT_PRIVATE_KEY)
  std::string public_key_file;           ///< PEM file (instead of AUTHJWT_PUBLIC_KEY)
  std::string key_ring_file;             ///< private JWKS, active key first (`jwtfort keys rotate`)
  std::optional<std::string> issuer;     ///< fills encode_issuer and decode_issuer where unset
  std::vector<std::string> audience;     ///< adds to decode_audience
  std::optional<std::int64_t> leeway;    ///< overrides decode_leeway
  std::int64_t refresh_reuse_grace = 0;  ///< seconds, 0..300
  bool allow_weak_secret = false;        ///< loud: accept an HMAC secret shorter than the hash
  std::string data_dir = "jwtfort-data";  ///< the default SQLite store's (and the server's) own

  /// Reads the process environment; any other AUTHJWT_*/JWTFORT_* variable is an error.
  /// Errors: invalid_configuration.
  static result<config> from_environment();
  /// Reads settings from `lookup` (name -> value or nullopt), for tests and embedders.
  static result<config> from_lookup(
      const std::function<std::optional<std::string>(std::string_view)>& lookup);
  /// Reads a file; the format comes from the extension: `.toml`, `.json`, or `.env` (also any
  /// other name). Environment variables are not consulted. Errors: invalid_configuration
  /// (unreadable file, syntax error with its line, bad value).
  static result<config> from_file(const std::string& path);
  /// Adds a row for each setting above to `table`, writing into this object, so that a program
  /// reads its own settings (`settings_table::add`) and the library's from one source at once.
  void add_settings(settings_table& table);

  /// Checks the settings together: a signing key for the algorithm (a missing or short secret
  /// refuses to start; key files are read), AUTHJWT_ALGORITHM and AUTHJWT_DECODE_ALGORITHMS
  /// served by the keys, known cookie/CSRF values and ranges (again, for fields a program set).
  /// Errors: invalid_configuration, weak_key, invalid_key.
  result<void> validate() const;

  /// The key ring the settings describe: the ring file if set; else, for RS*/PS*/ES*/EdDSA, the
  /// private key (text or file; a public key given too must be its other half); for HS*, the
  /// secret (text or file). Messages name the setting at fault. Errors: as `validate`.
  result<key_ring> make_key_ring() const;
  /// The service options the settings describe (without a store). JWTFORT_ISSUER, _AUDIENCE and
  /// _LEEWAY are combined with the AUTHJWT_ ones here; loading keeps every field as written.
  /// Without decode_algorithms the allow-list is left empty: the service takes the active key's.
  token_service_options make_service_options() const;
  /// JWTFORT_STORE_URL, or else `sqlite://<data_dir>/tokens.db`: the embedded, persistent store.
  std::string store_url_or_default() const;
};

}  // namespace jwtfort
