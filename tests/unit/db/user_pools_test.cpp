// UserPools: one pool per user, bounded users and connections, idle eviction, the user's latest
// secret reaching new connections, and no pool destroyed while borrowed.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "db/user_pools.hpp"

using namespace azsql;
using namespace azsql::db;

namespace {
struct FakeConn final : Connection {
  std::string user, secret;
  FakeConn(std::string u, std::string s) : user(std::move(u)), secret(std::move(s)) {}
  Result<ExecSummary> execute(std::string_view, const Params&, RowSink*, const ExecOptions&) override { return ExecSummary{}; }
  Status begin() override { return {}; }
  Status commit() override { return {}; }
  Status rollback() override { return {}; }
  bool healthy() const override { return true; }
};

struct Harness {
  std::atomic<int> connects{0};
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  std::unique_ptr<UserPools> pools;
  explicit Harness(std::size_t max_users, std::size_t per_user = 2) {
    UserPoolsOptions o;
    o.max_users = max_users;
    o.connections_per_user = per_user;
    o.idle_ttl = std::chrono::seconds(60);
    o.clock = [this] { return t; };
    pools = std::make_unique<UserPools>(
        [this](const std::string& u, const std::string& s, const CancelToken&) -> Result<std::unique_ptr<Connection>> {
          ++connects;
          return std::unique_ptr<Connection>(std::make_unique<FakeConn>(u, s));
        },
        o);
  }
};
FakeConn& as(PooledConnection& c) { return static_cast<FakeConn&>(*c); }
}  // namespace

TEST(UserPools, EachUserGetsTheirOwnPoolAndTheirLatestSecret) {
  Harness h(10);
  auto pa = h.pools->pool_for("tid/alice", "token-a1");
  auto pb = h.pools->pool_for("tid/bob", "token-b1");
  ASSERT_TRUE(pa.ok() && pb.ok());
  EXPECT_NE(pa->get(), pb->get());
  auto ca = (*pa)->acquire(std::chrono::seconds(1));
  auto cb = (*pb)->acquire(std::chrono::seconds(1));
  ASSERT_TRUE(ca.ok() && cb.ok());
  EXPECT_EQ(as(*ca).user, "tid/alice");
  EXPECT_EQ(as(*ca).secret, "token-a1");
  EXPECT_EQ(as(*cb).user, "tid/bob");
  // Alice comes back with a newer token: her next new connection uses it; the same pool is reused.
  auto pa2 = h.pools->pool_for("tid/alice", "token-a2");
  EXPECT_EQ(pa2->get(), pa->get());
  auto ca2 = (*pa2)->acquire(std::chrono::seconds(1));
  ASSERT_TRUE(ca2.ok());
  EXPECT_EQ(as(*ca2).secret, "token-a2");
  // Alice's pool is bounded at 2 connections.
  EXPECT_FALSE((*pa2)->acquire(std::chrono::milliseconds(20)).ok());
  auto st = h.pools->stats();
  EXPECT_EQ(st.users, 2u);
  EXPECT_EQ(st.open, 3u);
  EXPECT_EQ(st.in_use, 3u);
}

TEST(UserPools, IdlePoolsAreEvictedButNeverWhileBorrowedOrHeld) {
  Harness h(10);
  {
    auto p = h.pools->pool_for("u1", "s");
    auto c = (*p)->acquire(std::chrono::seconds(1));
    ASSERT_TRUE(c.ok());
    h.t += std::chrono::seconds(120);
    EXPECT_EQ(h.pools->evict_idle(), 0u);  // borrowed (and held)
  }
  auto held = h.pools->pool_for("u2", "s");
  h.t += std::chrono::seconds(120);
  EXPECT_EQ(h.pools->evict_idle(), 1u);  // u1 only: u2 is held by a caller
  held = Error::make(ErrorKind::Internal, "dropped");
  EXPECT_EQ(h.pools->evict_idle(), 1u);
  EXPECT_EQ(h.pools->stats().users, 0u);
  EXPECT_EQ(h.pools->stats().evicted, 2u);
}

TEST(UserPools, UsersAreBoundedLeastRecentlyUsedIdlePoolMakesRoom) {
  Harness h(2);
  ASSERT_TRUE(h.pools->pool_for("a", "s").ok());
  h.t += std::chrono::seconds(1);
  auto pb = h.pools->pool_for("b", "s");
  auto busy = (*pb)->acquire(std::chrono::seconds(1));
  h.t += std::chrono::seconds(1);
  ASSERT_TRUE(h.pools->pool_for("c", "s").ok());  // evicts a (b is busy)
  auto users = h.pools->per_user();
  EXPECT_EQ(users.count("a"), 0u);
  EXPECT_EQ(users.count("b"), 1u);
  auto pc = h.pools->pool_for("c", "s");
  auto busy_c = (*pc)->acquire(std::chrono::seconds(1));
  auto refused = h.pools->pool_for("d", "s");  // b and c busy: refused, not evicted
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Limit);
  EXPECT_EQ(h.pools->stats().refused, 1u);
}

TEST(UserPools, ConcurrentUsersNeverShareConnections) {
  Harness h(64, 2);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int u = 0; u < 16; ++u) {
    threads.emplace_back([&, u] {
      const std::string user = "user-" + std::to_string(u % 8);
      for (int i = 0; i < 200; ++i) {
        auto p = h.pools->pool_for(user, "secret-of-" + user);
        if (!p.ok()) { ++wrong; continue; }
        auto c = (*p)->acquire(std::chrono::seconds(5));
        if (!c.ok() || as(*c).user != user || as(*c).secret != "secret-of-" + user) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(h.connects.load(), 16);
  EXPECT_EQ(h.pools->stats().users, 8u);
}
