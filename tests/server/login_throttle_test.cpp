// The login throttle with an injected clock: exact waits at the edges of the window, both limits,
// success clearing the user, and the bound on what it remembers.
#include "login_throttle.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace jwtfort::server {
namespace {

constexpr std::int64_t t0 = 1'700'000'000;

class login_throttle_test : public testing::Test {
 protected:
  login_throttle make(std::int64_t per_user, std::int64_t per_address, std::int64_t window) {
    return login_throttle(per_user, per_address, window, [this] { return now_; });
  }
  std::int64_t now_ = t0;
};

TEST_F(login_throttle_test, limits_failures_per_user) {
  auto t = make(3, 100, 60);
  EXPECT_EQ(t.retry_after("alice", "10.0.0.1"), std::nullopt);
  t.record_failure("alice", "10.0.0.1");
  t.record_failure("alice", "10.0.0.2");
  EXPECT_EQ(t.retry_after("alice", "10.0.0.3"), std::nullopt);
  t.record_failure("alice", "10.0.0.3");
  EXPECT_EQ(t.retry_after("alice", "10.0.0.4"), 60);  // from any address
  EXPECT_EQ(t.retry_after("bob", "10.0.0.1"), std::nullopt);
}

TEST_F(login_throttle_test, limits_failures_per_address) {
  auto t = make(100, 3, 60);
  t.record_failure("alice", "10.0.0.1");
  t.record_failure("bob", "10.0.0.1");
  EXPECT_EQ(t.retry_after("carol", "10.0.0.1"), std::nullopt);
  t.record_failure("carol", "10.0.0.1");
  EXPECT_EQ(t.retry_after("dave", "10.0.0.1"), 60);  // for any user
  EXPECT_EQ(t.retry_after("alice", "10.0.0.2"), std::nullopt);
}

TEST_F(login_throttle_test, window_slides_one_failure_at_a_time) {
  auto t = make(3, 100, 60);
  t.record_failure("alice", "a");  // t0
  now_ = t0 + 10;
  t.record_failure("alice", "b");
  now_ = t0 + 20;
  t.record_failure("alice", "c");
  EXPECT_EQ(t.retry_after("alice", "d"), 40);  // until the t0 failure is 60 s old
  now_ = t0 + 59;
  EXPECT_EQ(t.retry_after("alice", "d"), 1);
  now_ = t0 + 60;
  EXPECT_EQ(t.retry_after("alice", "d"), std::nullopt);
  t.record_failure("alice", "d");
  EXPECT_EQ(t.retry_after("alice", "d"), 10);  // now the t0+10 one must leave
  now_ = t0 + 70;
  EXPECT_EQ(t.retry_after("alice", "d"), std::nullopt);
  now_ = t0 + 120;
  t.record_failure("alice", "e");
  EXPECT_EQ(t.retry_after("alice", "e"), std::nullopt);  // only t0+60 and t0+120 are in
}

TEST_F(login_throttle_test, failures_beyond_the_limit_extend_the_wait) {
  auto t = make(3, 100, 60);
  for (int i = 0; i < 5; ++i, ++now_) t.record_failure("alice", "a");  // t0 .. t0+4
  now_ = t0 + 4;
  // Five in the window, limit three: the third newest (t0+2) must leave first.
  EXPECT_EQ(t.retry_after("alice", "a"), 58);
  now_ = t0 + 62;
  EXPECT_EQ(t.retry_after("alice", "a"), std::nullopt);
}

TEST_F(login_throttle_test, failures_in_one_second_count_one_by_one) {
  auto t = make(3, 100, 60);
  t.record_failure("alice", "a");
  t.record_failure("alice", "a");
  EXPECT_EQ(t.retry_after("alice", "a"), std::nullopt);
  t.record_failure("alice", "a");
  EXPECT_EQ(t.retry_after("alice", "a"), 60);
  now_ = t0 + 60;
  EXPECT_EQ(t.retry_after("alice", "a"), std::nullopt);
}

TEST_F(login_throttle_test, answers_the_longer_of_both_waits) {
  auto t = make(2, 2, 60);
  t.record_failure("alice", "a");  // t0
  now_ = t0 + 30;
  t.record_failure("alice", "b");
  t.record_failure("bob", "a");
  EXPECT_EQ(t.retry_after("alice", "c"), 30);  // alice: t0, t0+30
  EXPECT_EQ(t.retry_after("carol", "a"), 30);  // a: t0, t0+30
  t.record_failure("dave", "c");
  t.record_failure("erin", "c");
  now_ = t0 + 40;
  EXPECT_EQ(t.retry_after("alice", "c"), 50);  // c: t0+30 twice, waits longer than alice's 20
  EXPECT_EQ(t.retry_after("erin", "d"), std::nullopt);
}

TEST_F(login_throttle_test, success_clears_the_user_not_the_address) {
  auto t = make(2, 3, 60);
  t.record_failure("alice", "a");
  t.record_failure("alice", "a");
  EXPECT_EQ(t.retry_after("alice", "b"), 60);
  t.record_success("alice");
  EXPECT_EQ(t.retry_after("alice", "b"), std::nullopt);
  EXPECT_EQ(t.retry_after("bob", "a"), std::nullopt);
  t.record_failure("bob", "a");  // the address still holds two failures
  EXPECT_EQ(t.retry_after("carol", "a"), 60);
  t.record_success("nobody");       // unknown: nothing happens
  EXPECT_EQ(t.tracked_keys(), 2u);  // address a and bob
}

TEST_F(login_throttle_test, tracks_at_most_max_keys_and_forgets_the_least_recent) {
  auto t = make(1, 1'000'000, 60);
  const std::size_t users = login_throttle::max_tracked_keys - 1;  // and one address
  for (std::size_t i = 0; i < users; ++i) t.record_failure("user" + std::to_string(i), "a");
  EXPECT_EQ(t.tracked_keys(), login_throttle::max_tracked_keys);
  EXPECT_EQ(t.retry_after("user0", "b"), 60);
  t.record_failure("newcomer", "a");
  EXPECT_EQ(t.tracked_keys(), login_throttle::max_tracked_keys);
  EXPECT_EQ(t.retry_after("user0", "b"), std::nullopt);  // evicted: failed least recently
  EXPECT_EQ(t.retry_after("user1", "b"), 60);
  EXPECT_EQ(t.retry_after("newcomer", "b"), 60);
  // Once everything left the window, the next failure drops the lot.
  now_ = t0 + 60;
  t.record_failure("late", "b");
  EXPECT_EQ(t.tracked_keys(), 2u);
}

TEST_F(login_throttle_test, long_names_share_their_first_256_bytes) {
  auto t = make(1, 100, 60);
  const std::string prefix(login_throttle::max_key_bytes, 'n');
  t.record_failure(prefix + "first", "a");
  EXPECT_EQ(t.retry_after(prefix + "second", "b"), 60);
  EXPECT_EQ(t.retry_after(prefix.substr(1), "b"), std::nullopt);
}

TEST_F(login_throttle_test, counts_every_failure_from_many_threads) {
  auto exact = make(100, 1000, 60), one_more = make(100, 1001, 60);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      for (int n = 0; n < 250; ++n) {
        const std::string user = "u" + std::to_string(i) + "-" + std::to_string(n);
        exact.record_failure(user, "a");
        one_more.record_failure(user, "a");
        (void)exact.retry_after(user, "a");
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(exact.retry_after("x", "a"), 60);
  EXPECT_EQ(one_more.retry_after("x", "a"), std::nullopt);
  EXPECT_EQ(exact.tracked_keys(), 1001u);
}

}  // namespace
}  // namespace jwtfort::server
