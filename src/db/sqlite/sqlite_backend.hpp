#pragma once
/// The SQLite catalog backend: a pool of SqliteConnection plus catalog queries over `sqlite_schema`
/// and the table-valued PRAGMA functions (identifiers always travel as bound parameters).
#include <memory>
#include <string>

#include "db/backend.hpp"
#include "db/sqlite/sqlite_connection.hpp"

namespace azsql::db::sqlite {

struct BackendOptions {
  std::size_t pool_size = 4;  ///< pooled connections; 0 = open one per request and close it after
  OpenOptions open;
  /// Tables whose largest rowid is at most this are counted exactly; larger ones report an estimate
  /// (sqlite_stat1 when ANALYZE ran, else the largest rowid).
  std::int64_t exact_count_bound = 200'000;
  std::chrono::milliseconds catalog_timeout{10000};  ///< per catalog statement
};

/// A configured SQLite database. Thread-safe (each call works on the connection it is given).
class SqliteBackend final : public Backend {
 public:
  SqliteBackend(std::string path, BackendOptions options);

  /// Constructs the backend and opens one connection to check the file is a usable database.
  static Result<std::shared_ptr<SqliteBackend>> open(std::string path, BackendOptions options = {});

  Dialect dialect() const override { return Dialect::SQLite; }
  std::string name() const override { return "sqlite"; }
  /// "SQLite <path>".
  std::string describe() const override { return "SQLite " + path_; }
  Pool& pool() override { return pool_; }
  const std::string& path() const noexcept { return path_; }
  /// T-SQL subset → SQLite (tsql_translate.hpp).
  Result<std::string> native_sql(std::string_view sql) const override;
  std::string accepted_sql() const override;

  /// Tables (and views) of `main` (or the attached schema named in `o.schema`); internal `sqlite_*`
  /// tables are never listed.
  Result<std::vector<TableInfo>> list_tables(Connection& c, const ListTablesOptions& o) override;
  /// Looks the name up case-insensitively, as SQLite resolves names.
  Result<std::optional<TableDescription>> describe_table(Connection& c, const QualifiedName& n) override;
  Result<DatabaseInfo> database_info(Connection& c) override;
  /// EXPLAIN QUERY PLAN; full scans become warnings and, where the query compares columns of the
  /// scanned table, CREATE INDEX suggestions.
  Result<Plan> explain(Connection& c, std::string_view query, const Params& params, const ExecOptions& o) override;
  /// Types: "table", "view", "column", "index", "trigger" (others match nothing).
  Result<std::vector<ObjectMatch>> search_objects(Connection& c, std::string_view pattern,
                                                  const std::vector<std::string>& types, std::size_t limit) override;

 private:
  Result<std::optional<std::int64_t>> approx_row_count(Connection& c, const std::string& schema,
                                                       const std::string& table);
  ExecOptions catalog_options() const;

  std::string path_;
  BackendOptions options_;
  Pool pool_;
};

}  // namespace azsql::db::sqlite
