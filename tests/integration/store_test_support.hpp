#pragma once
// Helpers shared by the token_store tests (memory, SQLite, Redis) and the service tests on them:
// polling for what a background thread or another process does, refresh_use values, racing
// threads at one refresh token, and the store_probe child process read line by line
// (support/child_process.hpp).
//
// Example:
//   jwtfort::test::probe child({JWTFORT_STORE_PROBE, url, "wait-revoked", "j1", "5000"});
//   ASSERT_EQ(child.read_line(), "ready");
//   EXPECT_TRUE(jwtfort::test::eventually([&] { return is_revoked(*store, "j1"); }, 2s));
//
// Failures to start a child throw std::system_error, which gtest reports as a failure of the
// running test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "jwtfort/service/token_service.hpp"
#include "jwtfort/store/token_store.hpp"
#include "support/child_process.hpp"

namespace jwtfort::test {

/// Polls `condition` until it holds or `timeout` passes; for effects of a background thread, a
/// subscription or another process. The timeout is part of what a test asserts.
template <class Condition>
bool eventually(Condition&& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    // Short, so that tests measuring propagation delays measure the store, not this loop.
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

/// A use at `now` of refresh token `jti` of `family`, issued at `issued_at`: it expires an hour
/// after issue, and a family revoked because of it is kept until two hours after issue.
inline refresh_use refresh_use_of(std::string_view jti, std::string_view family,
                                  std::int64_t issued_at, std::int64_t now,
                                  std::int64_t grace = 0) {
  return {.jwt_id = jti,
          .family = family,
          .expires_at = issued_at + 3600,
          .now = now,
          .grace_seconds = grace,
          .family_keep_until = issued_at + 7200};
}

/// A token service on `store` (HS256 with a fixed test secret, the system clock), so that
/// services on stores of one database, in this process or another, accept each other's tokens.
inline token_service service_on(std::unique_ptr<token_store> store) {
  token_service_options o;
  o.store = std::shared_ptr<token_store>(std::move(store));
  auto k = key::from_secret(std::string(32, 'p'), algorithm::hs256);
  if (!k) throw std::runtime_error("key::from_secret: " + k.error().message);
  auto ring = key_ring::from_key(std::move(*k));
  if (!ring) throw std::runtime_error("key_ring::from_key: " + ring.error().message);
  auto service = token_service::create(std::move(*ring), std::move(o));
  if (!service) throw std::runtime_error("token_service::create: " + service.error().message);
  return std::move(*service);
}

/// Whether `service` refuses the access token `token` as revoked (and for no other reason).
inline bool is_revoked_access(const token_service& service, std::string_view token) {
  auto checked = service.require_access(token);
  return !checked && checked.code() == errc::revoked;
}

/// Two logins of alice on `service`, the first one's refresh token spent by a rotation: what a
/// test of family revocation across processes starts from. Throws when a step fails.
struct rotated_family {
  token_pair login;    ///< its refresh token is spent
  token_pair rotated;  ///< what the rotation returned: the same family
  token_pair other;    ///< a second login: another family
  std::string spent_jti;
  std::string family;
};

inline rotated_family rotate_one_of_two_logins(const token_service& service) {
  const auto check = [](const auto& r, const char* step) {
    if (!r) throw std::runtime_error(std::string(step) + ": " + r.error().message);
  };
  auto login = service.create_token_pair({.subject = "alice"});
  check(login, "create_token_pair");
  auto spent = service.require_refresh(login->refresh_token);
  check(spent, "require_refresh");
  auto rotated = service.refresh(login->refresh_token);
  check(rotated, "refresh");
  auto other = service.create_token_pair({.subject = "alice"});
  check(other, "create_token_pair");
  return {std::move(*login), std::move(*rotated), std::move(*other), std::string(spent->jwt_id()),
          spent->string_claim("fam").value_or("")};
}

/// After another process reused `f`'s spent refresh token: the family's access tokens are
/// refused as revoked by `service` (within `wait`) and by `later`, a service opened afterwards;
/// the other login's are not.
template <class Duration>
void expect_family_stopped(const token_service& service, const token_service& later,
                           const rotated_family& f, Duration wait) {
  EXPECT_TRUE(eventually([&] { return is_revoked_access(service, f.rotated.access_token); }, wait));
  EXPECT_TRUE(is_revoked_access(service, f.login.access_token));
  EXPECT_TRUE(service.require_access(f.other.access_token).has_value());
  EXPECT_TRUE(is_revoked_access(later, f.rotated.access_token));
  EXPECT_TRUE(later.require_access(f.other.access_token).has_value());
}

/// How the attempts of race() ended. An error other than these two counts in none of them, so a
/// caller's expected total catches it.
struct race_outcome {
  int succeeded = 0;
  int reused = 0;   ///< errc::token_reused
  int revoked = 0;  ///< errc::revoked
};

/// Runs `attempt` (returning a result, e.g. one use of a refresh token) on `threads` threads at
/// once and counts how the attempts ended.
template <class Attempt>
race_outcome race(int threads, Attempt attempt) {
  std::atomic<int> succeeded{0}, reused{0}, revoked{0};
  std::vector<std::thread> racers;
  for (int t = 0; t < threads; ++t)
    racers.emplace_back([&] {
      auto r = attempt();
      if (r)
        ++succeeded;
      else if (r.code() == errc::token_reused)
        ++reused;
      else if (r.code() == errc::revoked)
        ++revoked;
    });
  for (auto& racer : racers) racer.join();
  return {succeeded.load(), reused.load(), revoked.load()};
}

/// store_probe and other helper programs, read line by line.
using probe = child_process;

}  // namespace jwtfort::test
