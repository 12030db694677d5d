// The token life cycle: claims of new tokens, the four checks, time boundaries with an injected
// clock, revocation and refresh rotation with reuse detection.
#include "jwtfort/service/token_service.hpp"

#include <atomic>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace jwtfort {
namespace {

constexpr std::int64_t t0 = test::now;
const std::string secret(32, 's');

struct service_fixture : testing::Test {
  std::atomic<std::int64_t> now{t0};
  std::shared_ptr<token_store> store;

  token_service_options options() {
    token_service_options o;
    o.clock = [this] { return now.load(); };
    store_options so;
    so.purge_interval = std::chrono::milliseconds(0);
    store = make_memory_store(so);
    o.store = store;
    return o;
  }
  static key_ring ring() {
    return test::must(key_ring::from_key(test::must(key::from_secret(secret, algorithm::hs256))));
  }
  token_service make(token_service_options o) {
    return test::must(token_service::create(ring(), std::move(o)));
  }
  token_service make() { return make(options()); }
  static nlohmann::json claims_of(std::string_view token) {
    return nlohmann::json::parse(test::unb64(test::split(token).payload));
  }
};

using token_service_test = service_fixture;

TEST_F(token_service_test, access_token_has_the_fastapi_jwt_auth_claims) {
  auto o = options();
  o.encode_issuer = "https://auth.example.com";
  o.decode_issuer = "https://auth.example.com";
  auto service = make(std::move(o));
  auto token = service.create_access_token({.subject = "alice", .fresh = true});
  ASSERT_OK(token);
  auto c = claims_of(*token);
  EXPECT_EQ(c["sub"], "alice");
  EXPECT_EQ(c["iat"], t0);
  EXPECT_EQ(c["nbf"], t0);
  EXPECT_EQ(c["exp"], t0 + 15 * 60);
  EXPECT_EQ(c["type"], "access");
  EXPECT_EQ(c["fresh"], true);
  EXPECT_EQ(c["iss"], "https://auth.example.com");
  EXPECT_EQ(c["jti"].get<std::string>().size(), 36u);  // a UUID, as fastapi-jwt-auth writes
  EXPECT_FALSE(c.contains("fam"));
  EXPECT_FALSE(c.contains("csrf"));
  EXPECT_FALSE(c.contains("aud"));
}

TEST_F(token_service_test, refresh_token_starts_a_family_named_after_itself) {
  auto service = make();
  auto token = service.create_refresh_token({.subject = "alice", .fresh = true});
  ASSERT_OK(token);
  auto c = claims_of(*token);
  EXPECT_EQ(c["type"], "refresh");
  EXPECT_EQ(c["exp"], t0 + 30 * 24 * 3600);
  EXPECT_EQ(c["fam"], c["jti"]);
  EXPECT_FALSE(c.contains("fresh"));
  EXPECT_FALSE(c.contains("iss"));
}

TEST_F(token_service_test, audience_csrf_and_extra_claims) {
  auto o = options();
  o.csrf_claim = true;
  o.audiences = {"api", "admin"};
  auto service = make(std::move(o));
  auto one = service.create_access_token({.subject = "a", .audience = {"api"}});
  auto two = service.create_access_token(
      {.subject = "a", .audience = {"api", "admin"}, .extra_claims_json = R"({"roles":["x"]})"});
  ASSERT_OK(one);
  ASSERT_OK(two);
  EXPECT_EQ(claims_of(*one)["aud"], "api");
  EXPECT_EQ(claims_of(*two)["aud"], nlohmann::json::array({"api", "admin"}));
  EXPECT_EQ(claims_of(*two)["roles"], nlohmann::json::array({"x"}));
  EXPECT_EQ(claims_of(*one)["csrf"].get<std::string>().size(), 36u);
  EXPECT_NE(claims_of(*one)["csrf"], claims_of(*two)["csrf"]);
  EXPECT_OK(service.require_access(*two));
}

TEST_F(token_service_test, reserved_extra_claims_are_refused_not_merged) {
  auto service = make();
  for (const char* name :
       {"sub", "iat", "nbf", "jti", "exp", "type", "fresh", "iss", "aud", "csrf", "fam"}) {
    std::string extra = std::string(R"({")") + name + R"(":"x"})";
    EXPECT_ERRC(service.create_access_token({.subject = "a", .extra_claims_json = extra}),
                errc::invalid_claim)
        << name;
  }
  EXPECT_ERRC(service.create_access_token({.subject = "a", .extra_claims_json = "[1]"}),
              errc::invalid_claim);
  EXPECT_ERRC(service.create_access_token({.subject = ""}), errc::invalid_claim);
  EXPECT_ERRC(service.create_access_token({.subject = "a", .lifetime = 0}), errc::invalid_claim);
}

TEST_F(token_service_test, no_expiry_only_by_explicit_choice) {
  auto service = make();
  auto forever = service.create_access_token({.subject = "a", .never_expires = true});
  ASSERT_OK(forever);
  EXPECT_FALSE(claims_of(*forever).contains("exp"));
  // The service still expects expiring access tokens, so it refuses the one it was asked for.
  EXPECT_ERRC(service.require_access(*forever), errc::missing_claim);

  auto o = options();
  o.access_lifetime = std::nullopt;
  auto unlimited = make(std::move(o));
  auto token = unlimited.create_access_token({.subject = "a"});
  ASSERT_OK(token);
  EXPECT_FALSE(claims_of(*token).contains("exp"));
  EXPECT_OK(unlimited.require_access(*token));
}

TEST_F(token_service_test, expiry_boundaries_with_and_without_leeway) {
  auto service = make();
  auto token = service.create_access_token({.subject = "a", .lifetime = 60});
  ASSERT_OK(token);
  now = t0 + 59;
  EXPECT_OK(service.require_access(*token));
  now = t0 + 60;
  EXPECT_ERRC(service.require_access(*token), errc::expired);

  auto o = options();
  o.leeway_seconds = 30;
  now = t0;
  auto lenient = make(std::move(o));
  token = lenient.create_access_token({.subject = "a", .lifetime = 60});
  ASSERT_OK(token);
  now = t0 + 89;
  EXPECT_OK(lenient.require_access(*token));
  now = t0 + 90;
  EXPECT_ERRC(lenient.require_access(*token), errc::expired);
}

TEST_F(token_service_test, not_before_boundary) {
  auto service = make();
  auto token = service.create_access_token({.subject = "a"});
  ASSERT_OK(token);
  now = t0 - 1;
  EXPECT_ERRC(service.require_access(*token), errc::not_yet_valid);
  now = t0;
  EXPECT_OK(service.require_access(*token));
}

TEST_F(token_service_test, each_check_takes_only_its_token_type) {
  auto service = make();
  auto access = service.create_access_token({.subject = "a"});
  auto fresh = service.create_access_token({.subject = "a", .fresh = true});
  auto refresh = service.create_refresh_token({.subject = "a"});
  ASSERT_OK(access);
  ASSERT_OK(fresh);
  ASSERT_OK(refresh);
  EXPECT_OK(service.require_access(*access));
  EXPECT_ERRC(service.require_access(*refresh), errc::wrong_token_type);
  EXPECT_ERRC(service.require_refresh(*access), errc::wrong_token_type);
  EXPECT_ERRC(service.require_fresh(*refresh), errc::wrong_token_type);
  EXPECT_ERRC(service.require_fresh(*access), errc::fresh_token_required);
  EXPECT_OK(service.require_fresh(*fresh));
  EXPECT_OK(service.require_refresh(*refresh));
}

TEST_F(token_service_test, optional_access_is_anonymous_only_without_a_token) {
  auto service = make();
  auto none = service.optional_access("");
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  EXPECT_ERRC(service.optional_access("garbage"), errc::malformed_token);
  auto access = service.create_access_token({.subject = "alice"});
  ASSERT_OK(access);
  auto some = service.optional_access(*access);
  ASSERT_OK(some);
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->subject(), "alice");
}

TEST_F(token_service_test, issuer_is_checked_on_access_tokens_only) {
  auto o = options();
  o.decode_issuer = "https://auth.example.com";
  auto checking = make(o);
  auto plain = make();  // writes no iss
  o.encode_issuer = "https://other.example.com";
  auto other = make(o);
  auto no_iss = plain.create_access_token({.subject = "a"});
  auto wrong_iss = other.create_access_token({.subject = "a"});
  auto refresh = plain.create_refresh_token({.subject = "a"});
  ASSERT_OK(no_iss);
  ASSERT_OK(wrong_iss);
  ASSERT_OK(refresh);
  EXPECT_ERRC(checking.require_access(*no_iss), errc::missing_claim);
  EXPECT_ERRC(checking.require_access(*wrong_iss), errc::invalid_issuer);
  EXPECT_OK(checking.require_refresh(*refresh));
}

TEST_F(token_service_test, a_fastapi_jwt_auth_token_is_accepted) {
  // The claims fastapi-jwt-auth 0.5 writes for create_access_token("alice"), HS256.
  std::string payload = R"({"sub":"alice","iat":)" + std::to_string(t0) + R"(,"nbf":)" +
                        std::to_string(t0) +
                        R"(,"jti":"8a3c1f52-6a0e-4d55-9d7a-1f2f0c4b9e11","exp":)" +
                        std::to_string(t0 + 900) + R"(,"type":"access","fresh":false})";
  std::string token = test::hmac_token(R"({"typ":"JWT","alg":"HS256"})", payload, secret);
  auto service = make();
  auto t = service.require_access(token);
  ASSERT_OK(t);
  EXPECT_EQ(t->subject(), "alice");
}

TEST_F(token_service_test, revoking_an_access_token) {
  auto service = make();
  auto a = service.create_access_token({.subject = "alice"});
  auto b = service.create_access_token({.subject = "alice"});
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(service.revoke(test::must(service.require_access(*a))));
  EXPECT_ERRC(service.require_access(*a), errc::revoked);
  EXPECT_OK(service.require_access(*b));
  auto s = test::must(store->stats());
  EXPECT_EQ(s.revoked_tokens, 1u);
}

// A connection opened with a token checks it again later: the clock has moved, and the token or
// its subject may have been revoked since.
TEST_F(token_service_test, recheck_access_sees_expiry_and_revocations_made_later) {
  auto o = options();
  o.leeway_seconds = 5;
  auto service = make(std::move(o));
  const verified_token a = test::must(service.require_access(
      test::must(service.create_access_token({.subject = "alice", .lifetime = 60}))));
  const verified_token b = test::must(
      service.require_access(test::must(service.create_access_token({.subject = "alice"}))));
  const verified_token c = test::must(
      service.require_access(test::must(service.create_access_token({.subject = "carol"}))));
  EXPECT_OK(service.recheck_access(a));
  now = t0 + 64;
  EXPECT_OK(service.recheck_access(a));
  now = t0 + 65;
  EXPECT_ERRC(service.recheck_access(a), errc::expired);

  now = t0;
  ASSERT_OK(service.revoke(b));
  EXPECT_ERRC(service.recheck_access(b), errc::revoked);
  EXPECT_OK(service.recheck_access(c));
  ASSERT_OK(service.revoke_subject("carol"));
  EXPECT_ERRC(service.recheck_access(c), errc::revoked);
}

TEST_F(token_service_test, log_out_everywhere_revokes_tokens_issued_up_to_now) {
  auto service = make();
  auto access = service.create_access_token({.subject = "alice"});
  auto refresh = service.create_refresh_token({.subject = "alice"});
  auto bobs = service.create_access_token({.subject = "bob"});
  ASSERT_OK(service.revoke_subject("alice"));
  EXPECT_ERRC(service.require_access(*access), errc::revoked);
  EXPECT_ERRC(service.require_refresh(*refresh), errc::revoked);
  EXPECT_OK(service.require_access(*bobs));
  now = t0 + 1;  // a login after the revocation
  auto later = service.create_access_token({.subject = "alice"});
  EXPECT_OK(service.require_access(*later));
}

TEST_F(token_service_test, revocation_checks_follow_the_configured_types) {
  auto o = options();
  o.revocation_checks = {token_type::access};
  auto service = make(o);
  auto refresh = service.create_refresh_token({.subject = "alice"});
  ASSERT_OK(service.revoke(test::must(service.require_refresh(*refresh))));
  EXPECT_OK(service.require_refresh(*refresh));  // refresh tokens are not checked

  o.revocation_checks.clear();
  auto off = make(o);
  auto access = off.create_access_token({.subject = "alice"});
  EXPECT_ERRC(off.revoke(test::must(off.require_access(*access))), errc::invalid_configuration);
  EXPECT_ERRC(off.revoke_subject("alice"), errc::invalid_configuration);

  o = options();
  o.store = nullptr;
  auto stateless = make(o);
  auto r = stateless.create_refresh_token({.subject = "alice"});
  EXPECT_ERRC(stateless.revoke_subject("alice"), errc::invalid_configuration);
  EXPECT_ERRC(stateless.refresh(*r), errc::invalid_configuration);
}

TEST_F(token_service_test, rotation_keeps_subject_audience_claims_and_family) {
  auto o = options();
  o.audiences = {"api"};
  auto service = make(o);
  auto r1 = service.create_refresh_token(
      {.subject = "alice", .audience = {"api"}, .extra_claims_json = R"({"tenant":"t1"})"});
  ASSERT_OK(r1);
  now = t0 + 100;
  auto pair = service.refresh(*r1);
  ASSERT_OK(pair);
  auto access = claims_of(pair->access_token);
  auto r2 = claims_of(pair->refresh_token);
  EXPECT_EQ(access["sub"], "alice");
  EXPECT_EQ(access["aud"], "api");
  EXPECT_EQ(access["tenant"], "t1");
  EXPECT_EQ(access["fresh"], false);
  EXPECT_EQ(access["iat"], t0 + 100);
  EXPECT_EQ(r2["fam"], claims_of(*r1)["jti"]);
  EXPECT_NE(r2["jti"], claims_of(*r1)["jti"]);
  EXPECT_EQ(r2["exp"], t0 + 100 + 30 * 24 * 3600);
  EXPECT_EQ(r2["tenant"], "t1");
  EXPECT_OK(service.require_access(pair->access_token));
}

TEST_F(token_service_test, reusing_a_spent_refresh_token_revokes_the_family) {
  auto service = make();
  auto r1 = service.create_refresh_token({.subject = "alice"});
  ASSERT_OK(r1);
  auto pair = service.refresh(*r1);
  ASSERT_OK(pair);
  now = t0 + 1;
  EXPECT_ERRC(service.refresh(*r1), errc::token_reused);
  // The thief and the owner both lose the session: r2 was never used but its family is revoked.
  EXPECT_ERRC(service.refresh(pair->refresh_token), errc::revoked);
  EXPECT_ERRC(service.require_refresh(pair->refresh_token), errc::revoked);
  // Another login of the same user is a different family and still works.
  auto other = service.create_refresh_token({.subject = "alice"});
  EXPECT_OK(service.refresh(*other));
}

TEST_F(token_service_test, a_token_pair_starts_one_family_for_both_tokens) {
  auto service = make();
  auto pair = service.create_token_pair({.subject = "alice", .fresh = true});
  ASSERT_OK(pair);
  auto access = claims_of(pair->access_token);
  auto refresh = claims_of(pair->refresh_token);
  EXPECT_EQ(access["type"], "access");
  EXPECT_EQ(refresh["type"], "refresh");
  EXPECT_EQ(access["fresh"], true);
  EXPECT_EQ(refresh["fam"], refresh["jti"]);
  EXPECT_EQ(access["fam"], refresh["fam"]);
  EXPECT_NE(access["jti"], refresh["jti"]);
  auto other = service.create_token_pair({.subject = "alice"});
  ASSERT_OK(other);
  EXPECT_NE(claims_of(other->access_token)["fam"], access["fam"]);
  EXPECT_EQ(claims_of(other->access_token)["fresh"], false);
  EXPECT_ERRC(service.create_token_pair({.subject = ""}), errc::invalid_claim);
}

TEST_F(token_service_test, reuse_revokes_the_access_tokens_of_the_family) {
  auto service = make();
  auto login = service.create_token_pair({.subject = "alice", .fresh = true});
  ASSERT_OK(login);
  auto rotated = service.refresh(login->refresh_token);
  ASSERT_OK(rotated);
  EXPECT_EQ(claims_of(rotated->access_token)["fam"], claims_of(login->refresh_token)["fam"]);
  ASSERT_OK(service.require_access(rotated->access_token));
  auto other = service.create_token_pair({.subject = "alice"});
  auto alone = service.create_access_token({.subject = "alice", .fresh = true});
  ASSERT_OK(other);
  ASSERT_OK(alone);

  now = t0 + 1;
  EXPECT_ERRC(service.refresh(login->refresh_token), errc::token_reused);
  EXPECT_ERRC(service.require_access(rotated->access_token), errc::revoked);
  EXPECT_ERRC(service.require_fresh(login->access_token), errc::revoked);
  EXPECT_ERRC(service.optional_access(rotated->access_token), errc::revoked);
  // Another login, and an access token issued alone, belong to no revoked family.
  EXPECT_OK(service.require_access(other->access_token));
  EXPECT_OK(service.require_fresh(*alone));
}

TEST_F(token_service_test, a_family_revoked_for_reuse_outlives_its_longest_lived_access_token) {
  auto o = options();
  o.access_lifetime = 7200;  // longer than the refresh tokens: the family must cover it
  o.refresh_lifetime = 3600;
  auto service = make(o);
  auto login = service.create_token_pair({.subject = "alice"});
  ASSERT_OK(login);
  auto rotated = service.refresh(login->refresh_token);
  ASSERT_OK(rotated);
  EXPECT_ERRC(service.refresh(login->refresh_token), errc::token_reused);
  ASSERT_OK(store->purge_expired(t0 + 3600 + 1));
  now = t0 + 3600 + 1;
  EXPECT_ERRC(service.require_access(rotated->access_token), errc::revoked);
  // Access tokens without exp: the family is kept for good.
  o.access_lifetime = std::nullopt;
  auto forever = make(o);
  login = forever.create_token_pair({.subject = "bob"});
  ASSERT_OK(login);
  ASSERT_OK(forever.revoke(test::must(forever.require_refresh(login->refresh_token))));
  ASSERT_OK(store->purge_expired(keep_forever - 1));
  EXPECT_ERRC(forever.require_access(login->access_token), errc::revoked);
}

TEST_F(token_service_test, grace_window_for_concurrent_refreshes) {
  auto o = options();
  o.reuse_grace_seconds = 10;
  auto service = make(o);
  auto r1 = service.create_refresh_token({.subject = "alice"});
  ASSERT_OK(service.refresh(*r1));
  now = t0 + 10;
  ASSERT_OK(service.refresh(*r1));  // a second tab, inside the window
  now = t0 + 11;
  EXPECT_ERRC(service.refresh(*r1), errc::token_reused);
  o.reuse_grace_seconds = 301;
  EXPECT_ERRC(token_service::create(ring(), o), errc::invalid_configuration);
}

TEST_F(token_service_test, a_refresh_token_without_a_family_rotates_as_its_own) {
  std::string payload = R"({"sub":"alice","iat":)" + std::to_string(t0) + R"(,"nbf":)" +
                        std::to_string(t0) + R"(,"jti":"legacy-1","exp":)" +
                        std::to_string(t0 + 900) + R"(,"type":"refresh"})";
  std::string legacy = test::hmac_token(R"({"typ":"JWT","alg":"HS256"})", payload, secret);
  auto service = make();
  auto pair = service.refresh(legacy);
  ASSERT_OK(pair);
  EXPECT_EQ(claims_of(pair->refresh_token)["fam"], "legacy-1");
  EXPECT_ERRC(service.refresh(legacy), errc::token_reused);
}

TEST_F(token_service_test, revoking_a_refresh_token_ends_its_family) {
  auto service = make();
  auto r1 = service.create_refresh_token({.subject = "alice"});
  auto pair = service.refresh(*r1);
  ASSERT_OK(pair);
  ASSERT_OK(service.revoke(test::must(service.require_refresh(pair->refresh_token))));
  EXPECT_ERRC(service.require_refresh(pair->refresh_token), errc::revoked);
  EXPECT_ERRC(service.refresh(pair->refresh_token), errc::revoked);
  EXPECT_ERRC(service.require_access(pair->access_token), errc::revoked);
}

TEST_F(token_service_test, revoking_an_access_token_of_a_family_leaves_the_family) {
  auto service = make();
  auto login = service.create_token_pair({.subject = "alice"});
  ASSERT_OK(login);
  ASSERT_OK(service.revoke(test::must(service.require_access(login->access_token))));
  EXPECT_ERRC(service.require_access(login->access_token), errc::revoked);
  EXPECT_OK(service.refresh(login->refresh_token));
}

TEST_F(token_service_test, rejects_bad_options) {
  auto o = options();
  o.access_lifetime = 0;
  EXPECT_ERRC(token_service::create(ring(), o), errc::invalid_configuration);
  o = options();
  o.refresh_lifetime = -1;
  EXPECT_ERRC(token_service::create(ring(), o), errc::invalid_configuration);
  o = options();
  o.leeway_seconds = 301;
  EXPECT_ERRC(token_service::create(ring(), o), errc::invalid_configuration);
}

TEST(key_ring, every_key_has_a_kid_and_old_keys_keep_verifying) {
  auto ring = test::must(key_ring::from_key(test::must(key::generate(algorithm::es256))));
  EXPECT_EQ(ring.active().id(), ring.active().thumbprint());
  auto old_signer = test::must(signer::create(ring.active()));
  std::string old_token = test::must(old_signer.sign(claims{}.subject("a").expires_at(t0 + 60)));

  auto next = test::must(ring.rotated(2));
  EXPECT_EQ(next.keys().size(), 2u);
  EXPECT_NE(next.active().id(), ring.active().id());
  EXPECT_EQ(next.active().alg(), algorithm::es256);
  EXPECT_EQ(next.keys().keys()[1].id(), ring.active().id());

  verifier_options vo;
  vo.algorithms = {algorithm::es256};
  vo.keys = next.keys();
  vo.clock = fixed_clock(t0);
  auto v = test::must(verifier::create(vo));
  EXPECT_OK(v.verify(old_token));

  // Two more rotations with keep 2 drop the first key: its tokens no longer verify.
  auto last = test::must(test::must(next.rotated(2)).rotated(2));
  vo.keys = last.keys();
  EXPECT_ERRC(test::must(verifier::create(vo)).verify(old_token), errc::unknown_key);
  EXPECT_ERRC(ring.rotated(1), errc::invalid_configuration);
}

TEST(key_ring, private_jwks_round_trip_and_public_export) {
  auto ring = test::must(key_ring::from_key(test::must(key::generate(algorithm::eddsa))));
  auto next = test::must(ring.rotated(3));
  auto text = test::must(next.to_private_jwks());
  auto loaded = test::must(key_ring::from_jwks(text));
  EXPECT_EQ(loaded.active().id(), next.active().id());
  EXPECT_EQ(loaded.keys().size(), 2u);
  auto published = nlohmann::json::parse(next.to_public_jwks());
  EXPECT_EQ(published["keys"].size(), 2u);
  EXPECT_FALSE(published["keys"][0].contains("d"));
  // A ring needs a signing key first.
  EXPECT_ERRC(key_ring::from_jwks(next.to_public_jwks()), errc::invalid_key);
  EXPECT_ERRC(key_ring::from_jwks(R"({"keys":[]})"), errc::invalid_key);
}

// --- the verified-token cache: a remembered token gets exactly the answers a fresh one gets,
// with the time window, the type and revocation checked on every call.

struct cached_service_test : service_fixture {
  token_service make_cached() {
    auto o = options();
    o.verified_cache_entries = 8;
    return make(std::move(o));
  }
};

TEST_F(cached_service_test, time_window_is_checked_again_on_every_hit) {
  auto service = make_cached();
  auto token = test::must(service.create_access_token({.subject = "alice", .lifetime = 60}));
  EXPECT_OK(service.require_access(token));
  EXPECT_OK(service.require_access(token));  // from the cache
  now = t0 + 59;
  EXPECT_OK(service.require_access(token));
  now = t0 + 60;
  EXPECT_ERRC(service.require_access(token), errc::expired);
  now = t0 - 1;  // a clock set back: iat and nbf are in the future again
  EXPECT_ERRC(service.require_access(token), errc::not_yet_valid);
}

TEST_F(cached_service_test, revocation_is_checked_on_every_hit) {
  auto service = make_cached();
  auto token = test::must(service.create_access_token({.subject = "alice"}));
  auto verified = test::must(service.require_access(token));
  ASSERT_OK(service.revoke(verified));
  EXPECT_ERRC(service.require_access(token), errc::revoked);
}

TEST_F(cached_service_test, a_family_revocation_reaches_a_remembered_access_token) {
  auto service = make_cached();
  auto login = service.create_token_pair({.subject = "alice"});
  ASSERT_OK(login);
  auto rotated = service.refresh(login->refresh_token);
  ASSERT_OK(rotated);
  ASSERT_OK(service.require_access(rotated->access_token));  // remembered from here on
  EXPECT_ERRC(service.refresh(login->refresh_token), errc::token_reused);
  EXPECT_ERRC(service.require_access(rotated->access_token), errc::revoked);
}

TEST_F(cached_service_test, a_token_remembered_as_access_is_not_a_refresh_token) {
  auto service = make_cached();
  auto access = test::must(service.create_access_token({.subject = "alice"}));
  EXPECT_OK(service.require_access(access));
  EXPECT_ERRC(service.require_refresh(access), errc::wrong_token_type);
  EXPECT_ERRC(service.require_fresh(access), errc::fresh_token_required);
}

TEST_F(cached_service_test, only_the_exact_bytes_hit) {
  auto service = make_cached();
  auto token = test::must(service.create_access_token({.subject = "alice"}));
  EXPECT_OK(service.require_access(token));
  std::string tampered = token;
  const std::size_t middle = tampered.rfind('.') + 10;
  tampered[middle] = tampered[middle] == 'A' ? 'B' : 'A';
  EXPECT_ERRC(service.require_access(tampered), errc::invalid_signature);
  EXPECT_OK(service.require_access(token));
}

TEST_F(cached_service_test, more_tokens_than_entries_all_keep_their_answers) {
  auto service = make_cached();
  std::vector<std::string> tokens;
  for (int i = 0; i < 64; ++i)
    tokens.push_back(test::must(service.create_access_token({.subject = "u" + std::to_string(i)})));
  for (int round = 0; round < 2; ++round)
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      auto t = service.require_access(tokens[i]);
      ASSERT_OK(t);
      EXPECT_EQ(t->subject(), "u" + std::to_string(i));
    }
}

// A remembered token leaves at its `exp` read in whole seconds; in the last fraction of its
// second it is verified again, so the answer stays the verifier's.
TEST_F(cached_service_test, a_fractional_exp_gets_the_verifiers_answer_in_its_last_second) {
  auto service = make_cached();
  auto s = test::must(signer::create(ring().active()));
  auto c =
      test::must(claims::from_json(R"({"sub":"alice","jti":"j1","iat":)" + std::to_string(t0) +
                                   R"(,"type":"access","exp":)" + std::to_string(t0 + 60) + ".5}"));
  auto token = test::must(s.sign(c));
  now = t0 + 59;
  EXPECT_OK(service.require_access(token));
  EXPECT_OK(service.require_access(token));  // remembered
  now = t0 + 60;
  EXPECT_OK(service.require_access(token));  // verified again: 60 < 60.5
  EXPECT_OK(service.require_access(token));
  now = t0 + 61;
  EXPECT_ERRC(service.require_access(token), errc::expired);
  const auto stats = service.cache_stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.expired, 1u);
  EXPECT_EQ(stats.entries, 0u);
}

TEST_F(cached_service_test, counts_hits_and_misses_shared_by_copies_of_the_service) {
  auto service = make_cached();
  auto token = test::must(service.create_access_token({.subject = "alice"}));
  const token_service copy = service;
  EXPECT_OK(service.require_access(token));
  EXPECT_OK(copy.require_access(token));
  EXPECT_OK(copy.require_access(token));
  EXPECT_ERRC(service.require_refresh(token), errc::wrong_token_type);
  const auto stats = copy.cache_stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.expired, 0u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_GT(stats.bytes, token.size());
}

TEST_F(cached_service_test, an_expired_token_leaves_the_cache_and_a_leeway_keeps_it) {
  auto o = options();
  o.verified_cache_entries = 8;
  o.leeway_seconds = 5;
  auto service = make(std::move(o));
  auto token = test::must(service.create_access_token({.subject = "alice", .lifetime = 60}));
  EXPECT_OK(service.require_access(token));
  now = t0 + 64;  // past exp, within the leeway: still a hit
  EXPECT_OK(service.require_access(token));
  EXPECT_EQ(service.cache_stats().hits, 1u);
  now = t0 + 65;
  EXPECT_ERRC(service.require_access(token), errc::expired);
  const auto stats = service.cache_stats();
  EXPECT_EQ(stats.expired, 1u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes, 0u);
}

TEST_F(cached_service_test, a_service_without_a_cache_counts_nothing) {
  auto service = make();
  auto token = test::must(service.create_access_token({.subject = "alice"}));
  EXPECT_OK(service.require_access(token));
  const auto stats = service.cache_stats();
  EXPECT_EQ(stats.hits + stats.misses + stats.entries + stats.bytes, 0u);
}

}  // namespace
}  // namespace jwtfort
