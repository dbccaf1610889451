#pragma once
/// A bounded connection pool shared by every backend. Thread-safe.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "db/connection.hpp"

namespace azsql::db {

struct PoolStats {
  std::size_t max_size = 0;
  std::size_t open = 0;     ///< physical connections open (idle + in use)
  std::size_t in_use = 0;
  std::uint64_t waits = 0;  ///< acquisitions that had to wait
  std::uint64_t created = 0;
  std::uint64_t discarded = 0;  ///< broken connections dropped
};

class Pool;

/// A borrowed connection; returns itself to the pool (or is discarded if unhealthy) on destruction.
class PooledConnection {
 public:
  PooledConnection() = default;
  PooledConnection(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
  PooledConnection(PooledConnection&& o) noexcept = default;
  PooledConnection& operator=(PooledConnection&& o) noexcept;
  ~PooledConnection();
  Connection& operator*() const { return *c_; }
  Connection* operator->() const { return c_.get(); }
  Connection* get() const { return c_.get(); }

 private:
  void release();
  Pool* pool_ = nullptr;
  std::unique_ptr<Connection> c_;
};

/// Opens connections through `factory` up to `max_size`. max_size 0 means "open per request"
/// (the seed's behaviour): every acquire opens a connection and release closes it.
class Pool {
 public:
  using Factory = std::function<Result<std::unique_ptr<Connection>>(const CancelToken&)>;
  Pool(Factory factory, std::size_t max_size);
  ~Pool();

  /// Borrows a connection, waiting up to `timeout` for one to free up.
  Result<PooledConnection> acquire(std::chrono::milliseconds timeout, const CancelToken& cancel = {});
  PoolStats stats() const;
  /// Closes idle connections (e.g. after the credential changed).
  void clear_idle();

 private:
  friend class PooledConnection;
  void give_back(std::unique_ptr<Connection> c);

  Factory factory_;
  std::size_t max_size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;
  std::size_t in_use_ = 0;
  std::uint64_t waits_ = 0, created_ = 0, discarded_ = 0;
};

}  // namespace azsql::db
