#pragma once
/// Server-Sent Events framing (WHATWG HTML §9.2 "Server-sent events") for Streamable HTTP.
/// Pure, no I/O; the parser never throws and bounds what it buffers.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azsql::transport::http {

/// One SSE event: `id:` (may be empty), optional `retry:` and the data lines. The event type is
/// left out (clients treat that as "message", which is what MCP uses).
std::string format_sse_event(std::string_view id, std::string_view data, std::optional<int> retry_ms = std::nullopt);

/// Appends the same framing to `out` (no temporary copy of a large payload).
void append_sse_event(std::string& out, std::string_view id, std::string_view data,
                      std::optional<int> retry_ms = std::nullopt);

/// An SSE comment line (keep-alive): ": <text>\n\n".
std::string format_sse_comment(std::string_view text);

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
  std::optional<int> retry_ms;
};

/// Incremental parser for an SSE byte stream (used by tests and fuzzing).
class SseParser {
 public:
  explicit SseParser(std::size_t max_buffer = 16u << 20) : max_buffer_(max_buffer) {}
  /// Feeds bytes; complete events become available from take(). Returns false (and stops) when
  /// an event grows beyond the buffer limit.
  bool feed(std::string_view bytes);
  std::vector<SseEvent> take();

 private:
  void line(std::string_view l);
  std::size_t max_buffer_;
  std::string partial_;
  SseEvent cur_;
  bool has_data_ = false;
  bool failed_ = false;
  bool last_was_cr_ = false;
  std::vector<SseEvent> ready_;
};

}  // namespace azsql::transport::http
