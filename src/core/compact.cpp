#include "core/compact.hpp"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/base64url.hpp"

namespace jwtfort::compact {
namespace {

// Character classes of a compact token, so one pass finds dots and stray characters.
enum : unsigned char { url = 1, dot = 2, std_b64 = 4, other = 8 };
constexpr std::array<unsigned char, 256> make_classes() {
  std::array<unsigned char, 256> t{};
  for (auto& c : t) c = other;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = url;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = url;
  for (int c = '0'; c <= '9'; ++c) t[c] = url;
  t['-'] = t['_'] = url;
  t['.'] = dot;
  t['+'] = t['/'] = t['='] = std_b64;
  return t;
}
constexpr auto char_class = make_classes();

bool url_or_dot(unsigned char c) {
  // Bitwise, not short-circuit: base64 text is random, so a branch per character would
  // mispredict half the time.
  return (static_cast<unsigned char>((c | 0x20) - 'a') < 26) |
         (static_cast<unsigned char>(c - '0') < 10) | (c == '-') | (c == '_') | (c == '.');
}

#if defined(__SSE2__)
// 16 characters at a time. SSE2 compares are signed, so each range [lo, lo+n) is shifted to
// start at -128 and tested with one signed less-than.
__m128i in_range(__m128i x, char lo, int n) {
  const __m128i shifted = _mm_add_epi8(x, _mm_set1_epi8(static_cast<char>(-128 - lo)));
  return _mm_cmplt_epi8(shifted, _mm_set1_epi8(static_cast<char>(-128 + n)));
}
#endif

bool all_url_or_dot(std::string_view token) {
  std::size_t i = 0;
#if defined(__SSE2__)
  __m128i ok_all = _mm_set1_epi8(-1);
  for (; i + 16 <= token.size(); i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(token.data() + i));
    __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
    __m128i ok = _mm_or_si128(in_range(lower, 'a', 26), in_range(x, '0', 10));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('.')));
    ok_all = _mm_and_si128(ok_all, ok);
  }
  if (_mm_movemask_epi8(ok_all) != 0xffff) return false;
#endif
  bool ok = true;
  for (; i < token.size(); ++i) ok &= url_or_dot(static_cast<unsigned char>(token[i]));
  return ok;
}

}  // namespace

result<segments> split(std::string_view token) {
  // Fast path: one branch-free pass proves every character is base64url or '.'; the slower
  // classification below only runs to name what is wrong with a bad token.
  const bool bad = !all_url_or_dot(token);
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  const bool three = second != std::string_view::npos &&
                     token.find('.', second + 1) == std::string_view::npos;
  if (bad || !three) {
    std::size_t ndots = 0;
    bool std_chars = false, other_chars = false;
    for (char c : token) {
      unsigned char cls = char_class[static_cast<unsigned char>(c)];
      ndots += cls == dot;
      std_chars = std_chars || cls == std_b64;
      other_chars = other_chars || cls == other;
    }
    if (other_chars) return error(errc::malformed_token, "token has characters outside base64url");
    if (ndots != 2)
      return error(errc::malformed_token, ndots == 4 ? "JWE tokens are not accepted"
                                                     : "token must have exactly three segments");
    return error(errc::invalid_base64, "token uses padding or the standard alphabet");
  }
  segments s;
  s.header = token.substr(0, first);
  s.payload = token.substr(first + 1, second - first - 1);
  s.signature = token.substr(second + 1);
  s.signing_input = token.substr(0, second);
  if (s.header.empty()) return error(errc::malformed_token, "token header is empty");
  return s;
}

result<json::object> decode_object(std::string_view segment, json::slot slot,
                                   const json::limits& lim, const json::member_visitor* visit) {
  if (base64url::decoded_size(segment.size()) > lim.max_bytes)
    return error(errc::token_too_large, "decoded segment is larger than allowed");
  unsigned char* buf = json::scratch_buffer(slot, base64url::decoded_size(segment.size()) + 1);
  auto len = base64url::decode_into(segment, buf);
  if (!len) return len.error();
  return json::parse_object(slot, buf, *len, lim, visit);
}

}  // namespace jwtfort::compact
