// libFuzzer target: the first byte of the input picks the algorithm to load the key for, the rest
// is PEM text. Whatever loads must be bound to that algorithm and must export and load again as
// the same key. (Trying every algorithm on each input would spend the run in OpenSSL's decoder
// set-up, which costs far more than the checks jwtfort makes afterwards.)

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "fuzz_support.hpp"
#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jwtfort;
  if (size == 0) return 0;
  // scripts/make_fuzz_corpus.py writes the seeds with the matching selector byte.
  constexpr algorithm selectable[] = {algorithm::rs256, algorithm::ps256, algorithm::es256,
                                      algorithm::es384, algorithm::es512, algorithm::eddsa,
                                      algorithm::ed448, algorithm::hs256};
  const algorithm alg = selectable[data[0] % std::size(selectable)];
  const std::string_view pem(reinterpret_cast<const char*>(data + 1), size - 1);
  auto k = key::from_pem(pem, alg);
  if (!k) return 0;
  fuzz::expect(k->alg() == alg, "from_pem gave a key bound to another algorithm");
  fuzz::expect(!k->is_symmetric(), "from_pem gave an HMAC key");
  fuzz::expect_round_trip(*k);
  return 0;
}
