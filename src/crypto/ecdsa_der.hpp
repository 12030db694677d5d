#pragma once
// ECDSA signatures between JWS form (R||S, RFC 7518 §3.4) and the DER ECDSA-Sig-Value that
// OpenSSL's EVP interface speaks.

#include <cstddef>
#include <span>
#include <string>

namespace jwtfort::crypto {

/// Largest DER ECDSA-Sig-Value jwtfort writes (P-521).
inline constexpr std::size_t max_ecdsa_der_bytes = 141;

/// R||S (two halves of equal length, at most 66 bytes each; the caller checks the exact length,
/// so DER input is never taken for R||S) -> DER into `der` (max_ecdsa_der_bytes); returns its
/// length.
std::size_t ecdsa_raw_to_der(std::span<const unsigned char> raw, unsigned char* der);

/// DER -> R||S with each half left-padded to `n` bytes (the curve's coordinate size). False when
/// `der` is not an ECDSA-Sig-Value or a half does not fit.
bool ecdsa_der_to_raw(const unsigned char* der, std::size_t len, std::size_t n, std::string& out);

}  // namespace jwtfort::crypto
