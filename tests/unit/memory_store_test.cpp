// The token_store contract on the in-memory store, the revocation index every store shares, and
// store URL parsing.
#include <chrono>

#include "integration/store_test_support.hpp"
#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/token_store.hpp"
#include "store/revocation_index.hpp"
#include "test_support.hpp"

namespace jwtfort {
namespace {

using store_detail::revocation;
using store_detail::revocation_index;
using store_detail::revocation_kind;

constexpr std::int64_t t0 = test::now;

std::unique_ptr<token_store> memory() {
  store_options o;
  o.purge_interval = std::chrono::milliseconds(0);  // tests purge by hand
  return make_memory_store(o);
}

// The rotation tests here use one family of tokens issued at t0.
refresh_use use_of(std::string_view jti, std::int64_t now, std::int64_t grace = 0) {
  return test::refresh_use_of(jti, "fam-1", t0, now, grace);
}

TEST(revocation_index, merges_records_keeping_the_later_times) {
  revocation_index index;
  index.apply({revocation_kind::subject, "alice", t0, t0 + 10});
  index.apply({revocation_kind::subject, "alice", t0 - 5, t0 + 100});  // older event, arrives late
  auto records = index.snapshot();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0], (revocation{revocation_kind::subject, "alice", t0, t0 + 100}));
}

TEST(revocation_index, subject_rule_is_iat_at_or_before_the_revocation) {
  revocation_index index;
  index.apply({revocation_kind::subject, "alice", t0, t0 + 100});
  EXPECT_TRUE(index.is_revoked({.subject = "alice", .issued_at = t0 - 1}));
  EXPECT_TRUE(index.is_revoked({.subject = "alice", .issued_at = t0}));
  EXPECT_FALSE(index.is_revoked({.subject = "alice", .issued_at = t0 + 1}));
  EXPECT_TRUE(index.is_revoked({.subject = "alice"}));  // no iat: cannot prove it is newer
  EXPECT_FALSE(index.is_revoked({.subject = "bob", .issued_at = t0}));
}

TEST(revocation_index, purge_removes_only_records_past_keep_until) {
  revocation_index index;
  index.apply({revocation_kind::token, "old", 0, t0 - 1});
  index.apply({revocation_kind::token, "edge", 0, t0});
  index.apply({revocation_kind::family, "fam", 0, keep_forever});
  EXPECT_EQ(index.purge(t0), 1u);
  EXPECT_FALSE(index.is_revoked({.jwt_id = "old"}));
  EXPECT_TRUE(index.is_revoked({.jwt_id = "edge"}));
  EXPECT_TRUE(index.is_revoked({.family = "fam"}));
  store_stats s = index.counts();
  EXPECT_EQ(s.revoked_tokens, 1u);
  EXPECT_EQ(s.revoked_families, 1u);
}

TEST(revocation_index, replace_all_drops_what_the_new_set_lacks) {
  revocation_index index;
  index.apply({revocation_kind::token, "a", 0, t0});
  index.replace_all({{revocation_kind::token, "b", 0, t0}});
  EXPECT_FALSE(index.is_revoked({.jwt_id = "a"}));
  EXPECT_TRUE(index.is_revoked({.jwt_id = "b"}));
}

TEST(memory_store, revokes_tokens_subjects_and_families) {
  auto store = memory();
  EXPECT_OK(store->check({.jwt_id = "j1", .subject = "alice", .issued_at = t0}));
  ASSERT_OK(store->revoke_token("j1", t0 + 60));
  ASSERT_OK(store->revoke_family("fam-1", t0 + 60));
  ASSERT_OK(store->revoke_subject("bob", t0, t0 + 60));
  EXPECT_ERRC(store->check({.jwt_id = "j1"}), errc::revoked);
  EXPECT_ERRC(store->check({.jwt_id = "j2", .family = "fam-1"}), errc::revoked);
  EXPECT_ERRC(store->check({.jwt_id = "j3", .subject = "bob", .issued_at = t0}), errc::revoked);
  EXPECT_OK(store->check({.jwt_id = "j3", .subject = "bob", .issued_at = t0 + 1}));
  EXPECT_OK(store->check({.jwt_id = "j2", .family = "fam-2"}));
}

TEST(memory_store, refuses_empty_names) {
  auto store = memory();
  EXPECT_ERRC(store->revoke_token("", t0), errc::invalid_claim);
  EXPECT_ERRC(store->revoke_subject("", t0, t0), errc::invalid_claim);
  EXPECT_ERRC(store->revoke_family("", t0), errc::invalid_claim);
  EXPECT_ERRC(store->use_refresh_token({.jwt_id = "", .family = "f"}), errc::invalid_claim);
}

TEST(memory_store, second_use_of_a_refresh_token_revokes_its_family) {
  auto store = memory();
  auto first = store->use_refresh_token(use_of("r1", t0));
  ASSERT_OK(first);
  EXPECT_EQ(*first, refresh_verdict::first_use);
  ASSERT_OK(store->use_refresh_token(use_of("r2", t0 + 5)));
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0 + 6)), errc::token_reused);
  // The family is gone: the newest token (r3, never used) is refused too.
  EXPECT_ERRC(store->use_refresh_token(use_of("r3", t0 + 7)), errc::revoked);
  EXPECT_ERRC(store->check({.jwt_id = "r3", .family = "fam-1"}), errc::revoked);
}

TEST(memory_store, reuse_revokes_every_token_that_names_the_family) {
  auto store = memory();
  ASSERT_OK(store->use_refresh_token(use_of("r1", t0)));
  // An access token issued with r1's successor: its own jti, the subject, and the family.
  const revocation_query access{
      .jwt_id = "a2", .subject = "alice", .issued_at = t0, .family = "fam-1"};
  EXPECT_OK(store->check(access));
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0 + 6)), errc::token_reused);
  EXPECT_ERRC(store->check(access), errc::revoked);
  EXPECT_OK(store->check({.jwt_id = "a3", .subject = "alice", .issued_at = t0}));
}

TEST(memory_store, grace_window_accepts_a_concurrent_retry_only_inside_it) {
  auto store = memory();
  ASSERT_OK(store->use_refresh_token(use_of("r1", t0, 10)));
  auto retry = store->use_refresh_token(use_of("r1", t0 + 10, 10));
  ASSERT_OK(retry);
  EXPECT_EQ(*retry, refresh_verdict::within_grace);
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0 + 11, 10)), errc::token_reused);
}

TEST(memory_store, no_grace_means_any_second_use_is_reuse) {
  auto store = memory();
  ASSERT_OK(store->use_refresh_token(use_of("r1", t0, 0)));
  EXPECT_ERRC(store->use_refresh_token(use_of("r1", t0, 0)), errc::token_reused);
}

TEST(memory_store, purge_and_stats) {
  auto store = memory();
  ASSERT_OK(store->revoke_token("gone", t0 - 1));
  ASSERT_OK(store->revoke_token("kept", t0 + 1));
  ASSERT_OK(store->use_refresh_token(use_of("r1", t0)));  // kept until t0 + 3600
  auto before = store->stats();
  ASSERT_OK(before);
  EXPECT_EQ(before->revoked_tokens, 2u);
  EXPECT_EQ(before->used_refresh_tokens, 1u);
  auto purged = store->purge_expired(t0);
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_OK(store->check({.jwt_id = "gone"}));
  EXPECT_ERRC(store->check({.jwt_id = "kept"}), errc::revoked);
  purged = store->purge_expired(t0 + 3601);
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 2u);
  auto after = store->stats();
  ASSERT_OK(after);
  EXPECT_EQ(after->revoked_tokens + after->used_refresh_tokens, 0u);
}

TEST(memory_store, background_purge_runs_on_its_own) {
  store_options o;
  o.purge_interval = std::chrono::milliseconds(5);
  o.clock = fixed_clock(t0);
  auto store = make_memory_store(o);
  ASSERT_OK(store->revoke_token("gone", t0 - 1));
  // Waits up to 5 s for the purge thread; the check after it names what is still wrong.
  test::eventually([&] { return store->check({.jwt_id = "gone"}).has_value(); },
                   std::chrono::seconds(5));
  EXPECT_OK(store->check({.jwt_id = "gone"}));
}

TEST(memory_store, concurrent_uses_of_one_refresh_token_accept_exactly_one) {
  auto store = memory();
  auto uses = test::race(8, [&] { return store->use_refresh_token(use_of("r1", t0)); });
  EXPECT_EQ(uses.succeeded, 1);
  EXPECT_EQ(uses.reused + uses.revoked, 7);
  EXPECT_GE(uses.reused, 1);
}

TEST(store_url, refuses_malformed_urls) {
  for (const char* url :
       {"", "memory://x", "sqlite://", "redis://127.0.0.1:0", "redis://h:70000", "redis://h:port",
        "redis://h/db", "redis://h/-1", "redis://[::1", "redis://h:%zz@h", "ftp://h", "Memory://"})
    EXPECT_ERRC(open_store(url), errc::invalid_configuration) << url;
}

TEST(store_url, memory_url_opens_a_working_store) {
  auto store = open_store("memory://");
  ASSERT_OK(store);
  ASSERT_OK((*store)->revoke_token("j", t0));
  EXPECT_ERRC((*store)->check({.jwt_id = "j"}), errc::revoked);
}

}  // namespace
}  // namespace jwtfort
