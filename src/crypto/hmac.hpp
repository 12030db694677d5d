#pragma once
// HMAC-SHA-256/384/512 (RFC 2104) for HS256/384/512, keyed once per key and thread.

#include <cstddef>
#include <string_view>

#include "jwtfort/algorithm.hpp"

namespace jwtfort::detail {
struct key_material;
}

namespace jwtfort::crypto {

/// Largest tag: HMAC-SHA-512.
inline constexpr std::size_t max_hmac_bytes = 64;

/// The tag length of HS256/384/512: the hash output size, which RFC 7518 §3.2 also makes the
/// shortest key allowed.
constexpr std::size_t hmac_tag_bytes(algorithm alg) {
  return alg == algorithm::hs256 ? 32 : alg == algorithm::hs384 ? 48 : 64;
}

/// Writes the full tag of `input` under the key's secret, hashed as `alg` (HS256/384/512), into
/// `out` (max_hmac_bytes) and returns its length, or 0 on failure.
///
/// Outside FIPS mode the inner and outer hash states of the padded key are computed once and
/// copied per call (no allocation, no provider dispatch); with FIPS default properties the
/// provider's HMAC is used instead, so the FIPS module does the work.
std::size_t hmac(const detail::key_material& key, algorithm alg, std::string_view input,
                 unsigned char* out);

/// The same tag through OpenSSL's provider HMAC (EVP_MAC) only: what `hmac` uses in FIPS mode,
/// and the reference the fast path is tested against.
std::size_t hmac_via_provider(const detail::key_material& key, algorithm alg,
                              std::string_view input, unsigned char* out);

}  // namespace jwtfort::crypto
