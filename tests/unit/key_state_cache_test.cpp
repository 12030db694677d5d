// The per-thread cache of prepared key state: lookup by key serial and algorithm, eight slots
// replaced oldest first.

#include "crypto/key_state_cache.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace jwtfort::test {
namespace {

using cache = crypto::key_state_cache<std::string>;

TEST(key_state_cache, finds_what_was_put_by_serial_and_algorithm) {
  cache c;
  EXPECT_EQ(c.find(1, algorithm::hs256), nullptr);
  EXPECT_EQ(c.put(1, algorithm::hs256, "a"), "a");
  c.put(1, algorithm::hs512, "b");
  ASSERT_NE(c.find(1, algorithm::hs256), nullptr);
  EXPECT_EQ(*c.find(1, algorithm::hs256), "a");
  EXPECT_EQ(*c.find(1, algorithm::hs512), "b");
  EXPECT_EQ(c.find(1, algorithm::hs384), nullptr);
  EXPECT_EQ(c.find(2, algorithm::hs256), nullptr);
}

TEST(key_state_cache, the_ninth_key_replaces_the_oldest) {
  cache c;
  for (std::uint64_t serial = 1; serial <= 8; ++serial)
    c.put(serial, algorithm::es256, std::to_string(serial));
  for (std::uint64_t serial = 1; serial <= 8; ++serial)
    EXPECT_NE(c.find(serial, algorithm::es256), nullptr) << serial;
  c.put(9, algorithm::es256, "9");
  EXPECT_EQ(c.find(1, algorithm::es256), nullptr);
  EXPECT_EQ(*c.find(9, algorithm::es256), "9");
  EXPECT_EQ(*c.find(2, algorithm::es256), "2");
  c.put(10, algorithm::es256, "10");
  EXPECT_EQ(c.find(2, algorithm::es256), nullptr);
  EXPECT_EQ(*c.find(3, algorithm::es256), "3");
}

}  // namespace
}  // namespace jwtfort::test
