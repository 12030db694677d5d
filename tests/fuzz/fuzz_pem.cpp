// libFuzzer target: the first byte of the input picks the algorithm to load the key for, the rest
// is PEM text. Whatever loads must be bound to that algorithm and must export and load again as
// the same key. (Trying every algorithm on each input would spend the run in OpenSSL's decoder
// set-up, which costs far more than the checks jwtfort makes afterwards.)

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "fuzz_keys.hpp"
#include "fuzz_support.hpp"
#include "jwtfort/algorithm.hpp"
#include "jwtfort/key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace jwtfort;
  if (size == 0) return 0;
  // The table comes from scripts/make_fuzz_corpus.py, which writes the seeds' selector bytes.
  const algorithm alg = fuzz::pem_selector[data[0] % std::size(fuzz::pem_selector)];
  const std::string_view pem(reinterpret_cast<const char*>(data + 1), size - 1);
  auto k = key::from_pem(pem, alg);
  if (!k) return 0;
  fuzz::expect(k->alg() == alg, "from_pem gave a key bound to another algorithm");
  fuzz::expect(!k->is_symmetric(), "from_pem gave an HMAC key");
  fuzz::expect_round_trip(*k);
  return 0;
}
