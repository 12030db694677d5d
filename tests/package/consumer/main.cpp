// Signs and verifies one HS256 token through the public API only, then checks that a tampered
// token is refused. Exits 0 when every check holds, 1 naming the first one that does not.

#include <cstddef>
#include <cstdio>
#include <jwtfort/claims.hpp>
#include <jwtfort/key.hpp>
#include <jwtfort/signer.hpp>
#include <jwtfort/verifier.hpp>
#include <string>

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "consumer: %s\n", what);
  return 1;
}

}  // namespace

int main() {
  using namespace jwtfort;
  constexpr std::int64_t now = 1'700'000'000;
  auto k = key::from_secret("consumer-test-secret-of-32-bytes!", algorithm::hs256);
  if (!k) return fail("key::from_secret failed");
  auto s = signer::create(*k);
  if (!s) return fail("signer::create failed");
  auto token = s->sign(claims{}.subject("alice").issuer("consumer").expires_at(now + 60));
  if (!token) return fail("signer::sign failed");

  verifier_options o;
  o.algorithms = {algorithm::hs256};
  if (!o.keys.add(*k)) return fail("key_set::add failed");
  o.issuer = "consumer";
  o.clock = fixed_clock(now);
  auto v = verifier::create(std::move(o));
  if (!v) return fail("verifier::create failed");

  auto t = v->verify(*token);
  if (!t) return fail("the signed token does not verify");
  if (t->subject() != "alice") return fail("subject is not alice");
  if (t->expires_at() != now + 60) return fail("exp is not now + 60");
  if (t->alg() != algorithm::hs256) return fail("alg is not HS256");

  // One character flipped in the middle of the signature: flipping the last one could leave
  // non-zero trailing bits, an invalid_base64 rejection that never reaches the signature check.
  std::string tampered = *token;
  const std::size_t dot = tampered.rfind('.');
  const std::size_t middle = dot + (tampered.size() - dot) / 2;
  tampered[middle] = tampered[middle] == 'A' ? 'B' : 'A';
  auto refused = v->verify(tampered);
  if (refused) return fail("a tampered token verifies");
  if (refused.code() != errc::invalid_signature)
    return fail("a tampered token fails with a code other than invalid_signature");

  std::puts("consumer: sign and verify ok");
  return 0;
}
