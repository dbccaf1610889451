#pragma once
/// The MCP protocol core: lifecycle, version negotiation, dispatch of every method, pagination,
/// progress, cancellation, logging and subscriptions. It knows nothing of sockets: transports
/// (stdio, Streamable HTTP) feed it parsed JSON-RPC messages and deliver what it emits.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mcp/errors.hpp"
#include "mcp/registry.hpp"

namespace azsql::mcp {

/// Protocol revisions this server speaks through `initialize` (legacy era), newest first.
inline constexpr const char* kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
/// The stateless (modern era) revision, served per request from `_meta` (MCP 2026-07-28).
inline constexpr const char* kModernVersion = "2026-07-28";
inline constexpr const char* kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
bool is_supported_version(std::string_view v) noexcept;
inline constexpr const char* kMetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
/// Every revision this server speaks, the modern one first (the `supported` list of -32022 errors).
bj::array supported_versions();

/// Where messages that are not the direct response go: notifications and server-initiated
/// requests. Implemented by transports. Must be thread-safe.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(const bj::value& message) = 0;
};

namespace detail {
struct SessionState;
struct Core;
}  // namespace detail

/// Protocol state of one client: a stdio connection or one HTTP Mcp-Session-Id.
/// Thread-safe.
class Session {
 public:
  explicit Session(std::string id);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  const std::string& id() const noexcept { return id_; }

  bool initialized() const noexcept;
  std::string protocol_version() const;
  ClientInfo client() const;
  bj::object client_capabilities() const;

  /// The session-level stream: stdout for stdio, the GET SSE stream for HTTP (may be null).
  void set_outbox(std::shared_ptr<Outbox> outbox);
  std::shared_ptr<Outbox> outbox() const;

  /// Cancels every request in flight (session ended or transport closed).
  void cancel_all();

  /// For stateless transports: treat the session as initialized at `protocol_version`
  /// without an initialize handshake.
  void assume_initialized(std::string_view protocol_version);

  /// The protocol state (src/mcp/core.hpp): for the protocol core only, opaque to transports.
  detail::SessionState& state() const noexcept { return *state_; }

 private:
  std::string id_;
  std::unique_ptr<detail::SessionState> state_;
};

struct ServerOptions {
  std::string name = "azsql-mcp";
  std::string title = "Azure SQL MCP Server";
  std::string version = "0.0.0";
  std::string instructions;
  std::size_t page_size = 100;      ///< items per page for list methods
  std::size_t worker_threads = 4;   ///< threads for tool calls, resource reads, prompts
  std::size_t max_concurrent = 100; ///< in-flight worker jobs; beyond → error -32000 "server busy"
  bool read_only = false;           ///< hide and refuse tools with writes = true
  /// Advertise `listChanged` for these lists (the caller then calls Server::notify_list_changed()).
  bool tools_list_changed = false;
  bool prompts_list_changed = false;
  bool resources_list_changed = false;
  /// How long a 2025-era server-to-client request (elicitation, sampling, roots) waits for the answer.
  std::chrono::milliseconds input_timeout{std::chrono::minutes(5)};
  /// Tasks (tools with TaskSupport): how many one owner (a user, else a session) may hold, how long
  /// a task stays readable after creation (MCP_TASK_TTL), the poll interval suggested to clients.
  std::size_t task_max_per_owner = 32;
  std::chrono::milliseconds task_ttl{std::chrono::minutes(15)};
  std::chrono::milliseconds task_poll_interval{std::chrono::milliseconds(1000)};
};

/// What a transport knows about one inbound message besides its JSON.
struct Inbound {
  /// Receives notifications tied to the request (progress, log messages); null = the session outbox.
  std::shared_ptr<Outbox> outbox;
  /// Cancelled by the transport when the request's response can no longer be delivered (HTTP: the
  /// connection closed before the client held a resumption id). Every request of the message —
  /// each member of a batch — and its database work is cancelled with it.
  CancelToken closed;
  /// The authenticated user (null = unauthenticated). See mcp/caller.hpp.
  std::shared_ptr<const Caller> caller;
};

/// The reply to one inbound message, built once: the JSON-RPC response (an array for a batch;
/// nullopt when none is due) and the HTTP status it calls for (see map_fault()).
struct Outgoing {
  std::optional<bj::value> message;
  unsigned http_status = 200;
};

/// One finished request, for metrics and audit.
struct RequestEvent {
  std::string method;
  std::string tool;     ///< tools/call only
  std::string outcome;  ///< "ok", "tool_error", "error", "cancelled"
  int error_code = 0;   ///< JSON-RPC error code when outcome == "error"
  std::chrono::microseconds duration{0};
  /// Audited reads (resources/read, prompts/get): the resource URI or the prompt name, the prompt's
  /// arguments, and who asked. `client` is empty for every other method.
  std::string target;
  bj::object arguments;
  std::optional<ClientInfo> client;
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_request(const RequestEvent&) {}
  /// Called after a tool finished and before its response is handed to the transport.
  virtual void on_tool_call(const ClientInfo& /*client*/, const ToolDefinition& /*tool*/, const bj::object& /*args*/,
                            const ToolResult& /*result*/, std::chrono::microseconds /*duration*/) {}
  /// A catch-all in the core caught an exception escaping a handler or tool (`where`: the method,
  /// or "tools/call <tool>"). The request was answered with an internal error.
  virtual void on_internal_error(std::string_view /*where*/) {}
};

class Server {
 public:
  Server(std::shared_ptr<const Registry> registry, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Called exactly once per handle() with the reply. May run on a worker thread.
  using Respond = std::function<void(Outgoing reply)>;

  /// Handles one parsed JSON-RPC message or batch: the one entry point of both transports (stdio
  /// and Streamable HTTP parse the text themselves and answer malformed JSON with -32700).
  void handle(const std::shared_ptr<Session>& session, bj::value message, Inbound in, Respond respond);
  /// Serves `message` (one request) as a 2026-07-28 stateless request even when its `_meta` lacks
  /// the protocol version (it is then rejected with -32602). For transports that recognised the
  /// modern era from elsewhere (HTTP: the MCP-Protocol-Version header without a session).
  void handle_modern(const std::shared_ptr<Session>& session, bj::value message, Inbound in, Respond respond);

  /// Sends notifications/resources/updated for `uris` to every subscribed live session.
  void notify_resources_updated(const std::vector<std::string>& uris);

  /// Sends notifications/{tools,prompts,resources}/list_changed (`list` = "tools", "prompts" or
  /// "resources") to initialized 2025-era sessions and to subscriptions/listen streams that asked
  /// for it. No-op unless the matching ServerOptions::*_list_changed is set.
  void notify_list_changed(std::string_view list);

  /// Cancels everything in flight and waits up to `grace` for workers to finish.
  void shutdown(std::chrono::milliseconds grace);

  /// Requests running on (or queued for) the worker pool.
  std::size_t in_flight() const noexcept;
  /// Exceptions the core's catch-alls caught since start (each also logged and reported to the observer).
  std::uint64_t caught_exceptions() const noexcept { return caught_.load(); }
  /// Start-up only (not thread-safe against running requests). To add an observer beside the current one
  /// (main.cpp installs the audit log), wrap both in an observability::ObserverFanout.
  void set_observer(std::shared_ptr<Observer> observer) { observer_ = std::move(observer); }
  std::shared_ptr<Observer> observer() const { return observer_; }
  const ServerOptions& options() const noexcept { return options_; }
  const Registry& registry() const noexcept { return *registry_; }

  /// True when the message (or any batch member) is a request that expects a response.
  static bool expects_response(const bj::value& message);
  /// True when the message is an `initialize` request.
  static bool is_initialize(const bj::value& message);
  /// The `_meta` protocol version of a modern-era request (2026-07-28 and later), if any.
  static std::optional<std::string> modern_version(const bj::value& message);

 private:
  void handle_batch(const std::shared_ptr<Session>& session, bj::array batch, const Inbound& in, Respond respond);

  friend struct detail::Core;
  std::shared_ptr<const Registry> registry_;
  ServerOptions options_;
  std::atomic<std::uint64_t> caught_{0};
  std::shared_ptr<Observer> observer_;
  std::unique_ptr<detail::Core> core_;
};


}  // namespace azsql::mcp
