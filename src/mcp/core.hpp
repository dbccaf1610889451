#pragma once
/// The inside of the protocol core (src/mcp only; transports never include this): a session's
/// protocol state, the request being served, the per-call context and the Core that ties the
/// method table (methods.cpp), the worker pool, elicitation, requestState signing and the
/// 2026-07-28 era (modern.cpp) together. See src/mcp/README.md for how a request flows.
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "mcp/elicitation.hpp"
#include "mcp/errors.hpp"
#include "mcp/request_state.hpp"
#include "mcp/server.hpp"
#include "mcp/tasks.hpp"
#include "mcp/worker_pool.hpp"

namespace azsql::mcp::detail {

inline constexpr const char* kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kMetaLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
inline constexpr const char* kMetaSubscriptionId = "io.modelcontextprotocol/subscriptionId";
/// The tasks extension (SEP-2663) under capabilities.extensions.
inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";
inline constexpr const char* kMetaRelatedTask = "io.modelcontextprotocol/related-task";

/// Revisions are ISO dates, so string order is time order.
inline bool at_least(std::string_view version, const char* rev) { return version >= rev; }

/// The protocol state of a Session. Fields other than the atomics are guarded by `mu`.
struct SessionState {
  mutable std::mutex mu;
  std::atomic<bool> initialized{false};
  std::atomic<bool> init_seen{false};
  std::string protocol_version;
  ClientInfo client;
  bj::object client_caps;
  std::optional<LogLevel> log_level;  ///< nullopt until logging/setLevel: no log notifications
  std::set<std::string> subscriptions;
  std::unordered_map<std::string, CancelToken> in_flight;  ///< key: serialized request id
  std::shared_ptr<Outbox> outbox;
  /// Modern-era requests run in a per-request Session whose in-flight requests are registered with
  /// the transport's session, so notifications/cancelled on stdio still finds them.
  std::shared_ptr<Session> parent;
  std::optional<bj::value> subscription_id;  ///< set on subscriptions/listen streams
  std::set<std::string> listen_lists;         ///< lists whose list_changed a listen stream asked for
  // 2026-07-28 multi-round-trip request state of this (per-request) session.
  bool modern = false;
  std::string mrtr_method;  ///< tools/call, prompts/get or resources/read; empty = MRTR not allowed
  std::string mrtr_target;  ///< tool or prompt name, resource URI
  bj::object input_responses;
  bj::value round_state;  ///< verified application state from requestState
};

/// The session whose in-flight map a request registers in: the transport's session for a
/// modern-era per-request session.
inline std::shared_ptr<Session> owner_of(const std::shared_ptr<Session>& s) {
  auto& p = s->state().parent;
  return p ? p : s;
}

inline std::string id_key(const bj::value& id) { return bj::serialize(id); }

/// A handler that answers later (subscriptions/listen) takes Request::done and returns this.
struct Deferred {};
/// What a handler returns: a result, a typed error, or Deferred.
using Outcome = std::variant<bj::value, RpcError, Deferred>;

using Done = std::function<void(Outgoing)>;

class CallCtx;
struct Core;

/// One JSON-RPC request being served: everything a handler gets.
struct Request {
  Core& core;
  std::shared_ptr<Session> session;
  bj::value id;
  std::string method;
  bj::object params;
  std::string version;      ///< the protocol version it is served at
  Era era = Era::Legacy;
  Inbound in;               ///< outbox, the transport's closed token, the caller
  Done done;                ///< called once with the reply (by Core::finish unless Deferred)
  RequestEvent event;       ///< for observers; handlers may set `tool` and `outcome`
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  /// On a worker thread: the call's context (its own cancel token, progress, logging, caller,
  /// client input). Null for handlers that run on the caller's thread.
  CallCtx* ctx = nullptr;
  /// Links the worker's token to `in.closed`; dropped when the call becomes a task.
  std::shared_ptr<CancelToken::Registration> closed_link;
  /// Already answered (a tools/call that became a task): the worker must not answer again.
  bool answered = false;

  Request(Core& c) : core(c) {}
  const Server& server() const;
  const Registry& registry() const;
  const ServerOptions& options() const;
  /// The request's cancellation: its own token on a worker, the transport's closed token otherwise.
  const CancelToken& cancel() const;
  /// The authenticated user, null when unauthenticated.
  const Caller* caller() const { return in.caller.get(); }
};

/// CallContext handed to tools, resources, prompts and completions for one request.
class CallCtx final : public CallContext {
 public:
  CallCtx(Core& core, Request& rq, CancelToken token);

  const CancelToken& cancel() const override { return token_; }
  void progress(double progress, std::optional<double> total, std::string_view message) override;
  void log(LogLevel level, std::string_view logger, bj::value data) override;
  void resources_updated(const std::vector<std::string>& uris) override;
  const ClientInfo& client() const override { return client_; }
  bj::object client_capabilities() const override { return session_->client_capabilities(); }
  const bj::value& round_state() const override { return session_->state().round_state; }
  void set_round_state(bj::value state) override;
  InputOutcome request_input(std::string_view key, std::string_view method, bj::object params) override;
  bool start_task() override;
  std::string task_id() const override { return task_id_; }
  /// The call now runs as task `id` (begin_task()); its notifications go to the session's stream
  /// (the request's own stream ends with the CreateTaskResult).
  void enter_task(std::string id) {
    std::lock_guard lock(mu_);
    task_id_ = std::move(id);
    outbox_.reset();
  }

  bool modern() const noexcept { return session_->state().modern; }
  /// The InputRequests recorded this round (empty = the call completed).
  bj::object take_input_requests();
  bj::value take_next_state();

 private:
  void send(const bj::object& msg);

  Core& core_;
  Request* rq_;
  std::string task_id_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<Outbox> outbox_;
  CancelToken token_;
  std::optional<bj::value> progress_token_;
  ClientInfo client_;
  std::mutex mu_;
  bj::object inputs_;
  bj::value next_state_;
};

/// The protocol core behind Server.
struct Core {
  Core(Server& s);

  Server& self;
  WorkerPool pool;
  TaskStore tasks;
  RequestStateSigner signer;
  Elicitation elicitation;

  std::mutex sessions_mu;
  std::vector<std::weak_ptr<Session>> sessions;
  void remember(const std::shared_ptr<Session>& s);
  std::vector<std::shared_ptr<Session>> live_sessions();

  // Open subscriptions/listen streams (2026-07-28), kept alive until cancelled.
  std::mutex listeners_mu;
  std::vector<std::shared_ptr<Session>> listeners;
  std::vector<std::pair<CancelToken, std::shared_ptr<CancelToken::Registration>>> listener_regs;

  /// Serves one request through the method table (dispatch.cpp).
  void serve(std::unique_ptr<Request> rq);
  /// A request carrying 2026-07-28 `_meta`: checks it, builds its per-request session, serves it (modern.cpp).
  void serve_modern(std::unique_ptr<Request> rq);
  /// Builds the reply once — result or error, era shaping, HTTP status — reports it and calls done.
  void finish(Request& rq, Outcome outcome);
  /// Answers `rq` with `error` (shorthand for finish).
  void fail(Request& rq, Fault fault, std::string message, std::optional<bj::value> data = std::nullopt) {
    finish(rq, RpcError(fault, std::move(message), std::move(data)));
  }

  void finished(const RequestEvent& ev);
  /// A catch-all caught an exception: log where (never arguments or SQL) and count it.
  void caught(const std::string& where, std::string_view what);
  bj::object server_info() const;

 private:
  void run_on_worker(std::unique_ptr<Request> rq, Outcome (*handler)(Request&));
};

/// 2026-07-28 result shaping (modern.cpp): resultType, cache hints, the server's _meta.
void shape_modern_result(const Request& rq, bj::object& result);
/// subscriptions/listen (modern.cpp): keeps the stream open until cancelled; answers at shutdown.
Outcome listen(Request& rq);

// Tasks (task_methods.cpp).
/// The registry has a tool that can run as a task (then the tasks capability is advertised).
bool offers_tasks(const Registry& registry);
/// The request's client negotiated tasks: the 2026-07-28 extension in its capabilities, or a
/// 2025-11-25 tools/call with params.task.
bool tasks_negotiated(const Request& rq);
/// Turns the tools/call `rq` (on a worker, with its CallCtx) into a task: creates it, detaches the
/// work from the request's stream and answers the request with a CreateTaskResult.
std::optional<RpcError> begin_task(Request& rq);
/// Records how the task of `rq` ended (a tool result, or a protocol error).
void settle_task(Request& rq, std::variant<bj::object, RpcError> outcome);

}  // namespace azsql::mcp::detail
