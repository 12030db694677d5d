#pragma once
/// `signer`: makes compact JWS tokens with one private key or secret.

#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/claims.hpp"
#include "jwtfort/clock.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

/// What goes into the protected header besides `alg` (always the key's algorithm) and `kid`
/// (the key's id, when it has one).
struct header_options {
  /// `typ`; "JWT" by default, empty to leave it out.
  std::string type = "JWT";
  /// Extra members as a JSON object text, e.g. `{"x-tenant":"a"}`. `alg` and `kid` may not be
  /// overridden here, nor may the members a verifier refuses (jwk, jku, x5u, x5c, zip, crit, b64).
  std::string extra_json;
};

class JWTFORT_API signer {
 public:
  /// A signer for `k`. Errors: invalid_key when the key cannot sign (a public key).
  static result<signer> create(key k);

  /// Signs `c` and returns the compact token `header.payload.signature`.
  /// Errors: invalid_header (bad extra_json), internal_error (crypto failure).
  /// Example: `auto t = s->sign(claims{}.subject("alice").expires_at(now + 900));`
  result<std::string> sign(const claims& c, const header_options& header = {}) const;

  /// Signs a payload that is already a JSON object text, without re-encoding it.
  result<std::string> sign_json(std::string_view claims_json,
                                const header_options& header = {}) const;

  const key& signing_key() const noexcept { return key_; }

 private:
  explicit signer(key k) : key_(std::move(k)) {}
  key key_;
};

}  // namespace jwtfort
