#include "jwtfort/algorithm.hpp"

namespace jwtfort {
namespace {
constexpr std::string_view names[] = {"HS256", "HS384", "HS512", "RS256",   "RS384",
                                      "RS512", "PS256", "PS384", "PS512",   "ES256",
                                      "ES384", "ES512", "EdDSA", "Ed25519", "Ed448"};
static_assert(std::size(names) == std::size(all_algorithms));
}  // namespace

std::string_view to_string(algorithm alg) noexcept { return names[static_cast<int>(alg)]; }

std::optional<algorithm> algorithm_from_string(std::string_view name) noexcept {
  // Byte-exact compare after JSON unescaping (RFC 7515 §5.3): no case folding, no trimming.
  for (algorithm alg : all_algorithms)
    if (names[static_cast<int>(alg)] == name) return alg;
  return std::nullopt;
}

key_family family_of(algorithm alg) noexcept {
  switch (alg) {
    case algorithm::hs256:
    case algorithm::hs384:
    case algorithm::hs512: return key_family::hmac;
    case algorithm::rs256:
    case algorithm::rs384:
    case algorithm::rs512:
    case algorithm::ps256:
    case algorithm::ps384:
    case algorithm::ps512: return key_family::rsa;
    case algorithm::es256:
    case algorithm::es384:
    case algorithm::es512: return key_family::ec;
    default: return key_family::okp;
  }
}

}  // namespace jwtfort
