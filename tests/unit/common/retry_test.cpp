#include "common/retry.hpp"

#include <gtest/gtest.h>

using azsql::RetryPolicy;
using std::chrono::milliseconds;

TEST(RetryPolicy, ExponentialAndCapped) {
  const RetryPolicy p{5, milliseconds(100), 2.0, milliseconds(1000), false};
  EXPECT_EQ(p.attempts(), 6);
  EXPECT_EQ(p.delay(0), milliseconds(100));
  EXPECT_EQ(p.delay(1), milliseconds(200));
  EXPECT_EQ(p.delay(3), milliseconds(800));
  EXPECT_EQ(p.delay(4), milliseconds(1000));   // capped
  EXPECT_EQ(p.delay(60), milliseconds(1000));  // no overflow far out
  EXPECT_EQ(RetryPolicy{0}.attempts(), 1);
  EXPECT_EQ(RetryPolicy{-3}.attempts(), 1);
}

TEST(RetryPolicy, JitterStaysWithinHalfToFull) {
  const RetryPolicy p{4, milliseconds(2000), 2.0, milliseconds(30000), true};
  for (std::uint64_t r : {0ull, 1ull, 999ull, 123456789ull, ~0ull}) {
    const auto d = p.delay(2, r);  // nominal 8 s
    EXPECT_GE(d, milliseconds(4000));
    EXPECT_LE(d, milliseconds(8000));
  }
  EXPECT_EQ(p.delay(2, 0), milliseconds(4000));
  EXPECT_EQ(p.delay(2, 4000), milliseconds(8000));
  EXPECT_EQ(p.delay(10, 0), milliseconds(15000));  // half of the 30 s cap
}
