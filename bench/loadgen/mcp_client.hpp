#pragma once
/// Minimal synchronous MCP clients for the load generator: raw JSON-RPC over Streamable HTTP
/// (keep-alive, Mcp-Session-Id, application/json or text/event-stream replies) and over stdio
/// (newline-delimited JSON). One client per thread; not thread-safe.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace azsql::bench {

/// The outcome of one request.
struct Reply {
  bool ok = false;          ///< transport succeeded and a JSON-RPC response with our id arrived
  std::string error;        ///< why not, when !ok
  std::size_t bytes = 0;    ///< HTTP body bytes (or the stdio line length) of the reply
  std::string json;         ///< the JSON-RPC response text
};

/// Checks a JSON-RPC response text: a `result` object that is not a tool error (`isError`).
/// On failure fills `why` with a short excerpt.
bool result_ok(std::string_view json, std::string* why);

/// Finds the first complete SSE event in `body` (from `pos`) whose data is a JSON-RPC response
/// with id `id`; advances `pos` past the events it consumed. When `scan` is given it remembers
/// how far the search for the end of an incomplete event got, so that calling again after more
/// bytes arrived does not rescan them (linear, not quadratic, in the event's size). Exposed for
/// tests of the parser.
std::optional<std::string> sse_find_response(std::string_view body, std::size_t& pos, std::int64_t id,
                                             std::size_t* scan = nullptr);

class HttpClient {
 public:
  HttpClient(std::string host, unsigned short port, std::string target, std::string protocol_version);
  ~HttpClient();
  /// Connects (no retry). False when the port refuses.
  bool connect(std::string* why);
  /// initialize + notifications/initialized; remembers Mcp-Session-Id when the server sends one.
  bool handshake(std::string* why);
  /// Sends one request with a fresh id and waits for its response.
  Reply request(std::string_view method, std::string_view params_json);
  /// Ends the session (HTTP DELETE with Mcp-Session-Id), as a well-behaved client does; a 405
  /// (server does not allow it) or no session is fine.
  void end_session();
  std::size_t reconnects() const { return reconnects_; }
  const std::string& session_id() const { return session_; }

 private:
  Reply post(const std::string& body, std::optional<std::int64_t> id, bool retry);
  void close();

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket sock_;
  boost::beast::flat_buffer buf_;
  std::string host_header_, target_, protocol_version_, session_;
  boost::asio::ip::tcp::endpoint endpoint_;
  bool connected_ = false;
  bool reused_ = false;  ///< the connection already carried a request (a stale keep-alive may be retried)
  std::int64_t next_id_ = 1;
  std::size_t reconnects_ = 0;
};

class StdioClient {
 public:
  StdioClient(int to_server_fd, int from_server_fd) : in_(to_server_fd), out_(from_server_fd) {}
  bool handshake(std::string_view protocol_version, std::string* why);
  /// Sends one request and waits (up to `timeout`) for the response with its id; other
  /// messages (notifications, logs) are skipped.
  Reply request(std::string_view method, std::string_view params_json,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

 private:
  bool write_all(const std::string& s);
  std::optional<std::string> read_line(std::chrono::steady_clock::time_point deadline);
  int in_, out_;
  std::string rbuf_;
  std::int64_t next_id_ = 1;
};

}  // namespace azsql::bench
