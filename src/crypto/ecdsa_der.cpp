// ECDSA signature encodings (RFC 7518 §3.4; X9.62 ECDSA-Sig-Value in DER).

#include "crypto/ecdsa_der.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include <cstring>

namespace jwtfort::crypto {
namespace {

// One DER INTEGER of a big-endian unsigned magnitude: leading zeros dropped (one kept for zero),
// and a 0x00 prefix when the high bit is set, exactly as i2d_ECDSA_SIG writes it. n <= 66, so the
// length always fits the short form.
std::size_t put_der_integer(const unsigned char* p, std::size_t n, unsigned char* out) {
  while (n > 1 && *p == 0) {
    ++p;
    --n;
  }
  const std::size_t pad = (*p & 0x80) != 0 ? 1 : 0;
  out[0] = 0x02;
  out[1] = static_cast<unsigned char>(n + pad);
  out[2] = 0x00;
  std::memcpy(out + 2 + pad, p, n);
  return 2 + pad + n;
}

}  // namespace

// Written directly: building it through ECDSA_SIG and two BIGNUMs costs four allocations per
// token.
std::size_t ecdsa_raw_to_der(std::span<const unsigned char> raw, unsigned char* der) {
  const std::size_t n = raw.size() / 2;
  unsigned char body[2 * (3 + 66)];
  std::size_t len = put_der_integer(raw.data(), n, body);
  len += put_der_integer(raw.data() + n, n, body + len);
  std::size_t head = 0;
  der[head++] = 0x30;
  if (len >= 0x80) der[head++] = 0x81;  // at most 138 bytes: one length byte in the long form
  der[head++] = static_cast<unsigned char>(len);
  std::memcpy(der + head, body, len);
  return head + len;
}

bool ecdsa_der_to_raw(const unsigned char* der, std::size_t len, std::size_t n, std::string& out) {
  const unsigned char* p = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (sig == nullptr) return false;
  out.assign(2 * n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), o, static_cast<int>(n)) == static_cast<int>(n) &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), o + n, static_cast<int>(n)) == static_cast<int>(n);
  ECDSA_SIG_free(sig);
  return ok;
}

}  // namespace jwtfort::crypto
