#pragma once
// The private JSON wrapper. simdjson is the parser, and only json.cpp sees it: the rest of the
// library reads values through the small views below. Only this wrapper decides strictness: RFC
// 8259 text, UTF-8 validated, one object at the top, no duplicate member names at any depth,
// bounded depth and member count.
//
// Views point into the thread-local parser of the slot that parsed them and stay valid until that
// slot parses again; copying one copies two words, never the text.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "jwtfort/result.hpp"

namespace jwtfort::json {

class object;
class array;

namespace detail {
// The parser's handle on one node of a parsed document: two words, copied as bytes. Its layout
// is the parser's business (json.cpp checks the size), so nothing here can read it.
struct node {
  alignas(void*) unsigned char bytes[2 * sizeof(void*)];
};
struct access;
}  // namespace detail

/// One JSON value of a parsed document.
class value {
 public:
  value() noexcept = default;

  /// The string's bytes, escapes resolved; nullopt when the value is not a string.
  std::optional<std::string_view> as_string() const noexcept;
  /// The integer; nullopt when the value is not an integer that fits int64.
  std::optional<std::int64_t> as_int64() const noexcept;
  /// nullopt when the value is not `true` or `false`.
  std::optional<bool> as_bool() const noexcept;
  std::optional<object> as_object() const noexcept;
  std::optional<array> as_array() const noexcept;

 private:
  friend struct detail::access;
  detail::node node_{};
};

/// A parsed JSON object. Iteration gives the members in document order.
class object {
 public:
  struct member {
    std::string_view name;
    json::value value;
  };

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = member;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = member;

    member operator*() const noexcept;
    iterator& operator++() noexcept;
    bool operator==(const iterator& other) const noexcept;

   private:
    friend struct detail::access;
    detail::node node_{};
  };

  object() noexcept = default;

  iterator begin() const noexcept;
  iterator end() const noexcept;
  std::size_t size() const noexcept;
  /// The member's value, or nullopt when absent.
  std::optional<value> find(std::string_view name) const noexcept;

 private:
  friend struct detail::access;
  detail::node node_{};
};

/// A parsed JSON array.
class array {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = json::value;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = json::value;

    json::value operator*() const noexcept;
    iterator& operator++() noexcept;
    bool operator==(const iterator& other) const noexcept;

   private:
    friend struct detail::access;
    detail::node node_{};
  };

  array() noexcept = default;

  iterator begin() const noexcept;
  iterator end() const noexcept;
  std::size_t size() const noexcept;

 private:
  friend struct detail::access;
  detail::node node_{};
};

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

/// A buffer with the parser's required padding, reused per thread and slot.
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
inline std::optional<value> find(const object& o, std::string_view name) { return o.find(name); }

/// String member: nullopt when absent; an error `code` naming the member when not a string.
result<std::optional<std::string_view>> string_member(const object& o, std::string_view name,
                                                      errc code);

/// A NumericDate (RFC 7519 §2): a finite JSON number in [0, 253402300799]. Fractions are kept.
/// `name` is the claim's name, for the message.
result<double> numeric_date(const value& v, std::string_view name);

}  // namespace jwtfort::json
