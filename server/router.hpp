#pragma once
// The router: one request in, one response out. Pure request handling: no socket, no clock of
// its own (time is the token service's and the throttle's), so tests drive it directly. It checks
// the target, finds the route, answers 404/405, and hands the request to the route's handler;
// the session around it owns I/O, timeouts and keep-alive.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app.hpp"

namespace jwtfort::server {

struct field {
  std::string name;
  std::string value;
};

/// A request as the router sees it: everything owned, nothing tied to a framework.
struct request {
  std::string method;
  /// The request target as received (origin form: path, then optionally `?query`).
  std::string target;
  std::vector<field> headers;
  std::string body;
  /// The socket peer's address, without port.
  std::string client;
  /// The HTTP version, 10 * major + minor (11 for HTTP/1.1).
  unsigned version = 11;
};

struct response {
  int status = 200;
  std::vector<field> headers;
  std::string body;

  // For the log and metrics; never sent.
  /// The route pattern that took the request, or "unmatched".
  std::string_view route = "unmatched";
  /// The authenticated caller, when there is one.
  std::string subject;
  /// True when an authentication or login decision was taken.
  bool decided = false;
  /// Why it refused, when it did.
  std::optional<errc> refused;
  /// The token of an accepted WebSocket upgrade (101): the connection keeps checking it.
  std::optional<verified_token> token;

  /// "ok" or the errc wire name of the decision; empty when none was taken.
  std::string_view outcome() const noexcept;

  /// The first header `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

/// The largest request body any route accepts, in bytes.
inline constexpr std::size_t max_body_bytes = 16 * 1024;

/// The route patterns, in table order (the metrics' route labels).
std::span<const std::string_view> route_patterns();

/// The address a request comes from: the socket peer, or, when the server is told to trust a
/// proxy, the last `X-Forwarded-For` entry (the one that proxy appended).
std::string_view client_address(const request& r, bool trust_forwarded_for);

class router {
 public:
  explicit router(application& app) : app_(app) {}

  /// Answers `r`. Never throws for a bad request; only allocation failure can throw.
  response handle(const request& r) const;

 private:
  application& app_;
};

}  // namespace jwtfort::server
