#include <gtest/gtest.h>

#include <thread>

#include "common/cancel.hpp"
#include "db/pool.hpp"

namespace azsql {
namespace {

TEST(CancelToken, RunsCallbacksOnceAndImmediatelyWhenAlreadyCancelled) {
  CancelToken t;
  int n = 0;
  {
    auto reg = t.on_cancel([&] { ++n; });
    t.cancel();
    t.cancel();
  }
  EXPECT_EQ(n, 1);
  auto late = t.on_cancel([&] { ++n; });
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(t.cancelled());
}

TEST(CancelToken, UnregisteredCallbackDoesNotRun) {
  CancelToken t;
  int n = 0;
  { auto reg = t.on_cancel([&] { ++n; }); }
  t.cancel();
  EXPECT_EQ(n, 0);
}

struct FakeConn final : db::Connection {
  explicit FakeConn(bool* h) : healthy_(h) {}
  Result<db::ExecSummary> execute(std::string_view, const db::Params&, db::RowSink*, const db::ExecOptions&) override {
    return db::ExecSummary{};
  }
  Status begin() override { return {}; }
  Status commit() override { return {}; }
  Status rollback() override { return {}; }
  bool healthy() const override { return *healthy_; }
  bool* healthy_;
};

// A callback chain (outer → inner) whose inner callback drops the last owner of a registration on
// the outer token, while the outer token is still running its callbacks on this thread: this used
// to wait forever for the outer token's callbacks to finish.
TEST(CancelToken, DroppingARegistrationInsideItsOwnTokensCallbacksDoesNotDeadlock) {
  CancelToken outer, inner;
  auto outer_reg = std::make_shared<CancelToken::Registration>(outer.on_cancel([inner] { inner.cancel(); }));
  int ran = 0;
  auto holder = std::make_shared<std::shared_ptr<CancelToken::Registration>>(outer_reg);
  outer_reg.reset();
  auto inner_reg = inner.on_cancel([holder, &ran] {
    holder->reset();  // last owner of the outer registration goes away here
    ++ran;
  });
  std::thread t([&] { outer.cancel(); });
  t.join();  // returns (gtest's own timeout would flag a hang)
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(inner.cancelled());
}

TEST(Pool, ReusesWaitsTimesOutAndDiscardsBroken) {
  bool healthy = true;
  int made = 0;
  db::Pool pool(
      [&](const CancelToken&) -> Result<std::unique_ptr<db::Connection>> {
        ++made;
        return std::unique_ptr<db::Connection>(std::make_unique<FakeConn>(&healthy));
      },
      1);
  {
    auto a = pool.acquire(std::chrono::milliseconds(100));
    ASSERT_TRUE(a.ok());
    auto b = pool.acquire(std::chrono::milliseconds(50));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().kind, ErrorKind::Timeout);
    EXPECT_EQ(pool.stats().waits, 1u);
  }
  { auto c = pool.acquire(std::chrono::milliseconds(100)); }
  EXPECT_EQ(made, 1);
  {
    auto d = pool.acquire(std::chrono::milliseconds(100));
    healthy = false;
  }
  healthy = true;
  { auto e = pool.acquire(std::chrono::milliseconds(100)); }
  EXPECT_EQ(made, 2);
  EXPECT_EQ(pool.stats().discarded, 1u);
}

TEST(Pool, WaiterGetsReleasedConnection) {
  bool healthy = true;
  db::Pool pool([&](const CancelToken&) -> Result<std::unique_ptr<db::Connection>> {
    return std::unique_ptr<db::Connection>(std::make_unique<FakeConn>(&healthy));
  }, 1);
  auto a = std::make_unique<db::PooledConnection>(std::move(pool.acquire(std::chrono::milliseconds(100)).value()));
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    a.reset();
  });
  auto b = pool.acquire(std::chrono::seconds(5));
  t.join();
  EXPECT_TRUE(b.ok());
}

}  // namespace
}  // namespace azsql
