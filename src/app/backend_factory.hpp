#pragma once
#include <functional>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "common/result.hpp"
#include "db/backend.hpp"
#include "mcp/server.hpp"

namespace azsql::app {

/// Opens the configured backend: SQL Server when a server or connection string is set, else SQLite
/// (creating the demo database on first run).
Result<std::shared_ptr<db::Backend>> make_backend(const Config& cfg);

/// Serves Streamable HTTP until SIGTERM/SIGINT; returns the process exit code.
int run_http(const Config& cfg, mcp::Server& server, const std::shared_ptr<db::Backend>& db,
             const std::function<void(const std::string& endpoint)>& banner);

}  // namespace azsql::app
