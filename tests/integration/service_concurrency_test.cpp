// Many threads creating, refreshing, revoking and verifying at once through one token service,
// on each store; afterwards a second service on a fresh connection must agree with every outcome
// the threads saw (no lost update). Built under ThreadSanitizer in CI.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "integration/redis_server.hpp"
#include "integration/store_test_support.hpp"
#include "jwtfort/service/token_service.hpp"
#include "jwtfort/store/open_store.hpp"

namespace jwtfort {
namespace {

namespace fs = std::filesystem;

constexpr int threads = 8;
constexpr int logins_per_thread = 25;
constexpr int rotations_per_login = 4;

key_ring test_ring() {
  return *key_ring::from_key(*key::from_secret(std::string(32, 'c'), algorithm::hs256));
}

token_service service_on(const std::string& url) {
  auto store = open_store(url);
  EXPECT_TRUE(store) << store.error().message;
  token_service_options o;
  o.store = std::shared_ptr<token_store>(std::move(*store));
  return *token_service::create(test_ring(), std::move(o));
}

// What the threads did, to be checked against a fresh view of the store.
struct ledger {
  std::mutex mutex;
  std::vector<std::string> revoked_access, live_access, live_refresh;
  std::atomic<int> refreshes{0};
};

void one_user(const token_service& service, int user, ledger& out) {
  const std::string subject = "user-" + std::to_string(user);
  for (int login = 0; login < logins_per_thread; ++login) {
    auto refresh = service.create_refresh_token({.subject = subject});
    ASSERT_TRUE(refresh);
    std::string current = *refresh, access;
    for (int i = 0; i < rotations_per_login; ++i) {
      auto pair = service.refresh(current);
      ASSERT_TRUE(pair) << pair.error().message;
      ++out.refreshes;
      current = pair->refresh_token;
      access = pair->access_token;
      ASSERT_TRUE(service.require_access(access));
    }
    std::lock_guard lock(out.mutex);
    out.live_refresh.push_back(current);
    if (login % 3 == 0) {
      auto verified = service.require_access(access);
      ASSERT_TRUE(verified);
      ASSERT_TRUE(service.revoke(*verified));
      out.revoked_access.push_back(access);
    } else {
      out.live_access.push_back(access);
    }
  }
}

class service_concurrency : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      url_ = "memory://";
    } else if (GetParam() == "sqlite") {
      dir_ = fs::temp_directory_path() / ("jwtfort-concurrency-" + std::to_string(::getpid()));
      fs::create_directories(dir_);
      url_ = "sqlite://" + (dir_ / "tokens.db").string();
    } else {
      redis_ = std::make_unique<test::redis_server>();
      url_ = redis_->url();
    }
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  // A second view: the same service for memory, a new connection for the others.
  bool shares_state() const { return GetParam() != "memory"; }

  std::string url_;
  fs::path dir_;
  std::unique_ptr<test::redis_server> redis_;
};

TEST_P(service_concurrency, no_lost_update_under_concurrent_life_cycles) {
  auto service = service_on(url_);
  ledger seen;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back([&, t] { one_user(service, t, seen); });
  for (auto& w : workers) w.join();
  ASSERT_EQ(seen.refreshes.load(), threads * logins_per_thread * rotations_per_login);

  auto fresh = shares_state() ? service_on(url_) : service_on("memory://");
  const token_service& check = shares_state() ? fresh : service;
  for (const auto& token : seen.revoked_access)
    EXPECT_EQ(check.require_access(token).code(), errc::revoked);
  for (const auto& token : seen.live_access) EXPECT_TRUE(check.require_access(token));
  for (const auto& token : seen.live_refresh) EXPECT_TRUE(check.require_refresh(token));
  auto stats = check.options().store->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->revoked_tokens, seen.revoked_access.size());
  EXPECT_EQ(stats->used_refresh_tokens, static_cast<std::size_t>(seen.refreshes.load()));
  EXPECT_EQ(stats->revoked_families, 0u);
}

TEST_P(service_concurrency, racing_refreshes_of_one_token_let_exactly_one_through) {
  auto service = service_on(url_);
  auto refresh = service.create_refresh_token({.subject = "alice"});
  ASSERT_TRUE(refresh);
  auto refreshes = test::race(threads, [&] { return service.refresh(*refresh); });
  EXPECT_EQ(refreshes.succeeded, 1);
  EXPECT_GE(refreshes.reused, 1);
  EXPECT_EQ(refreshes.reused + refreshes.revoked, threads - 1);
}

INSTANTIATE_TEST_SUITE_P(stores, service_concurrency, testing::Values("memory", "sqlite", "redis"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace jwtfort
