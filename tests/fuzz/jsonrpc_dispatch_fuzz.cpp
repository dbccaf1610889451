// libFuzzer target: JSON-RPC framing and MCP dispatch through the real protocol core
// (mcp::Server::handle) — parsing, batches, the method table, both protocol eras, tool-argument
// validation, elicitation, subscriptions/listen and cancellation through the transport's closed
// token. Invariants: every handle() replies exactly once (nothing is lost or doubled, even when
// cancelled), and a reply is a well-formed JSON-RPC response (or an array of them).
//
// Input: the first byte selects options; the rest is up to 16 messages, one per line.
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "jsonrpc/message.hpp"
#include "mcp/server.hpp"

using namespace azsql;
using namespace azsql::mcp;
namespace bj = boost::json;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class EchoTool final : public Tool {
 public:
  EchoTool() {
    def_.name = "echo";
    def_.description = "Echoes text.";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{"text":{"type":"string","maxLength":64},
      "n":{"type":"integer","minimum":0},"tags":{"type":"array","items":{"type":"string"}}},"required":["text"],
      "additionalProperties":false})").as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object& args, CallContext& ctx) override {
    ctx.progress(1, 2, "half");
    ctx.log(LogLevel::Info, "echo", bj::value("called"));
    ToolResult r;
    r.text = std::string(args.at("text").as_string());
    if (r.text == "confirm") r.text = ctx.confirm("c", "Sure?") == Confirmation::Accepted ? "yes" : "no";
    if (r.text == "sampling") r.missing_capability = "sampling";
    if (r.text == "throw") throw std::runtime_error("boom");
    return r;
  }

 private:
  ToolDefinition def_;
};

class Resources final : public ResourceProvider {
 public:
  std::vector<ResourceDefinition> resources() override { return {{"test://a", "a", "A", "", "text/plain"}}; }
  std::vector<ResourceTemplateDefinition> templates() override { return {{"test://{x}", "x", "", "", ""}}; }
  Result<std::vector<ResourceContents>> read(std::string_view uri, CallContext&) override {
    if (uri == "test://down") return Error::make(ErrorKind::Unavailable, "down");
    if (uri == "test://bad") return Error::make(ErrorKind::InvalidInput, "bad");
    if (uri != "test://a") return Error::make(ErrorKind::NotFound, "no such resource");
    return std::vector<ResourceContents>{{"test://a", "text/plain", "hello", ""}};
  }
};

class Greet final : public Prompt {
 public:
  Greet() { def_ = {"greet", "Greet", "Greets.", {{"name", "who", true}}}; }
  const PromptDefinition& definition() const override { return def_; }
  Result<PromptResult> get(const std::map<std::string, std::string>& args, CallContext&) override {
    if (args.at("name") == "down") return Error::make(ErrorKind::Database, "down");
    return PromptResult{"", {{"user", "hi " + args.at("name"), {}}}};
  }

 private:
  PromptDefinition def_;
};

class Complete final : public Completer {
 public:
  Result<CompletionResult> complete(const CompletionRequest& req, CallContext&) override {
    if (req.value == "down") return Error::make(ErrorKind::Unavailable, "down");
    CompletionResult r;
    for (int i = 0; i < 3; ++i) r.values.push_back(req.value + std::to_string(i));
    return r;
  }
};

Server& server() {
  static Server* s = [] {
    spdlog::set_level(spdlog::level::off);
    auto reg = std::make_shared<Registry>();
    reg->add_tool(std::make_unique<EchoTool>());
    reg->add_resources(std::make_unique<Resources>());
    reg->add_prompt(std::make_unique<Greet>());
    reg->set_completer(std::make_unique<Complete>());
    ServerOptions o;
    o.page_size = 1;
    o.worker_threads = 2;
    o.input_timeout = std::chrono::milliseconds(5);
    o.tools_list_changed = true;
    return new Server(reg, o);  // lives for the process, like the real one
  }();
  return *s;
}

class Sink final : public Outbox {
 public:
  void send(const bj::value& m) override { check(m.is_object()); }
};

void check_response(const bj::value& r) {
  check(r.is_object());
  const auto& o = r.get_object();
  check(o.contains("jsonrpc") && o.at("jsonrpc") == "2.0" && o.contains("id"));
  check(o.contains("result") != o.contains("error"));
  if (const auto* e = o.if_contains("error")) check(e->is_object() && e->get_object().at("code").is_int64());
}

/// Waits for exactly one reply; cancels through the closed token if it takes long (listen streams).
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  int replies = 0;
  Outgoing out;
};

void one(const std::shared_ptr<Session>& session, std::string_view text, bool modern, const std::shared_ptr<Outbox>& sink) {
  auto w = std::make_shared<Waiter>();
  Inbound in;
  in.outbox = sink;
  auto respond = [w](Outgoing o) {
    std::lock_guard lock(w->mu);
    ++w->replies;
    w->out = std::move(o);
    w->cv.notify_all();
  };
  auto parsed = jsonrpc::parse(text);
  if (!parsed) return;
  if (modern)
    server().handle_modern(session, std::move(*parsed), in, respond);
  else
    server().handle(session, std::move(*parsed), in, respond);
  std::unique_lock lock(w->mu);
  if (!w->cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return w->replies > 0; })) {
    lock.unlock();
    in.closed.cancel();  // the connection went away
    lock.lock();
    check(w->cv.wait_for(lock, std::chrono::seconds(10), [&] { return w->replies > 0; }));  // a lost reply
  }
  check(w->replies == 1);
  const auto& m = w->out.message;
  check(w->out.http_status == 200 || w->out.http_status == 400 || w->out.http_status == 404);
  if (!m) return;
  if (m->is_array()) {
    for (const auto& r : m->get_array()) check_response(r);
  } else {
    check_response(*m);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto session = std::make_shared<Session>("fuzz");
  auto sink = std::make_shared<Sink>();
  session->set_outbox(sink);
  if (mode & 1) {
    static const char* versions[] = {"2025-03-26", "2025-11-25", "2024-11-05", "2025-06-18"};
    const std::string init = std::string(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")") +
                             versions[(mode >> 2) & 3] + R"(","capabilities":{"elicitation":{}}}})";
    one(session, init, false, sink);
    one(session, R"({"jsonrpc":"2.0","method":"notifications/initialized"})", false, sink);
  }
  for (int n = 0; n < 16 && !rest.empty(); ++n) {
    const auto nl = rest.find('\n');
    one(session, rest.substr(0, nl), (mode & 2) != 0, sink);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  session->cancel_all();
  return 0;
}
