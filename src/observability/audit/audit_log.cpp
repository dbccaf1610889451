#include "observability/audit/audit_log.hpp"

#include <openssl/evp.h>

#include <chrono>
#include <span>

#include "common/hex.hpp"
#include "common/timestamp.hpp"

namespace azsql::observability {

namespace bj = boost::json;

namespace {

std::string sha256_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return hex::encode(std::span<const std::uint8_t>(md, len), hex::Case::Lower);
}

std::string now_iso() { return timestamp::utc_millis(std::chrono::system_clock::now()); }

/// The statement text of `query` (reads, analyze_performance) or `sql` (writes), if any.
std::optional<std::string> statement_text(const bj::object& args) {
  for (const char* k : {"query", "sql"}) {
    if (auto it = args.find(k); it != args.end() && it->value().is_string()) return std::string(it->value().get_string());
  }
  return std::nullopt;
}

/// The statement a tool call ran, if any: its text, or a synthesized INSERT for insert_data's rows.
std::optional<std::string> statement_of(const bj::object& args) {
  if (auto text = statement_text(args)) return text;
  if (auto t = args.find("table"); t != args.end() && t->value().is_string()) {
    std::size_t n = 0;
    if (auto r = args.find("rows"); r != args.end() && r->value().is_array()) n = r->value().get_array().size();
    return "INSERT INTO " + std::string(t->value().get_string()) + " (" + std::to_string(n) + " row(s))";
  }
  return std::nullopt;
}

std::size_t param_count(const bj::object& args) {
  auto it = args.find("parameters");
  if (it == args.end()) return 0;
  if (it->value().is_array()) return it->value().get_array().size();
  if (it->value().is_object()) return it->value().get_object().size();
  return 0;
}

std::optional<std::int64_t> int_field(const bj::object& o, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (auto it = o.find(k); it != o.end() && it->value().is_int64()) return it->value().get_int64();
  }
  return std::nullopt;
}

}  // namespace

std::shared_ptr<AuditLog> AuditLog::open(const AuditOptions& options, std::string* error) {
  if (options.path == "-") return std::shared_ptr<AuditLog>(new AuditLog(stderr, false, options.redact));
  std::FILE* f = std::fopen(options.path.c_str(), "a");
  if (!f) {
    if (error) *error = "cannot open the audit log for appending (MCP_AUDIT_LOG)";
    return nullptr;
  }
  return std::shared_ptr<AuditLog>(new AuditLog(f, true, options.redact));
}

AuditLog::~AuditLog() {
  if (owned_ && f_) std::fclose(f_);
}

namespace {

/// The fields every line starts with: time, session, client, protocol version and the caller.
bj::object line_for(const mcp::ClientInfo& client) {
  bj::object line;
  line["time"] = now_iso();
  line["session"] = client.session_id;
  line["client"] = bj::object{{"name", client.name}, {"version", client.version}};
  line["protocol_version"] = client.protocol_version;
  if (client.caller) {
    // Who called (MCP_AUTH_MODE=entra): ids and name only, never the bearer assertion.
    line["caller"] = bj::object{{"oid", client.caller->object_id},
                                {"tid", client.caller->tenant_id},
                                {"upn", client.caller->upn}};
  }
  return line;
}

void add_statement(bj::object& line, std::optional<std::string> stmt, bool redact) {
  if (stmt) {
    if (redact)
      line["statement_sha256"] = sha256_hex(*stmt);
    else
      line["statement"] = *stmt;
  }
}

}  // namespace

std::string AuditLog::format(const mcp::ClientInfo& client, const mcp::ToolDefinition& tool, const bj::object& args,
                             const mcp::ToolResult& result, std::chrono::microseconds duration, bool redact) {
  bj::object line = line_for(client);
  line["tool"] = tool.name;
  add_statement(line, statement_of(args), redact);
  line["parameters"] = param_count(args);
  if (auto rows = int_field(result.structured, {"row_count", "rows_affected"})) line["rows"] = *rows;
  line["bytes"] = result.text.size() + (result.structured.empty() ? 0 : bj::serialize(result.structured).size());
  line["duration_ms"] = static_cast<double>(duration.count()) / 1000.0;
  line["outcome"] = result.is_error ? "error" : "ok";
  if (result.is_error) {
    std::optional<std::int64_t> number = int_field(result.structured, {"error_number", "number"});
    if (!number) {
      if (auto e = result.structured.find("error"); e != result.structured.end() && e->value().is_object())
        number = int_field(e->value().get_object(), {"number", "code"});
    }
    if (number) line["error_number"] = *number;
  }
  return bj::serialize(line);
}

std::string AuditLog::format_read(const mcp::RequestEvent& event, bool redact) {
  bj::object line = line_for(event.client ? *event.client : mcp::ClientInfo{});
  line["method"] = event.method;
  const bool prompt = event.method == "prompts/get";
  if (!event.target.empty()) line[prompt ? "prompt" : "resource"] = event.target;
  if (prompt) {
    bj::array names;  // argument names only: values may be user data
    for (const auto& kv : event.arguments) names.emplace_back(kv.key());
    line["arguments"] = std::move(names);
    add_statement(line, statement_text(event.arguments), redact);  // analyze_performance's query is run (estimated plan)
  }
  line["duration_ms"] = static_cast<double>(event.duration.count()) / 1000.0;
  line["outcome"] = event.outcome;
  if (event.outcome == "error") line["error_code"] = event.error_code;
  return bj::serialize(line);
}

void AuditLog::on_tool_call(const mcp::ClientInfo& client, const mcp::ToolDefinition& tool, const bj::object& args,
                            const mcp::ToolResult& result, std::chrono::microseconds duration) {
  write(format(client, tool, args, result, duration, redact_));
}

void AuditLog::on_request(const mcp::RequestEvent& event) {
  if (!event.client) return;  // only audited methods carry the client
  write(format_read(event, redact_));
}

void AuditLog::write(std::string line) {
  line.push_back('\n');
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), f_);
  std::fflush(f_);  // on disk (in the OS) before the response leaves
}

}  // namespace azsql::observability
