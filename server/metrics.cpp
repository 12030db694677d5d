#include "metrics.hpp"

#include <charconv>
#include <system_error>
#include <utility>

namespace jwtfort::server {
namespace {

// Label values outside these lists fold into "other": a client choosing methods must not be
// able to grow the series count.
constexpr std::array<std::string_view, 8> methods = {"GET",    "HEAD",  "POST",    "PUT",
                                                     "DELETE", "PATCH", "OPTIONS", "other"};
constexpr std::array<int, 17> statuses = {101, 200, 204, 400, 401, 403, 404, 405, 408,
                                          413, 415, 422, 426, 429, 431, 500, 503};
constexpr std::size_t status_slots = statuses.size() + 1;  // the last one is "other"

constexpr std::array<std::string_view, 3> login_labels = {"ok", "invalid_credentials", "throttled"};
constexpr std::array<std::string_view, 2> refusal_labels = {"total", "address"};

std::size_t method_index(std::string_view method) noexcept {
  for (std::size_t i = 0; i + 1 < methods.size(); ++i)
    if (methods[i] == method) return i;
  return methods.size() - 1;
}

std::size_t status_index(int status) noexcept {
  for (std::size_t i = 0; i < statuses.size(); ++i)
    if (statuses[i] == status) return i;
  return statuses.size();
}

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

// Shortest text that reads back as the same double (what Prometheus clients print).
void append_seconds(std::string& out, std::uint64_t nanoseconds) {
  char digits[32];
  const double seconds = static_cast<double>(nanoseconds) / 1e9;
  out.append(digits, std::to_chars(digits, digits + sizeof digits, seconds).ptr);
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

std::uint64_t load(const std::atomic<std::uint64_t>& counter) noexcept;

// The non-zero counters of one family with one label: `name{label="value"} n`.
template <std::size_t N>
void append_labelled(std::string& out, std::string_view name, std::string_view label,
                     const std::array<std::string_view, N>& values,
                     const std::array<std::atomic<std::uint64_t>, N>& counters) {
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint64_t n = load(counters[i]);
    if (n == 0) continue;
    out.append(name).append("{").append(label).append("=\"").append(values[i]).append("\"} ");
    append_number(out, n);
    out += '\n';
  }
}

std::uint64_t load(const std::atomic<std::uint64_t>& counter) noexcept {
  return counter.load(std::memory_order_relaxed);
}

}  // namespace

metrics::metrics(std::span<const std::string_view> routes,
                 std::function<verified_cache_stats()> cache_stats)
    : routes_(routes.begin(), routes.end()),
      requests_(
          new std::atomic<std::uint64_t>[(routes.size() + 1) * methods.size() * status_slots] {}),
      cache_stats_(std::move(cache_stats)) {}

std::atomic<std::uint64_t>& metrics::request_counter(std::size_t route, std::size_t method,
                                                     std::size_t status) const noexcept {
  return requests_[(route * methods.size() + method) * status_slots + status];
}

void metrics::count_request(std::size_t route, std::string_view method, int status) noexcept {
  if (route > routes_.size()) route = unmatched();
  request_counter(route, method_index(method), status_index(status))
      .fetch_add(1, std::memory_order_relaxed);
}

void metrics::count_auth_ok() noexcept { auth_ok_.fetch_add(1, std::memory_order_relaxed); }

void metrics::count_auth_error(errc code) noexcept {
  const auto value = static_cast<std::size_t>(code);
  const std::size_t group = value / 100, offset = value % 100;
  if (group >= 7 || offset >= group_width) return;  // not an errc this build knows
  auth_errors_[group * group_width + offset].fetch_add(1, std::memory_order_relaxed);
}

void metrics::count_login(login_result result) noexcept {
  logins_[static_cast<std::size_t>(result)].fetch_add(1, std::memory_order_relaxed);
}

void metrics::count_connection_refused(bool at_address_cap) noexcept {
  connections_refused_[at_address_cap ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
}

void metrics::observe_duration(std::chrono::nanoseconds elapsed) noexcept {
  const std::int64_t ns = elapsed.count() < 0 ? 0 : elapsed.count();
  std::size_t bucket = 0;
  while (bucket < bucket_bounds_ns.size() && ns > bucket_bounds_ns[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  duration_sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

void metrics::append_requests(std::string& out) const {
  append_family(out, "jwtfort_http_requests_total", "counter",
                "HTTP requests by matched route, method and status.");
  for (std::size_t r = 0; r <= routes_.size(); ++r) {
    const std::string_view route = r < routes_.size() ? std::string_view(routes_[r]) : "unmatched";
    for (std::size_t m = 0; m < methods.size(); ++m) {
      for (std::size_t s = 0; s < status_slots; ++s) {
        const std::uint64_t n = load(request_counter(r, m, s));
        if (n == 0) continue;
        out.append("jwtfort_http_requests_total{route=\"").append(route);
        out.append("\",method=\"").append(methods[m]).append("\",status=\"");
        if (s < statuses.size()) {
          append_number(out, static_cast<std::uint64_t>(statuses[s]));
        } else {
          out.append("other");
        }
        out.append("\"} ");
        append_number(out, n);
        out += '\n';
      }
    }
  }
}

void metrics::append_auth(std::string& out) const {
  append_family(out, "jwtfort_auth_outcomes_total", "counter",
                "Authentication decisions: ok, or the error code of the refusal.");
  auto line = [&](std::string_view outcome, std::uint64_t n) {
    if (n == 0) return;
    out.append("jwtfort_auth_outcomes_total{outcome=\"").append(outcome).append("\"} ");
    append_number(out, n);
    out += '\n';
  };
  line("ok", load(auth_ok_));
  for (std::size_t i = 0; i < auth_errors_.size(); ++i)
    line(to_string(static_cast<errc>(static_cast<int>(i / group_width * 100 + i % group_width))),
         load(auth_errors_[i]));
}

void metrics::append_logins(std::string& out) const {
  append_family(out, "jwtfort_logins_total", "counter", "Login attempts by result.");
  append_labelled(out, "jwtfort_logins_total", "result", login_labels, logins_);
}

void metrics::append_connections(std::string& out) const {
  append_family(out, "jwtfort_connections_refused_total", "counter",
                "Connections closed at once because a connection cap was reached, by cap.");
  append_labelled(out, "jwtfort_connections_refused_total", "cap", refusal_labels,
                  connections_refused_);
  if (!open_connections_) return;
  append_family(out, "jwtfort_connections_open", "gauge",
                "Connections open now, HTTP and WebSocket, this one included.");
  out.append("jwtfort_connections_open ");
  append_number(out, open_connections_());
  out += '\n';
}

void metrics::append_histogram(std::string& out) const {
  constexpr std::string_view name = "jwtfort_http_request_duration_seconds";
  append_family(out, name, "histogram",
                "Time from a request fully read to its response written, in seconds.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += load(buckets_[i]);
    const std::string_view le = i < bucket_labels.size() ? bucket_labels[i] : "+Inf";
    out.append(name).append("_bucket{le=\"").append(le).append("\"} ");
    append_number(out, cumulative);
    out += '\n';
  }
  out.append(name).append("_sum ");
  append_seconds(out, load(duration_sum_ns_));
  out.append("\n").append(name).append("_count ");
  append_number(out, cumulative);  // the +Inf bucket, so the two always agree
  out += '\n';
}

// Read from the token service when asked rather than counted here: the cache keeps its own
// counters under its shard locks.
void metrics::append_verified_cache(std::string& out) const {
  if (!cache_stats_) return;
  const verified_cache_stats stats = cache_stats_();
  auto series = [&](std::string_view name, std::string_view type, std::string_view help,
                    std::uint64_t value) {
    append_family(out, name, type, help);
    out.append(name).append(" ");
    append_number(out, value);
    out += '\n';
  };
  series("jwtfort_verified_cache_hits_total", "counter",
         "Token checks answered from the verified-token cache.", stats.hits);
  series("jwtfort_verified_cache_misses_total", "counter",
         "Token checks that verified the token's signature.", stats.misses);
  series("jwtfort_verified_cache_evictions_total", "counter",
         "Verified-token cache entries dropped to make room.", stats.evictions);
  series("jwtfort_verified_cache_expired_total", "counter",
         "Verified-token cache entries dropped because their token expired.", stats.expired);
  series("jwtfort_verified_cache_entries", "gauge", "Tokens in the verified-token cache.",
         stats.entries);
  series("jwtfort_verified_cache_bytes", "gauge",
         "Estimated bytes held by the verified-token cache.", stats.bytes);
}

namespace {

// A label value as the exposition format writes it: backslash, double quote and line feed
// escaped. Issuers are configured, not sent by clients, so the label set stays bounded.
void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

// Read from the trusted issuers when asked, like the verified cache: they count their own
// fetches and outcomes. Every configured issuer has its lines, zeros included, so a dashboard
// sees an issuer that never answered.
void metrics::append_issuers(std::string& out) const {
  if (!issuer_stats_) return;
  const std::vector<issuer_stats> issuers = issuer_stats_();
  auto series = [&](std::string_view name, std::string_view extra_label, auto value) {
    for (const issuer_stats& s : issuers) {
      out.append(name).append("{issuer=\"");
      append_label_value(out, s.issuer);
      out.append("\"").append(extra_label).append("} ");
      append_number(out, value(s));
      out += '\n';
    }
  };
  append_family(out, "jwtfort_oidc_tokens_total", "counter",
                "Tokens of a trusted issuer, by issuer and result (the reason of a refusal is in "
                "jwtfort_auth_outcomes_total).");
  series("jwtfort_oidc_tokens_total", ",result=\"accepted\"",
         [](const issuer_stats& s) { return s.accepted; });
  series("jwtfort_oidc_tokens_total", ",result=\"rejected\"",
         [](const issuer_stats& s) { return s.rejected; });
  append_family(out, "jwtfort_oidc_fetches_total", "counter",
                "Discovery and JWKS requests to a trusted issuer.");
  series("jwtfort_oidc_fetches_total", "", [](const issuer_stats& s) { return s.fetches; });
  append_family(out, "jwtfort_oidc_fetch_failures_total", "counter",
                "Discovery and JWKS requests to a trusted issuer that failed or were refused.");
  series("jwtfort_oidc_fetch_failures_total", "",
         [](const issuer_stats& s) { return s.fetch_failures; });
  append_family(out, "jwtfort_oidc_issuer_ready", "gauge",
                "1 when a trusted issuer has keys young enough to verify with, else 0.");
  series("jwtfort_oidc_issuer_ready", "",
         [](const issuer_stats& s) { return std::uint64_t{s.ready ? 1U : 0U}; });
}

std::string metrics::exposition() const {
  std::string out;
  out.reserve(4096);
  append_requests(out);
  append_auth(out);
  append_logins(out);
  append_connections(out);
  append_histogram(out);
  append_verified_cache(out);
  append_issuers(out);
  return out;
}

}  // namespace jwtfort::server
