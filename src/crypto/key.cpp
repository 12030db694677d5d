// Key loading, policy checks and generation, and keys from and to JWK members (RFC 7517,
// RFC 7518 §6, RFC 8037 §2); core/jwk.cpp reads and writes the JSON around them. Policy:
// RFC 8725 §3.1 and §3.5 with jwtfort's settled limits.

#include "jwtfort/key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

#include "crypto/crypto.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwk_fields.hpp"
#include "crypto/key_material.hpp"
#include "crypto/openssl_ptr.hpp"

namespace jwtfort {
namespace detail {

key_material::key_material(const key_material& other)
    : alg(other.alg),
      kid(other.kid),
      bits(other.bits),
      has_private(other.has_private),
      curve(other.curve),
      pkey(share(other.pkey.get())),
      secret(other.secret),
      ed25519_public(other.ed25519_public) {}

key_material::~key_material() { OPENSSL_cleanse(secret.data(), secret.size()); }

}  // namespace detail

namespace {

using crypto::jwk_fields;
using detail::key_material;
using detail::okp_curve;
using detail::pkey_ptr;

using bn_ptr = crypto::openssl_ptr<BIGNUM, BN_clear_free>;
using pkey_ctx_ptr = crypto::openssl_ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using bio_ptr = crypto::openssl_ptr<BIO, BIO_free>;
using decoder_ctx_ptr = crypto::openssl_ptr<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>;

error key_error(errc code, std::string message) {
  ERR_clear_error();
  return {code, std::move(message)};
}

const char* curve_for(algorithm alg) {
  switch (alg) {
    case algorithm::es256: return "P-256";
    case algorithm::es384: return "P-384";
    case algorithm::es512: return "P-521";
    default: return "";
  }
}

std::size_t curve_bytes(algorithm alg) {
  switch (alg) {
    case algorithm::es256: return 32;
    case algorithm::es384: return 48;
    default: return 66;
  }
}

std::optional<algorithm> ec_alg_for_curve(std::string_view crv) {
  if (crv == "P-256") return algorithm::es256;
  if (crv == "P-384") return algorithm::es384;
  if (crv == "P-521") return algorithm::es512;
  return std::nullopt;
}

// OpenSSL names curves "prime256v1" and the like; map back to the JOSE name.
std::string ec_group_jose_name(EVP_PKEY* pkey) {
  char name[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
      1)
    return {};
  std::string_view n(name, len);
  if (n == "prime256v1" || n == "P-256") return "P-256";
  if (n == "secp384r1" || n == "P-384") return "P-384";
  if (n == "secp521r1" || n == "P-521") return "P-521";
  return std::string(n);
}

bool has_private_part(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519") || EVP_PKEY_is_a(pkey, "ED448")) {
    std::size_t len = 0;
    return EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1 && len > 0;
  }
  BIGNUM* d = nullptr;
  const char* name = EVP_PKEY_is_a(pkey, "EC") ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_RSA_D;
  bool ok = EVP_PKEY_get_bn_param(pkey, name, &d) == 1;
  BN_clear_free(d);
  ERR_clear_error();
  return ok;
}

// ROCA (CVE-2017-15361): moduli made by the flawed Infineon generator are, modulo each small
// prime below, a power of 65537. A sound modulus escapes that pattern for some prime with
// overwhelming probability (the published detector's test, false-positive rate about 2^-154).
bool has_roca_fingerprint(const BIGNUM* n) {
  static constexpr unsigned primes[] = {
      3,  5,  7,  11, 13, 17,  19,  23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
      73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  for (unsigned p : primes) {
    const BN_ULONG residue = BN_mod_word(n, p);
    bool in_subgroup = false;
    for (unsigned i = 0, power = 1; i < p && !in_subgroup; ++i, power = power * (65537 % p) % p)
      in_subgroup = residue == power;
    if (!in_subgroup) return false;
  }
  return true;
}

result<void> check_rsa_public_numbers(EVP_PKEY* pkey) {
  BIGNUM *n = nullptr, *e = nullptr;
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
  crypto::openssl_ptr<BIGNUM, BN_free> own_n(n), own_e(e);
  if (!n || !e) return key_error(errc::invalid_key, "RSA key has no modulus or public exponent");
  if (!BN_is_odd(e) || BN_is_one(e))
    return error(errc::weak_key, "RSA public exponent must be odd and >= 3");
  if (has_roca_fingerprint(n))
    return error(errc::weak_key, "RSA modulus has the ROCA fingerprint (CVE-2017-15361)");
  return {};
}

// Ed25519 is verified and signed by libsodium (crypto/ed25519.hpp), which takes raw bytes: the
// public key, and the seed followed by the public key as the secret.
result<void> keep_ed25519_bytes(EVP_PKEY* pkey, key_material& m) {
  std::size_t len = m.ed25519_public.size();
  if (EVP_PKEY_get_raw_public_key(pkey, m.ed25519_public.data(), &len) != 1 ||
      len != m.ed25519_public.size())
    return key_error(errc::invalid_key, "Ed25519 key has no 32-byte public key");
  if (!m.has_private) return {};
  unsigned char seed[32];
  len = sizeof seed;
  const bool ok = EVP_PKEY_get_raw_private_key(pkey, seed, &len) == 1 && len == sizeof seed;
  if (ok) {
    m.secret.assign(reinterpret_cast<const char*>(seed), sizeof seed);
    m.secret.append(reinterpret_cast<const char*>(m.ed25519_public.data()), len);
  }
  OPENSSL_cleanse(seed, sizeof seed);
  if (!ok) return key_error(errc::invalid_key, "Ed25519 private key has no 32-byte seed");
  return {};
}

// RFC 7518 §3.3's floor, and the one a legacy key may go down to: keys sold as 1024-bit ones,
// which some generators make a bit or two short. Below that a modulus is within reach of
// public factoring records, so it is refused even for a migration.
constexpr unsigned min_rsa_bits = 2048;
constexpr unsigned min_legacy_rsa_bits = 1000;

// Checks an EVP_PKEY against `alg` and the key policy and wraps it.
result<key> adopt(pkey_ptr owned, algorithm alg, std::string kid,
                  unsigned rsa_floor = min_rsa_bits) {
  auto m = std::make_shared<key_material>();
  m->pkey = std::move(owned);
  EVP_PKEY* pkey = m->pkey.get();
  m->alg = alg;
  m->kid = std::move(kid);
  m->has_private = has_private_part(pkey);
  pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  switch (family_of(alg)) {
    case key_family::hmac:
      return key_error(errc::invalid_key, "an HMAC algorithm needs a secret, not a public key");
    case key_family::rsa: {
      if (!EVP_PKEY_is_a(pkey, "RSA") &&
          !(EVP_PKEY_is_a(pkey, "RSA-PSS") &&
            (alg == algorithm::ps256 || alg == algorithm::ps384 || alg == algorithm::ps512)))
        return key_error(errc::invalid_key, "key is not an RSA key");
      m->bits = static_cast<unsigned>(EVP_PKEY_get_bits(pkey));
      if (m->bits < rsa_floor)
        return key_error(errc::weak_key,
                         "RSA modulus is shorter than " + std::to_string(rsa_floor) + " bits");
      if (m->bits > 8192)
        return key_error(errc::invalid_key, "RSA modulus is longer than 8192 bits");
      if (auto numbers = check_rsa_public_numbers(pkey); !numbers) return numbers.error();
      break;
    }
    case key_family::ec: {
      if (!EVP_PKEY_is_a(pkey, "EC")) return key_error(errc::invalid_key, "key is not an EC key");
      if (ec_group_jose_name(pkey) != curve_for(alg))
        return key_error(errc::invalid_key,
                         std::string("EC key curve does not match ") + std::string(to_string(alg)));
      m->bits = static_cast<unsigned>(EVP_PKEY_get_bits(pkey));
      if (!check || EVP_PKEY_public_check(check.get()) != 1)
        return key_error(errc::invalid_key, "EC public point is not on the curve");
      break;
    }
    case key_family::okp: {
      if (EVP_PKEY_is_a(pkey, "ED25519")) {
        m->curve = okp_curve::ed25519;
        m->bits = 256;
      } else if (EVP_PKEY_is_a(pkey, "ED448")) {
        m->curve = okp_curve::ed448;
        m->bits = 456;
      } else {
        return key_error(errc::invalid_key, "key is not an Ed25519 or Ed448 key");
      }
      if ((alg == algorithm::ed25519 && m->curve != okp_curve::ed25519) ||
          (alg == algorithm::ed448 && m->curve != okp_curve::ed448))
        return key_error(errc::invalid_key, "OKP key curve does not match the algorithm");
      if (m->curve == okp_curve::ed25519)
        if (auto raw = keep_ed25519_bytes(pkey, *m); !raw) return raw.error();
      break;
    }
  }
  if (m->has_private && family_of(alg) != key_family::okp &&
      (!check || EVP_PKEY_pairwise_check(check.get()) != 1))
    return key_error(errc::invalid_key, "private key does not match its public key");
  ERR_clear_error();
  return detail::key_material::wrap(std::move(m));
}

result<key> make_secret(std::string_view secret, algorithm alg, std::string kid, bool allow_weak) {
  if (family_of(alg) != key_family::hmac)
    return error(errc::invalid_key, "a raw secret can only be used with HS256, HS384 or HS512");
  if (secret.empty()) return error(errc::weak_key, "HMAC secret is empty");
  if (!allow_weak && secret.size() < crypto::hmac_tag_bytes(alg))
    return error(errc::weak_key,
                 "HMAC secret for " + std::string(to_string(alg)) + " must be at least " +
                     std::to_string(crypto::hmac_tag_bytes(alg)) + " bytes (RFC 7518 §3.2)");
  auto m = std::make_shared<key_material>();
  m->alg = alg;
  m->kid = std::move(kid);
  m->secret.assign(secret);
  m->bits = static_cast<unsigned>(secret.size() * 8);
  m->has_private = true;
  return detail::key_material::wrap(std::move(m));
}

// --- JWK import ---------------------------------------------------------------------------------

result<const std::string*> required(const std::optional<std::string>& member,
                                    std::string_view name) {
  if (!member) return error(errc::invalid_key, "JWK has no \"" + std::string(name) + "\"");
  return &*member;
}

bn_ptr to_bn(const std::string& bytes) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

// RFC 7518 §2 Base64urlUInt: minimal octets, so no leading zero byte.
result<bn_ptr> uint_member(const std::optional<std::string>& member, std::string_view name) {
  auto bytes = required(member, name);
  if (!bytes) return bytes.error();
  if ((*bytes)->empty() || (**bytes)[0] == '\0')
    return error(errc::invalid_key,
                 "JWK member \"" + std::string(name) + "\" is not a minimal unsigned integer");
  return to_bn(**bytes);
}

using param_bld_ptr = crypto::openssl_ptr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using params_ptr = crypto::openssl_ptr<OSSL_PARAM, OSSL_PARAM_free>;

pkey_ptr from_params(const char* type, OSSL_PARAM_BLD* bld, bool is_private) {
  params_ptr params(OSSL_PARAM_BLD_to_param(bld));
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1)
    EVP_PKEY_fromdata(ctx.get(), &pkey, is_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                      params.get());
  return pkey_ptr(pkey);
}

result<pkey_ptr> rsa_from_jwk(const jwk_fields& f) {
  auto n = uint_member(f.n, "n");
  if (!n) return n.error();
  auto e = uint_member(f.e, "e");
  if (!e) return e.error();
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n->get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e->get());
  const bool is_private = f.d.has_value();
  std::vector<bn_ptr> keep;
  if (is_private) {
    const std::pair<const std::optional<std::string>*, const char*> members[] = {
        {&f.d, OSSL_PKEY_PARAM_RSA_D},          {&f.p, OSSL_PKEY_PARAM_RSA_FACTOR1},
        {&f.q, OSSL_PKEY_PARAM_RSA_FACTOR2},    {&f.dp, OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {&f.dq, OSSL_PKEY_PARAM_RSA_EXPONENT2}, {&f.qi, OSSL_PKEY_PARAM_RSA_COEFFICIENT1}};
    for (auto [member, param] : members) {
      if (!*member)
        return error(errc::invalid_key, "RSA private JWK must carry d, p, q, dp, dq and qi");
      keep.push_back(to_bn(**member));
      OSSL_PARAM_BLD_push_BN(bld.get(), param, keep.back().get());
    }
  }
  pkey_ptr pkey = from_params("RSA", bld.get(), is_private);
  if (!pkey) return key_error(errc::invalid_key, "RSA JWK is not a valid key");
  return pkey;
}

result<pkey_ptr> ec_from_jwk(const jwk_fields& f, algorithm alg) {
  const std::size_t n = curve_bytes(alg);
  auto x = required(f.x, "x");
  if (!x) return x.error();
  auto y = required(f.y, "y");
  if (!y) return y.error();
  // RFC 7518 §6.2.1.2/§6.2.1.3: coordinates are full length, leading zeros included.
  if ((*x)->size() != n || (*y)->size() != n)
    return error(errc::invalid_key,
                 "EC JWK coordinates must be exactly " + std::to_string(n) + " bytes");
  std::string point = "\x04" + **x + **y;
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve_for(alg), 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  bn_ptr priv;
  if (f.d) {
    if (f.d->size() != n) return error(errc::invalid_key, "EC JWK \"d\" has the wrong length");
    priv = to_bn(*f.d);
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get());
  }
  pkey_ptr pkey = from_params("EC", bld.get(), priv != nullptr);
  if (!pkey) return key_error(errc::invalid_key, "EC JWK point is not on the curve");
  return pkey;
}

result<pkey_ptr> okp_from_jwk(const jwk_fields& f, okp_curve curve) {
  const bool ed448 = curve == okp_curve::ed448;
  const std::size_t n = ed448 ? 57 : 32;
  const int type = ed448 ? EVP_PKEY_ED448 : EVP_PKEY_ED25519;
  auto x = required(f.x, "x");
  if (!x) return x.error();
  if ((*x)->size() != n) return error(errc::invalid_key, "OKP JWK \"x\" has the wrong length");
  const auto* xp = reinterpret_cast<const unsigned char*>((*x)->data());
  if (!f.d) {
    pkey_ptr pkey(EVP_PKEY_new_raw_public_key(type, nullptr, xp, n));
    if (!pkey) return key_error(errc::invalid_key, "OKP JWK public key is invalid");
    return pkey;
  }
  if (f.d->size() != n) return error(errc::invalid_key, "OKP JWK \"d\" has the wrong length");
  pkey_ptr pkey(EVP_PKEY_new_raw_private_key(
      type, nullptr, reinterpret_cast<const unsigned char*>(f.d->data()), n));
  if (!pkey) return key_error(errc::invalid_key, "OKP JWK private key is invalid");
  // The public key follows from d; a JWK whose x disagrees is inconsistent.
  unsigned char derived[57];
  std::size_t len = sizeof derived;
  if (EVP_PKEY_get_raw_public_key(pkey.get(), derived, &len) != 1 || len != n ||
      CRYPTO_memcmp(derived, xp, n) != 0)
    return key_error(errc::invalid_key, "OKP JWK \"x\" does not match \"d\"");
  return pkey;
}

using x509_ptr = crypto::openssl_ptr<X509, X509_free>;

// RFC 7517 §4.7: the first certificate of x5c must hold the same key as the JWK.
result<void> check_x5c(const std::string& der, const EVP_PKEY* pkey) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  x509_ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || EVP_PKEY_eq(X509_get0_pubkey(cert.get()), pkey) != 1)
    return key_error(errc::invalid_key, "JWK \"x5c\" certificate does not hold the JWK's key");
  return {};
}

// --- JWK export ---------------------------------------------------------------------------------

std::string bn_bytes(const EVP_PKEY* pkey, const char* param, std::size_t pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) return std::string();
  bn_ptr own(bn);
  std::string bytes(std::max<std::size_t>(pad_to, static_cast<std::size_t>(BN_num_bytes(bn))),
                    '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  return bytes;
}

std::string raw_okp_key(const EVP_PKEY* pkey, bool private_part) {
  unsigned char raw[57];
  std::size_t len = sizeof raw;
  if (private_part)
    EVP_PKEY_get_raw_private_key(pkey, raw, &len);
  else
    EVP_PKEY_get_raw_public_key(pkey, raw, &len);
  std::string out(reinterpret_cast<char*>(raw), len);
  OPENSSL_cleanse(raw, sizeof raw);
  return out;
}

}  // namespace

namespace crypto {

jwk_fields::~jwk_fields() {
  for (std::optional<std::string>* member : {&k, &d, &p, &q, &dp, &dq, &qi})
    if (*member) OPENSSL_cleanse((*member)->data(), (*member)->size());
}

result<key> key_from_jwk(const jwk_fields& f) {
  std::optional<algorithm> alg = f.alg;
  if (f.kty == "oct") {
    if (!alg) return error(errc::invalid_key, "oct JWK has no \"alg\"; give the algorithm");
    auto k = required(f.k, "k");
    if (!k) return k.error();
    return make_secret(**k, *alg, f.kid, false);
  }
  result<pkey_ptr> pkey = error(errc::invalid_key);
  if (f.kty == "RSA") {
    if (!alg) return error(errc::invalid_key, "RSA JWK has no \"alg\"; give the algorithm");
    if (family_of(*alg) != key_family::rsa)
      return error(errc::invalid_key, "RSA JWK used with a non-RSA algorithm");
    pkey = rsa_from_jwk(f);
  } else if (f.kty == "EC") {
    auto crv_alg = f.crv ? ec_alg_for_curve(*f.crv) : std::nullopt;
    if (!crv_alg) return error(errc::invalid_key, "EC JWK curve is not P-256, P-384 or P-521");
    if (alg && *alg != *crv_alg)
      return error(errc::invalid_key, "EC JWK \"alg\" does not match its curve");
    alg = crv_alg;
    pkey = ec_from_jwk(f, *alg);
  } else if (f.kty == "OKP") {
    okp_curve curve = !f.crv                ? okp_curve::none
                      : *f.crv == "Ed25519" ? okp_curve::ed25519
                      : *f.crv == "Ed448"   ? okp_curve::ed448
                                            : okp_curve::none;
    if (curve == okp_curve::none)
      return error(errc::invalid_key, "OKP JWK curve is not Ed25519 or Ed448");
    if (!alg) alg = curve == okp_curve::ed448 ? algorithm::ed448 : algorithm::ed25519;
    if (family_of(*alg) != key_family::okp)
      return error(errc::invalid_key, "OKP JWK used with a non-EdDSA algorithm");
    pkey = okp_from_jwk(f, curve);
  } else {
    return error(errc::invalid_key, "JWK \"kty\" is not supported");
  }
  if (!pkey) return pkey.error();
  if (f.x5c)
    if (auto r = check_x5c(*f.x5c, pkey->get()); !r) return r.error();
  return adopt(std::move(*pkey), *alg, f.kid);
}

void export_jwk_fields(const key_material& m, bool with_private, jwk_fields& out) {
  const EVP_PKEY* pkey = m.pkey.get();
  switch (family_of(m.alg)) {
    case key_family::hmac:
      out.kty = "oct";
      out.k = m.secret;
      return;
    case key_family::rsa:
      out.kty = "RSA";
      out.n = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_N);
      out.e = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_E);
      if (!with_private) return;
      out.d = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_D);
      out.p = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
      out.q = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
      out.dp = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1);
      out.dq = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2);
      out.qi = bn_bytes(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      return;
    case key_family::ec: {
      const std::size_t n = curve_bytes(m.alg);
      out.kty = "EC";
      out.crv = curve_for(m.alg);
      out.x = bn_bytes(pkey, OSSL_PKEY_PARAM_EC_PUB_X, n);
      out.y = bn_bytes(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, n);
      if (with_private) out.d = bn_bytes(pkey, OSSL_PKEY_PARAM_PRIV_KEY, n);
      return;
    }
    case key_family::okp:
      out.kty = "OKP";
      out.crv = m.curve == okp_curve::ed448 ? "Ed448" : "Ed25519";
      out.x = raw_okp_key(pkey, false);
      if (with_private) out.d = raw_okp_key(pkey, true);
      return;
  }
}

void cleanse(std::string& bytes) noexcept { OPENSSL_cleanse(bytes.data(), bytes.size()); }

}  // namespace crypto

namespace {

result<key> load_pem(std::string_view pem, algorithm alg, unsigned rsa_floor) {
  if (family_of(alg) == key_family::hmac)
    return error(errc::invalid_key,
                 "HMAC keys are raw secrets; a PEM key is never used as an HMAC secret");
  EVP_PKEY* decoded = nullptr;
  // The decoder recognises SPKI, PKCS#8 and the PKCS#1 RSA forms alike.
  decoder_ctx_ptr dctx(
      OSSL_DECODER_CTX_new_for_pkey(&decoded, "PEM", nullptr, nullptr, 0, nullptr, nullptr));
  if (!dctx) return key_error(errc::internal_error, "cannot create a PEM decoder");
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  const int ok = OSSL_DECODER_from_data(dctx.get(), &data, &len);
  pkey_ptr pkey(decoded);
  if (ok != 1 || !pkey) return key_error(errc::invalid_key, "PEM text is not a supported key");
  return adopt(std::move(pkey), alg, {}, rsa_floor);
}

}  // namespace

result<key> key::from_pem(std::string_view pem, algorithm alg) {
  return load_pem(pem, alg, min_rsa_bits);
}

result<key> key::from_legacy_pem_unsafe(std::string_view pem, algorithm alg) {
  return load_pem(pem, alg, min_legacy_rsa_bits);
}

result<key> key::from_secret(std::string_view secret, algorithm alg) {
  return make_secret(secret, alg, {}, false);
}

result<key> key::from_weak_secret_unsafe(std::string_view secret, algorithm alg) {
  return make_secret(secret, alg, {}, true);
}

result<key> key::generate(algorithm alg, unsigned rsa_bits) {
  pkey_ptr pkey;
  switch (family_of(alg)) {
    case key_family::hmac: {
      std::string secret(crypto::hmac_tag_bytes(alg), '\0');
      auto* p = reinterpret_cast<unsigned char*>(secret.data());
      if (auto r = crypto::random_bytes({p, secret.size()}); !r) return r.error();
      auto k = make_secret(secret, alg, {}, false);
      OPENSSL_cleanse(p, secret.size());
      return k;
    }
    case key_family::rsa:
      if (rsa_bits < 2048) return error(errc::weak_key, "RSA key size must be at least 2048 bits");
      // Too large is not weak: the same code as loading a key above the cap (adopt()).
      if (rsa_bits > 8192)
        return error(errc::invalid_key, "RSA key size must be at most 8192 bits");
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits)));
      break;
    case key_family::ec:
      pkey.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve_for(alg)));
      break;
    case key_family::okp:
      pkey.reset(
          EVP_PKEY_Q_keygen(nullptr, nullptr, alg == algorithm::ed448 ? "ED448" : "ED25519"));
      break;
  }
  if (!pkey) return key_error(errc::internal_error, "key generation failed");
  return adopt(std::move(pkey), alg, {});
}

algorithm key::alg() const noexcept { return material_->alg; }
const std::string& key::id() const noexcept { return material_->kid; }
bool key::can_sign() const noexcept { return material_->has_private; }
bool key::is_symmetric() const noexcept { return family_of(material_->alg) == key_family::hmac; }
unsigned key::bits() const noexcept { return material_->bits; }

key key::with_id(std::string kid) const {
  auto copy = std::make_shared<key_material>(*material_);
  copy->kid = std::move(kid);
  return key(std::move(copy));
}

bool key::accepts(algorithm header_alg) const noexcept {
  const key_material& m = *material_;
  if (header_alg == m.alg) return true;
  // RFC 8037 "EdDSA" and RFC 9864 "Ed25519"/"Ed448" name the same operation on a given key.
  if (family_of(m.alg) != key_family::okp) return false;
  if (header_alg == algorithm::eddsa) return true;
  return (header_alg == algorithm::ed25519 && m.curve == okp_curve::ed25519) ||
         (header_alg == algorithm::ed448 && m.curve == okp_curve::ed448);
}

result<std::string> key::to_public_pem() const {
  if (is_symmetric()) return error(errc::invalid_key, "an HMAC secret has no public PEM");
  bio_ptr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), material_->pkey.get()) != 1)
    return key_error(errc::internal_error, "cannot write PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace jwtfort
