// Ed25519 on libsodium against OpenSSL's verifier: the same hostile inputs go to both, and the
// set each accepts is compared. libsodium must never accept what OpenSSL refuses; where OpenSSL
// accepts and libsodium refuses (small-order or non-canonical public keys and R values whose
// cofactorless equation holds), the stricter answer, libsodium's, is what jwtfort gives, and the
// test names each such input. Also: libsodium's signatures are RFC 8032's deterministic ones,
// byte for byte OpenSSL's, and jwtfort's crypto layer agrees with the bare libsodium call.

#include "crypto/ed25519.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "crypto/key_material.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

using test::from_hex;
using test::must;
using bytes32 = std::array<unsigned char, 32>;
using bytes64 = std::array<unsigned char, 64>;

// L, the prime order of the base point, and p = 2^255 - 19, little-endian.
const std::string group_order =
    from_hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
const std::string field_prime =
    from_hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");

bytes32 to32(std::string_view s) {
  bytes32 out{};
  std::copy_n(s.begin(), 32, out.begin());
  return out;
}

// a + b for 256-bit little-endian numbers; the carry out must be 0.
bytes32 add(const bytes32& a, const std::string& b, unsigned small = 0) {
  bytes32 out{};
  unsigned carry = small;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned sum = a[i] + static_cast<unsigned char>(b[i]) + carry;
    out[i] = static_cast<unsigned char>(sum & 0xff);
    carry = sum >> 8;
  }
  EXPECT_EQ(carry, 0u);
  return out;
}

// The encodings of the eight points of small order (the torsion subgroup) and the non-canonical
// encodings (y >= p) of the two with x = 0 and of y = 0, with both sign bits where they differ.
std::vector<std::pair<std::string, bytes32>> small_order_encodings() {
  const bytes32 zero{};
  bytes32 one{};
  one[0] = 1;
  const bytes32 p = to32(field_prime);
  bytes32 minus_one = p;
  minus_one[0] = 0xec;
  std::vector<std::pair<std::string, bytes32>> out = {
      {"identity (y=1)", one},
      {"order 2 (y=-1)", minus_one},
      {"order 4 (y=0)", zero},
      {"order 8 a",
       to32(from_hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"))},
      {"order 8 b",
       to32(from_hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"))},
      {"non-canonical order 4 (y=p)", p},
      {"non-canonical identity (y=p+1)", add(p, std::string(32, '\0'), 1)},
  };
  const std::size_t plain = out.size();
  for (std::size_t i = 0; i < plain; ++i) {  // the other sign bit of x
    bytes32 flipped = out[i].second;
    flipped[31] ^= 0x80;
    out.push_back({out[i].first + ", sign bit set", flipped});
  }
  return out;
}

// --- the two verifiers -------------------------------------------------------------------------

bool openssl_accepts(const bytes32& public_key, std::string_view msg, std::string_view sig) {
  crypto::openssl_ptr<EVP_PKEY, EVP_PKEY_free> pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), 32));
  if (!pkey) return false;
  crypto::openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

bool sodium_accepts(const bytes32& public_key, std::string_view msg, std::string_view sig) {
  if (sig.size() != crypto::ed25519_signature_bytes) return false;
  const std::span<const unsigned char, 64> s(reinterpret_cast<const unsigned char*>(sig.data()),
                                             64);
  return crypto::ed25519_verify(public_key, msg, s);
}

// jwtfort's own answer: the key imported through the public API, crypto::verify on it.
std::optional<bool> jwtfort_accepts(const bytes32& public_key, std::string_view msg,
                                    std::string_view sig) {
  crypto::openssl_ptr<EVP_PKEY, EVP_PKEY_free> pkey(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), 32));
  if (!pkey) return std::nullopt;
  auto k = key::from_pem(test::encode_pkey(pkey.get(), false, "SubjectPublicKeyInfo"),
                         algorithm::ed25519);
  if (!k) return std::nullopt;
  return crypto::verify(k->material(), algorithm::ed25519, msg, test::bytes_of(sig)).has_value();
}

// --- signatures an attacker can make without the key -------------------------------------------

struct keypair {
  bytes32 public_key;
  bytes64 secret;  // seed || public key
  bytes32 scalar;  // the secret scalar a, reduced mod L
};

keypair fixed_keypair() {
  EXPECT_GE(sodium_init(), 0);
  keypair k{};
  bytes32 seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<unsigned char>(7 * i + 1);
  crypto_sign_seed_keypair(k.public_key.data(), k.secret.data(), seed.data());
  unsigned char h[64];  // RFC 8032 §5.1.5: a = clamp(SHA-512(seed)[0..32])
  crypto_hash_sha512(h, seed.data(), seed.size());
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  std::fill(h + 32, h + 64, 0);
  crypto_core_ed25519_scalar_reduce(k.scalar.data(), h);
  return k;
}

// k = SHA-512(R || A || M) mod L, the challenge of RFC 8032 §5.1.7.
bytes32 challenge(const bytes32& r, const bytes32& a, std::string_view msg) {
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, r.data(), 32);
  crypto_hash_sha512_update(&st, a.data(), 32);
  crypto_hash_sha512_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  unsigned char h[64];
  crypto_hash_sha512_final(&st, h);
  bytes32 k{};
  crypto_core_ed25519_scalar_reduce(k.data(), h);
  return k;
}

std::string signature_of(const bytes32& r, const bytes32& s) {
  return std::string(reinterpret_cast<const char*>(r.data()), 32) +
         std::string(reinterpret_cast<const char*>(s.data()), 32);
}

// --- the comparison ----------------------------------------------------------------------------

struct hostile {
  std::string name;
  bytes32 public_key;
  std::string msg, sig;
  bool openssl_only;  // OpenSSL accepts it, libsodium must not (the known, stricter difference)
};

void expect_agreement(const std::vector<hostile>& cases) {
  for (const hostile& c : cases) {
    SCOPED_TRACE(c.name);
    const bool by_openssl = openssl_accepts(c.public_key, c.msg, c.sig);
    const bool by_sodium = sodium_accepts(c.public_key, c.msg, c.sig);
    if (c.openssl_only) {
      EXPECT_TRUE(by_openssl) << "the case no longer shows OpenSSL's laxer answer";
      EXPECT_FALSE(by_sodium);
    } else {
      EXPECT_EQ(by_openssl, by_sodium);
    }
    // jwtfort answers as libsodium does (a key import failure is a refusal too).
    EXPECT_EQ(jwtfort_accepts(c.public_key, c.msg, c.sig).value_or(false), by_sodium);
  }
}

TEST(ed25519, signatures_are_rfc8032_deterministic_and_match_openssl) {
  const keypair k = fixed_keypair();
  crypto::openssl_ptr<EVP_PKEY, EVP_PKEY_free> pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, k.secret.data(), 32));
  ASSERT_TRUE(pkey);
  auto jk =
      must(key::from_pem(test::encode_pkey(pkey.get(), true, "PrivateKeyInfo"), algorithm::ed25519),
           "key");
  for (std::string msg :
       {std::string(), std::string("eyJhbGciOiJFZERTQSJ9.e30"), std::string(1000, 'x')}) {
    crypto::openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
    ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()), 1);
    unsigned char expected[64];
    std::size_t len = sizeof expected;
    ASSERT_EQ(EVP_DigestSign(ctx.get(), expected, &len,
                             reinterpret_cast<const unsigned char*>(msg.data()), msg.size()),
              1);
    const std::string ours = must(crypto::sign(jk.material(), algorithm::ed25519, msg), "sign");
    EXPECT_EQ(ours, std::string(reinterpret_cast<const char*>(expected), len));
    EXPECT_TRUE(openssl_accepts(k.public_key, msg, ours));
  }
}

// RFC 8032 §7.1 test 1, through jwtfort's key import and crypto layer.
TEST(ed25519, rfc8032_test_vector) {
  const bytes32 pk =
      to32(from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  const std::string sig = from_hex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
      "b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_EQ(jwtfort_accepts(pk, "", sig), true);
  EXPECT_EQ(jwtfort_accepts(pk, "x", sig), false);
}

TEST(ed25519, hostile_signatures_are_refused_by_both) {
  const keypair k = fixed_keypair();
  const std::string msg = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0";
  bytes64 raw{};
  crypto_sign_detached(raw.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()),
                       msg.size(), k.secret.data());
  const std::string good(reinterpret_cast<const char*>(raw.data()), 64);
  const bytes32 r = to32(good), s = to32(good.substr(32));

  std::vector<hostile> cases = {{"valid", k.public_key, msg, good, false}};
  // S >= L: S + L (the malleated twin), L itself, L + 1, the largest 256-bit values.
  cases.push_back({"S + L", k.public_key, msg, signature_of(r, add(s, group_order)), false});
  cases.push_back({"S = L", k.public_key, msg, signature_of(r, to32(group_order)), false});
  cases.push_back({"S = L + 1", k.public_key, msg,
                   signature_of(r, add(to32(group_order), std::string(32, '\0'), 1)), false});
  bytes32 top_bits = s;
  top_bits[31] |= 0xe0;
  cases.push_back(
      {"S with the top three bits set", k.public_key, msg, signature_of(r, top_bits), false});
  bytes32 all_ones;
  all_ones.fill(0xff);
  cases.push_back({"S = 2^256 - 1", k.public_key, msg, signature_of(r, all_ones), false});
  // Every single-bit change of the signature and a few of the message.
  for (std::size_t bit = 0; bit < 512; ++bit) {
    std::string flipped = good;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    cases.push_back({"signature bit " + std::to_string(bit), k.public_key, msg, flipped, false});
  }
  for (std::size_t at : {std::size_t{0}, msg.size() / 2, msg.size() - 1}) {
    std::string changed = msg;
    changed[at] = static_cast<char>(changed[at] ^ 1);
    cases.push_back({"message byte " + std::to_string(at), k.public_key, changed, good, false});
  }
  cases.push_back({"message extended", k.public_key, msg + ".", good, false});
  cases.push_back({"message truncated", k.public_key, msg.substr(1), good, false});
  // Wrong lengths: both refuse, and jwtfort names it before any curve arithmetic.
  cases.push_back({"63 bytes", k.public_key, msg, good.substr(0, 63), false});
  cases.push_back({"65 bytes", k.public_key, msg, good + '\0', false});
  cases.push_back({"empty", k.public_key, msg, "", false});
  cases.push_back({"all zero", k.public_key, msg, std::string(64, '\0'), false});
  // R replaced by a non-canonical encoding (y + p) of the same point where one exists, and by
  // y >= p values that are no point: the equation compares R's bytes, so both refuse.
  for (const auto& [name, encoding] : small_order_encodings())
    cases.push_back({"R = " + name, k.public_key, msg, signature_of(encoding, s), false});
  expect_agreement(cases);
}

// The cofactorless equation [S]B = R + [k]A holds for inputs an attacker builds without the
// secret when A or R is of small order. OpenSSL 3.0 accepts them; libsodium refuses them before
// any arithmetic, and so does jwtfort.
TEST(ed25519, small_order_points_are_refused_where_openssl_accepts) {
  const keypair k = fixed_keypair();
  const bytes32 identity = small_order_encodings()[0].second;
  std::vector<hostile> cases;
  // A of small order, R the identity, S = 0: [0]B = R + [k]A holds when the order of A divides k.
  // 1/8 of messages at worst, so a forger tries a few suffixes.
  for (const auto& [name, a] : small_order_encodings()) {
    bool found = false;
    for (int attempt = 0; attempt < 256 && !found; ++attempt) {
      const std::string msg = "eyJhbGciOiJFZERTQSJ9.e30" + std::to_string(attempt);
      const std::string sig = signature_of(identity, bytes32{});
      if (!openssl_accepts(a, msg, sig)) continue;
      found = true;
      cases.push_back({"A = " + name + ", R = identity, S = 0", a, msg, sig, true});
    }
    // A point OpenSSL cannot decode never verifies; libsodium must refuse it too.
    if (!found)
      cases.push_back(
          {"A = " + name + " (undecodable)", a, "m", signature_of(identity, bytes32{}), false});
  }
  // R the identity with a real key: S = k·a makes [S]B = [k]A = R + [k]A. This needs the secret
  // scalar, but shows OpenSSL takes a small-order R that libsodium refuses.
  const std::string msg = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0";
  bytes32 s{};
  crypto_core_ed25519_scalar_mul(s.data(), challenge(identity, k.public_key, msg).data(),
                                 k.scalar.data());
  cases.push_back({"R = identity, S = k*a", k.public_key, msg, signature_of(identity, s), true});
  expect_agreement(cases);
  std::size_t openssl_only = 0;
  for (const hostile& c : cases) openssl_only += c.openssl_only;
  // The identity (both sign bits and its non-canonical form), at least, must show the difference.
  EXPECT_GE(openssl_only, 4u);
}

// Random signatures with S < L, so each reaches the curve arithmetic of both.
TEST(ed25519, random_signatures_are_refused_by_both) {
  const keypair k = fixed_keypair();
  std::vector<hostile> cases;
  std::uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return static_cast<char>(state >> 24);
  };
  for (int i = 0; i < 64; ++i) {
    std::string sig(64, '\0');
    for (char& c : sig) c = next();
    sig[63] = static_cast<char>(sig[63] & 0x0f);  // S < 2^252: past the S < L check
    cases.push_back({"random " + std::to_string(i), k.public_key, "m", sig, false});
  }
  expect_agreement(cases);
}

}  // namespace
}  // namespace jwtfort
