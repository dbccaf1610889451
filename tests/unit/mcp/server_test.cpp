// Unit tests of the MCP protocol core through its transport-facing API (Server::handle).
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <thread>

#include "jsonrpc/message.hpp"
#include "mcp/server.hpp"
#include "send.hpp"

namespace azsql::mcp {
namespace {

using testing::send;
using testing::send_modern;
using testing::send_text;

namespace bj = boost::json;

class EchoTool final : public Tool {
 public:
  EchoTool() {
    def_.name = "echo";
    def_.title = "Echo";
    def_.description = "Echoes text.";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"],
      "additionalProperties":false})").as_object();
    def_.output_schema = bj::parse(R"({"type":"object","properties":{"text":{"type":"string"}}})").as_object();
    def_.annotations.read_only = true;
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object& args, CallContext& ctx) override {
    ctx.progress(1, 2, "half");
    ctx.log(LogLevel::Info, "echo", bj::value("called"));
    ToolResult r;
    r.text = std::string(args.at("text").as_string());
    r.structured["text"] = r.text;
    return r;
  }

 private:
  ToolDefinition def_;
};

/// Blocks until cancelled (or 10 s), reporting whether it saw the cancellation.
class SlowTool final : public Tool {
 public:
  SlowTool() {
    def_.name = "slow";
    def_.description = "Waits.";
    def_.input_schema = bj::parse(R"({"type":"object"})").as_object();
    def_.writes = true;
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object&, CallContext& ctx) override {
    started.set_value();
    for (int i = 0; i < 1000 && !ctx.cancel().cancelled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    saw_cancel = ctx.cancel().cancelled();
    return ToolResult::error("stopped");
  }
  std::promise<void> started;
  std::atomic<bool> saw_cancel{false};

 private:
  ToolDefinition def_;
};

class Capture final : public Outbox {
 public:
  void send(const bj::value& m) override {
    std::lock_guard lock(mu);
    messages.push_back(m);
  }
  std::vector<bj::value> take() {
    std::lock_guard lock(mu);
    return messages;
  }
  std::mutex mu;
  std::vector<bj::value> messages;
};

struct Fixture : ::testing::Test {
  std::shared_ptr<Registry> reg = std::make_shared<Registry>();
  SlowTool* slow = nullptr;
  std::unique_ptr<Server> server;
  std::shared_ptr<Session> session = std::make_shared<Session>("s1");
  std::shared_ptr<Capture> outbox = std::make_shared<Capture>();

  void SetUp() override {
    reg->add_tool(std::make_unique<EchoTool>());
    auto s = std::make_unique<SlowTool>();
    slow = s.get();
    reg->add_tool(std::move(s));
    ServerOptions o;
    o.page_size = 1;
    server = std::make_unique<Server>(reg, o);
    session->set_outbox(outbox);
  }

  std::optional<bj::value> call(std::string_view text) {
    std::promise<std::optional<bj::value>> p;
    auto f = p.get_future();
    send_text(*server, session, text, nullptr, [&](std::optional<bj::value> r) { p.set_value(std::move(r)); });
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return bj::value("timeout");
    return f.get();
  }

  void init(const char* version = "2025-11-25") {
    auto r = call(std::string(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")") +
                  version + R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    ASSERT_TRUE(r && r->as_object().contains("result")) << bj::serialize(*r);
    EXPECT_FALSE(call(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  }
};

TEST_F(Fixture, NegotiatesSupportedVersionAndFallsBackToLatest) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{}}})");
  EXPECT_EQ(r->at("result").at("protocolVersion"), "2025-03-26");
  EXPECT_FALSE(r->at("result").at("serverInfo").as_object().contains("title"));  // title is 2025-06-18+
  auto s2 = std::make_shared<Session>("s2");
  std::promise<std::optional<bj::value>> p;
  send_text(*server, s2, R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}})",
                      nullptr, [&](std::optional<bj::value> v) { p.set_value(std::move(v)); });
  EXPECT_EQ(p.get_future().get()->at("result").at("protocolVersion"), "2025-11-25");
}

TEST_F(Fixture, RejectsRequestsBeforeInitializeButAnswersPing) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  EXPECT_EQ(r->at("error").at("code"), -32600);
  r = call(R"({"jsonrpc":"2.0","id":2,"method":"ping"})");
  EXPECT_TRUE(r->at("result").as_object().empty());
}

TEST_F(Fixture, ProtocolErrors) {
  init();
  // Malformed JSON (-32700) is the transports' to answer: e2e stdio_protocol and http_errors.
  EXPECT_EQ(call(R"({"id":1,"method":"ping"})")->at("error").at("code"), -32600);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":3,"method":"nope"})")->at("error").at("code"), -32601);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"missing"}})")->at("error").at("code"),
            -32602);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{}})")->at("error").at("code"), -32602);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":6,"method":"logging/setLevel","params":{"level":"loud"}})")->at("error").at("code"),
            -32602);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":7,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})")
                ->at("error").at("code"), -32600);
  // The id is echoed on errors.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":"abc","method":"nope"})")->at("id"), "abc");
}

TEST_F(Fixture, PaginatesToolsWithOpaqueCursor) {
  init();
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  ASSERT_EQ(r->at("result").at("tools").as_array().size(), 1u);
  EXPECT_EQ(r->at("result").at("tools").at(0).at("name"), "echo");
  std::string cursor(r->at("result").at("nextCursor").as_string());
  r = call(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":")" + cursor + R"("}})");
  EXPECT_EQ(r->at("result").at("tools").at(0).at("name"), "slow");
  EXPECT_FALSE(r->at("result").as_object().contains("nextCursor"));
  r = call(R"({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"garbage"}})");
  EXPECT_EQ(r->at("error").at("code"), -32602);
}

TEST_F(Fixture, ToolCallReturnsStructuredContentProgressAndLogs) {
  init();
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"info"}})")->as_object().contains("result"));
  auto r = call(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":"p1"}}})");
  const auto& res = r->at("result");
  EXPECT_EQ(res.at("structuredContent").at("text"), "hi");
  EXPECT_EQ(res.at("content").at(0).at("text"), "hi");
  EXPECT_EQ(res.at("isError"), false);
  auto sent = outbox->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].at("method"), "notifications/progress");
  EXPECT_EQ(sent[0].at("params").at("progressToken"), "p1");
  EXPECT_EQ(sent[1].at("method"), "notifications/message");
}

TEST_F(Fixture, InvalidArgumentsAreToolErrors) {
  init();
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":5}}})");
  EXPECT_EQ(r->at("result").at("isError"), true);
  EXPECT_NE(std::string(r->at("result").at("content").at(0).at("text").as_string()).find("arguments.text must be a string"),
            std::string::npos);
  r = call(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{}}})");
  EXPECT_NE(bj::serialize(*r).find("arguments.text is required"), std::string::npos);
}

TEST_F(Fixture, OlderVersionsGetNoStructuredContent) {
  init("2025-03-26");
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}})");
  EXPECT_FALSE(r->at("result").as_object().contains("structuredContent"));
  auto l = call(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  EXPECT_FALSE(l->at("result").at("tools").at(0).as_object().contains("outputSchema"));
}

TEST_F(Fixture, CancelledNotificationStopsToolAndSuppressesResponse) {
  init();
  std::promise<std::optional<bj::value>> p;
  send_text(*server, session, R"({"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{"name":"slow"}})",
                      nullptr, [&](std::optional<bj::value> r) { p.set_value(std::move(r)); });
  slow->started.get_future().wait();
  // ping still answers while the slow call runs.
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","id":9,"method":"ping"})")->as_object().contains("result"));
  EXPECT_FALSE(call(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow-1"}})"));
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(f.get().has_value());
  EXPECT_TRUE(slow->saw_cancel);
}

TEST_F(Fixture, ReadOnlyHidesAndRefusesWriteTools) {
  ServerOptions o;
  o.read_only = true;
  server = std::make_unique<Server>(reg, o);
  init();
  auto l = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  ASSERT_EQ(l->at("result").at("tools").as_array().size(), 1u);
  auto r = call(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"slow"}})");
  EXPECT_EQ(r->at("error").at("code"), -32602);
  EXPECT_NE(bj::serialize(*r).find("read-only"), std::string::npos);
}

TEST_F(Fixture, BatchesOnlyFor20250326) {
  init("2025-03-26");
  auto r = call(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"nope"}])");
  ASSERT_TRUE(r && r->is_array());
  EXPECT_EQ(r->as_array().size(), 2u);
  EXPECT_EQ(call("[]")->at("error").at("code"), -32600);

  session = std::make_shared<Session>("s9");
  init("2025-11-25");
  r = call(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(r->at("error").at("code"), -32600);
}

TEST_F(Fixture, SubscriptionsReceiveResourceUpdates) {
  init();
  call(R"({"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"database://tables/Region"}})");
  server->notify_resources_updated({"database://schema"});
  EXPECT_TRUE(outbox->take().empty());
  server->notify_resources_updated({"database://tables"});
  auto sent = outbox->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("params").at("uri"), "database://tables/Region");
  call(R"({"jsonrpc":"2.0","id":2,"method":"resources/unsubscribe","params":{"uri":"database://tables/Region"}})");
  server->notify_resources_updated({"database://tables"});
  EXPECT_EQ(outbox->take().size(), 1u);
}

TEST_F(Fixture, UnknownResourceIs32002) {
  init();
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"database://nope"}})");
  EXPECT_EQ(r->at("error").at("code"), -32002);
}

}  // namespace
}  // namespace azsql::mcp

namespace azsql::mcp {
namespace {

std::string modern(const std::string& id, const std::string& method, const std::string& params_extra = "",
                   const std::string& meta_extra = "") {
  return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + R"(","params":{)" + params_extra +
         (params_extra.empty() ? "" : ",") +
         R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{})" +
         meta_extra + "}}}";
}

TEST_F(Fixture, ModernDiscoverAndStatelessRequestsWithoutInitialize) {
  auto d = call(modern("1", "server/discover"));
  const auto& r = d->at("result");
  EXPECT_EQ(r.at("resultType"), "complete");
  EXPECT_EQ(r.at("supportedVersions").at(0), "2026-07-28");
  EXPECT_TRUE(r.at("capabilities").as_object().contains("tools"));
  EXPECT_EQ(r.at("_meta").at("io.modelcontextprotocol/serverInfo").at("name"), "azsql-mcp");
  auto l = call(modern("2", "tools/list"));
  EXPECT_EQ(l->at("result").at("resultType"), "complete");
  EXPECT_EQ(l->at("result").at("cacheScope"), "public");
  EXPECT_TRUE(l->at("result").at("ttlMs").is_int64());
  auto c = call(modern("3", "tools/call", R"("name":"echo","arguments":{"text":"x"})"));
  EXPECT_EQ(c->at("result").at("structuredContent").at("text"), "x");
  EXPECT_EQ(c->at("result").at("resultType"), "complete");
  // The legacy session on the same transport is untouched: it still needs initialize.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":4,"method":"tools/list"})")->at("error").at("code"), -32600);
}

TEST_F(Fixture, ModernErrors) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})");
  EXPECT_EQ(r->at("error").at("code"), -32022);
  EXPECT_EQ(r->at("error").at("data").at("requested"), "1900-01-01");
  EXPECT_EQ(r->at("id"), 1);
  r = call(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})");
  EXPECT_EQ(r->at("error").at("code"), -32602);
  EXPECT_EQ(call(modern("3", "ping"))->at("error").at("code"), -32601);
  EXPECT_EQ(call(modern("4", "logging/setLevel", R"("level":"info")"))->at("error").at("code"), -32601);
  EXPECT_EQ(call(modern("5", "resources/read", R"("uri":"database://nope")"))->at("error").at("code"), -32602);
}

TEST_F(Fixture, ModernLogsOnlyWhenTheRequestAsks) {
  call(modern("1", "tools/call", R"("name":"echo","arguments":{"text":"x"})"));
  EXPECT_TRUE(outbox->take().empty());
  call(modern("2", "tools/call", R"("name":"echo","arguments":{"text":"x"})", R"(,"io.modelcontextprotocol/logLevel":"debug")"));
  auto sent = outbox->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("method"), "notifications/message");
}

TEST_F(Fixture, ModernSubscriptionsListenAcknowledgesTagsAndEnds) {
  std::promise<std::optional<bj::value>> p;
  send_text(*server, session, modern("\"sub-1\"", "subscriptions/listen",
                                       R"("notifications":{"resourceSubscriptions":["database://tables"],"toolsListChanged":true})"),
                      nullptr, [&](std::optional<bj::value> r) { p.set_value(std::move(r)); });
  auto sent = outbox->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("method"), "notifications/subscriptions/acknowledged");
  EXPECT_EQ(sent[0].at("params").at("_meta").at("io.modelcontextprotocol/subscriptionId"), "sub-1");
  EXPECT_FALSE(sent[0].at("params").at("notifications").as_object().contains("toolsListChanged"));
  server->notify_resources_updated({"database://tables"});
  sent = outbox->take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].at("params").at("_meta").at("io.modelcontextprotocol/subscriptionId"), "sub-1");
  auto f = p.get_future();
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);  // stream stays open
  server->shutdown(std::chrono::milliseconds(100));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("result").at("_meta").at("io.modelcontextprotocol/subscriptionId"), "sub-1");
}

TEST_F(Fixture, ClosedStreamCancelsTheRequest) {
  CancelToken closed;
  std::promise<std::optional<bj::value>> p;
  send_text(*server, session, modern("\"s\"", "tools/call", R"("name":"slow")"), nullptr,
                      [&](std::optional<bj::value> r) { p.set_value(std::move(r)); }, &closed);
  slow->started.get_future().wait();
  closed.cancel();
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(slow->saw_cancel);
}

}  // namespace
}  // namespace azsql::mcp

// ---------------------------------------------------------------- Inbound: cancellation, caller, errors

namespace azsql::mcp {
namespace {

/// Records what a tool call saw of its caller.
class WhoAmITool final : public Tool {
 public:
  WhoAmITool() {
    def_.name = "whoami";
    def_.description = "Reports the caller.";
    def_.input_schema = bj::parse(R"({"type":"object"})").as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object&, CallContext& ctx) override {
    ToolResult r;
    r.text = ctx.caller() ? ctx.caller()->describe() + "@" + ctx.caller()->tenant_id : "anonymous";
    return r;
  }

 private:
  ToolDefinition def_;
};

class ThrowingTool final : public Tool {
 public:
  ThrowingTool() {
    def_.name = "throws";
    def_.description = "Throws.";
    def_.input_schema = bj::parse(R"({"type":"object"})").as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object&, CallContext&) override { throw std::runtime_error("boom"); }

 private:
  ToolDefinition def_;
};

struct Seen final : Observer {
  std::mutex mu;
  std::vector<std::string> callers;
  std::vector<std::string> internal;
  void on_tool_call(const ClientInfo& c, const ToolDefinition&, const bj::object&, const ToolResult&,
                    std::chrono::microseconds) override {
    std::lock_guard lock(mu);
    callers.push_back(c.caller ? c.caller->object_id : "");
  }
  void on_internal_error(std::string_view where) override {
    std::lock_guard lock(mu);
    internal.emplace_back(where);
  }
};

struct InboundFixture : Fixture {
  std::shared_ptr<Seen> seen = std::make_shared<Seen>();
  void SetUp() override {
    reg->add_tool(std::make_unique<WhoAmITool>());
    reg->add_tool(std::make_unique<ThrowingTool>());
    Fixture::SetUp();
    server->set_observer(seen);
  }
  Outgoing send(std::string_view text, Inbound in, bool modern_era = false) {
    std::promise<Outgoing> p;
    auto f = p.get_future();
    auto respond = [&](Outgoing o) { p.set_value(std::move(o)); };
    if (modern_era)
      server->handle_modern(session, bj::parse(text), std::move(in), respond);
    else
      server->handle(session, bj::parse(text), std::move(in), respond);
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return Outgoing{bj::value("timeout"), 0};
    return f.get();
  }
};

TEST_F(InboundFixture, BatchMembersAreCancelledWhenTheStreamCloses) {
  init("2025-03-26");
  Inbound in;
  std::promise<Outgoing> p;
  server->handle(session,
                 bj::parse(R"([{"jsonrpc":"2.0","id":"b1","method":"tools/call","params":{"name":"slow"}},
                              {"jsonrpc":"2.0","id":"b2","method":"ping"}])"),
                 in, [&](Outgoing o) { p.set_value(std::move(o)); });
  slow->started.get_future().wait();
  in.closed.cancel();  // the transport lost the connection: the batched call must stop
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(slow->saw_cancel);
}

TEST_F(InboundFixture, CallerReachesToolsAndObserversButIsNullWithoutOne) {
  init();
  auto caller = std::make_shared<Caller>();
  caller->tenant_id = "t1";
  caller->object_id = "o1";
  caller->upn = "ada@example.com";
  caller->assertion = "secret-token";
  Inbound in;
  in.caller = caller;
  auto r = send(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}})", in);
  EXPECT_EQ(r.message->at("result").at("content").at(0).at("text"), "ada@example.com@t1");
  EXPECT_EQ(bj::serialize(*r.message).find("secret-token"), std::string::npos);
  r = send(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"whoami"}})", Inbound{});
  EXPECT_EQ(r.message->at("result").at("content").at(0).at("text"), "anonymous");
  std::lock_guard lock(seen->mu);
  ASSERT_EQ(seen->callers.size(), 2u);
  EXPECT_EQ(seen->callers[0], "o1");
  EXPECT_EQ(seen->callers[1], "");
}

TEST_F(InboundFixture, CatchAllsCountAndReportWhatTheyCaught) {
  init();
  auto r = send(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"throws"}})", Inbound{});
  EXPECT_EQ(r.message->at("result").at("isError"), true);
  EXPECT_EQ(server->caught_exceptions(), 1u);
  std::lock_guard lock(seen->mu);
  ASSERT_EQ(seen->internal.size(), 1u);
  EXPECT_EQ(seen->internal[0], "tools/call throws");
}

TEST_F(InboundFixture, ModernRepliesCarryTheirHttpStatus) {
  auto r = send(modern("1", "nope/nope"), Inbound{}, true);
  EXPECT_EQ(r.message->at("error").at("code"), -32601);
  EXPECT_EQ(r.http_status, 404u);
  r = send(modern("2", "tools/list"), Inbound{}, true);
  EXPECT_EQ(r.http_status, 200u);
  r = send(modern("3", "resources/read", R"("uri":"database://nope")"), Inbound{}, true);
  EXPECT_EQ(r.message->at("error").at("code"), -32602);
  EXPECT_EQ(r.http_status, 200u);
}

TEST(ErrorMapping, OneTableForCodesAndStatuses) {
  EXPECT_EQ(map_fault(Fault::Unavailable, Era::Legacy).code, -32603);  // a database outage is not -32602
  EXPECT_EQ(map_fault(fault_of(ErrorKind::Database), Era::Legacy).code, -32603);
  EXPECT_EQ(map_fault(fault_of(ErrorKind::Timeout), Era::Legacy).code, -32603);
  EXPECT_EQ(map_fault(fault_of(ErrorKind::InvalidInput), Era::Legacy).code, -32602);
  EXPECT_EQ(map_fault(Fault::ResourceNotFound, Era::Legacy).code, -32002);
  EXPECT_EQ(map_fault(Fault::ResourceNotFound, Era::Modern).code, -32602);
  EXPECT_EQ(map_fault(Fault::MethodNotFound, Era::Modern).http_status, 404u);
  EXPECT_EQ(map_fault(Fault::MethodNotFound, Era::Legacy).http_status, 200u);
  EXPECT_EQ(map_fault(Fault::HeaderMismatch, Era::Modern).http_status, 400u);
  EXPECT_EQ(map_fault(Fault::InvalidParams, Era::Modern).http_status, 200u);
}

}  // namespace
}  // namespace azsql::mcp
