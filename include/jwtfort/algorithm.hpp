#pragma once
/// JWS algorithms (RFC 7518 §3, RFC 8037, RFC 9864). There is no `none`.

#include <cstdint>
#include <optional>
#include <string_view>

#include "jwtfort/export.hpp"

namespace jwtfort {

// One line per family; the layout is kept by hand.
// clang-format off
enum class algorithm : std::uint8_t {
  hs256, hs384, hs512,  ///< HMAC with SHA-2
  rs256, rs384, rs512,  ///< RSASSA-PKCS1-v1_5
  ps256, ps384, ps512,  ///< RSASSA-PSS, MGF1 with the same hash, salt = hash length
  es256, es384, es512,  ///< ECDSA on P-256 / P-384 / P-521, signature R||S
  eddsa,                ///< RFC 8037 EdDSA: Ed25519 or Ed448, decided by the key
  ed25519,              ///< RFC 9864 fully specified Ed25519
  ed448,                ///< RFC 9864 fully specified Ed448
};

/// Every algorithm, in declaration order.
inline constexpr algorithm all_algorithms[] = {
    algorithm::hs256, algorithm::hs384, algorithm::hs512,
    algorithm::rs256, algorithm::rs384, algorithm::rs512,
    algorithm::ps256, algorithm::ps384, algorithm::ps512,
    algorithm::es256, algorithm::es384, algorithm::es512,
    algorithm::eddsa, algorithm::ed25519, algorithm::ed448};
// clang-format on

/// The JWS name, e.g. "HS256", "EdDSA", "Ed25519".
JWTFORT_API std::string_view to_string(algorithm alg) noexcept;

/// Parses a JWS name. Byte-exact and case-sensitive (RFC 7515 §5.3): "hs256" and "none" give
/// nothing.
JWTFORT_API std::optional<algorithm> algorithm_from_string(std::string_view name) noexcept;

/// The key families: which kind of key an algorithm needs.
enum class key_family : std::uint8_t { hmac, rsa, ec, okp };

/// Which key family an algorithm uses.
JWTFORT_API key_family family_of(algorithm alg) noexcept;

}  // namespace jwtfort
