// HMAC for HS256/384/512: RFC 4231 results, and the keyed-midstate path against OpenSSL's
// provider HMAC over every length that moves a block boundary.

#include "crypto/hmac.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crypto/key_material.hpp"
#include "test_support.hpp"

namespace jwtfort::test {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 0xf];
  }
  return out;
}

std::string tag_hex(const detail::key_material& m, algorithm alg, std::string_view input) {
  unsigned char out[crypto::max_hmac_bytes];
  const std::size_t n = crypto::hmac(m, alg, input, out);
  return to_hex(out, n);
}

std::string provider_tag_hex(const detail::key_material& m, algorithm alg, std::string_view input) {
  unsigned char out[crypto::max_hmac_bytes];
  const std::size_t n = crypto::hmac_via_provider(m, alg, input, out);
  return to_hex(out, n);
}

// RFC 4231 §4.3 (test case 2: a key shorter than the hash) and §4.7 (a key longer than the
// SHA-256 block, hashed first).
TEST(hmac, rfc4231_results) {
  const std::string data = "what do ya want for nothing?";
  EXPECT_EQ(tag_hex(secret_material(algorithm::hs256, "Jefe"), algorithm::hs256, data),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(tag_hex(secret_material(algorithm::hs384, "Jefe"), algorithm::hs384, data),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
  EXPECT_EQ(tag_hex(secret_material(algorithm::hs512, "Jefe"), algorithm::hs512, data),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  EXPECT_EQ(tag_hex(secret_material(algorithm::hs256, std::string(131, '\xaa')), algorithm::hs256,
                    "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// Secret lengths around the 64- and 128-byte blocks, inputs around the padding boundaries.
TEST(hmac, same_tags_as_the_provider) {
  for (algorithm alg : {algorithm::hs256, algorithm::hs384, algorithm::hs512}) {
    for (std::size_t secret_len : {32, 48, 63, 64, 65, 127, 128, 129, 300}) {
      std::string secret(secret_len, '\0');
      for (std::size_t i = 0; i < secret_len; ++i) secret[i] = static_cast<char>(i * 7 + 1);
      const auto m = secret_material(alg, secret);
      for (std::size_t input_len : {0, 1, 55, 56, 63, 64, 111, 112, 127, 128, 129, 263, 1000}) {
        const std::string input(input_len, static_cast<char>('a' + input_len % 26));
        SCOPED_TRACE(std::string(to_string(alg)) + " secret " + std::to_string(secret_len) +
                     " input " + std::to_string(input_len));
        const std::string fast = tag_hex(m, alg, input);
        EXPECT_EQ(fast.size(), 2 * crypto::hmac_tag_bytes(alg));
        EXPECT_EQ(fast, provider_tag_hex(m, alg, input));
      }
    }
  }
}

// One key used as two algorithms (what an attacker's token asks for) keeps two distinct states.
TEST(hmac, states_are_per_algorithm) {
  const auto m = secret_material(algorithm::hs512, std::string(64, 'k'));
  const std::string a256 = tag_hex(m, algorithm::hs256, "x");
  const std::string a512 = tag_hex(m, algorithm::hs512, "x");
  EXPECT_EQ(a256, provider_tag_hex(m, algorithm::hs256, "x"));
  EXPECT_EQ(a512, provider_tag_hex(m, algorithm::hs512, "x"));
  EXPECT_NE(a256, a512.substr(0, a256.size()));
}

TEST(hmac, refuses_non_hmac_algorithms) {
  const auto m = secret_material(algorithm::hs256, std::string(32, 'k'));
  unsigned char out[crypto::max_hmac_bytes];
  EXPECT_EQ(crypto::hmac(m, algorithm::rs256, "x", out), 0u);
  EXPECT_EQ(crypto::hmac_via_provider(m, algorithm::es256, "x", out), 0u);
}

}  // namespace
}  // namespace jwtfort::test
