#pragma once
/// One connection pool per user (on-behalf-of sign-in: each caller reaches the database as
/// themselves, so their sessions must never be shared with another caller).
///
/// Bounded: at most `max_users` pools (a new user beyond that evicts the least recently used idle
/// pool, else is refused with ErrorKind::Limit) and `connections_per_user` connections each.
/// A pool unused for `idle_ttl` is closed by evict_idle() (the application calls it periodically).
/// A pool is only ever destroyed when no connection of it is borrowed and no caller holds it.
/// Thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "db/pool.hpp"

namespace azsql::db {

struct UserPoolsOptions {
  std::size_t max_users = 200;
  std::size_t connections_per_user = 2;
  std::chrono::milliseconds idle_ttl{std::chrono::minutes(5)};
  std::function<std::chrono::steady_clock::time_point()> clock;  ///< tests
};

struct UserPoolsStats {
  std::size_t users = 0;             ///< pools held
  std::size_t open = 0;              ///< connections open over all pools
  std::size_t in_use = 0;            ///< borrowed connections over all pools
  std::uint64_t evicted = 0;         ///< pools closed (idle or to make room)
  std::uint64_t refused = 0;         ///< users refused because every pool was busy at max_users
};

class UserPools {
 public:
  /// Opens one connection for `user` with the latest `secret` that user presented (for
  /// on-behalf-of: their bearer token, the OBO assertion). Never logged.
  using Connect = std::function<Result<std::unique_ptr<Connection>>(const std::string& user, const std::string& secret,
                                                                     const CancelToken& cancel)>;
  UserPools(Connect connect, UserPoolsOptions options);
  ~UserPools();
  UserPools(const UserPools&) = delete;
  UserPools& operator=(const UserPools&) = delete;

  /// The pool of `user`, created on first use; `secret` replaces the user's remembered secret.
  /// Hold the returned pointer while borrowing from it.
  Result<std::shared_ptr<Pool>> pool_for(const std::string& user, std::string_view secret);
  /// Closes pools idle for longer than idle_ttl (nothing borrowed, nobody holding them). Returns how many.
  std::size_t evict_idle();
  UserPoolsStats stats() const;
  /// Per-user stats (for tests and database://status): user key → pool stats.
  std::map<std::string, PoolStats> per_user() const;

 private:
  struct Entry;
  std::chrono::steady_clock::time_point now() const;
  bool evictable(const Entry& e) const;
  Connect connect_;
  UserPoolsOptions o_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> users_;
  std::uint64_t evicted_ = 0, refused_ = 0;
};

}  // namespace azsql::db
