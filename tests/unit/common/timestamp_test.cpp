#include <gtest/gtest.h>

#include "common/timestamp.hpp"

namespace azsql::timestamp {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

TEST(Timestamp, UtcWithAndWithoutMilliseconds) {
  // 2026-12-03T21:40:05.123Z = 1796334005 s after the epoch, plus 123.9 ms (rounded down).
  const system_clock::time_point t{std::chrono::microseconds(1796334005123900LL)};
  EXPECT_EQ(utc_millis(t), "2026-12-03T21:40:05.123Z");
  EXPECT_EQ(utc_seconds(t), "2026-12-03T21:40:05Z");
  EXPECT_EQ(utc_millis(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(utc_millis(system_clock::time_point{milliseconds(951782400999)}), "2000-02-29T00:00:00.999Z");
}

TEST(Timestamp, BeforeTheEpochRoundsDown) {
  EXPECT_EQ(utc_millis(system_clock::time_point{milliseconds(-1)}), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(utc_seconds(system_clock::time_point{milliseconds(-1)}), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace azsql::timestamp
