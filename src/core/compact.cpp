#include "core/compact.hpp"

#include <array>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#elif defined(__SSE2__)
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

// What one pass over a token learns: whether every character is base64url or '.', how many
// dots there are, and where the first two are.
struct token_scan {
  bool clean = true;
  std::size_t dots = 0;
  std::size_t first = std::string_view::npos, second = std::string_view::npos;

  void note_dot(std::size_t at) {
    if (dots == 0) first = at;
    if (dots == 1) second = at;
    ++dots;
  }
};

#if defined(__SSE2__)
// Notes the dots of a vector compare, given as a lane bit mask, lane 0 at offset base.
void note_dots(unsigned mask, std::size_t base, token_scan& s) {
  for (; mask != 0; mask &= mask - 1)
    s.note_dot(base + static_cast<std::size_t>(__builtin_ctz(mask)));
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define JWTFORT_HAVE_AVX2_SCAN 1
__attribute__((target("avx2"), always_inline)) inline __m256i in_range_avx2(__m256i x, char lo,
                                                                            int n) {
  const __m256i shifted = _mm256_add_epi8(x, _mm256_set1_epi8(static_cast<char>(-128 - lo)));
  return _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(-128 + n)), shifted);
}

// Checks 32 characters: folds "each is base64url or a dot" into ok_all and returns the dot lanes
// as a bit mask.
__attribute__((target("avx2"), always_inline)) inline unsigned classify_avx2(const char* p,
                                                                             __m256i& ok_all) {
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i lower = _mm256_or_si256(x, _mm256_set1_epi8(0x20));
  const __m256i dots = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('.'));
  __m256i ok = _mm256_or_si256(in_range_avx2(lower, 'a', 26), in_range_avx2(x, '0', 10));
  ok = _mm256_or_si256(ok, _mm256_cmpeq_epi8(x, _mm256_set1_epi8('-')));
  ok = _mm256_or_si256(ok, _mm256_cmpeq_epi8(x, _mm256_set1_epi8('_')));
  ok_all = _mm256_and_si256(ok_all, _mm256_or_si256(ok, dots));
  return static_cast<unsigned>(_mm256_movemask_epi8(dots));
}

// The same test 32 characters at a time, on CPUs that have AVX2 (checked once at run time).
// Returns how many characters it covered.
__attribute__((target("avx2"))) std::size_t scan_avx2(std::string_view token, token_scan& s) {
  std::size_t i = 0;
  __m256i ok_all = _mm256_set1_epi8(-1);
  for (; i + 32 <= token.size(); i += 32) note_dots(classify_avx2(token.data() + i, ok_all), i, s);
  // The tail: one more load ending at the last character. It overlaps characters already seen,
  // which are harmlessly re-checked; only dots not yet noted are taken from it.
  if (i < token.size() && token.size() >= 32) {
    const std::size_t start = token.size() - 32;
    const unsigned seen = static_cast<unsigned>(i - start);  // 1..31 lanes already scanned
    note_dots(classify_avx2(token.data() + start, ok_all) & ~((1u << seen) - 1), start, s);
    i = token.size();
  }
  s.clean = s.clean && _mm256_movemask_epi8(ok_all) == -1;
  return i;
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

token_scan scan(std::string_view token) {
  token_scan s;
  std::size_t i = 0;
#ifdef JWTFORT_HAVE_AVX2_SCAN
  if (has_avx2()) i = scan_avx2(token, s);
#endif
#if defined(__SSE2__)
  __m128i ok_all = _mm_set1_epi8(-1);
  for (; i + 16 <= token.size(); i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(token.data() + i));
    __m128i lower = _mm_or_si128(x, _mm_set1_epi8(0x20));
    __m128i dots = _mm_cmpeq_epi8(x, _mm_set1_epi8('.'));
    __m128i ok = _mm_or_si128(in_range(lower, 'a', 26), in_range(x, '0', 10));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
    ok = _mm_or_si128(ok, _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
    ok_all = _mm_and_si128(ok_all, _mm_or_si128(ok, dots));
    // Dots are rare (two in a JWT), so this loop almost never runs more than once per token.
    note_dots(static_cast<unsigned>(_mm_movemask_epi8(dots)), i, s);
  }
  s.clean = s.clean && _mm_movemask_epi8(ok_all) == 0xffff;
#endif
  for (; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    s.clean &= url_or_dot(c);
    if (c == '.') s.note_dot(i);
  }
  return s;
}

}  // namespace

result<segments> split(std::string_view token) {
  // Fast path: one pass proves every character is base64url or '.' and finds the dots; the
  // slower classification below only runs to name what is wrong with a bad token.
  const token_scan found = scan(token);
  if (!found.clean || found.dots != 2) {
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
  const std::size_t first = found.first, second = found.second;
  s.header = token.substr(0, first);
  s.payload = token.substr(first + 1, second - first - 1);
  s.signature = token.substr(second + 1);
  s.signing_input = token.substr(0, second);
  if (s.header.empty()) return error(errc::malformed_token, "token header is empty");
  return s;
}

result<std::size_t> decode_segment(std::string_view segment, json::slot slot,
                                   const json::limits& lim) {
  if (base64url::decoded_size(segment.size()) > lim.max_bytes)
    return error(errc::token_too_large, "decoded segment is larger than allowed");
  // One byte of slack for decode_into's whole-word stores.
  unsigned char* buf = json::scratch_buffer(slot, base64url::decoded_size(segment.size()) + 1);
  return base64url::decode_into(segment, buf);
}

result<json::object> decode_object(std::string_view segment, json::slot slot,
                                   const json::limits& lim, const json::member_visitor* visit) {
  auto len = decode_segment(segment, slot, lim);
  if (!len) return len.error();
  return json::parse_object(slot, json::scratch_buffer(slot, 0), *len, lim, visit);
}

}  // namespace jwtfort::compact
