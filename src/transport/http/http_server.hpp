#pragma once
/// MCP Streamable HTTP transport (MCP 2025-11-25, basic/transports): POST/GET/DELETE at one
/// endpoint, SSE or JSON responses, sessions, resumable streams, stateless mode, plus extra GET
/// routes (/health, /metrics) supplied by the application.
///
/// Boost.Beast over Asio with C++20 coroutines: one io_context, a few threads, a strand per
/// connection, a timeout on every read and write, header and body limits. The protocol core
/// (mcp::Server) does the JSON-RPC work; this layer only moves bytes and enforces HTTP rules:
/// Host/Origin validation (DNS rebinding), bearer token, concurrency limit, content negotiation.
///
/// Streams. A POST that is answered within `first_event_delay` gets one complete response
/// (application/json, or a text/event-stream body with a Content-Length); a slower one starts a
/// chunked SSE stream with a priming event (an id, no data, `retry:`; protocol ≥ 2025-11-25) and
/// then carries the request's progress/log notifications and its response. Event ids are
/// "<stream>_<seq>" ("g" = the session's GET stream, "p<n>" = a POST stream) and every event of a
/// session is kept in its bounded EventStore, so `GET` + `Last-Event-ID` replays exactly the stream
/// the id names (and follows a still-running POST stream to its response).
///
/// Cancellation. When the connection of a response stream closes before the client holds any event
/// id of it (JSON responses, stateless/2026-07-28 requests, pre-2025-11-25 SSE before its first
/// event), the request is cancelled through the core's `closed` token. Once an id was delivered the
/// client can resume, so the request runs on (MCP 2025-11-25: disconnection is not cancellation).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "mcp/caller.hpp"
#include "mcp/server.hpp"
#include "transport/http/event_store.hpp"

namespace azsql::transport::http {

/// The outcome of per-request caller authentication (HttpOptions::authenticate).
struct AuthDecision {
  std::shared_ptr<const mcp::Caller> caller;  ///< the authenticated caller (status == 0)
  unsigned status = 0;           ///< 0 = accepted; else the HTTP status to answer (401, 403, 503)
  std::string www_authenticate;  ///< WWW-Authenticate value sent with the refusal ("" = none)
  std::string message;           ///< JSON-RPC error message of the refusal
};

struct HttpOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  ///< 0 = any free port (see HttpServer::port())
  std::string api_path = "/mcp";
  bool stateless = false;      ///< MCP_STATELESS_HTTP: no sessions, no GET stream
  bool json_response = false;  ///< MCP_JSON_RESPONSE: answer POSTs with application/json
  bool enable_cors = false;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;  ///< MCP_ALLOWED_HOSTS (see origin_guard.hpp)
  bool enable_compression = true;
  std::size_t compress_min_bytes = 1024;
  std::size_t max_concurrent_requests = 100;  ///< POSTs awaiting a response; beyond → 503
  std::size_t max_body_bytes = 10485760;      ///< → 413
  std::size_t max_header_bytes = 16384;       ///< → 431
  std::chrono::milliseconds stream_timeout{300000};  ///< idle GET stream / idle session
  std::chrono::milliseconds io_timeout{30000};       ///< each read (incl. keep-alive idle) and write
  std::chrono::milliseconds keepalive_interval{15000};  ///< SSE comment when a stream is quiet
  /// A POST answered within this time gets one complete response; a slower one starts its SSE stream
  /// (headers + priming event) then, so the client holds a resumption id early.
  std::chrono::milliseconds first_event_delay{50};
  int retry_ms = 2000;                                  ///< SSE `retry:` advertised to clients
  std::string auth_token;  ///< MCP_AUTH_TOKEN; empty = no bearer check
  /// Per-request caller authentication (MCP_AUTH_MODE=entra): called for every request to the MCP
  /// endpoint with its Authorization header value ("" when absent) and its body (empty for GET and
  /// DELETE). A refusal is answered as decided; an accepted caller travels with the request to the
  /// protocol core (CallContext::caller()) and binds a session created by that request to it.
  /// Runs on an I/O thread: must be quick (a token with an unknown signing key may wait briefly for
  /// a rate-limited key refetch). Must be thread-safe.
  std::function<AuthDecision(std::string_view authorization, std::string_view body)> authenticate;
  std::size_t threads = 0;  ///< 0 = min(hardware threads, 4)
  std::size_t max_sessions = 1000;  ///< live sessions; beyond → 503 on initialize
  EventStoreLimits event_limits;
  /// Called once per HTTP response with its status (for metrics). Must be thread-safe and cheap.
  std::function<void(unsigned status)> on_response;
};

/// A request to an extra GET route.
struct RouteRequest {
  std::string path;
  std::string query;   ///< without '?'
  std::string accept;  ///< Accept header
};

struct RouteResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// Runs on a helper thread (it may block briefly, e.g. a database health probe). Must not throw.
using RouteHandler = std::function<RouteResponse(const RouteRequest&)>;

/// The HTTP server. Thread-safe after start().
class HttpServer {
 public:
  HttpServer(mcp::Server& server, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Adds a GET/HEAD route (call before start()).
  void add_route(std::string path, RouteHandler handler);

  /// Binds, listens and starts the I/O threads. Returns the bound port.
  Result<std::uint16_t> start();
  std::uint16_t port() const noexcept;
  /// "http://host:port/mcp"
  std::string endpoint() const;

  /// Graceful shutdown: stop accepting, end GET streams, let in-flight requests finish (up to
  /// `grace`), cancel what remains through the protocol core, close connections, join threads.
  void shutdown(std::chrono::milliseconds grace);

  std::size_t session_count() const;
  /// POST requests awaiting their response.
  std::size_t in_flight() const;
  std::size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace azsql::transport::http
