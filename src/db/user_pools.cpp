#include "db/user_pools.hpp"

#include <vector>

namespace azsql::db {

struct UserPools::Entry {
  std::mutex mu;               ///< guards secret
  std::string secret;          ///< latest secret the user presented
  std::shared_ptr<Pool> pool;  ///< use_count() == 1 ⇒ only this entry holds it
  std::chrono::steady_clock::time_point last_used{};
};

UserPools::UserPools(Connect connect, UserPoolsOptions options) : connect_(std::move(connect)), o_(std::move(options)) {}

UserPools::~UserPools() = default;

std::chrono::steady_clock::time_point UserPools::now() const {
  return o_.clock ? o_.clock() : std::chrono::steady_clock::now();
}

bool UserPools::evictable(const Entry& e) const {
  // Only this map holds the pool (no caller between pool_for() and its borrow), and nothing is borrowed.
  return e.pool.use_count() == 1 && e.pool->stats().in_use == 0;
}

Result<std::shared_ptr<Pool>> UserPools::pool_for(const std::string& user, std::string_view secret) {
  std::shared_ptr<Pool> doomed;  // destroyed outside the lock (closing connections may block)
  std::lock_guard lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) {
    if (users_.size() >= o_.max_users) {
      auto lru = users_.end();
      for (auto i = users_.begin(); i != users_.end(); ++i) {
        if (evictable(*i->second) && (lru == users_.end() || i->second->last_used < lru->second->last_used)) lru = i;
      }
      if (lru == users_.end()) {
        ++refused_;
        return Error::make(ErrorKind::Limit, "too many users at once: every one of the " + std::to_string(o_.max_users) +
                                                 " per-user connection pools is busy (MCP_AUTH_MAX_USERS)");
      }
      doomed = std::move(lru->second->pool);
      users_.erase(lru);
      ++evicted_;
    }
    auto e = std::make_shared<Entry>();
    auto weak = std::weak_ptr<Entry>(e);
    e->pool = std::make_shared<Pool>(
        [connect = connect_, user, weak](const CancelToken& cancel) -> Result<std::unique_ptr<Connection>> {
          std::string s;
          if (auto entry = weak.lock()) {
            std::lock_guard l(entry->mu);
            s = entry->secret;
          }
          return connect(user, s, cancel);
        },
        o_.connections_per_user);
    it = users_.emplace(user, std::move(e)).first;
  }
  Entry& e = *it->second;
  e.last_used = now();
  if (!secret.empty()) {
    std::lock_guard l(e.mu);
    if (e.secret != secret) e.secret.assign(secret);
  }
  return e.pool;
}

std::size_t UserPools::evict_idle() {
  std::vector<std::shared_ptr<Pool>> doomed;
  {
    std::lock_guard lock(mu_);
    const auto t = now();
    for (auto it = users_.begin(); it != users_.end();) {
      if (t - it->second->last_used >= o_.idle_ttl && evictable(*it->second)) {
        doomed.push_back(std::move(it->second->pool));
        it = users_.erase(it);
        ++evicted_;
      } else {
        ++it;
      }
    }
  }
  return doomed.size();
}

UserPoolsStats UserPools::stats() const {
  std::lock_guard lock(mu_);
  UserPoolsStats s;
  s.users = users_.size();
  for (const auto& [k, e] : users_) {
    const auto ps = e->pool->stats();
    s.open += ps.open;
    s.in_use += ps.in_use;
  }
  s.evicted = evicted_;
  s.refused = refused_;
  return s;
}

std::map<std::string, PoolStats> UserPools::per_user() const {
  std::lock_guard lock(mu_);
  std::map<std::string, PoolStats> out;
  for (const auto& [k, e] : users_) out.emplace(k, e->pool->stats());
  return out;
}

}  // namespace azsql::db
