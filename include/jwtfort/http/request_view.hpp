#pragma once
/// `request_view`: the parts of an HTTP request that authentication reads, as views into the
/// caller's buffers. Adapters (jwtfort/adapters/beast.hpp, httplib.hpp) fill one from their
/// framework's request; tests build one by hand. Nothing here owns memory or touches a socket.
///
/// Example:
///   std::array<http::header_field, 1> fields{{{"Authorization", "Bearer eyJ..."}}};
///   http::request_view request{.method = "GET", .target = "/me?x=1", .headers = fields};
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jwtfort/export.hpp"
#include "jwtfort/result.hpp"

namespace jwtfort::http {

struct header_field {
  std::string_view name;
  std::string_view value;
};

struct request_view {
  /// "GET", "POST"... as sent (methods are case-sensitive, RFC 9110 §9.1).
  std::string_view method;
  /// The request target in origin form: the path, then optionally `?` and the query.
  std::string_view target;
  /// Every header field in the order received; a name may appear more than once.
  std::span<const header_field> headers;

  /// The target without its query.
  JWTFORT_API std::string_view path() const noexcept;
  /// The target's query without the `?`, empty when absent.
  JWTFORT_API std::string_view query() const noexcept;
};

/// The value of the header `name` (case-insensitive). Nullopt when absent; `duplicate` is set
/// (when given) if the header appears more than once, which authentication treats as an error.
JWTFORT_API std::optional<std::string_view> find_header(const request_view& request,
                                                        std::string_view name,
                                                        bool* duplicate = nullptr) noexcept;

/// The value of cookie `name` in the request's `Cookie` headers (RFC 6265 §5.4 syntax), or
/// nullopt. A cookie sent twice is reported through `duplicate`.
JWTFORT_API std::optional<std::string_view> find_cookie(const request_view& request,
                                                        std::string_view name,
                                                        bool* duplicate = nullptr) noexcept;

/// The percent-decoded value of query parameter `name` (the first, when repeated), or nullopt.
/// `+` stays `+` (tokens never contain spaces). A malformed escape yields nullopt. A parameter
/// sent twice is reported through `duplicate`.
JWTFORT_API std::optional<std::string> find_query_parameter(const request_view& request,
                                                            std::string_view name,
                                                            bool* duplicate = nullptr);

/// Every value of query parameter `name`, in the order sent, each percent-decoded as above;
/// empty when the parameter is absent. Names are compared decoded (`r%6Fles` is `roles`).
/// Strict where `find_query_parameter` is lenient: a parameter meant to add requirements must
/// not lose a value, so one that cannot be decoded fails the whole lookup.
/// Errors: malformed_token: a value of `name` has a `%` not followed by two hex digits (the
/// error of a token sent so; callers reading other parameters name their own).
/// Example:
///   auto roles = http::find_query_parameters(request, "roles");  // ?roles=a&roles=b
///   if (!roles) return refuse(roles.error());                       // {"a", "b"} otherwise
JWTFORT_API result<std::vector<std::string>> find_query_parameters(const request_view& request,
                                                                   std::string_view name);

}  // namespace jwtfort::http
