// Tasks through the protocol core (Server::handle): the 2026-07-28 tasks extension (gating,
// CreateTaskResult, tasks/get with the inlined result, tasks/update, tasks/cancel reaching the
// work's token), the 2025-11-25 tasks utility (params.task, tasks/result, tasks/list), owners
// (user vs user), surviving the request's closed stream, the per-owner bound and the TTL.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "mcp/server.hpp"

namespace azsql::mcp {
namespace {

namespace bj = boost::json;

/// Waits `ms` (or until cancelled), then answers "done <ms>"; asks for confirmation when `ask` is set.
class WaitTool final : public Tool {
 public:
  explicit WaitTool(TaskSupport support, std::string name = "wait") {
    def_.name = std::move(name);
    def_.description = "Waits.";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{"ms":{"type":"integer"},"ask":{"type":"boolean"}}})").as_object();
    def_.task_support = support;
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object& args, CallContext& ctx) override {
    calls.fetch_add(1);
    if (args.contains("ask") && ctx.confirm("go", "Go on?") != Confirmation::Accepted) return ToolResult::error("declined");
    const auto ms = args.contains("ms") ? args.at("ms").to_number<int>() : 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      if (ctx.cancel().cancelled()) {
        saw_cancel = true;
        return ToolResult::error("cancelled");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ToolResult r;
    r.text = "done " + std::to_string(ms) + (ctx.task_id().empty() ? "" : " in a task");
    return r;
  }
  std::atomic<int> calls{0};
  std::atomic<bool> saw_cancel{false};

 private:
  ToolDefinition def_;
};

struct Tasks : ::testing::Test {
  std::shared_ptr<Registry> reg = std::make_shared<Registry>();
  WaitTool* wait = nullptr;
  std::unique_ptr<Server> server;
  std::shared_ptr<Session> session = std::make_shared<Session>("s1");
  ServerOptions opt;

  void SetUp() override {
    auto w = std::make_unique<WaitTool>(TaskSupport::Optional);
    wait = w.get();
    reg->add_tool(std::move(w));
    reg->add_tool(std::make_unique<WaitTool>(TaskSupport::Required, "only_task"));
    reg->add_tool(std::make_unique<WaitTool>(TaskSupport::Forbidden, "never_task"));
    opt.task_ttl = std::chrono::seconds(30);
    opt.task_poll_interval = std::chrono::milliseconds(250);
  }
  void start() { server = std::make_unique<Server>(reg, opt); }
  void TearDown() override {
    if (server) server->shutdown(std::chrono::milliseconds(500));
  }

  bj::value send(const std::string& text, std::shared_ptr<const Caller> caller = nullptr, CancelToken closed = {}) {
    std::promise<Outgoing> p;
    auto f = p.get_future();
    Inbound in;
    in.caller = std::move(caller);
    in.closed = closed;
    server->handle(session, bj::parse(text), in, [&](Outgoing o) { p.set_value(std::move(o)); });
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return bj::value("timeout");
    auto o = f.get();
    return o.message ? *o.message : bj::value(nullptr);
  }

  static std::string modern(const std::string& method, const std::string& params, bool ext = true) {
    const std::string caps = ext ? R"({"elicitation":{},"extensions":{"io.modelcontextprotocol/tasks":{}}})" : "{}";
    return R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":{)" + params + (params.empty() ? "" : ",") +
           R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":)" +
           caps + "}}}";
  }
  static std::string legacy(int id, const std::string& method, const std::string& params) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method + R"(","params":{)" + params + "}}";
  }
  std::string task_params(const std::string& id) { return R"("taskId":")" + id + "\""; }

  /// Polls tasks/get (2026-07-28) until the task is terminal (bounded).
  bj::value poll(const std::string& id, std::shared_ptr<const Caller> caller = nullptr) {
    bj::value r;
    for (int i = 0; i < 400; ++i) {
      r = send(modern("tasks/get", task_params(id)), caller);
      const auto* res = r.as_object().if_contains("result");
      if (!res) return r;
      const auto st = res->at("status").as_string();
      if (st == "completed" || st == "failed" || st == "cancelled") return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return r;
  }
};

std::shared_ptr<const Caller> user(std::string oid) {
  auto c = std::make_shared<Caller>();
  c->tenant_id = "t1";
  c->object_id = std::move(oid);
  return c;
}

TEST_F(Tasks, ModernCreatesPollsAndInlinesTheResult) {
  start();
  auto d = send(modern("server/discover", ""));
  EXPECT_TRUE(d.at("result").at("capabilities").at("extensions").as_object().contains("io.modelcontextprotocol/tasks"));
  EXPECT_FALSE(d.at("result").at("capabilities").as_object().contains("tasks"));

  auto c = send(modern("tools/call", R"("name":"wait","arguments":{"ms":300})"));
  const auto& cr = c.at("result").as_object();
  EXPECT_EQ(cr.at("resultType"), "task");
  EXPECT_EQ(cr.at("status"), "working");
  EXPECT_EQ(cr.at("ttlMs"), 30000);
  EXPECT_EQ(cr.at("pollIntervalMs"), 250);
  EXPECT_FALSE(cr.contains("content"));
  const std::string id(cr.at("taskId").as_string());
  auto g = send(modern("tasks/get", task_params(id)));
  EXPECT_EQ(g.at("result").at("status"), "working");
  EXPECT_FALSE(g.at("result").as_object().contains("result"));
  auto done = poll(id);
  EXPECT_EQ(done.at("result").at("status"), "completed");
  EXPECT_EQ(done.at("result").at("resultType"), "complete");
  EXPECT_EQ(done.at("result").at("result").at("content").at(0).at("text"), "done 300 in a task");
  EXPECT_EQ(done.at("result").at("result").at("isError"), false);
}

TEST_F(Tasks, ModernGatesOnTheExtension) {
  start();
  // Optional tools run synchronously for a client without the extension; required ones are refused.
  auto s = send(modern("tools/call", R"("name":"wait","arguments":{"ms":1})", false));
  EXPECT_EQ(s.at("result").at("resultType"), "complete");
  EXPECT_EQ(s.at("result").at("content").at(0).at("text"), "done 1");
  auto r = send(modern("tools/call", R"("name":"only_task","arguments":{})", false));
  EXPECT_EQ(r.at("error").at("code"), -32021);
  EXPECT_TRUE(r.at("error").at("data").at("requiredCapabilities").at("extensions").as_object().contains(
      "io.modelcontextprotocol/tasks"));
  for (const char* m : {"tasks/get", "tasks/cancel"}) {
    auto e = send(modern(m, R"("taskId":"x")", false));
    EXPECT_EQ(e.at("error").at("code"), -32021) << m;
  }
  // A forbidden tool stays synchronous even with the extension; unknown ids are -32602; the
  // 2025-11-25 methods tasks/list and tasks/result are gone.
  auto n = send(modern("tools/call", R"("name":"never_task","arguments":{"ms":1})"));
  EXPECT_EQ(n.at("result").at("resultType"), "complete");
  EXPECT_EQ(send(modern("tasks/get", R"("taskId":"nope")")).at("error").at("code"), -32602);
  EXPECT_EQ(send(modern("tasks/list", "")).at("error").at("code"), -32601);
  EXPECT_EQ(send(modern("tasks/result", R"("taskId":"nope")")).at("error").at("code"), -32601);
}

TEST_F(Tasks, CancelReachesTheWorkAndAcksEmpty) {
  start();
  auto c = send(modern("tools/call", R"("name":"wait","arguments":{"ms":20000})"));
  const std::string id(c.at("result").at("taskId").as_string());
  auto ack = send(modern("tasks/cancel", task_params(id)));
  EXPECT_EQ(ack.at("result").at("resultType"), "complete");
  EXPECT_FALSE(ack.at("result").as_object().contains("status"));
  auto g = poll(id);
  EXPECT_EQ(g.at("result").at("status"), "cancelled");
  for (int i = 0; i < 200 && !wait->saw_cancel; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(wait->saw_cancel);  // the work's token was cancelled: the statement would be interrupted
  // Idempotent on a terminal task.
  EXPECT_EQ(send(modern("tasks/cancel", task_params(id))).at("result").at("resultType"), "complete");
}

TEST_F(Tasks, InputRequiredThenTasksUpdateResumes) {
  start();
  auto c = send(modern("tools/call", R"("name":"wait","arguments":{"ms":1,"ask":true})"));
  const std::string id(c.at("result").at("taskId").as_string());
  bj::value g;
  for (int i = 0; i < 300; ++i) {
    g = send(modern("tasks/get", task_params(id)));
    if (g.at("result").at("status") == "input_required") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(g.at("result").at("status"), "input_required");
  EXPECT_EQ(g.at("result").at("inputRequests").at("go").at("method"), "elicitation/create");
  auto u = send(modern("tasks/update", task_params(id) + R"(,"inputResponses":{"go":{"action":"accept","content":{"confirm":true}}})"));
  EXPECT_EQ(u.at("result").at("resultType"), "complete");
  auto done = poll(id);
  EXPECT_EQ(done.at("result").at("status"), "completed");
  EXPECT_EQ(done.at("result").at("result").at("content").at(0).at("text"), "done 1 in a task");
}

TEST_F(Tasks, OwnedByTheUserAndNotCancelledByAClosedStream) {
  start();
  CancelToken closed;
  auto c = send(modern("tools/call", R"("name":"wait","arguments":{"ms":200})"), user("alice"), closed);
  const std::string id(c.at("result").at("taskId").as_string());
  closed.cancel();  // the client's connection went away after the CreateTaskResult
  EXPECT_EQ(send(modern("tasks/get", task_params(id)), user("bob")).at("error").at("code"), -32602);
  EXPECT_EQ(send(modern("tasks/cancel", task_params(id)), user("bob")).at("error").at("code"), -32602);
  EXPECT_EQ(send(modern("tasks/get", task_params(id))).at("error").at("code"), -32602);  // unauthenticated
  auto done = poll(id, user("alice"));
  EXPECT_EQ(done.at("result").at("status"), "completed");
  EXPECT_FALSE(wait->saw_cancel);
}

TEST_F(Tasks, BoundedPerOwnerAndExpiredAfterTheTtl) {
  opt.task_max_per_owner = 1;
  opt.task_ttl = std::chrono::milliseconds(400);
  start();
  auto a = send(modern("tools/call", R"("name":"wait","arguments":{"ms":50})"), user("alice"));
  const std::string id(a.at("result").at("taskId").as_string());
  auto b = send(modern("tools/call", R"("name":"wait","arguments":{"ms":50})"), user("alice"));
  EXPECT_EQ(b.at("error").at("code"), -32000);
  EXPECT_NE(std::string(b.at("error").at("message").as_string()).find("too many tasks"), std::string::npos);
  EXPECT_TRUE(send(modern("tools/call", R"("name":"wait","arguments":{"ms":50})"), user("bob")).at("result").as_object().contains("taskId"));
  EXPECT_EQ(poll(id, user("alice")).at("result").at("status"), "completed");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(send(modern("tasks/get", task_params(id)), user("alice")).at("error").at("code"), -32602);
  // Expired tasks no longer count against the bound.
  EXPECT_TRUE(send(modern("tools/call", R"("name":"wait","arguments":{"ms":1})"), user("alice")).at("result").as_object().contains("taskId"));
}

TEST_F(Tasks, Legacy20251125TaskAugmentedCall) {
  start();
  auto init = send(legacy(1, "initialize", R"("protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"})"));
  const auto& caps = init.at("result").at("capabilities").as_object();
  EXPECT_TRUE(caps.at("tasks").at("requests").at("tools").as_object().contains("call"));
  EXPECT_FALSE(caps.contains("extensions"));
  auto list = send(legacy(2, "tools/list", ""));
  for (const auto& t : list.at("result").at("tools").as_array()) {
    const auto& o = t.as_object();
    if (o.at("name") == "wait") {
      EXPECT_EQ(o.at("execution").at("taskSupport"), "optional");
    } else if (o.at("name") == "only_task") {
      EXPECT_EQ(o.at("execution").at("taskSupport"), "required");
    } else {
      EXPECT_FALSE(o.contains("execution"));
    }
  }
  // Without params.task: synchronous; a required tool is refused.
  EXPECT_EQ(send(legacy(3, "tools/call", R"("name":"wait","arguments":{"ms":1})")).at("result").at("content").at(0).at("text"), "done 1");
  EXPECT_EQ(send(legacy(4, "tools/call", R"("name":"only_task","arguments":{})")).at("error").at("code"), -32601);
  auto c = send(legacy(5, "tools/call", R"("name":"wait","arguments":{"ms":100},"task":{"ttl":60000})"));
  const auto& task = c.at("result").at("task").as_object();
  EXPECT_EQ(task.at("ttl"), 30000);
  EXPECT_EQ(task.at("pollInterval"), 250);
  EXPECT_FALSE(task.contains("ttlMs"));
  const std::string id(task.at("taskId").as_string());
  auto r = send(legacy(6, "tasks/result", task_params(id)));  // blocks until the task ends
  EXPECT_EQ(r.at("result").at("content").at(0).at("text"), "done 100 in a task");
  EXPECT_EQ(r.at("result").at("_meta").at("io.modelcontextprotocol/related-task").at("taskId").as_string(), id);
  auto g = send(legacy(7, "tasks/get", task_params(id)));
  EXPECT_EQ(g.at("result").at("status"), "completed");
  EXPECT_FALSE(g.at("result").as_object().contains("result"));
  auto l = send(legacy(8, "tasks/list", ""));
  ASSERT_EQ(l.at("result").at("tasks").as_array().size(), 1u);
  EXPECT_EQ(l.at("result").at("tasks").at(0).at("taskId").as_string(), id);
  EXPECT_EQ(send(legacy(9, "tasks/cancel", task_params(id))).at("error").at("code"), -32602);  // already terminal
  auto c2 = send(legacy(10, "tools/call", R"("name":"wait","arguments":{"ms":20000},"task":{})"));
  const std::string id2(c2.at("result").at("task").at("taskId").as_string());
  auto cancelled = send(legacy(11, "tasks/cancel", task_params(id2)));
  EXPECT_EQ(cancelled.at("result").at("status"), "cancelled");
}

}  // namespace
}  // namespace azsql::mcp
