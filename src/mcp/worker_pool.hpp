#pragma once
/// The threads that run tool calls, resource reads, prompts and completions. Why a pool: those
/// handlers call the database drivers, which block (SQLite's C API, our synchronous TDS client),
/// and they must neither stall the transport's I/O threads (an HTTP I/O thread serves many
/// connections) nor the stdio reader (which must keep reading notifications/cancelled and ping
/// while a query runs). Cheap methods (lists, ping, initialize) answer on the caller's thread.
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>

namespace azsql::mcp {

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t max_in_flight);

  enum class Admission { Admitted, Busy, Stopping };
  /// Counts one job in flight if the limit allows (then release() must follow, once).
  Admission admit();
  void release();

  /// Runs `job` on a worker thread (after admit()).
  template <class F>
  void post(F&& job) {
    boost::asio::post(pool_, std::forward<F>(job));
  }

  std::size_t in_flight() const noexcept { return in_flight_.load(); }
  std::size_t max_in_flight() const noexcept { return max_; }
  void stop() noexcept { stopping_ = true; }
  bool stopping() const noexcept { return stopping_.load(); }
  /// Waits until nothing is in flight or `deadline` passes.
  void wait_idle(std::chrono::steady_clock::time_point deadline);
  void join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
  std::size_t max_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
};

}  // namespace azsql::mcp
