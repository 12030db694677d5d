// The one table from an error to what the client is told. Client messages are
// fastapi-jwt-auth's where it has one; every failure of format, signature, algorithm or key reads
// "Invalid token", so a client cannot probe the verifier for which check failed (security.md §5).
#include <array>

#include "http/text.hpp"
#include "jwtfort/claims.hpp"
#include "jwtfort/http/authenticator.hpp"

namespace jwtfort::http {
namespace {

// RFC 6750 §3: no error code when the request carried no authentication at all; none of the
// header either for statuses that are not about credentials.
enum class scheme_error { no_header, none, invalid_request, invalid_token, insufficient_scope };

struct entry {
  int status;
  scheme_error kind;
  std::string detail;
};

constexpr std::array<std::string_view, 3> csrf_details = {
    "Missing CSRF Token", "Missing claim: csrf", "CSRF double submit tokens do not match"};

std::string csrf_detail(std::string_view message) {
  for (std::string_view d : csrf_details)
    if (message == d) return std::string(d);
  return std::string(csrf_details.back());
}

// The service says which type it wanted; "access" is what most routes want when it does not.
std::string wrong_type_detail(std::string_view message) {
  if (text::iequals(message, "Only refresh tokens are allowed"))
    return "Only refresh tokens are allowed";
  return "Only access tokens are allowed";
}

entry invalid_token(std::string detail) {
  return {401, scheme_error::invalid_token, std::move(detail)};
}

// Codes this table does not name yet, by their group.
entry by_group(errc code) {
  switch (group_of(code)) {
    case error_group::malformed:
    case error_group::rejected:
    case error_group::time:
    case error_group::forbidden: return invalid_token("Invalid token");
    case error_group::unavailable: return {503, scheme_error::no_header, "Service unavailable"};
    default: return {500, scheme_error::no_header, "Internal server error"};
  }
}

entry entry_for(const error& failure, const authenticator_options& o) {
  const std::string_view message = failure.message;
  switch (failure.code) {
    case errc::invalid_authorization_header:
      return {
          400, scheme_error::invalid_request,
          message.starts_with("Bad ") ? std::string(message) : "Bad " + o.header_name + " header"};
    case errc::missing_token:
      return {401, scheme_error::none,
              message.starts_with("Missing ") ? std::string(message)
                                              : "Missing " + o.header_name + " Header"};
    case errc::invalid_credentials: return {401, scheme_error::none, "Bad username or password"};
    case errc::csrf_failed: return invalid_token(csrf_detail(message));
    case errc::expired: return invalid_token("Signature has expired");
    case errc::not_yet_valid: return invalid_token("The token is not yet valid (nbf)");
    case errc::issued_in_future: return invalid_token("The token is not yet valid (iat)");
    case errc::revoked:
    case errc::token_reused: return invalid_token("Token has been revoked");
    case errc::fresh_token_required: return invalid_token("Fresh token required");
    case errc::wrong_token_type: return invalid_token(wrong_type_detail(message));
    case errc::insufficient_scope:
      return {403, scheme_error::insufficient_scope,
              message.starts_with("Missing required role") ? "Missing required role"
                                                           : "Insufficient scope"};
    case errc::store_unavailable: return {503, scheme_error::no_header, "Token store unavailable"};
    case errc::jwks_unavailable: return {503, scheme_error::no_header, "Key set unavailable"};
    case errc::too_many_attempts: return {429, scheme_error::no_header, "Too many login attempts"};
    default: return by_group(failure.code);
  }
}

// quoted-string (RFC 9110 §5.6.4). Control characters are dropped: a line break here would
// split the response header.
void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (text::is_ctl(c)) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string_view error_code_name(scheme_error kind) {
  switch (kind) {
    case scheme_error::invalid_request: return "invalid_request";
    case scheme_error::invalid_token: return "invalid_token";
    case scheme_error::insufficient_scope: return "insufficient_scope";
    default: return {};
  }
}

// `Bearer realm="..", error="..", scope=".."` (RFC 6750 §3): realm first, auth-params
// separated by commas.
std::string bearer(scheme_error kind, const authenticator_options& o,
                   std::span<const std::string> scopes) {
  std::string out = "Bearer";
  const char* separator = " ";
  auto param = [&](std::string_view name, std::string_view value) {
    out.append(separator).append(name).append("=");
    append_quoted(out, value);
    separator = ", ";
  };
  if (!o.realm.empty()) param("realm", o.realm);
  if (kind != scheme_error::none) param("error", error_code_name(kind));
  if (kind == scheme_error::insufficient_scope && !scopes.empty()) {
    std::string list;  // RFC 6749 §3.3: space-delimited
    for (const std::string& s : scopes) list.append(list.empty() ? "" : " ").append(s);
    param("scope", list);
  }
  return out;
}

}  // namespace

challenge challenge_for(const error& failure, const authenticator_options& options,
                        std::span<const std::string> scopes) {
  entry e = entry_for(failure, options);
  challenge c;
  c.status = e.status;
  c.code = failure.code;
  c.detail = std::move(e.detail);
  if (e.kind != scheme_error::no_header) c.www_authenticate = bearer(e.kind, options, scopes);
  return c;
}

std::string challenge::body() const {
  std::string out = "{\"detail\":";
  append_json_string(out, detail);
  out += '}';
  return out;
}

}  // namespace jwtfort::http
