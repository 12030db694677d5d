#pragma once
// The claims fast path of the JSON wrapper (json.hpp): a one-pass reader for the common claims
// object, header-only so the verifier's visitor is inlined into it. It decides nothing about
// strictness on its own: it reads a strict subset of RFC 8259 (printable ASCII, strings without
// escapes, short integers, literals, arrays of those, one level of object) and declines all
// else, which then goes to the full parser (json.cpp), the one that accepts the rest and names
// every error. tests/unit/json_test.cpp and tests/fuzz/fuzz_claims_json.cpp hold it to that.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/json.hpp"

namespace jwtfort::json {

/// One member value seen by read_flat_object.
struct flat_value {
  enum kind_t : std::uint8_t { string, integer, literal, array } kind;
  /// string: its bytes (there are no escapes to resolve); integer and literal: the token's text;
  /// array: the text from '[' to ']' inclusive.
  std::string_view text;
  std::int64_t number = 0;   // integer: the value
  std::size_t count = 0;     // array: the number of elements
  bool all_strings = false;  // array: every element is a string
};

/// A fast path for the common claims object: at most 1024 bytes of printable ASCII (spaces, but
/// no tab or line break) making a top-level object of at most 16 members whose names and string
/// values have no escapes, whose numbers are integers of at most 18 digits, and whose arrays
/// hold only such scalars. Returns true when the whole text
/// is such an object, within `lim`, without duplicate names, and `visit` accepted every member:
/// then it is valid JSON that parse_object would accept with the same members. Returns false
/// for anything else, valid or not, and parse_object must decide; nothing is an error here.
/// `data` must be readable 16 bytes past `len` (a scratch_buffer is). `visit(name, value)` is
/// called once per member, in document order; returning false stops the read (and the caller
/// uses parse_object). A template, so the visitor is inlined into the one pass.
template <class Visitor>
bool read_flat_object(const unsigned char* data, std::size_t len, const limits& lim,
                      Visitor&& visit);

namespace flat_detail {

// Reads the subset read_flat_object documents. Every method returns false on anything outside
// it; none reports an error, since the full parser runs next and names it.
inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// The value of eight ASCII digits read as one little-endian word, or nullopt when any byte is
// not a digit. A byte is a digit when its high nibble is 3 and adding 6 leaves it at 3 (so the
// low nibble is at most 9). The digits are then combined pairwise: into 2-digit, 4-digit and
// finally one 8-digit value, each step one multiply and one mask.
inline std::optional<std::int64_t> eight_digits(const unsigned char* p) {
  std::uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  constexpr std::uint64_t high = 0xf0f0f0f0f0f0f0f0, threes = 0x3030303030303030;
  if ((w & high) != threes || ((w + 0x0606060606060606) & high) != threes) return std::nullopt;
  w -= threes;
  w = (w * 10 + (w >> 8)) & 0x00ff00ff00ff00ff;      // pairs: d0d1, d2d3, ... in 16-bit lanes
  w = (w * 100 + (w >> 16)) & 0x0000ffff0000ffff;    // quads in 32-bit lanes
  w = (w * 10000 + (w >> 32)) & 0x00000000ffffffff;  // all eight
  return static_cast<std::int64_t>(w);
}

// The reader takes documents up to this size; larger ones go to the full parser.
inline constexpr std::size_t max_flat_bytes = 1024;
inline constexpr std::size_t max_flat_words = max_flat_bytes / 64;

// Where the quotes are, one bit per byte, found before parsing in one pass of 16-byte compares
// that also proves there is no backslash, no byte below 0x20 (so no tab or line break either)
// and no byte above 0x7f anywhere: then every quote delimits a string, and a string's end is the
// next quote bit. Parsing string by string instead would chain each string's end to a load that
// depends on the previous one's.
struct quote_bits {
  std::uint64_t words[max_flat_words];
  std::size_t count = 0;

  // False when the text has a byte the reader leaves to the full parser. The text must be
  // readable 16 bytes past `len`; those bytes are ignored. 64 bytes make one word of each mask.
  bool find(const unsigned char* data, std::size_t len) {
    count = (len + 63) / 64;
    std::uint64_t special = 0;
    for (std::size_t w = 0; w < count; ++w) {
      std::uint64_t quotes = 0, others = 0;
      for (std::size_t k = 0; k < 64 && w * 64 + k < len; k += 16) {
        const auto [q, o] = classify16(data + w * 64 + k);
        quotes |= static_cast<std::uint64_t>(q) << k;
        others |= static_cast<std::uint64_t>(o) << k;
      }
      const std::size_t left = len - w * 64;
      const std::uint64_t valid = left >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << left) - 1;
      words[w] = quotes & valid;
      special |= others & valid;
    }
    return special == 0;
  }

  // For 16 bytes: the quotes, and the bytes that are a backslash, below 0x20 or above 0x7f.
  static std::pair<unsigned, unsigned> classify16(const unsigned char* p) {
#if defined(__SSE2__)
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto quotes =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('"'))));
    // Signed compare: bytes >= 0x80 are negative, so below 0x20 too.
    const auto others = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')), _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)))));
    return {quotes, others};
#else
    unsigned quotes = 0, others = 0;
    for (unsigned j = 0; j < 16; ++j) {
      quotes |= static_cast<unsigned>(p[j] == '"') << j;
      others |= static_cast<unsigned>(p[j] == '\\' || p[j] < 0x20 || p[j] >= 0x80) << j;
    }
    return {quotes, others};
#endif
  }

  // The position of the first quote at or after `at`, or npos.
  std::size_t next(std::size_t at) const {
    std::size_t w = at / 64;
    if (w >= count) return std::string_view::npos;
    std::uint64_t bits = words[w] & (~std::uint64_t{0} << (at % 64));
    while (bits == 0) {
      if (++w == count) return std::string_view::npos;
      bits = words[w];
    }
    return w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits));
  }
};

class flat_reader {
 public:
  flat_reader(const unsigned char* data, std::size_t len, const quote_bits& quotes)
      : begin_(data), p_(data), end_(data + len), quotes_(quotes) {}

  bool at_end() const { return p_ == end_; }
  unsigned char peek() const { return p_ == end_ ? 0 : *p_; }

  // Line breaks and tabs were refused up front, so a space is the only whitespace left.
  void skip_space() {
    while (p_ < end_ && *p_ == ' ') ++p_;
  }

  bool consume(unsigned char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // A string: its bytes are 0x20..0x7f other than '"' and '\\' (checked up front), so its text
  // is its value, and it ends at the next quote.
  bool string(std::string_view& out) {
    if (!consume('"')) return false;
    const std::size_t start = static_cast<std::size_t>(p_ - begin_);
    const std::size_t stop = quotes_.next(start);
    if (stop == std::string_view::npos) return false;
    out = {reinterpret_cast<const char*>(p_), stop - start};
    p_ = begin_ + stop + 1;
    return true;
  }

  // -?(0|[1-9][0-9]*), at most 18 digits (so within int64), and not "-0".
  bool integer(std::int64_t& out) {
    const bool negative = consume('-');
    const unsigned char* digits = p_;
    std::int64_t v = 0;
    // Eight digits at a time where eight are there (a NumericDate has ten), then one at a time.
    if (end_ - p_ >= 8)
      if (auto eight = eight_digits(p_)) {
        v = *eight;
        p_ += 8;
      }
    while (p_ < end_ && is_digit(*p_) && p_ - digits < 18) v = v * 10 + (*p_++ - '0');
    const std::ptrdiff_t n = p_ - digits;
    if (n == 0 || (p_ < end_ && is_digit(*p_)) || (*digits == '0' && (n > 1 || negative)))
      return false;
    out = negative ? -v : v;
    return true;
  }

  // Constant-length compares, which the compiler turns into one or two integer compares.
  bool literal(std::string_view& out) {
    const auto left = static_cast<std::size_t>(end_ - p_);
    std::size_t n = 0;
    if (left >= 4 && std::memcmp(p_, "true", 4) == 0)
      n = 4;
    else if (left >= 5 && std::memcmp(p_, "false", 5) == 0)
      n = 5;
    else if (left >= 4 && std::memcmp(p_, "null", 4) == 0)
      n = 4;
    else
      return false;
    out = {reinterpret_cast<const char*>(p_), n};
    p_ += n;
    return true;
  }

  // A string, an integer or a literal.
  bool scalar(flat_value& v) {
    if (p_ == end_) return false;
    const unsigned char c = *p_;
    if (c == '"') {
      v.kind = flat_value::string;
      return string(v.text);
    }
    const unsigned char* start = p_;
    if (c == '-' || is_digit(c)) {
      v.kind = flat_value::integer;
      if (!integer(v.number)) return false;
      v.text = {reinterpret_cast<const char*>(start), static_cast<std::size_t>(p_ - start)};
      return true;
    }
    v.kind = flat_value::literal;
    return literal(v.text);
  }

  // '[' scalars separated by ',' ']', at most `max_elements`.
  bool array(flat_value& v, std::size_t max_elements) {
    const unsigned char* start = p_;
    if (!consume('[')) return false;
    v.kind = flat_value::array;
    v.count = 0;
    v.all_strings = true;
    skip_space();
    if (!consume(']')) {
      do {
        skip_space();
        flat_value element{};
        if (!scalar(element) || ++v.count > max_elements) return false;
        v.all_strings = v.all_strings && element.kind == flat_value::string;
        skip_space();
      } while (consume(','));
      if (!consume(']')) return false;
    }
    v.text = {reinterpret_cast<const char*>(start), static_cast<std::size_t>(p_ - start)};
    return true;
  }

 private:
  const unsigned char* begin_;
  const unsigned char* p_;
  const unsigned char* end_;
  const quote_bits& quotes_;
};

inline constexpr std::size_t max_flat_members = 16;

// A member name seen so far: its first eight bytes as one word (zero past its end), so most
// names are told apart by one compare; only longer names with equal prefixes are compared whole.
struct seen_name {
  std::uint64_t prefix;
  std::string_view name;
};

// `name` lies in a buffer readable 16 bytes past the text's end, so eight bytes can be loaded.
inline std::uint64_t name_prefix(std::string_view name) {
  std::uint64_t w = 0;
  std::memcpy(&w, name.data(), sizeof w);
  // A table of masks rather than a shift by a variable count (three micro-ops on x86).
  static constexpr std::uint64_t keep[9] = {0,
                                            0xff,
                                            0xffff,
                                            0xffffff,
                                            0xffffffff,
                                            0xffffffffff,
                                            0xffffffffffff,
                                            0xffffffffffffff,
                                            ~std::uint64_t{0}};
  w &= keep[name.size() < sizeof w ? name.size() : sizeof w];
  return w;
}

inline bool is_new_name(const seen_name& name, const seen_name* seen, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    if (seen[i].prefix == name.prefix && seen[i].name.size() == name.name.size() &&
        (name.name.size() <= 8 ||
         std::memcmp(seen[i].name.data(), name.name.data(), name.name.size()) == 0))
      return false;
  return true;
}

}  // namespace flat_detail

template <class Visitor>
bool read_flat_object(const unsigned char* data, std::size_t len, const limits& lim,
                      Visitor&& visit) {
  using namespace flat_detail;
  if (len > lim.max_bytes || len > max_flat_bytes || lim.max_depth < 1) return false;
  quote_bits quotes;
  if (!quotes.find(data, len)) return false;
  flat_reader r(data, len, quotes);
  r.skip_space();
  if (!r.consume('{')) return false;
  seen_name names[max_flat_members];
  std::uint64_t taken = 0;
  std::size_t count = 0;
  r.skip_space();
  if (!r.consume('}')) {
    do {
      r.skip_space();
      std::string_view name;
      if (!r.string(name) || count == max_flat_members || count == lim.max_members) return false;
      const seen_name seen{name_prefix(name), name};
      // A 64-bit filter of the prefixes seen: only a name whose bit is taken is compared with
      // the names before it (distinct claim names rarely share a bit).
      const std::uint64_t bit = std::uint64_t{1} << ((seen.prefix * 0x9e3779b97f4a7c15u) >> 58);
      if ((taken & bit) != 0 && !is_new_name(seen, names, count)) return false;
      taken |= bit;
      names[count++] = seen;
      r.skip_space();
      if (!r.consume(':')) return false;
      r.skip_space();
      flat_value v{};
      // An array is a second level of nesting.
      const bool ok =
          r.peek() == '[' ? lim.max_depth >= 2 && r.array(v, lim.max_members) : r.scalar(v);
      if (!ok || !visit(std::string_view(name), std::as_const(v))) return false;
      r.skip_space();
    } while (r.consume(','));
    if (!r.consume('}')) return false;
  }
  r.skip_space();
  return r.at_end();
}

}  // namespace jwtfort::json
