#pragma once
// Counters and the request duration histogram of the reference server, exposed in the Prometheus
// text format 0.0.4. Every label set is bounded: routes come from the router's fixed table (plus
// "unmatched"), methods from a short list (plus "other"), statuses from the codes the server
// sends, outcomes from errc. Recording is one relaxed atomic increment: no lock, no allocation.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/error.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/service/trusted_issuers.hpp"

namespace jwtfort::server {

/// How a login attempt ended, for `jwtfort_logins_total`.
enum class login_result { ok, invalid_credentials, throttled };

class metrics {
 public:
  /// Upper bounds of the duration histogram, in seconds as written in the `le` label.
  static constexpr std::array<std::string_view, 14> bucket_labels = {
      "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
      "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1",     "2.5"};
  /// The same bounds in nanoseconds: observations compare as integers, so a duration exactly on
  /// a bound lands in that bucket (`le` is "less than or equal").
  static constexpr std::array<std::int64_t, 14> bucket_bounds_ns = {
      100'000,    250'000,    500'000,     1'000'000,   2'500'000,   5'000'000,     10'000'000,
      25'000'000, 50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000};

  /// `routes` are the route patterns, in the router's order; index `routes.size()` is
  /// "unmatched". `cache_stats`, when set, is read on every exposition for the
  /// `jwtfort_verified_cache_*` series.
  explicit metrics(std::span<const std::string_view> routes,
                   std::function<verified_cache_stats()> cache_stats = {});

  /// Reads `open` on every exposition for the `jwtfort_connections_open` gauge. Call before the
  /// server's threads start.
  void watch_connections(std::function<std::size_t()> open) { open_connections_ = std::move(open); }
  /// Reads `stats` on every exposition for the `jwtfort_oidc_*` series, one label set per
  /// configured issuer. Call before the server's threads start.
  void watch_issuers(std::function<std::vector<issuer_stats>()> stats) {
    issuer_stats_ = std::move(stats);
  }

  /// The index of "unmatched", for requests no route took.
  std::size_t unmatched() const noexcept { return routes_.size(); }

  void count_request(std::size_t route, std::string_view method, int status) noexcept;
  /// An authentication decision: ok, or refused with `code`.
  void count_auth_ok() noexcept;
  void count_auth_error(errc code) noexcept;
  void count_login(login_result result) noexcept;
  /// A connection refused at the total cap, or at its address's cap.
  void count_connection_refused(bool at_address_cap) noexcept;
  void observe_duration(std::chrono::nanoseconds elapsed) noexcept;

  /// Every series in the text exposition format 0.0.4; counters that are still zero are left
  /// out, the histogram is always complete.
  std::string exposition() const;

 private:
  static constexpr std::size_t group_width = 32;  // errc values per hundred (error.hpp ranges)
  static constexpr std::size_t outcome_slots = 7 * group_width;

  std::atomic<std::uint64_t>& request_counter(std::size_t route, std::size_t method,
                                              std::size_t status) const noexcept;
  void append_requests(std::string& out) const;
  void append_auth(std::string& out) const;
  void append_logins(std::string& out) const;
  void append_connections(std::string& out) const;
  void append_histogram(std::string& out) const;
  void append_verified_cache(std::string& out) const;
  void append_issuers(std::string& out) const;

  std::vector<std::string> routes_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> requests_;
  std::atomic<std::uint64_t> auth_ok_{0};
  std::array<std::atomic<std::uint64_t>, outcome_slots> auth_errors_{};
  std::array<std::atomic<std::uint64_t>, 3> logins_{};
  std::array<std::atomic<std::uint64_t>, 2> connections_refused_{};
  std::array<std::atomic<std::uint64_t>, bucket_bounds_ns.size() + 1> buckets_{};
  std::atomic<std::uint64_t> duration_sum_ns_{0};
  std::function<verified_cache_stats()> cache_stats_;
  std::function<std::size_t()> open_connections_;
  std::function<std::vector<issuer_stats>()> issuer_stats_;
};

/// The content type of `metrics::exposition()`.
inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4";

}  // namespace jwtfort::server
