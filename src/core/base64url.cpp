#include "core/base64url.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace jwtfort::base64url {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = i;
  return t;
}
constexpr auto table = make_table();

}  // namespace

bool is_alphabet(char c) noexcept { return table[static_cast<unsigned char>(c)] != invalid; }

void append_encoded(std::string& out, std::string_view bytes) {
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size(), i = 0, o = out.size();
  out.resize(o + encoded_size(n));
  char* p = out.data() + o;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    *p++ = alphabet[v >> 18];
    *p++ = alphabet[(v >> 12) & 63];
    *p++ = alphabet[(v >> 6) & 63];
    *p++ = alphabet[v & 63];
  }
  if (n - i == 1) {
    std::uint32_t v = in[i] << 16;
    *p++ = alphabet[v >> 18];
    *p++ = alphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    std::uint32_t v = (in[i] << 16) | (in[i + 1] << 8);
    *p++ = alphabet[v >> 18];
    *p++ = alphabet[(v >> 12) & 63];
    *p++ = alphabet[(v >> 6) & 63];
  }
}

std::string encode(std::string_view bytes) {
  std::string out;
  append_encoded(out, bytes);
  return out;
}

// Four tables, each holding a character's 6 bits pre-shifted to its place in a 24-bit group, so a
// group decodes with four loads and three ORs. Invalid characters set bit 31 in every table.
struct decode_tables {
  std::uint32_t t[4][256];
};
constexpr decode_tables make_decode_tables() {
  decode_tables d{};
  for (int c = 0; c < 256; ++c) {
    std::uint32_t v = table[c];
    bool bad = v == invalid;
    d.t[0][c] = bad ? 0x80000000u : v << 18;
    d.t[1][c] = bad ? 0x80000000u : v << 12;
    d.t[2][c] = bad ? 0x80000000u : v << 6;
    d.t[3][c] = bad ? 0x80000000u : v;
  }
  return d;
}
constexpr decode_tables dtab = make_decode_tables();

#if defined(__x86_64__) && defined(__GNUC__)
#define JWTFORT_HAVE_AVX2_DECODE 1
// 32 characters -> 24 bytes per step with AVX2, on CPUs that have it (checked once at run time).
// Characters are mapped to their 6-bit values with range compares; any character outside the
// alphabet stops the vector loop and the scalar loop reports it. Each step stores 32 bytes: it
// runs while `spare` more characters follow (11, whose output overwrites the spill) or, when the
// caller gave decode_slack bytes of room, to the last whole 32 characters.
__attribute__((target("avx2"), always_inline)) inline __m256i range(__m256i c, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(static_cast<char>(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(hi + 1)), c));
}
__attribute__((target("avx2"), always_inline)) inline __m256i is(__m256i c, char ch) {
  return _mm256_cmpeq_epi8(c, _mm256_set1_epi8(ch));
}

__attribute__((target("avx2"))) std::size_t decode_avx2(const unsigned char* in, std::size_t n,
                                                        unsigned char* out, std::size_t& consumed,
                                                        std::size_t spare) {
  const __m256i shuffle = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                           2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i gather = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
  std::size_t i = 0, o = 0;
  for (; i + 32 + spare <= n; i += 32, o += 24) {
    __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    __m256i upper = range(c, 'A', 'Z'), lower = range(c, 'a', 'z'), digit = range(c, '0', '9');
    __m256i dash = is(c, '-'), under = is(c, '_');
    __m256i valid = _mm256_or_si256(_mm256_or_si256(upper, lower),
                                    _mm256_or_si256(digit, _mm256_or_si256(dash, under)));
    if (_mm256_movemask_epi8(valid) != -1) break;
    // Value = character + offset of its range: A-Z -65, a-z -71, 0-9 +4, '-' +17, '_' -32.
    __m256i offset = _mm256_and_si256(upper, _mm256_set1_epi8(-65));
    offset = _mm256_or_si256(offset, _mm256_and_si256(lower, _mm256_set1_epi8(-71)));
    offset = _mm256_or_si256(offset, _mm256_and_si256(digit, _mm256_set1_epi8(4)));
    offset = _mm256_or_si256(offset, _mm256_and_si256(dash, _mm256_set1_epi8(17)));
    offset = _mm256_or_si256(offset, _mm256_and_si256(under, _mm256_set1_epi8(-32)));
    __m256i v = _mm256_add_epi8(c, offset);
    // Merge 6-bit values: pairs into 12 bits, then pairs of those into 24 bits per 32-bit lane.
    __m256i pairs = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
    __m256i words = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
    __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, shuffle), gather);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + o), bytes);
  }
  consumed = i;
  return o;
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

namespace {

// `spare`: characters that must follow each vector step (11 with one byte of slack, 0 with
// decode_slack bytes).
result<std::size_t> decode_with_spare(std::string_view text, unsigned char* out,
                                      std::size_t spare) {
  const std::size_t n = text.size();
  if (n % 4 == 1) return error(errc::invalid_base64, "base64url length is 1 mod 4");
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0, o = 0;
  std::uint32_t bad = 0;
#ifdef JWTFORT_HAVE_AVX2_DECODE
  if (n >= 32 + spare && has_avx2()) o = decode_avx2(in, n, out, i, spare);
#else
  (void)spare;
#endif
  for (; i + 4 <= n; i += 4) {
    std::uint32_t v =
        dtab.t[0][in[i]] | dtab.t[1][in[i + 1]] | dtab.t[2][in[i + 2]] | dtab.t[3][in[i + 3]];
    bad |= v;
    // One 4-byte big-endian store per group; its fourth byte is overwritten by the next group
    // (hence the one byte of slack the caller provides).
    std::uint32_t be = __builtin_bswap32(v << 8);
    std::memcpy(out + o, &be, 4);
    o += 3;
  }
  if (bad & 0x80000000u)
    return error(errc::invalid_base64, "character outside the base64url alphabet");
  const std::size_t rest = n - i;
  if (rest == 0) return o;
  std::uint32_t a = table[in[i]], b = table[in[i + 1]], c = rest == 3 ? table[in[i + 2]] : 0;
  if ((a | b | c) & 0xc0)
    return error(errc::invalid_base64, "character outside the base64url alphabet");
  // Canonical form: the bits past the last whole byte must be zero (Wycheproof JWS tcId 375).
  if ((rest == 2 && (b & 0x0f)) || (rest == 3 && (c & 0x03)))
    return error(errc::invalid_base64, "base64url has non-zero trailing bits");
  std::uint32_t v = (a << 18) | (b << 12) | (c << 6);
  out[o++] = static_cast<unsigned char>(v >> 16);
  if (rest == 3) out[o++] = static_cast<unsigned char>(v >> 8);
  return o;
}

}  // namespace

result<std::size_t> decode_into(std::string_view text, unsigned char* out) {
  return decode_with_spare(text, out, 11);
}

result<std::size_t> decode_into_padded(std::string_view text, unsigned char* out) {
  return decode_with_spare(text, out, 0);
}

result<std::string> decode(std::string_view text) {
  std::string out(decoded_size(text.size()) + 1, '\0');
  auto n = decode_into(text, reinterpret_cast<unsigned char*>(out.data()));
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

}  // namespace jwtfort::base64url
