#pragma once
/// `key_set`: the verification keys of a verifier, found by `kid` (RFC 7515 §4.1.4) or, without
/// one, by the only key that accepts the token's algorithm. A JWK Set loads into one.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/algorithm.hpp"
#include "jwtfort/export.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort {

/// A set of verification keys looked up by `kid`. Immutable after construction when shared.
class JWTFORT_API key_set {
 public:
  key_set() = default;

  /// Loads a JWK Set (RFC 7517 §5). Entries with an unknown `kty` or `use: "enc"` are skipped; a
  /// set mixing HMAC secrets and public keys, or with a duplicate `kid`, is refused.
  /// Errors: invalid_key, weak_key, unsupported_algorithm.
  static result<key_set> from_jwks(std::string_view jwks_json);

  /// Adds a key. Errors: invalid_key when its id is already used, or when it would mix symmetric
  /// and asymmetric keys.
  result<void> add(key k);

  /// The key to verify a token with header `alg` and optional `kid`:
  /// - with a kid, the key of that id; a set of one key without an id also answers any kid;
  /// - without a kid, the only key that accepts `alg`.
  /// Errors: unknown_key, key_algorithm_mismatch.
  result<const key*> find(std::optional<std::string_view> kid, algorithm alg) const;

  /// The public JWKS, `{"keys":[...]}`. HMAC keys are left out.
  std::string to_jwks() const;

  std::size_t size() const noexcept { return keys_.size(); }
  bool empty() const noexcept { return keys_.empty(); }
  const std::vector<key>& keys() const noexcept { return keys_; }

 private:
  std::vector<key> keys_;
};

}  // namespace jwtfort
