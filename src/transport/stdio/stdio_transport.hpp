#pragma once
/// MCP stdio transport: newline-delimited JSON-RPC on stdin/stdout. stdout carries only
/// protocol messages; logs go to stderr.
#include <cstdio>
#include <memory>

#include "mcp/server.hpp"

namespace azsql::transport {

struct StdioOptions {
  std::size_t max_line_bytes = 10 * 1024 * 1024;  ///< longer lines are answered with -32600 and skipped
};

/// Reads messages from `in` until EOF (or stop()), handing each to the server concurrently;
/// responses may come out of order. Returns when input ended and in-flight requests finished
/// (bounded by `drain`). Thread-safe writes to `out`.
class StdioTransport {
 public:
  StdioTransport(mcp::Server& server, int in_fd, int out_fd, StdioOptions options = {});
  ~StdioTransport();
  /// Blocks until EOF on input, then waits for in-flight replies up to `drain`.
  void run(std::chrono::milliseconds drain);
  /// Makes run() return soon (e.g. on SIGTERM).
  void stop();

 private:
  class Writer;
  mcp::Server& server_;
  int in_fd_;
  std::shared_ptr<Writer> writer_;
  std::shared_ptr<mcp::Session> session_;
  /// The Inbound::closed of every message: cancelled when input ended and the drain time is over.
  CancelToken closed_;
  StdioOptions options_;
  std::atomic<bool> stop_{false};
};

}  // namespace azsql::transport
