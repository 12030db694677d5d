// Keys: PEM and JWK import/export (RFC 7517, RFC 7518 §6, RFC 8037 §2), thumbprints (RFC 7638),
// the key policy, generation, and key sets.

#include "jwtfort/key.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jwtfort/key_set.hpp"
#include "test_support.hpp"

using namespace jwtfort;
using namespace jwtfort::test;
using namespace std::string_literals;

namespace {

// RFC 7638 §3.1 example key and its thumbprint.
constexpr std::string_view rfc7638_n =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
    "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
    "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
    "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
constexpr std::string_view rfc7638_thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

// RFC 8037 A.1 (private key), A.2 (public key) and A.3 (thumbprint).
constexpr std::string_view rfc8037_d = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view rfc8037_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr std::string_view rfc8037_thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

const algorithm asymmetric[] = {algorithm::rs256,   algorithm::ps384, algorithm::es256,
                                algorithm::es384,   algorithm::es512, algorithm::eddsa,
                                algorithm::ed25519, algorithm::ed448};

// Signs with `signing` and verifies with `verifying`: proves two keys hold one key pair.
void expect_pair(const key& signing, const key& verifying) {
  const std::string t = make_token(header_for(signing.alg()), good_payload(), signing);
  EXPECT_OK(
      verify_with(verifying, t, [&](verifier_options& o) { o.algorithms = {signing.alg()}; }));
}

// A public JWK with a chosen modulus: the bounds are about size, not primality.
std::string rsa_jwk_with_modulus(std::size_t bits) {
  std::string n((bits + 7) / 8, '\x5a');
  n[0] = static_cast<char>(1u << ((bits - 1) % 8));  // exactly `bits` bits
  n.back() = '\x5b';                                 // odd
  return R"({"kty":"RSA","alg":"RS256","e":"AQAB","n":")" + b64(n) + R"("})";
}

}  // namespace

TEST(key, pem_rsa_spki_pkcs8_pkcs1) {
  const key& rs = test_key(algorithm::rs256);
  const std::vector<std::pair<std::string, bool>> pems = {
      {encode_key(rs, false, "SubjectPublicKeyInfo"), false},
      {encode_key(rs, true, "PrivateKeyInfo"), true},
      {encode_key(rs, false, "type-specific"), false},  // PKCS#1 RSAPublicKey
      {encode_key(rs, true, "type-specific"), true},    // PKCS#1 RSAPrivateKey
  };
  EXPECT_NE(pems[0].first.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_NE(pems[1].first.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(pems[2].first.find("BEGIN RSA PUBLIC KEY"), std::string::npos);
  EXPECT_NE(pems[3].first.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  for (const auto& [pem, is_private] : pems) {
    SCOPED_TRACE(pem.substr(0, 32));
    for (algorithm alg : {algorithm::rs256, algorithm::rs512, algorithm::ps256}) {
      auto k = key::from_pem(pem, alg);
      ASSERT_OK(k);
      EXPECT_EQ(k->alg(), alg);
      EXPECT_EQ(k->can_sign(), is_private);
      EXPECT_FALSE(k->is_symmetric());
      EXPECT_EQ(k->bits(), 2048u);
      EXPECT_EQ(k->thumbprint(), rs.thumbprint());
      EXPECT_TRUE(k->id().empty());
    }
    if (is_private) expect_pair(must(key::from_pem(pem, algorithm::rs256)), rs);
    for (algorithm wrong : {algorithm::es256, algorithm::eddsa, algorithm::ed448})
      EXPECT_ERRC(key::from_pem(pem, wrong), errc::invalid_key) << to_string(wrong);
    EXPECT_ERRC(key::from_pem(pem, algorithm::hs256), errc::invalid_key);
  }
}

TEST(key, pem_ec_spki_pkcs8_sec1) {
  const std::pair<algorithm, unsigned> curves[] = {
      {algorithm::es256, 256}, {algorithm::es384, 384}, {algorithm::es512, 521}};
  for (const auto& [alg, bits] : curves) {
    SCOPED_TRACE(to_string(alg));
    const key& ec = test_key(alg);
    const std::string sec1 = encode_key(ec, true, "type-specific");
    EXPECT_NE(sec1.find("BEGIN EC PRIVATE KEY"), std::string::npos);
    for (const auto& [pem, is_private] :
         {std::pair{encode_key(ec, false, "SubjectPublicKeyInfo"), false},
          std::pair{encode_key(ec, true, "PrivateKeyInfo"), true}, std::pair{sec1, true}}) {
      auto k = key::from_pem(pem, alg);
      ASSERT_OK(k);
      EXPECT_EQ(k->can_sign(), is_private);
      EXPECT_EQ(k->bits(), bits);
      EXPECT_EQ(k->thumbprint(), ec.thumbprint());
      if (is_private) expect_pair(*k, ec);
      // The curve is fixed by the algorithm (RFC 7518 §3.4).
      for (algorithm other : {algorithm::es256, algorithm::es384, algorithm::es512})
        if (other != alg) {
          EXPECT_ERRC(key::from_pem(pem, other), errc::invalid_key);
        }
      EXPECT_ERRC(key::from_pem(pem, algorithm::rs256), errc::invalid_key);
      EXPECT_ERRC(key::from_pem(pem, algorithm::ed25519), errc::invalid_key);
    }
  }
}

TEST(key, pem_ed25519_and_ed448) {
  const key& ed25519 = test_key(algorithm::ed25519);
  const key& ed448 = test_key(algorithm::ed448);
  for (const key* k : {&ed25519, &ed448}) {
    const bool is_448 = k == &ed448;
    SCOPED_TRACE(is_448 ? "Ed448" : "Ed25519");
    for (bool is_private : {false, true}) {
      const std::string pem =
          encode_key(*k, is_private, is_private ? "PrivateKeyInfo" : "SubjectPublicKeyInfo");
      for (algorithm alg : {algorithm::eddsa, is_448 ? algorithm::ed448 : algorithm::ed25519}) {
        auto loaded = key::from_pem(pem, alg);
        ASSERT_OK(loaded);
        EXPECT_EQ(loaded->can_sign(), is_private);
        EXPECT_EQ(loaded->bits(), is_448 ? 456u : 256u);
        EXPECT_EQ(loaded->thumbprint(), k->thumbprint());
        if (is_private) expect_pair(*loaded, *k);
      }
      EXPECT_ERRC(key::from_pem(pem, is_448 ? algorithm::ed25519 : algorithm::ed448),
                  errc::invalid_key);
      EXPECT_ERRC(key::from_pem(pem, algorithm::es256), errc::invalid_key);
      EXPECT_ERRC(key::from_pem(pem, algorithm::rs256), errc::invalid_key);
    }
  }
}

TEST(key, pem_garbage_and_weak) {
  const std::string good = must(test_key(algorithm::es256).to_public_pem());
  std::string corrupted = good;
  corrupted[40] = corrupted[40] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string(), std::string("not a pem"), good.substr(0, good.size() / 2), corrupted,
        std::string("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")}) {
    SCOPED_TRACE(bad);
    EXPECT_ERRC(key::from_pem(bad, algorithm::es256), errc::invalid_key);
  }
  // A 1024-bit RSA key is a weak key, however it arrives.
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
  ASSERT_NE(small, nullptr);
  const std::string small_public = encode_pkey(small, false, "SubjectPublicKeyInfo");
  const std::string small_private = encode_pkey(small, true, "PrivateKeyInfo");
  EVP_PKEY_free(small);
  EXPECT_ERRC(key::from_pem(small_public, algorithm::rs256), errc::weak_key);
  EXPECT_ERRC(key::from_pem(small_private, algorithm::ps256), errc::weak_key);
}

TEST(key, legacy_pem_lowers_only_the_rsa_floor) {
  EVP_PKEY* legacy = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
  EVP_PKEY* tiny = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{768});
  ASSERT_NE(legacy, nullptr);
  ASSERT_NE(tiny, nullptr);
  const std::string legacy_private = encode_pkey(legacy, true, "PrivateKeyInfo");
  const std::string legacy_public = encode_pkey(legacy, false, "SubjectPublicKeyInfo");
  const std::string tiny_private = encode_pkey(tiny, true, "PrivateKeyInfo");
  EVP_PKEY_free(legacy);
  EVP_PKEY_free(tiny);
  // A legacy key loads (the Python tests sign and verify with one); from_pem keeps refusing it.
  const key signing = must(key::from_legacy_pem_unsafe(legacy_private, algorithm::rs256));
  const key verifying = must(key::from_legacy_pem_unsafe(legacy_public, algorithm::rs256));
  EXPECT_EQ(signing.bits(), 1024u);
  EXPECT_EQ(verifying.bits(), 1024u);
  EXPECT_ERRC(key::from_pem(legacy_private, algorithm::rs256), errc::weak_key);
  // Below 1000 bits, and for keys of other families, nothing changes.
  auto refused = key::from_legacy_pem_unsafe(tiny_private, algorithm::rs256);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::weak_key);
  EXPECT_EQ(refused.error().message, "RSA modulus is shorter than 1000 bits");
  const std::string ec = must(test_key(algorithm::es256).to_public_pem());
  EXPECT_ERRC(key::from_legacy_pem_unsafe(ec, algorithm::rs256), errc::invalid_key);
}

TEST(key, public_pem_round_trip) {
  for (algorithm alg : asymmetric) {
    SCOPED_TRACE(to_string(alg));
    const key& k = test_key(alg);
    const std::string pem = must(k.to_public_pem());
    EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0u);
    auto back = key::from_pem(pem, alg);
    ASSERT_OK(back);
    EXPECT_FALSE(back->can_sign());
    EXPECT_EQ(back->thumbprint(), k.thumbprint());
    EXPECT_EQ(must(back->to_public_pem()), pem);
  }
  EXPECT_ERRC(test_key(algorithm::hs256).to_public_pem(), errc::invalid_key);
}

TEST(key, jwk_round_trip_every_family) {
  for (algorithm alg : all_algorithms) {
    SCOPED_TRACE(to_string(alg));
    const key k = test_key(alg).with_id("id-" + std::string(to_string(alg)));
    const std::string priv = must(k.to_private_jwk());
    EXPECT_NE(priv.find(R"("alg":")" + std::string(to_string(alg)) + '"'), std::string::npos);
    EXPECT_NE(priv.find(R"("use":"sig")"), std::string::npos);
    EXPECT_NE(priv.find(R"("kid":"id-)"), std::string::npos);
    auto back = key::from_jwk(priv);
    ASSERT_OK(back);
    EXPECT_EQ(back->alg(), alg);
    EXPECT_EQ(back->id(), k.id());
    EXPECT_TRUE(back->can_sign());
    EXPECT_EQ(back->bits(), k.bits());
    EXPECT_EQ(back->thumbprint(), k.thumbprint());
    EXPECT_EQ(must(back->to_private_jwk()), priv);
    expect_pair(*back, k);
    expect_pair(k, *back);
    EXPECT_OK(key::from_jwk(priv, alg));
    if (k.is_symmetric()) {
      EXPECT_ERRC(k.to_public_jwk(), errc::invalid_key);
      continue;
    }
    const std::string pub = must(k.to_public_jwk());
    EXPECT_EQ(pub.find(R"("d":)"), std::string::npos);
    EXPECT_EQ(pub.find(R"("p":)"), std::string::npos);
    auto pub_back = key::from_jwk(pub);
    ASSERT_OK(pub_back);
    EXPECT_FALSE(pub_back->can_sign());
    EXPECT_EQ(pub_back->thumbprint(), k.thumbprint());
    EXPECT_EQ(must(pub_back->to_public_jwk()), pub);
    EXPECT_ERRC(pub_back->to_private_jwk(), errc::invalid_key);
    expect_pair(k, *pub_back);
  }
}

TEST(key, jwk_without_kid_exports_thumbprint_as_kid) {
  const key& k = test_key(algorithm::es256);
  ASSERT_TRUE(k.id().empty());
  const std::string jwk = must(k.to_public_jwk());
  EXPECT_NE(jwk.find(R"("kid":")" + k.thumbprint() + '"'), std::string::npos);
  EXPECT_EQ(jwk.rfind(R"({"kty":"EC","use":"sig","alg":"ES256","kid":)", 0), 0u);
}

TEST(key, thumbprint_rfc7638_and_rfc8037) {
  const std::string rsa = R"({"kty":"RSA","n":")" + std::string(rfc7638_n) +
                          R"(","e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
  auto k = key::from_jwk(rsa);
  ASSERT_OK(k);
  EXPECT_EQ(k->thumbprint(), rfc7638_thumbprint);
  EXPECT_EQ(k->id(), "2011-04-29");
  EXPECT_EQ(must(key::from_jwk(without_member(rsa, "kid"))).thumbprint(), rfc7638_thumbprint);

  const std::string ed_public =
      R"({"kty":"OKP","crv":"Ed25519","x":")" + std::string(rfc8037_x) + R"("})";
  const std::string ed_private = R"({"kty":"OKP","crv":"Ed25519","d":")" + std::string(rfc8037_d) +
                                 R"(","x":")" + std::string(rfc8037_x) + R"("})";
  EXPECT_EQ(must(key::from_jwk(ed_public)).thumbprint(), rfc8037_thumbprint);
  EXPECT_EQ(must(key::from_jwk(ed_private)).thumbprint(), rfc8037_thumbprint);
  EXPECT_EQ(must(key::from_jwk(ed_public, algorithm::eddsa)).thumbprint(), rfc8037_thumbprint);
  // Without "alg", an Ed25519 JWK is bound to the RFC 9864 name.
  EXPECT_EQ(must(key::from_jwk(ed_public)).alg(), algorithm::ed25519);

  // HMAC: RFC 7638 §3.2 members k and kty, in that order.
  const std::string secret(48, '\x07');
  const key hs = must(key::from_secret(secret, algorithm::hs256));
  EXPECT_EQ(hs.thumbprint(), b64(crypto::sha256(R"({"k":")" + b64(secret) + R"(","kty":"oct"})")));
  // The id and the algorithm are not part of it.
  EXPECT_EQ(hs.with_id("x").thumbprint(), hs.thumbprint());
  EXPECT_EQ(must(key::from_secret(secret, algorithm::hs384)).thumbprint(), hs.thumbprint());
  EXPECT_NE(must(key::from_secret(std::string(48, '\x08'), algorithm::hs256)).thumbprint(),
            hs.thumbprint());
}

TEST(key, jwk_errors) {
  const std::string ec = must(test_key(algorithm::es256).to_public_jwk());
  const std::string ec_priv = must(test_key(algorithm::es256).to_private_jwk());
  const std::string rsa = must(test_key(algorithm::rs256).to_public_jwk());
  const std::string rsa_priv = must(test_key(algorithm::rs256).to_private_jwk());
  const std::string ed_priv = must(test_key(algorithm::ed25519).to_private_jwk());
  const std::string other_ec_d =
      b64(jwk_bytes(must(key::generate(algorithm::es256)->to_private_jwk()), "d"));
  const std::string other_ed_d =
      b64(jwk_bytes(must(key::generate(algorithm::ed25519)->to_private_jwk()), "d"));
  const std::vector<std::pair<std::string, errc>> cases = {
      {R"({"alg":"ES256","crv":"P-256","x":"AA","y":"AA"})", errc::invalid_key},  // no kty
      {with_member(ec, "kty", "oct-ish"), errc::invalid_key},
      {R"({"kty":1})", errc::invalid_key},
      {with_member(ec, "crv", "P-257"), errc::invalid_key},
      {with_member(ec, "crv", "secp256k1"), errc::invalid_key},
      {with_member(ec, "x", b64(jwk_bytes(ec, "x").substr(1))), errc::invalid_key},  // 31 bytes
      {with_member(ec, "x", b64("\0"s + jwk_bytes(ec, "x"))), errc::invalid_key},    // 33 bytes
      {without_member(ec, "y"), errc::invalid_key},
      {with_member(ec, "y", "not base64!"), errc::invalid_key},
      {with_member(ec, "alg", "ES384"), errc::invalid_key},  // alg and curve disagree
      {with_member(ec_priv, "d", other_ec_d), errc::invalid_key},
      {with_member(ec_priv, "d", b64(jwk_bytes(ec_priv, "d").substr(1))), errc::invalid_key},
      {with_member(rsa, "n", b64("\0"s + jwk_bytes(rsa, "n"))), errc::invalid_key},
      {with_member(rsa, "e", b64("\0\1\0\1"s)), errc::invalid_key},
      {with_member(rsa, "e", ""), errc::invalid_key},
      {without_member(rsa, "alg"), errc::invalid_key},  // RSA needs an algorithm
      {with_member(rsa, "alg", "ES256"), errc::invalid_key},
      {without_member(rsa_priv, "p"), errc::invalid_key},
      {with_member(rsa_priv, "q", b64(jwk_bytes(rsa_priv, "p"))), errc::invalid_key},
      {with_member(ed_priv, "d", other_ed_d), errc::invalid_key},  // x does not match d
      {with_member(ed_priv, "crv", "X25519"), errc::invalid_key},
      {with_member(ed_priv, "x", b64(jwk_bytes(ed_priv, "x").substr(1))), errc::invalid_key},
      {with_member(ed_priv, "alg", "ES256"), errc::invalid_key},
      {R"({"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"})", errc::invalid_key},
      {R"({"kty":"oct","alg":"HS256"})", errc::invalid_key},
      {R"({"kty":"oct","alg":"ES256","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"})",
       errc::invalid_key},
      {with_member(ec, "use", "enc"), errc::invalid_key},
      {without_member(ec, "use").insert(1, R"("use":1,)"), errc::invalid_key},
      {without_member(ec, "use").insert(1, R"("key_ops":"verify",)"), errc::invalid_key},
      {without_member(ec, "use").insert(1, R"("key_ops":["encrypt","wrapKey"],)"),
       errc::invalid_key},
      {without_member(ec, "use").insert(1, R"("key_ops":[1],)"), errc::invalid_key},
      {with_member(ec, "alg", "ES521"), errc::unsupported_algorithm},
      {with_member(ec, "alg", "none"), errc::unsupported_algorithm},
      {with_member(ec, "alg", "es256"), errc::unsupported_algorithm},
      {"not json", errc::invalid_json},
      {"[]", errc::invalid_json},
      {R"({"kty":"EC","kty":"EC"})", errc::duplicate_member},
  };
  for (const auto& [jwk, code] : cases) {
    SCOPED_TRACE(jwk);
    EXPECT_ERRC(key::from_jwk(jwk), code);
  }
  // kid must be a string.
  EXPECT_ERRC(key::from_jwk(without_member(ec, "kid").insert(1, R"("kid":7,)")), errc::invalid_key);
  // An explicit algorithm that differs from the JWK's own.
  EXPECT_ERRC(key::from_jwk(ec, algorithm::es384), errc::key_algorithm_mismatch);
  EXPECT_ERRC(key::from_jwk(rsa, algorithm::ps256), errc::key_algorithm_mismatch);
  // Accepted usage forms.
  EXPECT_OK(key::from_jwk(without_member(ec, "use")));
  EXPECT_OK(key::from_jwk(without_member(ec, "use").insert(1, R"("key_ops":["verify"],)")));
  EXPECT_OK(key::from_jwk(without_member(rsa, "alg"), algorithm::ps512));
  EXPECT_OK(key::from_jwk(R"({"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"})",
                          algorithm::hs256));
}

// RFC 7517 §4.7: x5c's first certificate must hold the JWK's key.
TEST(key, jwk_x5c_must_match) {
  const key& ec = test_key(algorithm::es256);
  const std::string jwk = without_member(must(ec.to_public_jwk()), "kid");
  const std::string own = R"("x5c":[")" + std_base64(self_signed_certificate(ec)) + R"("],)";
  const std::string other =
      R"("x5c":[")" + std_base64(self_signed_certificate(test_key(algorithm::es384))) + R"("],)";
  EXPECT_OK(key::from_jwk(std::string(jwk).insert(1, own)));
  EXPECT_ERRC(key::from_jwk(std::string(jwk).insert(1, other)), errc::invalid_key);
  EXPECT_ERRC(key::from_jwk(std::string(jwk).insert(1, R"("x5c":[],)")), errc::invalid_key);
  EXPECT_ERRC(key::from_jwk(std::string(jwk).insert(1, R"("x5c":["AAAA"],)")), errc::invalid_key);
  EXPECT_ERRC(key::from_jwk(std::string(jwk).insert(1, R"("x5c":"MII",)")), errc::invalid_key);
}

// RFC 7518 §3.2: an HMAC key is at least as long as the hash output; exactly at the boundary.
TEST(key, hmac_minimum_lengths) {
  const std::pair<algorithm, std::size_t> minimums[] = {
      {algorithm::hs256, 32}, {algorithm::hs384, 48}, {algorithm::hs512, 64}};
  for (const auto& [alg, bytes] : minimums) {
    SCOPED_TRACE(to_string(alg));
    EXPECT_ERRC(key::from_secret(std::string(bytes - 1, 'k'), alg), errc::weak_key);
    auto k = key::from_secret(std::string(bytes, 'k'), alg);
    ASSERT_OK(k);
    EXPECT_EQ(k->bits(), bytes * 8);
    EXPECT_TRUE(k->is_symmetric());
    EXPECT_TRUE(k->can_sign());
    EXPECT_EQ(k->alg(), alg);
    EXPECT_OK(key::from_secret(std::string(bytes * 4, 'k'), alg));
    const std::string short_jwk = R"({"kty":"oct","alg":")" + std::string(to_string(alg)) +
                                  R"(","k":")" + b64(std::string(bytes - 1, 'k')) + R"("})";
    EXPECT_ERRC(key::from_jwk(short_jwk), errc::weak_key);
    // The loud legacy path takes a short secret, never an empty one.
    auto weak = key::from_weak_secret_unsafe(std::string(bytes - 1, 'k'), alg);
    ASSERT_OK(weak);
    EXPECT_EQ(weak->bits(), (bytes - 1) * 8);
    EXPECT_ERRC(key::from_weak_secret_unsafe("", alg), errc::weak_key);
    EXPECT_ERRC(key::from_secret("", alg), errc::weak_key);
  }
  // A raw secret is an HMAC key only.
  for (algorithm alg : {algorithm::rs256, algorithm::es256, algorithm::eddsa})
    EXPECT_ERRC(key::from_secret(std::string(64, 'k'), alg), errc::invalid_key);
  EXPECT_ERRC(key::from_weak_secret_unsafe("short", algorithm::ps256), errc::invalid_key);
  // A legacy short secret still verifies what it signed.
  const key weak = must(key::from_weak_secret_unsafe("secret", algorithm::hs256));
  expect_pair(weak, weak);
}

// RSA moduli of 2048..8192 bits (RFC 7518 §3.3 floor; the ceiling bounds verification cost).
TEST(key, rsa_size_bounds) {
  EXPECT_ERRC(key::from_jwk(rsa_jwk_with_modulus(1024)), errc::weak_key);
  EXPECT_ERRC(key::from_jwk(rsa_jwk_with_modulus(2047)), errc::weak_key);
  auto at_2048 = key::from_jwk(rsa_jwk_with_modulus(2048));
  ASSERT_OK(at_2048);
  EXPECT_EQ(at_2048->bits(), 2048u);
  auto at_8192 = key::from_jwk(rsa_jwk_with_modulus(8192));
  ASSERT_OK(at_8192);
  EXPECT_EQ(at_8192->bits(), 8192u);
  EXPECT_ERRC(key::from_jwk(rsa_jwk_with_modulus(8193)), errc::invalid_key);
  EXPECT_ERRC(key::from_jwk(rsa_jwk_with_modulus(16384)), errc::invalid_key);
  EXPECT_ERRC(key::generate(algorithm::rs256, 1024), errc::weak_key);
  EXPECT_ERRC(key::generate(algorithm::rs256, 2047), errc::weak_key);
  EXPECT_ERRC(key::generate(algorithm::rs256, 8193), errc::invalid_key);
  EXPECT_ERRC(key::generate(algorithm::ps512, 16384), errc::invalid_key);
  EXPECT_EQ(test_key(algorithm::rs256).bits(), 2048u);
}

TEST(key, generate_every_algorithm) {
  for (algorithm alg : all_algorithms) {
    SCOPED_TRACE(to_string(alg));
    auto k = key::generate(alg);
    ASSERT_OK(k);
    EXPECT_EQ(k->alg(), alg);
    EXPECT_TRUE(k->can_sign());
    EXPECT_TRUE(k->accepts(alg));
    EXPECT_TRUE(k->id().empty());
    EXPECT_EQ(k->is_symmetric(), family_of(alg) == key_family::hmac);
    switch (alg) {
      case algorithm::hs256: EXPECT_EQ(k->bits(), 256u); break;
      case algorithm::hs384: EXPECT_EQ(k->bits(), 384u); break;
      case algorithm::hs512: EXPECT_EQ(k->bits(), 512u); break;
      case algorithm::es256: EXPECT_EQ(k->bits(), 256u); break;
      case algorithm::es384: EXPECT_EQ(k->bits(), 384u); break;
      case algorithm::es512: EXPECT_EQ(k->bits(), 521u); break;
      case algorithm::ed448: EXPECT_EQ(k->bits(), 456u); break;
      case algorithm::eddsa:
      case algorithm::ed25519: EXPECT_EQ(k->bits(), 256u); break;
      default: EXPECT_EQ(k->bits(), 2048u);
    }
    expect_pair(*k, *k);
    // Two generations never give the same key.
    if (family_of(alg) != key_family::rsa) {
      EXPECT_NE(must(key::generate(alg)).thumbprint(), k->thumbprint());
    }
  }
}

TEST(key, accepts_binds_one_algorithm) {
  const key& rs = test_key(algorithm::rs256);
  EXPECT_TRUE(rs.accepts(algorithm::rs256));
  for (algorithm other : {algorithm::rs384, algorithm::ps256, algorithm::hs256, algorithm::es256})
    EXPECT_FALSE(rs.accepts(other));
  // RFC 8037 "EdDSA" and RFC 9864 "Ed25519"/"Ed448" name the same operation on a given key.
  const key& eddsa = test_key(algorithm::eddsa);
  const key& ed25519 = test_key(algorithm::ed25519);
  const key ed448_as_eddsa = rebind(test_key(algorithm::ed448), algorithm::eddsa);
  EXPECT_TRUE(eddsa.accepts(algorithm::eddsa));
  EXPECT_TRUE(eddsa.accepts(algorithm::ed25519));
  EXPECT_FALSE(eddsa.accepts(algorithm::ed448));
  EXPECT_TRUE(ed25519.accepts(algorithm::eddsa));
  EXPECT_FALSE(ed25519.accepts(algorithm::ed448));
  EXPECT_TRUE(ed448_as_eddsa.accepts(algorithm::ed448));
  EXPECT_TRUE(ed448_as_eddsa.accepts(algorithm::eddsa));
  EXPECT_FALSE(ed448_as_eddsa.accepts(algorithm::ed25519));
  EXPECT_FALSE(eddsa.accepts(algorithm::es256));
}

TEST(key, with_id_copies) {
  const key& k = test_key(algorithm::es256);
  const key a = k.with_id("a");
  EXPECT_EQ(a.id(), "a");
  EXPECT_TRUE(k.id().empty());
  EXPECT_EQ(a.thumbprint(), k.thumbprint());
  EXPECT_EQ(a.with_id("").id(), "");
  expect_pair(a, k);
}

// key_set::find: a kid selects exactly its key; without a kid, the only key for the algorithm.
TEST(key_set, find_rules) {
  const key a = public_of(test_key(algorithm::es256)).with_id("a");
  const key b = public_of(test_key(algorithm::es384)).with_id("b");
  const key c = public_of(rebind(test_key(algorithm::es256), algorithm::es256)).with_id("c");
  key_set set;
  ASSERT_OK(set.add(a));
  ASSERT_OK(set.add(b));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(must(set.find("a", algorithm::es256))->id(), "a");
  EXPECT_EQ(must(set.find("b", algorithm::es384))->id(), "b");
  EXPECT_ERRC(set.find("z", algorithm::es256), errc::unknown_key);
  EXPECT_ERRC(set.find("A", algorithm::es256), errc::unknown_key);
  EXPECT_ERRC(set.find("", algorithm::es256), errc::unknown_key);
  EXPECT_ERRC(set.find("a", algorithm::es384), errc::key_algorithm_mismatch);
  EXPECT_EQ(must(set.find(std::nullopt, algorithm::es384))->id(), "b");
  EXPECT_ERRC(set.find(std::nullopt, algorithm::es512), errc::unknown_key);
  ASSERT_OK(set.add(c));
  EXPECT_ERRC(set.find(std::nullopt, algorithm::es256), errc::unknown_key);  // a and c
  EXPECT_EQ(must(set.find("c", algorithm::es256))->id(), "c");

  // One anonymous key answers any kid (the caller's explicit choice); a named one does not.
  key_set anonymous;
  ASSERT_OK(anonymous.add(public_of(test_key(algorithm::es256))));
  EXPECT_OK(anonymous.find("whatever", algorithm::es256));
  EXPECT_OK(anonymous.find(std::nullopt, algorithm::es256));
  EXPECT_ERRC(anonymous.find("whatever", algorithm::es384), errc::key_algorithm_mismatch);
  EXPECT_ERRC(anonymous.find(std::nullopt, algorithm::es384), errc::unknown_key);
  key_set named;
  ASSERT_OK(named.add(a));
  EXPECT_ERRC(named.find("b", algorithm::es256), errc::unknown_key);
  // Two anonymous keys: no kid fallback at all.
  ASSERT_OK(anonymous.add(public_of(test_key(algorithm::es384))));
  EXPECT_ERRC(anonymous.find("whatever", algorithm::es256), errc::unknown_key);

  key_set empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_ERRC(empty.find(std::nullopt, algorithm::es256), errc::unknown_key);
  EXPECT_ERRC(empty.find("a", algorithm::es256), errc::unknown_key);
}

TEST(key_set, add_refuses_duplicates_and_mixing) {
  key_set set;
  ASSERT_OK(set.add(public_of(test_key(algorithm::es256)).with_id("k")));
  EXPECT_ERRC(set.add(public_of(test_key(algorithm::es384)).with_id("k")), errc::invalid_key);
  EXPECT_ERRC(set.add(test_key(algorithm::hs256).with_id("h")), errc::invalid_key);
  ASSERT_OK(set.add(public_of(test_key(algorithm::eddsa))));
  ASSERT_OK(set.add(public_of(test_key(algorithm::ed448))));  // two without id are fine
  EXPECT_EQ(set.size(), 3u);
  key_set secrets;
  ASSERT_OK(secrets.add(test_key(algorithm::hs256).with_id("1")));
  ASSERT_OK(secrets.add(test_key(algorithm::hs512).with_id("2")));
  EXPECT_ERRC(secrets.add(public_of(test_key(algorithm::es256))), errc::invalid_key);
  EXPECT_ERRC(secrets.add(test_key(algorithm::hs384).with_id("1")), errc::invalid_key);
}

TEST(key_set, jwks_round_trip) {
  key_set set;
  for (algorithm alg :
       {algorithm::rs256, algorithm::es256, algorithm::es512, algorithm::ed25519, algorithm::ed448})
    ASSERT_OK(set.add(public_of(test_key(alg)).with_id(std::string(to_string(alg)))));
  const std::string jwks = set.to_jwks();
  EXPECT_EQ(jwks.rfind(R"({"keys":[{)", 0), 0u);
  auto back = key_set::from_jwks(jwks);
  ASSERT_OK(back);
  ASSERT_EQ(back->size(), set.size());
  for (std::size_t i = 0; i < set.size(); ++i) {
    EXPECT_EQ(back->keys()[i].id(), set.keys()[i].id());
    EXPECT_EQ(back->keys()[i].alg(), set.keys()[i].alg());
    EXPECT_EQ(back->keys()[i].thumbprint(), set.keys()[i].thumbprint());
  }
  EXPECT_EQ(back->to_jwks(), jwks);
  // HMAC secrets are never published.
  key_set secrets;
  ASSERT_OK(secrets.add(test_key(algorithm::hs256)));
  EXPECT_EQ(secrets.to_jwks(), R"({"keys":[]})");
  EXPECT_EQ(key_set{}.to_jwks(), R"({"keys":[]})");
}

TEST(key_set, from_jwks) {
  const std::string ec = with_member(must(test_key(algorithm::es256).to_public_jwk()), "kid", "e");
  const std::string rsa = with_member(must(test_key(algorithm::rs256).to_public_jwk()), "kid", "r");
  // Unknown kty and encryption keys are skipped (RFC 7517 §5).
  auto set = key_set::from_jwks(R"({"keys":[{"kty":"unknown","x":1},)" + ec + "," +
                                with_member(rsa, "use", "enc") + "," + rsa + R"(],"extra":1})");
  ASSERT_OK(set);
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->keys()[0].id(), "e");
  EXPECT_EQ(set->keys()[1].id(), "r");
  EXPECT_OK(key_set::from_jwks(R"({"keys":[]})"));
  EXPECT_ERRC(key_set::from_jwks(R"({})"), errc::invalid_key);
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":{}})"), errc::invalid_key);
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":[1]})"), errc::invalid_key);
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":[)" + ec + "," + ec + "]}"), errc::invalid_key);
  EXPECT_ERRC(key_set::from_jwks("[" + ec + "]"), errc::invalid_json);
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":[],"keys":[]})"), errc::duplicate_member);
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":[)" + with_member(ec, "alg", "ES521") + "]}"),
              errc::unsupported_algorithm);
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":[{"kty":"oct","alg":"HS256","k":"c2hvcnQ"}]})"),
              errc::weak_key);
}

// ROCA (CVE-2017-15361): the public key of Wycheproof's jws_rsa_roca_key group is refused; a
// freshly generated key of the same size is not.
TEST(key, rsa_roca_fingerprint_is_refused) {
  const std::string roca_jwk =
      R"({"kty":"RSA","alg":"RS256","e":"AQAB","n":"AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE"})";
  const auto roca = key::from_jwk(roca_jwk);
  ASSERT_ERRC(roca, errc::weak_key);
  EXPECT_NE(roca.error().message.find("ROCA"), std::string::npos);
  EXPECT_OK(key::from_jwk(must(test_key(algorithm::rs256).to_public_jwk())));
}
