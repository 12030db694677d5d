#pragma once
/// Password hashing for the reference server: Argon2id (RFC 9106) with OWASP's minimum
/// parameters (19 MiB of memory, 2 passes, 1 lane), a 16-byte random salt and a 32-byte tag,
/// stored as a PHC string:
///
///   $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<tag, base64 without padding>
///
/// Example:
///   auto phc = hash_password("correct horse battery staple");
///   if (!phc) return phc.error();
///   bool ok = verify_password(*phc, attempt);

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "jwtfort/result.hpp"

namespace jwtfort::server {

/// The longest password accepted, in bytes: long enough for any passphrase, short enough that
/// hashing cost does not depend on what an attacker sends.
inline constexpr std::size_t max_password_bytes = 1024;

/// The Argon2id cost and sizes of a PHC string.
struct phc_parameters {
  std::uint32_t memory_kib = 0;   ///< m
  std::uint32_t iterations = 0;   ///< t
  std::uint32_t parallelism = 0;  ///< p
  std::size_t salt_bytes = 0;
  std::size_t hash_bytes = 0;

  friend bool operator==(const phc_parameters&, const phc_parameters&) = default;
};

/// What `hash_password` uses: m=19456, t=2, p=1, 16-byte salt, 32-byte tag.
inline constexpr phc_parameters default_phc_parameters{19456, 2, 1, 16, 32};

/// Hashes a password with Argon2id and a fresh salt from getrandom(2).
/// Errors: invalid_configuration (empty, or over `max_password_bytes`), internal_error (no
/// randomness, Argon2 failure such as no memory).
/// Example: `auto phc = hash_password("s3cret-passphrase");`
result<std::string> hash_password(std::string_view password);

/// True when `password` matches the PHC string `phc` (constant-time comparison of the tag).
/// False for a password over `max_password_bytes` and for any PHC string that `parse_phc` refuses,
/// without running Argon2 on it.
/// Example: `if (verify_password(stored_phc, attempt)) ...`
bool verify_password(std::string_view phc, std::string_view password) noexcept;

/// Burns the same time as `verify_password` on a hash made by `hash_password`: it verifies
/// `password` against `dummy_phc()`. Called for unknown users, so the response time does not tell
/// which user names exist.
void verify_dummy_password(std::string_view password) noexcept;

/// The fixed hash `verify_dummy_password` checks against: made with `default_phc_parameters`
/// from a random password nobody kept, so nothing matches it.
std::string_view dummy_phc() noexcept;

/// The parameters of an Argon2id version 19 PHC string, or nothing when it is malformed or its
/// cost is outside what this server verifies (m up to 256 MiB, t up to 16, p up to 16, salt 8..64
/// bytes, tag 16..64 bytes): a hand-edited hash cannot make a login eat the machine.
/// Example: `parse_phc(*hash_password("pw-of-8+"))->memory_kib == 19456`
std::optional<phc_parameters> parse_phc(std::string_view phc) noexcept;

/// A random password of `length` letters and digits, from getrandom(2) (unbiased: bytes that
/// would favour some characters are drawn again).
/// Errors: internal_error (no randomness).
/// Example: `auto demo = random_password(20);`
result<std::string> random_password(std::size_t length);

}  // namespace jwtfort::server
