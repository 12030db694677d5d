// The attack catalogue (A1-A27): one test per row, every variant of the row, each token built
// here and each outcome asserted to the exact error code.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/token.hpp"
#include "test_support.hpp"

using namespace jwtfort;
using namespace jwtfort::test;
using namespace std::string_literals;

namespace {

const std::string& hs_secret() { return test_key(algorithm::hs256).material().secret; }

/// An RSA key pair that belongs to the attacker, not to the verifier.
const key& attacker_rsa() {
  static const key k = must(key::generate(algorithm::rs256), "generate");
  return k;
}

// Big-endian +1 / -1 on a fixed-width unsigned integer.
std::string plus_one(std::string v) {
  for (auto i = v.size(); i-- > 0;)
    if (++reinterpret_cast<unsigned char&>(v[i]) != 0) break;
  return v;
}
std::string minus_one(std::string v) {
  for (auto i = v.size(); i-- > 0;)
    if (reinterpret_cast<unsigned char&>(v[i])-- != 0) break;
  return v;
}

std::string left_pad(std::string_view v, std::size_t size) {
  return std::string(size - v.size(), '\0') + std::string(v);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ECDSA group orders (SEC 2 / FIPS 186-4 D.1.2), big-endian.
std::string order_of(algorithm alg) {
  switch (alg) {
    case algorithm::es256:
      return from_hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    case algorithm::es384:
      return from_hex(
          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196A"
          "CCC52973");
    default:
      return from_hex(
          "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC"
          "0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409");
  }
}

// One DER INTEGER (X.690 §8.3): minimal, with a 0x00 prefix when the top bit is set.
std::string der_integer(std::string_view big_endian) {
  std::size_t i = 0;
  while (i + 1 < big_endian.size() && big_endian[i] == '\0') ++i;
  std::string v(big_endian.substr(i));
  if (static_cast<unsigned char>(v[0]) & 0x80) v.insert(v.begin(), '\0');
  return std::string{'\x02', static_cast<char>(v.size())} + v;
}

// R||S -> DER ECDSA-Sig-Value, the encoding RFC 7518 §3.4 rules out for JWS.
std::string to_der(std::string_view raw) {
  const std::size_t n = raw.size() / 2;
  std::string body = der_integer(raw.substr(0, n)) + der_integer(raw.substr(n));
  std::string out = "\x30";
  if (body.size() >= 128) out += '\x81';
  out += static_cast<char>(body.size());
  return out + body;
}

/// A listening TCP socket on 127.0.0.1 with an ephemeral port, to observe outbound connections.
class tcp_listener {
 public:
  tcp_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::fcntl(fd_, F_SETFL, O_NONBLOCK) != 0)
      throw std::runtime_error("cannot open a loopback listener");
    port_ = ntohs(addr.sin_port);
  }
  ~tcp_listener() { ::close(fd_); }
  tcp_listener(const tcp_listener&) = delete;
  tcp_listener& operator=(const tcp_listener&) = delete;

  int port() const { return port_; }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  /// Accepts (and closes) every connection waiting in the backlog; returns how many there were.
  int drain() {
    int count = 0;
    for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0; ++count) ::close(c);
    return count;
  }

  /// Connects to the listener, to prove drain() sees a connection when there is one.
  void connect_once() const {
    int c = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    const bool ok = ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(c);
    if (!ok) throw std::runtime_error("cannot connect to the loopback listener");
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// A raw DEFLATE stream (RFC 1951 §3.2.6, fixed Huffman codes) that inflates to
/// 1 + 258 * `matches` zero bytes: a literal 0 followed by length-258, distance-1 copies.
std::string deflate_bomb(int matches) {
  std::string out;
  unsigned acc = 0;
  int filled = 0;
  auto bit = [&](unsigned b) {
    acc |= (b & 1u) << filled;
    if (++filled == 8) {
      out += static_cast<char>(acc);
      acc = 0;
      filled = 0;
    }
  };
  auto code = [&](unsigned value, int length) {  // Huffman codes go most significant bit first
    for (int i = length - 1; i >= 0; --i) bit(value >> i);
  };
  bit(1);          // BFINAL
  bit(1), bit(0);  // BTYPE = 01, fixed codes (header fields go least significant bit first)
  code(0x30, 8);   // literal 0
  for (int i = 0; i < matches; ++i) {
    code(0xC5, 8);  // length code 285 = 258, no extra bits
    code(0, 5);     // distance code 0 = 1
  }
  code(0, 7);  // end of block (256)
  if (filled > 0) out += static_cast<char>(acc);
  return out;
}

}  // namespace

// A1: RFC 7515 A.5 "alg":"none" and its case variants are unknown algorithms; a signature,
// even the genuine MAC, does not rescue them (jwt_tool -X a; CVE-2022-23540).
TEST(attacks, A01_alg_none) {
  const key& hs = test_key(algorithm::hs256);
  const key& rs = test_key(algorithm::rs256);
  const std::string payload = good_payload();
  std::vector<std::string> tokens;
  for (const char* name : {"none", "None", "NONE", "nOnE"}) {
    const std::string header = std::string(R"({"alg":")") + name + "\"}";
    const std::string input = signing_input(header, payload);
    tokens.push_back(input + ".");
    tokens.push_back(input + "." + b64(raw_signature(hs, input, algorithm::hs256)));
  }
  tokens.push_back(signing_input(R"({"alg":"none","typ":"JWT"})", payload) + ".");
  for (const auto& t : tokens) {
    SCOPED_TRACE(t);
    EXPECT_ERRC(verify_with(hs, t), errc::unsupported_algorithm);
    EXPECT_ERRC(verify_with(rs, t), errc::unsupported_algorithm);
    EXPECT_ERRC(verify_with(hs, t, [](verifier_options& o) { o.required_claims.clear(); }),
                errc::unsupported_algorithm);
  }
  // There is no algorithm to configure or sign with that means "none".
  EXPECT_FALSE(algorithm_from_string("none").has_value());
  EXPECT_FALSE(algorithm_from_string("None").has_value());
}

// A2: an empty signature segment, and an all-zero one.
TEST(attacks, A02_null_signature) {
  for (algorithm alg : {algorithm::hs256, algorithm::rs256, algorithm::es256}) {
    SCOPED_TRACE(to_string(alg));
    const key& k = test_key(alg);
    const std::string input = signing_input(header_for(alg), good_payload());
    const std::size_t size = raw_signature(k, input).size();
    EXPECT_ERRC(verify_with(k, input + "."), errc::invalid_signature);
    EXPECT_ERRC(verify_with(k, input + "." + b64(std::string(size, '\0'))),
                errc::invalid_signature);
    EXPECT_ERRC(verify_with(k, input + "." + b64(std::string(32, '\0'))), errc::invalid_signature);
    EXPECT_OK(verify_with(k, input + "." + b64(raw_signature(k, input))));
  }
  // The 32-zero-byte text exactly as jwt_tool sends it.
  const std::string input = signing_input(header_for(algorithm::hs256), good_payload());
  EXPECT_ERRC(verify_with(test_key(algorithm::hs256), input + "." + std::string(43, 'A')),
              errc::invalid_signature);
}

// A3: tokens MAC'd with a blank or guessable secret fail against the real secret, and such
// secrets cannot be loaded as keys at all (RFC 7518 §3.2).
TEST(attacks, A03_blank_or_weak_hmac_secret) {
  const key& hs = test_key(algorithm::hs256);
  for (std::string_view secret : {"", "secret", "1"}) {
    SCOPED_TRACE(secret);
    EXPECT_ERRC(verify_with(hs, hmac_token(header_for(algorithm::hs256), good_payload(), secret)),
                errc::invalid_signature);
    EXPECT_ERRC(key::from_secret(secret, algorithm::hs256), errc::weak_key);
  }
  EXPECT_ERRC(key::from_weak_secret_unsafe("", algorithm::hs256), errc::weak_key);
  EXPECT_OK(verify_with(hs, hmac_token(header_for(algorithm::hs256), good_payload(), hs_secret())));
}

// A4: HS/RS confusion (CVE-2015-9235 and successors). Every encoding of the RS256 public key,
// used as an HMAC secret, is refused by an RS256 verifier; a PEM is never an HMAC key.
TEST(attacks, A04_hs_rs_key_confusion) {
  const key rs = public_of(test_key(algorithm::rs256)).with_id("rsa-1");
  const std::string pem = must(rs.to_public_pem());
  ASSERT_EQ(pem.back(), '\n');
  const std::string pkcs1 = encode_key(rs, false, "type-specific");
  ASSERT_NE(pkcs1.find("BEGIN RSA PUBLIC KEY"), std::string::npos);
  const std::string jwk = must(rs.to_public_jwk());
  const std::vector<std::pair<const char*, std::string>> secrets = {
      {"PEM", pem},
      {"PEM without trailing newline", pem.substr(0, pem.size() - 1)},
      {"PKCS#1 PEM", pkcs1},
      {"PEM with leading whitespace", "  \n\t" + pem},
      {"DER", pem_to_der(pem)},
      {"JWK", jwk},
      {"raw n", jwk_bytes(jwk, "n")},
  };
  const verifier rs_only = make_verifier(options_for(rs));
  for (const auto& [what, secret] : secrets) {
    SCOPED_TRACE(what);
    for (const char* header : {R"({"alg":"HS256"})", R"({"alg":"HS256","typ":"JWT"})",
                               R"({"alg":"HS256","kid":"rsa-1"})"})
      EXPECT_ERRC(rs_only.verify(hmac_token(header, good_payload(), secret)),
                  errc::algorithm_not_allowed);
    EXPECT_ERRC(key::from_pem(secret, algorithm::hs256), errc::invalid_key);
    // A verifier cannot be told to accept HS256 without an HMAC key, nor hold one beside it.
    verifier_options both = options_for(rs);
    both.algorithms = {algorithm::rs256, algorithm::hs256};
    EXPECT_ERRC(verifier::create(both), errc::invalid_configuration);
    EXPECT_ERRC(both.keys.add(must(key::from_secret(secret, algorithm::hs256))), errc::invalid_key);
  }
}

// A5: the EC or Ed25519 public key bytes as an HMAC secret (Wycheproof JWS tcId 31).
TEST(attacks, A05_ec_and_ed_key_confusion) {
  const key ec = public_of(test_key(algorithm::es256));
  const std::string ec_jwk = must(ec.to_public_jwk());
  const std::string xy = jwk_bytes(ec_jwk, "x") + jwk_bytes(ec_jwk, "y");
  const key ed = public_of(test_key(algorithm::ed25519));
  const std::string ed_x = jwk_bytes(must(ed.to_public_jwk()), "x");
  ASSERT_EQ(xy.size(), 64u);
  ASSERT_EQ(ed_x.size(), 32u);
  for (const std::string& secret : {xy, "\x04" + xy, must(ec.to_public_pem())}) {
    SCOPED_TRACE(b64(secret));
    EXPECT_ERRC(verify_with(ec, hmac_token(header_for(algorithm::hs256), good_payload(), secret)),
                errc::algorithm_not_allowed);
  }
  for (algorithm alg : {algorithm::ed25519, algorithm::eddsa}) {
    const key ed_as = rebind(test_key(algorithm::ed25519), alg);
    EXPECT_ERRC(verify_with(ed_as, hmac_token(header_for(algorithm::hs256), good_payload(), ed_x)),
                errc::algorithm_not_allowed);
  }
  verifier_options o = options_for(ec);
  EXPECT_ERRC(o.keys.add(must(key::from_secret(xy, algorithm::hs256))), errc::invalid_key);
  EXPECT_ERRC(o.keys.add(must(key::from_secret(ed_x, algorithm::hs256))), errc::invalid_key);
}

namespace {

// A good ECDSA token for `alg`: its key, signing input, R||S signature and coordinate size.
struct ecdsa_signed {
  const key& k;
  std::string input;
  std::string good;
  std::size_t n;
};

ecdsa_signed ecdsa_case(algorithm alg) {
  const key& k = test_key(alg);
  std::string input = signing_input(header_for(alg), good_payload());
  std::string good = raw_signature(k, input);
  const std::size_t n = good.size() / 2;
  return {k, std::move(input), std::move(good), n};
}

}  // namespace

// A6: "psychic signatures" (CVE-2022-21449): r or s of 0, the group order n, or n-1.
TEST(attacks, A06_psychic_ecdsa_signature) {
  for (algorithm alg : {algorithm::es256, algorithm::es384, algorithm::es512}) {
    SCOPED_TRACE(to_string(alg));
    const auto [k, input, good, n] = ecdsa_case(alg);
    const std::string r = good.substr(0, n), s = good.substr(n);
    const std::string zero(n, '\0'), order = left_pad(order_of(alg), n);
    const std::vector<std::string> bad = {
        zero + zero,
        zero + s,
        r + zero,
        order + order,
        order + s,
        r + order,
        minus_one(order) + minus_one(order),
        plus_one(order) + s,
    };
    for (const auto& sig : bad) {
      SCOPED_TRACE(b64(sig));
      EXPECT_ERRC(verify_with(k, input + "." + b64(sig)), errc::invalid_signature);
    }
    EXPECT_OK(verify_with(k, input + "." + b64(good)));
  }
  // The DER form of r = s = 0, exactly as jwt_tool -X p sends it.
  const std::string input = signing_input(header_for(algorithm::es256), good_payload());
  EXPECT_ERRC(verify_with(test_key(algorithm::es256), input + ".MAYCAQACAQA"),
              errc::invalid_signature);
  // 86 'A's: R||S = 64 zero bytes.
  EXPECT_ERRC(verify_with(test_key(algorithm::es256), input + "." + std::string(86, 'A')),
              errc::invalid_signature);
}

// A7: a JWS ECDSA signature is R||S of exactly 2 * coordinate size (RFC 7518 §3.4): not DER,
// not padded, not stripped.
TEST(attacks, A07_der_versus_p1363) {
  for (algorithm alg : {algorithm::es256, algorithm::es384, algorithm::es512}) {
    SCOPED_TRACE(to_string(alg));
    const auto [k, input, good, n] = ecdsa_case(alg);
    EXPECT_ERRC(verify_with(k, input + "." + b64(to_der(good))), errc::invalid_signature);
    // R||S left-padded to the P-521 size (66 + 66), or one byte more for P-521 itself.
    const std::size_t padded = n < 66 ? 66 : 67;
    EXPECT_ERRC(verify_with(k, input + "." +
                                   b64(left_pad(good.substr(0, n), padded) +
                                       left_pad(good.substr(n), padded))),
                errc::invalid_signature);
    EXPECT_ERRC(verify_with(k, input + "." + b64(good + std::string(1, '\0'))),
                errc::invalid_signature);
    EXPECT_OK(verify_with(k, input + "." + b64(good)));
  }
  // R||S with the leading zero of r stripped (63 bytes): re-sign until r starts with 0x00.
  const key& k = test_key(algorithm::es256);
  const std::string input = signing_input(header_for(algorithm::es256), good_payload());
  std::string sig;
  for (int i = 0; i < 8192 && (sig.empty() || sig[0] != '\0'); ++i) sig = raw_signature(k, input);
  ASSERT_EQ(sig[0], '\0') << "no signature with a leading zero in 8192 tries";
  EXPECT_OK(verify_with(k, input + "." + b64(sig)));
  EXPECT_ERRC(verify_with(k, input + "." + b64(sig.substr(1))), errc::invalid_signature);
}

// A8: the hash and curve come from the header alg and must match the key (RFC 7515 §10.6);
// PSS salt length is pinned to the hash length (RFC 7518 §3.5).
TEST(attacks, A08_curve_or_alg_swap) {
  const key p256 = test_key(algorithm::es256).with_id("p256");
  const key p384 = test_key(algorithm::es384).with_id("p384");
  const key p521 = test_key(algorithm::es512).with_id("p521");
  const std::string payload = good_payload();
  // {"alg":"ES384"} signed with the P-256 key (SHA-384 over P-256).
  for (const auto& [signing, alg, other] :
       {std::tuple{&p256, algorithm::es384, &p384}, std::tuple{&p384, algorithm::es512, &p521}}) {
    SCOPED_TRACE(to_string(alg));
    const std::string header = R"({"alg":")" + std::string(to_string(alg)) + R"("})";
    const std::string with_kid =
        R"({"alg":")" + std::string(to_string(alg)) + R"(","kid":")" + signing->id() + R"("})";
    const std::string t = make_token(header, payload, *signing, alg);
    const std::string t_kid = make_token(with_kid, payload, *signing, alg);
    EXPECT_ERRC(verify_with(*signing, t), errc::algorithm_not_allowed);
    verifier_options o = options_for(*signing);
    o.algorithms.push_back(alg);
    must(o.keys.add(public_of(*other)));
    const verifier both = make_verifier(o);
    EXPECT_ERRC(both.verify(t_kid), errc::key_algorithm_mismatch);
    EXPECT_ERRC(both.verify(t), errc::invalid_signature);
  }
  // {"alg":"RS256"} carrying a valid PS256 signature by the same RSA key.
  const key rs = test_key(algorithm::rs256).with_id("rs");
  const key ps = test_key(algorithm::ps256).with_id("ps");
  const std::string rs_header = header_for(algorithm::rs256);
  EXPECT_ERRC(verify_with(rs, make_token(rs_header, payload, ps)), errc::invalid_signature);
  verifier_options o = options_for(rs);
  o.algorithms.push_back(algorithm::ps256);
  must(o.keys.add(public_of(ps)));
  const verifier rs_and_ps = make_verifier(o);
  EXPECT_ERRC(rs_and_ps.verify(make_token(R"({"alg":"RS256","kid":"ps"})", payload, ps)),
              errc::key_algorithm_mismatch);
  EXPECT_ERRC(rs_and_ps.verify(make_token(R"({"alg":"RS256","kid":"rs"})", payload, ps)),
              errc::invalid_signature);
  // {"alg":"PS256"} with a salt-0 PSS signature; the same construction with a 32-byte salt passes.
  const std::string input = signing_input(header_for(algorithm::ps256), payload);
  EXPECT_ERRC(verify_with(ps, input + "." + b64(pss_sign(ps, input, 0))), errc::invalid_signature);
  EXPECT_ERRC(verify_with(ps, input + "." + b64(pss_sign(ps, input, 20))), errc::invalid_signature);
  EXPECT_OK(verify_with(ps, input + "." + b64(pss_sign(ps, input, 32))));
}

// A9: a key embedded in the header is never used, even when it is the configured key
// (Wycheproof JWS tcId 32; CVE-2018-0114).
TEST(attacks, A09_embedded_jwk) {
  const key& att = attacker_rsa();
  const std::string att_jwk = must(att.to_public_jwk());
  const std::string header = R"({"alg":"RS256","jwk":)" + att_jwk + "}";
  const std::string t = make_token(header, good_payload(), att);
  EXPECT_ERRC(verify_with(test_key(algorithm::rs256), t), errc::unsupported_header);
  EXPECT_ERRC(verify_with(att, t), errc::unsupported_header);

  const key& ec = test_key(algorithm::es256);
  const std::string ec_header = R"({"alg":"ES256","jwk":)" + must(ec.to_public_jwk()) + "}";
  EXPECT_ERRC(verify_with(ec, make_token(ec_header, good_payload(), ec)), errc::unsupported_header);
}

// A10: jku / x5u / x5c: rejected, and no URL from the token is fetched (RFC 8725 §3.10).
TEST(attacks, A10_jku_x5u_x5c) {
  tcp_listener listener;
  const key& att = attacker_rsa();
  const key rs = test_key(algorithm::rs256).with_id("k");
  const std::string x5c = std_base64(self_signed_certificate(att));
  const std::vector<std::string> headers = {
      R"({"alg":"RS256","jku":")" + listener.url("/jwks.json") + R"(","kid":"k"})",
      R"({"alg":"RS256","x5u":")" + listener.url("/cert.pem") + R"(","kid":"k"})",
      R"({"alg":"RS256","x5c":[")" + x5c + R"("],"kid":"k"})",
      R"({"alg":"RS256","jku":")" + listener.url("/jwks.json") + R"(","x5u":")" +
          listener.url("/c") + R"("})",
  };
  for (const auto& header : headers) {
    SCOPED_TRACE(header);
    const std::string t = make_token(header, good_payload(), att);
    EXPECT_ERRC(verify_with(rs, t), errc::unsupported_header);
    EXPECT_ERRC(verify_with(att.with_id("k"), t), errc::unsupported_header);
  }
  EXPECT_EQ(listener.drain(), 0) << "the verifier connected to a URL taken from a token";
  listener.connect_once();  // the probe itself sees a connection when one is made
  EXPECT_EQ(listener.drain(), 1);
}

// A11: kid is an opaque lookup key into memory: no path, SQL or shell meaning, a string of at
// most 256 bytes, no truncation at NUL, no fallback to another key (jwt_tool playbook).
TEST(attacks, A11_kid_injection) {
  const key named = test_key(algorithm::hs256).with_id("k1");
  const key& anonymous = test_key(algorithm::hs256);
  const std::string payload = good_payload();
  const std::vector<std::pair<std::string, std::string>> kid_and_secret = {
      {"../../../../../../dev/null", ""},
      {"/dev/null", ""},
      {"/invalid_path", ""},
      {"x' UNION SELECT '1';--", "1"},
      {"|sleep 10", ""},
      {"| curl 127.0.0.1:1", ""},
      {"", ""},
  };
  for (const auto& [kid, secret] : kid_and_secret) {
    SCOPED_TRACE(kid);
    std::string header = R"({"alg":"HS256","kid":)";
    append_json_string(header, kid);
    header += "}";
    const auto start = std::chrono::steady_clock::now();
    EXPECT_ERRC(verify_with(named, hmac_token(header, payload, secret)), errc::unknown_key);
    EXPECT_ERRC(verify_with(named, signing_input(header, payload) + "."), errc::unknown_key);
    // One anonymous key answers any kid, so the MAC decides.
    EXPECT_ERRC(verify_with(anonymous, hmac_token(header, payload, secret)),
                errc::invalid_signature);
    EXPECT_LT(seconds_since(start), 1.0);
  }
  // A kid of 1 MiB: refused by size before anything is decoded.
  const std::string huge = R"({"alg":"HS256","kid":")" + std::string(1 << 20, 'k') + R"("})";
  const std::string huge_token = hmac_token(huge, payload, hs_secret());
  EXPECT_ERRC(verify_with(named, huge_token), errc::token_too_large);
  EXPECT_ERRC(
      verify_with(named, huge_token, [](verifier_options& o) { o.max_token_bytes = 65536; }),
      errc::token_too_large);
  EXPECT_ERRC(unverified_token::decode(huge_token), errc::token_too_large);
  // The 256-byte bound, exactly.
  for (std::size_t size : {256u, 257u}) {
    const std::string header = R"({"alg":"HS256","kid":")" + std::string(size, 'k') + R"("})";
    EXPECT_ERRC(verify_with(named, hmac_token(header, payload, hs_secret())),
                size == 256 ? errc::unknown_key : errc::invalid_header);
  }
  // A kid that is not a string.
  for (const char* kid : {"123", "null", "{}", "[]", "true", R"(["k1"])"}) {
    SCOPED_TRACE(kid);
    const std::string header = std::string(R"({"alg":"HS256","kid":)") + kid + "}";
    EXPECT_ERRC(verify_with(named, hmac_token(header, payload, hs_secret())), errc::invalid_header);
  }
  // Embedded NUL: "a\u0000b" is neither "a" nor "b"; only the exact three bytes match.
  const std::string nul_header = R"({"alg":"HS256","kid":"a\u0000b"})";
  const std::string nul_token = hmac_token(nul_header, payload, hs_secret());
  EXPECT_ERRC(verify_with(test_key(algorithm::hs256).with_id("a"), nul_token), errc::unknown_key);
  EXPECT_ERRC(verify_with(test_key(algorithm::hs256).with_id("b"), nul_token), errc::unknown_key);
  auto exact = verify_with(test_key(algorithm::hs256).with_id(std::string("a\0b", 3)), nul_token);
  ASSERT_TRUE(exact) << exact.error().message;
  EXPECT_EQ(exact->key_id(), std::string("a\0b", 3));
}

// A12: duplicate member names are rejected in header and claims, at any depth (RFC 7515
// §10.12, RFC 7519 §4; policy: reject, never last-wins).
TEST(attacks, A12_duplicate_members) {
  const key& hs = test_key(algorithm::hs256);
  const std::string exp = std::to_string(now + 3600);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"HS256","alg":"none"})", good_payload(), hs)),
              errc::duplicate_member);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"none","alg":"HS256"})", good_payload(), hs)),
              errc::duplicate_member);
  for (const std::string& claims :
       {R"({"sub":"user","sub":"admin","exp":)" + exp + "}", R"({"exp":1,"exp":9999999999})"s,
        R"({"exp":)" + exp + R"(,"x":{"a":1,"a":2}})",
        R"({"exp":)" + exp + R"(,"x":[{"a":1},{"b":1,"b":1}]})"}) {
    SCOPED_TRACE(claims);
    const std::string t = make_token(header_for(algorithm::hs256), claims, hs);
    EXPECT_ERRC(verify_with(hs, t), errc::duplicate_member);
    EXPECT_ERRC(unverified_token::decode(t), errc::duplicate_member);
  }
}

// A13: NumericDate claims are JSON numbers in range; any other type is invalid, never "absent"
// (CVE-2026-25537). Fractions are accepted.
TEST(attacks, A13_numeric_date_type_and_overflow) {
  const key& hs = test_key(algorithm::hs256);
  auto verify_claim = [&](std::string_view name, std::string_view value) {
    std::string claims = R"({"sub":"alice")";
    if (name != "exp") claims += R"(,"exp":)" + std::to_string(now + 3600);
    claims += ",\"" + std::string(name) + "\":" + std::string(value) + "}";
    return verify_with(hs, make_token(header_for(algorithm::hs256), claims, hs));
  };
  const std::vector<std::pair<std::string, errc>> bad = {
      {R"("9999999999")", errc::invalid_claim},
      {"true", errc::invalid_claim},
      {"false", errc::invalid_claim},
      {"null", errc::invalid_claim},
      {"[1]", errc::invalid_claim},
      {"{}", errc::invalid_claim},
      {R"("jwt_tool")", errc::invalid_claim},
      {"1.8446744073709552e19", errc::invalid_claim},
      {"18446744073709551615", errc::invalid_claim},
      {"-1", errc::invalid_claim},
      {"-0.5", errc::invalid_claim},
      {"9.2233720368547758e18", errc::invalid_claim},
      {"253402300800", errc::invalid_claim},
      // Not representable as a double: the JSON layer refuses it.
      {"1e400", errc::invalid_json},
      {"-1e400", errc::invalid_json},
  };
  for (const char* name : {"exp", "nbf", "iat"}) {
    for (const auto& [value, code] : bad) {
      SCOPED_TRACE(std::string(name) + "=" + value);
      EXPECT_ERRC(verify_claim(name, value), code);
    }
  }
  // Accepted: fractional values on the right side of now, and the largest NumericDate.
  EXPECT_OK(verify_claim("exp", std::to_string(now + 60) + ".5"));
  EXPECT_OK(verify_claim("exp", std::to_string(now) + ".5"));
  EXPECT_OK(verify_claim("exp", "253402300799"));
  EXPECT_OK(verify_claim("nbf", std::to_string(now - 60) + ".5"));
  EXPECT_OK(verify_claim("iat", std::to_string(now - 1) + ".5"));
  EXPECT_OK(verify_claim("nbf", "0"));
  EXPECT_OK(verify_claim("iat", "0"));
  // jwt_tool -M er injects 0: an expiry at the epoch is long past.
  EXPECT_ERRC(verify_claim("exp", "0"), errc::expired);
  EXPECT_ERRC(verify_claim("exp", std::to_string(now - 1) + ".5"), errc::expired);
  EXPECT_ERRC(verify_claim("nbf", std::to_string(now) + ".5"), errc::not_yet_valid);
  EXPECT_ERRC(verify_claim("iat", std::to_string(now) + ".5"), errc::issued_in_future);
}

// A14: aud and iss match exactly: no prefix, suffix or case folding (RFC 7519 §4.1.3,
// RFC 8725 §3.8-3.9).
TEST(attacks, A14_audience_and_issuer_confusion) {
  const key& hs = test_key(algorithm::hs256);
  auto configure = [](verifier_options& o) {
    o.audiences = {"api.example.com"};
    o.issuer = "https://issuer";
  };
  auto verify_claims = [&](std::string_view extra, auto tweak) {
    const std::string claims = R"({"exp":)" + std::to_string(now + 3600) + std::string(extra) + "}";
    return verify_with(hs, make_token(header_for(algorithm::hs256), claims, hs), tweak);
  };
  const std::string iss = R"(,"iss":"https://issuer")";
  const std::vector<std::pair<std::string, errc>> cases = {
      {R"(,"aud":"api.example.com.evil")" + iss, errc::invalid_audience},
      {R"(,"aud":"API.EXAMPLE.COM")" + iss, errc::invalid_audience},
      {R"(,"aud":"api.example.co")" + iss, errc::invalid_audience},
      {R"(,"aud":"evil.api.example.com")" + iss, errc::invalid_audience},
      {R"(,"aud":["x","y"])" + iss, errc::invalid_audience},
      {R"(,"aud":[])" + iss, errc::invalid_claim},
      {R"(,"aud":["x",1])" + iss, errc::invalid_claim},
      {R"(,"aud":["api.example.com",null])" + iss, errc::invalid_claim},
      {R"(,"aud":{"0":"api.example.com"})" + iss, errc::invalid_claim},
      {R"(,"aud":1)" + iss, errc::invalid_claim},
      {iss, errc::missing_claim},
      {R"(,"aud":"api.example.com","iss":"https://issuer/")", errc::invalid_issuer},
      {R"(,"aud":"api.example.com","iss":"HTTPS://ISSUER")", errc::invalid_issuer},
      {R"(,"aud":"api.example.com","iss":"https://issuer\u0000")", errc::invalid_issuer},
      {R"(,"aud":"api.example.com")", errc::missing_claim},
      {R"(,"aud":"api.example.com","iss":["https://issuer"])", errc::invalid_claim},
  };
  for (const auto& [extra, code] : cases) {
    SCOPED_TRACE(extra);
    EXPECT_ERRC(verify_claims(extra, configure), code);
  }
  EXPECT_OK(verify_claims(R"(,"aud":"api.example.com")" + iss, configure));
  EXPECT_OK(verify_claims(R"(,"aud":["x","api.example.com"])" + iss, configure));
  // A token with an audience but a verifier that expects none (RFC 7519 §4.1.3): rejected
  // unless the loud opt-out is set.
  auto none_expected = [](verifier_options&) {};
  auto ignore = [](verifier_options& o) { o.ignore_audience = true; };
  EXPECT_ERRC(verify_claims(R"(,"aud":"anything")", none_expected), errc::invalid_audience);
  EXPECT_OK(verify_claims(R"(,"aud":"anything")", ignore));
  EXPECT_ERRC(verify_claims(R"(,"aud":[])", ignore), errc::invalid_claim);
}

// A15: explicit typing (RFC 8725 §3.11): the required typ must match as a media type,
// case-insensitively with "application/" implied (RFC 7515 §4.1.9).
TEST(attacks, A15_cross_jwt_typ_confusion) {
  const key& hs = test_key(algorithm::hs256);
  auto verify_typ = [&](std::optional<std::string_view> typ, std::string required) {
    std::string header = R"({"alg":"HS256")";
    if (typ) header += R"(,"typ":)" + std::string(*typ);
    header += "}";
    return verify_with(hs, make_token(header, good_payload(), hs),
                       [&](verifier_options& o) { o.type = required; });
  };
  // An ID token (typ absent or JWT) where an access token is required, and the reverse.
  EXPECT_ERRC(verify_typ(std::nullopt, "at+jwt"), errc::invalid_type);
  EXPECT_ERRC(verify_typ(R"("JWT")", "at+jwt"), errc::invalid_type);
  EXPECT_ERRC(verify_typ(R"("at+jwt")", "JWT"), errc::invalid_type);
  EXPECT_ERRC(verify_typ(R"("application/at+jwt")", "JWT"), errc::invalid_type);
  EXPECT_ERRC(verify_typ(R"("at+jwt ")", "at+jwt"), errc::invalid_type);
  EXPECT_ERRC(verify_typ(R"("jwt+at")", "at+jwt"), errc::invalid_type);
  EXPECT_ERRC(verify_typ(R"("text/at+jwt")", "at+jwt"), errc::invalid_type);
  EXPECT_ERRC(verify_typ("1", "at+jwt"), errc::invalid_header);
  EXPECT_ERRC(verify_typ("null", "at+jwt"), errc::invalid_header);
  // Documented ACCEPT cases.
  EXPECT_OK(verify_typ(R"("AT+JWT")", "at+jwt"));
  EXPECT_OK(verify_typ(R"("at+jwt")", "at+jwt"));
  EXPECT_OK(verify_typ(R"("application/at+jwt")", "at+jwt"));
  EXPECT_OK(verify_typ(R"("Application/AT+JWT")", "at+jwt"));
  EXPECT_OK(verify_typ(R"("at+jwt")", "application/at+jwt"));
  EXPECT_OK(verify_typ(R"("jwt")", "JWT"));
}

// A16: crit (RFC 7515 §4.1.11): every listed name understood, present, not registered; a
// non-empty array of distinct strings.
TEST(attacks, A16_crit_abuse) {
  const key& hs = test_key(algorithm::hs256);
  auto verify_header = [&](std::string_view header, std::vector<std::string> understood = {}) {
    return verify_with(hs, make_token(header, good_payload(), hs),
                       [&](verifier_options& o) { o.understood_critical = understood; });
  };
  const std::vector<std::pair<std::string, errc>> cases = {
      {R"({"alg":"HS256","crit":["exp"],"exp":1})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":[]})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":"b64"})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":["b64"]})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":["b64"],"b64":false})", errc::unsupported_header},
      {R"({"alg":"HS256","crit":["foo"]})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":["alg"]})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":["kid"],"kid":"x"})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":[1]})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":null})", errc::invalid_critical_header},
      {R"({"alg":"HS256","crit":{"foo":1},"foo":1})", errc::invalid_critical_header},
  };
  for (const auto& [header, code] : cases) {
    SCOPED_TRACE(header);
    EXPECT_ERRC(verify_header(header), code);
  }
  // Understood names still have to be present, distinct and unregistered.
  EXPECT_ERRC(verify_header(R"({"alg":"HS256","crit":["foo"]})", {"foo"}),
              errc::invalid_critical_header);
  EXPECT_ERRC(verify_header(R"({"alg":"HS256","crit":["foo","foo"],"foo":1})", {"foo"}),
              errc::invalid_critical_header);
  EXPECT_ERRC(verify_header(R"({"alg":"HS256","crit":["alg"]})", {"alg"}),
              errc::invalid_critical_header);
  EXPECT_ERRC(verify_header(R"({"alg":"HS256","crit":["foo","bar"],"foo":1,"bar":2})", {"foo"}),
              errc::invalid_critical_header);
  EXPECT_OK(verify_header(R"({"alg":"HS256","crit":["foo"],"foo":1})", {"foo"}));
  EXPECT_OK(
      verify_header(R"({"alg":"HS256","crit":["foo","bar"],"foo":1,"bar":2})", {"bar", "foo"}));
}

// A17: deeply nested JSON is refused quickly, with the size cap on and off, and never
// recursed into without bound.
TEST(attacks, A17_json_bomb) {
  const key& hs = test_key(algorithm::hs256);
  const std::string header = header_for(algorithm::hs256);
  auto wide = [](verifier_options& o) { o.max_token_bytes = 65536; };
  // Cap on (8 KiB default): 100000 '[' or {"a": never reach the parser.
  for (const std::string& payload : {std::string(100000, '['), [] {
                                       std::string s;
                                       for (int i = 0; i < 100000; ++i) s += R"({"a":)";
                                       return s;
                                     }()}) {
    const auto start = std::chrono::steady_clock::now();
    const std::string t = make_token(header, payload, hs);
    EXPECT_ERRC(verify_with(hs, t), errc::token_too_large);
    EXPECT_ERRC(verify_with(hs, t, wide), errc::token_too_large);
    EXPECT_ERRC(claims::from_json(payload), errc::json_too_complex);
    EXPECT_LT(seconds_since(start), 2.0);
  }
  // Cap off (64 KiB): the largest nested payloads that fit, validly signed so that the parser
  // is reached. Unbalanced nesting is invalid JSON; balanced nesting exceeds the depth limit.
  std::string balanced_objects;
  for (int i = 0; i < 7000; ++i) balanced_objects += R"({"a":)";
  balanced_objects += "1" + std::string(7000, '}');
  const std::vector<std::pair<std::string, errc>> bombs = {
      {std::string(48000, '['), errc::invalid_json},
      {std::string(24000, '[') + std::string(24000, ']'), errc::json_too_complex},
      {"{\"a\":" + std::string(23000, '[') + std::string(23000, ']') + "}", errc::json_too_complex},
      {balanced_objects, errc::json_too_complex},
  };
  for (const auto& [payload, code] : bombs) {
    SCOPED_TRACE(payload.substr(0, 12));
    const std::string t = make_token(header, payload, hs);
    ASSERT_LE(t.size(), 65536u);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_ERRC(verify_with(hs, t), errc::token_too_large);
    EXPECT_ERRC(verify_with(hs, t, wide), code);
    EXPECT_ERRC(unverified_token::decode(t), code);
    EXPECT_ERRC(claims::from_json(payload), code);
    EXPECT_LT(seconds_since(start), 2.0);
  }
  // The same nesting in the header (a flat object is expected there).
  const std::string deep_header =
      R"({"alg":"HS256","x":)" + std::string(2000, '[') + std::string(2000, ']') + "}";
  EXPECT_ERRC(verify_with(hs, make_token(deep_header, good_payload(), hs), wide),
              errc::json_too_complex);
}

// A18: size is checked first, in O(1); a JWS payload is never inflated.
TEST(attacks, A18_oversized_and_compressed) {
  const key& hs = test_key(algorithm::hs256);
  auto wide = [](verifier_options& o) { o.max_token_bytes = 65536; };
  const std::string input = signing_input(header_for(algorithm::hs256), good_payload());
  const std::string sig = b64(raw_signature(hs, input));
  {
    const std::string mib = input + std::string(1 << 20, 'A') + "." + sig;
    EXPECT_ERRC(verify_with(hs, mib), errc::token_too_large);
    EXPECT_ERRC(verify_with(hs, mib, wide), errc::token_too_large);
    EXPECT_ERRC(unverified_token::decode(mib), errc::token_too_large);
  }
  {
    std::string big(std::size_t{100} << 20, 'A');  // 100 MiB, allocated once
    big[1000] = '.';
    big[2000] = '.';
    const verifier v = make_verifier(options_for(hs));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_ERRC(v.verify(big), errc::token_too_large);
    EXPECT_ERRC(unverified_token::decode(big), errc::token_too_large);
    EXPECT_LT(seconds_since(start), 0.5);
  }
  const std::string dots(60000, '.');
  EXPECT_ERRC(verify_with(hs, dots), errc::token_too_large);
  EXPECT_ERRC(verify_with(hs, dots, wide), errc::malformed_token);
  EXPECT_ERRC(unverified_token::decode(dots), errc::malformed_token);
  // {"zip":"DEF"} with a payload that inflates to 4 MiB of zeros.
  const std::string bomb = deflate_bomb(16000);
  const std::string zipped = make_token(R"({"alg":"HS256","zip":"DEF"})", bomb, hs);
  ASSERT_LE(zipped.size(), 65536u);
  EXPECT_ERRC(verify_with(hs, zipped, wide), errc::unsupported_header);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"HS256","zip":"DEF"})", good_payload(), hs)),
              errc::unsupported_header);
}

// A19: invalid UTF-8 and Unicode tricks in header and payload are invalid JSON; JSON escapes
// are decoded before alg is compared (RFC 7515 §10.13, RFC 8725 §3.7).
TEST(attacks, A19_invalid_utf8_and_unicode) {
  const key& hs = test_key(algorithm::hs256);
  struct bad_text {
    const char* what;
    std::string prefix, member;  // a BOM before the object, or a member after alg / exp
  };
  const std::vector<bad_text> cases = {
      {"0xff", "", ",\"x\":\"\xff\""},
      {"overlong /", "", ",\"x\":\"\xc0\xaf\""},
      {"CESU-8 surrogate", "", ",\"x\":\"\xed\xa0\x80\""},
      {"truncated sequence", "", ",\"x\":\"\xe2\x82\""},
      {"0xff in a name", "", ",\"\xff\":1"},
      {"BOM", "\xef\xbb\xbf", ""},
      {"lone high surrogate", "", R"(,"x":"\ud800")"},
      {"lone low surrogate", "", R"(,"x":"\udc00")"},
      {"reversed pair", "", R"(,"x":"\udc00\ud800")"},
      {"high surrogate then text", "", R"(,"x":"\ud800abc")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string header = c.prefix + R"({"alg":"HS256")" + c.member + "}";
    const std::string t = make_token(header, good_payload(), hs);
    EXPECT_ERRC(verify_with(hs, t), errc::invalid_json);
    EXPECT_ERRC(unverified_token::decode(t), errc::invalid_json);
    // The same bytes in the claims, under a valid signature.
    const std::string payload =
        c.prefix + R"({"exp":)" + std::to_string(now + 3600) + c.member + "}";
    EXPECT_ERRC(verify_with(hs, make_token(header_for(algorithm::hs256), payload, hs)),
                errc::invalid_json);
  }
  EXPECT_ERRC(verify_with(hs, make_token("{\"alg\":\"HS256\xff\"}", good_payload(), hs)),
              errc::invalid_json);
  // ACCEPT: escapes that spell HS256 are HS256; a valid surrogate pair is fine.
  EXPECT_OK(verify_with(hs, make_token(R"({"alg":"HS\u0032\u0035\u0036"})", good_payload(), hs)));
  EXPECT_OK(verify_with(
      hs, make_token(R"({"alg":"\u0048S256","x":"\ud83d\ude00"})", good_payload(), hs)));
  // But no case folding or Unicode look-alikes: "HS256" in fullwidth digits is not HS256.
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"HS\uff12\uff15\uff16"})", good_payload(), hs)),
              errc::unsupported_algorithm);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"hs256"})", good_payload(), hs)),
              errc::unsupported_algorithm);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"HS256 "})", good_payload(), hs)),
              errc::unsupported_algorithm);
}

// A20: NUL bytes never truncate a comparison (no C strings on the way).
TEST(attacks, A20_nul_bytes) {
  const key& hs = test_key(algorithm::hs256);
  const std::string exp = R"("exp":)" + std::to_string(now + 3600);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"HS256\u0000"})", good_payload(), hs)),
              errc::unsupported_algorithm);
  EXPECT_ERRC(verify_with(hs, make_token(R"({"alg":"HS256\u0000none"})", good_payload(), hs)),
              errc::unsupported_algorithm);
  const std::string iss_token =
      make_token(header_for(algorithm::hs256), R"({"iss":"trusted\u0000.evil",)" + exp + "}", hs);
  EXPECT_ERRC(verify_with(hs, iss_token, [](verifier_options& o) { o.issuer = "trusted"; }),
              errc::invalid_issuer);
  auto accepted = verify_with(hs, iss_token);
  ASSERT_TRUE(accepted) << accepted.error().message;
  EXPECT_EQ(accepted->issuer(), std::string("trusted\0.evil", 13));
  EXPECT_ERRC(
      verify_with(test_key(algorithm::hs256).with_id("k1"),
                  make_token(R"({"alg":"HS256","kid":"k1\u0000../../x"})", good_payload(), hs)),
      errc::unknown_key);
  const std::string aud_token =
      make_token(header_for(algorithm::hs256), R"({"aud":"api\u0000x",)" + exp + "}", hs);
  EXPECT_ERRC(verify_with(hs, aud_token, [](verifier_options& o) { o.audiences = {"api"}; }),
              errc::invalid_audience);
  // Raw 0x00 inside the JSON text, in a string and between tokens.
  for (const std::string& header : {"{\"alg\":\"HS256\",\"x\":\"a\0b\"}"s, "{\"alg\":\"HS256\"\0}"s,
                                    "{\"alg\":\"HS256\"}\0"s, "\0{\"alg\":\"HS256\"}"s}) {
    SCOPED_TRACE(b64(header));
    EXPECT_ERRC(verify_with(hs, make_token(header, good_payload(), hs)), errc::invalid_json);
  }
}

// A21: exactly one accepted encoding per byte string (RFC 7515 §2; Wycheproof tcId 374/375).
TEST(attacks, A21_base64_malleability) {
  const key& hs = test_key(algorithm::hs256);
  // A payload whose segment length is 2 mod 4 and a header whose length is 3 mod 4, so that
  // both have trailing bits; the HS256 signature (32 bytes) is 43 characters, 3 mod 4.
  std::string payload = good_payload();
  while (b64(payload).size() % 4 != 2) payload.insert(1, " ");
  std::string header = header_for(algorithm::hs256);
  while (b64(header).size() % 4 != 3) header.insert(1, " ");
  const std::string good = make_token(header, payload, hs);
  ASSERT_TRUE(verify_with(hs, good));
  const parts p = split(good);
  ASSERT_EQ(p.signature.size(), 43u);

  auto set_trailing_bit = [](std::string segment) {
    // The last character carries 4 (2 mod 4) or 2 (3 mod 4) unused low bits: set the lowest.
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    auto v = alphabet.find(segment.back());
    segment.back() = alphabet[v | 1];
    return segment;
  };
  auto resign = [&](std::string_view header_segment, std::string_view payload_segment) {
    const std::string in = std::string(header_segment) + "." + std::string(payload_segment);
    return in + "." + b64(raw_signature(hs, in));
  };
  auto with = [&](std::string parts::*member, std::string value) {
    parts q = p;
    q.*member = std::move(value);
    return join(q);
  };
  std::vector<std::pair<std::string, errc>> cases = {
      {with(&parts::signature, p.signature + "="), errc::invalid_base64},
      {with(&parts::payload, p.payload + "=="), errc::invalid_base64},
      {with(&parts::header, p.header + "="), errc::invalid_base64},
      {with(&parts::signature, set_trailing_bit(p.signature)), errc::invalid_base64},
      // The signature covers the text, so a changed payload text is re-signed: a key holder's
      // non-canonical token (Wycheproof tcId 374/375), not merely a broken signature.
      {resign(p.header, set_trailing_bit(p.payload)), errc::invalid_base64},
      {resign(p.header, p.payload + "AAA"), errc::invalid_base64},  // 1 mod 4
      {with(&parts::header, set_trailing_bit(p.header)), errc::invalid_base64},
      {with(&parts::signature, p.signature + "AA"), errc::invalid_base64},  // 45 = 1 mod 4
      {with(&parts::header, p.header + "AA"), errc::invalid_base64},
      {with(&parts::signature, p.signature.substr(0, 40) + " " + p.signature.substr(40)),
       errc::malformed_token},
      {with(&parts::payload, p.payload.substr(0, 8) + "\n" + p.payload.substr(8)),
       errc::malformed_token},
      {with(&parts::payload, p.payload.substr(0, 8) + "\r\n" + p.payload.substr(8)),
       errc::malformed_token},
      {" " + good, errc::malformed_token},
      {good + "\n", errc::malformed_token},
      {with(&parts::signature, p.signature.substr(0, 42) + "+"), errc::invalid_base64},
      {with(&parts::signature, p.signature.substr(0, 42) + "/"), errc::invalid_base64},
  };
  // The standard alphabet in place of the url one: take a token containing '-' or '_'.
  bool swapped_one = false;
  for (int i = 0; i < 1000 && !swapped_one; ++i) {
    const std::string t = make_token(
        header, R"({"jti":")" + std::to_string(i) + R"(","exp":)" + std::to_string(now + 60) + "}",
        hs);
    if (t.find_first_of("-_") == std::string::npos) continue;
    ASSERT_TRUE(verify_with(hs, t));
    std::string swapped = t;
    for (char& c : swapped) c = c == '-' ? '+' : c == '_' ? '/' : c;
    cases.emplace_back(swapped, errc::invalid_base64);
    swapped_one = true;
  }
  ASSERT_TRUE(swapped_one);
  for (const auto& [token, code] : cases) {
    SCOPED_TRACE(token);
    EXPECT_ERRC(verify_with(hs, token), code);
  }
  // The decoder alone, on Wycheproof's "AB" (0x00 with non-zero trailing bits).
  EXPECT_ERRC(base64url::decode("AB"), errc::invalid_base64);
  EXPECT_EQ(must(base64url::decode("AA")), std::string(1, '\0'));
}

// A22: only the compact serialization, with exactly three segments (RFC 8725bis "JWT Format
// Confusion"; Wycheproof rejectsValidJsonSerialization, rejectsExtraComponent).
TEST(attacks, A22_serialization_confusion) {
  const key& hs = test_key(algorithm::hs256);
  const std::string good = make_token(header_for(algorithm::hs256), good_payload(), hs);
  const parts p = split(good);
  const std::string json = R"({"payload":")" + p.payload + R"(","signatures":[{"protected":")" +
                           p.header + R"(","signature":")" + p.signature + R"("}]})";
  const std::string flattened = R"({"payload":")" + p.payload + R"(","protected":")" + p.header +
                                R"(","signature":")" + p.signature + R"("})";
  const std::vector<std::string> tokens = {
      json,
      flattened,
      p.header + "." + p.payload + "." + p.signature + "." + p.signature + "." + p.signature,
      p.header + ".." + p.payload + "." + p.signature + ".",  // 5 segments, JWE shaped
      good + ".",
      good + ".foo",
      p.header + "." + p.payload,
      p.header + "." + p.payload + p.signature,
      "." + p.payload + "." + p.signature,
      "",
      ".",
      "..",
  };
  for (const auto& t : tokens) {
    SCOPED_TRACE(t);
    EXPECT_ERRC(verify_with(hs, t), errc::malformed_token);
    EXPECT_ERRC(unverified_token::decode(t), errc::malformed_token);
  }
  EXPECT_OK(verify_with(hs, good));
}

// A23: the HMAC tag is compared whole and in constant time (RFC 7515 §10.9): any difference,
// wherever it is, and any other length, is the same invalid_signature.
TEST(attacks, A23_hmac_compare) {
  for (algorithm alg : {algorithm::hs256, algorithm::hs384, algorithm::hs512}) {
    SCOPED_TRACE(to_string(alg));
    const key& k = test_key(alg);
    const std::string input = signing_input(header_for(alg), good_payload());
    const std::string tag = raw_signature(k, input);
    std::string first = tag, last = tag;
    first.front() = static_cast<char>(first.front() ^ 0x01);
    last.back() = static_cast<char>(last.back() ^ 0x80);
    for (const std::string& sig : {first, last, tag.substr(0, tag.size() - 1),
                                   tag.substr(0, tag.size() / 2), tag.substr(0, 1), tag + "\0"s}) {
      SCOPED_TRACE(b64(sig));
      EXPECT_ERRC(verify_with(k, input + "." + b64(sig)), errc::invalid_signature);
    }
    EXPECT_OK(verify_with(k, input + "." + b64(tag)));
  }
  // The primitive itself.
  const unsigned char a[] = {1, 2, 3, 4}, b[] = {1, 2, 3, 5}, c[] = {0, 2, 3, 4};
  using bytes = std::span<const unsigned char>;
  EXPECT_TRUE(crypto::equal_constant_time(bytes(a), bytes(a)));
  EXPECT_FALSE(crypto::equal_constant_time(bytes(a), bytes(b)));
  EXPECT_FALSE(crypto::equal_constant_time(bytes(a), bytes(c)));
  EXPECT_FALSE(crypto::equal_constant_time(bytes(a), bytes(a, 3)));
  EXPECT_FALSE(crypto::equal_constant_time(bytes(a, 3), bytes(a)));
  EXPECT_TRUE(crypto::equal_constant_time(bytes(), bytes()));
}

// A24: RSA signatures that are numerically special, mis-encoded, or one byte short (RFC 8017
// §8.1.2/§8.2.2 step 1: length equals the modulus length; OpenSSL 3.0 does not check it for PSS).
TEST(attacks, A24_rsa_edge_signatures) {
  const key& rs = test_key(algorithm::rs256);
  const key& ps = test_key(algorithm::ps256);
  const std::string n = jwk_bytes(must(rs.to_public_jwk()), "n");
  ASSERT_EQ(n.size(), 256u);
  const std::string payload = good_payload();
  for (const key* k : {&rs, &ps}) {
    SCOPED_TRACE(to_string(k->alg()));
    const std::string input = signing_input(header_for(k->alg()), payload);
    const std::string one = left_pad(std::string(1, '\1'), n.size());
    for (const std::string& sig :
         {std::string(n.size(), '\0'), one, minus_one(n), n, plus_one(n)}) {
      SCOPED_TRACE(b64(sig.substr(sig.size() - 4)));
      EXPECT_ERRC(verify_with(*k, input + "." + b64(sig)), errc::invalid_signature);
    }
  }
  // PKCS#1 v1.5 encodings built by hand (RFC 8017 §9.2): EM = 00 01 FF..FF 00 || DigestInfo.
  const std::string input = signing_input(header_for(algorithm::rs256), payload);
  const std::string digest = crypto::sha256(input);
  auto em = [&](std::string_view digest_info) {
    return std::string("\x00\x01", 2) + std::string(n.size() - 3 - digest_info.size(), '\xff') +
           std::string(1, '\0') + std::string(digest_info);
  };
  const std::string sha256_oid = from_hex("0609608648016503040201");
  const std::string sha384_oid = from_hex("0609608648016503040202");
  const std::string null = from_hex("0500");
  const std::string octets = from_hex("0420") + digest;
  auto seq = [](std::string_view body) {
    return std::string{'\x30', static_cast<char>(body.size())} + std::string(body);
  };
  const std::string good_info = seq(seq(sha256_oid + null) + octets);
  EXPECT_OK(verify_with(rs, input + "." + b64(rsa_raw_sign(rs, em(good_info)))));
  const std::vector<std::pair<const char*, std::string>> bad_infos = {
      {"wrong hash OID", seq(seq(sha384_oid + null) + octets)},
      {"missing NULL", seq(seq(sha256_oid) + octets)},
      {"BER long-form length",
       std::string{'\x30', '\x81', static_cast<char>(good_info.size() - 2)} + good_info.substr(2)},
      {"digest of other bytes",
       seq(seq(sha256_oid + null) + from_hex("0420") + crypto::sha256(input + "x"))},
  };
  for (const auto& [what, info] : bad_infos) {
    SCOPED_TRACE(what);
    EXPECT_ERRC(verify_with(rs, input + "." + b64(rsa_raw_sign(rs, em(info)))),
                errc::invalid_signature);
  }
  // A signature whose first byte is 0x00, sent with that byte dropped (k-1 bytes) or with an
  // extra leading zero (k+1). Re-sign (PS256 is randomized; RS256 needs another payload).
  for (const key* k : {&rs, &ps}) {
    SCOPED_TRACE(to_string(k->alg()));
    std::string in, sig;
    for (int i = 0; i < 4096 && (sig.empty() || sig[0] != '\0'); ++i) {
      in = signing_input(header_for(k->alg()), R"({"n":)" + std::to_string(i) + R"(,"exp":)" +
                                                   std::to_string(now + 60) + "}");
      sig = raw_signature(*k, in);
    }
    ASSERT_EQ(sig[0], '\0') << "no signature with a leading zero in 4096 tries";
    EXPECT_OK(verify_with(*k, in + "." + b64(sig)));
    EXPECT_ERRC(verify_with(*k, in + "." + b64(sig.substr(1))), errc::invalid_signature);
    EXPECT_ERRC(verify_with(*k, in + "." + b64(std::string(1, '\0') + sig)),
                errc::invalid_signature);
  }
}

// A25: EdDSA: S >= L is refused (RFC 8032 §5.1.7), the length is exact, and the key type is
// bound to the algorithm.
TEST(attacks, A25_eddsa_malleability) {
  // L = 2^252 + 27742317777372353535851937790883648493, little-endian as S is encoded.
  const std::string group_order =
      from_hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  for (algorithm alg : {algorithm::eddsa, algorithm::ed25519}) {
    SCOPED_TRACE(to_string(alg));
    const key& k = test_key(alg);
    const std::string input = signing_input(header_for(alg), good_payload());
    const std::string good = raw_signature(k, input);
    ASSERT_EQ(good.size(), 64u);
    std::string malleated = good;  // S + L, little-endian addition
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
      unsigned sum = static_cast<unsigned char>(malleated[32 + i]) +
                     static_cast<unsigned char>(group_order[i]) + carry;
      malleated[32 + i] = static_cast<char>(sum & 0xff);
      carry = sum >> 8;
    }
    ASSERT_EQ(carry, 0u);
    for (const std::string& sig :
         {malleated, good.substr(0, 63), good + std::string(1, '\0'), std::string(64, '\0')}) {
      SCOPED_TRACE(b64(sig));
      EXPECT_ERRC(verify_with(k, input + "." + b64(sig)), errc::invalid_signature);
    }
    EXPECT_OK(verify_with(k, input + "." + b64(good)));
  }
  // Ed448: 114 bytes exactly.
  const key& ed448 = test_key(algorithm::ed448);
  const std::string input448 = signing_input(header_for(algorithm::ed448), good_payload());
  const std::string sig448 = raw_signature(ed448, input448);
  ASSERT_EQ(sig448.size(), 114u);
  EXPECT_ERRC(verify_with(ed448, input448 + "." + b64(sig448.substr(0, 113))),
              errc::invalid_signature);
  EXPECT_ERRC(verify_with(ed448, input448 + "." + b64(sig448 + std::string(1, '\0'))),
              errc::invalid_signature);
  // alg EdDSA with an EC key: not allowed by an ES256 verifier; bound elsewhere by kid.
  const key ec = test_key(algorithm::es256).with_id("ec");
  const std::string eddsa_ec =
      make_token(R"({"alg":"EdDSA","kid":"ec"})", good_payload(), test_key(algorithm::eddsa));
  EXPECT_ERRC(verify_with(ec, eddsa_ec), errc::algorithm_not_allowed);
  verifier_options o = options_for(ec);
  o.algorithms.push_back(algorithm::eddsa);
  must(o.keys.add(public_of(test_key(algorithm::eddsa)).with_id("ed")));
  EXPECT_ERRC(make_verifier(o).verify(eddsa_ec), errc::key_algorithm_mismatch);
  // "Ed25519" names a curve: an Ed448 key does not answer it, and vice versa.
  verifier_options okp;
  okp.algorithms = {algorithm::ed25519, algorithm::ed448};
  must(okp.keys.add(public_of(test_key(algorithm::ed448)).with_id("448")));
  must(okp.keys.add(public_of(test_key(algorithm::ed25519)).with_id("25519")));
  okp.clock = fixed_clock(now);
  const verifier v = make_verifier(okp);
  EXPECT_ERRC(v.verify(make_token(R"({"alg":"Ed25519","kid":"448"})", good_payload(), ed448)),
              errc::key_algorithm_mismatch);
  EXPECT_OK(v.verify(make_token(R"({"alg":"Ed448","kid":"448"})", good_payload(), ed448)));
}

// A26: weak or ill-formed keys are refused when loaded, not when used (Wycheproof
// json_web_key_test; RFC 7518 §3.2, §3.3, §6).
TEST(attacks, A26_weak_or_ill_formed_keys) {
  EXPECT_ERRC(key::generate(algorithm::rs256, 1024), errc::weak_key);
  EXPECT_ERRC(key::generate(algorithm::ps256, 2047), errc::weak_key);
  EXPECT_ERRC(key::from_secret(std::string(31, 's'), algorithm::hs256), errc::weak_key);
  EXPECT_ERRC(key::from_secret("", algorithm::hs256), errc::weak_key);
  EXPECT_ERRC(key::from_jwk(R"({"kty":"oct","alg":"HS256","k":""})"), errc::weak_key);
  EXPECT_ERRC(
      key::from_jwk(R"({"kty":"oct","alg":"HS256","k":")" + b64(std::string(31, 's')) + R"("})"),
      errc::weak_key);
  // RSA public exponents: 1 and even values, on a real 2048-bit modulus.
  const std::string rsa_jwk = must(test_key(algorithm::rs256).to_public_jwk());
  for (std::string_view e : {"AQ", "Ag", "AQAA", "AQAC"}) {  // 1, 2, 65536, 65538
    SCOPED_TRACE(e);
    EXPECT_ERRC(key::from_jwk(with_member(rsa_jwk, "e", e)), errc::weak_key);
  }
  EXPECT_OK(key::from_jwk(with_member(rsa_jwk, "e", "Aw")));  // e = 3 is odd and >= 3
  // A 1024-bit modulus (half of a real one, made odd).
  std::string half = jwk_bytes(rsa_jwk, "n").substr(0, 128);
  half.back() = static_cast<char>(half.back() | 1);
  EXPECT_ERRC(key::from_jwk(with_member(rsa_jwk, "n", b64(half))), errc::weak_key);
  // EC: a point off the curve (y + 1), for each curve.
  for (algorithm alg : {algorithm::es256, algorithm::es384, algorithm::es512}) {
    SCOPED_TRACE(to_string(alg));
    const std::string jwk = must(test_key(alg).to_public_jwk());
    EXPECT_ERRC(key::from_jwk(with_member(jwk, "y", b64(plus_one(jwk_bytes(jwk, "y"))))),
                errc::invalid_key);
    EXPECT_OK(key::from_jwk(jwk));
  }
  // JWK alg values that are not registered JWS algorithms.
  const std::string ec_jwk = must(test_key(algorithm::es512).to_public_jwk());
  EXPECT_ERRC(key::from_jwk(with_member(ec_jwk, "alg", "ES521")), errc::unsupported_algorithm);
  EXPECT_ERRC(
      key::from_jwk(with_member(must(test_key(algorithm::es256).to_public_jwk()), "alg", "ES224")),
      errc::unsupported_algorithm);
  EXPECT_ERRC(key::from_jwk(with_member(rsa_jwk, "alg", "none")), errc::unsupported_algorithm);
  // An encryption key is not a signature key.
  EXPECT_ERRC(key::from_jwk(with_member(rsa_jwk, "use", "enc")), errc::invalid_key);
  EXPECT_ERRC(key::from_jwk(without_member(rsa_jwk, "use").insert(1, R"("key_ops":["encrypt"],)")),
              errc::invalid_key);
  // Key sets: HMAC and RSA mixed, and a duplicate kid.
  const std::string oct =
      R"({"kty":"oct","alg":"HS256","kid":"o","k":")" + b64(std::string(32, 's')) + R"("})";
  EXPECT_ERRC(
      key_set::from_jwks(R"({"keys":[)" + oct + "," + with_member(rsa_jwk, "kid", "r") + "]}"),
      errc::invalid_key);
  EXPECT_ERRC(
      key_set::from_jwks(R"({"keys":[)" + with_member(rsa_jwk, "kid", "r") + "," + oct + "]}"),
      errc::invalid_key);
  const std::string ec_a =
      with_member(must(test_key(algorithm::es256).to_public_jwk()), "kid", "same");
  const std::string ec_b =
      with_member(must(test_key(algorithm::es384).to_public_jwk()), "kid", "same");
  EXPECT_ERRC(key_set::from_jwks(R"({"keys":[)" + ec_a + "," + ec_b + "]}"), errc::invalid_key);
  EXPECT_OK(key_set::from_jwks(R"({"keys":[)" + ec_a + "," + with_member(ec_b, "kid", "b") + "]}"));
}

// A27: expiry and not-before at the leeway boundary (RFC 7519 §4.1.4-4.1.5): valid while
// now < exp + leeway and nbf <= now + leeway.
TEST(attacks, A27_expiry_boundaries) {
  const key& hs = test_key(algorithm::hs256);
  constexpr std::int64_t leeway = 60;
  auto verify_claims = [&](std::string_view claims) {
    return verify_with(hs, make_token(header_for(algorithm::hs256), claims, hs),
                       [](verifier_options& o) { o.leeway_seconds = leeway; });
  };
  auto exp = [](std::int64_t t) { return R"({"exp":)" + std::to_string(t) + "}"; };
  auto nbf = [](std::int64_t t) {
    return R"({"exp":)" + std::to_string(now + 3600) + R"(,"nbf":)" + std::to_string(t) + "}";
  };
  auto iat = [](std::int64_t t) {
    return R"({"exp":)" + std::to_string(now + 3600) + R"(,"iat":)" + std::to_string(t) + "}";
  };
  EXPECT_ERRC(verify_claims(exp(now - leeway - 1)), errc::expired);
  EXPECT_ERRC(verify_claims(exp(now - leeway)), errc::expired);
  EXPECT_OK(verify_claims(exp(now - leeway + 1)));
  EXPECT_ERRC(verify_claims(nbf(now + leeway + 1)), errc::not_yet_valid);
  EXPECT_OK(verify_claims(nbf(now + leeway)));
  EXPECT_ERRC(verify_claims(iat(now + leeway + 1)), errc::issued_in_future);
  EXPECT_OK(verify_claims(iat(now + leeway)));
  // A token is not "replayed" at this layer: the same token verifies again until it expires
  // (replay of refresh tokens is the token store's errc::token_reused).
  const std::string t = make_token(header_for(algorithm::hs256), exp(now + 10), hs);
  const verifier v = make_verifier(options_for(hs));
  EXPECT_OK(v.verify(t));
  EXPECT_OK(v.verify(t));
  verifier_options later = options_for(hs);
  later.clock = fixed_clock(now + 10);
  EXPECT_ERRC(make_verifier(later).verify(t), errc::expired);
}
