#pragma once
// The private JSON wrapper. simdjson is the parser; no public header sees it. Only this wrapper
// decides strictness: RFC 8259 text, UTF-8 validated, one object at the top, no duplicate
// member names at any depth, bounded depth and member count.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jwtfort/result.hpp"

namespace jwtfort::json {

using object = simdjson::dom::object;
using value = simdjson::dom::element;

struct limits {
  std::size_t max_depth;    // 1 = a flat object
  std::size_t max_members;  // per object or array
  std::size_t max_bytes;
};

inline constexpr limits header_limits{3, 64, 4096};
inline constexpr limits claims_limits{32, 256, 65536};
inline constexpr limits document_limits{32, 4096, 1 << 20};  // JWK/JWKS and claims from callers

/// Which thread-local parser to use; values parsed by one stay valid until that slot parses again.
enum class slot { header, payload, scratch };

/// A buffer with simdjson's required padding, reused per thread and slot.
unsigned char* scratch_buffer(slot s, std::size_t size);

/// Called once per top-level member during the strictness pass, so a caller that reads the
/// members does not walk the object a second time. An error stops the parse.
struct member_visitor {
  result<void> (*fn)(void* context, std::string_view name, const value& v);
  void* context;
};

/// Parses `len` bytes at `data` (a scratch_buffer of that slot, or any text) as a strict object.
result<object> parse_object(slot s, const unsigned char* data, std::size_t len, const limits& lim,
                            const member_visitor* visit = nullptr);
result<object> parse_object(slot s, std::string_view text, const limits& lim);

/// Parses any JSON value text (for claims given by callers), strict and without duplicates.
result<value> parse_value(slot s, std::string_view text, const limits& lim);

/// Compact text of a value.
std::string to_text(const value& v);

/// Member lookup: the value, or nullopt when absent.
inline std::optional<value> find(const object& o, std::string_view name) {
  value v;
  if (o.at_key(name).get(v) != simdjson::SUCCESS) return std::nullopt;
  return v;
}

/// String member: nullopt when absent; an error `code` naming the member when not a string.
result<std::optional<std::string_view>> string_member(const object& o, std::string_view name,
                                                      errc code);

/// A NumericDate (RFC 7519 §2): a finite JSON number in [0, 253402300799]. Fractions are kept.
/// `name` is the claim's name, for the message.
result<double> numeric_date(const value& v, std::string_view name);

}  // namespace jwtfort::json
