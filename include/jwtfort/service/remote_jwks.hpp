#pragma once
/// `remote_jwks`: verifies tokens issued by an identity provider (Keycloak, Auth0, ...) with the
/// keys it publishes at a JWKS URL taken from configuration, never from a token (RFC 8725
/// §3.10).
///
/// The key set is fetched on first use and cached for `cache_ttl`. A token whose `kid` is not in
/// the cache triggers one refetch, at most once per `min_refresh_interval`, so a flood of made-up
/// `kid`s cannot turn into a flood of requests. A failed refetch keeps the last good keys.
/// Responses are bounded in size and time; redirects are not followed. A set that publishes a
/// secret (`oct`) key is refused: whoever can read the URL could sign with it.
///
/// Thread-safe: any number of threads may call `verify()`; one of them refetches while the
/// others keep using the cached keys.
///
/// Example:
///   remote_jwks_options o;
///   o.url = "https://idp.example.com/realms/main/protocol/openid-connect/certs";
///   o.verify.algorithms = {algorithm::rs256};
///   o.verify.issuer = "https://idp.example.com/realms/main";
///   o.verify.audiences = {"my-api"};
///   auto jwks = remote_jwks::create(std::move(o));
///   auto token = (*jwks)->verify(bearer);
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "jwtfort/export.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/token.hpp"
#include "jwtfort/verifier.hpp"

namespace jwtfort {

struct remote_jwks_options {
  /// The JWKS URL. `https://` is required; `http://` is accepted only for a loopback host
  /// (127.0.0.1, ::1, localhost), for tests and sidecars.
  std::string url;
  /// Everything but the keys (`verify.keys` must stay empty): algorithms (required), issuer,
  /// audiences, leeway, clock... The clock also dates the cache. Allowed algorithms for which the
  /// provider publishes no key are fine: a token using one gets unknown_key.
  verifier_options verify;
  /// How long fetched keys are used before they are fetched again. A failed refetch keeps the
  /// old keys and is retried after `min_refresh_interval` (or `cache_ttl`, if shorter).
  std::chrono::seconds cache_ttl{300};
  /// The least time between two fetches caused by an unknown `kid`.
  std::chrono::seconds min_refresh_interval{30};
  /// Limits on one fetch.
  std::size_t max_bytes = 256 * 1024;
  std::chrono::milliseconds timeout{3000};
  /// A PEM bundle of CAs to trust instead of the system's, e.g. a private PKI.
  std::string ca_file;
};

class JWTFORT_API remote_jwks {
 public:
  /// Checks the options; nothing is fetched yet.
  /// Errors: invalid_configuration (bad or non-https URL, credentials in the URL, no
  /// algorithms, keys in `verify`, limits out of range, other `verify` options out of range).
  static result<std::shared_ptr<remote_jwks>> create(remote_jwks_options options);

  /// Verifies `token` with the provider's keys, fetching or refetching them as described above.
  /// Errors: the verifier's (unknown_key also when the set has no key for any allowed
  /// algorithm); while no key set was ever fetched, those of `keys()`.
  result<verified_token> verify(std::string_view token);

  /// The current key set, fetching it if none is cached. Errors: jwks_unavailable (fetch
  /// failed: status, size, time or TLS), invalid_key or weak_key (the body is not a usable
  /// JWKS; a JSON syntax error is reported as invalid_key too, never as a token error).
  result<std::shared_ptr<const key_set>> keys();

  /// How many fetches (HTTP requests) were attempted, failed ones included; for tests and
  /// metrics.
  std::size_t fetch_count() const noexcept;

  ~remote_jwks();

 private:
  struct state;
  explicit remote_jwks(std::unique_ptr<state> s);
  std::unique_ptr<state> state_;
};

}  // namespace jwtfort
