// The server's metrics: bucket edges of the duration histogram, bounded labels, and the exact
// Prometheus text exposition.
#include "metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace jwtfort::server {
namespace {

using std::chrono::nanoseconds;

constexpr std::array<std::string_view, 2> routes = {"/login", "/protected"};

constexpr std::string_view empty_histogram =
    "# HELP jwtfort_http_request_duration_seconds Time from a request fully read to its response "
    "written, in seconds.\n"
    "# TYPE jwtfort_http_request_duration_seconds histogram\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.0001\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.00025\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.0005\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.001\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.0025\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.005\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.01\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.025\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.05\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.1\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.25\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"0.5\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"1\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"2.5\"} 0\n"
    "jwtfort_http_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
    "jwtfort_http_request_duration_seconds_sum 0\n"
    "jwtfort_http_request_duration_seconds_count 0\n";

// The cumulative count of each bucket line, in order (+Inf last).
std::vector<std::string> bucket_counts(const std::string& text) {
  std::vector<std::string> counts;
  std::size_t at = 0;
  while ((at = text.find("_bucket{le=\"", at)) != std::string::npos) {
    const std::size_t value = text.find("} ", at) + 2;
    counts.push_back(text.substr(value, text.find('\n', value) - value));
    at = value;
  }
  return counts;
}

std::string line_of(const std::string& text, std::string_view prefix) {
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) return {};
  return text.substr(at, text.find('\n', at) - at);
}

TEST(metrics, nothing_recorded_is_the_families_and_an_empty_histogram) {
  const metrics m(routes);
  EXPECT_EQ(m.exposition(),
            "# HELP jwtfort_http_requests_total HTTP requests by matched route, method and "
            "status.\n"
            "# TYPE jwtfort_http_requests_total counter\n"
            "# HELP jwtfort_auth_outcomes_total Authentication decisions: ok, or the error code "
            "of the refusal.\n"
            "# TYPE jwtfort_auth_outcomes_total counter\n"
            "# HELP jwtfort_logins_total Login attempts by result.\n"
            "# TYPE jwtfort_logins_total counter\n"
            "# HELP jwtfort_connections_refused_total Connections closed at once because a "
            "connection cap was reached, by cap.\n"
            "# TYPE jwtfort_connections_refused_total counter\n" +
                std::string(empty_histogram));
}

TEST(metrics, counters_are_written_in_route_method_status_order) {
  metrics m(routes);
  m.count_request(1, "GET", 200);
  m.count_request(1, "GET", 200);
  m.count_request(1, "GET", 401);
  m.count_request(0, "POST", 429);
  m.count_request(m.unmatched(), "GET", 404);
  m.count_request(m.unmatched(), "BREW", 404);  // unknown method: "other"
  m.count_request(1, "GET", 418);               // a status the server never sends: "other"
  m.count_auth_ok();
  m.count_auth_error(errc::expired);
  m.count_auth_error(errc::expired);
  m.count_auth_error(errc::store_unavailable);
  m.count_login(login_result::ok);
  m.count_login(login_result::throttled);
  m.count_connection_refused(true);
  m.count_connection_refused(true);
  m.count_connection_refused(false);

  const std::string text = m.exposition();
  const std::string counters = text.substr(0, text.find("# HELP jwtfort_http_request_duration"));
  EXPECT_EQ(counters,
            "# HELP jwtfort_http_requests_total HTTP requests by matched route, method and "
            "status.\n"
            "# TYPE jwtfort_http_requests_total counter\n"
            "jwtfort_http_requests_total{route=\"/login\",method=\"POST\",status=\"429\"} 1\n"
            "jwtfort_http_requests_total{route=\"/protected\",method=\"GET\",status=\"200\"} 2\n"
            "jwtfort_http_requests_total{route=\"/protected\",method=\"GET\",status=\"401\"} 1\n"
            "jwtfort_http_requests_total{route=\"/protected\",method=\"GET\",status=\"other\"} 1\n"
            "jwtfort_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"
            "jwtfort_http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1\n"
            "# HELP jwtfort_auth_outcomes_total Authentication decisions: ok, or the error code "
            "of the refusal.\n"
            "# TYPE jwtfort_auth_outcomes_total counter\n"
            "jwtfort_auth_outcomes_total{outcome=\"ok\"} 1\n"
            "jwtfort_auth_outcomes_total{outcome=\"expired\"} 2\n"
            "jwtfort_auth_outcomes_total{outcome=\"store_unavailable\"} 1\n"
            "# HELP jwtfort_logins_total Login attempts by result.\n"
            "# TYPE jwtfort_logins_total counter\n"
            "jwtfort_logins_total{result=\"ok\"} 1\n"
            "jwtfort_logins_total{result=\"throttled\"} 1\n"
            "# HELP jwtfort_connections_refused_total Connections closed at once because a "
            "connection cap was reached, by cap.\n"
            "# TYPE jwtfort_connections_refused_total counter\n"
            "jwtfort_connections_refused_total{cap=\"total\"} 1\n"
            "jwtfort_connections_refused_total{cap=\"address\"} 2\n");
}

TEST(metrics, a_duration_on_a_bound_falls_in_that_bucket) {
  metrics m(routes);
  m.observe_duration(nanoseconds(100'000));  // exactly 0.0001 s
  EXPECT_EQ(bucket_counts(m.exposition()), std::vector<std::string>(15, "1"));
  m.observe_duration(nanoseconds(100'001));  // just above: the next bucket
  std::vector<std::string> expected(15, "2");
  expected[0] = "1";
  EXPECT_EQ(bucket_counts(m.exposition()), expected);
}

TEST(metrics, every_bucket_edge) {
  for (std::size_t i = 0; i < metrics::bucket_bounds_ns.size(); ++i) {
    metrics m(routes);
    m.observe_duration(nanoseconds(metrics::bucket_bounds_ns[i]));
    m.observe_duration(nanoseconds(metrics::bucket_bounds_ns[i] + 1));
    const std::vector<std::string> counts = bucket_counts(m.exposition());
    ASSERT_EQ(counts.size(), 15U);
    for (std::size_t b = 0; b < counts.size(); ++b) {
      const char* want = b < i ? "0" : b == i ? "1" : "2";
      EXPECT_EQ(counts[b], want) << "bound " << metrics::bucket_labels[i] << ", bucket " << b;
    }
  }
}

TEST(metrics, beyond_the_last_bound_only_inf_counts) {
  metrics m(routes);
  m.observe_duration(std::chrono::seconds(3));
  std::vector<std::string> expected(15, "0");
  expected.back() = "1";
  const std::string text = m.exposition();
  EXPECT_EQ(bucket_counts(text), expected);
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_sum"),
            "jwtfort_http_request_duration_seconds_sum 3");
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_count"),
            "jwtfort_http_request_duration_seconds_count 1");
}

TEST(metrics, sum_and_count_in_seconds) {
  metrics m(routes);
  m.observe_duration(nanoseconds(150'000));
  m.observe_duration(nanoseconds(2'000'000));
  m.observe_duration(nanoseconds(-5));  // a clock step back counts as zero
  const std::string text = m.exposition();
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_sum"),
            "jwtfort_http_request_duration_seconds_sum 0.00215");
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_count"),
            "jwtfort_http_request_duration_seconds_count 3");
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_bucket{le=\"0.0001\"}"),
            "jwtfort_http_request_duration_seconds_bucket{le=\"0.0001\"} 1");
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_bucket{le=\"0.0025\"}"),
            "jwtfort_http_request_duration_seconds_bucket{le=\"0.0025\"} 3");
}

TEST(metrics, concurrent_recording_loses_nothing) {
  metrics m(routes);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 10000; ++i) {
        m.count_request(1, "GET", 200);
        m.observe_duration(nanoseconds(1000));
      }
    });
  for (std::thread& t : threads) t.join();
  const std::string text = m.exposition();
  EXPECT_EQ(
      line_of(text, "jwtfort_http_requests_total{route=\"/protected\""),
      "jwtfort_http_requests_total{route=\"/protected\",method=\"GET\",status=\"200\"} 40000");
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_count"),
            "jwtfort_http_request_duration_seconds_count 40000");
  EXPECT_EQ(line_of(text, "jwtfort_http_request_duration_seconds_sum"),
            "jwtfort_http_request_duration_seconds_sum 0.04");
}

TEST(metrics, the_verified_cache_series_come_after_the_histogram) {
  const metrics m(routes, [] {
    return verified_cache_stats{
        .hits = 7, .misses = 3, .evictions = 2, .expired = 1, .entries = 4, .bytes = 5120};
  });
  const std::string text = m.exposition();
  const std::size_t at = text.find(empty_histogram);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(text.substr(at + empty_histogram.size()),
            "# HELP jwtfort_verified_cache_hits_total Token checks answered from the "
            "verified-token cache.\n"
            "# TYPE jwtfort_verified_cache_hits_total counter\n"
            "jwtfort_verified_cache_hits_total 7\n"
            "# HELP jwtfort_verified_cache_misses_total Token checks that verified the token's "
            "signature.\n"
            "# TYPE jwtfort_verified_cache_misses_total counter\n"
            "jwtfort_verified_cache_misses_total 3\n"
            "# HELP jwtfort_verified_cache_evictions_total Verified-token cache entries dropped to "
            "make room.\n"
            "# TYPE jwtfort_verified_cache_evictions_total counter\n"
            "jwtfort_verified_cache_evictions_total 2\n"
            "# HELP jwtfort_verified_cache_expired_total Verified-token cache entries dropped "
            "because their token expired.\n"
            "# TYPE jwtfort_verified_cache_expired_total counter\n"
            "jwtfort_verified_cache_expired_total 1\n"
            "# HELP jwtfort_verified_cache_entries Tokens in the verified-token cache.\n"
            "# TYPE jwtfort_verified_cache_entries gauge\n"
            "jwtfort_verified_cache_entries 4\n"
            "# HELP jwtfort_verified_cache_bytes Estimated bytes held by the verified-token "
            "cache.\n"
            "# TYPE jwtfort_verified_cache_bytes gauge\n"
            "jwtfort_verified_cache_bytes 5120\n");
}

// One label set per configured issuer, zeros included; an issuer is a label value, escaped.
TEST(metrics, trusted_issuer_series_come_last_one_per_issuer) {
  metrics m(routes);
  m.watch_issuers([] {
    return std::vector<issuer_stats>{
        {.issuer = "https://a.example.com",
         .fetches = 3,
         .fetch_failures = 1,
         .accepted = 10,
         .rejected = 2,
         .ready = true},
        {.issuer = "https://b.example.com/\"x\\y\nz", .ready = false},
    };
  });
  const std::string text = m.exposition();
  const std::size_t at = text.find(empty_histogram);
  ASSERT_NE(at, std::string::npos);
  const std::string b = "https://b.example.com/\\\"x\\\\y\\nz";
  EXPECT_EQ(
      text.substr(at + empty_histogram.size()),
      "# HELP jwtfort_oidc_tokens_total Tokens of a trusted issuer, by issuer and result "
      "(the reason of a refusal is in jwtfort_auth_outcomes_total).\n"
      "# TYPE jwtfort_oidc_tokens_total counter\n"
      "jwtfort_oidc_tokens_total{issuer=\"https://a.example.com\",result=\"accepted\"} 10\n"
      "jwtfort_oidc_tokens_total{issuer=\"" +
          b +
          "\",result=\"accepted\"} 0\n"
          "jwtfort_oidc_tokens_total{issuer=\"https://a.example.com\",result=\"rejected\"} 2\n"
          "jwtfort_oidc_tokens_total{issuer=\"" +
          b +
          "\",result=\"rejected\"} 0\n"
          "# HELP jwtfort_oidc_fetches_total Discovery and JWKS requests to a trusted issuer.\n"
          "# TYPE jwtfort_oidc_fetches_total counter\n"
          "jwtfort_oidc_fetches_total{issuer=\"https://a.example.com\"} 3\n"
          "jwtfort_oidc_fetches_total{issuer=\"" +
          b +
          "\"} 0\n"
          "# HELP jwtfort_oidc_fetch_failures_total Discovery and JWKS requests to a trusted "
          "issuer that failed or were refused.\n"
          "# TYPE jwtfort_oidc_fetch_failures_total counter\n"
          "jwtfort_oidc_fetch_failures_total{issuer=\"https://a.example.com\"} 1\n"
          "jwtfort_oidc_fetch_failures_total{issuer=\"" +
          b +
          "\"} 0\n"
          "# HELP jwtfort_oidc_issuer_ready 1 when a trusted issuer has keys young enough to "
          "verify with, else 0.\n"
          "# TYPE jwtfort_oidc_issuer_ready gauge\n"
          "jwtfort_oidc_issuer_ready{issuer=\"https://a.example.com\"} 1\n"
          "jwtfort_oidc_issuer_ready{issuer=\"" +
          b + "\"} 0\n");
}

}  // namespace
}  // namespace jwtfort::server
