#include "core/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

// The views' link to simdjson: a view stores the bytes of a simdjson DOM handle (a document
// pointer and a tape index), copied in and out.
namespace jwtfort::json::detail {

// A view stores the simdjson handle's bytes; both sides must agree on the size and the handle
// must be a plain value (simdjson's DOM handles are a document pointer and a tape index).
template <class Handle>
inline constexpr bool fits_node =
    sizeof(Handle) <= sizeof(node) &&
    alignof(Handle) <= alignof(node) && std::is_trivially_copyable_v<Handle>;
static_assert(fits_node<simdjson::dom::element> && fits_node<simdjson::dom::object> &&
              fits_node<simdjson::dom::array> && fits_node<simdjson::dom::object::iterator> &&
              fits_node<simdjson::dom::array::iterator>);

struct access {
  template <class Handle, class View>
  static Handle handle(const View& v) noexcept {
    Handle h;
    std::memcpy(static_cast<void*>(&h), v.node_.bytes, sizeof h);
    return h;
  }
  template <class View, class Handle>
  static View view(const Handle& h) noexcept {
    View v;
    std::memcpy(v.node_.bytes, static_cast<const void*>(&h), sizeof h);
    return v;
  }
};

inline simdjson::dom::element element_of(const value& v) noexcept {
  return access::handle<simdjson::dom::element>(v);
}
inline simdjson::dom::object object_of(const object& o) noexcept {
  return access::handle<simdjson::dom::object>(o);
}
inline simdjson::dom::array array_of(const array& a) noexcept {
  return access::handle<simdjson::dom::array>(a);
}
inline value to_value(simdjson::dom::element e) noexcept { return access::view<value>(e); }
inline object to_object(simdjson::dom::object o) noexcept { return access::view<object>(o); }
inline array to_array(simdjson::dom::array a) noexcept { return access::view<array>(a); }

}  // namespace jwtfort::json::detail

namespace jwtfort::json {

// --- views ---------------------------------------------------------------------------------------

using detail::array_of;
using detail::element_of;
using detail::object_of;

std::optional<std::string_view> value::as_string() const noexcept {
  std::string_view s;
  if (element_of(*this).get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return s;
}

std::optional<std::int64_t> value::as_int64() const noexcept {
  std::int64_t i = 0;
  if (element_of(*this).get_int64().get(i) != simdjson::SUCCESS) return std::nullopt;
  return i;
}

std::optional<bool> value::as_bool() const noexcept {
  bool b = false;
  if (element_of(*this).get_bool().get(b) != simdjson::SUCCESS) return std::nullopt;
  return b;
}

std::optional<object> value::as_object() const noexcept {
  simdjson::dom::object o;
  if (element_of(*this).get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  return detail::to_object(o);
}

std::optional<array> value::as_array() const noexcept {
  simdjson::dom::array a;
  if (element_of(*this).get_array().get(a) != simdjson::SUCCESS) return std::nullopt;
  return detail::to_array(a);
}

object::member object::iterator::operator*() const noexcept {
  auto it = detail::access::handle<simdjson::dom::object::iterator>(*this);
  return {it.key(), detail::to_value(it.value())};
}

object::iterator& object::iterator::operator++() noexcept {
  auto it = detail::access::handle<simdjson::dom::object::iterator>(*this);
  ++it;
  return *this = detail::access::view<iterator>(it);
}

bool object::iterator::operator==(const iterator& other) const noexcept {
  return detail::access::handle<simdjson::dom::object::iterator>(*this) ==
         detail::access::handle<simdjson::dom::object::iterator>(other);
}

object::iterator object::begin() const noexcept {
  return detail::access::view<iterator>(object_of(*this).begin());
}

object::iterator object::end() const noexcept {
  return detail::access::view<iterator>(object_of(*this).end());
}

std::size_t object::size() const noexcept { return object_of(*this).size(); }

std::optional<value> object::find(std::string_view name) const noexcept {
  simdjson::dom::element v;
  if (object_of(*this).at_key(name).get(v) != simdjson::SUCCESS) return std::nullopt;
  return detail::to_value(v);
}

value array::iterator::operator*() const noexcept {
  return detail::to_value(*detail::access::handle<simdjson::dom::array::iterator>(*this));
}

array::iterator& array::iterator::operator++() noexcept {
  auto it = detail::access::handle<simdjson::dom::array::iterator>(*this);
  ++it;
  return *this = detail::access::view<iterator>(it);
}

bool array::iterator::operator==(const iterator& other) const noexcept {
  return detail::access::handle<simdjson::dom::array::iterator>(*this) ==
         detail::access::handle<simdjson::dom::array::iterator>(other);
}

array::iterator array::begin() const noexcept {
  return detail::access::view<iterator>(array_of(*this).begin());
}

array::iterator array::end() const noexcept {
  return detail::access::view<iterator>(array_of(*this).end());
}

std::size_t array::size() const noexcept { return array_of(*this).size(); }

// --- parsing -------------------------------------------------------------------------------------

namespace {

struct thread_state {
  simdjson::dom::parser parser;
  std::unique_ptr<unsigned char[]> buffer;
  std::size_t buffer_size = 0;
  std::size_t depth = 0;
};

thread_state& state(slot s) {
  thread_local std::array<thread_state, 3> states;
  return states[static_cast<std::size_t>(s)];
}

error parse_error(simdjson::error_code e) {
  switch (e) {
    case simdjson::DEPTH_ERROR:
      return {errc::json_too_complex, "JSON nesting is deeper than allowed"};
    case simdjson::CAPACITY:
      return {errc::json_too_complex, "JSON document is larger than allowed"};
    case simdjson::UTF8_ERROR: return {errc::invalid_json, "JSON is not valid UTF-8"};
    case simdjson::UNESCAPED_CHARS:
      return {errc::invalid_json, "JSON string contains an unescaped control character"};
    case simdjson::STRING_ERROR:
      return {errc::invalid_json, "JSON string has an invalid escape or lone surrogate"};
    case simdjson::NUMBER_ERROR:
      return {errc::invalid_json, "JSON number is invalid or out of range"};
    default:
      return {errc::invalid_json, std::string("JSON is invalid: ") + simdjson::error_message(e)};
  }
}

// Length, first and last byte of a member name: equal names give equal prints, and distinct
// claim names rarely collide, so full compares are rare.
std::uint64_t fingerprint(std::string_view key) {
  if (key.empty()) return 0;
  return (static_cast<std::uint64_t>(key.size()) << 16) |
         (static_cast<std::uint64_t>(static_cast<unsigned char>(key.front())) << 8) |
         static_cast<unsigned char>(key.back());
}

// RFC 7515 §10.12 / RFC 7519 §4 allow "reject or last wins"; jwtfort rejects, at every depth,
// so no two parsers can read different values from one token.
result<void> check_members(simdjson::dom::element v, const limits& lim,
                           const member_visitor* visit) {
  if (v.is_object()) {
    simdjson::dom::object o = v.get_object().value_unsafe();
    std::size_t count = o.size();
    if (count > lim.max_members)
      return error(errc::json_too_complex, "JSON object has more members than allowed");
    // Small objects are the norm (a JWT has ~10 claims): names are filtered by a 64-bit set of
    // fingerprint hashes, and only a name whose bit is already taken is compared with the names
    // before it (fingerprints first, full compares on a fingerprint match).
    const char* names[16];  // left uninitialised on purpose: only [0, i) is read
    std::uint64_t prints[16];
    std::uint64_t taken = 0;
    std::vector<std::string_view> seen_large;
    std::size_t i = 0;
    // Explicit iterators: building simdjson's key_value_pair per member costs a store-forwarding
    // stall on every iteration.
    for (auto it = o.begin(); it != o.end(); ++it) {
      std::string_view key = it.key();
      if (count <= 16) {
        const std::uint64_t print = fingerprint(key);
        const std::uint64_t bit = std::uint64_t{1} << ((print ^ (print >> 8) ^ (print >> 16)) & 63);
        if (taken & bit)
          for (std::size_t j = 0; j < i; ++j)
            if (prints[j] == print && std::memcmp(names[j], key.data(), key.size()) == 0)
              return error(errc::duplicate_member, "duplicate member name in JSON object");
        taken |= bit;
        names[i] = key.data();
        prints[i] = print;
      } else {
        seen_large.push_back(key);
      }
      ++i;
      simdjson::dom::element member = it.value();
      if (visit != nullptr)
        if (auto r = visit->fn(visit->context, key, detail::to_value(member)); !r) return r;
      const auto type = member.type();
      if (type != simdjson::dom::element_type::OBJECT && type != simdjson::dom::element_type::ARRAY)
        continue;
      if (auto r = check_members(member, lim, nullptr); !r) return r;
    }
    if (count > 16) {
      std::sort(seen_large.begin(), seen_large.end());
      if (std::adjacent_find(seen_large.begin(), seen_large.end()) != seen_large.end())
        return error(errc::duplicate_member, "duplicate member name in JSON object");
    }
  } else if (v.is_array()) {
    auto a = v.get_array().value_unsafe();
    if (a.size() > lim.max_members)
      return error(errc::json_too_complex, "JSON array has more elements than allowed");
    for (simdjson::dom::element item : a)
      if (item.is_object() || item.is_array())
        if (auto r = check_members(item, lim, nullptr); !r) return r;
  }
  return {};
}

result<simdjson::dom::element> parse(slot s, const unsigned char* data, std::size_t len,
                                     const limits& lim, const member_visitor* visit = nullptr) {
  if (len > lim.max_bytes) return error(errc::json_too_complex, "JSON is larger than allowed");
  thread_state& st = state(s);
  if (st.depth != lim.max_depth || st.parser.capacity() < lim.max_bytes) {
    std::size_t capacity = std::max(st.parser.capacity(), lim.max_bytes);
    // simdjson counts the document root as one level, so a flat object needs a depth of 2.
    if (st.parser.allocate(capacity, lim.max_depth + 1) != simdjson::SUCCESS)
      return error(errc::internal_error, "cannot allocate the JSON parser");
    st.depth = lim.max_depth;
  }
  simdjson::dom::element root;
  if (auto e = st.parser.parse(data, len, false).get(root); e != simdjson::SUCCESS)
    return parse_error(e);
  if (!root.is_object()) visit = nullptr;
  if (auto r = check_members(root, lim, visit); !r) return r.error();
  return root;
}

}  // namespace

unsigned char* scratch_buffer(slot s, std::size_t size) {
  thread_state& st = state(s);
  if (st.buffer_size < size) {
    st.buffer_size = std::max<std::size_t>(size, 4096);
    st.buffer.reset(new unsigned char[st.buffer_size + simdjson::SIMDJSON_PADDING]);
    std::memset(st.buffer.get() + st.buffer_size, 0, simdjson::SIMDJSON_PADDING);
  }
  return st.buffer.get();
}

namespace {
// simdjson reads past the end of its input, so text from a caller is copied into the slot's
// padded buffer first.
unsigned char* padded_copy(slot s, std::string_view text) {
  unsigned char* buf = scratch_buffer(s, text.size());
  if (!text.empty()) std::memcpy(buf, text.data(), text.size());  // an empty view may be null
  return buf;
}
}  // namespace

result<value> parse_value(slot s, std::string_view text, const limits& lim) {
  if (text.size() > lim.max_bytes)
    return error(errc::json_too_complex, "JSON is larger than allowed");
  auto root = parse(s, padded_copy(s, text), text.size(), lim);
  if (!root) return root.error();
  return detail::to_value(*root);
}

result<object> parse_object(slot s, const unsigned char* data, std::size_t len, const limits& lim,
                            const member_visitor* visit) {
  auto root = parse(s, data, len, lim, visit);
  if (!root) return root.error();
  if (!root->is_object()) return error(errc::invalid_json, "JSON text is not an object");
  return detail::to_object(root->get_object().value_unsafe());
}

result<object> parse_object(slot s, std::string_view text, const limits& lim) {
  if (text.size() > lim.max_bytes)
    return error(errc::json_too_complex, "JSON is larger than allowed");
  return parse_object(s, padded_copy(s, text), text.size(), lim);
}

std::string to_text(const value& v) { return simdjson::minify(element_of(v)); }

result<std::optional<std::string_view>> string_member(const object& o, std::string_view name,
                                                      errc code) {
  auto v = find(o, name);
  if (!v) return std::optional<std::string_view>{};
  auto s = v->as_string();
  if (!s) return error(code, "\"" + std::string(name) + "\" must be a string");
  return s;
}

result<double> numeric_date(const value& v, std::string_view name) {
  double d = 0;
  const simdjson::dom::element e = element_of(v);
  switch (e.type()) {
    case simdjson::dom::element_type::INT64:
      d = static_cast<double>(e.get_int64().value_unsafe());
      break;
    case simdjson::dom::element_type::UINT64:
      d = static_cast<double>(e.get_uint64().value_unsafe());
      break;
    case simdjson::dom::element_type::DOUBLE: d = e.get_double().value_unsafe(); break;
    default:
      // A string, boolean, null, array or object is invalid, never "absent" (CVE-2026-25537).
      return error(errc::invalid_claim,
                   "\"" + std::string(name) + "\" must be a NumericDate number");
  }
  // Range-check before any integer conversion: casting a huge double to int64 is UB.
  if (!std::isfinite(d) || d < 0 || d > 253402300799.0)
    return error(errc::invalid_claim, "\"" + std::string(name) + "\" is out of range");
  return d;
}

}  // namespace jwtfort::json
