#pragma once
/// Configuration (PRODUCT.md §2): flags > environment > .env in the working directory > defaults.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace azsql::app {

/// One setting: its environment variable, command-line flag, default and help text.
struct SettingSpec {
  const char* env;
  const char* flag;  ///< without leading dashes
  const char* def;   ///< nullptr = unset by default
  const char* help;
  bool secret = false;  ///< never printed
};

/// Every setting the server knows, in --help order.
const std::vector<SettingSpec>& setting_specs();

struct Config {
  // Database
  std::string azure_sql_server;  ///< host[,port]; non-empty selects the SQL Server backend
  std::string azure_sql_database;
  std::vector<std::string> databases;  ///< AZURE_SQL_DATABASES, the default first; empty = one database
  std::string connection_string;
  std::string auth_type;  ///< resolved: sql | managed_identity | default_credential | ...
  std::string username;
  std::string password;
  std::string managed_identity_client_id;
  std::string tenant_id, client_id, client_secret, client_certificate_path, federated_token_file, authority_host;
  std::string access_token;
  std::string encrypt = "yes";  ///< yes | strict | no
  bool trust_server_certificate = false;
  std::string hostname_in_certificate;
  std::string ca_file;  ///< AZURE_SQL_CA_FILE: PEM CA bundle for the server certificate (tests, private CAs)
  std::string application_intent;  ///< "" or ReadOnly
  int connection_timeout_s = 30;
  std::string sqlite_path;  ///< empty → demo database
  bool sqlite_demo = false; ///< sqlite_path is the default demo database

  // Transport
  std::string transport = "http";
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string api_path = "/mcp", health_path = "/health", metrics_path = "/metrics";
  bool stateless_http = false;
  bool json_response = false;
  bool enable_cors = false;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  bool enable_compression = true;
  std::size_t max_concurrent_requests = 100;
  std::size_t max_stream_size = 10485760;
  int stream_timeout_s = 300;
  std::string auth_token;
  /// Caller authentication on the MCP endpoint: none | token (MCP_AUTH_TOKEN) | entra (OAuth 2.1
  /// resource server, Entra ID access tokens).
  std::string auth_mode = "none";
  std::string auth_tenant_id;                     ///< MCP_AUTH_TENANT_ID (default AZURE_TENANT_ID)
  std::vector<std::string> auth_audiences;        ///< MCP_AUTH_AUDIENCE
  std::vector<std::string> auth_allowed_tenants;  ///< MCP_AUTH_ALLOWED_TENANTS
  std::vector<std::string> auth_scopes_read{"Sql.Read"}, auth_scopes_write{"Sql.Write"};
  std::string auth_resource;  ///< MCP_AUTH_RESOURCE: canonical URI for RFC 9728 metadata ("" = as bound)
  int auth_jwks_min_refresh_s = 60;
  std::size_t auth_max_users = 200, auth_user_pool_size = 2;
  int auth_user_idle_timeout_s = 300;
  std::string obo_credential;  ///< AZURE_SQL_OBO_CREDENTIAL ("" = the one whose settings are present)

  // Behaviour and limits
  bool read_only = false;
  /// MCP_FAIL_FAST: exit at start when the database cannot be reached (default: serve anyway, report it
  /// on /health and in every tool call, and reconnect in the background).
  bool fail_fast = false;
  int query_timeout_s = 30;
  std::size_t default_row_limit = 100, max_row_limit = 10000, max_result_bytes = 4u << 20;
  /// Caps on one value / one row read from SQL Server (TDS decoding), bytes as sent.
  std::size_t max_value_bytes = 16u << 20, max_row_bytes = 32u << 20;
  int cursor_ttl_s = 900;  ///< read_data next_cursor lifetime
  int task_ttl_s = 900;    ///< how long a task stays readable after creation
  int task_query_timeout_s = 3600;  ///< statement timeout of a tool call run as a task
  std::size_t task_max_per_owner = 32;  ///< tasks one user (or session) may hold
  std::size_t pool_size = 4;
  std::string audit_log;
  bool audit_redact = false;
  std::string log_level = "info", log_format = "text";
  std::size_t max_request_history = 100;

  std::vector<std::string> notices;  ///< e.g. "AZURE_SQL_DRIVER is ignored"
};

/// Parses argv (without subcommands) + environment + `.env`. Returns a one-line error naming the
/// setting, the value and what is allowed. `exit_now` is set for --help / --version (text in `out`).
struct ParseOutcome {
  std::optional<Config> config;
  std::string error;
  bool exit_now = false;
  std::string out;
};
ParseOutcome parse_config(int argc, const char* const* argv, const std::map<std::string, std::string>& environment,
                          const std::string& dotenv_path = ".env");

/// Reads KEY=VALUE lines (comments, `export`, quotes). Missing file → empty map.
std::map<std::string, std::string> read_dotenv(const std::string& path);

/// The process environment as a map.
std::map<std::string, std::string> current_environment();

}  // namespace azsql::app
