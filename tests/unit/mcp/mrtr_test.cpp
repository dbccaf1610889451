// Unit tests of the protocol core's client-input features: multi-round-trip requests
// (2026-07-28 InputRequiredResult with an HMAC-protected requestState), 2025-era
// elicitation/create round trips, rich content blocks, HTTP statuses of 2026-07-28 errors and
// list_changed delivery to subscriptions/listen streams.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "mcp/server.hpp"
#include "send.hpp"

namespace azsql::mcp {
namespace {

using testing::send;
using testing::send_modern;
using testing::send_text;

namespace bj = boost::json;

/// Asks for confirmation; remembers the round state it saw and what confirm() returned.
class ConfirmTool final : public Tool {
 public:
  ConfirmTool() {
    def_.name = "confirm_me";
    def_.description = "Asks the user to confirm.";
    def_.input_schema = bj::parse(R"({"type":"object"})").as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object&, CallContext& ctx) override {
    seen_state = ctx.round_state();
    ctx.set_round_state(bj::object{{"rows", 42}});
    auto c = ctx.confirm("confirm", "Change 42 rows?");
    ToolResult r;
    switch (c) {
      case Confirmation::Accepted: r.text = "accepted"; break;
      case Confirmation::Declined: r.text = "declined"; break;
      case Confirmation::Unsupported: r.text = "unsupported"; break;
      case Confirmation::Pending: r.text = "pending"; break;
    }
    return r;
  }
  bj::value seen_state;

 private:
  ToolDefinition def_;
};

/// Returns an image and an embedded resource; needs sampling when asked to.
class RichTool final : public Tool {
 public:
  RichTool() {
    def_.name = "rich";
    def_.description = "Rich content.";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{"need":{"type":"string"}}})").as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object& args, CallContext&) override {
    ToolResult r;
    if (args.contains("need")) {
      r.missing_capability = std::string(args.at("need").as_string());
      return r;
    }
    r.content.push_back(bj::object{{"type", "image"}, {"data", "iVBORw0KGgo="}, {"mimeType", "image/png"}});
    r.content.push_back(bj::object{
        {"type", "resource"},
        {"resource", bj::object{{"uri", "test://r"}, {"mimeType", "text/plain"}, {"text", "embedded"}}}});
    return r;
  }

 private:
  ToolDefinition def_;
};

/// Parameters mirrored into Mcp-Param-* headers (x-mcp-header).
class HeaderTool final : public Tool {
 public:
  HeaderTool() {
    def_.name = "hdr";
    def_.description = "Header params.";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{
        "region":{"type":"string","x-mcp-header":"Region"},
        "count":{"type":"integer","x-mcp-header":"Count"},
        "opts":{"type":"object","properties":{"flag":{"type":"boolean","x-mcp-header":"Flag"}}}}})")
                            .as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object&, CallContext&) override { return {}; }

 private:
  ToolDefinition def_;
};

class BlobResources final : public ResourceProvider {
 public:
  std::vector<ResourceDefinition> resources() override { return {{"test://blob", "blob", "", "", "image/png"}}; }
  std::vector<ResourceTemplateDefinition> templates() override { return {}; }
  Result<std::vector<ResourceContents>> read(std::string_view uri, CallContext&) override {
    if (uri != "test://blob") return Error{ErrorKind::NotFound, "no such resource"};
    ResourceContents c;
    c.uri = "test://blob";
    c.mime_type = "image/png";
    c.blob = "iVBORw0KGgo=";
    return std::vector<ResourceContents>{c};
  }
};

class Capture final : public Outbox {
 public:
  void send(const bj::value& m) override {
    std::lock_guard lock(mu);
    messages.push_back(m);
    cv.notify_all();
  }
  std::vector<bj::value> take() {
    std::lock_guard lock(mu);
    return std::exchange(messages, {});
  }
  /// Waits (bounded) for the first message with `method`.
  std::optional<bj::value> wait_for_method(std::string_view method) {
    std::unique_lock lock(mu);
    std::optional<bj::value> found;
    cv.wait_for(lock, std::chrono::seconds(5), [&] {
      for (const auto& m : messages) {
        if (m.is_object() && m.as_object().contains("method") && m.at("method").is_string() && m.at("method").get_string() == method) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<bj::value> messages;
};

struct Mrtr : ::testing::Test {
  std::shared_ptr<Registry> reg = std::make_shared<Registry>();
  ConfirmTool* confirm = nullptr;
  std::unique_ptr<Server> server;
  std::shared_ptr<Session> session = std::make_shared<Session>("s1");
  std::shared_ptr<Capture> outbox = std::make_shared<Capture>();

  void SetUp() override {
    auto c = std::make_unique<ConfirmTool>();
    confirm = c.get();
    reg->add_tool(std::move(c));
    reg->add_tool(std::make_unique<RichTool>());
    reg->add_tool(std::make_unique<HeaderTool>());
    reg->add_resources(std::make_unique<BlobResources>());
    ServerOptions o;
    o.tools_list_changed = true;
    o.input_timeout = std::chrono::seconds(5);
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

  /// The reply with the HTTP status the core chose for it.
  Outgoing reply(std::string_view text) {
    std::promise<Outgoing> p;
    auto f = p.get_future();
    server->handle(session, bj::parse(text), Inbound{}, [&](Outgoing o) { p.set_value(std::move(o)); });
    if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return Outgoing{bj::value("timeout"), 0};
    return f.get();
  }

  static std::string modern(const std::string& id, const std::string& method, const std::string& params_extra,
                            const std::string& caps = R"({"elicitation":{}})") {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + R"(","params":{)" + params_extra +
           (params_extra.empty() ? "" : ",") +
           R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":)" +
           caps + "}}}";
  }
};

TEST_F(Mrtr, ModernConfirmationRoundTripsWithSignedState) {
  auto r1 = call(modern("1", "tools/call", R"("name":"confirm_me","arguments":{})"));
  const auto& res1 = r1->at("result");
  EXPECT_EQ(res1.at("resultType"), "input_required");
  EXPECT_EQ(res1.at("inputRequests").at("confirm").at("method"), "elicitation/create");
  EXPECT_EQ(res1.at("inputRequests").at("confirm").at("params").at("message"), "Change 42 rows?");
  EXPECT_FALSE(res1.as_object().contains("content"));
  const std::string state(res1.at("requestState").as_string());
  EXPECT_TRUE(confirm->seen_state.is_null());

  auto r2 = call(modern("2", "tools/call",
                        R"("name":"confirm_me","arguments":{},"inputResponses":{"confirm":{"action":"accept","content":{"confirm":true}}},"requestState":")" +
                            state + "\""));
  EXPECT_EQ(r2->at("result").at("resultType"), "complete");
  EXPECT_EQ(r2->at("result").at("content").at(0).at("text"), "accepted");
  EXPECT_EQ(confirm->seen_state.at("rows"), 42);  // the state came back verified

  auto r3 = call(modern("3", "tools/call",
                        R"("name":"confirm_me","inputResponses":{"confirm":{"action":"decline"}},"requestState":")" + state + "\""));
  EXPECT_EQ(r3->at("result").at("content").at(0).at("text"), "declined");
}

TEST_F(Mrtr, AnAcceptedFormThatSaysNoIsADecline) {
  auto r1 = call(modern("1", "tools/call", R"("name":"confirm_me")"));
  const std::string state(r1->at("result").at("requestState").as_string());
  auto r2 = call(modern("2", "tools/call",
                        R"("name":"confirm_me","inputResponses":{"confirm":{"action":"accept","content":{"confirm":false}}},"requestState":")" +
                            state + "\""));
  EXPECT_EQ(r2->at("result").at("content").at(0).at("text"), "declined");
}

TEST_F(Mrtr, TamperedOrForeignStateAndMalformedResponsesAreInvalidParams) {
  auto r1 = call(modern("1", "tools/call", R"("name":"confirm_me")"));
  std::string state(r1->at("result").at("requestState").as_string());
  std::string tampered = state;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';
  auto r = call(modern("2", "tools/call", R"("name":"confirm_me","requestState":")" + tampered + "\""));
  EXPECT_EQ(r->at("error").at("code"), -32602);
  EXPECT_EQ(r->at("id"), 2);
  // A state issued for one tool is refused by another.
  r = call(modern("3", "tools/call", R"("name":"rich","requestState":")" + state + "\""));
  EXPECT_EQ(r->at("error").at("code"), -32602);
  r = call(modern("4", "tools/call", R"("name":"confirm_me","inputResponses":{"confirm":12345})"));
  EXPECT_EQ(r->at("error").at("code"), -32602);
  r = call(modern("5", "tools/call", R"("name":"confirm_me","inputResponses":null)"));
  EXPECT_EQ(r->at("error").at("code"), -32602);
  // A wrong key is asked again rather than an error.
  r = call(modern("6", "tools/call", R"("name":"confirm_me","inputResponses":{"other":{"action":"accept"}})"));
  EXPECT_EQ(r->at("result").at("resultType"), "input_required");
}

TEST_F(Mrtr, ModernWithoutElicitationCapabilityIsUnsupported) {
  auto r = call(modern("1", "tools/call", R"("name":"confirm_me")", "{}"));
  EXPECT_EQ(r->at("result").at("resultType"), "complete");
  EXPECT_EQ(r->at("result").at("content").at(0).at("text"), "unsupported");
}

TEST_F(Mrtr, LegacyElicitationIsARealRoundTrip) {
  auto init = call(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}})");
  ASSERT_TRUE(init->as_object().contains("result"));
  std::promise<std::optional<bj::value>> p;
  send_text(*server, session, R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"confirm_me"}})", nullptr,
                      [&](std::optional<bj::value> r) { p.set_value(std::move(r)); });
  auto req = outbox->wait_for_method("elicitation/create");
  ASSERT_TRUE(req);
  EXPECT_EQ(req->at("params").at("requestedSchema").at("properties").at("confirm").at("type"), "boolean");
  // An answer from another session is ignored; the right one completes the call.
  auto other = std::make_shared<Session>("intruder");
  bj::object answer{{"jsonrpc", "2.0"}, {"id", req->at("id")}, {"result", bj::object{{"action", "accept"}}}};
  send(*server, other, answer, nullptr, [](std::optional<bj::value>) {});
  auto f = p.get_future();
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  send(*server, session, answer, nullptr, [](std::optional<bj::value>) {});
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get()->at("result").at("content").at(0).at("text"), "accepted");
}

TEST_F(Mrtr, LegacyWithoutCapabilityDoesNotAsk) {
  call(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}})");
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"confirm_me"}})");
  EXPECT_EQ(r->at("result").at("content").at(0).at("text"), "unsupported");
  EXPECT_TRUE(outbox->take().empty());
}

TEST_F(Mrtr, LegacyWithoutASessionCannotAsk) {
  auto anon = std::make_shared<Session>("");  // stateless HTTP (2025 era): answers could not be routed
  anon->set_outbox(outbox);
  std::promise<std::optional<bj::value>> p;
  send_text(*server, anon, R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}}}})",
                      nullptr, [](std::optional<bj::value>) {});
  send_text(*server, anon, R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"confirm_me"}})", nullptr,
                      [&](std::optional<bj::value> r) { p.set_value(std::move(r)); });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get()->at("result").at("content").at(0).at("text"), "unsupported");
  EXPECT_TRUE(outbox->take().empty());
}

TEST_F(Mrtr, RichContentBlobsAndMissingCapability) {
  auto r = call(modern("1", "tools/call", R"("name":"rich")"));
  const auto& content = r->at("result").at("content").as_array();
  ASSERT_EQ(content.size(), 2u);  // no empty text block
  EXPECT_EQ(content[0].at("type"), "image");
  EXPECT_EQ(content[1].at("resource").at("text"), "embedded");
  r = call(modern("2", "resources/read", R"("uri":"test://blob")"));
  EXPECT_EQ(r->at("result").at("contents").at(0).at("blob"), "iVBORw0KGgo=");
  EXPECT_FALSE(r->at("result").at("contents").at(0).as_object().contains("text"));
  r = call(modern("3", "tools/call", R"("name":"rich","arguments":{"need":"sampling"})"));
  EXPECT_EQ(r->at("error").at("code"), -32021);
  EXPECT_TRUE(r->at("error").at("data").at("requiredCapabilities").at("sampling").is_object());
}

TEST_F(Mrtr, ModernErrorsCarryTheirHttpStatus) {
  EXPECT_EQ(reply(modern("9", "nope/nope", "")).http_status, 404u);
  auto r = reply(modern("3", "tools/call", R"("name":"rich","arguments":{"need":"sampling"})"));
  EXPECT_EQ(r.message->at("error").at("code"), -32021);
  EXPECT_EQ(r.http_status, 400u);
  EXPECT_EQ(reply(modern("4", "tools/call", R"("name":"rich")")).http_status, 200u);
}

TEST_F(Mrtr, HandleModernRejectsMissingMetaAndListenGetsListChanged) {
  std::promise<std::optional<bj::value>> p;
  send_modern(*server, session, bj::parse(R"({"jsonrpc":"2.0","id":3,"method":"server/discover"})"), nullptr,
                        [&](std::optional<bj::value> r) { p.set_value(std::move(r)); });
  EXPECT_EQ(p.get_future().get()->at("error").at("code"), -32602);

  auto d = call(modern("4", "server/discover", ""));
  EXPECT_EQ(d->at("result").at("capabilities").at("tools").at("listChanged"), true);
  std::promise<std::optional<bj::value>> lp;
  send_text(*server, session, modern("\"L\"", "subscriptions/listen", R"("notifications":{"toolsListChanged":true,"promptsListChanged":true})"),
                      nullptr, [&](std::optional<bj::value> r) { lp.set_value(std::move(r)); });
  auto ack = outbox->take();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0].at("params").at("notifications").at("toolsListChanged"), true);
  EXPECT_FALSE(ack[0].at("params").at("notifications").as_object().contains("promptsListChanged"));
  server->notify_list_changed("prompts");  // not enabled
  EXPECT_TRUE(outbox->take().empty());
  server->notify_list_changed("tools");
  auto sent = outbox->take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("method"), "notifications/tools/list_changed");
  EXPECT_EQ(sent[0].at("params").at("_meta").at("io.modelcontextprotocol/subscriptionId"), "L");
  server->shutdown(std::chrono::milliseconds(100));
}

TEST_F(Mrtr, ClosingAListenStreamEndsItWithoutAResponse) {
  CancelToken closed;
  std::promise<std::optional<bj::value>> p;
  send_text(*server, session, modern("\"L2\"", "subscriptions/listen", R"("notifications":{"toolsListChanged":true})"),
                      nullptr, [&](std::optional<bj::value> r) { p.set_value(std::move(r)); }, &closed);
  std::thread t([&] { closed.cancel(); });
  t.join();
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(f.get().has_value());
  outbox->take();
  server->notify_list_changed("tools");  // the closed stream is gone
  EXPECT_TRUE(outbox->take().empty());
}

}  // namespace
}  // namespace azsql::mcp
