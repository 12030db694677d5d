#include "jwtfort/error.hpp"

namespace jwtfort {
namespace {

struct entry {
  errc code;
  std::string_view name;
  std::string_view message;
};

// One table: wire name and default message per code. The wire names are a public contract.
constexpr entry table[] = {
    {errc::malformed_token, "malformed_token", "token is not a compact JWS"},
    {errc::token_too_large, "token_too_large", "token is larger than the size limit"},
    {errc::invalid_base64, "invalid_base64", "segment is not canonical unpadded base64url"},
    {errc::invalid_json, "invalid_json", "segment is not a strict JSON object"},
    {errc::duplicate_member, "duplicate_member", "JSON object has a duplicate member name"},
    {errc::json_too_complex, "json_too_complex", "JSON exceeds the depth or size limits"},
    {errc::invalid_header, "invalid_header", "header member has an invalid type or value"},
    {errc::invalid_claim, "invalid_claim", "claim has an invalid type or value"},
    {errc::invalid_authorization_header, "invalid_authorization_header",
     "authorization header is not '<type> <token>'"},
    {errc::unsupported_algorithm, "unsupported_algorithm", "algorithm is not supported"},
    {errc::algorithm_not_allowed, "algorithm_not_allowed", "algorithm is not allowed"},
    {errc::unknown_key, "unknown_key", "no key matches the token"},
    {errc::key_algorithm_mismatch, "key_algorithm_mismatch", "key is bound to another algorithm"},
    {errc::invalid_signature, "invalid_signature", "signature verification failed"},
    {errc::unsupported_header, "unsupported_header", "header parameter is not accepted"},
    {errc::invalid_critical_header, "invalid_critical_header", "crit header is not understood"},
    {errc::invalid_type, "invalid_type", "typ header does not match"},
    {errc::invalid_issuer, "invalid_issuer", "issuer does not match"},
    {errc::invalid_audience, "invalid_audience", "audience does not match"},
    {errc::missing_claim, "missing_claim", "required claim is missing"},
    {errc::missing_token, "missing_token", "no token in the request"},
    {errc::csrf_failed, "csrf_failed", "CSRF token is missing or does not match"},
    {errc::invalid_credentials, "invalid_credentials", "bad username or password"},
    {errc::expired, "expired", "token has expired"},
    {errc::not_yet_valid, "not_yet_valid", "token is not valid yet"},
    {errc::issued_in_future, "issued_in_future", "token was issued in the future"},
    {errc::revoked, "revoked", "token has been revoked"},
    {errc::token_reused, "token_reused", "refresh token was already used"},
    {errc::wrong_token_type, "wrong_token_type", "token type is not accepted here"},
    {errc::fresh_token_required, "fresh_token_required", "fresh token required"},
    {errc::insufficient_scope, "insufficient_scope", "token lacks the required scope"},
    {errc::store_unavailable, "store_unavailable", "token store is unavailable"},
    {errc::jwks_unavailable, "jwks_unavailable", "remote JWKS is unavailable"},
    {errc::too_many_attempts, "too_many_attempts", "too many attempts; retry later"},
    {errc::invalid_key, "invalid_key", "key is invalid"},
    {errc::weak_key, "weak_key", "key is too weak"},
    {errc::invalid_configuration, "invalid_configuration", "configuration is invalid"},
    {errc::internal_error, "internal_error", "internal error"},
};

const entry* find(errc code) noexcept {
  for (const auto& e : table)
    if (e.code == code) return &e;
  return nullptr;
}

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "jwtfort"; }
  std::string message(int value) const override {
    return std::string(default_message(static_cast<errc>(value)));
  }
};

}  // namespace

std::string_view to_string(errc code) noexcept {
  const entry* e = find(code);
  return e ? e->name : "unknown_error";
}

std::string_view default_message(errc code) noexcept {
  const entry* e = find(code);
  return e ? e->message : "unknown error";
}

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace jwtfort
