#pragma once
// Shared by the fuzz targets: an oracle that stops the run when an invariant of the library breaks,
// and the key round trip (export, import again, compare) that fuzz_jwk and fuzz_pem apply to
// every key the input manages to load. Only the public API is used, as an application would.

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "jwtfort/key.hpp"

namespace jwtfort::fuzz {

/// Reports a broken invariant and aborts, so libFuzzer saves the input. Bad input alone must never
/// get here: only a library bug does.
[[noreturn]] inline void invariant_broken(const char* what) {
  std::fprintf(stderr, "jwtfort fuzz: invariant broken: %s\n", what);
  std::abort();
}

inline void expect(bool condition, const char* what) {
  if (!condition) invariant_broken(what);
}

/// The value of a call that must succeed on input the library itself produced.
template <class T>
T must(result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "jwtfort fuzz: %s failed: %s: %s\n", what,
                 std::string(to_string(r.code())).c_str(), r.error().message.c_str());
    invariant_broken(what);
  }
  return std::move(*r);
}

/// Two loads of the same key: same algorithm, same public part (RFC 7638 thumbprint).
inline void expect_same_key(const key& original, const key& reloaded, const char* what) {
  expect(reloaded.alg() == original.alg(), what);
  expect(reloaded.bits() == original.bits(), what);
  expect(reloaded.thumbprint() == original.thumbprint(), what);
}

/// Every export of `k` must load again as the same key: public JWK, public PEM, private JWK.
inline void expect_round_trip(const key& k) {
  if (!k.is_symmetric()) {
    const key from_public_jwk =
        must(key::from_jwk(must(k.to_public_jwk(), "to_public_jwk")), "from_jwk(to_public_jwk)");
    expect_same_key(k, from_public_jwk, "public JWK round trip");
    expect(!from_public_jwk.can_sign(), "a public JWK loads as a key that can sign");
    const key from_pem = must(key::from_pem(must(k.to_public_pem(), "to_public_pem"), k.alg()),
                              "from_pem(to_public_pem)");
    expect_same_key(k, from_pem, "public PEM round trip");
  }
  if (k.can_sign()) {
    const key from_private_jwk =
        must(key::from_jwk(must(k.to_private_jwk(), "to_private_jwk")), "from_jwk(to_private_jwk)");
    expect_same_key(k, from_private_jwk, "private JWK round trip");
    expect(from_private_jwk.can_sign(), "a private JWK loads as a key that cannot sign");
  }
}

}  // namespace jwtfort::fuzz
