#include "common/retry.hpp"

#include <algorithm>
#include <cmath>

namespace azsql {

std::chrono::milliseconds RetryPolicy::delay(int retry, std::uint64_t random) const noexcept {
  const double base = static_cast<double>(initial_delay.count()) * std::pow(factor, std::max(0, retry));
  const auto cap = static_cast<double>(max_delay.count());
  const auto d = static_cast<std::int64_t>(std::min(base, cap));
  if (!jitter || d <= 1) return std::chrono::milliseconds(d);
  const std::int64_t half = d / 2;
  return std::chrono::milliseconds(half + static_cast<std::int64_t>(random % static_cast<std::uint64_t>(d - half + 1)));
}

}  // namespace azsql
