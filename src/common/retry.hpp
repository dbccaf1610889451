#pragma once
/// One retry policy for every retry loop (SQL Server login on transient errors, HTTP to Entra ID /
/// managed identity endpoints): bounded exponential back-off, optionally with jitter.
#include <chrono>
#include <cstdint>

namespace azsql {

/// Retry `n` (0-based: the first retry is 0) waits min(max_delay, initial_delay * factor^n); with
/// `jitter` the wait is drawn from [d/2, d] ("equal jitter") so many clients do not retry in step.
/// Plain value type; thread-safe to share.
struct RetryPolicy {
  int max_retries = 4;                            ///< retries after the first attempt (0 = try once)
  std::chrono::milliseconds initial_delay{800};   ///< before the first retry
  double factor = 2.0;                            ///< growth per retry
  std::chrono::milliseconds max_delay{20000};     ///< cap on one wait
  bool jitter = false;

  /// Total attempts (max_retries + 1, at least 1).
  int attempts() const noexcept { return max_retries < 0 ? 1 : max_retries + 1; }
  /// The wait before retry `retry` (0-based); `random` is any uniformly distributed number (used
  /// only with jitter).
  std::chrono::milliseconds delay(int retry, std::uint64_t random = 0) const noexcept;
};

}  // namespace azsql
