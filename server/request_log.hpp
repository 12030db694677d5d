#pragma once
// The request log: one JSON object per line on stderr, one line per request, plus the server's
// own events ({"event":"shutdown"}). What a line may hold is fixed here: the path without its
// query (a query may carry a token), never a header value, a cookie, a body or a token.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "jwtfort/service/trusted_issuers.hpp"

namespace jwtfort::server {

/// One answered request.
struct log_entry {
  std::chrono::system_clock::time_point received;
  std::string_view method;
  /// The request target; the query is cut off when the line is written.
  std::string_view target;
  int status = 0;
  std::chrono::nanoseconds elapsed{0};
  std::string_view client;
  std::size_t bytes = 0;
  /// The authenticated caller; empty = left out.
  std::string_view subject;
  /// "ok" or an errc wire name; empty = no authentication took place (left out).
  std::string_view outcome;
};

class request_log {
 public:
  /// Receives each finished line, newline included, and must write it in one piece.
  using sink = std::function<void(std::string_view line)>;

  /// A log writing to stderr (one write(2) per line, so lines from several threads never
  /// interleave), or nothing at all when `enabled` is false.
  explicit request_log(bool enabled);
  request_log(bool enabled, sink out);

  bool enabled() const noexcept { return enabled_; }

  void write(const log_entry& entry) const;
  /// `{"event":"<name>"}`, or with `"detail"` when `detail` is not empty.
  void event(std::string_view name, std::string_view detail = {}) const;
  /// What a trusted issuer's fetch did: `{"event":"oidc_<kind>","issuer":...,"error":<errc wire
  /// name, for a failure>,"detail":...}`. The trusted issuers report a failure once until the
  /// next success, so a provider that stays down writes one line.
  void issuer(const issuer_event& e) const;

  /// The line for `entry`, without the newline.
  static std::string format(const log_entry& entry);

 private:
  bool enabled_;
  sink out_;
};

/// RFC 3339 UTC with milliseconds: "2026-11-23T14:00:00.123Z".
std::string format_timestamp(std::chrono::system_clock::time_point t);

}  // namespace jwtfort::server
