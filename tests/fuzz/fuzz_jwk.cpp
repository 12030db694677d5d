// libFuzzer target: the input is a JWK or a JWK Set. Whatever loads must export and load again as
// the same key (public JWK, public PEM, private JWK), and a loaded set must export as a JWKS.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "fuzz_support.hpp"
#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"
#include "jwtfort/key_set.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jwtfort;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto k = key::from_jwk(text)) fuzz::expect_round_trip(*k);

  // The same text with an algorithm imposed by the caller; the length picks which one, so the
  // fuzzer can reach every branch of the "JWK alg versus wanted alg" rules.
  constexpr std::size_t algorithm_count = std::size(all_algorithms);
  const algorithm wanted = all_algorithms[size % algorithm_count];
  if (auto k = key::from_jwk(text, wanted)) {
    fuzz::expect(k->accepts(wanted), "from_jwk(text, alg) gave a key for another algorithm");
    fuzz::expect_round_trip(*k);
  }

  if (auto set = key_set::from_jwks(text)) {
    for (const key& k : set->keys()) fuzz::expect_round_trip(k);
    // Two anonymous keys may export the same thumbprint as kid, so reloading may be refused;
    // it must only not crash.
    (void)key_set::from_jwks(set->to_jwks());
  }
  return 0;
}
