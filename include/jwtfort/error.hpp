#pragma once
/// The one error vocabulary of jwtfort.
///
/// Every fallible call reports an `errc`. Codes are grouped by what the caller must do, and each
/// has a stable snake_case wire name (`to_string(errc)`) used by the CLI, HTTP and Python
/// boundaries. Numeric values are stable too: new codes are only ever appended to a group's range.

#include <string>
#include <string_view>
#include <system_error>

#include "jwtfort/export.hpp"

namespace jwtfort {

/// What went wrong. Ranges: 1xx malformed input, 2xx rejected token, 3xx time, 4xx forbidden by
/// token policy, 5xx unavailable, 6xx misconfigured.
enum class errc : int {
  // --- malformed: the input is not a well-formed compact JWS/JWT; do not retry as is.
  malformed_token = 100,   ///< not `header.payload.signature` in the base64url alphabet
  token_too_large = 101,   ///< longer than the configured size limit, checked before decoding
  invalid_base64 = 102,    ///< padding, bad length or non-canonical trailing bits
  invalid_json = 103,      ///< not UTF-8 RFC 8259 JSON with an object at the top
  duplicate_member = 104,  ///< a member name appears twice in the header or the claims
  json_too_complex = 105,  ///< nesting depth, member count or number length above the limits
  invalid_header = 106,    ///< a header member has the wrong type or shape (alg, kid, typ, crit)
  invalid_claim = 107,     ///< a registered claim has the wrong type or range (exp as a string...)
  invalid_authorization_header = 108,  ///< not `<type> <token>`, or the header sent twice

  // --- rejected: well formed but not acceptable; the token is not trusted.
  unsupported_algorithm = 200,    ///< `alg` is not a JWS algorithm jwtfort implements (incl. none)
  algorithm_not_allowed = 201,    ///< `alg` is valid but not in the caller's allow-list
  unknown_key = 202,              ///< no configured key matches the token's `kid` and `alg`
  key_algorithm_mismatch = 203,   ///< the selected key is bound to another algorithm
  invalid_signature = 204,        ///< the signature does not verify
  unsupported_header = 205,       ///< jwk, jku, x5u, x5c, zip, b64 or `cty: JWT`
  invalid_critical_header = 206,  ///< `crit` lists something not understood or is ill-formed
  invalid_type = 207,             ///< `typ` differs from the one the verifier requires
  invalid_issuer = 208,           ///< `iss` differs from the expected issuer
  invalid_audience = 209,         ///< `aud` does not contain the expected audience
  missing_claim = 210,            ///< a required claim is absent
  missing_token = 211,            ///< the request carries no token where one is required
  csrf_failed = 212,              ///< a cookie token's CSRF header is missing or does not match
  invalid_credentials = 213,      ///< a login with an unknown user or a wrong password

  // --- time: the token is outside its validity window.
  expired = 300,           ///< now >= exp + leeway
  not_yet_valid = 301,     ///< now + leeway < nbf
  issued_in_future = 302,  ///< iat > now + leeway

  // --- forbidden: valid token that this use does not accept.
  revoked = 400,               ///< the token or its subject was revoked
  token_reused = 401,          ///< a refresh token was presented twice (RFC 9700 §4.14.2)
  wrong_token_type = 402,      ///< an access token where a refresh token is required, or vice versa
  fresh_token_required = 403,  ///< the action needs a fresh access token
  insufficient_scope = 404,    ///< a required scope or role is missing

  // --- unavailable: try again later; never to be read as "not revoked".
  store_unavailable = 500,  ///< the token store cannot be reached or cannot vouch for its answer
  jwks_unavailable = 501,   ///< a remote JWKS could not be fetched (network, status, size, time)
  too_many_attempts = 502,  ///< login attempts throttled; retry after the time given

  // --- misconfigured: the application's own keys or settings are wrong.
  invalid_key = 600,  ///< PEM/DER/JWK that cannot be parsed or is inconsistent
  weak_key = 601,     ///< HMAC secret shorter than the hash, RSA < 2048 bits, bad exponent
  invalid_configuration = 602,  ///< a verifier/signer option is out of range or missing
  internal_error = 603,         ///< a crypto library failure that is not the input's fault
};

/// What a caller must do about a code: its group, the hundreds of its value (1xx malformed ...
/// 6xx misconfigured). A code added later lands in its group, so boundaries that cannot list
/// every code (an HTTP status, an exit code, an exception class) decide by the group.
enum class error_group : int {
  malformed = 1,      ///< 1xx: not a well-formed compact JWS/JWT
  rejected = 2,       ///< 2xx: well formed but not acceptable
  time = 3,           ///< 3xx: outside its validity window
  forbidden = 4,      ///< 4xx: valid, but this use does not accept it
  unavailable = 5,    ///< 5xx: try again later
  misconfigured = 6,  ///< 6xx: the application's own keys or settings are wrong
};

/// The group of `code`, e.g. `group_of(errc::expired)` -> `error_group::time`.
constexpr error_group group_of(errc code) noexcept {
  return static_cast<error_group>(static_cast<int>(code) / 100);
}

/// Stable wire name, e.g. `errc::expired` -> "expired".
JWTFORT_API std::string_view to_string(errc code) noexcept;

/// Default human message for a code, e.g. "token has expired".
JWTFORT_API std::string_view default_message(errc code) noexcept;

/// The `std::error_category` named "jwtfort".
JWTFORT_API const std::error_category& error_category() noexcept;

/// Wires `errc` into `std::error_code`.
inline std::error_code make_error_code(errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

/// An error: the code callers branch on, and a message naming the precise reason for humans.
/// The message never contains a token or key material.
struct error {
  errc code;
  std::string message;

  error(errc c) : code(c), message(default_message(c)) {}  // NOLINT: implicit on purpose
  error(errc c, std::string msg) : code(c), message(std::move(msg)) {}

  friend bool operator==(const error& e, errc c) noexcept { return e.code == c; }
};

}  // namespace jwtfort

template <>
struct std::is_error_code_enum<jwtfort::errc> : std::true_type {};
