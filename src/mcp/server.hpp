#pragma once
/// The MCP protocol core: lifecycle, version negotiation, dispatch of every method, pagination,
/// progress, cancellation, logging and subscriptions. It knows nothing of sockets: transports
/// (stdio, Streamable HTTP) feed it parsed JSON-RPC messages and deliver what it emits.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "mcp/registry.hpp"

namespace azsql::mcp {

/// Protocol revisions this server speaks through `initialize` (legacy era), newest first.
inline constexpr const char* kProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
/// The stateless (modern era) revision, served per request from `_meta` (MCP 2026-07-28).
inline constexpr const char* kModernVersion = "2026-07-28";
inline constexpr const char* kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
bool is_supported_version(std::string_view v) noexcept;

/// Where messages that are not the direct response go: notifications and server-initiated
/// requests. Implemented by transports. Must be thread-safe.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual void send(const bj::value& message) = 0;
};

/// Protocol state of one client: a stdio connection or one HTTP Mcp-Session-Id.
/// Thread-safe.
class Session {
 public:
  explicit Session(std::string id);
  const std::string& id() const noexcept { return id_; }

  bool initialized() const noexcept { return initialized_.load(); }
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

 private:
  friend class Server;
  friend class CallCtx;
  std::string id_;
  std::atomic<bool> initialized_{false};
  std::atomic<bool> init_seen_{false};
  mutable std::mutex mu_;
  std::string protocol_version_;
  ClientInfo client_;
  bj::object client_caps_;
  std::optional<LogLevel> log_level_;  // nullopt until logging/setLevel: no log notifications
  std::set<std::string> subscriptions_;
  std::unordered_map<std::string, CancelToken> in_flight_;  // key: serialized request id
  std::shared_ptr<Outbox> outbox_;
  /// Modern-era requests run in a per-request Session whose in-flight requests are registered
  /// with the transport's session, so notifications/cancelled on stdio still finds them.
  std::shared_ptr<Session> parent_;
  std::optional<bj::value> subscription_id_;  ///< set on subscriptions/listen streams
  std::set<std::string> listen_lists_;         ///< "tools"/"prompts"/"resources" list_changed asked for on a listen stream
  /// 2026-07-28 multi-round-trip request state of this (per-request) session.
  bool modern_ = false;
  std::string mrtr_method_;      ///< tools/call, prompts/get or resources/read; empty = MRTR not allowed
  std::string mrtr_target_;      ///< tool or prompt name, resource URI
  bj::object input_responses_;   ///< the retry's inputResponses
  bj::value round_state_;        ///< verified application state from requestState
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
};

/// The 2026-07-28 Streamable HTTP request headers (basic/transports, "Standard headers"),
/// already trimmed of surrounding whitespace; nullopt = header absent.
struct ModernHeaders {
  std::optional<std::string> protocol_version;  ///< MCP-Protocol-Version
  std::optional<std::string> method;            ///< Mcp-Method
  std::optional<std::string> name;              ///< Mcp-Name
  /// Mcp-Param-{Name} headers as (Name, value), for tool parameters annotated with `x-mcp-header`.
  std::vector<std::pair<std::string, std::string>> params;
};

/// One finished request, for metrics and audit.
struct RequestEvent {
  std::string method;
  std::string tool;     ///< tools/call only
  std::string outcome;  ///< "ok", "tool_error", "error", "cancelled"
  int error_code = 0;   ///< JSON-RPC error code when outcome == "error"
  std::chrono::microseconds duration{0};
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_request(const RequestEvent&) {}
  /// Called after a tool finished and before its response is handed to the transport.
  virtual void on_tool_call(const ClientInfo& /*client*/, const ToolDefinition& /*tool*/, const bj::object& /*args*/,
                            const ToolResult& /*result*/, std::chrono::microseconds /*duration*/) {}
};

class Server {
 public:
  Server(std::shared_ptr<const Registry> registry, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Called exactly once per handle(): with the response (an array for a batch) or nullopt when
  /// no response is due (only notifications/responses). May run on a worker thread.
  using Reply = std::function<void(std::optional<bj::value> response)>;

  /// Handles one parsed JSON-RPC message or batch. `request_outbox` receives notifications tied to
  /// the request (progress, log messages); null means the session outbox.
  /// `closed` is cancelled by the transport when the request's response stream goes away (HTTP):
  /// the request, and its database work, is then cancelled too.
  void handle(const std::shared_ptr<Session>& session, bj::value message, std::shared_ptr<Outbox> request_outbox,
              Reply reply, const CancelToken* closed = nullptr);

  /// Parses `text` first; malformed JSON → a -32700 reply.
  void handle_text(const std::shared_ptr<Session>& session, std::string_view text, std::shared_ptr<Outbox> request_outbox,
                   Reply reply, const CancelToken* closed = nullptr);

  /// Serves `message` (one request) as a 2026-07-28 stateless request even when its `_meta` lacks
  /// the protocol version (it is then rejected with -32602). For transports that recognised the
  /// modern era from elsewhere (HTTP: the MCP-Protocol-Version header without a session).
  void handle_modern(const std::shared_ptr<Session>& session, bj::value message, std::shared_ptr<Outbox> request_outbox,
                     Reply reply, const CancelToken* closed = nullptr);

  /// Checks a 2026-07-28 HTTP request before dispatch, in the order the spec gives: required
  /// `_meta` fields (-32602), MCP-Protocol-Version header present and equal to the body's
  /// (-32020), a supported version (-32022), Mcp-Method / Mcp-Name equal to the body (-32020).
  /// Returns the error response to send with HTTP 400, or nullopt when the request may proceed.
  static std::optional<bj::value> check_modern_request(const bj::value& message, const ModernHeaders& headers);

  /// Checks the Mcp-Param-{Name} headers of a 2026-07-28 tools/call against the arguments, for the
  /// tool parameters annotated with `x-mcp-header` (basic/transports, "Custom Headers from Tool
  /// Parameters"): a value in the body needs its header, Base64 sentinel values (`=?base64?…?=`)
  /// are decoded strictly, and the decoded value must equal the body's (integers numerically).
  /// Returns the -32020 error response (HTTP 400), or nullopt.
  std::optional<bj::value> check_modern_params(const bj::value& message, const ModernHeaders& headers) const;

  /// HTTP status for a 2026-07-28 response: 404 for -32601, 400 for -32020/-32021/-32022, else 200.
  static int modern_http_status(const bj::value& response);

  /// Sends notifications/resources/updated for `uris` to every subscribed live session.
  void notify_resources_updated(const std::vector<std::string>& uris);

  /// Sends notifications/{tools,prompts,resources}/list_changed (`list` = "tools", "prompts" or
  /// "resources") to initialized 2025-era sessions and to subscriptions/listen streams that asked
  /// for it. No-op unless the matching ServerOptions::*_list_changed is set.
  void notify_list_changed(std::string_view list);

  /// Cancels everything in flight and waits up to `grace` for workers to finish.
  void shutdown(std::chrono::milliseconds grace);

  std::size_t in_flight() const noexcept { return in_flight_.load(); }
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
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<const Registry> registry_;
  ServerOptions options_;
  std::atomic<std::size_t> in_flight_{0};
  std::shared_ptr<Observer> observer_;
  friend struct Impl;
  friend class CallCtx;
};

/// JSON-RPC error codes (PRODUCT.md §6, MCP spec).
namespace errc {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerBusy = -32000;
inline constexpr int kResourceNotFound = -32002;  ///< legacy revisions only
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
}  // namespace errc

}  // namespace azsql::mcp
