#pragma once
// Helpers shared by the token_store tests (memory, SQLite, Redis) and the service tests on them:
// polling for what a background thread or another process does, refresh_use values, racing
// threads at one refresh token, and the store_probe child process read line by line.
//
// Example:
//   jwtfort::test::probe child({JWTFORT_STORE_PROBE, url, "wait-revoked", "j1", "5000"});
//   ASSERT_EQ(child.read_line(), "ready");
//   EXPECT_TRUE(jwtfort::test::eventually([&] { return is_revoked(*store, "j1"); }, 2s));
//
// Failures to start a child throw std::system_error, which gtest reports as a failure of the
// running test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "jwtfort/store/token_store.hpp"
#include "jwtfort/tokens.hpp"

extern char** environ;

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

/// A child process, e.g. store_probe, whose stdout the test reads line by line; `argv[0]` is the
/// program. The child is killed (SIGKILL) and reaped when this object goes away.
class probe {
 public:
  explicit probe(std::vector<std::string> argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw std::system_error(errno, std::generic_category(), "pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int failed = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);  // the child's copy is the only writer: its exit ends our reads
    out_ = fds[0];
    if (failed != 0) {
      ::close(out_);  // no destructor runs for a constructor that throws
      throw std::system_error(failed, std::generic_category(), "posix_spawn " + argv[0]);
    }
  }
  probe(const probe&) = delete;
  probe& operator=(const probe&) = delete;
  ~probe() {
    kill();
    ::close(out_);
  }

  /// The next complete line, or nothing at the end of the output or after `timeout`.
  std::optional<std::string> read_line(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto end = buffer_.find('\n'); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        return line;
      }
      // Rounded up: a last partial millisecond must not become a poll that returns at once.
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{out_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return std::nullopt;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;  // a partial last line is dropped: it was not complete
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Whether the child runs: started and neither killed nor waited for yet.
  bool started() const { return pid_ > 0; }

  /// kill -9 and reap.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  /// Waits for the child to exit by itself: its exit status, or -1 if a signal ended it or it
  /// was already reaped (waitpid(-1) would wait for any child at all).
  int wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace jwtfort::test
