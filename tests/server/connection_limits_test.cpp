// The connection caps: derived defaults, the per-address and total caps, and shedding the
// connection idle longest to make room.
#include "connection_limits.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace jwtfort::server {
namespace {

net::ip::address address(const char* text) { return net::ip::make_address(text); }

struct recorder : sheddable {
  int shed_calls = 0;
  void shed() override { ++shed_calls; }
};

TEST(connection_limits, caps_derive_from_the_descriptor_limit) {
  const connection_caps direct = derive_caps(0, 0, 20000, false);
  EXPECT_EQ(direct.total, 20000U - 128U);
  EXPECT_EQ(direct.per_address, (20000U - 128U) / 16U);
  const connection_caps proxied = derive_caps(0, 0, 20000, true);
  EXPECT_EQ(proxied.per_address, proxied.total);
  const connection_caps tiny = derive_caps(0, 0, 100, false);
  EXPECT_EQ(tiny.total, 16U);
  EXPECT_EQ(tiny.per_address, 1U);
}

TEST(connection_limits, configured_caps_win_and_per_address_never_exceeds_the_total) {
  const connection_caps caps = derive_caps(50, 80, 20000, false);
  EXPECT_EQ(caps.total, 50U);
  EXPECT_EQ(caps.per_address, 50U);
  EXPECT_EQ(derive_caps(50, 5, 20000, false).per_address, 5U);
}

TEST(connection_limits, an_address_at_its_cap_is_refused_while_another_is_admitted) {
  auto limits = std::make_shared<connection_limits>(connection_caps{.total = 10, .per_address = 2});
  auto a = limits->admit(address("127.0.0.3"));
  auto b = limits->admit(address("127.0.0.3"));
  ASSERT_TRUE(a.admitted && b.admitted);
  auto c = limits->admit(address("127.0.0.3"));
  EXPECT_FALSE(c.admitted);
  EXPECT_EQ(c.why, connection_limits::refusal::address);
  EXPECT_TRUE(limits->admit(address("127.0.0.2")).admitted);
  EXPECT_EQ(limits->open(), 2U);  // the third slot was released when its admission went away
  a.admitted.reset();
  EXPECT_TRUE(limits->admit(address("127.0.0.3")).admitted);
}

TEST(connection_limits, at_the_total_cap_the_longest_idle_is_shed_else_refused) {
  net::io_context ioc;
  auto limits = std::make_shared<connection_limits>(connection_caps{.total = 2, .per_address = 2});
  auto first = std::make_shared<recorder>();
  auto second = std::make_shared<recorder>();
  auto a = limits->admit(address("10.0.0.1"));
  auto b = limits->admit(address("10.0.0.2"));
  ASSERT_TRUE(a.admitted && b.admitted);

  // None idle: refused.
  auto refused = limits->admit(address("10.0.0.3"));
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.why, connection_limits::refusal::total);

  a.admitted->attach(first, ioc.get_executor());
  b.admitted->attach(second, ioc.get_executor());
  a.admitted->idle();
  std::this_thread::sleep_for(std::chrono::milliseconds(1));  // b idle later than a
  b.admitted->idle();
  auto c = limits->admit(address("10.0.0.3"));
  ASSERT_TRUE(c.admitted);
  ioc.run();
  EXPECT_EQ(first->shed_calls, 1);  // idle longest
  EXPECT_EQ(second->shed_calls, 0);

  // A connection that became busy is not shed.
  b.admitted->busy();
  EXPECT_FALSE(limits->admit(address("10.0.0.4")).admitted);
  ioc.restart();
  ioc.run();
  EXPECT_EQ(second->shed_calls, 0);
}

}  // namespace
}  // namespace jwtfort::server
