#pragma once
/// `authenticator`: framework-free authentication for HTTP APIs. A `request_view` goes in, a
/// `decision` comes out: the caller (principal and claims), anonymous (an excluded path, or an
/// optional route without a token), or a `challenge` to send back (status, RFC 6750
/// `WWW-Authenticate`, `{"detail": ...}` body). Pure: no socket, no clock of its own (time is
/// the token service's clock), no logging; safe to share between threads.
///
/// Where the token is read, in this order, among the locations a route allows:
///   - the header (`Authorization: Bearer <token>` by default; scheme case-insensitive, exactly
///     one token; with an empty type the header value is the bare token);
///   - cookies (the access or refresh cookie; for the CSRF methods, the `X-CSRF-Token` header
///     must equal the token's `csrf` claim: double submit);
///   - a query parameter (`?token=`, off unless a route opts in: browsers cannot set headers on
///     a WebSocket upgrade).
///
/// Routes: an excluded path is never authenticated; otherwise the first rule whose path and
/// method match decides the requirement, and unmatched paths get `default_requirement`. Path
/// patterns are exact (`/admin`) or a prefix written `/docs/*` (matching `/docs` and everything
/// below `/docs/`), never a substring.
///
/// Client-facing messages are fastapi-jwt-auth's ("Missing Authorization Header", "Token has
/// been revoked", "Fresh token required"...). Every failure of signature, format, algorithm or
/// key reads "Invalid token" (no oracle, security.md §5); the precise `errc` is on the
/// challenge for logs and metrics. No message contains a token.
///
/// Example:
///   http::authenticator_options o = http::authenticator_options::from_config(cfg);
///   o.excluded_paths = {"/healthz", "/docs/*"};
///   o.routes = {{.path = "/admin/*", .roles = {"admin"}}, {.path = "/refresh", .need =
///               http::requirement::refresh}};
///   auto auth = http::authenticator::create(service, std::move(o));
///   http::decision d = auth->decide(request);
///   if (auto* denied = d.challenge()) return reply(denied->status, denied->body());
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jwtfort/error.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/http/request_view.hpp"
#include "jwtfort/result.hpp"
#include "jwtfort/service/config.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/service/trusted_issuers.hpp"
#include "jwtfort/token.hpp"

namespace jwtfort::http {

/// What a route demands.
enum class requirement {
  none,      ///< not authenticated at all (as an excluded path)
  optional,  ///< no token is anonymous; a token that is there must be a valid access token
  access,    ///< a valid access token
  fresh,     ///< a valid access token with `fresh: true`
  refresh,   ///< a valid refresh token (for the refresh and logout endpoints)
};

/// Where tokens may be read from.
struct token_locations {
  bool header = true;
  bool cookies = false;
  bool query = false;  ///< opt-in, e.g. for a WebSocket upgrade route
};

struct route_rule {
  /// Exact path (`/admin`) or prefix pattern (`/admin/*`).
  std::string path;
  /// Methods the rule applies to (exact, upper case); empty = every method.
  std::vector<std::string> methods;
  requirement need = requirement::access;
  /// Every one of these must be in the token's roles claim (a string or a list of strings).
  std::vector<std::string> roles;
  /// Every one of these must be in the token's `scope` (space-separated, RFC 9068 §2.2.3) or
  /// `scp` (list) claim.
  std::vector<std::string> scopes;
  /// Overrides the authenticator's locations for this route.
  std::optional<token_locations> locations;
};

struct authenticator_options {
  token_locations locations;
  std::string header_name = "Authorization";
  /// Scheme before the token; empty = the header holds the bare token.
  std::string header_type = "Bearer";
  std::string access_cookie = "access_token_cookie";
  std::string refresh_cookie = "refresh_token_cookie";
  /// Double-submit CSRF check for cookie-borne tokens.
  bool csrf_protect = true;
  std::string access_csrf_header = "X-CSRF-Token";
  std::string refresh_csrf_header = "X-CSRF-Token";
  std::vector<std::string> csrf_methods = {"POST", "PUT", "PATCH", "DELETE"};
  std::string query_parameter = "token";
  /// Paths (exact or `/prefix/*`) never authenticated.
  std::vector<std::string> excluded_paths;
  /// Checked in order; the first match decides.
  std::vector<route_rule> routes;
  requirement default_requirement = requirement::access;
  /// Claim holding the caller's roles.
  std::string roles_claim = "roles";
  /// `realm` of the `WWW-Authenticate` challenge; empty = none.
  std::string realm;
  /// Tokens of OpenID Connect providers. A token whose unverified `iss` is one of these issuers
  /// is verified by them, never by the token service, and becomes a `principal` whose roles and
  /// scopes are the issuer's mapped ones (`roles_claim` does not apply to it); route roles and
  /// scopes then apply as for own tokens. Such tokens pass `access` and `optional` routes only
  /// (`fresh` -> fresh_token_required, `refresh` -> wrong_token_type, both 401). Keys not fetched
  /// yet -> 503 jwks_unavailable. Null: own tokens only.
  std::shared_ptr<const trusted_issuers> trusted;
  /// Whether the token service's own tokens are accepted too. When false (with `trusted` set),
  /// any other token is 401 invalid_issuer, and the service may be null.
  bool accept_own_tokens = true;

  /// Locations, header, cookie and CSRF settings from a deployment's `config`
  /// (AUTHJWT_TOKEN_LOCATION, AUTHJWT_HEADER_NAME, AUTHJWT_ACCESS_COOKIE_KEY...).
  JWTFORT_API static authenticator_options from_config(const config& settings);
};

/// An authenticated caller.
struct principal {
  verified_token token;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  /// Where the token came from: "header", "cookie" or "query".
  std::string_view location;
  /// The token as received (percent-decoded when it came from the query), for endpoints that
  /// act on it (refresh rotation). Never log it.
  std::string encoded;
  /// The trusted issuer that vouched for the token; empty for the service's own tokens.
  std::string issuer;
  /// The subject as the trusted issuer's claim mapping reads it; empty for own tokens.
  std::string mapped_subject;

  /// The caller: the mapped subject of a trusted issuer's token, else the token's `sub`.
  std::string_view subject() const noexcept {
    return issuer.empty() ? token.subject() : std::string_view(mapped_subject);
  }
};

/// A refusal, ready to send.
struct challenge {
  /// 400 (unusable Authorization header), 401 (no or bad token), 403 (insufficient scope or
  /// role), 503 (store unavailable), 500 (server misconfigured).
  int status = 401;
  /// The precise reason, for logs and metrics; never sent to the client.
  errc code = errc::invalid_signature;
  /// The client-facing message, e.g. "Token has been revoked".
  std::string detail;
  /// The `WWW-Authenticate` value (RFC 6750 §3), empty when the status takes none.
  std::string www_authenticate;

  /// `{"detail":"<detail>"}`, JSON-escaped.
  JWTFORT_API std::string body() const;
};

/// The challenge for an error of the token service or the authenticator, with the messages and
/// statuses above; `options` gives the header name in "Missing <name> Header" and the realm.
/// `scopes`, the scopes or roles the route required, fill the `scope` attribute (RFC 6750 §3)
/// of an insufficient_scope challenge; none leaves the attribute out.
JWTFORT_API challenge challenge_for(const error& failure, const authenticator_options& options,
                                    std::span<const std::string> scopes = {});

/// The outcome of `authenticator::decide`.
class decision {
 public:
  struct anonymous {};

  decision(anonymous) : outcome_(anonymous{}) {}
  decision(http::principal p) : outcome_(std::move(p)) {}
  decision(http::challenge c) : outcome_(std::move(c)) {}

  /// True unless refused: an authenticated or anonymous caller may proceed.
  bool allowed() const noexcept { return !std::holds_alternative<http::challenge>(outcome_); }
  /// The caller, or null when anonymous or refused.
  const http::principal* principal() const noexcept {
    return std::get_if<http::principal>(&outcome_);
  }
  /// The refusal, or null when allowed.
  const http::challenge* challenge() const noexcept {
    return std::get_if<http::challenge>(&outcome_);
  }

 private:
  std::variant<anonymous, http::principal, http::challenge> outcome_;
};

class JWTFORT_API authenticator {
 public:
  /// Errors: invalid_configuration, the message naming the option: no service (allowed only
  /// with `trusted` set and `accept_own_tokens` false); `accept_own_tokens` false without
  /// `trusted`; a header,
  /// cookie or query parameter name that is not an HTTP token; a header type that is neither
  /// empty nor a token; a realm with control characters; locations allowing nothing; a route
  /// or excluded path that is neither `/exact` nor `/prefix/*`; a route method that is not a
  /// token, an empty role, a scope that is not an RFC 6749 scope-token; a CSRF method other
  /// than GET HEAD POST PUT PATCH DELETE OPTIONS.
  static result<authenticator> create(std::shared_ptr<const token_service> service,
                                      authenticator_options options);

  /// Decides with the route table: excluded paths, then the first matching rule, then the
  /// default requirement.
  decision decide(const request_view& request) const;
  /// Decides against one rule, ignoring the route table (for an endpoint whose need is fixed,
  /// like a refresh endpoint). The rule's `path` and `methods` are not consulted.
  decision decide(const request_view& request, const route_rule& rule) const;

  /// The rule `decide(request)` applies: nullopt for an excluded path.
  std::optional<route_rule> rule_for(std::string_view method, std::string_view path) const;

  /// The token service; only when one was given (see create()).
  const token_service& service() const noexcept { return *service_; }
  const authenticator_options& options() const noexcept { return options_; }

 private:
  authenticator(std::shared_ptr<const token_service> service, authenticator_options options);

  std::shared_ptr<const token_service> service_;
  authenticator_options options_;
};

/// True when `path` matches `pattern`: equal to an exact pattern, or, for `/prefix/*`, equal to
/// `/prefix` or starting with `/prefix/`.
JWTFORT_API bool path_matches(std::string_view pattern, std::string_view path) noexcept;

}  // namespace jwtfort::http
