// remote_jwks against a real HTTP(S) server on loopback (jwks_server.py, run as a child process):
// caching, rotation, the unknown-kid rate limit, size/time/redirect/TLS limits and the URL policy.
// Cache decisions read the injected clock, so the tests move time instead of sleeping.

#include "jwtfort/service/remote_jwks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "jwtfort/claims.hpp"
#include "jwtfort/key_set.hpp"
#include "jwtfort/signer.hpp"
#include "support/assertions.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace jwtfort;
using namespace std::chrono_literals;

constexpr std::int64_t start_time = 1'700'000'000;

using test::must;

// The code of a failed result, or nullopt when it succeeded; for EXPECT_EQ with a readable diff.
template <class T>
std::optional<errc> code_of(const result<T>& r) {
  if (r) return std::nullopt;
  return r.code();
}

// Expects `r` to fail with exactly `code`, with a message that names `reason`.
template <class T>
void expect_error(const result<T>& r, errc code, std::string_view reason) {
  ASSERT_FALSE(r) << "succeeded; expected " << to_string(code);
  EXPECT_EQ(r.code(), code) << r.error().message;
  EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
}
std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : bytes) {
    bits = bits << 8 | c;
    for (count += 8; count >= 6; count -= 6) out += alphabet[(bits >> (count - 6)) & 63];
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
  return out;
}

// A temporary directory, removed with its contents.
struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("jwtfort-jwks-") {}
};

// Replaces the file in one step, so the server never serves half of it.
void write_atomically(const std::string& path, const std::string& text) {
  std::ofstream(path + ".new", std::ios::binary) << text;
  std::filesystem::rename(path + ".new", path);
}

// jwks_server.py as a child process. It is killed and reaped when this object goes away, and
// exits by itself when its stdin closes, i.e. if this test process dies first.
class jwks_server {
 public:
  jwks_server(const temp_dir& dir, const std::string& jwks_file,
              const std::vector<std::string>& extra_args = {})
      : count_file_(dir.file("counts.json")), child_(arguments(jwks_file, extra_args), true) {
    // The first stdout line is the port.
    const auto line = child_.read_line(20s);
    port_ = line ? std::atoi(line->c_str()) : 0;
    if (port_ <= 0) throw std::runtime_error("jwks_server.py did not report a port");
  }

  void stop() { child_.kill(); }

  std::string url(std::string_view path, std::string_view scheme = "http",
                  std::string_view host = "127.0.0.1") const {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(port_) +
           std::string(path);
  }

  /// How many requests the server received for `path`.
  int requests(const std::string& path) const {
    std::ifstream in(count_file_);
    return nlohmann::json::parse(in).value(path, 0);
  }

 private:
  std::vector<std::string> arguments(const std::string& jwks_file,
                                     const std::vector<std::string>& extra_args) const {
    std::vector<std::string> args = {"python3", JWTFORT_TESTS_DIR "/integration/jwks_server.py",
                                     jwks_file, count_file_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    return args;
  }

  std::string count_file_;
  test::child_process child_;
  int port_ = 0;
};

// Keys are generated once per process: RSA generation is slow under the sanitizers.
struct test_keys {
  key a = must(key::generate(algorithm::es256), "generate a").with_id("a");
  key b = must(key::generate(algorithm::es256), "generate b").with_id("b");
  key attacker = must(key::generate(algorithm::es256), "generate attacker");
  key rsa = must(key::generate(algorithm::rs256), "generate rsa").with_id("r");
  key hmac = must(key::generate(algorithm::hs256), "generate hmac").with_id("h");
};

const test_keys& keys() {
  static const test_keys k;
  return k;
}

std::string jwks_of(const std::vector<key>& list) {
  key_set set;
  for (const key& k : list) must(set.add(k), "key_set::add");
  return set.to_jwks();
}

std::string sign(const key& k) {
  auto s = must(signer::create(k), "signer");
  return must(s.sign(claims{}.subject("alice").expires_at(start_time + 7 * 86400)), "sign");
}

// A token with a kid the provider never published, signed by someone else.
std::string token_with_kid(std::string kid) { return sign(keys().attacker.with_id(kid)); }

class remote_jwks_test : public testing::Test {
 protected:
  void SetUp() override {
    serve({keys().a});
    server_.emplace(dir_, jwks_file_);
  }

  void serve(const std::vector<key>& list) { write_atomically(jwks_file_, jwks_of(list)); }

  remote_jwks_options options(std::string_view path = "/jwks.json") const {
    remote_jwks_options o;
    o.url = server_->url(path);
    o.verify.algorithms = {algorithm::es256, algorithm::rs256};
    o.verify.clock = [now = now_] { return now->load(); };
    o.cache_ttl = 300s;
    o.min_refresh_interval = 30s;
    o.timeout = 5s;
    return o;
  }

  static std::shared_ptr<remote_jwks> make(remote_jwks_options o) {
    return must(remote_jwks::create(std::move(o)), "remote_jwks::create");
  }

  void advance(std::chrono::seconds s) { *now_ += s.count(); }

  temp_dir dir_;
  std::string jwks_file_ = dir_.file("jwks.json");
  std::shared_ptr<std::atomic<std::int64_t>> now_ =
      std::make_shared<std::atomic<std::int64_t>>(start_time);
  std::optional<jwks_server> server_;
};

TEST_F(remote_jwks_test, fetches_once_and_then_uses_the_cache) {
  auto jwks = make(options());
  EXPECT_EQ(jwks->fetch_count(), 0u);  // create() fetches nothing
  auto first = jwks->verify(sign(keys().a));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->subject(), "alice");
  EXPECT_EQ(jwks->fetch_count(), 1u);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  auto set = jwks->keys();
  ASSERT_TRUE(set);
  EXPECT_EQ((*set)->size(), 1u);
  EXPECT_EQ(jwks->fetch_count(), 1u);
  EXPECT_EQ(server_->requests("/jwks.json"), 1);
}

TEST_F(remote_jwks_test, a_new_kid_refetches_once_per_interval_and_then_verifies) {
  auto jwks = make(options());
  ASSERT_TRUE(jwks->verify(sign(keys().a)));
  serve({keys().a, keys().b});  // the provider rotates

  // The first fetch was just now: within min_refresh_interval the new kid is unknown.
  EXPECT_EQ(code_of(jwks->verify(sign(keys().b))), errc::unknown_key);
  EXPECT_EQ(jwks->fetch_count(), 1u);

  advance(30s);
  auto rotated = jwks->verify(sign(keys().b));
  EXPECT_TRUE(rotated) << rotated.error().message;
  EXPECT_EQ(jwks->fetch_count(), 2u);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_TRUE(jwks->verify(sign(keys().b)));
  EXPECT_EQ(jwks->fetch_count(), 2u);
}

TEST_F(remote_jwks_test, an_allowed_algorithm_without_a_published_key_is_an_unknown_key) {
  auto jwks = make(options());  // allows ES256 and RS256; the provider publishes ES256 only
  ASSERT_TRUE(jwks->verify(sign(keys().a)));
  advance(30s);
  EXPECT_EQ(code_of(jwks->verify(sign(keys().rsa))), errc::unknown_key);
  EXPECT_EQ(jwks->fetch_count(), 2u);  // it counted as an unknown kid: one refetch

  // An algorithm the caller does not allow is refused as such, and fetches nothing.
  advance(30s);
  EXPECT_EQ(code_of(jwks->verify(sign(keys().hmac))), errc::algorithm_not_allowed);
  EXPECT_EQ(jwks->fetch_count(), 2u);

  serve({keys().a, keys().rsa});  // the provider adds an RS256 key
  auto rsa = jwks->verify(sign(keys().rsa));
  EXPECT_TRUE(rsa) << rsa.error().message;
  EXPECT_EQ(jwks->fetch_count(), 3u);
}

TEST_F(remote_jwks_test, no_key_for_any_allowed_algorithm_is_an_unknown_key) {
  serve({keys().rsa});
  auto o = options();
  o.verify.algorithms = {algorithm::es256};
  auto jwks = make(std::move(o));
  auto r = jwks->verify(sign(keys().a));
  EXPECT_EQ(code_of(r), errc::unknown_key);
  EXPECT_EQ(jwks->fetch_count(), 1u);
  ASSERT_TRUE(jwks->keys());  // the set itself is fine
}

TEST_F(remote_jwks_test, a_flood_of_unknown_kids_costs_at_most_one_fetch_per_interval) {
  auto jwks = make(options());
  ASSERT_TRUE(jwks->verify(sign(keys().a)));
  advance(30s);
  std::mt19937_64 random(42);
  for (int i = 0; i < 50; ++i) {
    auto r = jwks->verify(token_with_kid("kid-" + std::to_string(random())));
    EXPECT_EQ(code_of(r), errc::unknown_key) << i;
  }
  EXPECT_EQ(jwks->fetch_count(), 2u);
  advance(29s);
  EXPECT_EQ(code_of(jwks->verify(token_with_kid("still-unknown"))), errc::unknown_key);
  EXPECT_EQ(jwks->fetch_count(), 2u);
  advance(1s);
  EXPECT_EQ(code_of(jwks->verify(token_with_kid("unknown-again"))), errc::unknown_key);
  EXPECT_EQ(jwks->fetch_count(), 3u);
  EXPECT_EQ(server_->requests("/jwks.json"), 3);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
}

TEST_F(remote_jwks_test, keys_are_refetched_after_the_ttl_and_kept_when_that_fails) {
  auto o = options();
  o.cache_ttl = 60s;
  o.min_refresh_interval = 10s;
  auto jwks = make(std::move(o));
  ASSERT_TRUE(jwks->verify(sign(keys().a)));
  advance(59s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 1u);
  advance(1s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 2u);

  // The provider answers 503: the old keys stay in use.
  std::filesystem::remove(jwks_file_);
  advance(60s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 3u);
  EXPECT_EQ(server_->requests("/jwks.json"), 3);
  // ...and is not asked again on every call, only after min_refresh_interval.
  advance(9s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 3u);
  advance(1s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 4u);

  // The provider answers garbage: the same.
  write_atomically(jwks_file_, "not a key set");
  advance(10s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 5u);

  // The provider is gone: the same.
  server_->stop();
  advance(10s);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 6u);
  auto set = jwks->keys();
  ASSERT_TRUE(set);
  EXPECT_EQ((*set)->size(), 1u);
}

TEST_F(remote_jwks_test, a_clock_set_back_does_not_freeze_the_cache) {
  auto jwks = make(options());
  ASSERT_TRUE(jwks->verify(sign(keys().a)));
  *now_ -= 3600;  // an hour back: waiting for the clock to catch up would keep keys for 65 min
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 2u);
  EXPECT_TRUE(jwks->verify(sign(keys().a)));
  EXPECT_EQ(jwks->fetch_count(), 2u);  // and then the cache is dated from the new time
}

TEST_F(remote_jwks_test, without_any_key_set_verify_reports_the_fetch_error) {
  server_->stop();
  auto jwks = make(options());
  auto r = jwks->verify(sign(keys().a));
  expect_error(r, errc::jwks_unavailable, options().url);
  EXPECT_EQ(code_of(jwks->keys()), errc::jwks_unavailable);
  EXPECT_EQ(jwks->fetch_count(), 2u);  // with nothing cached, every call tries again
}

TEST_F(remote_jwks_test, a_slow_server_times_out) {
  auto o = options("/slow");
  o.timeout = 500ms;
  auto jwks = make(std::move(o));
  const auto started = std::chrono::steady_clock::now();
  auto r = jwks->verify(sign(keys().a));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  expect_error(r, errc::jwks_unavailable, "within 500 ms");
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(remote_jwks_test, oversized_redirected_and_failed_responses_are_unavailable) {
  struct expectation {
    const char* path;
    const char* reason;  // part of the message
  };
  for (auto [path, reason] :
       {expectation{"/big", "larger than 65536 bytes"},
        expectation{"/big-chunked", "larger than 65536 bytes"},
        expectation{"/redirect", "HTTP status 302"}, expectation{"/status500", "HTTP status 500"},
        expectation{"/no-such-path", "HTTP status 404"}}) {
    SCOPED_TRACE(path);
    auto o = options(path);
    o.max_bytes = 64 * 1024;
    auto jwks = make(o);
    auto r = jwks->keys();
    expect_error(r, errc::jwks_unavailable, reason);
    expect_error(r, errc::jwks_unavailable, o.url);
  }
  EXPECT_EQ(server_->requests("/redirect"), 1);
  EXPECT_EQ(server_->requests("/jwks.json"), 0);  // the redirect was not followed
}

TEST_F(remote_jwks_test, a_body_that_is_not_a_usable_jwks_is_invalid_key) {
  auto not_json = make(options("/notjson"));
  EXPECT_EQ(code_of(not_json->verify(sign(keys().a))), errc::invalid_key);

  for (const std::string& body :
       std::vector<std::string>{R"({"keys":1})", R"({"no":"keys"})", "[]",
                                // Secrets have no place in a published key set.
                                "{\"keys\":[" + must(keys().hmac.to_private_jwk(), "jwk") + "]}"}) {
    SCOPED_TRACE(body);
    write_atomically(jwks_file_, body);
    auto jwks = make(options());
    EXPECT_EQ(code_of(jwks->keys()), errc::invalid_key);
  }
}

class remote_jwks_tls_test : public remote_jwks_test {
 protected:
  void SetUp() override {
    serve({keys().a});
    // A self-signed certificate for IP 127.0.0.1 that is its own CA.
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=jwtfort-test -addext subjectAltName=IP:127.0.0.1 -keyout '" +
        key_file_ + "' -out '" + cert_file_ + "' 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    server_.emplace(dir_, jwks_file_, std::vector<std::string>{"--tls", cert_file_, key_file_});
  }
  std::string cert_file_ = dir_.file("cert.pem");
  std::string key_file_ = dir_.file("key.pem");
};

TEST_F(remote_jwks_tls_test, https_works_with_the_configured_ca) {
  auto o = options();
  o.url = server_->url("/jwks.json", "https");
  o.ca_file = cert_file_;
  auto jwks = make(std::move(o));
  auto r = jwks->verify(sign(keys().a));
  EXPECT_TRUE(r) << r.error().message;
}

TEST_F(remote_jwks_tls_test, https_refuses_an_untrusted_or_misnamed_certificate) {
  auto untrusted = options();
  untrusted.url = server_->url("/jwks.json", "https");  // system CAs only
  auto r = make(untrusted)->verify(sign(keys().a));
  expect_error(r, errc::jwks_unavailable, "TLS");

  auto misnamed = options();
  misnamed.url = server_->url("/jwks.json", "https", "localhost");  // certificate is for the IP
  misnamed.ca_file = cert_file_;
  expect_error(make(misnamed)->keys(), errc::jwks_unavailable, "TLS");

  auto plain = options();  // http:// to a TLS port: no silent success
  plain.url = server_->url("/jwks.json");
  plain.timeout = 1s;
  EXPECT_EQ(code_of(make(plain)->keys()), errc::jwks_unavailable);
}

TEST(remote_jwks_create, refuses_unsafe_urls_and_out_of_range_limits) {
  auto base = [] {
    remote_jwks_options o;
    o.url = "https://idp.example.com/certs";
    o.verify.algorithms = {algorithm::rs256};
    return o;
  };
  ASSERT_TRUE(remote_jwks::create(base()));
  for (const char* url :
       {"http://example.com/jwks.json", "ftp://127.0.0.1/jwks.json", "file:///etc/passwd", "",
        "idp.example.com/certs", "https://user:secret@idp.example.com/certs",
        "http://user@127.0.0.1/jwks.json", "http://127.0.0.1.example.com/jwks.json",
        "gopher://127.0.0.1/"}) {
    auto o = base();
    o.url = url;
    auto r = remote_jwks::create(o);
    EXPECT_EQ(code_of(r), errc::invalid_configuration) << url;
  }
  for (const char* url : {"http://127.0.0.1:8080/jwks.json", "http://[::1]/jwks.json",
                          "http://localhost:1/jwks.json", "HTTPS://IDP.example.com/certs"}) {
    auto o = base();
    o.url = url;
    EXPECT_TRUE(remote_jwks::create(o)) << url;
  }

  std::vector<void (*)(remote_jwks_options&)> bad = {
      [](remote_jwks_options& o) { o.verify.algorithms.clear(); },
      [](remote_jwks_options& o) {
        (void)o.verify.keys.add(must(key::generate(algorithm::hs256), "key"));
      },
      [](remote_jwks_options& o) { o.max_bytes = 1023; },
      [](remote_jwks_options& o) { o.max_bytes = 16 * 1024 * 1024 + 1; },
      [](remote_jwks_options& o) { o.timeout = 99ms; },
      [](remote_jwks_options& o) { o.timeout = 60001ms; },
      [](remote_jwks_options& o) { o.cache_ttl = 0s; },
      [](remote_jwks_options& o) { o.min_refresh_interval = 0s; },
      [](remote_jwks_options& o) { o.verify.leeway_seconds = 301; },
      [](remote_jwks_options& o) { o.verify.clock = nullptr; },
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    auto o = base();
    bad[i](o);
    EXPECT_EQ(code_of(remote_jwks::create(o)), errc::invalid_configuration) << "case " << i;
  }
  auto edges = base();
  edges.max_bytes = 1024;
  edges.timeout = 100ms;
  edges.cache_ttl = edges.min_refresh_interval = 1s;
  EXPECT_TRUE(remote_jwks::create(edges));
}

TEST_F(remote_jwks_test, a_jku_header_is_refused_and_never_fetched) {
  auto jwks = make(options());
  const std::string genuine = sign(keys().a);
  ASSERT_TRUE(jwks->verify(genuine));
  advance(30s);  // an unknown kid would be allowed a refetch now

  // RFC 8725 §3.10: the attacker points jku at a key set of their own.
  const std::string header =
      R"({"alg":"ES256","kid":"evil","jku":")" + server_->url("/attacker.json") + R"("})";
  const auto payload_and_signature = genuine.substr(genuine.find('.'));
  auto r = jwks->verify(base64url(header) + payload_and_signature);
  EXPECT_EQ(code_of(r), errc::unsupported_header);
  EXPECT_EQ(jwks->fetch_count(), 1u);
  EXPECT_EQ(server_->requests("/attacker.json"), 0);
  EXPECT_EQ(server_->requests("/jwks.json"), 1);
}

TEST_F(remote_jwks_test, concurrent_verification_while_the_provider_rotates) {
  auto o = options();
  o.cache_ttl = 1s;
  o.min_refresh_interval = 1s;
  auto jwks = make(std::move(o));
  const std::string token_a = sign(keys().a), token_b = sign(keys().b);
  const std::string token_unknown = token_with_kid("never-published");

  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, b_accepted{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 150; ++i) {
        // A is always published; B comes and goes; the unknown kid never verifies.
        if (!jwks->verify(token_a)) ++failures;
        auto b = jwks->verify(token_b);
        if (b) ++b_accepted;
        if (!b && b.code() != errc::unknown_key) ++failures;
        if (code_of(jwks->verify(token_unknown)) != errc::unknown_key) ++failures;
      }
    });
  }
  std::thread rotator([&] {
    for (int i = 0; !done; ++i) {
      serve(i % 2 == 0 ? std::vector<key>{keys().a, keys().b} : std::vector<key>{keys().a});
      advance(1s);
      std::this_thread::sleep_for(2ms);
    }
  });
  for (auto& r : readers) r.join();
  done = true;
  rotator.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(jwks->fetch_count(), 1u);
  std::cout << "fetches: " << jwks->fetch_count() << ", B accepted " << b_accepted << " times\n";
}

}  // namespace
