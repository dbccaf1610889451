#pragma once
/// The SQL Server catalog backend: a pool of TdsConnection plus T-SQL catalog queries over the
/// sys.* views. Every identifier and value travels as an sp_executesql parameter.
#include <chrono>
#include <memory>
#include <string>

#include "db/backend.hpp"
#include "db/tds/connection.hpp"

namespace azsql::db::tds {

struct TdsBackendOptions {
  TdsOptions connection;
  std::size_t pool_size = 4;  ///< 0 = open one connection per request
  bool read_only_mode = false;  ///< MCP_READ_ONLY: warn when the login could write far more
  std::chrono::milliseconds catalog_timeout{30000};
  bool verify_on_open = true;  ///< open() logs in once to fail fast on bad settings
};

/// A configured SQL Server / Azure SQL database. Thread-safe (each call works on the connection it is given).
class TdsBackend final : public Backend {
 public:
  explicit TdsBackend(TdsBackendOptions options);
  /// Constructs the backend and (with verify_on_open) logs in once.
  static Result<std::shared_ptr<TdsBackend>> open(TdsBackendOptions options);

  Dialect dialect() const override { return Dialect::TSql; }
  std::string name() const override { return "sqlserver"; }
  /// "SQL Server host,port/database" — never credentials.
  std::string describe() const override;
  Pool& pool() override { return pool_; }

  Result<std::vector<TableInfo>> list_tables(Connection& c, const ListTablesOptions& o) override;
  /// Name lookup is case-insensitive; schema defaults to any schema (dbo first).
  Result<std::optional<TableDescription>> describe_table(Connection& c, const QualifiedName& n) override;
  Result<DatabaseInfo> database_info(Connection& c) override;
  /// SET SHOWPLAN_XML ON / query / OFF on the same connection; the XML plan summarised.
  Result<Plan> explain(Connection& c, std::string_view query, const Params& params, const ExecOptions& o) override;
  /// Types: "table", "view", "column", "procedure", "function", "index".
  Result<std::vector<ObjectMatch>> search_objects(Connection& c, std::string_view pattern,
                                                  const std::vector<std::string>& types, std::size_t limit) override;

  // DBA insights (insights.cpp): Query Store and DMVs. They need VIEW DATABASE STATE (Azure SQL) or
  // VIEW SERVER STATE (SQL Server, requests and waits); without it they fail with the server's 297/300.
  bool has_insights() const override { return true; }
  Result<TopQueries> top_queries(Connection& c, QueryMetric metric, int hours, std::size_t limit) override;
  Result<std::vector<ActiveRequest>> active_requests(Connection& c, std::int64_t min_elapsed_ms) override;
  Result<std::vector<MissingIndex>> missing_indexes(Connection& c, std::size_t limit) override;
  Result<std::vector<UnusedIndex>> unused_indexes(Connection& c, std::size_t limit) override;
  /// sys.dm_db_wait_stats on Azure SQL Database (EngineEdition 5), sys.dm_os_wait_stats elsewhere.
  Result<std::vector<WaitStat>> wait_stats(Connection& c, std::size_t limit) override;
  Result<std::vector<TableSpace>> table_space(Connection& c, const std::string& schema, std::size_t limit) override;

 private:
  ExecOptions catalog_options() const;
  TdsBackendOptions options_;
  Pool pool_;
};

/// Summarises a SHOWPLAN_XML document (RelOp operators with estimates, missing indexes,
/// statement cost). Pure; exposed for tests.
Plan summarize_showplan(std::string_view xml);

/// T-SQL type text from sys.types name + sys.columns max_length/precision/scale.
std::string format_sql_type(const std::string& type, std::int64_t max_length, int precision, int scale);

}  // namespace azsql::db::tds
