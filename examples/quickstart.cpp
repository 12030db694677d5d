// The README's example, built and run by the tests so it stays true.
#include <jwtfort/signer.hpp>
#include <jwtfort/verifier.hpp>

using namespace jwtfort;

int main() {
  auto k = key::generate(algorithm::es256);  // or key::from_pem / from_jwk
  auto s = signer::create(k->with_id("2026-11"));
  auto token = s->sign(claims{}
                           .subject("alice")
                           .issuer("https://auth.example.com")
                           .audience("api.example.com")
                           .issued_now()
                           .expires_in(900)  // seconds
                           .random_jwt_id());

  verifier_options o;
  o.algorithms = {algorithm::es256};  // required: never taken from the token
  (void)o.keys.add(k->with_id("2026-11"));
  o.issuer = "https://auth.example.com";
  o.audiences = {"api.example.com"};
  auto v = verifier::create(std::move(o));

  auto t = v->verify(*token);
  if (!t) return t.code() == errc::expired ? 2 : 1;  // t.error().message says why
  return t->subject() == "alice" ? 0 : 1;
}
