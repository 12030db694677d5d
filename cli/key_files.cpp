#include "key_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "jwtfort/claims.hpp"
#include "jwtfort/key_set.hpp"

namespace jwtfort::cli {
namespace {

// Key files are small; a cap keeps a wrong path (a disk image, /dev/zero) from eating memory.
constexpr std::size_t max_file_bytes = 1 << 20;
// A token on stdin: far above any real one, far below what would strain memory.
constexpr std::size_t max_token_bytes = 64 << 10;

constexpr algorithm inferable_pem_algorithms[] = {algorithm::es256, algorithm::es384,
                                                  algorithm::es512, algorithm::eddsa};

// Holds the text of a key file and wipes it when the load is done, on every path.
struct sensitive_text {
  std::string text;
  ~sensitive_text() { wipe(text); }
};

failure unreadable(std::string_view what, const std::string& path, int errno_value) {
  return failure::configuration(
      error(errc::invalid_configuration,
            "cannot read " + std::string(what) + " " + path + ": " + std::strerror(errno_value)));
}

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r'))
    text.remove_prefix(1);
  return text;
}

outcome<std::vector<key>> one(result<key> k) {
  if (!k) return failure::configuration(k.error());
  return std::vector<key>{std::move(*k)};
}

outcome<std::vector<key>> load_jwk(std::string_view text, std::span<const algorithm> candidates) {
  auto k = key::from_jwk(text);
  if (k) return one(std::move(k));
  // An RSA JWK may leave out "alg"; --alg then names it.
  for (algorithm alg : candidates)
    if (auto bound = key::from_jwk(text, alg)) return one(std::move(bound));
  return failure::configuration(k.error());
}

// A JSON object with "keys" is a JWKS, any other a JWK.
outcome<std::vector<key>> load_jwk_or_jwks(std::string_view text,
                                           std::span<const algorithm> candidates) {
  auto set = key_set::from_jwks(text);
  if (set) {
    if (set->empty())
      return failure::configuration(error(errc::invalid_key, "JWKS holds no usable key"));
    return set->keys();
  }
  // Not a usable JWKS: either a JWKS whose fault is worth naming, or a JWK. claims::from_json,
  // the library's strict object reader, says which members there are; a document beyond its
  // limits (64 KiB, 256 members) is no single JWK, whose largest form (RSA-8192, private) is
  // under 7 KB.
  auto members = claims::from_json(text);
  const bool jwks = members ? members->contains("keys") : members.code() == errc::json_too_complex;
  if (jwks) return failure::configuration(set.error());
  return load_jwk(text, candidates);
}

outcome<std::vector<key>> load_pem_as(std::string_view pem, std::span<const algorithm> candidates) {
  std::optional<error> first_error;
  for (algorithm alg : candidates) {
    auto k = key::from_pem(pem, alg);
    if (k) return one(std::move(k));
    // A weak key says more than "not an EC key" from a candidate of another family.
    if (!first_error || k.code() == errc::weak_key) first_error = k.error();
  }
  return failure::configuration(*first_error);
}

outcome<std::vector<key>> load_pem(std::string_view pem, std::span<const algorithm> candidates) {
  if (!candidates.empty()) return load_pem_as(pem, candidates);
  for (algorithm alg : inferable_pem_algorithms)
    if (auto k = key::from_pem(pem, alg)) return one(std::move(k));
  // RS256 and PS256 keys look the same in PEM, so the caller must say which.
  auto rsa = key::from_pem(pem, algorithm::rs256);
  if (!rsa && rsa.code() == errc::weak_key) return failure::configuration(rsa.error());
  if (rsa)
    return failure::usage(
        "an RSA PEM key needs --alg (RS256, RS384, RS512, PS256, PS384 or PS512)");
  return failure::configuration(error(
      errc::invalid_key, "PEM text is not an RSA, P-256, P-384, P-521, Ed25519 or Ed448 key"));
}

// Appends what `in` holds to `text`, up to `limit` bytes and one more: a longer input is
// known to be too long without reading all of it. False when reading failed.
bool read_bounded(std::istream& in, std::string& text, std::size_t limit) {
  char buffer[4096];
  while (text.size() <= limit && (in.read(buffer, sizeof buffer) || in.gcount() > 0))
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  return !in.bad();
}

bool is_space(char c) { return std::strchr(" \t\r\n\v\f", c) != nullptr && c != '\0'; }

}  // namespace

void wipe(std::string& text) {
  volatile char* p = text.data();  // volatile, so the stores are not optimised away
  for (std::size_t i = 0; i < text.size(); ++i) p[i] = '\0';
}

outcome<bool> write_private_file(const std::string& path, std::string_view text) {
  auto fail = [&path](int e) {
    return failure::configuration(
        error(errc::invalid_configuration, "cannot write " + path + ": " + std::strerror(e)));
  };
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errno);
  bool ok = ::fchmod(fd, 0600) == 0;  // also when the file existed with a wider mode
  for (std::size_t done = 0; ok && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved = errno;
  if (::close(fd) != 0 && ok) ok = false, saved = errno;
  if (ok && std::rename(temporary.c_str(), path.c_str()) != 0) ok = false, saved = errno;
  if (!ok) {
    ::unlink(temporary.c_str());
    return fail(saved);
  }
  return true;
}

outcome<std::string> read_input(const std::string& path, std::string_view what) {
  const bool from_stdin = path == "-";
  std::ifstream file;
  if (!from_stdin) {
    file.open(path, std::ios::binary);
    if (!file) return unreadable(what, path, errno);
  }
  const std::string name = from_stdin ? "stdin" : std::string(what) + " " + path;
  std::string text;
  bool read = read_bounded(from_stdin ? std::cin : file, text, max_file_bytes);
  if (!read || text.size() > max_file_bytes) {
    const int reason = errno;
    wipe(text);
    return failure::configuration(error(
        errc::invalid_configuration, read ? name + " is larger than 1 MiB"
                                          : "cannot read " + name + ": " + std::strerror(reason)));
  }
  return text;
}

outcome<std::string> token_argument(const std::string& arg) {
  if (arg != "-") return arg;
  std::string text;
  if (!read_bounded(std::cin, text, max_token_bytes))
    return failure::configuration(error(errc::invalid_configuration,
                                        "cannot read stdin: " + std::string(std::strerror(errno))));
  if (text.size() > max_token_bytes)
    return failure::usage("stdin holds more than " + std::to_string(max_token_bytes) +
                          " bytes; a TOKEN is smaller");
  std::string_view token = text;
  while (!token.empty() && is_space(token.front())) token.remove_prefix(1);
  while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
  if (token.empty()) return failure::usage("stdin holds no TOKEN");
  if (std::any_of(token.begin(), token.end(), is_space))
    return failure::usage("stdin holds more than one TOKEN; give one");
  return std::string(token);
}

outcome<std::vector<key>> load_key_file(const std::string& path,
                                        std::span<const algorithm> candidates) {
  auto read = read_input(path, "key file");
  if (!read) return read.error();
  sensitive_text file{std::move(*read)};
  std::string_view text = trim_left(file.text);
  if (text.starts_with("-----BEGIN")) return load_pem(text, candidates);
  if (text.starts_with("{")) return load_jwk_or_jwks(text, candidates);
  return failure::configuration(
      error(errc::invalid_key, "key file " + path + " holds neither PEM nor a JWK or JWKS"));
}

outcome<key> load_secret_file(const std::string& path, algorithm alg) {
  auto read = read_input(path, "secret file");
  if (!read) return read.error();
  sensitive_text file{std::move(*read)};
  auto k = key::from_secret(file.text, alg);
  if (!k) return failure::configuration(k.error());
  return std::move(*k);
}

}  // namespace jwtfort::cli
