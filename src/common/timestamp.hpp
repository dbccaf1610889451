#pragma once
/// Wall-clock times as RFC 3339 / ISO 8601 text in UTC, for logs, audit records, metrics JSON and
/// protocol fields. Pure and thread-safe (gmtime_r).
#include <chrono>
#include <string>

namespace azsql::timestamp {

/// `t` as "2026-12-03T21:40:05.123Z" (milliseconds, rounded down).
std::string utc_millis(std::chrono::system_clock::time_point t);
/// `t` as "2026-12-03T21:40:05Z" (whole seconds, rounded down).
std::string utc_seconds(std::chrono::system_clock::time_point t);

}  // namespace azsql::timestamp
