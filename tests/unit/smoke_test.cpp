#include <gtest/gtest.h>

#include "jwtfort/signer.hpp"
#include "jwtfort/verifier.hpp"
#include "jwtfort/version.hpp"

using namespace jwtfort;

TEST(smoke, hs256_round_trip) {
  auto k = key::from_secret(std::string(32, 'k'), algorithm::hs256);
  ASSERT_TRUE(k);
  auto s = signer::create(*k);
  ASSERT_TRUE(s);
  auto t = s->sign(claims{}.subject("alice").expires_at(2000));
  ASSERT_TRUE(t) << t.error().message;
  verifier_options o;
  o.algorithms = {algorithm::hs256};
  ASSERT_TRUE(o.keys.add(*k));
  o.clock = fixed_clock(1000);
  auto v = verifier::create(o);
  ASSERT_TRUE(v);
  auto r = v->verify(*t);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject(), "alice");
  o.clock = fixed_clock(2000);
  auto v2 = verifier::create(o);
  EXPECT_EQ(v2->verify(*t).code(), errc::expired);
}

TEST(smoke, crypto_library_version_is_the_loaded_openssl_3) {
  // The loaded library's own words ("OpenSSL 3.0.15 3 Sep 2024"), not a build-time constant.
  EXPECT_TRUE(crypto_library_version().starts_with("OpenSSL 3.")) << crypto_library_version();
}
