// Signs and verifies one HS256 token through the public API only, then checks that a tampered
// token is refused (jwtfort::core). Built with jwtfort::http, it also runs one revocation through
// the token service on the memory store and asks the HTTP authenticator about a request carrying
// the revoked token. Built with jwtfort::store_url, it opens a SQLite store by URL in the
// directory given as its argument. Exits 0 when every check holds, 1 naming the first one that
// does not.

#include <array>
#include <cstddef>
#include <cstdio>
#include <jwtfort/claims.hpp>
#include <jwtfort/key.hpp>
#include <jwtfort/signer.hpp>
#include <jwtfort/verifier.hpp>
#include <string>
#if defined(JWTFORT_CONSUMER_HTTP)
#include <jwtfort/http/authenticator.hpp>
#include <jwtfort/service/token_service.hpp>
#endif
#if defined(JWTFORT_CONSUMER_STORE_URL)
#include <jwtfort/store/token_store.hpp>

#include "jwtfort/key_set.hpp"
#include "jwtfort/store/open_store.hpp"
#endif

namespace {

int fail(const char* what) {
  std::fprintf(stderr, "consumer: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
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

#if defined(JWTFORT_CONSUMER_HTTP)
  token_service_options so;
  so.store = make_memory_store();
  auto ring = key_ring::from_key(*k);
  if (!ring) return fail("key_ring::from_key failed");
  auto service = token_service::create(std::move(*ring), std::move(so));
  if (!service) return fail("token_service::create failed");
  auto access = service->create_access_token({.subject = "alice"});
  if (!access) return fail("create_access_token failed");
  auto checked = service->require_access(*access);
  if (!checked) return fail("require_access refuses a new token");
  if (!service->revoke(*checked)) return fail("revoke failed");
  if (service->require_access(*access).code() != errc::revoked)
    return fail("a revoked token is not reported as revoked");

  auto auth = http::authenticator::create(
      std::make_shared<const token_service>(std::move(*service)), http::authenticator_options{});
  if (!auth) return fail("http::authenticator::create failed");
  const std::string bearer = "Bearer " + *access;
  const std::array<http::header_field, 1> fields{{{"Authorization", bearer}}};
  const http::decision d = auth->decide({.method = "GET", .target = "/me", .headers = fields});
  if (!d.challenge() || d.challenge()->status != 401 || d.challenge()->code != errc::revoked)
    return fail("the authenticator does not refuse the revoked token with a 401");
  std::puts("consumer: revoke and authenticate ok");
#endif

#if defined(JWTFORT_CONSUMER_STORE_URL)
  if (argc != 2) return fail("usage: consumer DIRECTORY (for the SQLite store)");
  auto store = open_store(std::string("sqlite://") + argv[1] + "/tokens.db");
  if (!store) return fail("open_store cannot open a SQLite store");
  if (!(*store)->revoke_token("t-1", now + 60)) return fail("the SQLite store cannot revoke");
  if ((*store)->check({.jwt_id = "t-1"}).code() != errc::revoked)
    return fail("the SQLite store does not report its revocation");
  std::puts("consumer: SQLite store by URL ok");
#else
  (void)argc;
  (void)argv;
#endif

  return 0;
}
