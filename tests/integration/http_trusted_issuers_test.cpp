// The HTTP authenticator with trusted issuers: a provider's token (keys from a loopback provider)
// becomes a principal with the mapped subject, roles and scopes, route rules apply to it as to own
// tokens, own tokens stay accepted or not as configured, and a provider without keys yet is a 503.

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "jwtfort/http/authenticator.hpp"
#include "jwtfort/key_ring.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/service/trusted_issuers.hpp"
#include "jwtfort/signer.hpp"
#include "jwtfort/store/token_store.hpp"
#include "support/assertions.hpp"
#include "support/oidc_provider.hpp"

namespace {

using namespace jwtfort;
using namespace std::chrono_literals;
using test::must;

constexpr std::int64_t start_time = 1'700'000'000;
const std::string secret(32, 's');

const key& provider_key() {
  static const key k = must(key::generate(algorithm::es256), "generate").with_id("kc-1");
  return k;
}

class http_trusted_issuers_test : public testing::Test {
 protected:
  void SetUp() override { provider_.serve_keys({provider_key()}); }

  jwtfort::clock clock() const {
    return [now = now_] { return now->load(); };
  }

  std::shared_ptr<const trusted_issuers> trusted(std::string issuer = "") {
    issuer_options o;
    o.issuer = issuer.empty() ? provider_.issuer() : issuer;
    o.audiences = {"api"};
    o.algorithms = {algorithm::es256};
    o.claims.roles = {"realm_access.roles"};
    o.claims.scopes = {"scope"};
    trusted_issuers_options options;
    options.issuers = {o};
    options.clock = clock();
    auto t = must(trusted_issuers::create(std::move(options)), "trusted_issuers::create");
    if (issuer.empty()) {
      EXPECT_TRUE(t->wait_until_ready(10s));
    }
    return t;
  }

  std::shared_ptr<const token_service> service() const {
    token_service_options o;
    o.clock = clock();
    o.store = make_memory_store();
    auto ring = must(key_ring::from_key(must(key::from_secret(secret, algorithm::hs256))));
    return std::make_shared<const token_service>(
        must(token_service::create(std::move(ring), std::move(o))));
  }

  http::authenticator make(std::shared_ptr<const token_service> s,
                           std::shared_ptr<const trusted_issuers> t, bool accept_own = true,
                           std::vector<http::route_rule> routes = {}) {
    http::authenticator_options o;
    o.trusted = std::move(t);
    o.accept_own_tokens = accept_own;
    o.routes = std::move(routes);
    o.locations.cookies = true;
    return must(http::authenticator::create(std::move(s), std::move(o)), "authenticator");
  }

  std::string provider_token(nlohmann::json extra = nlohmann::json::object()) const {
    nlohmann::json claims = {{"iss", provider_.issuer()},
                             {"sub", "f:1234"},
                             {"aud", "api"},
                             {"exp", start_time + 3600},
                             {"iat", start_time},
                             {"realm_access", {{"roles", {"admin", "user"}}}},
                             {"scope", "openid items:read"}};
    claims.update(extra);
    auto s = must(signer::create(provider_key()), "signer");
    return must(s.sign_json(claims.dump()), "sign");
  }

  static http::decision decide(const http::authenticator& a, const std::string& token,
                               std::string_view target = "/items", std::string_view method = "GET",
                               bool as_cookie = false) {
    const std::string value = as_cookie ? "access_token_cookie=" + token : "Bearer " + token;
    const std::vector<http::header_field> headers = {
        {as_cookie ? "Cookie" : "Authorization", value}};
    return a.decide(http::request_view{.method = method, .target = target, .headers = headers});
  }

  static void expect_refused(const http::decision& d, int status, errc code) {
    const http::challenge* c = d.challenge();
    ASSERT_NE(c, nullptr) << "allowed; expected " << to_string(code);
    EXPECT_EQ(c->status, status);
    EXPECT_EQ(c->code, code) << c->detail;
  }

  std::shared_ptr<std::atomic<std::int64_t>> now_ =
      std::make_shared<std::atomic<std::int64_t>>(start_time);
  test::oidc_provider provider_;
};

TEST_F(http_trusted_issuers_test, a_provider_token_becomes_a_principal_with_mapped_grants) {
  auto auth = make(service(), trusted());
  const std::string token = provider_token();
  auto d = decide(auth, token);
  const http::principal* p = d.principal();
  ASSERT_NE(p, nullptr) << (d.challenge() ? d.challenge()->detail : "anonymous");
  EXPECT_EQ(p->issuer, provider_.issuer());
  EXPECT_EQ(p->subject(), "f:1234");
  EXPECT_EQ(p->roles, (std::vector<std::string>{"admin", "user"}));
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"openid", "items:read"}));
  EXPECT_EQ(p->location, "header");
  EXPECT_EQ(p->encoded, token);
}

TEST_F(http_trusted_issuers_test, route_roles_and_scopes_apply_to_mapped_grants) {
  auto auth = make(service(), trusted(), true,
                   {{.path = "/admin/*", .roles = {"admin"}},
                    {.path = "/ops/*", .roles = {"ops"}},
                    {.path = "/write", .scopes = {"items:write"}},
                    {.path = "/read", .scopes = {"items:read"}}});
  EXPECT_TRUE(decide(auth, provider_token(), "/admin/users").principal());
  EXPECT_TRUE(decide(auth, provider_token(), "/read").principal());
  expect_refused(decide(auth, provider_token(), "/ops/x"), 403, errc::insufficient_scope);
  expect_refused(decide(auth, provider_token(), "/write"), 403, errc::insufficient_scope);
  // A roles claim that is not a list gives no roles, not an error.
  auto odd = provider_token({{"realm_access", {{"roles", 7}}}});
  expect_refused(decide(auth, odd, "/admin/users"), 403, errc::insufficient_scope);
}

TEST_F(http_trusted_issuers_test, own_tokens_are_accepted_next_to_trusted_ones_by_default) {
  auto s = service();
  auto auth = make(s, trusted());
  const std::string own = must(s->create_access_token({.subject = "bob"}), "own token");
  const auto d = decide(auth, own);
  const http::principal* p = d.principal();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->subject(), "bob");
  EXPECT_TRUE(p->issuer.empty());
  EXPECT_TRUE(decide(auth, provider_token()).principal());
}

TEST_F(http_trusted_issuers_test,
       an_own_token_larger_than_a_providers_limit_still_reaches_the_service) {
  token_service_options o;
  o.clock = clock();
  o.store = make_memory_store();
  o.max_token_bytes = 16384;
  auto ring = must(key_ring::from_key(must(key::from_secret(secret, algorithm::hs256))));
  auto s = std::make_shared<const token_service>(
      must(token_service::create(std::move(ring), std::move(o))));
  auto auth = make(s, trusted());
  const std::string big = must(s->create_access_token(
      {.subject = "bob", .extra_claims_json = R"({"pad":")" + std::string(9000, 'x') + R"("})"}));
  ASSERT_GT(big.size(), 8192u);
  auto d = decide(auth, big);
  ASSERT_NE(d.principal(), nullptr) << (d.challenge() ? d.challenge()->detail : "anonymous");
  EXPECT_EQ(d.principal()->subject(), "bob");
  // A provider's token that large is refused by its issuer's verifier.
  expect_refused(decide(auth, provider_token({{"pad", std::string(9000, 'x')}})), 401,
                 errc::token_too_large);
}

TEST_F(http_trusted_issuers_test, own_tokens_can_be_refused) {
  auto s = service();
  auto auth = make(s, trusted(), false);
  const std::string own = must(s->create_access_token({.subject = "bob"}), "own token");
  expect_refused(decide(auth, own), 401, errc::invalid_issuer);
  EXPECT_TRUE(decide(auth, provider_token()).principal());
  // Without own tokens no service is needed.
  auto service_free = make(nullptr, trusted(), false);
  EXPECT_TRUE(decide(service_free, provider_token()).principal());
  expect_refused(decide(service_free, own), 401, errc::invalid_issuer);
}

TEST_F(http_trusted_issuers_test, a_provider_without_keys_yet_is_503) {
  int port = 0;
  {
    test::oidc_provider gone;
    port = gone.port();
  }
  const std::string issuer = "http://127.0.0.1:" + std::to_string(port);
  auto auth = make(service(), trusted(issuer));
  auto token = provider_token({{"iss", issuer}});
  const auto d = decide(auth, token);
  expect_refused(d, 503, errc::jwks_unavailable);
  EXPECT_EQ(d.challenge()->detail, "Key set unavailable");
}

TEST_F(http_trusted_issuers_test, provider_tokens_pass_access_routes_only) {
  auto auth = make(service(), trusted(), true,
                   {{.path = "/fresh", .need = http::requirement::fresh},
                    {.path = "/refresh", .need = http::requirement::refresh},
                    {.path = "/maybe", .need = http::requirement::optional}});
  expect_refused(decide(auth, provider_token(), "/fresh"), 401, errc::fresh_token_required);
  expect_refused(decide(auth, provider_token(), "/refresh"), 401, errc::wrong_token_type);
  EXPECT_TRUE(decide(auth, provider_token(), "/maybe").principal());
}

TEST_F(http_trusted_issuers_test, provider_failures_keep_their_codes) {
  auto auth = make(service(), trusted());
  now_->store(start_time + 7200);
  expect_refused(decide(auth, provider_token()), 401, errc::expired);
  now_->store(start_time);
  expect_refused(decide(auth, provider_token({{"aud", "other"}})), 401, errc::invalid_audience);
}

TEST_F(http_trusted_issuers_test, a_cookie_borne_provider_token_meets_the_csrf_check) {
  auto auth = make(service(), trusted());
  EXPECT_TRUE(decide(auth, provider_token(), "/items", "GET", true).principal());
  expect_refused(decide(auth, provider_token(), "/items", "POST", true), 401, errc::csrf_failed);
}

TEST_F(http_trusted_issuers_test, the_options_must_make_sense) {
  http::authenticator_options no_trusted;
  no_trusted.accept_own_tokens = false;
  EXPECT_ERRC(http::authenticator::create(service(), no_trusted), errc::invalid_configuration);
  http::authenticator_options own_without_service;
  own_without_service.trusted = trusted();
  EXPECT_ERRC(http::authenticator::create(nullptr, own_without_service),
              errc::invalid_configuration);
}

}  // namespace
