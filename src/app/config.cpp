#include "app/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/text.hpp"

extern char** environ;

namespace azsql::app {

const std::vector<SettingSpec>& setting_specs() {
  static const std::vector<SettingSpec> specs = {
      {"AZURE_SQL_SERVER", "server", nullptr, "SQL Server / Azure SQL host[,port]; setting it selects the SQL Server backend"},
      {"AZURE_SQL_DATABASE", "database-name", nullptr, "database name on the SQL Server"},
      {"AZURE_SQL_DATABASES", "databases", nullptr, "allow-list of databases (db1,db2): each its own pool; tools take `database`"},
      {"AZURE_SQL_CONNECTION_STRING", "connection-string", nullptr, "ADO.NET-style connection string (alternative to the variables)", true},
      {"AZURE_SQL_AUTH_TYPE", "auth-type", nullptr, "sql|managed_identity|default_credential|service_principal|workload_identity|azure_cli|access_token|on_behalf_of (default: sql when a user name is set, else default_credential; on_behalf_of signs in to Azure SQL as each caller, needs MCP_AUTH_MODE=entra)"},
      {"AZURE_SQL_OBO_CREDENTIAL", "obo-credential", nullptr, "on_behalf_of: the app's own credential — client_secret | certificate | managed_identity | workload_identity (default: the one whose settings are present)"},
      {"AZURE_SQL_USERNAME", "username", nullptr, "SQL authentication user"},
      {"AZURE_SQL_PASSWORD", "password", nullptr, "SQL authentication password", true},
      {"AZURE_MANAGED_IDENTITY_CLIENT_ID", "managed-identity-client-id", nullptr, "client id of a user-assigned managed identity"},
      {"AZURE_TENANT_ID", "tenant-id", nullptr, "Entra tenant (service principal / workload identity)"},
      {"AZURE_CLIENT_ID", "client-id", nullptr, "Entra application (client) id"},
      {"AZURE_CLIENT_SECRET", "client-secret", nullptr, "service principal secret", true},
      {"AZURE_CLIENT_CERTIFICATE_PATH", "client-certificate-path", nullptr, "service principal certificate (PEM with key)"},
      {"AZURE_FEDERATED_TOKEN_FILE", "federated-token-file", nullptr, "workload identity federated token file"},
      {"AZURE_AUTHORITY_HOST", "authority-host", nullptr, "Entra authority (default https://login.microsoftonline.com)"},
      {"AZURE_SQL_ACCESS_TOKEN", "access-token", nullptr, "a ready Entra access token for https://database.windows.net/", true},
      {"AZURE_SQL_ENCRYPT", "encrypt", "yes", "yes (TLS negotiated in PRELOGIN) | strict (TDS 8.0) | no (loopback only)"},
      {"AZURE_SQL_TRUST_SERVER_CERTIFICATE", "trust-server-certificate", "no", "skip certificate validation (yes|no)"},
      {"AZURE_SQL_HOSTNAME_IN_CERTIFICATE", "hostname-in-certificate", nullptr, "expected host name in the server certificate"},
      {"AZURE_SQL_CA_FILE", "ca-file", nullptr, "PEM file of CA certificates trusted for the server certificate (default: the system store)"},
      {"AZURE_SQL_APPLICATION_INTENT", "application-intent", nullptr, "ReadOnly routes to Azure SQL read replicas"},
      {"AZURE_SQL_CONNECTION_TIMEOUT", "connection-timeout", "30", "login timeout, seconds"},
      {"AZURE_SQL_DRIVER", "driver", nullptr, "accepted and ignored (no ODBC driver is needed)"},
      {"SQLITE_PATH", "sqlite-path", nullptr, "use this SQLite file (default: the demo database)"},
      {"MCP_TRANSPORT", "transport", "http", "http | stdio"},
      {"MCP_HOST", "host", "127.0.0.1", "HTTP bind address"},
      {"MCP_PORT", "port", "8000", "HTTP port (0 = any free port)"},
      {"MCP_API_PATH", "api-path", "/mcp", "MCP endpoint path"},
      {"MCP_HEALTH_PATH", "health-path", "/health", "health endpoint path"},
      {"MCP_METRICS_PATH", "metrics-path", "/metrics", "metrics endpoint path"},
      {"MCP_STATELESS_HTTP", "stateless-http", "false", "stateless HTTP mode (no sessions)"},
      {"MCP_JSON_RESPONSE", "json-response", "false", "answer POSTs with plain JSON instead of SSE"},
      {"MCP_ENABLE_CORS", "enable-cors", "false", "send CORS headers"},
      {"MCP_ALLOWED_ORIGINS", "allowed-origins", nullptr, "comma-separated Origin allow-list (default: loopback origins)"},
      {"MCP_ALLOWED_HOSTS", "allowed-hosts", nullptr, "comma-separated Host names accepted besides loopback names and IP addresses (* = any); set to the public name behind a proxy or ingress"},
      {"MCP_ENABLE_COMPRESSION", "enable-compression", "true", "gzip large HTTP responses"},
      {"MCP_ENABLE_STREAMING", "enable-streaming", nullptr, "accepted for seed compatibility (streaming is always on)"},
      {"MCP_MAX_CONCURRENT_REQUESTS", "max-concurrent-requests", "100", "in-flight tool calls before 503"},
      {"MCP_MAX_STREAM_SIZE", "max-stream-size", "10485760", "request body limit, bytes"},
      {"MCP_STREAM_TIMEOUT", "stream-timeout", "300", "idle stream / session timeout, seconds"},
      {"MCP_AUTH_TOKEN", "auth-token", nullptr, "require Authorization: Bearer <token> on the MCP endpoint (MCP_AUTH_MODE=token)", true},
      {"MCP_AUTH_MODE", "auth-mode", nullptr, "none | token (MCP_AUTH_TOKEN) | entra (OAuth 2.1 resource server: Entra ID access tokens per caller) (default: token when MCP_AUTH_TOKEN is set, else none)"},
      {"MCP_AUTH_TENANT_ID", "auth-tenant-id", nullptr, "entra: the tenant whose tokens are accepted (default AZURE_TENANT_ID)"},
      {"MCP_AUTH_AUDIENCE", "auth-audience", nullptr, "entra: accepted token audiences, comma-separated: the app registration's application ID URI and/or client id"},
      {"MCP_AUTH_ALLOWED_TENANTS", "auth-allowed-tenants", nullptr, "entra: further tenants whose users are accepted, comma-separated (multi-tenant app)"},
      {"MCP_AUTH_SCOPES_READ", "auth-scopes-read", "Sql.Read", "entra: scope (scp) or app role that allows read tools; comma-separated alternatives"},
      {"MCP_AUTH_SCOPES_WRITE", "auth-scopes-write", "Sql.Write", "entra: scope or app role that allows write tools (implies read); comma-separated alternatives"},
      {"MCP_AUTH_RESOURCE", "auth-resource", nullptr, "entra: the canonical URI of this MCP endpoint in Protected Resource Metadata (default http://HOST:PORT/API_PATH as bound; set it behind a proxy)"},
      {"MCP_AUTH_JWKS_MIN_REFRESH", "auth-jwks-min-refresh", "60", "entra: at most one signing-key refetch per this many seconds when a token names an unknown key"},
      {"MCP_AUTH_MAX_USERS", "auth-max-users", "200", "on_behalf_of: users with their own connection pool at once"},
      {"MCP_AUTH_USER_POOL_SIZE", "auth-user-pool-size", "2", "on_behalf_of: connections per user"},
      {"MCP_AUTH_USER_IDLE_TIMEOUT", "auth-user-idle-timeout", "300", "on_behalf_of: close a user's pool after this many idle seconds"},
      {"MCP_DEBUG_MODE", "debug-mode", nullptr, "accepted for seed compatibility; use LOG_LEVEL=debug"},
      {"MCP_READ_ONLY", "read-only", "false", "hide and refuse every write tool"},
      {"MCP_FAIL_FAST", "fail-fast", "false", "exit at start when the database cannot be reached (default: start anyway and reconnect)"},
      {"MCP_QUERY_TIMEOUT", "query-timeout", "30", "statement timeout, seconds"},
      {"MCP_DEFAULT_ROW_LIMIT", "default-row-limit", "100", "rows returned when no limit is given"},
      {"MCP_MAX_ROW_LIMIT", "max-row-limit", "10000", "largest limit a caller may ask for"},
      {"MCP_MAX_RESULT_BYTES", "max-result-bytes", "4194304", "largest result a tool returns, bytes"},
      {"MCP_MAX_VALUE_BYTES", "max-value-bytes", "16777216", "largest single value read from SQL Server, bytes as sent (over it: a tool error, the connection is closed)"},
      {"MCP_MAX_ROW_BYTES", "max-row-bytes", "33554432", "largest row read from SQL Server, bytes as sent (over it: a tool error, the connection is closed)"},
      {"MCP_CURSOR_TTL", "cursor-ttl", "900", "how long a read_data next_cursor stays valid, seconds"},
      {"MCP_TASK_TTL", "task-ttl", "900", "how long a task (a tool call run as an MCP task) and its result stay readable after creation, seconds"},
      {"MCP_TASK_QUERY_TIMEOUT", "task-query-timeout", "3600", "statement timeout of a tool call run as a task, seconds (MCP_QUERY_TIMEOUT applies otherwise)"},
      {"MCP_TASK_MAX_PER_OWNER", "task-max-per-owner", "32", "tasks one user (or, unauthenticated, one session) may hold until they expire"},
      {"CONNECTION_POOL_SIZE", "pool-size", "4", "pooled database connections (0 = open per request)"},
      {"MCP_AUDIT_LOG", "audit-log", nullptr, "JSON-lines audit log path (- = stderr)"},
      {"MCP_AUDIT_REDACT", "audit-redact", "false", "log statement SHA-256 instead of text"},
      {"LOG_LEVEL", "log-level", "info", "debug | info | warning | error"},
      {"LOG_FORMAT", "log-format", "text", "text | json"},
      {"MAX_REQUEST_HISTORY", "max-request-history", "100", "recent requests kept for /metrics and health_check"},
      {"TEST_MODE", "test-mode", nullptr, "accepted for seed compatibility; ignored"},
  };
  return specs;
}

std::map<std::string, std::string> read_dotenv(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  while (std::getline(in, line)) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    std::string val = line.substr(eq + 1);
    auto vs = val.find_first_not_of(" \t");
    val = vs == std::string::npos ? "" : val.substr(vs);
    if (!val.empty() && (val[0] == '"' || val[0] == '\'')) {
      char q = val[0];
      auto end = val.find(q, 1);
      val = val.substr(1, end == std::string::npos ? std::string::npos : end - 1);
    } else {
      auto hash = val.find(" #");
      if (hash != std::string::npos) val = val.substr(0, hash);
      while (!val.empty() && std::isspace(static_cast<unsigned char>(val.back()))) val.pop_back();
    }
    out[key] = val;
  }
  return out;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

namespace {

struct Resolver {
  std::map<std::string, std::string> values;  // env name -> value (already resolved by precedence)
  std::string error;

  std::string str(const char* env) const {
    auto it = values.find(env);
    return it == values.end() ? std::string() : it->second;
  }
  bool has(const char* env) const { return values.count(env) != 0; }

  std::string show(const char* env) const {
    for (const auto& s : setting_specs()) {
      if (std::string_view(s.env) == env && s.secret) return "(hidden)";
    }
    return "'" + str(env) + "'";
  }

  bool fail(const char* env, const std::string& allowed) {
    if (error.empty()) error = "invalid setting " + std::string(env) + "=" + show(env) + ": expected " + allowed;
    return false;
  }

  bool boolean(const char* env, bool& out) {
    if (!has(env)) return true;
    const std::string v = text::to_lower(str(env));
    if (v == "1" || v == "true" || v == "yes" || v == "on") {
      out = true;
      return true;
    }
    if (v == "0" || v == "false" || v == "no" || v == "off") {
      out = false;
      return true;
    }
    return fail(env, "true or false");
  }

  template <class T>
  bool integer(const char* env, T& out, long long lo, long long hi) {
    if (!has(env)) return true;
    std::string v = str(env);
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
      return fail(env, "an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
    out = static_cast<T>(n);
    return true;
  }

  bool one_of(const char* env, std::string& out, std::initializer_list<const char*> allowed) {
    if (!has(env)) return true;
    const std::string v = text::to_lower(str(env));
    std::string list;
    for (const char* a : allowed) {
      if (v == a) {
        out = v;
        return true;
      }
      if (!list.empty()) list += ", ";
      list += a;
    }
    return fail(env, "one of " + list);
  }

  bool path(const char* env, std::string& out) {
    if (!has(env)) return true;
    std::string v = str(env);
    if (v.empty() || v.front() != '/') return fail(env, "a path starting with /");
    out = v;
    return true;
  }
};

/// "a, b ,c" → {"a", "b", "c"} (blank items dropped).
std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(' ');
    auto e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

/// Combinations of the caller-authentication settings that cannot work: a one-line message naming
/// the settings and what to change, or "".
std::string check_auth_settings(const Config& c) {
  const bool obo = c.auth_type == "on_behalf_of";
  if (c.auth_mode == "token" && c.auth_token.empty())
    return "invalid setting MCP_AUTH_MODE='token': MCP_AUTH_TOKEN must be set (or use MCP_AUTH_MODE=entra)";
  if (c.auth_mode != "token" && !c.auth_token.empty())
    return "inconsistent settings: MCP_AUTH_TOKEN is set but MCP_AUTH_MODE='" + c.auth_mode +
           "' (the static token is only for MCP_AUTH_MODE=token; unset one of them)";
  if (c.auth_mode == "entra") {
    if (c.transport != "http")
      return "inconsistent settings: MCP_AUTH_MODE=entra authenticates HTTP callers; MCP_TRANSPORT='" + c.transport + "'";
    if (c.auth_tenant_id.empty())
      return "invalid setting MCP_AUTH_MODE=entra: MCP_AUTH_TENANT_ID (or AZURE_TENANT_ID) must name the tenant";
    if (c.auth_audiences.empty())
      return "invalid setting MCP_AUTH_MODE=entra: MCP_AUTH_AUDIENCE must name the app registration "
             "(application ID URI such as api://azsql-mcp, and/or its client id)";
    if (c.auth_scopes_read.empty() || c.auth_scopes_write.empty())
      return "invalid setting MCP_AUTH_SCOPES_READ/MCP_AUTH_SCOPES_WRITE: expected at least one scope name each";
    if (!c.auth_resource.empty() && c.auth_resource.rfind("https://", 0) != 0 && c.auth_resource.rfind("http://", 0) != 0)
      return "invalid setting MCP_AUTH_RESOURCE='" + c.auth_resource + "': expected an absolute https:// URI";
  }
  if (obo) {
    if (c.auth_mode != "entra")
      return "inconsistent settings: AZURE_SQL_AUTH_TYPE=on_behalf_of signs in to the database as each caller, "
             "which needs MCP_AUTH_MODE=entra (MCP_AUTH_MODE is '" + c.auth_mode + "')";
    if (c.azure_sql_server.empty() && c.connection_string.empty())
      return "inconsistent settings: AZURE_SQL_AUTH_TYPE=on_behalf_of needs an Azure SQL database (AZURE_SQL_SERVER)";
    if (c.client_id.empty())
      return "invalid setting AZURE_SQL_AUTH_TYPE=on_behalf_of: AZURE_CLIENT_ID must be the MCP server's app registration";
    if (c.databases.size() > 1)
      return "inconsistent settings: AZURE_SQL_AUTH_TYPE=on_behalf_of serves one database (AZURE_SQL_DATABASE); "
             "AZURE_SQL_DATABASES lists several";
    if (!c.obo_credential.empty() && c.obo_credential != "client_secret" && c.obo_credential != "certificate" &&
        c.obo_credential != "managed_identity" && c.obo_credential != "workload_identity")
      return "invalid setting AZURE_SQL_OBO_CREDENTIAL='" + c.obo_credential +
             "': expected client_secret, certificate, managed_identity or workload_identity";
  } else if (!c.obo_credential.empty()) {
    return "inconsistent settings: AZURE_SQL_OBO_CREDENTIAL is only used with AZURE_SQL_AUTH_TYPE=on_behalf_of";
  }
  return {};
}

std::string default_demo_path(const std::map<std::string, std::string>& env) {
  std::string base;
  if (auto it = env.find("XDG_DATA_HOME"); it != env.end() && !it->second.empty())
    base = it->second;
  else if (auto h = env.find("HOME"); h != env.end() && !h->second.empty())
    base = h->second + "/.local/share";
  else
    base = ".";
  return base + "/azsql-mcp/demo.db";
}

}  // namespace

namespace {

/// The command line: the value of every setting flag given (by its env name), --database, and
/// --help/--version/errors in `outcome` (then false: nothing more to do).
bool parse_command_line(int argc, const char* const* argv, ParseOutcome& outcome,
                        std::map<std::string, std::string>& flag_values, std::string& database_uri) {
  CLI::App cli{"azsql-mcp — a Model Context Protocol server for Azure SQL Database / SQL Server and SQLite.\n"
               "Every setting can also be given as an environment variable or in a .env file in the working "
               "directory (flags > environment > .env > defaults).",
               "azsql-mcp"};
  cli.get_formatter()->column_width(44);
  for (const auto& s : setting_specs()) {
    std::string help = std::string(s.help) + " [env " + s.env + (s.def ? std::string(", default ") + s.def : "") + "]";
    cli.add_option_function<std::string>(std::string("--") + s.flag,
                                          [&flag_values, env = s.env](const std::string& v) { flag_values[env] = v; },
                                          help);
  }
  cli.add_option("--database", database_uri, "sqlite:PATH — shorthand for --sqlite-path PATH");
  bool version = false;
  cli.add_flag("--version", version, "print the version and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    outcome.exit_now = true;
    outcome.out = cli.help();
    return false;
  } catch (const CLI::ParseError& e) {
    outcome.error = e.what();
    return false;
  }
  if (version) {
    outcome.exit_now = true;
    outcome.out = std::string("azsql-mcp ") + AZSQL_VERSION + "\n";
    return false;
  }
  return true;
}

/// Every known setting resolved by precedence: flags > environment > .env (--database sets SQLITE_PATH).
bool resolve(Resolver& r, const std::map<std::string, std::string>& flag_values,
             const std::map<std::string, std::string>& environment, const std::string& dotenv_path,
             const std::string& database_uri, std::string& error) {
  for (const auto& s : setting_specs()) {
    if (auto f = flag_values.find(s.env); f != flag_values.end()) {
      r.values[s.env] = f->second;
    } else if (auto e = environment.find(s.env); e != environment.end()) {
      r.values[s.env] = e->second;
    }
  }
  for (const auto& [k, v] : read_dotenv(dotenv_path)) {
    bool known = false;
    for (const auto& s : setting_specs()) known = known || k == s.env;
    if (known && !r.values.count(k)) r.values[k] = v;
  }
  if (!database_uri.empty()) {
    if (database_uri.rfind("sqlite:", 0) != 0) {
      error = "invalid setting --database='" + database_uri + "': expected sqlite:PATH";
      return false;
    }
    r.values["SQLITE_PATH"] = database_uri.substr(7);
  }
  return true;
}

/// The settings taken as written (names, secrets, paths, lists).
void read_text_settings(const Resolver& r, Config& c) {
  c.azure_sql_server = r.str("AZURE_SQL_SERVER");
  c.azure_sql_database = r.str("AZURE_SQL_DATABASE");
  c.connection_string = r.str("AZURE_SQL_CONNECTION_STRING");
  c.username = r.str("AZURE_SQL_USERNAME");
  c.password = r.str("AZURE_SQL_PASSWORD");
  c.managed_identity_client_id = r.str("AZURE_MANAGED_IDENTITY_CLIENT_ID");
  c.tenant_id = r.str("AZURE_TENANT_ID");
  c.client_id = r.str("AZURE_CLIENT_ID");
  c.client_secret = r.str("AZURE_CLIENT_SECRET");
  c.client_certificate_path = r.str("AZURE_CLIENT_CERTIFICATE_PATH");
  c.federated_token_file = r.str("AZURE_FEDERATED_TOKEN_FILE");
  c.authority_host = r.str("AZURE_AUTHORITY_HOST");
  c.access_token = r.str("AZURE_SQL_ACCESS_TOKEN");
  c.hostname_in_certificate = r.str("AZURE_SQL_HOSTNAME_IN_CERTIFICATE");
  c.ca_file = r.str("AZURE_SQL_CA_FILE");
  c.auth_token = r.str("MCP_AUTH_TOKEN");
  c.audit_log = r.str("MCP_AUDIT_LOG");
  c.auth_tenant_id = r.has("MCP_AUTH_TENANT_ID") ? r.str("MCP_AUTH_TENANT_ID") : c.tenant_id;
  c.auth_audiences = split_list(r.str("MCP_AUTH_AUDIENCE"));
  c.auth_allowed_tenants = split_list(r.str("MCP_AUTH_ALLOWED_TENANTS"));
  c.auth_scopes_read = split_list(r.has("MCP_AUTH_SCOPES_READ") ? r.str("MCP_AUTH_SCOPES_READ") : "Sql.Read");
  c.auth_scopes_write = split_list(r.has("MCP_AUTH_SCOPES_WRITE") ? r.str("MCP_AUTH_SCOPES_WRITE") : "Sql.Write");
  c.auth_resource = r.str("MCP_AUTH_RESOURCE");
  c.obo_credential = r.str("AZURE_SQL_OBO_CREDENTIAL");
}

/// Authentication and connection settings with a fixed set of values or a range; false (r.error
/// set) at the first invalid one.
bool read_connection_settings(Resolver& r, Config& c) {
  bool ok = true;
  c.auth_type = c.username.empty() ? "default_credential" : "sql";
  ok = ok && r.one_of("AZURE_SQL_AUTH_TYPE", c.auth_type,
                      {"sql", "managed_identity", "default_credential", "service_principal", "workload_identity",
                       "azure_cli", "access_token", "on_behalf_of"});
  c.auth_mode = c.auth_token.empty() ? "none" : "token";
  ok = ok && r.one_of("MCP_AUTH_MODE", c.auth_mode, {"none", "token", "entra"});
  ok = ok && r.integer("MCP_AUTH_JWKS_MIN_REFRESH", c.auth_jwks_min_refresh_s, 0, 86400);
  ok = ok && r.integer("MCP_AUTH_MAX_USERS", c.auth_max_users, 1, 100000);
  ok = ok && r.integer("MCP_AUTH_USER_POOL_SIZE", c.auth_user_pool_size, 1, 100);
  ok = ok && r.integer("MCP_AUTH_USER_IDLE_TIMEOUT", c.auth_user_idle_timeout_s, 1, 86400);
  ok = ok && r.one_of("AZURE_SQL_ENCRYPT", c.encrypt, {"yes", "strict", "no", "true", "false", "mandatory", "optional"});
  if (c.encrypt == "true" || c.encrypt == "mandatory") c.encrypt = "yes";
  if (c.encrypt == "false" || c.encrypt == "optional") c.encrypt = "no";
  ok = ok && r.boolean("AZURE_SQL_TRUST_SERVER_CERTIFICATE", c.trust_server_certificate);
  if (r.has("AZURE_SQL_APPLICATION_INTENT")) {
    std::string intent;
    ok = ok && r.one_of("AZURE_SQL_APPLICATION_INTENT", intent, {"readonly", "readwrite"});
    c.application_intent = intent == "readonly" ? "ReadOnly" : "";
  }
  ok = ok && r.integer("AZURE_SQL_CONNECTION_TIMEOUT", c.connection_timeout_s, 1, 600);
  return ok;
}

/// Transport, limits, pool and logging settings; false (r.error set) at the first invalid one.
bool read_server_settings(Resolver& r, Config& c) {
  bool ok = r.one_of("MCP_TRANSPORT", c.transport, {"http", "stdio"});
  if (r.has("MCP_HOST")) {
    c.host = r.str("MCP_HOST");
    if (c.host.empty()) ok = ok && r.fail("MCP_HOST", "a host name or IP address");
  }
  ok = ok && r.integer("MCP_PORT", c.port, 0, 65535);
  ok = ok && r.path("MCP_API_PATH", c.api_path) && r.path("MCP_HEALTH_PATH", c.health_path) &&
       r.path("MCP_METRICS_PATH", c.metrics_path);
  ok = ok && r.boolean("MCP_STATELESS_HTTP", c.stateless_http) && r.boolean("MCP_JSON_RESPONSE", c.json_response) &&
       r.boolean("MCP_ENABLE_CORS", c.enable_cors) && r.boolean("MCP_ENABLE_COMPRESSION", c.enable_compression);
  if (r.has("MCP_ALLOWED_ORIGINS")) c.allowed_origins = split_list(r.str("MCP_ALLOWED_ORIGINS"));
  if (r.has("MCP_ALLOWED_HOSTS")) c.allowed_hosts = split_list(r.str("MCP_ALLOWED_HOSTS"));
  ok = ok && r.integer("MCP_MAX_CONCURRENT_REQUESTS", c.max_concurrent_requests, 1, 100000);
  ok = ok && r.integer("MCP_MAX_STREAM_SIZE", c.max_stream_size, 1024, 1LL << 30);
  ok = ok && r.integer("MCP_STREAM_TIMEOUT", c.stream_timeout_s, 1, 86400);
  ok = ok && r.boolean("MCP_READ_ONLY", c.read_only);
  ok = ok && r.boolean("MCP_FAIL_FAST", c.fail_fast);
  ok = ok && r.integer("MCP_QUERY_TIMEOUT", c.query_timeout_s, 1, 86400);
  ok = ok && r.integer("MCP_DEFAULT_ROW_LIMIT", c.default_row_limit, 1, 1000000);
  ok = ok && r.integer("MCP_MAX_ROW_LIMIT", c.max_row_limit, 1, 10000000);
  ok = ok && r.integer("MCP_MAX_RESULT_BYTES", c.max_result_bytes, 1024, 1LL << 31);
  ok = ok && r.integer("MCP_MAX_VALUE_BYTES", c.max_value_bytes, 1024, 1LL << 31);
  ok = ok && r.integer("MCP_MAX_ROW_BYTES", c.max_row_bytes, 1024, 1LL << 32);
  ok = ok && r.integer("MCP_CURSOR_TTL", c.cursor_ttl_s, 1, 86400);
  ok = ok && r.integer("MCP_TASK_TTL", c.task_ttl_s, 1, 7 * 86400) &&
       r.integer("MCP_TASK_QUERY_TIMEOUT", c.task_query_timeout_s, 1, 7 * 86400) &&
       r.integer("MCP_TASK_MAX_PER_OWNER", c.task_max_per_owner, 1, 100000);
  ok = ok && r.integer("CONNECTION_POOL_SIZE", c.pool_size, 0, 1000);
  ok = ok && r.boolean("MCP_AUDIT_REDACT", c.audit_redact);
  ok = ok && r.one_of("LOG_LEVEL", c.log_level, {"debug", "info", "warning", "warn", "error", "critical"});
  if (c.log_level == "warn") c.log_level = "warning";
  ok = ok && r.one_of("LOG_FORMAT", c.log_format, {"text", "json"});
  ok = ok && r.integer("MAX_REQUEST_HISTORY", c.max_request_history, 0, 1000000);
  return ok;
}

/// AZURE_SQL_DATABASES into c.databases (deduplicated ignoring case, the default database first):
/// an error message, or "".
std::string read_databases(const Resolver& r, Config& c) {
  if (!r.has("AZURE_SQL_DATABASES")) return {};
  for (std::string& item : split_list(r.str("AZURE_SQL_DATABASES"))) {
    if (item.size() > 128)
      return "invalid setting AZURE_SQL_DATABASES: '" + item.substr(0, 40) + "…' is longer than 128 characters";
    const bool dup = std::any_of(c.databases.begin(), c.databases.end(),
                                 [&](const std::string& d) { return text::iequals(d, item); });
    if (!dup) c.databases.push_back(std::move(item));
  }
  if (c.azure_sql_server.empty() && c.connection_string.empty() && !c.databases.empty())
    return "invalid setting AZURE_SQL_DATABASES: several databases need a SQL Server "
           "(AZURE_SQL_SERVER or AZURE_SQL_CONNECTION_STRING)";
  // The default (AZURE_SQL_DATABASE, else the first listed) goes first; it is always allowed.
  if (!c.azure_sql_database.empty()) {
    std::erase_if(c.databases, [&](const std::string& d) { return text::iequals(d, c.azure_sql_database); });
    c.databases.insert(c.databases.begin(), c.azure_sql_database);
  }
  return {};
}

/// The SQLite file when no SQL Server is configured, and notices for accepted-but-ignored settings.
void finish_config(const Resolver& r, const std::map<std::string, std::string>& environment, Config& c) {
  if (c.azure_sql_server.empty() && c.connection_string.empty()) {
    if (r.has("SQLITE_PATH") && !r.str("SQLITE_PATH").empty()) {
      c.sqlite_path = r.str("SQLITE_PATH");
    } else {
      c.sqlite_path = default_demo_path(environment);
      c.sqlite_demo = true;
    }
  }
  if (r.has("AZURE_SQL_DRIVER"))
    c.notices.push_back("AZURE_SQL_DRIVER is ignored: azsql-mcp speaks TDS itself and needs no ODBC driver");
  if (r.has("MCP_DEBUG_MODE"))
    c.notices.push_back("MCP_DEBUG_MODE is ignored: set LOG_LEVEL=debug for debug logging");
  if (r.has("TEST_MODE"))
    c.notices.push_back("TEST_MODE is ignored: azsql-mcp has no test mode (the embedded demo database needs no server)");
}

}  // namespace

ParseOutcome parse_config(int argc, const char* const* argv, const std::map<std::string, std::string>& environment,
                          const std::string& dotenv_path) {
  ParseOutcome outcome;
  std::map<std::string, std::string> flag_values;
  std::string database_uri;
  if (!parse_command_line(argc, argv, outcome, flag_values, database_uri)) return outcome;
  Resolver r;
  if (!resolve(r, flag_values, environment, dotenv_path, database_uri, outcome.error)) return outcome;

  Config c;
  read_text_settings(r, c);
  if (!read_connection_settings(r, c) || !read_server_settings(r, c)) {
    outcome.error = r.error;
    return outcome;
  }
  if (c.default_row_limit > c.max_row_limit) {
    outcome.error = "invalid setting MCP_DEFAULT_ROW_LIMIT='" + std::to_string(c.default_row_limit) +
                    "': expected at most MCP_MAX_ROW_LIMIT (" + std::to_string(c.max_row_limit) + ")";
    return outcome;
  }
  if (outcome.error = read_databases(r, c); !outcome.error.empty()) return outcome;
  if (outcome.error = check_auth_settings(c); !outcome.error.empty()) return outcome;
  finish_config(r, environment, c);
  outcome.config = std::move(c);
  return outcome;
}

}  // namespace azsql::app
