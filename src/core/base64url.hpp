#pragma once
// Strict base64url without padding (RFC 7515 §2, RFC 4648 §5).

#include <cstddef>
#include <string>
#include <string_view>

#include "jwtfort/result.hpp"

namespace jwtfort::base64url {

/// Encoded length of `n` bytes.
constexpr std::size_t encoded_size(std::size_t n) { return (n * 4 + 2) / 3; }
/// Upper bound of the decoded length of `n` characters.
constexpr std::size_t decoded_size(std::size_t n) { return n * 3 / 4; }

void append_encoded(std::string& out, std::string_view bytes);
std::string encode(std::string_view bytes);

/// Decodes `text` into `out`, which needs room for decoded_size(text.size()) + 1 bytes (one byte
/// of slack for whole-word stores); returns the decoded length.
/// Rejects padding, characters outside the url alphabet, a length of 1 mod 4, and non-zero
/// trailing bits (so every byte string has exactly one accepted encoding).
result<std::size_t> decode_into(std::string_view text, unsigned char* out);

result<std::string> decode(std::string_view text);

/// True for the 64 characters of the base64url alphabet.
bool is_alphabet(char c) noexcept;

}  // namespace jwtfort::base64url
