#include "jwtfort/http/request_view.hpp"

#include "http/text.hpp"

namespace jwtfort::http {
namespace {

// The first `sep`-separated piece of `rest`, which then starts after it.
std::string_view next_piece(std::string_view& rest, char sep) noexcept {
  const std::size_t end = rest.find(sep);
  std::string_view piece = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  return piece;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` (RFC 3986 §2.1), one byte at a time through `out`; false on a `%` not
// followed by two hex digits. `+` is kept: form encoding's space does not belong in a token.
template <class Out>
bool percent_decode(std::string_view in, Out out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      if (!out(in[i])) return false;
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    if (!out(static_cast<char>(hi << 4 | lo))) return false;
    i += 2;
  }
  return true;
}

// Compares the decoded form of `encoded` with `plain` without building it: names are matched
// for every parameter of the query, values decoded only for the one asked for.
bool decoded_equals(std::string_view encoded, std::string_view plain) noexcept {
  std::size_t at = 0;
  const bool ok = percent_decode(encoded, [&](char c) {
    if (at >= plain.size() || plain[at] != c) return false;
    ++at;
    return true;
  });
  return ok && at == plain.size();
}

// RFC 6265 §4.2.1: a cookie-value may be wrapped in DQUOTEs, which are not part of it.
std::string_view unquote(std::string_view value) noexcept {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    return value.substr(1, value.size() - 2);
  return value;
}

// Looks `name` up in one Cookie header; counts matches into `seen`, keeping the first value.
void scan_cookie_header(std::string_view header, std::string_view name,
                        std::optional<std::string_view>& found, int& seen) noexcept {
  while (!header.empty()) {
    std::string_view pair = text::trim_ows(next_piece(header, ';'));
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;  // not a cookie-pair: ignored, as browsers do
    if (text::trim_ows(pair.substr(0, eq)) != name) continue;
    if (seen++ == 0) found = unquote(text::trim_ows(pair.substr(eq + 1)));
  }
}

// Calls `visit` with the raw (still encoded) value of each `name=value` pair of `query` whose
// decoded name is `name`, in order, until it returns false. A pair without `=` has an empty value.
template <class Visit>
void visit_query_values(std::string_view query, std::string_view name, Visit visit) {
  while (!query.empty()) {
    std::string_view pair = next_piece(query, '&');
    const std::size_t eq = pair.find('=');
    if (!decoded_equals(pair.substr(0, eq), name)) continue;
    if (!visit(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1))) return;
  }
}

}  // namespace

std::string_view request_view::path() const noexcept { return target.substr(0, target.find('?')); }

std::string_view request_view::query() const noexcept {
  const std::size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

std::optional<std::string_view> find_header(const request_view& request, std::string_view name,
                                            bool* duplicate) noexcept {
  std::optional<std::string_view> found;
  if (duplicate != nullptr) *duplicate = false;
  for (const header_field& field : request.headers) {
    if (!text::iequals(field.name, name)) continue;
    if (!found) {
      found = field.value;
      if (duplicate == nullptr) break;
    } else {
      *duplicate = true;
      break;
    }
  }
  return found;
}

std::optional<std::string_view> find_cookie(const request_view& request, std::string_view name,
                                            bool* duplicate) noexcept {
  std::optional<std::string_view> found;
  int seen = 0;
  // RFC 6265 §5.4 sends one Cookie header, but HTTP/2 splits it (RFC 9113 §8.2.3): read all.
  for (const header_field& field : request.headers)
    if (text::iequals(field.name, "Cookie")) scan_cookie_header(field.value, name, found, seen);
  if (duplicate != nullptr) *duplicate = seen > 1;
  return found;
}

std::optional<std::string> find_query_parameter(const request_view& request, std::string_view name,
                                                bool* duplicate) {
  std::optional<std::string_view> raw;
  if (duplicate != nullptr) *duplicate = false;
  visit_query_values(request.query(), name, [&](std::string_view value) {
    if (raw) {
      if (duplicate != nullptr) *duplicate = true;
      return false;
    }
    raw = value;
    return duplicate != nullptr;  // look further only to tell a duplicate
  });
  if (!raw) return std::nullopt;
  std::string value;
  value.reserve(raw->size());
  if (!percent_decode(*raw, [&](char c) { return value.push_back(c), true; })) return std::nullopt;
  return value;
}

result<std::vector<std::string>> find_query_parameters(const request_view& request,
                                                       std::string_view name) {
  std::vector<std::string> values;
  bool decoded = true;
  visit_query_values(request.query(), name, [&](std::string_view raw) {
    std::string& value = values.emplace_back();
    decoded = percent_decode(raw, [&](char c) { return value.push_back(c), true; });
    return decoded;
  });
  if (!decoded)
    return error(errc::malformed_token,
                 "query parameter '" + std::string(name) + "': malformed percent-encoding");
  return values;
}

}  // namespace jwtfort::http
