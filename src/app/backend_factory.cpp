#include "app/backend_factory.hpp"

#include <filesystem>

#include "app/credential_factory.hpp"
#include "db/sqlite/demo_database.hpp"
#include "db/sqlite/sqlite_backend.hpp"
#include "db/tds/connection_string.hpp"
#include "db/tds/tds_backend.hpp"

namespace azsql::app {

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

// SQL Server branch (owned by the TDS module): settings from the variables, overridden by the
// keys present in AZURE_SQL_CONNECTION_STRING.
Result<db::tds::TdsBackendOptions> sqlserver_options(const Config& cfg, AccessTokenFn access_token,
                                                     TokenRefreshFn on_token_refresh, const std::string* database) {
  namespace tds = db::tds;
  tds::TdsBackendOptions o;
  auto& c = o.connection;
  std::string auth = cfg.auth_type;
  std::string user = cfg.username, password = cfg.password, encrypt = cfg.encrypt;
  c.trust_server_certificate = cfg.trust_server_certificate;
  c.hostname_in_certificate = cfg.hostname_in_certificate;
  c.ca_file = cfg.ca_file;
  c.connect_timeout = std::chrono::seconds(cfg.connection_timeout_s);
  c.read_only_intent = cfg.application_intent == "ReadOnly";
  c.database = cfg.azure_sql_database;
  c.max_value_bytes = cfg.max_value_bytes;
  c.max_row_bytes = cfg.max_row_bytes;
  if (!cfg.azure_sql_server.empty()) {
    if (auto s = tds::parse_server(cfg.azure_sql_server, c.host, c.port); !s.ok())
      return Error::make(ErrorKind::InvalidInput, "AZURE_SQL_SERVER: " + s.error().message);
  }
  if (!cfg.connection_string.empty()) {
    auto cs = tds::parse_connection_string(cfg.connection_string);
    if (!cs.ok()) return Error::make(ErrorKind::InvalidInput, "AZURE_SQL_CONNECTION_STRING: " + cs.error().message);
    if (cs->host) { c.host = *cs->host; c.port = cs->port.value_or(1433); }
    if (cs->database) c.database = *cs->database;
    if (cs->user) user = *cs->user;
    if (cs->password) password = *cs->password;
    if (cs->encrypt) encrypt = *cs->encrypt;
    if (cs->trust_server_certificate) c.trust_server_certificate = *cs->trust_server_certificate;
    if (cs->hostname_in_certificate) c.hostname_in_certificate = *cs->hostname_in_certificate;
    if (cs->connect_timeout_s) c.connect_timeout = std::chrono::seconds(*cs->connect_timeout_s);
    if (cs->read_only_intent) c.read_only_intent = *cs->read_only_intent;
    if (cs->application_name) c.app_name = *cs->application_name;
    if (cs->auth_type) auth = *cs->auth_type;
    else if (cs->user && cfg.auth_type == "default_credential") auth = "sql";  // User Id + Password, no Authentication=
  }
  if (database) c.database = *database;
  if (cfg.azure_sql_server.empty() && (cfg.connection_string.empty() || c.host.empty()))
    return Error::make(ErrorKind::InvalidInput, "AZURE_SQL_CONNECTION_STRING: no Server= given");
  if (encrypt == "strict") c.encrypt = tds::EncryptMode::Strict;
  else if (encrypt == "no") c.encrypt = tds::EncryptMode::No;
  else c.encrypt = tds::EncryptMode::Yes;
  if (c.encrypt == tds::EncryptMode::No && !is_loopback(c.host))
    return Error::make(ErrorKind::InvalidInput, "invalid setting AZURE_SQL_ENCRYPT='no' for host '" + c.host +
                                                    "': only allowed for a loopback server (use yes or strict)");
  if (auth == "sql") {
    if (user.empty()) return Error::make(ErrorKind::InvalidInput, "SQL authentication needs AZURE_SQL_USERNAME (or User Id=)");
    c.user = user;
    c.password = password;
  } else if (access_token) {
    c.access_token = std::move(access_token);
  } else if (auth == "on_behalf_of") {
    // Each caller's own token, per connection of their own pool (app/caller_auth.cpp); the shared
    // pool has no identity to sign in with.
    c.access_token = [](bool) -> Result<std::string> {
      return Error::make(ErrorKind::Auth, "on_behalf_of: a database connection needs a signed-in caller");
    };
    o.verify_on_open = false;
    o.pool_size = 0;
  } else {
    // Entra ID (FEDAUTH): one cached credential serves every connection of the pool. The connection
    // string's Authentication= / User Id= / Password= override the variables, as in SqlClient.
    AuthOverrides overrides;
    overrides.auth_type = auth;
    if (user != cfg.username) overrides.user = user;
    if (password != cfg.password) overrides.password = password;
    std::function<void(const auth::RefreshEvent&)> observe;
    if (on_token_refresh)
      observe = [fn = std::move(on_token_refresh)](const auth::RefreshEvent& e) { fn(e.credential, e.ok); };
    auto cred = make_token_credential(cfg, auth::process_environment(), std::move(observe), overrides);
    if (!cred.ok()) return std::move(cred).error();
    c.access_token = tds_access_token(*cred);
    if (!c.access_token)
      return Error::make(ErrorKind::InvalidInput, "authentication type '" + auth + "' gives no Entra token");
  }
  if (auth != "on_behalf_of") o.pool_size = cfg.pool_size;
  o.read_only_mode = cfg.read_only;
  o.catalog_timeout = std::chrono::seconds(cfg.query_timeout_s);
  return o;
}

namespace {

Result<std::shared_ptr<db::Backend>> make_sqlserver_backend(const Config& cfg, AccessTokenFn access_token,
                                                            TokenRefreshFn on_token_refresh, bool verify,
                                                            const std::string* database = nullptr) {
  auto o = sqlserver_options(cfg, std::move(access_token), std::move(on_token_refresh), database);
  if (!o.ok()) return std::move(o).error();
  if (!verify) o->verify_on_open = false;  // on_behalf_of never verifies (no shared identity)
  auto backend = db::tds::TdsBackend::open(std::move(*o));
  if (!backend.ok()) return std::move(backend).error();
  return std::shared_ptr<db::Backend>(std::move(backend).value());
}

}  // namespace

bool reachability_failure(const Error& e) {
  // A database that does not exist under that name or is not granted (4060, 916) is a setting to fix,
  // although drivers retry 4060 as transient.
  if (e.code == 4060 || e.code == 916) return false;
  if (e.kind == ErrorKind::Unavailable || e.kind == ErrorKind::Io || e.kind == ErrorKind::Timeout) return true;
  return e.transient || e.code == 40615 || e.code == 40613;
}

Result<std::vector<std::pair<std::string, std::shared_ptr<db::Backend>>>> make_databases(
    const Config& cfg, AccessTokenFn access_token, TokenRefreshFn on_token_refresh, bool verify) {
  std::vector<std::pair<std::string, std::shared_ptr<db::Backend>>> out;
  if (cfg.databases.empty()) {
    auto b = make_backend(cfg, std::move(access_token), std::move(on_token_refresh), verify);
    if (!b.ok()) return std::move(b).error();
    out.emplace_back(cfg.azure_sql_database, std::move(b).value());
    return out;
  }
  for (const auto& name : cfg.databases) {
    auto b = make_sqlserver_backend(cfg, access_token, on_token_refresh, verify, &name);
    if (!b.ok()) {
      Error e = std::move(b).error();
      e.message = "database '" + name + "' (AZURE_SQL_DATABASES): " + e.message;
      return e;
    }
    out.emplace_back(name, std::move(b).value());
  }
  return out;
}

Result<std::shared_ptr<db::Backend>> make_backend(const Config& cfg, AccessTokenFn access_token,
                                                  TokenRefreshFn on_token_refresh, bool verify) {
  if (!cfg.azure_sql_server.empty() || !cfg.connection_string.empty()) {
    return make_sqlserver_backend(cfg, std::move(access_token), std::move(on_token_refresh), verify);
  }

  // SQLite: the configured file, or the demo database (created on first run).
  if (cfg.sqlite_path.empty()) return Error::make(ErrorKind::InvalidInput, "no SQLite database path configured");
  if (cfg.sqlite_demo) {
    auto created = db::sqlite::create_demo_database(cfg.sqlite_path);
    if (!created.ok()) return std::move(created).error();
  } else {
    std::error_code ec;
    const std::filesystem::path p(cfg.sqlite_path);
    if (p.has_parent_path() && cfg.sqlite_path.rfind("file:", 0) != 0 &&
        !std::filesystem::is_directory(p.parent_path(), ec)) {
      return Error::make(ErrorKind::InvalidInput,
                         "SQLITE_PATH: the directory of '" + cfg.sqlite_path + "' does not exist");
    }
  }
  db::sqlite::BackendOptions options;
  options.pool_size = cfg.pool_size;
  // Read-only mode must not even rewrite the file header: keep the file's journal mode.
  options.open.wal = !cfg.read_only;
  auto backend = db::sqlite::SqliteBackend::open(cfg.sqlite_path, options);
  if (!backend.ok()) return std::move(backend).error();
  return std::shared_ptr<db::Backend>(std::move(backend).value());
}

}  // namespace azsql::app
