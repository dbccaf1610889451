#pragma once
/// Internals shared by the tools, resources and prompts (not part of the module's interface).
#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json_util.hpp"
#include "common/text.hpp"
#include "db/backend.hpp"
#include "mcp/registry.hpp"
#include "sql/classifier.hpp"
#include "tools/tools.hpp"

namespace azsql::tools::detail {

namespace bj = boost::json;

/// A small thread-safe ring of recent tool outcomes, for health_check and database://status.
class OutcomeRing {
 public:
  explicit OutcomeRing(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  struct Entry {
    std::string tool;
    bool ok = true;
    std::string error;  ///< short error text (no secrets: tool errors never carry any)
  };
  struct Summary {
    std::size_t window = 0;  ///< capacity
    std::size_t calls = 0;   ///< entries held (≤ window)
    std::size_t errors = 0;
    std::uint64_t total_calls = 0;  ///< since start
    std::uint64_t total_errors = 0;
    std::vector<Entry> last_errors;  ///< newest first, at most 5
  };

  void record(std::string_view tool, bool ok, std::string_view error);
  Summary summary() const;

 private:
  mutable std::mutex mu_;
  std::size_t capacity_;
  std::deque<Entry> entries_;
  std::uint64_t total_calls_ = 0, total_errors_ = 0;
};

/// What every tool, resource and prompt shares. Immutable after start-up except `ring`.
struct Env {
  explicit Env(std::size_t history_size) : ring(history_size) {}
  std::shared_ptr<db::Backend> backend;  ///< the default database
  std::vector<Database> databases;       ///< the allow-list ([0] = default); ≤ 1 entry = one database
  ToolsConfig cfg;
  const mcp::Registry* registry = nullptr;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  OutcomeRing ring;

  Dialect dialect() const { return backend->dialect(); }
  /// The call's database (its `database` argument or resource URI), else the default (databases.cpp).
  db::Backend& db() const;
  /// Its name ("" with a single unnamed database).
  std::string database_name() const;
  /// Case-insensitive lookup in the allow-list; null when absent.
  const Database* find_database(std::string_view name) const;
  /// Resource URIs a committed write to `table` changes (database://tables…, and database://<db>/tables…).
  std::vector<std::string> changed_uris(const std::optional<std::string>& table) const;
  /// Borrows a pooled connection, waiting at most the query timeout.
  Result<db::PooledConnection> acquire(mcp::CallContext& ctx) const;
  /// Statement options: timeout from the config, cancellation from the call.
  db::ExecOptions exec_options(mcp::CallContext& ctx, bool read_only) const;
  /// The statement timeout of this call: task_query_timeout when it runs as a task, else query_timeout.
  std::chrono::milliseconds timeout_for(const mcp::CallContext& ctx) const {
    return ctx.task_id().empty() ? cfg.query_timeout : cfg.task_query_timeout;
  }
};

/// What a tool runs for a statement the classifier accepted: the backend's text (the SQLite demo
/// translates a T-SQL subset, db::Backend::native_sql), which `check` must accept as well, so a
/// translation never runs what the rule refuses. On failure `failure` is the tool's answer: invalid
/// input naming the accepted subset, or the refusal of the translated text.
struct BackendStatement {
  std::string sql;
  std::optional<mcp::ToolResult> failure;
};
BackendStatement backend_statement(const Env& env, std::string_view tool, std::string_view accepted,
                                   const std::function<sql::Verdict(std::string_view)>& check);

/// One short sentence on the SQL the backend accepts, for tool descriptions.
std::string dialect_sentence(const db::Backend& backend);

/// Counts as signed JSON integers (Boost.JSON keeps size_t as uint64; consumers read int64).
inline std::int64_t i64(std::uint64_t n) { return static_cast<std::int64_t>(n); }

/// Parses JSON text of a schema at start-up (the texts are ours; a typo is a bug → throws).
bj::object schema(std::string_view json_text);

/// Adds the error variant to a tool's output schema: property `error` plus
/// anyOf [{required: success_required}, {required: ["error"]}], so error results validate too.
bj::object with_error_variant(bj::object schema, std::vector<std::string> success_required);

/// A failed tool call from an Error: message with the server's error number and text plus what to
/// change; structuredContent {error:{kind, number?, message, hint}}.
mcp::ToolResult error_result(const Error& e, std::string_view action, Dialect dialect,
                             std::chrono::milliseconds timeout);
/// A safety refusal: {error:{kind:"refused", rule, message}}.
mcp::ToolResult refusal(std::string_view rule, std::string_view message);
/// A caller mistake: {error:{kind:"invalid_input", message}}.
mcp::ToolResult invalid(std::string_view message);
/// Annotations of a tool that only reads: not destructive, idempotent, closed world.
mcp::ToolAnnotations read_only_annotations();
/// A successful result: structuredContent plus its compact text rendering.
mcp::ToolResult success(bj::object structured, std::string text);

/// `parameters` (array → positional, object → named, absent/null → none) as db::Params.
/// Only JSON scalars are allowed.
Result<db::Params> to_params(const bj::value* parameters);

/// Up to `max` names from `candidates` that are close to `wanted` (edit distance, prefix, substring).
std::vector<std::string> close_names(std::string_view wanted, const std::vector<std::string>& candidates,
                                     std::size_t max = 5);

// The ASCII text helpers live in common/text.hpp; tools code calls them unqualified.
using text::edit_distance;
using text::iequals;
using text::istarts_with;
using text::to_lower;
using text::to_upper;

/// `schema.name`, or just `name` when the schema is empty or the backend default (main, dbo).
std::string display_name(std::string_view schema, std::string_view name);

/// The table a single INSERT / UPDATE / DELETE writes to, best effort (nullopt when unsure).
std::optional<std::string> write_target(std::string_view sql, Dialect dialect);

/// JSON renderings shared by tools and resources.
bj::object table_info_json(const db::TableInfo& t);
bj::object description_json(const db::TableDescription& d);
bj::object pool_json(const db::PoolStats& s);
bj::object recent_json(const OutcomeRing::Summary& s);
/// A compact human/model-readable rendering of a table description.
std::string description_text(const db::TableDescription& d);

/// An estimated plan as structuredContent / as indented text (explain_query, analyze_performance).
bj::object plan_to_json(const db::Plan& p);
std::string plan_text(const db::Plan& p);

/// Elapsed milliseconds since `t0` with microsecond resolution.
double ms_since(std::chrono::steady_clock::time_point t0);

/// Runs `SELECT 1` and returns its round-trip time in milliseconds.
Result<double> ping_database(Env& env, mcp::CallContext& ctx);

/// Lists the backend's tables (views included when asked) on a borrowed connection.
Result<std::vector<db::TableInfo>> all_tables(Env& env, mcp::CallContext& ctx, bool include_views);

/// Looks a table up by user-supplied name (`name`, `schema.name`, bracketed or quoted). On a miss,
/// ErrorKind::NotFound whose message suggests close names.
Result<db::TableDescription> find_table(Env& env, mcp::CallContext& ctx, std::string_view table_name);

// Resource URIs percent-encode table names (RFC 6570 simple expansion) with common/text.hpp.
using text::percent_decode;
using text::percent_encode;

/// Base class: records every outcome in env->ring.
class BaseTool : public mcp::Tool {
 public:
  BaseTool(std::shared_ptr<Env> env, mcp::ToolDefinition def) : env_(std::move(env)), def_(std::move(def)) {}
  const mcp::ToolDefinition& definition() const override { return def_; }
  mcp::ToolResult call(const bj::object& arguments, mcp::CallContext& ctx) final;

 protected:
  virtual mcp::ToolResult run(const bj::object& arguments, mcp::CallContext& ctx) = 0;
  std::shared_ptr<Env> env_;
  mcp::ToolDefinition def_;
};

/// Tool factories (catalog_tools.cpp, data_tools.cpp).
std::unique_ptr<mcp::Tool> make_list_tables(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_describe_table(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_read_data(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_insert_data(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_update_data(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_database_info(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_list_available_tools(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_health_check(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_explain_query(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Tool> make_search_objects(std::shared_ptr<Env> env);

/// insight_tools.cpp: top_queries, active_requests, index_advice, wait_stats, table_space — empty unless
/// the backend has_insights() (SQL Server).
std::vector<std::unique_ptr<mcp::Tool>> make_insight_tools(std::shared_ptr<Env> env);

/// databases.cpp: with several databases, wrap a tool / prompt / resource provider so it takes a
/// `database` argument or URI segment; unchanged with one database.
std::unique_ptr<mcp::Tool> for_databases(std::unique_ptr<mcp::Tool> t, const std::shared_ptr<Env>& env);
std::unique_ptr<mcp::Prompt> for_databases(std::unique_ptr<mcp::Prompt> p, const std::shared_ptr<Env>& env);
std::unique_ptr<mcp::Completer> for_databases(std::unique_ptr<mcp::Completer> c, const std::shared_ptr<Env>& env);
std::unique_ptr<mcp::ResourceProvider> for_databases(std::unique_ptr<mcp::ResourceProvider> r,
                                                     const std::shared_ptr<Env>& env);

/// resources.cpp, prompts.cpp
std::unique_ptr<mcp::ResourceProvider> make_resources(std::shared_ptr<Env> env);
std::vector<std::unique_ptr<mcp::Prompt>> make_prompts(std::shared_ptr<Env> env);
std::unique_ptr<mcp::Completer> make_completer(std::shared_ptr<Env> env);

}  // namespace azsql::tools::detail
