#include "common/timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace azsql::timestamp {
namespace {

/// The UTC calendar fields of `t` and its milliseconds past the second (floored, also before 1970).
std::tm split(std::chrono::system_clock::time_point t, int& millis) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  millis = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count());
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

}  // namespace

std::string utc_millis(std::chrono::system_clock::time_point t) {
  int ms = 0;
  const std::tm tm = split(t, ms);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return b;
}

std::string utc_seconds(std::chrono::system_clock::time_point t) {
  int ms = 0;
  const std::tm tm = split(t, ms);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return b;
}

}  // namespace azsql::timestamp
