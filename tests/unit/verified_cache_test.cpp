// The verified-token cache: a hot working set survives a stream of tokens seen once, entries
// leave when their token expires, the entry and byte bounds hold, and it is safe across threads.
// Time is the caller's `now`; keys are arbitrary texts sharing one verified token, since the cache
// remembers by the text and never looks inside.
#include "service/verified_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace jwtfort::test {
namespace {

using detail::verified_cache;

constexpr std::int64_t t0 = now;
constexpr std::size_t plenty_of_bytes = 1024 * 1024 * 1024;

const verified_token& sample() {
  static const verified_token token = must(verify_with(
      test_key(algorithm::hs256),
      make_token(header_for(algorithm::hs256), good_payload(), test_key(algorithm::hs256))));
  return token;
}

std::string key_of(std::string_view kind, std::size_t i) {
  return std::string(kind) + std::to_string(i);
}

// What the token service does on each call: a lookup, and an insert after a miss.
bool use(verified_cache& cache, const std::string& token, std::int64_t at = t0,
         std::optional<std::int64_t> expires_at = std::nullopt) {
  if (cache.find(token, token_type::access, at)) return true;
  cache.insert(token, token_type::access, sample(), expires_at, at);
  return false;
}

TEST(verified_cache, keeps_a_working_set_through_ten_times_its_capacity_in_one_off_tokens) {
  constexpr std::size_t capacity = 1024, working_set = 200, one_offs_per_use = 5;
  verified_cache cache(capacity, plenty_of_bytes);
  for (int pass = 0; pass < 2; ++pass)  // a fresh server: every client sends its token twice
    for (std::size_t i = 0; i < working_set; ++i) use(cache, key_of("hot-", i));

  // Between two uses of a hot token come 1200 other tokens, more than the cache holds: a plain
  // LRU would lose every hot token, an arbitrary eviction most of them.
  std::size_t one_offs = 0, uses = 0, hits = 0;
  while (one_offs < 10 * capacity) {
    for (std::size_t i = 0; i < working_set; ++i) {
      ++uses;
      hits += use(cache, key_of("hot-", i));
      for (std::size_t k = 0; k < one_offs_per_use; ++k)
        EXPECT_FALSE(use(cache, key_of("once-", one_offs++)));
    }
  }
  EXPECT_GE(static_cast<double>(hits) / static_cast<double>(uses), 0.95)
      << hits << " hits in " << uses << " uses";
  const auto stats = cache.stats();
  EXPECT_EQ(stats.entries, capacity);
  EXPECT_EQ(stats.evictions, working_set + (uses - hits) + one_offs - capacity);
  EXPECT_EQ(stats.hits, working_set + hits);
  EXPECT_EQ(stats.misses, working_set + (uses - hits) + one_offs);
}

TEST(verified_cache, a_token_asked_for_again_outlives_tokens_seen_once) {
  verified_cache cache(64, plenty_of_bytes);  // one shard
  use(cache, "hot");
  ASSERT_TRUE(use(cache, "hot"));
  for (std::size_t i = 0; i < 1000; ++i) use(cache, key_of("once-", i));
  EXPECT_TRUE(use(cache, "hot"));
  EXPECT_FALSE(use(cache, "once-0"));
  EXPECT_TRUE(use(cache, "once-999"));
}

TEST(verified_cache, the_least_recently_used_token_leaves_first) {
  verified_cache cache(64, plenty_of_bytes);
  for (std::size_t i = 0; i < 64; ++i) use(cache, key_of("t", i));
  ASSERT_TRUE(use(cache, "t0"));
  use(cache, "t64");
  EXPECT_EQ(cache.stats().evictions, 1u);
  EXPECT_TRUE(use(cache, "t0"));
  EXPECT_FALSE(use(cache, "t1"));  // the oldest, since t0 was used again
}

TEST(verified_cache, counts_hits_misses_and_what_it_holds) {
  verified_cache cache(64, plenty_of_bytes);
  EXPECT_FALSE(use(cache, "a"));
  EXPECT_TRUE(use(cache, "a"));
  EXPECT_TRUE(use(cache, "a"));
  EXPECT_FALSE(cache.find("a", token_type::refresh, t0));  // remembered as an access token
  const auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.expired, 0u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_GT(stats.bytes, sample().claims_json().size() + 1);
  EXPECT_LT(stats.bytes, 2048u);
}

// --- expiry: the caller's clock, never a sleep.

TEST(verified_cache, a_lookup_drops_an_entry_whose_token_has_expired) {
  verified_cache cache(64, plenty_of_bytes);
  use(cache, "a", t0, t0 + 10);
  EXPECT_TRUE(cache.find("a", token_type::access, t0 + 9));
  EXPECT_FALSE(cache.find("a", token_type::access, t0 + 10));
  const auto stats = cache.stats();
  EXPECT_EQ(stats.expired, 1u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  // Gone, not hidden: a clock set back does not bring it back.
  EXPECT_FALSE(cache.find("a", token_type::access, t0));
}

TEST(verified_cache, an_insert_sweeps_expired_entries_before_evicting_live_ones) {
  verified_cache cache(64, plenty_of_bytes);
  for (std::size_t i = 0; i < 32; ++i) use(cache, key_of("short-", i), t0, t0 + 5);
  for (std::size_t i = 0; i < 32; ++i) use(cache, key_of("long-", i), t0, t0 + 3600);
  ASSERT_EQ(cache.stats().entries, 64u);
  for (std::size_t i = 0; i < 32; ++i) use(cache, key_of("new-", i), t0 + 5, t0 + 3600);
  auto stats = cache.stats();
  EXPECT_EQ(stats.expired, 32u);
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.entries, 64u);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_TRUE(use(cache, key_of("long-", i), t0 + 5)) << i;
}

TEST(verified_cache, no_expired_token_stays_once_time_has_moved_on) {
  verified_cache cache(64, plenty_of_bytes);
  use(cache, "a", t0, t0 + 1);
  use(cache, "b", t0 + 1, t0 + 100);  // not full, and "a" is never asked for again
  const auto stats = cache.stats();
  EXPECT_EQ(stats.expired, 1u);
  EXPECT_EQ(stats.entries, 1u);
}

TEST(verified_cache, a_token_already_expired_is_not_remembered) {
  verified_cache cache(64, plenty_of_bytes);
  cache.insert("a", token_type::access, sample(), t0, t0);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_FALSE(cache.find("a", token_type::access, t0 - 1));
}

// --- the byte bound: tokens may be 8 KiB.

TEST(verified_cache, stays_within_its_byte_bound) {
  constexpr std::size_t bound = 4 * 1024 * 1024;
  verified_cache cache(16384, bound);  // sixteen shards
  const std::string large(8192, 'x');
  for (std::size_t i = 0; i < 2000; ++i) {
    use(cache, large + std::to_string(i));
    ASSERT_LE(cache.stats().bytes, bound) << i;
  }
  const auto stats = cache.stats();
  EXPECT_LT(stats.entries, bound / large.size());
  EXPECT_EQ(stats.evictions, 2000 - stats.entries);
  EXPECT_GT(stats.bytes, bound * 9 / 10);  // bounded by bytes, not by far fewer entries
  EXPECT_TRUE(use(cache, large + "1999"));
}

TEST(verified_cache, a_token_larger_than_a_shard_is_not_remembered) {
  verified_cache cache(64, 4096);
  use(cache, std::string(8192, 'x'));
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
}

// --- threads: run under ThreadSanitizer by scripts/test.sh.

TEST(verified_cache, concurrent_lookups_and_inserts_keep_the_bounds_and_the_counts) {
  constexpr std::size_t capacity = 2048, threads = 4, uses_per_thread = 20000;
  constexpr std::size_t bound = 1024 * 1024;
  verified_cache cache(capacity, bound);
  std::atomic<std::int64_t> clock{t0};
  std::vector<std::thread> workers;
  for (std::size_t w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      for (std::size_t i = 0; i < uses_per_thread; ++i) {
        const std::int64_t at = w == 0 && i % 1000 == 0 ? ++clock : clock.load();
        // Half shared hot tokens, half this thread's own tokens seen once; some expire soon.
        const std::string token =
            i % 2 == 0 ? key_of("hot-", i % 300) : key_of("once-" + std::to_string(w) + "-", i);
        use(cache, token, at, i % 3 == 0 ? std::optional(at + 2) : std::nullopt);
      }
    });
  }
  for (auto& t : workers) t.join();
  const auto stats = cache.stats();
  EXPECT_EQ(stats.hits + stats.misses, threads * uses_per_thread);
  EXPECT_LE(stats.entries, capacity);
  EXPECT_LE(stats.bytes, bound);
  EXPECT_GT(stats.hits, 0u);
  EXPECT_GT(stats.evictions + stats.expired, 0u);
}

}  // namespace
}  // namespace jwtfort::test
