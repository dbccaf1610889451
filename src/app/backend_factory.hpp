#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/config.hpp"
#include "common/result.hpp"
#include "db/backend.hpp"
#include "db/tds/tds_backend.hpp"
#include "mcp/server.hpp"

namespace azsql::app {

/// Entra access-token callback for the SQL Server backend (FEDAUTH); force_refresh after a refused login.
using AccessTokenFn = std::function<Result<std::string>(bool force_refresh)>;

/// Observes Entra token refreshes (ok = a token was acquired) — for metrics and logs; never sees the token.
using TokenRefreshFn = std::function<void(const std::string& credential, bool ok)>;

/// Opens the configured backend: SQL Server when a server or connection string is set, else SQLite
/// (creating the demo database on first run). Entra auth types get a cached credential from src/auth
/// (app/credential_factory.hpp) unless `access_token` is given (tests); `on_token_refresh` observes it.
/// `verify` (SQL Server): log in once before returning, so bad settings fail at start; without it the
/// pool connects on first use (main.cpp starts that way when the database is only unreachable).
Result<std::shared_ptr<db::Backend>> make_backend(const Config& cfg, AccessTokenFn access_token = {},
                                                  TokenRefreshFn on_token_refresh = {}, bool verify = true);

/// True for start-up failures that waiting can fix — the database or the network is unreachable,
/// a firewall rule is missing (40615), the database is paused or failing over (40613 and other
/// transient errors) — as opposed to refused credentials, a database that cannot be opened (4060, 916)
/// or invalid settings.
bool reachability_failure(const Error& e);

/// The SQL Server connection settings make_backend uses (variables overridden by the connection string,
/// the Entra credential for the auth type; `database` overrides the database). `azsql-mcp doctor`
/// connects step by step with them. With AZURE_SQL_AUTH_TYPE=on_behalf_of the shared pool is disabled
/// (it has no identity) and each caller gets their own pool (app/caller_auth.hpp) from these settings.
Result<db::tds::TdsBackendOptions> sqlserver_options(const Config& cfg, AccessTokenFn access_token = {},
                                                      TokenRefreshFn on_token_refresh = {},
                                                      const std::string* database = nullptr);

/// Every database of AZURE_SQL_DATABASES (the default first), each its own backend and pool — on Azure
/// SQL a login names its database, so each database is its own connection (no USE). Without the list:
/// make_backend's one database, named AZURE_SQL_DATABASE.
Result<std::vector<std::pair<std::string, std::shared_ptr<db::Backend>>>> make_databases(
    const Config& cfg, AccessTokenFn access_token = {}, TokenRefreshFn on_token_refresh = {}, bool verify = true);

/// Serves Streamable HTTP until SIGTERM/SIGINT; returns the process exit code.
class CallerAuth;
/// `caller_auth` (MCP_AUTH_MODE=entra, may be null) authenticates every request to the MCP endpoint
/// and serves the RFC 9728 metadata routes.
int run_http(const Config& cfg, mcp::Server& server, const std::shared_ptr<db::Backend>& db,
             const std::function<void(const std::string& endpoint)>& banner,
             const std::shared_ptr<CallerAuth>& caller_auth = nullptr);

}  // namespace azsql::app
