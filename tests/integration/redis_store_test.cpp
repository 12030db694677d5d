// The Redis store against real redis-server processes on loopback: revocation and expiry,
// propagation between stores and processes, refresh rotation, outages, data loss and threads.
// Every test starts its own server on its own port, so test executables may run in parallel.
#include "jwtfort/store/redis_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "integration/redis_server.hpp"
#include "integration/store_test_support.hpp"
#include "jwtfort/store/open_store.hpp"
#include "jwtfort/store/token_store.hpp"
#include "support/assertions.hpp"

namespace jwtfort {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;
using test::eventually;
using test::probe;
using test::redis_server;
using test::refresh_use_of;

store_options quiet_options() {
  store_options o;
  o.purge_interval = 0ms;  // tests purge by hand
  return o;
}

std::unique_ptr<token_store> open(const redis_server& redis, store_options o = quiet_options()) {
  auto store = open_redis_store(redis.endpoint(), std::move(o));
  if (!store) throw std::runtime_error("open_redis_store: " + store.error().message);
  return std::move(*store);
}

bool is_revoked(const token_store& s, std::string_view jti) {
  return s.check({.jwt_id = jti}).code() == errc::revoked;
}

long long pttl(const redis_server& redis, const std::string& key) {
  return redis.command({"PTTL", key}).integer;
}

TEST(redis_store, revokes_tokens_subjects_and_families) {
  redis_server redis;
  auto store = open(redis);
  const std::int64_t now = system_now();
  EXPECT_OK(store->check({.jwt_id = "j1", .subject = "alice", .issued_at = now}));
  ASSERT_OK(store->revoke_token("j1", now + 60));
  ASSERT_OK(store->revoke_subject("alice", now, keep_forever));
  ASSERT_OK(store->revoke_family("fam-1", now + 60));

  EXPECT_EQ(store->check({.jwt_id = "j1"}).code(), errc::revoked);
  EXPECT_OK(store->check({.jwt_id = "j2"}));
  EXPECT_EQ(store->check({.subject = "alice", .issued_at = now - 1}).code(), errc::revoked);
  EXPECT_EQ(store->check({.subject = "alice", .issued_at = now}).code(), errc::revoked);
  EXPECT_OK(store->check({.subject = "alice", .issued_at = now + 1}));
  EXPECT_EQ(store->check({.subject = "alice"}).code(), errc::revoked);  // no iat
  EXPECT_OK(store->check({.subject = "bob", .issued_at = now}));
  EXPECT_EQ(store->check({.jwt_id = "other", .family = "fam-1"}).code(), errc::revoked);
  EXPECT_OK(store->check({.jwt_id = "other", .family = "fam-2"}));

  // A subject's time moves forward, never back, and so does its keep_until.
  ASSERT_OK(store->revoke_subject("alice", now - 100, now + 10));
  EXPECT_EQ(store->check({.subject = "alice", .issued_at = now}).code(), errc::revoked);
  EXPECT_EQ(pttl(redis, "jwtfort:s:alice"), -1);

  // Redis keeps each record until keep_until (EXPIREAT), and keep_forever without a TTL.
  EXPECT_GT(pttl(redis, "jwtfort:t:j1"), 55'000);
  EXPECT_LE(pttl(redis, "jwtfort:t:j1"), 62'000);
  EXPECT_GT(pttl(redis, "jwtfort:f:fam-1"), 55'000);

  // A brand-new store reads the same from Redis.
  auto fresh = open(redis);
  EXPECT_EQ(fresh->check({.jwt_id = "j1"}).code(), errc::revoked);
  EXPECT_EQ(fresh->check({.subject = "alice", .issued_at = now}).code(), errc::revoked);
  EXPECT_OK(fresh->check({.subject = "alice", .issued_at = now + 1}));
  EXPECT_EQ(fresh->check({.family = "fam-1"}).code(), errc::revoked);
  auto stats = fresh->stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->revoked_tokens, 1u);
  EXPECT_EQ(stats->revoked_subjects, 1u);
  EXPECT_EQ(stats->revoked_families, 1u);

  EXPECT_EQ(store->revoke_token("", now).code(), errc::invalid_claim);
  EXPECT_EQ(store->revoke_subject("", now, now).code(), errc::invalid_claim);
  EXPECT_EQ(store->revoke_family("", now).code(), errc::invalid_claim);
}

TEST(redis_store, expired_records_leave_redis_and_the_index) {
  redis_server redis;
  auto store = open(redis);
  const std::int64_t now = system_now();
  ASSERT_OK(store->revoke_token("short", now + 1));
  const long long ttl = pttl(redis, "jwtfort:t:short");
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 2'000);
  EXPECT_TRUE(eventually(
      [&] {
        return redis.command({"EXISTS", "jwtfort:t:short"}).integer == 0;
      },
      5s));
  // The index keeps it until purged, then it is gone everywhere.
  EXPECT_EQ(store->check({.jwt_id = "short"}).code(), errc::revoked);
  auto purged = store->purge_expired(now + 2);
  ASSERT_OK(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_OK(store->check({.jwt_id = "short"}));
  EXPECT_OK(open(redis)->check({.jwt_id = "short"}));
}

TEST(redis_store, names_with_any_byte_and_a_glob_prefix_survive) {
  redis_server redis;
  store_options o = quiet_options();
  o.redis_prefix = "app*[x]?:";
  auto a = open(redis, o);
  auto b = open(redis, o);
  auto other_app = open(redis);
  // A key the prefix would match if it were read as a glob: not ours.
  redis.command({"SET", "app123x!:t:decoy", "0 99999999999"});
  const std::string name("a b\0c\xff\n", 8);
  ASSERT_OK(a->revoke_token(name, keep_forever));
  ASSERT_OK(a->revoke_subject("sp ace", 5, keep_forever));
  EXPECT_TRUE(eventually([&] { return is_revoked(*b, name); }));
  EXPECT_TRUE(eventually([&] { return b->check({.subject = "sp ace"}).code() == errc::revoked; }));
  auto fresh = open(redis, o);
  EXPECT_EQ(fresh->check({.jwt_id = name}).code(), errc::revoked);
  EXPECT_EQ(fresh->check({.subject = "sp ace", .issued_at = 5}).code(), errc::revoked);
  EXPECT_OK(fresh->check({.subject = "sp ace", .issued_at = 6}));
  EXPECT_OK(fresh->check({.jwt_id = "decoy"}));
  auto stats = fresh->stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->revoked_tokens, 1u);
  EXPECT_OK(other_app->check({.jwt_id = name}));
}

TEST(redis_store, a_revocation_reaches_another_store_in_this_process_within_100ms) {
  redis_server redis;
  auto a = open(redis);
  auto b = open(redis);
  steady::duration worst{};
  for (int i = 0; i < 20; ++i) {
    const std::string jti = "same-process-" + std::to_string(i);
    const auto start = steady::now();
    ASSERT_OK(a->revoke_token(jti, keep_forever));
    ASSERT_TRUE(eventually([&] { return is_revoked(*b, jti); }, 2s));
    worst = std::max(worst, steady::now() - start);
  }
  std::cout << "same-process propagation (revoke call + pub/sub), worst of 20: "
            << std::chrono::duration_cast<std::chrono::microseconds>(worst).count() << " us\n";
  EXPECT_LT(worst, 100ms);
}

TEST(redis_store, a_revocation_reaches_another_process_within_100ms) {
  redis_server redis;
  auto store = open(redis);
  probe child({JWTFORT_STORE_PROBE, redis.url(), "wait-revoked", "cross-1", "5000"});
  ASSERT_EQ(child.read_line(20s), "ready");
  const auto before = steady::now();
  ASSERT_OK(store->revoke_token("cross-1", keep_forever));
  auto seen = child.read_line(20s);
  ASSERT_TRUE(seen.has_value());
  ASSERT_NE(*seen, "timeout");
  const auto delay = std::chrono::nanoseconds(std::stoll(*seen)) - before.time_since_epoch();
  std::cout << "cross-process propagation (revoke call + pub/sub + probe poll): "
            << std::chrono::duration_cast<std::chrono::microseconds>(delay).count() << " us\n";
  EXPECT_LT(delay, 100ms);
  EXPECT_EQ(child.wait(), 0);
}

TEST(redis_store, refresh_rotation_detects_reuse_across_stores) {
  redis_server redis;
  auto a = open(redis);
  auto b = open(redis);
  const std::int64_t now = system_now();
  auto first = a->use_refresh_token(refresh_use_of("r1", "fam", now, now));
  ASSERT_OK(first);
  EXPECT_EQ(*first, refresh_verdict::first_use);
  EXPECT_GT(pttl(redis, "jwtfort:u:r1"), 3'590'000);

  // Grace 0 means none: a second use in the same second, through another store, is reuse.
  EXPECT_EQ(b->use_refresh_token(refresh_use_of("r1", "fam", now, now)).code(), errc::token_reused);
  EXPECT_EQ(b->check({.jwt_id = "r2", .family = "fam"}).code(), errc::revoked);
  EXPECT_TRUE(eventually([&] { return a->check({.family = "fam"}).code() == errc::revoked; }));
  EXPECT_EQ(a->use_refresh_token(refresh_use_of("r2", "fam", now, now)).code(), errc::revoked);
  EXPECT_GT(pttl(redis, "jwtfort:f:fam"), 7'190'000);

  // A revoked token cannot be rotated either.
  ASSERT_OK(a->revoke_token("r3", now + 60));
  EXPECT_EQ(b->use_refresh_token(refresh_use_of("r3", "fam-3", now, now)).code(), errc::revoked);
  EXPECT_EQ(a->use_refresh_token(refresh_use_of("", "fam-3", now, now)).code(),
            errc::invalid_claim);
}

// The access tokens of a refresh family, reused in another process: the revocation reaches
// this process through pub/sub and stops its access tokens of that family.
TEST(redis_store, reuse_in_another_process_stops_the_access_tokens_of_the_family_here) {
  redis_server redis;
  auto service = test::service_on(open(redis));
  const auto f = test::rotate_one_of_two_logins(service);
  ASSERT_OK(service.require_access(f.rotated.access_token));

  probe child({JWTFORT_STORE_PROBE, redis.url(), "use-refresh", f.spent_jti, f.family,
               std::to_string(system_now()), "0"});
  ASSERT_EQ(child.read_line(20s), "token_reused");
  // The revocation reaches this process through pub/sub; a store opened afterwards reads it.
  test::expect_family_stopped(service, test::service_on(open(redis)), f, 2s);
}

TEST(redis_store, refresh_rotation_accepts_a_retry_within_grace) {
  redis_server redis;
  auto a = open(redis);
  auto b = open(redis);
  const std::int64_t now = system_now();
  ASSERT_OK(a->use_refresh_token(refresh_use_of("g1", "gfam", now, now, 10)));
  auto retry = b->use_refresh_token(refresh_use_of("g1", "gfam", now, now + 10, 10));
  ASSERT_OK(retry);
  EXPECT_EQ(*retry, refresh_verdict::within_grace);
  EXPECT_EQ(a->use_refresh_token(refresh_use_of("g1", "gfam", now, now + 11, 10)).code(),
            errc::token_reused);
  EXPECT_EQ(a->check({.family = "gfam"}).code(), errc::revoked);
}

TEST(redis_store, concurrent_processes_rotate_a_refresh_token_exactly_once) {
  redis_server redis;
  const std::string now = std::to_string(system_now());
  std::vector<std::unique_ptr<probe>> probes;
  for (int i = 0; i < 8; ++i)
    probes.push_back(std::make_unique<probe>(std::vector<std::string>{
        JWTFORT_STORE_PROBE, redis.url(), "use-refresh", "same-jti", "same-fam", now, "0"}));
  std::map<std::string, int> verdicts;
  for (auto& p : probes) {
    ++verdicts[p->read_line(20s).value_or("no answer")];
    EXPECT_EQ(p->wait(), 0);
  }
  EXPECT_EQ(verdicts["first_use"], 1);
  EXPECT_EQ(verdicts["token_reused"] + verdicts["revoked"], 7);
  EXPECT_GE(verdicts["token_reused"], 1);
  EXPECT_EQ(open(redis)->check({.family = "same-fam"}).code(), errc::revoked);
}

TEST(redis_store, an_outage_fails_closed_and_the_store_recovers_by_itself) {
  redis_server redis;
  auto store = open(redis);
  store_options open_options = quiet_options();
  open_options.fail_open = true;
  auto unsafe = open(redis, open_options);
  const std::int64_t now = system_now();
  ASSERT_OK(store->revoke_token("before-1", now + 600));
  ASSERT_OK(store->revoke_subject("carol", now, keep_forever));
  ASSERT_OK(store->revoke_family("before-fam", keep_forever));

  redis.stop();
  EXPECT_TRUE(
      eventually([&] { return store->check({.jwt_id = "x"}).code() == errc::store_unavailable; }));
  EXPECT_EQ(store->check({.jwt_id = "before-1"}).code(), errc::revoked);  // still certain
  EXPECT_EQ(store->check({.subject = "carol"}).code(), errc::revoked);
  EXPECT_OK(unsafe->check({.jwt_id = "x"}));
  EXPECT_EQ(unsafe->check({.jwt_id = "before-1"}).code(), errc::revoked);
  auto failed = store->revoke_token("during-secret-jti", now + 600);
  EXPECT_EQ(failed.code(), errc::store_unavailable);
  EXPECT_NE(failed.error().message.find("Redis"), std::string::npos) << failed.error().message;
  EXPECT_EQ(failed.error().message.find("during-secret-jti"), std::string::npos);
  EXPECT_EQ(store->use_refresh_token(refresh_use_of("u1", "ufam", now, now)).code(),
            errc::store_unavailable);
  EXPECT_EQ(store->stats().code(), errc::store_unavailable);

  redis.start();
  const auto restarted = steady::now();
  EXPECT_TRUE(eventually([&] { return bool(store->check({.jwt_id = "x"})); }, 10s));
  std::cout << "back in service "
            << std::chrono::duration_cast<milliseconds>(steady::now() - restarted).count()
            << " ms after redis-server answered PING\n";
  EXPECT_OK(store->revoke_token("after-1", now + 600));
  for (auto* s : {store.get(), unsafe.get()}) {
    EXPECT_EQ(s->check({.jwt_id = "before-1"}).code(), errc::revoked);
    EXPECT_EQ(s->check({.subject = "carol", .issued_at = now}).code(), errc::revoked);
    EXPECT_EQ(s->check({.family = "before-fam"}).code(), errc::revoked);
  }
  EXPECT_TRUE(eventually([&] { return is_revoked(*unsafe, "after-1"); }));
}

TEST(redis_store, a_frozen_server_is_noticed_within_twice_the_timeout) {
  redis_server redis;
  store_options o = quiet_options();
  o.redis_timeout = 200ms;
  auto store = open(redis, o);
  ASSERT_OK(store->check({.jwt_id = "x"}));
  redis.pause();  // connections stay open, nothing answers
  const auto frozen = steady::now();
  EXPECT_TRUE(eventually(
      [&] { return store->check({.jwt_id = "x"}).code() == errc::store_unavailable; }, 5s));
  const auto noticed = steady::now() - frozen;
  std::cout << "silent server noticed after "
            << std::chrono::duration_cast<milliseconds>(noticed).count()
            << " ms (redis_timeout 200 ms)\n";
  EXPECT_LT(noticed, 2 * o.redis_timeout + 150ms);
  const auto call = steady::now();
  EXPECT_EQ(store->revoke_token("frozen", keep_forever).code(), errc::store_unavailable);
  EXPECT_LT(steady::now() - call, 2 * o.redis_timeout + 150ms);
  // Closing the store while it retries against a frozen server does not hang.
  const auto closing = steady::now();
  store.reset();
  EXPECT_LT(steady::now() - closing, 1s);
  redis.resume();
}

TEST(redis_store, no_acknowledged_revocation_is_lost_when_redis_restarts_mid_write) {
  redis_server redis;
  auto store = open(redis);
  std::mutex m;
  std::vector<std::string> acknowledged;
  std::atomic<int> unavailable{0}, other_errors{0};
  std::atomic<bool> done{false};
  auto acked = [&] {
    std::lock_guard lock(m);
    return acknowledged.size();
  };
  std::thread writer([&] {
    for (int i = 0; !done; ++i) {
      const std::string jti = "w-" + std::to_string(i);
      auto r = store->revoke_token(jti, keep_forever);
      if (r) {
        std::lock_guard lock(m);
        acknowledged.push_back(jti);
      } else if (r.code() == errc::store_unavailable) {
        ++unavailable;
        std::this_thread::sleep_for(1ms);  // pace retries against a dead server
      } else {
        ++other_errors;
      }
    }
  });
  EXPECT_TRUE(eventually([&] { return acked() >= 100; }, 20s));
  redis.stop();
  EXPECT_TRUE(eventually([&] { return unavailable > 0; }, 10s));
  const std::size_t before_restart = acked();
  redis.start();
  EXPECT_TRUE(eventually([&] { return acked() >= before_restart + 100; }, 20s));
  done = true;
  writer.join();
  EXPECT_EQ(other_errors.load(), 0);
  std::cout << acknowledged.size() << " acknowledged, " << unavailable
            << " store_unavailable across the restart\n";

  store.reset();
  auto fresh = open(redis);
  std::size_t lost = 0;
  for (const auto& jti : acknowledged) lost += is_revoked(*fresh, jti) ? 0 : 1;
  EXPECT_EQ(lost, 0u);
}

TEST(redis_store, acknowledged_revocations_survive_kill_9_without_any_write_back) {
  redis_server redis;
  auto store = open(redis);
  std::vector<std::string> acknowledged;
  std::atomic<bool> done{false};
  std::atomic<std::size_t> count{0};
  std::thread writer([&] {
    for (int i = 0; !done; ++i) {
      const std::string jti = "k-" + std::to_string(i);
      auto r = store->revoke_token(jti, keep_forever);
      if (r) {
        acknowledged.push_back(jti);
        ++count;
      } else {
        EXPECT_EQ(r.code(), errc::store_unavailable);
        return;  // the server is gone
      }
    }
  });
  EXPECT_TRUE(eventually([&] { return count >= 200; }, 20s));
  redis.kill();
  done = true;
  writer.join();
  // The store goes before the server comes back, so only Redis's own AOF can keep the records.
  store.reset();
  redis.start();
  auto fresh = open(redis);
  std::size_t lost = 0;
  for (const auto& jti : acknowledged) lost += is_revoked(*fresh, jti) ? 0 : 1;
  EXPECT_EQ(lost, 0u) << "of " << acknowledged.size();
}

TEST(redis_store, a_store_writes_back_what_a_redis_that_lost_its_data_forgot) {
  redis_server redis;
  auto store = open(redis);
  const std::int64_t now = system_now();
  ASSERT_OK(store->revoke_token("kept", now + 600));
  ASSERT_OK(store->revoke_subject("dave", now, keep_forever));
  ASSERT_OK(store->revoke_family("kept-fam", now + 600));

  redis.stop();
  EXPECT_TRUE(
      eventually([&] { return store->check({.jwt_id = "x"}).code() == errc::store_unavailable; }));
  redis.wipe_data();
  redis.start();
  EXPECT_EQ(redis.command({"DBSIZE"}).integer, 0);
  // Current again means the re-read and the write-back are done.
  EXPECT_TRUE(eventually([&] { return bool(store->check({.jwt_id = "x"})); }, 10s));
  EXPECT_GT(pttl(redis, "jwtfort:t:kept"), 590'000);
  EXPECT_EQ(pttl(redis, "jwtfort:s:dave"), -1);

  auto fresh = open(redis);
  EXPECT_EQ(fresh->check({.jwt_id = "kept"}).code(), errc::revoked);
  EXPECT_EQ(fresh->check({.subject = "dave", .issued_at = now}).code(), errc::revoked);
  EXPECT_OK(fresh->check({.subject = "dave", .issued_at = now + 1}));
  EXPECT_EQ(fresh->check({.family = "kept-fam"}).code(), errc::revoked);
}

TEST(redis_store, threads_revoke_check_and_rotate_without_lost_updates) {
  redis_server redis;
  auto a = open(redis);
  auto b = open(redis);
  constexpr int threads = 8, per_thread = 40;
  const std::int64_t now = system_now();
  std::atomic<int> shared_first{0}, shared_refused{0}, failures{0};
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        token_store& s = t % 2 ? *a : *b;
        auto shared = s.use_refresh_token(refresh_use_of("shared", "shared-fam", now, now));
        if (shared) {
          ++shared_first;
        } else if (shared.code() == errc::token_reused || shared.code() == errc::revoked) {
          ++shared_refused;
        }
        const std::string me = std::to_string(t);
        for (int i = 0; i < per_thread; ++i) {
          const std::string n = me + "-" + std::to_string(i);
          bool ok = s.revoke_token("t" + n, keep_forever) &&
                    s.revoke_family("f" + n, keep_forever) &&
                    s.revoke_subject("s" + me, i, keep_forever) && is_revoked(s, "t" + n);
          auto used = s.use_refresh_token(refresh_use_of("r" + n, "rf" + me, now, now));
          if (!ok || !used || *used != refresh_verdict::first_use) ++failures;
        }
      });
    }
  }
  EXPECT_EQ(shared_first.load(), 1);
  EXPECT_EQ(shared_refused.load(), threads - 1);
  EXPECT_EQ(failures.load(), 0);
  auto stats = a->stats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->revoked_tokens, std::size_t{threads * per_thread});
  EXPECT_EQ(stats->revoked_subjects, std::size_t{threads});
  EXPECT_EQ(stats->revoked_families, std::size_t{threads * per_thread + 1});
  EXPECT_EQ(stats->used_refresh_tokens, std::size_t{threads * per_thread + 1});
  for (auto* s : {a.get(), b.get()}) {
    EXPECT_TRUE(eventually([&] {
      for (int t = 0; t < threads; ++t) {
        const std::string me = std::to_string(t);
        if (s->check({.subject = "s" + me, .issued_at = per_thread - 1}).code() != errc::revoked ||
            !s->check({.subject = "s" + me, .issued_at = per_thread}))
          return false;
        for (int i = 0; i < per_thread; ++i)
          if (!is_revoked(*s, "t" + me + "-" + std::to_string(i))) return false;
      }
      return true;
    }));
  }
}

TEST(redis_store, authenticates_and_selects_the_database) {
  redis_server redis({.password = "s3cret",
                      .extra_args = {"--user", "alice", "on", ">alice-pw", "~*", "&*", "+@all"}});
  const std::string where = "127.0.0.1:" + std::to_string(redis.port());
  auto by_password = open_store("redis://:s3cret@" + where + "/2", quiet_options());
  ASSERT_OK(by_password);
  ASSERT_OK((*by_password)->revoke_token("db2", keep_forever));
  EXPECT_EQ(redis.command({"EXISTS", "jwtfort:t:db2"}, 2).integer, 1);
  EXPECT_EQ(redis.command({"EXISTS", "jwtfort:t:db2"}, 0).integer, 0);
  auto by_user = open_store("redis://alice:alice-pw@" + where + "/2", quiet_options());
  ASSERT_OK(by_user);
  EXPECT_EQ((*by_user)->check({.jwt_id = "db2"}).code(), errc::revoked);

  auto wrong = open_store("redis://:not-the-password@" + where + "/2", quiet_options());
  EXPECT_EQ(wrong.code(), errc::store_unavailable);
  EXPECT_EQ(wrong.error().message.find("not-the-password"), std::string::npos);
  EXPECT_EQ(open_store("redis://" + where + "/2", quiet_options()).code(), errc::store_unavailable);
}

TEST(redis_store, bad_urls_and_unreachable_servers) {
  EXPECT_EQ(open_store("redis://127.0.0.1:1/0").code(), errc::store_unavailable);
  for (const char* url :
       {"redis://127.0.0.1:0/0", "redis://127.0.0.1:70000/0", "redis://127.0.0.1:6379/-1",
        "redis://127.0.0.1:port/0", "redis://127.0.0.1:6379/db", "rediss://127.0.0.1:6379/0",
        "mongodb://127.0.0.1:27017"})
    EXPECT_EQ(open_store(url).code(), errc::invalid_configuration) << url;
  EXPECT_EQ(open_redis_store({.database = -1}).code(), errc::invalid_configuration);
  store_options no_timeout;
  no_timeout.redis_timeout = 0ms;
  EXPECT_EQ(open_redis_store({.port = 1}, no_timeout).code(), errc::invalid_configuration);
}

}  // namespace
}  // namespace jwtfort
