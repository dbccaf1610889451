// One tools/call through the MCP core (parse, validate arguments, dispatch to a worker, build and
// serialize the result) with a trivial tool: the protocol overhead a transport adds to every call.
#include <benchmark/benchmark.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <mutex>

#include "jsonrpc/message.hpp"
#include "mcp/server.hpp"

namespace bj = boost::json;
using namespace azsql;

namespace {

class EchoTool : public mcp::Tool {
 public:
  EchoTool() {
    def_.name = "read_data";
    def_.description = "bench";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer"}},)"
                                  R"("required":["query"]})").as_object();
  }
  const mcp::ToolDefinition& definition() const override { return def_; }
  mcp::ToolResult call(const bj::object&, mcp::CallContext&) override {
    mcp::ToolResult r;
    r.text = R"({"id":5,"name":"foxtrot item 5","price":536.35,"created":"2024-06-06T05:05:35Z"})";
    return r;
  }

 private:
  mcp::ToolDefinition def_;
};

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string out;
};

void BM_ToolsCallThroughCore(benchmark::State& state) {
  auto registry = std::make_shared<mcp::Registry>();
  registry->add_tool(std::make_unique<EchoTool>());
  mcp::ServerOptions opts;
  mcp::Server server(registry, opts);
  auto session = std::make_shared<mcp::Session>("bench");
  Waiter w;
  auto run = [&](std::string_view text) {
    {
      std::lock_guard lk(w.mu);
      w.done = false;
    }
    // What a transport does with one line: parse it, then the core's one entry point.
    auto message = jsonrpc::parse(text);
    if (!message) return state.SkipWithError("bad JSON");
    server.handle(session, std::move(*message), mcp::Inbound{}, [&](mcp::Outgoing resp) {
      std::string s = resp.message ? bj::serialize(*resp.message) : std::string();
      std::lock_guard lk(w.mu);
      w.out = std::move(s);
      w.done = true;
      w.cv.notify_one();
    });
    std::unique_lock lk(w.mu);
    w.cv.wait(lk, [&] { return w.done; });
  };
  run(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},)"
      R"("clientInfo":{"name":"b","version":"1"}}})");
  run(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  const std::string call =
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_data","arguments":{"query":"SELECT 1"}}})";
  for (auto _ : state) run(call);
  if (w.out.find("\"result\"") == std::string::npos) state.SkipWithError(("unexpected reply: " + w.out).c_str());
  server.shutdown(std::chrono::milliseconds(1000));
}
BENCHMARK(BM_ToolsCallThroughCore)->UseRealTime();

// Baseline for the above: an empty job posted to a Boost.Asio thread pool and waited for with a
// condition variable — the cost of the two thread wake-ups a worker handoff needs on this machine.
void BM_WorkerHandoffBaseline(benchmark::State& state) {
  boost::asio::thread_pool pool(4);
  Waiter w;
  for (auto _ : state) {
    {
      std::lock_guard lk(w.mu);
      w.done = false;
    }
    boost::asio::post(pool, [&] {
      std::lock_guard lk(w.mu);
      w.done = true;
      w.cv.notify_one();
    });
    std::unique_lock lk(w.mu);
    w.cv.wait(lk, [&] { return w.done; });
  }
  pool.join();
}
BENCHMARK(BM_WorkerHandoffBaseline)->UseRealTime();

}  // namespace
