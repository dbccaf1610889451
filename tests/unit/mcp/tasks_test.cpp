// TaskStore: lifecycle, cancellation reaching the work's token, owner isolation, per-owner bound,
// TTL expiry, protocol failures vs tool results, shutdown.
#include "mcp/tasks.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace azsql::mcp {
namespace {

using namespace std::chrono_literals;

/// Runs each job on its own thread; joins them at destruction.
struct Threads {
  std::vector<std::jthread> threads;
  std::mutex mu;
  TaskStore::Executor executor() {
    return [this](std::function<void()> job) {
      std::lock_guard lock(mu);
      threads.emplace_back(std::move(job));
    };
  }
};

TaskOutcome result_text(const std::string& text) {
  TaskOutcome o;
  o.result = bj::object{{"content", bj::array{bj::object{{"type", "text"}, {"text", text}}}}};
  return o;
}

TEST(TaskStore, CompletesAndInlinesTheResult) {
  Threads th;
  TaskStore store({}, th.executor());
  auto t = store.create("s1", [](const CancelToken&) { return result_text("done"); });
  ASSERT_TRUE(t.ok());
  auto done = store.wait("s1", t->id, CancelToken(), std::chrono::steady_clock::now() + 5s);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, TaskStatus::Completed);
  auto j = done->to_json(true);
  EXPECT_EQ(j.at("status").as_string(), "completed");
  EXPECT_EQ(j.at("result").at("content").at(0).at("text").as_string(), "done");
  EXPECT_TRUE(j.at("ttlMs").is_int64());
  EXPECT_EQ(std::string(j.at("createdAt").as_string()).size(), 24u);  // 2026-12-03T19:00:00.000Z
  EXPECT_FALSE(done->to_json(false).contains("result"));
}

TEST(TaskStore, CancelInterruptsTheWorkAndSettlesToCancelled) {
  Threads th;
  TaskStore store({}, th.executor());
  std::atomic<bool> saw_cancel{false};
  auto t = store.create("s1", [&](const CancelToken& c) {
    for (int i = 0; i < 500 && !c.cancelled(); ++i) std::this_thread::sleep_for(10ms);
    saw_cancel = c.cancelled();
    return result_text("finished anyway");
  });
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(store.get("s1", t->id)->status, TaskStatus::Working);
  EXPECT_TRUE(store.cancel("s1", t->id));
  EXPECT_EQ(store.get("s1", t->id)->status, TaskStatus::Cancelled);
  store.shutdown();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(store.get("s1", t->id)->status, TaskStatus::Cancelled);  // the late result does not replace it
  EXPECT_TRUE(store.cancel("s1", t->id));                              // idempotent on a terminal task
  EXPECT_FALSE(store.cancel("s1", "no-such-task"));
}

TEST(TaskStore, FailuresAndExceptionsAreFailedWithAnError) {
  Threads th;
  TaskStore store({}, th.executor());
  auto t = store.create("s1", [](const CancelToken&) -> TaskOutcome { throw std::runtime_error("boom"); });
  auto done = store.wait("s1", t->id, CancelToken(), std::chrono::steady_clock::now() + 5s);
  EXPECT_EQ(done->status, TaskStatus::Failed);
  auto j = done->to_json(true);
  EXPECT_EQ(j.at("error").at("code").as_int64(), -32603);
  EXPECT_FALSE(j.contains("result"));
}

TEST(TaskStore, OwnersAreIsolatedAndBounded) {
  Threads th;
  TaskLimits limits;
  limits.max_per_owner = 2;
  TaskStore store(limits, th.executor());
  std::atomic<bool> release{false};
  auto slow = [&](const CancelToken&) {
    for (int i = 0; i < 500 && !release; ++i) std::this_thread::sleep_for(10ms);
    return result_text("ok");
  };
  auto a = store.create("alice", slow);
  auto b = store.create("alice", slow);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = store.create("alice", slow);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::Limit);
  EXPECT_TRUE(store.create("bob", slow).ok());  // another owner has its own allowance
  EXPECT_FALSE(store.get("bob", a->id));         // and cannot see, nor cancel, alice's tasks
  EXPECT_FALSE(store.cancel("bob", a->id));
  EXPECT_EQ(store.list("alice").size(), 2u);
  release = true;
  store.shutdown();
}

TEST(TaskStore, TerminalTasksExpireAfterTheirTtl) {
  Threads th;
  TaskLimits limits;
  limits.ttl = 300ms;
  TaskStore store(limits, th.executor());
  auto t = store.create("s1", [](const CancelToken&) { return result_text("x"); });
  ASSERT_TRUE(store.wait("s1", t->id, CancelToken(), std::chrono::steady_clock::now() + 5s));
  EXPECT_TRUE(store.get("s1", t->id));
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(store.get("s1", t->id));
  EXPECT_TRUE(store.list("s1").empty());
}

}  // namespace
}  // namespace azsql::mcp
