#pragma once
/// 2025-era server-to-client requests (elicitation/create, sampling/createMessage, roots/list):
/// a worker thread sends the request on the call's stream and blocks until the client's JSON-RPC
/// response arrives through Server::handle(), the call is cancelled or the wait times out.
/// (2026-07-28 asks through InputRequiredResult instead: see CallCtx::request_input.)
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/cancel.hpp"
#include "mcp/registry.hpp"

namespace azsql::mcp {

class Elicitation {
 public:
  Elicitation();

  /// Sends `method` with `params` through `send` as a request of the client session `session_id` and
  /// waits for the answer (or `token`, or `timeout`). Blocks the calling (worker) thread.
  InputOutcome ask(const std::string& session_id, std::string_view method, bj::object params,
                   const std::function<void(const bj::object&)>& send, const CancelToken& token,
                   std::chrono::milliseconds timeout);

  /// A JSON-RPC response from the client of `session_id`: wakes the request it answers (ids of
  /// another session, or unknown ids, are ignored).
  void on_response(const std::string& session_id, const bj::object& msg);

 private:
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool ok = false;
    bj::object result;
    std::string error;
    std::string session_id;
  };
  std::string prefix_;  ///< random per process, so our request ids never collide with a client's
  std::atomic<std::uint64_t> next_{1};
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;
};

/// The client capability a server-to-client request method needs ("elicitation", "sampling",
/// "roots"), or null for an unknown method.
const char* capability_for(std::string_view method) noexcept;

}  // namespace azsql::mcp
