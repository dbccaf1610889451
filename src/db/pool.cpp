#include "db/pool.hpp"

namespace azsql::db {

PooledConnection& PooledConnection::operator=(PooledConnection&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = o.pool_;
    c_ = std::move(o.c_);
    o.pool_ = nullptr;
  }
  return *this;
}

PooledConnection::~PooledConnection() { release(); }

void PooledConnection::release() {
  if (pool_ && c_) pool_->give_back(std::move(c_));
  pool_ = nullptr;
}

Pool::Pool(Factory factory, std::size_t max_size) : factory_(std::move(factory)), max_size_(max_size) {}

Pool::~Pool() = default;

Result<PooledConnection> Pool::acquire(std::chrono::milliseconds timeout, const CancelToken& cancel) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  bool waited = false;
  for (;;) {
    if (cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "cancelled while waiting for a database connection");
    while (!idle_.empty()) {
      auto c = std::move(idle_.front());
      idle_.pop_front();
      if (c->healthy()) {
        ++in_use_;
        return PooledConnection(this, std::move(c));
      }
      --open_;
      ++discarded_;
    }
    const std::size_t cap = max_size_ == 0 ? SIZE_MAX : max_size_;
    if (open_ < cap) {
      ++open_;
      ++in_use_;
      lock.unlock();
      auto made = factory_(cancel);
      lock.lock();
      if (!made.ok()) {
        --open_;
        --in_use_;
        cv_.notify_one();
        return std::move(made).error();
      }
      ++created_;
      return PooledConnection(this, std::move(made).value());
    }
    if (!waited) {
      ++waits_;
      waited = true;
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= cap) {
      return Error::make(ErrorKind::Timeout, "timed out waiting for a free database connection (pool size " +
                                                 std::to_string(max_size_) + ")");
    }
  }
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  std::unique_ptr<Connection> to_close;
  {
    std::lock_guard lock(mu_);
    --in_use_;
    if (!c->healthy() || max_size_ == 0) {
      --open_;
      if (!c->healthy()) ++discarded_;
      to_close = std::move(c);
    } else {
      c->reset();
      idle_.push_back(std::move(c));
    }
  }
  cv_.notify_one();
  // to_close is destroyed outside the lock: closing a network connection may block.
}

PoolStats Pool::stats() const {
  std::lock_guard lock(mu_);
  return PoolStats{max_size_, open_, in_use_, waits_, created_, discarded_};
}

void Pool::clear_idle() {
  std::deque<std::unique_ptr<Connection>> drop;
  {
    std::lock_guard lock(mu_);
    drop.swap(idle_);
    open_ -= drop.size();
  }
  cv_.notify_all();
}

}  // namespace azsql::db
