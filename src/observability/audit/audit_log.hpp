#pragma once
/// The audit log (PRODUCT.md §5): one JSON line per tool call, resources/read and prompts/get,
/// flushed before the response is handed to the transport. Parameter values are never logged (only
/// their count); a prompt's arguments are logged by name, except a statement (`query`/`sql`), which is
/// logged as tool calls log theirs (text, or its SHA-256 when redacting).
#include <cstdio>
#include <mutex>
#include <string>

#include "mcp/server.hpp"

namespace azsql::observability {

struct AuditOptions {
  std::string path;     ///< file to append to; "-" = stderr
  bool redact = false;  ///< log the statement's SHA-256 instead of its text
};

class AuditLog final : public mcp::Observer {
 public:
  /// Opens (appends to) the file; returns nullptr and sets `error` when it cannot be opened.
  static std::shared_ptr<AuditLog> open(const AuditOptions& options, std::string* error);
  ~AuditLog() override;

  void on_tool_call(const mcp::ClientInfo& client, const mcp::ToolDefinition& tool, const boost::json::object& args,
                    const mcp::ToolResult& result, std::chrono::microseconds duration) override;

  /// resources/read and prompts/get (events that carry a client): one line each.
  void on_request(const mcp::RequestEvent& event) override;

  /// The JSON line (without newline) for one call; exposed for tests.
  static std::string format(const mcp::ClientInfo& client, const mcp::ToolDefinition& tool,
                            const boost::json::object& args, const mcp::ToolResult& result,
                            std::chrono::microseconds duration, bool redact);
  /// The JSON line (without newline) for one resources/read or prompts/get (`event.client` set).
  static std::string format_read(const mcp::RequestEvent& event, bool redact);

 private:
  void write(std::string line);
  AuditLog(std::FILE* f, bool owned, bool redact) : f_(f), owned_(owned), redact_(redact) {}
  std::mutex mu_;
  std::FILE* f_;
  bool owned_;
  bool redact_;
};

/// Fans one Observer call out to several (metrics + audit).
class ObserverFanout final : public mcp::Observer {
 public:
  void add(std::shared_ptr<mcp::Observer> o) {
    if (o) observers_.push_back(std::move(o));
  }
  void on_request(const mcp::RequestEvent& e) override {
    for (auto& o : observers_) o->on_request(e);
  }
  void on_tool_call(const mcp::ClientInfo& c, const mcp::ToolDefinition& t, const boost::json::object& a,
                    const mcp::ToolResult& r, std::chrono::microseconds d) override {
    for (auto& o : observers_) o->on_tool_call(c, t, a, r, d);
  }
  void on_internal_error(std::string_view where) override {
    for (auto& o : observers_) o->on_internal_error(where);
  }

 private:
  std::vector<std::shared_ptr<mcp::Observer>> observers_;
};

}  // namespace azsql::observability
