#pragma once
/// The MCP surface of azsql-mcp (PRODUCT.md §4): ten tools, four resources plus one template,
/// four prompts and table-name completion, all served from one db::Backend.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/backend.hpp"
#include "mcp/registry.hpp"

namespace azsql::tools {

/// Limits and mode the tools enforce (from app::Config).
struct ToolsConfig {
  std::size_t default_row_limit = 100;    ///< read_data rows when `limit` is not given
  std::size_t max_row_limit = 10000;      ///< larger `limit` values are clamped (and the result says so)
  std::size_t max_result_bytes = 4u << 20;  ///< encoded rows beyond this are trimmed (truncated: true)
  std::chrono::milliseconds query_timeout{30000};  ///< per statement; also the pool acquisition wait
  /// Per statement of a tool call that runs as an MCP task (long analytical queries).
  std::chrono::milliseconds task_query_timeout{3600000};
  bool read_only = false;                 ///< write tools are marked writes=true; the core hides them
  std::size_t history_size = 100;         ///< recent tool outcomes kept for health_check / database://status
  std::chrono::seconds cursor_ttl{900};   ///< lifetime of a read_data next_cursor
  /// Per-caller connection pools (AZURE_SQL_AUTH_TYPE=on_behalf_of): when set, every tool, resource
  /// and prompt borrows its connection from the pool this returns for the call's caller instead of
  /// the backend's shared pool (an error — no caller, too many users — fails the call). The
  /// backend's catalog queries still run on that borrowed connection.
  std::function<Result<std::shared_ptr<db::Pool>>(mcp::CallContext& ctx)> caller_pool;
};

/// One database of the allow-list (AZURE_SQL_DATABASES) and its backend (own pool).
struct Database {
  std::string name;
  std::shared_ptr<db::Backend> backend;
};

/// Several databases: the first is the default. With more than one, every tool and prompt gains an
/// optional `database` argument and each resource a database://<db>/… twin.
void register_all(mcp::Registry& registry, std::vector<Database> databases, const ToolsConfig& config);

/// Registers every tool, the resource provider, the prompts and the completer into `registry`.
/// `registry` must outlive nothing but itself: tools keep a pointer to it (list_available_tools) and
/// are owned by it. Call once at start-up, before the registry is shared with mcp::Server.
void register_all(mcp::Registry& registry, std::shared_ptr<db::Backend> backend, const ToolsConfig& config);

}  // namespace azsql::tools
