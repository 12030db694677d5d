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

namespace {

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
// alphabet stops the vector code and the scalar loop reports it. Each step stores exactly its 24
// bytes, so steps run to the last whole 32 characters; then one more step over the last 32
// characters of whole groups (overlapping groups already decoded, whose bytes it writes again)
// leaves only the final partial group to the scalar code.
__attribute__((target("avx2"), always_inline)) inline __m256i range(__m256i c, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(c, _mm256_set1_epi8(static_cast<char>(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(hi + 1)), c));
}
__attribute__((target("avx2"), always_inline)) inline __m256i is(__m256i c, char ch) {
  return _mm256_cmpeq_epi8(c, _mm256_set1_epi8(ch));
}

// Decodes in[0..32) into out[0..24); false, with nothing written, when a character is outside
// the alphabet.
__attribute__((target("avx2"), always_inline)) inline bool decode_step(const unsigned char* in,
                                                                       unsigned char* out) {
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
  const __m256i upper = range(c, 'A', 'Z'), lower = range(c, 'a', 'z'), digit = range(c, '0', '9');
  const __m256i dash = is(c, '-'), under = is(c, '_');
  const __m256i valid = _mm256_or_si256(_mm256_or_si256(upper, lower),
                                        _mm256_or_si256(digit, _mm256_or_si256(dash, under)));
  if (_mm256_movemask_epi8(valid) != -1) return false;
  // Value = character + offset of its range: A-Z -65, a-z -71, 0-9 +4, '-' +17, '_' -32.
  __m256i offset = _mm256_and_si256(upper, _mm256_set1_epi8(-65));
  offset = _mm256_or_si256(offset, _mm256_and_si256(lower, _mm256_set1_epi8(-71)));
  offset = _mm256_or_si256(offset, _mm256_and_si256(digit, _mm256_set1_epi8(4)));
  offset = _mm256_or_si256(offset, _mm256_and_si256(dash, _mm256_set1_epi8(17)));
  offset = _mm256_or_si256(offset, _mm256_and_si256(under, _mm256_set1_epi8(-32)));
  const __m256i v = _mm256_add_epi8(c, offset);
  // Merge 6-bit values: pairs into 12 bits, then pairs of those into 24 bits per 32-bit lane,
  // then the three bytes of each lane packed into the low 24 bytes.
  const __m256i shuffle = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                           2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i pairs = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
  const __m256i words = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
  const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, shuffle),
                                                    _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(bytes));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 16), _mm256_extracti128_si256(bytes, 1));
  return true;
}

// Decodes the whole 4-character groups it can of in[0..n), n >= 32; returns how many characters
// it decoded (a multiple of 4), into out[0..consumed / 4 * 3).
__attribute__((target("avx2"))) std::size_t decode_avx2(const unsigned char* in, std::size_t n,
                                                        unsigned char* out) {
  const std::size_t whole = n & ~std::size_t{3};
  std::size_t i = 0;
  for (; i + 32 <= whole; i += 32)
    if (!decode_step(in + i, out + i / 4 * 3)) return i;
  if (i < whole && decode_step(in + whole - 32, out + (whole - 32) / 4 * 3)) i = whole;
  return i;
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

}  // namespace

result<std::size_t> decode_into(std::string_view text, unsigned char* out) {
  const std::size_t n = text.size();
  if (n % 4 == 1) return error(errc::invalid_base64, "base64url length is 1 mod 4");
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0, o = 0;
  std::uint32_t bad = 0;
#ifdef JWTFORT_HAVE_AVX2_DECODE
  if (n >= 32 && has_avx2()) {
    i = decode_avx2(in, n, out);
    o = i / 4 * 3;
  }
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

result<std::string> decode(std::string_view text) {
  std::string out(decoded_size(text.size()) + 1, '\0');
  auto n = decode_into(text, reinterpret_cast<unsigned char*>(out.data()));
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

}  // namespace jwtfort::base64url
