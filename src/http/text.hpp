#pragma once
// ASCII helpers shared by the HTTP sources. HTTP names and schemes are ASCII and compared
// case-insensitively in place: no lowercase copies on the request path.

#include <cstddef>
#include <string_view>

namespace jwtfort::http::text {

inline constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality (RFC 9110 §5.1 field names, §11.1 auth schemes).
inline constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// `tchar` of RFC 9110 §5.6.2: the characters of field names, methods and auth schemes.
inline constexpr bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// A non-empty `token` (RFC 9110 §5.6.2).
inline constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

/// Control characters (CTL, RFC 5234 B.1): never allowed where a value ends up in a header.
inline constexpr bool is_ctl(char c) noexcept {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

/// `s` without optional whitespace (SP / HTAB, RFC 9110 §5.6.3) on either side.
inline constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace jwtfort::http::text
