// trusted_issuers against real OpenID Connect-shaped providers on loopback: cpp-httplib servers in
// this process serve a discovery document and a JWKS, count every request, and can answer badly
// (redirect, oversized, slow, hanging, invalid JSON, a secret key, a wrong issuer). Key age and the
// unknown-kid rate limit read the injected clock, so those tests move time instead of sleeping;
// the background thread's own retries run on real time.

#include "jwtfort/service/trusted_issuers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "jwtfort/key_set.hpp"
#include "jwtfort/signer.hpp"
#include "support/assertions.hpp"
#include "support/oidc_provider.hpp"

namespace {

using namespace jwtfort;
using namespace std::chrono_literals;
using test::answer;
using test::discovery_path;
using test::must;
using provider = test::oidc_provider;

constexpr std::int64_t start_time = 1'700'000'000;

struct test_keys {
  key a = must(key::generate(algorithm::es256), "generate a").with_id("a");
  key b = must(key::generate(algorithm::es256), "generate b").with_id("b");
  key outsider = must(key::generate(algorithm::es256), "generate outsider").with_id("a");
};

const test_keys& keys() {
  static const test_keys k;
  return k;
}

// Claims of a typical access token of `iss` for the audience "api".
nlohmann::json claims_of(const std::string& iss) {
  return {{"iss", iss},
          {"sub", "alice"},
          {"aud", "api"},
          {"iat", start_time},
          {"exp", start_time + 86400},
          {"jti", "t-1"},
          {"client_id", "app"}};
}

std::string sign(const key& k, const nlohmann::json& claims, std::string typ = "JWT") {
  auto s = must(signer::create(k), "signer");
  header_options h;
  h.type = std::move(typ);
  return must(s.sign_json(claims.dump(), h), "sign");
}

// Polls `condition` for up to `limit`; the background thread works on real time.
template <class F>
bool eventually(F condition, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class trusted_issuers_test : public testing::Test {
 protected:
  issuer_options options_for(const provider& p) const {
    issuer_options o;
    o.issuer = p.issuer();
    o.audiences = {"api"};
    o.algorithms = {algorithm::es256};
    return o;
  }

  std::shared_ptr<trusted_issuers> make(std::vector<issuer_options> issuers,
                                        std::size_t cache_entries = 0) {
    trusted_issuers_options o;
    o.issuers = std::move(issuers);
    o.verified_cache_entries = cache_entries;
    o.clock = [now = now_] { return now->load(); };
    o.on_event = [events = events_, mutex = events_mutex_](const issuer_event& e) {
      std::lock_guard lock(*mutex);
      events->push_back(e);
    };
    return must(trusted_issuers::create(std::move(o)), "trusted_issuers::create");
  }

  std::shared_ptr<trusted_issuers> make_ready(const provider& p) {
    auto t = make({options_for(p)});
    EXPECT_TRUE(t->wait_until_ready(10s));
    return t;
  }

  std::vector<issuer_event> events() const {
    std::lock_guard lock(*events_mutex_);
    return *events_;
  }

  int count_events(issuer_event::kind what) const {
    int n = 0;
    for (const auto& e : events()) n += e.what == what ? 1 : 0;
    return n;
  }

  // The first failure event, once it came.
  std::optional<issuer_event> first_failure() const {
    std::optional<issuer_event> found;
    eventually([&] {
      for (const auto& e : events())
        if (e.what == issuer_event::kind::discovery_failed ||
            e.what == issuer_event::kind::jwks_failed) {
          found = e;
          return true;
        }
      return false;
    });
    return found;
  }

  void advance(std::chrono::seconds s) { *now_ += s.count(); }

  std::shared_ptr<std::atomic<std::int64_t>> now_ =
      std::make_shared<std::atomic<std::int64_t>>(start_time);
  std::shared_ptr<std::vector<issuer_event>> events_ =
      std::make_shared<std::vector<issuer_event>>();
  std::shared_ptr<std::mutex> events_mutex_ = std::make_shared<std::mutex>();
};

// --- discovery and the first fetch ----------------------------------------------------------

TEST_F(trusted_issuers_test, discovers_the_jwks_and_verifies_a_token) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make_ready(p);
  auto who = t->verify(sign(keys().a, claims_of(p.issuer())));
  ASSERT_OK(who);
  EXPECT_EQ(who->issuer, p.issuer());
  EXPECT_EQ(who->subject, "alice");
  EXPECT_EQ(who->client_id, "app");
  EXPECT_EQ(who->token.subject(), "alice");
  EXPECT_EQ(p.requests(discovery_path), 1);
  EXPECT_EQ(p.requests("/jwks"), 1);
  ASSERT_TRUE(eventually([&] { return events().size() == 2; }));  // jwks_ok follows readiness
  EXPECT_EQ(events()[0].what, issuer_event::kind::discovery_ok);
  EXPECT_EQ(events()[1].what, issuer_event::kind::jwks_ok);
  const auto stats = t->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].issuer, p.issuer());
  EXPECT_EQ(stats[0].fetches, 2u);
  EXPECT_EQ(stats[0].fetch_failures, 0u);
  EXPECT_EQ(stats[0].accepted, 1u);
  EXPECT_EQ(stats[0].rejected, 0u);
  EXPECT_TRUE(stats[0].ready);
}

TEST_F(trusted_issuers_test, a_configured_jwks_url_skips_discovery) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.jwks_url = p.issuer() + "/jwks";
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  EXPECT_OK(t->verify(sign(keys().a, claims_of(p.issuer()))));
  EXPECT_EQ(p.requests(discovery_path), 0);
}

TEST_F(trusted_issuers_test, the_issuer_trailing_slash_is_dropped_before_the_well_known_path) {
  provider p;
  p.serve_keys({keys().a});
  p.serve_discovery(p.issuer() + "/");
  auto o = options_for(p);
  o.issuer = p.issuer() + "/";
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  EXPECT_EQ(p.requests(discovery_path), 1);
  EXPECT_OK(t->verify(sign(keys().a, claims_of(p.issuer() + "/"))));
}

// Each hostile or broken discovery answer: refused with its code and reason, the JWKS never
// fetched, verify() answers jwks_unavailable with the reason.
struct bad_discovery {
  const char* name;
  answer reply;
  errc code;
  const char* reason;
};

class trusted_issuers_bad_discovery : public trusted_issuers_test,
                                      public testing::WithParamInterface<bad_discovery> {};

TEST_P(trusted_issuers_bad_discovery, is_refused_and_no_jwks_is_fetched) {
  provider p;
  p.serve_keys({keys().a});
  answer reply = GetParam().reply;
  if (reply.body == "@mismatch")
    reply.body =
        nlohmann::json{{"issuer", p.issuer() + "/other"}, {"jwks_uri", p.issuer() + "/jwks"}}
            .dump();
  if (reply.body == "@redirect") reply.location = p.issuer() + "/elsewhere";
  p.on(discovery_path, reply);
  auto o = options_for(p);
  o.timeout = 300ms;
  auto t = make({o});
  auto failure = first_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->what, issuer_event::kind::discovery_failed);
  EXPECT_EQ(failure->error, GetParam().code) << failure->detail;
  EXPECT_NE(failure->detail.find(GetParam().reason), std::string::npos) << failure->detail;
  auto r = t->verify(sign(keys().a, claims_of(p.issuer())));
  ASSERT_ERRC(r, errc::jwks_unavailable);
  EXPECT_NE(r.error().message.find(GetParam().reason), std::string::npos) << r.error().message;
  EXPECT_FALSE(t->stats()[0].ready);
  EXPECT_EQ(p.requests("/jwks"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    cases, trusted_issuers_bad_discovery,
    testing::Values(
        bad_discovery{"issuer_mismatch",
                      {200, "@mismatch"},
                      errc::invalid_configuration,
                      "not the configured one"},
        bad_discovery{
            "redirect", {302, "@redirect"}, errc::jwks_unavailable, "redirects are not followed"},
        bad_discovery{"oversized",
                      {200, std::string(300 * 1024, ' ')},
                      errc::jwks_unavailable,
                      "larger than"},
        bad_discovery{
            "slow", {200, "{}", "", 1500ms}, errc::jwks_unavailable, "no complete response"},
        bad_discovery{"invalid_json",
                      {200, "{\"issuer\": "},
                      errc::invalid_configuration,
                      "not a JSON object"},
        bad_discovery{"not_found", {404, "no"}, errc::jwks_unavailable, "HTTP status 404"},
        bad_discovery{"no_jwks_uri",
                      {200, "{\"issuer\": \"x\"}"},
                      errc::invalid_configuration,
                      "must be strings"}),
    [](const auto& test_case) { return std::string(test_case.param.name); });

// The plain-http jwks_uri needs the provider's own issuer in the document, so it has its own test.
TEST_F(trusted_issuers_test, a_discovered_jwks_uri_must_be_https_or_loopback) {
  provider p;
  p.serve_discovery(p.issuer(), "http://idp.example.com/jwks");
  auto t = make({options_for(p)});
  auto failure = first_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error, errc::invalid_configuration);
  EXPECT_NE(failure->detail.find("jwks_uri must be https://"), std::string::npos)
      << failure->detail;
}

TEST_F(trusted_issuers_test, discovery_keeps_the_authorization_and_token_endpoints) {
  provider p;
  p.serve_keys({keys().a});
  p.on(discovery_path, {200, nlohmann::json{{"issuer", p.issuer()},
                                            {"jwks_uri", p.issuer() + "/jwks"},
                                            {"authorization_endpoint", p.issuer() + "/auth"},
                                            {"token_endpoint", p.issuer() + "/token"}}
                                 .dump()});
  auto t = make({options_for(p)});
  EXPECT_FALSE(t->metadata("https://idp.example.com"));  // not configured
  ASSERT_TRUE(t->wait_until_ready(10s));
  auto m = t->metadata(p.issuer());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->issuer, p.issuer());
  EXPECT_EQ(m->jwks_uri, p.issuer() + "/jwks");
  EXPECT_EQ(m->authorization_endpoint, p.issuer() + "/auth");
  EXPECT_EQ(m->token_endpoint, p.issuer() + "/token");
}

TEST_F(trusted_issuers_test, an_endpoint_that_fails_the_url_rule_is_left_out_and_reported) {
  provider p;
  p.serve_keys({keys().a});
  p.on(discovery_path, {200, nlohmann::json{{"issuer", p.issuer()},
                                            {"jwks_uri", p.issuer() + "/jwks"},
                                            {"authorization_endpoint", "http://idp.example/auth"},
                                            {"token_endpoint", 42}}
                                 .dump()});
  auto t = make({options_for(p)});
  ASSERT_TRUE(t->wait_until_ready(10s));
  auto m = t->metadata(p.issuer());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->authorization_endpoint);
  EXPECT_FALSE(m->token_endpoint);
  ASSERT_TRUE(eventually([&] { return count_events(issuer_event::kind::discovery_ok) == 1; }));
  const std::string detail = events()[0].detail;
  EXPECT_NE(detail.find("authorization_endpoint must be https://"), std::string::npos) << detail;
  EXPECT_NE(detail.find("token_endpoint is not a string (ignored)"), std::string::npos) << detail;
}

TEST_F(trusted_issuers_test, a_configured_jwks_url_has_no_metadata) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.jwks_url = p.issuer() + "/jwks";
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  EXPECT_FALSE(t->metadata(p.issuer()));
}

TEST_F(trusted_issuers_test, a_jwks_with_a_secret_key_is_refused_and_the_old_keys_stay) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make_ready(p);
  // A set of secrets only: a set mixing them with public keys is refused for that already.
  p.on("/jwks", {200, R"({"keys":[{"kty":"oct","kid":"s","alg":"HS256",)"
                      R"("k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMg"}]})"});
  EXPECT_ERRC(t->verify(sign(keys().b, claims_of(p.issuer()))), errc::unknown_key);  // refetch
  auto failure = first_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->what, issuer_event::kind::jwks_failed);
  EXPECT_EQ(failure->error, errc::invalid_key);
  EXPECT_NE(failure->detail.find("secret (oct) key"), std::string::npos) << failure->detail;
  EXPECT_OK(t->verify(sign(keys().a, claims_of(p.issuer()))));
  EXPECT_TRUE(t->stats()[0].ready);
  EXPECT_EQ(t->stats()[0].fetch_failures, 1u);
}

TEST_F(trusted_issuers_test, a_jwks_that_is_not_json_is_refused_as_invalid_key) {
  provider p;
  p.on("/jwks", {200, "not json"});
  auto t = make({options_for(p)});
  auto failure = first_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->what, issuer_event::kind::jwks_failed);
  EXPECT_EQ(failure->error, errc::invalid_key);
  EXPECT_ERRC(t->verify(sign(keys().a, claims_of(p.issuer()))), errc::jwks_unavailable);
}

// --- faults over time -----------------------------------------------------------------------

TEST_F(trusted_issuers_test, a_provider_down_at_start_is_retried_until_it_comes_up) {
  int port = 0;
  {
    provider gone;  // a free port, closed again
    port = gone.port();
  }
  issuer_options o;
  o.issuer = "http://127.0.0.1:" + std::to_string(port);
  o.audiences = {"api"};
  o.algorithms = {algorithm::es256};
  auto t = make({o});
  ASSERT_TRUE(first_failure());
  auto r = t->verify(sign(keys().a, claims_of(o.issuer)));
  ASSERT_ERRC(r, errc::jwks_unavailable);
  EXPECT_NE(r.error().message.find("no keys from " + o.issuer + " yet"), std::string::npos)
      << r.error().message;

  provider back(port);
  back.serve_keys({keys().a});
  ASSERT_TRUE(t->wait_until_ready(15s));
  EXPECT_OK(t->verify(sign(keys().a, claims_of(o.issuer))));
  EXPECT_EQ(count_events(issuer_event::kind::discovery_failed), 1);  // once, however many retries
  EXPECT_EQ(count_events(issuer_event::kind::discovery_ok), 1);
}

TEST_F(trusted_issuers_test, a_failure_is_reported_once_however_often_it_repeats) {
  provider p;
  p.on(discovery_path, {500, "down"});
  auto t = make({options_for(p)});
  ASSERT_TRUE(eventually([&] { return t->stats()[0].fetch_failures >= 2; }));
  EXPECT_EQ(count_events(issuer_event::kind::discovery_failed), 1);
  EXPECT_GE(p.requests(discovery_path), 2);
}

TEST_F(trusted_issuers_test, an_unknown_kid_refetches_at_most_once_per_interval) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make_ready(p);
  const std::string made_up = sign(keys().outsider.with_id("made-up"), claims_of(p.issuer()));
  ASSERT_ERRC(t->verify(made_up), errc::unknown_key);
  ASSERT_TRUE(eventually([&] { return p.requests("/jwks") == 2; }));
  for (int i = 0; i < 20; ++i) EXPECT_ERRC(t->verify(made_up), errc::unknown_key);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(p.requests("/jwks"), 2);  // the flood caused no request

  advance(30s);  // min_refresh_interval
  EXPECT_ERRC(t->verify(made_up), errc::unknown_key);
  ASSERT_TRUE(eventually([&] { return p.requests("/jwks") == 3; }));
  EXPECT_EQ(p.requests(discovery_path), 1);  // the jwks_uri is kept
}

TEST_F(trusted_issuers_test, a_rotated_key_is_accepted_after_one_refetch) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make_ready(p);
  p.serve_keys({keys().a, keys().b});
  const std::string rotated = sign(keys().b, claims_of(p.issuer()));
  EXPECT_ERRC(t->verify(rotated), errc::unknown_key);
  ASSERT_TRUE(eventually([&] { return static_cast<bool>(t->verify(rotated)); }));
  EXPECT_EQ(p.requests("/jwks"), 2);
  // The first keys, then the rotation (reported just after the keys are in use).
  ASSERT_TRUE(eventually([&] { return count_events(issuer_event::kind::jwks_ok) == 2; }));
  EXPECT_NE(events().back().detail.find("2 keys (changed)"), std::string::npos)
      << events().back().detail;
  EXPECT_OK(t->verify(sign(keys().a, claims_of(p.issuer()))));
}

TEST_F(trusted_issuers_test, keys_older_than_max_key_age_stop_verifying) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.max_key_age = 600s;
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  const std::string token = sign(keys().a, claims_of(p.issuer()));
  advance(599s);
  EXPECT_OK(t->verify(token));
  advance(1s);
  auto r = t->verify(token);
  ASSERT_ERRC(r, errc::jwks_unavailable);
  EXPECT_NE(r.error().message.find("older than max_key_age"), std::string::npos);
  EXPECT_FALSE(t->stats()[0].ready);
  EXPECT_FALSE(t->wait_until_ready(10ms));
}

// --- the verified-token cache ----------------------------------------------------------------

// Signs `claims` of the provider's issuer with key b and a kid nobody publishes, so that
// verifying it asks the background thread for the JWKS again (a rate-limited refetch).
std::string refetch_trigger(const std::string& iss) {
  return sign(keys().b.with_id("not-published"), claims_of(iss));
}

TEST_F(trusted_issuers_test, the_cache_answers_a_token_seen_before_with_the_same_identity) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make({options_for(p)}, 64);
  ASSERT_TRUE(t->wait_until_ready(10s));
  const std::string token = sign(keys().a, claims_of(p.issuer()));
  auto first = t->verify(token);
  ASSERT_OK(first);
  auto second = t->verify(token);
  ASSERT_OK(second);
  EXPECT_EQ(second->subject, "alice");
  EXPECT_EQ(second->client_id, "app");
  EXPECT_EQ(second->issuer, p.issuer());
  EXPECT_EQ(second->token.claims_json(), first->token.claims_json());
  const auto cache = t->cache_stats();
  EXPECT_EQ(cache.misses, 1u);
  EXPECT_EQ(cache.hits, 1u);
  EXPECT_EQ(cache.entries, 1u);
  EXPECT_EQ(t->stats()[0].accepted, 2u);  // a hit is an accepted token all the same
  // A refused token is never remembered.
  EXPECT_ERRC(t->verify(sign(keys().outsider, claims_of(p.issuer()))), errc::invalid_signature);
  EXPECT_EQ(t->cache_stats().entries, 1u);
}

TEST_F(trusted_issuers_test, the_cache_is_off_by_default) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make_ready(p);
  const std::string token = sign(keys().a, claims_of(p.issuer()));
  ASSERT_OK(t->verify(token));
  ASSERT_OK(t->verify(token));
  const auto cache = t->cache_stats();
  EXPECT_EQ(cache.hits + cache.misses + cache.entries, 0u);
}

TEST_F(trusted_issuers_test, a_hit_still_checks_the_time_window_with_the_issuers_leeway) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.leeway_seconds = 30;
  auto t = make({o}, 64);
  ASSERT_TRUE(t->wait_until_ready(10s));
  auto claims = claims_of(p.issuer());
  claims["exp"] = start_time + 100;
  const std::string token = sign(keys().a, claims);
  ASSERT_OK(t->verify(token));
  advance(129s);  // exp + leeway - 1
  EXPECT_OK(t->verify(token));
  EXPECT_EQ(t->cache_stats().hits, 1u);
  advance(1s);
  EXPECT_ERRC(t->verify(token), errc::expired);
  EXPECT_EQ(t->stats()[0].rejected, 1u);
}

TEST_F(trusted_issuers_test, a_hit_does_not_outlive_max_key_age) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.max_key_age = 600s;
  auto t = make({o}, 64);
  ASSERT_TRUE(t->wait_until_ready(10s));
  const std::string token = sign(keys().a, claims_of(p.issuer()));
  ASSERT_OK(t->verify(token));
  advance(599s);
  EXPECT_OK(t->verify(token));
  EXPECT_EQ(t->cache_stats().hits, 1u);
  advance(1s);
  EXPECT_ERRC(t->verify(token), errc::jwks_unavailable);
}

TEST_F(trusted_issuers_test, a_key_removed_at_rotation_stops_its_cached_tokens) {
  provider p;
  p.serve_keys({keys().a, keys().b});
  auto t = make({options_for(p)}, 64);
  ASSERT_TRUE(t->wait_until_ready(10s));
  const std::string old_token = sign(keys().a, claims_of(p.issuer()));
  const std::string new_token = sign(keys().b, claims_of(p.issuer()));
  ASSERT_OK(t->verify(old_token));
  ASSERT_OK(t->verify(new_token));
  ASSERT_OK(t->verify(old_token));
  EXPECT_EQ(t->cache_stats().hits, 1u);

  p.serve_keys({keys().b});  // the provider retires key a
  EXPECT_ERRC(t->verify(refetch_trigger(p.issuer())), errc::unknown_key);
  // The changed set is reported once it is in use.
  ASSERT_TRUE(eventually([&] { return count_events(issuer_event::kind::jwks_ok) == 2; }));
  EXPECT_ERRC(t->verify(old_token), errc::unknown_key);
  EXPECT_OK(t->verify(new_token));  // verified afresh with the new set
  EXPECT_OK(t->verify(new_token));
}

TEST_F(trusted_issuers_test, a_refetch_of_the_same_keys_keeps_the_cache) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make({options_for(p)}, 64);
  ASSERT_TRUE(t->wait_until_ready(10s));
  const std::string token = sign(keys().a, claims_of(p.issuer()));
  ASSERT_OK(t->verify(token));
  EXPECT_ERRC(t->verify(refetch_trigger(p.issuer())), errc::unknown_key);
  ASSERT_TRUE(eventually([&] { return p.requests("/jwks") == 2; }));
  // The fetched keys replace the old ones just after the response; wait for the swap.
  ASSERT_TRUE(eventually([&] { return t->stats()[0].fetches == 3; }));
  std::this_thread::sleep_for(100ms);
  ASSERT_OK(t->verify(token));
  EXPECT_EQ(t->cache_stats().hits, 1u);
  EXPECT_EQ(t->cache_stats().misses, 2u);  // the token and the trigger, each once
}

// Request threads share the cache while the background thread swaps the key set under them; run
// under ThreadSanitizer (the tsan preset) this shows the sharing is race-free.
TEST_F(trusted_issuers_test, the_cache_is_shared_safely_by_threads_during_a_rotation) {
  provider p;
  p.serve_keys({keys().a, keys().b});
  auto o = options_for(p);
  o.min_refresh_interval = 1s;
  auto t = make({o}, 64);
  ASSERT_TRUE(t->wait_until_ready(10s));
  std::vector<std::string> tokens;
  for (int i = 0; i < 8; ++i) {
    auto claims = claims_of(p.issuer());
    claims["jti"] = "t-" + std::to_string(i);
    tokens.push_back(sign(i % 2 ? keys().b : keys().a, claims));
  }
  std::atomic<bool> rotated{false}, stop{false};
  std::atomic<int> accepted_after_rotation_with_a{0}, failures{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n)
    threads.emplace_back([&, n] {
      for (int round = 0; !stop; ++round) {
        const std::string& token = tokens[(round + n) % tokens.size()];
        const bool signed_by_a = ((round + n) % tokens.size()) % 2 == 0;
        const bool after = rotated.load();
        auto r = t->verify(token);
        if (r && after && signed_by_a) ++accepted_after_rotation_with_a;
        if (!r && (!signed_by_a || r.code() != errc::unknown_key)) ++failures;
      }
    });
  std::this_thread::sleep_for(5ms);
  p.serve_keys({keys().b});
  EXPECT_ERRC(t->verify(refetch_trigger(p.issuer())), errc::unknown_key);
  ASSERT_TRUE(eventually([&] { return count_events(issuer_event::kind::jwks_ok) == 2; }));
  rotated = true;
  std::this_thread::sleep_for(50ms);
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(accepted_after_rotation_with_a.load(), 0);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i % 2 == 0)
      EXPECT_ERRC(t->verify(tokens[i]), errc::unknown_key);
    else
      EXPECT_OK(t->verify(tokens[i]));
  }
}

TEST_F(trusted_issuers_test, verify_does_not_wait_for_a_hanging_fetch) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.timeout = 3s;
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  p.on("/jwks", {200, "", "", 0ms, true});
  EXPECT_ERRC(t->verify(sign(keys().b, claims_of(p.issuer()))), errc::unknown_key);
  ASSERT_TRUE(eventually([&] { return p.requests("/jwks") == 2; }));  // the fetch now hangs
  const std::string token = sign(keys().a, claims_of(p.issuer()));
  for (int i = 0; i < 10; ++i) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_OK(t->verify(token));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);  // correctness, not speed
  }
  const auto stopping = std::chrono::steady_clock::now();
  t.reset();  // abandons the hanging transfer rather than wait for its timeout
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 2500ms);
}

TEST_F(trusted_issuers_test, https_works_with_the_configured_ca_and_only_with_it) {
  // A self-signed certificate for IP 127.0.0.1 that is its own CA.
  const std::string dir = testing::TempDir();
  const test::tls_files tls{dir + "/trusted-issuers-cert.pem", dir + "/trusted-issuers-key.pem"};
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=jwtfort-test -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      tls.key + "' -out '" + tls.cert + "' 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  provider p(0, &tls);
  p.serve_keys({keys().a});
  auto trusted_ca = options_for(p);
  trusted_ca.ca_file = tls.cert;
  auto t = make({trusted_ca});
  ASSERT_TRUE(t->wait_until_ready(10s));
  EXPECT_OK(t->verify(sign(keys().a, claims_of(p.issuer()))));

  {
    std::lock_guard lock(*events_mutex_);
    events_->clear();
  }
  auto untrusted = make({options_for(p)});  // the system's CAs only
  auto failure = first_failure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->error, errc::jwks_unavailable);
  EXPECT_NE(failure->detail.find("TLS"), std::string::npos) << failure->detail;
  EXPECT_ERRC(untrusted->verify(sign(keys().a, claims_of(p.issuer()))), errc::jwks_unavailable);
}

// --- routing --------------------------------------------------------------------------------

TEST_F(trusted_issuers_test, an_unconfigured_issuer_is_refused_without_any_request) {
  provider trusted;
  trusted.serve_keys({keys().a});
  provider untrusted;
  untrusted.serve_keys({keys().a});
  auto t = make_ready(trusted);
  const int before = trusted.all_requests();
  for (const auto& iss : {untrusted.issuer(), trusted.issuer() + "/", std::string("")}) {
    auto token = sign(keys().a, claims_of(iss));
    EXPECT_FALSE(t->knows_issuer_of(token));
    auto r = t->verify(token);
    ASSERT_ERRC(r, errc::invalid_issuer) << iss;
  }
  auto no_iss = claims_of("x");
  no_iss.erase("iss");
  EXPECT_ERRC(t->verify(sign(keys().a, no_iss)), errc::invalid_issuer);
  EXPECT_ERRC(t->verify(sign(keys().a, {{"iss", 42}})), errc::invalid_claim);
  EXPECT_ERRC(t->verify("not a token"), errc::malformed_token);
  EXPECT_ERRC(t->verify("a.!!!.c"), errc::invalid_base64);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(untrusted.all_requests(), 0);
  EXPECT_EQ(trusted.all_requests(), before);
  EXPECT_TRUE(t->knows_issuer_of(sign(keys().a, claims_of(trusted.issuer()))));
}

TEST_F(trusted_issuers_test, a_token_is_checked_by_its_own_issuers_keys_and_rules) {
  provider one;
  one.serve_keys({keys().a});
  provider two;
  two.serve_keys({keys().b});
  auto o2 = options_for(two);
  o2.audiences = {"other-api"};
  auto t = make({options_for(one), o2});
  ASSERT_TRUE(t->wait_until_ready(10s));
  EXPECT_OK(t->verify(sign(keys().a, claims_of(one.issuer()))));
  // Signed with issuer one's key but claiming issuer two: two's keys do not know kid "a".
  EXPECT_ERRC(t->verify(sign(keys().a, claims_of(two.issuer()))), errc::unknown_key);
  EXPECT_ERRC(t->verify(sign(keys().b, claims_of(two.issuer()))), errc::invalid_audience);
  auto for_two = claims_of(two.issuer());
  for_two["aud"] = "other-api";
  EXPECT_OK(t->verify(sign(keys().b, for_two)));
  // The outsider's key carries kid "a" too: the signature decides.
  EXPECT_ERRC(t->verify(sign(keys().outsider, claims_of(one.issuer()))), errc::invalid_signature);
  EXPECT_EQ(t->stats()[0].accepted, 1u);
  EXPECT_EQ(t->stats()[0].rejected, 1u);
}

// --- RFC 9068 -------------------------------------------------------------------------------

TEST_F(trusted_issuers_test, require_at_jwt_wants_the_type_and_every_rfc9068_claim) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.require_at_jwt = true;
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  const auto claims = claims_of(p.issuer());
  EXPECT_OK(t->verify(sign(keys().a, claims, "at+jwt")));
  EXPECT_OK(t->verify(sign(keys().a, claims, "application/at+jwt")));
  EXPECT_ERRC(t->verify(sign(keys().a, claims, "JWT")), errc::invalid_type);
  EXPECT_ERRC(t->verify(sign(keys().a, claims, "")), errc::invalid_type);
  for (const char* name : {"sub", "client_id", "iat", "jti", "exp", "aud"}) {
    auto without = claims;
    without.erase(name);
    EXPECT_ERRC(t->verify(sign(keys().a, without, "at+jwt")), errc::missing_claim) << name;
  }
}

TEST_F(trusted_issuers_test, without_require_at_jwt_id_token_shaped_tokens_pass) {
  provider p;
  p.serve_keys({keys().a});
  auto t = make_ready(p);
  auto claims = claims_of(p.issuer());
  claims.erase("client_id");
  claims.erase("jti");
  claims["azp"] = "spa";
  auto who = t->verify(sign(keys().a, claims));
  ASSERT_OK(who);
  EXPECT_EQ(who->client_id, "spa");
  claims.erase("aud");
  EXPECT_ERRC(t->verify(sign(keys().a, claims)), errc::missing_claim);
}

TEST_F(trusted_issuers_test, audience_claim_client_id_takes_access_tokens_without_aud) {
  provider p;
  p.serve_keys({keys().a});
  auto o = options_for(p);
  o.audience_claim = "client_id";
  o.audiences = {"app"};
  o.claims.roles = {"cognito:groups"};
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  auto access = claims_of(p.issuer());
  access.erase("aud");
  access["token_use"] = "access";
  access["cognito:groups"] = {"admins"};
  auto who = t->verify(sign(keys().a, access));
  ASSERT_OK(who);
  EXPECT_EQ(who->client_id, "app");
  EXPECT_EQ(who->roles, (std::vector<std::string>{"admins"}));
  auto other_client = access;
  other_client["client_id"] = "someone-else";
  EXPECT_ERRC(t->verify(sign(keys().a, other_client)), errc::invalid_audience);
  auto no_client = access;
  no_client.erase("client_id");
  EXPECT_ERRC(t->verify(sign(keys().a, no_client)), errc::missing_claim);
  // An ID token (aud set to the client, no client_id) is not an access token; nor is any token
  // with an aud.
  auto id_token = claims_of(p.issuer());
  id_token.erase("client_id");
  id_token["aud"] = "app";
  EXPECT_ERRC(t->verify(sign(keys().a, id_token)), errc::missing_claim);
  auto with_aud = access;
  with_aud["aud"] = "app";
  EXPECT_ERRC(t->verify(sign(keys().a, with_aud)), errc::invalid_audience);
}

// --- claim mapping --------------------------------------------------------------------------

class trusted_issuers_mapping : public trusted_issuers_test {
 protected:
  void SetUp() override { provider_.serve_keys({keys().a}); }

  issuer_identity identity(const claim_mapping& m, const nlohmann::json& extra) {
    auto o = options_for(provider_);
    o.claims = m;
    auto t = make({o});
    EXPECT_TRUE(t->wait_until_ready(10s));
    auto claims = claims_of(provider_.issuer());
    claims.update(extra);
    return must(t->verify(sign(keys().a, claims)), "verify");
  }

  using names = std::vector<std::string>;
  provider provider_;
};

TEST_F(trusted_issuers_mapping, keycloak_realm_and_client_roles) {
  claim_mapping m;
  m.roles = {"realm_access.roles", "resource_access.my-api.roles"};
  auto who = identity(m, {{"realm_access", {{"roles", {"user", "admin"}}}},
                          {"resource_access",
                           {{"my-api", {{"roles", {"reader", "user"}}}},
                            {"account", {{"roles", {"manage-account"}}}}}},
                          {"scope", "openid profile email"}});
  EXPECT_EQ(who.roles, (names{"user", "admin", "reader"}));
  EXPECT_EQ(who.scopes, (names{"openid", "profile", "email"}));
}

TEST_F(trusted_issuers_mapping, auth0_permissions_and_namespaced_claims) {
  claim_mapping m;
  m.roles = {"https://example.com/roles"};
  m.scopes = {"permissions", "scope"};
  auto who = identity(m, {{"https://example.com/roles", {"editor"}},
                          {"permissions", {"read:items", "write:items"}},
                          {"scope", "read:items"}});
  EXPECT_EQ(who.roles, (names{"editor"}));
  EXPECT_EQ(who.scopes, (names{"read:items", "write:items"}));
}

TEST_F(trusted_issuers_mapping, entra_roles_and_scp) {
  auto who =
      identity(claim_mapping{}, {{"roles", {"Task.Write"}}, {"scp", "User.Read Files.Read"}});
  EXPECT_EQ(who.roles, (names{"Task.Write"}));
  EXPECT_EQ(who.scopes, (names{"User.Read", "Files.Read"}));
}

TEST_F(trusted_issuers_mapping, cognito_groups_and_okta_scp_array) {
  claim_mapping m;
  m.roles = {"cognito:groups"};
  m.scopes = {"scp"};
  auto who = identity(m, {{"cognito:groups", {"admins", "staff"}}, {"scp", {"openid", "email"}}});
  EXPECT_EQ(who.roles, (names{"admins", "staff"}));
  EXPECT_EQ(who.scopes, (names{"openid", "email"}));
}

TEST_F(trusted_issuers_mapping, a_mapped_subject_and_plain_scope) {
  claim_mapping m;
  m.subject = "ext.user-id";
  m.scopes = {"scope"};
  auto who = identity(m, {{"ext", {{"user-id", "u-42"}}}, {"scope", "  a  b "}});
  EXPECT_EQ(who.subject, "u-42");
  EXPECT_EQ(who.token.subject(), "alice");
  EXPECT_EQ(who.scopes, (names{"a", "b"}));
}

TEST_F(trusted_issuers_mapping, values_of_other_shapes_give_no_roles_and_never_fail) {
  claim_mapping m;
  m.roles = {"n", "o", "mixed", "missing", "deep.missing.x", "s.t", "nul", "flag"};
  auto who = identity(m, {{"n", 42},
                          {"o", {{"roles", {"x"}}}},
                          {"mixed", {"ok", 1}},
                          {"s", "not an object"},
                          {"nul", nullptr},
                          {"flag", true}});
  EXPECT_TRUE(who.roles.empty());
}

TEST_F(trusted_issuers_mapping, a_subject_that_is_not_a_string_is_missing_claim) {
  auto o = options_for(provider_);
  o.claims.subject = "oid";
  auto t = make({o});
  ASSERT_TRUE(t->wait_until_ready(10s));
  auto claims = claims_of(provider_.issuer());
  claims["oid"] = 7;
  EXPECT_ERRC(t->verify(sign(keys().a, claims)), errc::missing_claim);
}

// --- configuration --------------------------------------------------------------------------

TEST(trusted_issuers_options_test, every_mistake_is_invalid_configuration_naming_the_field) {
  auto base = [] {
    issuer_options o;
    o.issuer = "https://idp.example.com";
    o.audiences = {"api"};
    return o;
  };
  struct mistake {
    std::function<void(issuer_options&)> apply;
    const char* reason;
  };
  const std::vector<mistake> mistakes = {
      {[](auto& o) { o.issuer = "http://idp.example.com"; }, "issuer must be https://"},
      {[](auto& o) { o.issuer = ""; }, "issuer is empty"},
      {[](auto& o) { o.issuer = "https://u:p@idp.example.com"; }, "user information"},
      {[](auto& o) { o.issuer = "https://idp.example.com/?a=b"; }, "query or fragment"},
      {[](auto& o) { o.jwks_url = "http://idp.example.com/jwks"; }, "jwks_url must be https://"},
      {[](auto& o) { o.audiences.clear(); }, "audiences is empty"},
      {[](auto& o) { o.audiences = {""}; }, "empty string"},
      {[](auto& o) { o.audience_claim = "azp"; }, "audience_claim"},
      {[](auto& o) { o.algorithms.clear(); }, "algorithms is empty"},
      {[](auto& o) { o.algorithms = {algorithm::hs256}; }, "HMAC"},
      {[](auto& o) { o.leeway_seconds = 301; }, "leeway_seconds"},
      {[](auto& o) { o.refresh_interval = 0s; }, "refresh_interval"},
      {[](auto& o) { o.min_refresh_interval = 0s; }, "min_refresh_interval"},
      {[](auto& o) { o.max_key_age = o.refresh_interval; }, "max_key_age"},
      {[](auto& o) { o.max_bytes = 10; }, "max_bytes"},
      {[](auto& o) { o.timeout = 10ms; }, "timeout"},
      {[](auto& o) { o.claims.roles = {"a..b"}; }, "empty segment"},
      {[](auto& o) { o.claims.scopes = {".a"}; }, "empty segment"},
      {[](auto& o) { o.claims.subject = ""; }, "claims.subject"},
  };
  for (const auto& m : mistakes) {
    auto o = base();
    m.apply(o);
    auto r = trusted_issuers::create({.issuers = {o}});
    ASSERT_ERRC(r, errc::invalid_configuration) << m.reason;
    EXPECT_NE(r.error().message.find(m.reason), std::string::npos) << r.error().message;
  }
  EXPECT_ERRC(trusted_issuers::create({}), errc::invalid_configuration);
  auto twice = trusted_issuers::create({.issuers = {base(), base()}});
  ASSERT_ERRC(twice, errc::invalid_configuration);
  EXPECT_NE(twice.error().message.find("configured twice"), std::string::npos);
}

}  // namespace
