#include "app/backend_factory.hpp"

#include <filesystem>

#include "db/sqlite/demo_database.hpp"
#include "db/sqlite/sqlite_backend.hpp"

namespace azsql::app {

Result<std::shared_ptr<db::Backend>> make_backend(const Config& cfg) {
  if (!cfg.azure_sql_server.empty() || !cfg.connection_string.empty()) {
    // The SQL Server (TDS) backend is wired here once it lands.
    return Error::make(ErrorKind::Unavailable, "the SQL Server backend is not available in this build");
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
  auto backend = db::sqlite::SqliteBackend::open(cfg.sqlite_path, options);
  if (!backend.ok()) return std::move(backend).error();
  return std::shared_ptr<db::Backend>(std::move(backend).value());
}

}  // namespace azsql::app
