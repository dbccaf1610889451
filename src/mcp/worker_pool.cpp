#include "mcp/worker_pool.hpp"

namespace azsql::mcp {

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_in_flight)
    : pool_(threads == 0 ? 1 : threads), max_(max_in_flight) {}

WorkerPool::Admission WorkerPool::admit() {
  if (stopping_.load()) return Admission::Stopping;
  if (in_flight_.fetch_add(1) + 1 > max_) {
    release();
    return Admission::Busy;
  }
  return Admission::Admitted;
}

void WorkerPool::release() {
  if (in_flight_.fetch_sub(1) == 1) {
    std::lock_guard lock(idle_mu_);
    idle_cv_.notify_all();
  }
}

void WorkerPool::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(idle_mu_);
  idle_cv_.wait_until(lock, deadline, [this] { return in_flight_.load() == 0; });
}

}  // namespace azsql::mcp
