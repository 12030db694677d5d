#pragma once
// Reading JWK JSON (RFC 7517) into the plain members the crypto layer makes keys from. The
// JSON side of keys lives here; the key policy lives in crypto/key.cpp.

#include <optional>

#include "core/json.hpp"
#include "crypto/jwk_fields.hpp"
#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort::jwk {

/// Reads one JWK object: its strings, its base64url members decoded, the first x5c certificate.
/// `wanted` is the caller's algorithm; a JWK "alg" that differs is refused here.
/// Errors: invalid_key (a member of the wrong type or encoding, "use" or "key_ops" that do not
/// allow signatures), unsupported_algorithm, key_algorithm_mismatch.
result<void> read(const json::object& o, std::optional<algorithm> wanted, crypto::jwk_fields& out);

/// read() and then the crypto layer's key policy.
result<key> to_key(const json::object& o, std::optional<algorithm> wanted);

}  // namespace jwtfort::jwk
