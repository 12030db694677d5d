// Argon2id through libargon2 (the reference implementation of RFC 9106). This is the only file of
// the server that includes <argon2.h>. Salts come from getrandom(2): the kernel CSPRNG, without
// OpenSSL (which the server does not link directly) and without std::random_device, whose source
// the standard does not promise to be unpredictable.
#include "password.hpp"

#include <argon2.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <system_error>

namespace jwtfort::server {
namespace {

// What a stored hash may ask for before verifying it; far above the defaults, far below harm.
constexpr std::uint32_t max_memory_kib = 256 * 1024;
constexpr std::uint32_t max_iterations = 16;
constexpr std::uint32_t max_parallelism = 16;
constexpr std::size_t min_salt_bytes = 8, max_salt_bytes = 64;
constexpr std::size_t min_hash_bytes = 16, max_hash_bytes = 64;

// Made once with default_phc_parameters from 32 random bytes that were then thrown away.
constexpr std::string_view dummy_hash =
    "$argon2id$v=19$m=19456,t=2,p=1$WMivUT/3jB2OHJR0jlm76g"
    "$AhshpB0/639Fzuzh4FXRDNBwl2kGFYhDXS0QSReCCVw";

constexpr std::string_view letters_and_digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

result<void> fill_random(std::span<unsigned char> out) {
  for (std::size_t done = 0; done < out.size();) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return error(errc::internal_error,
                   "getrandom failed: " + std::system_category().message(n < 0 ? errno : EIO));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// Consumes `literal` from the front of `text`.
bool take(std::string_view& text, std::string_view literal) {
  if (!text.starts_with(literal)) return false;
  text.remove_prefix(literal.size());
  return true;
}

// A PHC decimal: digits without a leading zero, within uint32.
std::optional<std::uint32_t> take_number(std::string_view& text) {
  std::size_t n = 0;
  std::uint64_t value = 0;
  while (n < text.size() && n < 10 && text[n] >= '0' && text[n] <= '9')
    value = value * 10 + static_cast<std::uint64_t>(text[n++] - '0');
  if (n == 0 || (n > 1 && text[0] == '0') || value > UINT32_MAX) return std::nullopt;
  text.remove_prefix(n);
  return static_cast<std::uint32_t>(value);
}

// The byte length of an unpadded standard base64 field up to the next '$' (or the end), which is
// consumed. Whether the trailing bits are canonical is left to libargon2's decoder.
std::optional<std::size_t> take_base64(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && text[n] != '$') {
    char c = text[n++];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  if (n % 4 == 1) return std::nullopt;
  text.remove_prefix(n);
  return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
}

bool within_limits(const phc_parameters& p) {
  return p.parallelism >= 1 && p.parallelism <= max_parallelism && p.iterations >= 1 &&
         p.iterations <= max_iterations && p.memory_kib >= 8 * p.parallelism &&
         p.memory_kib <= max_memory_kib && p.salt_bytes >= min_salt_bytes &&
         p.salt_bytes <= max_salt_bytes && p.hash_bytes >= min_hash_bytes &&
         p.hash_bytes <= max_hash_bytes;
}

}  // namespace

std::optional<phc_parameters> parse_phc(std::string_view phc) noexcept {
  phc_parameters p;
  std::optional<std::uint32_t> m, t, lanes;
  std::optional<std::size_t> salt, hash;
  // Only Argon2id version 0x13 (19): the one variant RFC 9106 recommends, the one we write.
  bool ok = take(phc, "$argon2id$v=19$m=") && (m = take_number(phc)) && take(phc, ",t=") &&
            (t = take_number(phc)) && take(phc, ",p=") && (lanes = take_number(phc)) &&
            take(phc, "$") && (salt = take_base64(phc)) && take(phc, "$") &&
            (hash = take_base64(phc)) && phc.empty();
  if (!ok) return std::nullopt;
  p = {*m, *t, *lanes, *salt, *hash};
  if (!within_limits(p)) return std::nullopt;
  return p;
}

result<std::string> hash_password(std::string_view password) {
  if (password.empty()) return error(errc::invalid_configuration, "password is empty");
  if (password.size() > max_password_bytes)
    return error(errc::invalid_configuration,
                 "password is longer than " + std::to_string(max_password_bytes) + " bytes");
  const phc_parameters& p = default_phc_parameters;
  std::array<unsigned char, default_phc_parameters.salt_bytes> salt{};
  if (auto ok = fill_random(salt); !ok) return ok.error();
  const auto hash_bytes = static_cast<std::uint32_t>(p.hash_bytes);
  std::string encoded(
      argon2_encodedlen(p.iterations, p.memory_kib, p.parallelism,
                        static_cast<std::uint32_t>(salt.size()), hash_bytes, Argon2_id),
      '\0');
  int rc = argon2id_hash_encoded(p.iterations, p.memory_kib, p.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(), hash_bytes,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    return error(errc::internal_error,
                 std::string("Argon2id hashing failed: ") + argon2_error_message(rc));
  encoded.resize(std::strlen(encoded.c_str()));  // the length counted the terminating NUL
  return encoded;
}

bool verify_password(std::string_view phc, std::string_view password) noexcept {
  if (password.size() > max_password_bytes || !parse_phc(phc)) return false;
  try {
    const std::string encoded(phc);  // libargon2 reads a NUL-terminated string
    // argon2id_verify recomputes the tag with the stored parameters and compares in constant
    // time.
    return argon2id_verify(encoded.c_str(), password.empty() ? "" : password.data(),
                           password.size()) == ARGON2_OK;
  } catch (...) {  // std::bad_alloc: no match
    return false;
  }
}

void verify_dummy_password(std::string_view password) noexcept {
  // The very routine and parameters of a real check (the tests hold dummy_phc to the defaults).
  (void)verify_password(dummy_hash, password);
}

std::string_view dummy_phc() noexcept { return dummy_hash; }

result<std::string> random_password(std::size_t length) {
  // 248 = 4 * 62: bytes at or above it would make the first 8 characters likelier.
  constexpr unsigned char reject_from = 248;
  std::string password;
  std::array<unsigned char, 64> bytes{};
  while (password.size() < length) {
    if (auto ok = fill_random(bytes); !ok) return ok.error();
    for (unsigned char b : bytes)
      if (b < reject_from && password.size() < length)
        password += letters_and_digits[b % letters_and_digits.size()];
  }
  return password;
}

}  // namespace jwtfort::server
