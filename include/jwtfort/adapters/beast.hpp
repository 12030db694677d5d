#pragma once
/// Boost.Beast glue for `http::authenticator`: a Beast request in, a `decision` out, and a
/// refusal turned into a Beast response. Header-only: Beast is the application's dependency, not
/// jwtfort's (jwtfort::http links no framework). Link jwtfort::http and Boost::headers.
///
/// The authenticator matches routes on the request target's path as it came off the wire; route
/// the request on that same path, or normalize the target before both.
///
/// Example:
///   namespace bhttp = boost::beast::http;
///   bhttp::response<bhttp::string_body> handle(const http::authenticator& auth,
///                                              const bhttp::request<bhttp::string_body>& req) {
///     http::decision d = adapters::beast::authenticate(auth, req);
///     if (const auto* denied = d.challenge())
///       return adapters::beast::challenge_response(*denied, req.version(), req.keep_alive());
///     bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
///     res.body() = d.principal() ? std::string(d.principal()->subject()) : "anonymous";
///     res.prepare_payload();
///     return res;
///   }
#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/http/request_view.hpp"

namespace jwtfort::adapters::beast {

namespace detail {

inline std::string_view to_std(boost::beast::string_view text) noexcept {
  return {text.data(), text.size()};
}

// Views of a request's header fields. Typical requests carry far fewer fields than the inline
// capacity, so their views stay on the stack and authenticating allocates nothing; a request
// with more spills into a vector rather than losing fields (a dropped duplicate Authorization
// header would hide an ambiguity the authenticator must refuse).
class header_views {
 public:
  template <class Fields>
  explicit header_views(const Fields& fields) {
    for (const auto& field : fields) {
      const http::header_field view{to_std(field.name_string()), to_std(field.value())};
      if (size_ < inline_.size()) {
        inline_[size_] = view;
      } else {
        if (spilled_.empty()) spilled_.assign(inline_.begin(), inline_.end());
        spilled_.push_back(view);
      }
      ++size_;
    }
  }
  header_views(const header_views&) = delete;
  header_views& operator=(const header_views&) = delete;

  std::span<const http::header_field> fields() const noexcept {
    if (!spilled_.empty()) return spilled_;
    return {inline_.data(), size_};
  }

 private:
  std::array<http::header_field, 32> inline_{};
  std::vector<http::header_field> spilled_;
  std::size_t size_ = 0;
};

template <class Body, class Fields>
http::request_view view_of(const boost::beast::http::request<Body, Fields>& request,
                           const header_views& headers) noexcept {
  return {.method = to_std(request.method_string()),
          .target = to_std(request.target()),
          .headers = headers.fields()};
}

}  // namespace detail

/// Authenticates `request` with the authenticator's route table (excluded paths, then the first
/// matching rule, then the default requirement). The decision owns everything it holds; the
/// request may go away afterwards.
///
/// Example:
///   http::decision d = adapters::beast::authenticate(*auth, request);
///   if (const http::principal* caller = d.principal()) log(caller->subject());
template <class Body, class Fields>
http::decision authenticate(const http::authenticator& auth,
                            const boost::beast::http::request<Body, Fields>& request) {
  const detail::header_views headers(request);
  return auth.decide(detail::view_of(request, headers));
}

/// Authenticates `request` against one rule, ignoring the route table: for an endpoint whose
/// requirement is fixed, like a refresh endpoint.
///
/// Example:
///   static const http::route_rule refresh{.need = http::requirement::refresh};
///   http::decision d = adapters::beast::authenticate(*auth, request, refresh);
template <class Body, class Fields>
http::decision authenticate(const http::authenticator& auth,
                            const boost::beast::http::request<Body, Fields>& request,
                            const http::route_rule& rule) {
  const detail::header_views headers(request);
  return auth.decide(detail::view_of(request, headers), rule);
}

/// The response for a refusal: its status, `WWW-Authenticate` (when the status takes one),
/// `Cache-Control: no-store` (an authentication answer is about one caller and one moment) and
/// the `{"detail": ...}` JSON body, with Content-Length set. `version` and `keep_alive` come from
/// the request being answered.
///
/// Example:
///   if (const auto* denied = d.challenge())
///     return adapters::beast::challenge_response(*denied, req.version(), req.keep_alive());
inline boost::beast::http::response<boost::beast::http::string_body> challenge_response(
    const http::challenge& refusal, unsigned version, bool keep_alive) {
  namespace bhttp = boost::beast::http;
  bhttp::response<bhttp::string_body> response{bhttp::status::unauthorized, version};
  response.result(static_cast<unsigned>(refusal.status));
  if (!refusal.www_authenticate.empty()) {
    response.set(bhttp::field::www_authenticate, refusal.www_authenticate);
  }
  response.set(bhttp::field::content_type, "application/json");
  response.set(bhttp::field::cache_control, "no-store");
  response.keep_alive(keep_alive);
  response.body() = refusal.body();
  response.prepare_payload();
  return response;
}

/// Adds one `Set-Cookie` field per value, e.g. those of `http::access_cookies()` or
/// `http::unset_cookies()` (cookies.hpp).
///
/// Example:
///   auto set = http::access_cookies(jar, access_token);
///   if (set) adapters::beast::add_cookies(response, *set);
template <class Body, class Fields>
void add_cookies(boost::beast::http::response<Body, Fields>& response,
                 const std::vector<std::string>& set_cookie_values) {
  for (const std::string& value : set_cookie_values) {
    response.insert(boost::beast::http::field::set_cookie, value);
  }
}

}  // namespace jwtfort::adapters::beast
