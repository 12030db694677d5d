#pragma once
/// cpp-httplib glue for `http::authenticator`: authenticate a `httplib::Request`, write a refusal
/// into a `httplib::Response`, or wrap a handler so that it only runs for allowed callers.
/// Header-only: cpp-httplib is the application's dependency, not jwtfort's (jwtfort::http links
/// no framework). Link jwtfort::http and cpp-httplib.
///
/// Lifetime: the handlers `protect()` returns hold a reference to the authenticator, so the
/// authenticator must outlive the server (create it before the server, destroy it after
/// `listen()` has returned).
///
/// Example:
///   auto auth = http::authenticator::create(service, std::move(options));
///   httplib::Server server;
///   server.Get("/me", adapters::httplib::protect(*auth, [](const httplib::Request&,
///                                                          httplib::Response& res,
///                                                          const http::principal* caller) {
///     res.set_content(caller ? std::string(caller->subject()) : "anonymous", "text/plain");
///   }));
///   server.listen("127.0.0.1", 8080);
#include <httplib.h>

#include <concepts>
#include <string>
#include <utility>
#include <vector>

#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/http/request_view.hpp"

namespace jwtfort::adapters::httplib {

namespace detail {

// A request_view of a httplib request, and the storage it points into.
class request_parts {
 public:
  explicit request_parts(const ::httplib::Request& request) : target_(routed_target(request)) {
    fields_.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) fields_.push_back({name, value});
    view_ = {.method = request.method, .target = target_, .headers = fields_};
  }
  request_parts(const request_parts&) = delete;
  request_parts& operator=(const request_parts&) = delete;

  const http::request_view& view() const noexcept { return view_; }

 private:
  // httplib routes on `Request::path`, the percent-decoded path, so the authenticator must match
  // that same path rather than the raw target: otherwise `GET /%61dmin` would reach the `/admin`
  // handler under the rule of a path that no rule names. A `?` that decoding produced (from
  // `%3F`) is escaped again so that it cannot end the path early; the query is the raw one,
  // which the authenticator decodes itself.
  static std::string routed_target(const ::httplib::Request& request) {
    std::string target;
    target.reserve(request.path.size() + request.target.size());
    for (const char c : request.path) {
      if (c == '?') {
        target += "%3F";
      } else {
        target += c;
      }
    }
    if (const auto query = request.target.find('?'); query != std::string::npos) {
      target.append(request.target, query);
    }
    return target;
  }

  std::string target_;
  std::vector<http::header_field> fields_;
  http::request_view view_;
};

}  // namespace detail

/// Authenticates `request` with the authenticator's route table (excluded paths, then the first
/// matching rule, then the default requirement). Routes are matched on `Request::path`, the
/// path httplib itself routes on.
///
/// Example:
///   http::decision d = adapters::httplib::authenticate(*auth, req);
///   if (const auto* denied = d.challenge()) return adapters::httplib::apply(*denied, res);
inline http::decision authenticate(const http::authenticator& auth,
                                   const ::httplib::Request& request) {
  const detail::request_parts parts(request);
  return auth.decide(parts.view());
}

/// Authenticates `request` against one rule, ignoring the route table: for an endpoint whose
/// requirement is fixed, like a refresh endpoint.
///
/// Example:
///   static const http::route_rule refresh{.need = http::requirement::refresh};
///   http::decision d = adapters::httplib::authenticate(*auth, req, refresh);
inline http::decision authenticate(const http::authenticator& auth,
                                   const ::httplib::Request& request,
                                   const http::route_rule& rule) {
  const detail::request_parts parts(request);
  return auth.decide(parts.view(), rule);
}

/// Writes a refusal into `response`: its status, `WWW-Authenticate` (when the status takes one),
/// `Cache-Control: no-store` (an authentication answer is about one caller and one moment) and
/// the `{"detail": ...}` body as `application/json`.
///
/// Example:
///   if (const auto* denied = d.challenge()) return adapters::httplib::apply(*denied, res);
inline void apply(const http::challenge& refusal, ::httplib::Response& response) {
  response.status = refusal.status;
  if (!refusal.www_authenticate.empty()) {
    response.set_header("WWW-Authenticate", refusal.www_authenticate);
  }
  response.set_header("Cache-Control", "no-store");
  response.set_content(refusal.body(), "application/json");
}

/// Adds one `Set-Cookie` header per value, e.g. those of `http::access_cookies()` or
/// `http::unset_cookies()` (cookies.hpp).
///
/// Example:
///   auto set = http::access_cookies(jar, access_token);
///   if (set) adapters::httplib::add_cookies(res, *set);
inline void add_cookies(::httplib::Response& response,
                        const std::vector<std::string>& set_cookie_values) {
  for (const std::string& value : set_cookie_values) response.set_header("Set-Cookie", value);
}

/// What `protect()` wraps: `handler(request, response, caller)`, where `caller` is the
/// authenticated principal, or null for an anonymous caller (an excluded path, or an optional
/// route without a token). It runs on httplib's worker threads, concurrently.
template <class Handler>
concept protected_handler = std::copy_constructible<Handler> &&
    std::invocable<const Handler&, const ::httplib::Request&, ::httplib::Response&,
                   const http::principal*>;

/// A httplib handler that authenticates each request with the route table and calls `handler`
/// only when the caller is allowed; otherwise it answers with the refusal (`apply`). The
/// returned handler refers to `auth`, which must outlive the server.
///
/// Example:
///   server.Get("/admin", adapters::httplib::protect(*auth, [](const httplib::Request&,
///                                                             httplib::Response& res,
///                                                             const http::principal* caller) {
///     res.set_content("hello, " + std::string(caller->subject()), "text/plain");
///   }));
template <protected_handler Handler>
::httplib::Server::Handler protect(const http::authenticator& auth, Handler handler) {
  return [&auth, handler = std::move(handler)](const ::httplib::Request& request,
                                               ::httplib::Response& response) {
    const http::decision outcome = authenticate(auth, request);
    if (const http::challenge* refusal = outcome.challenge()) {
      apply(*refusal, response);
      return;
    }
    handler(request, response, outcome.principal());
  };
}

/// As `protect(auth, handler)`, against one rule instead of the route table (the rule's `path`
/// and `methods` are not consulted). The returned handler keeps its own copy of `rule`.
///
/// Example:
///   server.Post("/refresh", adapters::httplib::protect(
///       *auth, {.need = http::requirement::refresh}, refresh_handler));
template <protected_handler Handler>
::httplib::Server::Handler protect(const http::authenticator& auth, http::route_rule rule,
                                   Handler handler) {
  return [&auth, rule = std::move(rule), handler = std::move(handler)](
             const ::httplib::Request& request, ::httplib::Response& response) {
    const http::decision outcome = authenticate(auth, request, rule);
    if (const http::challenge* refusal = outcome.challenge()) {
      apply(*refusal, response);
      return;
    }
    handler(request, response, outcome.principal());
  };
}

}  // namespace jwtfort::adapters::httplib
