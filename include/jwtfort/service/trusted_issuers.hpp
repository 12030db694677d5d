#pragma once
/// `trusted_issuers`: verifies access tokens minted by OpenID Connect providers (Keycloak, Auth0,
/// Okta, Entra ID, Cognito, Google, ...). Each configured issuer has its own audiences,
/// algorithms, RFC 9068 rules and claim mapping. A token is routed to its issuer's keys by its
/// (unverified) `iss` before any signature work; a token naming an issuer that is not configured
/// is refused without any network request.
///
/// Keys come from the issuer's JWKS, whose URL is either configured or discovered from
/// `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4; the document's
/// `issuer` must equal the configured one exactly, and its `jwks_uri` obeys the same
/// https-or-loopback rule as the issuer). All network work (discovery, JWKS fetches, refetches
/// for an unknown `kid`, periodic refresh) happens on one background thread owned by this object:
/// `verify()` never performs or waits for network I/O, so a hanging provider never blocks request
/// threads.
///
///   - before the first successful fetch: `verify()` -> errc::jwks_unavailable (HTTP 503);
///     discovery and fetch are retried with exponential backoff (1 s doubling to 60 s, with
///     jitter);
///   - cached keys verify until `max_key_age` after their last successful fetch, then
///     jwks_unavailable;
///   - unknown `kid`: errc::unknown_key now, and one background refetch, at most once per
///     `min_refresh_interval` per issuer; the next request with that kid succeeds once it lands;
///   - a failed or hostile fetch (status, size, time, TLS, redirect, invalid JSON, a secret key,
///     discovery `issuer` mismatch) keeps the old keys and is reported once per distinct failure
///     through `on_event`.
///
/// Example:
///   issuer_options kc;
///   kc.issuer = "https://idp.example.com/realms/main";
///   kc.audiences = {"my-api"};
///   kc.claims.roles = {"realm_access.roles", "resource_access.my-api.roles"};
///   auto trusted = trusted_issuers::create({.issuers = {kc}});
///   auto who = (*trusted)->verify(bearer);  // who->subject, who->roles, who->scopes
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/clock.hpp"
#include "jwtfort/error.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/token.hpp"

namespace jwtfort {

/// Where a provider puts the caller's subject, roles and scopes, as claim paths.
///
/// A claim path names a value inside the claims object. It is read in two steps:
///   1. a top-level claim whose name is the whole path, if there is one (so Auth0's namespaced
///      `https://example.com/roles` or Cognito's `cognito:groups` work as written);
///   2. otherwise the path split at every `.` into member names, each looked up in the object
///      the previous one named (`realm_access.roles`, `resource_access.my-client.roles`).
/// A segment is any non-empty text without `.` (`:`, `-`, `/` are plain characters). An empty
/// path or an empty segment (`a..b`, `.a`) is a configuration error.
///
/// For roles and scopes a path may name a string (a space-separated list, as `scope` is) or an
/// array of strings; anything else, or a missing path, gives nothing from that path (never an
/// error). The lists of every path are concatenated, duplicates dropped, first occurrence kept.
struct claim_mapping {
  std::vector<std::string> roles = {"roles"};  ///< e.g. realm_access.roles, permissions
  std::vector<std::string> scopes = {"scope", "scp"};
  std::string subject = "sub";  ///< must name a string; a token without it is missing_claim
};

struct issuer_options {
  /// The issuer identifier, compared exactly with the token's `iss` and discovery's `issuer`.
  /// `https://` required; `http://` only for a loopback host (127.0.0.1, [::1], localhost).
  std::string issuer;
  /// Accepted audiences (at least one), compared with the `audience_claim`.
  std::vector<std::string> audiences;
  /// Where the audience is: "aud" (RFC 7519, every provider but one), or "client_id" for
  /// providers whose access tokens carry no `aud` (Amazon Cognito): the token's `client_id`
  /// must then be one of `audiences`, and a token that has an `aud` (an ID token) is refused.
  std::string audience_claim = "aud";
  /// Allowed algorithms (at least one, no HMAC); default RS256, which every provider supports.
  std::vector<algorithm> algorithms = {algorithm::rs256};
  /// Empty: discovered from the issuer's openid-configuration `jwks_uri`.
  std::string jwks_url;
  /// RFC 9068: require `typ` `at+jwt` (application/at+jwt) and the claims iss, exp, aud, sub,
  /// client_id, iat, jti. Off for providers whose access tokens are ID-token shaped (Entra ID,
  /// Cognito, Auth0 and Okta defaults, Google...): then iss, exp and the audience claim are
  /// required.
  bool require_at_jwt = false;
  claim_mapping claims;
  std::int64_t leeway_seconds = 0;                ///< 0..300
  std::chrono::seconds refresh_interval{300};     ///< periodic re-fetch of the JWKS, >= 1 s
  std::chrono::seconds min_refresh_interval{30};  ///< least time between unknown-kid refetches
  std::chrono::seconds max_key_age{86400};        ///< keys older than this stop verifying
  std::size_t max_bytes = 256 * 1024;             ///< per discovery / JWKS response, 1 KiB..16 MiB
  std::chrono::milliseconds timeout{3000};        ///< per fetch, 100 ms..60 s
  std::string ca_file;                            ///< PEM CA bundle instead of the system's
};

/// A caller authenticated by a trusted issuer.
struct issuer_identity {
  verified_token token;
  std::string issuer;
  std::string subject;              ///< from claims.subject
  std::string client_id;            ///< RFC 9068 client_id, or azp, or empty
  std::vector<std::string> roles;   ///< mapped
  std::vector<std::string> scopes;  ///< mapped
};

/// Something worth one log line and a metric: a success after failures (or the first one), a
/// JWKS whose key ids changed (a rotation), a failure (first occurrence of each distinct error in
/// a row). Never contains a token.
struct issuer_event {
  std::string issuer;
  enum class kind { discovery_ok, discovery_failed, jwks_ok, jwks_failed } what;
  errc error = errc{};  ///< for the *_failed kinds
  std::string detail;   ///< human-readable, no secrets
};

/// What an issuer's discovery document says besides its keys, for clients that send users to the
/// provider (an OpenAPI document's OAuth2 flow). An endpoint the document lacks, or whose URL
/// fails the https-or-loopback rule of `jwks_uri`, is absent (and named in the discovery_ok
/// event's detail).
struct provider_metadata {
  std::string issuer;
  std::string jwks_uri;
  std::optional<std::string> authorization_endpoint;
  std::optional<std::string> token_endpoint;
};

struct issuer_stats {
  std::string issuer;
  std::uint64_t fetches = 0;         ///< discovery and JWKS requests attempted
  std::uint64_t fetch_failures = 0;  ///< of those, the failed or refused ones
  std::uint64_t accepted = 0;        ///< verify() outcomes for this issuer
  std::uint64_t rejected = 0;
  bool ready = false;  ///< has keys younger than max_key_age
};

struct trusted_issuers_options {
  std::vector<issuer_options> issuers;  ///< at least one, distinct `issuer`s
  jwtfort::clock clock = system_now;    ///< token times and key age
  /// Remembers up to this many verified tokens by their exact text, with their mapped identity,
  /// so that a token sent again skips the signature check, the JSON parsing and the mapping, as
  /// the token service's cache does for jwtfort's own tokens. On every hit the time window
  /// (`exp`, `nbf`, `iat`, with the issuer's leeway) and the age of the issuer's keys
  /// (`max_key_age`) are still checked, and an entry answers only while its issuer publishes
  /// the very key set that verified it: a fetch that changes any key (a rotation, a removed key)
  /// makes the issuer's tokens verify afresh. 0 = off.
  std::size_t verified_cache_entries = 0;
  /// And at most this many estimated bytes (the token text, the identity, some 300 bytes of
  /// bookkeeping per entry). 0 = off.
  std::size_t verified_cache_bytes = 16 * 1024 * 1024;
  /// Called from the background thread; must be quick, thread-safe, and must not throw.
  std::function<void(const issuer_event&)> on_event;
};

class JWTFORT_API trusted_issuers {
 public:
  /// Validates every option (errc::invalid_configuration naming the issuer and field) and starts
  /// the background thread, which begins discovery at once. Never blocks on the network.
  static result<std::shared_ptr<trusted_issuers>> create(trusted_issuers_options options);

  /// True when the token's unverified `iss` is a configured issuer (cheap: decodes the payload
  /// only, up to 64 KiB). Lets a server decide between its own verifier and this one.
  bool knows_issuer_of(std::string_view token) const;

  /// Verifies with the cached keys of the token's issuer. Never does network I/O.
  /// Errors: the verifier's (token_too_large above 8 KiB); invalid_issuer for an unconfigured
  /// (or absent) `iss`, decided before the size limit so that another verifier may take it;
  /// jwks_unavailable (no usable keys yet / keys too old); unknown_key (schedules a refetch);
  /// missing_claim when the subject path names no string.
  result<issuer_identity> verify(std::string_view token) const;

  /// Blocks until every issuer has keys or `timeout` passes; true when all are ready. For tests,
  /// startup probes and CLI tools, never for request paths.
  bool wait_until_ready(std::chrono::milliseconds timeout) const;

  std::vector<issuer_stats> stats() const;

  /// The metadata of a configured issuer's discovery document, once it was read; none for an
  /// issuer that is not configured, whose discovery has not succeeded yet, or that has a
  /// configured `jwks_url` (no discovery). Thread-safe, never does I/O.
  std::optional<provider_metadata> metadata(std::string_view issuer) const;

  /// The verified-token cache's counters, for all issuers together; all zero when it is off.
  verified_cache_stats cache_stats() const;

  ~trusted_issuers();  // stops and joins the background thread

  trusted_issuers(const trusted_issuers&) = delete;
  trusted_issuers& operator=(const trusted_issuers&) = delete;

 private:
  struct state;
  explicit trusted_issuers(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace jwtfort
