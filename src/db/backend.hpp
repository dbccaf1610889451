#pragma once
/// A configured database: its pool plus the dialect-specific catalog queries the tools need.
/// Tools see only this interface; they never include a driver.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/dialect.hpp"
#include "common/result.hpp"
#include "db/connection.hpp"
#include "db/pool.hpp"

namespace azsql::db {

/// `schema.name`, each part unquoted. schema may be empty (backend default).
struct QualifiedName {
  std::string schema;
  std::string name;
};

struct TableInfo {
  std::string schema;
  std::string name;
  std::string type;                      ///< "table" or "view"
  std::optional<std::int64_t> row_count;  ///< approximate; nullopt when unknown (views)
};

struct ListTablesOptions {
  std::optional<std::string> schema;
  bool include_views = false;
  std::optional<std::string> pattern;  ///< SQL LIKE pattern on the table name (case-insensitive)
};

struct ColumnInfo {
  int ordinal = 0;
  std::string name;
  std::string type;  ///< with length/precision: "nvarchar(50)", "decimal(10,2)", "INTEGER"
  bool nullable = true;
  std::optional<std::string> default_value;
  bool identity = false;
  bool computed = false;
  std::optional<std::string> computed_definition;
  std::optional<std::string> collation;
};

struct ForeignKeyInfo {
  std::string name;
  std::string schema, table;  ///< the referencing table
  std::vector<std::string> columns;
  std::string ref_schema, ref_table;
  std::vector<std::string> ref_columns;
  std::string on_delete, on_update;  ///< "NO ACTION", "CASCADE", ...
};

struct IndexInfo {
  std::string name;
  bool unique = false;
  bool primary_key = false;
  std::string type;  ///< "CLUSTERED", "NONCLUSTERED", "BTREE", ...
  std::vector<std::string> columns;
  std::optional<std::string> filter;
};

struct CheckInfo {
  std::string name;
  std::string definition;
};

struct TableDescription {
  TableInfo table;
  std::vector<ColumnInfo> columns;
  std::vector<std::string> primary_key;
  std::vector<ForeignKeyInfo> foreign_keys;   ///< this table references others
  std::vector<ForeignKeyInfo> referenced_by;  ///< others reference this table
  std::vector<IndexInfo> indexes;
  std::vector<CheckInfo> checks;
};

struct DatabaseInfo {
  std::string backend;          ///< "sqlite" / "sqlserver"
  std::string product;          ///< "SQLite", "Microsoft SQL Server", "Azure SQL Database"
  std::string server_version;
  std::string edition;
  std::string database;
  std::string collation;
  std::optional<int> compatibility_level;
  std::optional<std::int64_t> size_bytes;
  std::string current_user;
  std::vector<std::string> roles;     ///< database/server roles the login holds
  std::vector<std::string> warnings;  ///< e.g. "login is db_owner while read-only mode is on"
};

struct PlanNode {
  int id = 0;
  int parent = 0;
  std::string op;  ///< physical/logical operator or SQLite detail text
  std::string detail;
  std::optional<double> estimated_rows;
  std::optional<double> estimated_cost;
};

struct Plan {
  std::vector<PlanNode> nodes;
  std::vector<std::string> missing_indexes;  ///< suggestions, as CREATE INDEX text or prose
  std::vector<std::string> warnings;         ///< e.g. "full scan of Article"
  std::optional<double> total_cost;
};

struct ObjectMatch {
  std::string type;  ///< "table", "view", "column", "procedure", "function", "index"
  std::string schema;
  std::string name;
  std::string parent;     ///< owning table for columns and indexes
  std::string data_type;  ///< for columns
  std::optional<std::int64_t> row_count;
};

// ---- DBA insights (SQL Server: Query Store and DMVs; other backends answer "not supported")

enum class QueryMetric { Cpu, Duration, Reads };

struct TopQuery {
  std::int64_t query_id = 0;
  std::string text;
  std::int64_t executions = 0;
  double cpu_ms = 0, duration_ms = 0, logical_reads = 0;  ///< totals over the window
  std::string last_execution;
};

struct TopQueries {
  std::string query_store_state;  ///< actual_state_desc: READ_WRITE, READ_ONLY, OFF, ...
  std::vector<TopQuery> queries;
};

/// A request that is blocked, blocks others or runs long (or an idle session that blocks).
struct ActiveRequest {
  std::int64_t session_id = 0;
  std::int64_t blocking_session_id = 0;  ///< 0 = not blocked
  std::string status, command, wait_type, wait_resource;
  std::int64_t wait_ms = 0, elapsed_ms = 0, cpu_ms = 0, logical_reads = 0, open_transactions = 0;
  std::string login, host, program, sql_text;
};

struct MissingIndex {
  std::string schema, table;
  std::string equality_columns, inequality_columns, included_columns;  ///< as the DMV lists them ("[a], [b]")
  std::int64_t user_seeks = 0, user_scans = 0;
  double avg_user_impact = 0;  ///< percent
  double improvement = 0;      ///< avg_total_user_cost * avg_user_impact * (seeks + scans)
};

struct UnusedIndex {
  std::string schema, table, index;
  std::int64_t user_updates = 0;  ///< maintenance paid for no reads since the last restart
};

struct WaitStat {
  std::string wait_type;
  std::int64_t waiting_tasks = 0, wait_ms = 0, signal_wait_ms = 0, max_wait_ms = 0;
  double percent = 0;  ///< of all non-idle wait time
};

struct TableSpace {
  std::string schema, table;
  std::int64_t rows = 0, reserved_kb = 0, used_kb = 0, data_kb = 0;
};

/// A configured database. Catalog methods run on a borrowed connection so callers control
/// pooling and cancellation. Thread-safe.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Dialect dialect() const = 0;
  /// "sqlite" or "sqlserver".
  virtual std::string name() const = 0;
  /// A one-line human description without secrets: "SQLite /path/demo.db", "SQL Server host,1433/db".
  virtual std::string describe() const = 0;
  virtual Pool& pool() = 0;

  /// The statement as this backend runs it. The tools call it only for text the statement classifier
  /// has accepted, and judge the result again. The SQLite backend translates a T-SQL subset
  /// (db/sqlite/tsql_translate.hpp); others return the text unchanged. ErrorKind::InvalidInput names
  /// syntax beyond what the backend accepts. Thread-safe.
  virtual Result<std::string> native_sql(std::string_view sql) const { return std::string(sql); }
  /// One line naming the SQL this backend accepts beyond its dialect ("" = its dialect only), for tool
  /// descriptions, database_info and error hints.
  virtual std::string accepted_sql() const { return {}; }

  virtual Result<std::vector<TableInfo>> list_tables(Connection& c, const ListTablesOptions& o) = 0;
  /// nullopt when the table does not exist.
  virtual Result<std::optional<TableDescription>> describe_table(Connection& c, const QualifiedName& n) = 0;
  virtual Result<DatabaseInfo> database_info(Connection& c) = 0;
  virtual Result<Plan> explain(Connection& c, std::string_view query, const Params& params, const ExecOptions& o) = 0;
  /// `pattern` is a LIKE pattern; `types` empty = all.
  virtual Result<std::vector<ObjectMatch>> search_objects(Connection& c, std::string_view pattern,
                                                          const std::vector<std::string>& types, std::size_t limit) = 0;

  /// True when the DBA insight methods below are implemented (SQL Server); the tools are listed only then.
  virtual bool has_insights() const { return false; }
  /// Query Store: the `limit` queries with the highest total `metric` over the last `hours`.
  virtual Result<TopQueries> top_queries(Connection&, QueryMetric, int /*hours*/, std::size_t /*limit*/) {
    return insights_unsupported();
  }
  /// Requests that are blocked, block others, or have run at least `min_elapsed_ms`.
  virtual Result<std::vector<ActiveRequest>> active_requests(Connection&, std::int64_t /*min_elapsed_ms*/) {
    return insights_unsupported();
  }
  virtual Result<std::vector<MissingIndex>> missing_indexes(Connection&, std::size_t /*limit*/) {
    return insights_unsupported();
  }
  virtual Result<std::vector<UnusedIndex>> unused_indexes(Connection&, std::size_t /*limit*/) {
    return insights_unsupported();
  }
  /// Idle/benign waits excluded.
  virtual Result<std::vector<WaitStat>> wait_stats(Connection&, std::size_t /*limit*/) { return insights_unsupported(); }
  /// Largest tables first; `schema` empty = all.
  virtual Result<std::vector<TableSpace>> table_space(Connection&, const std::string& /*schema*/, std::size_t /*limit*/) {
    return insights_unsupported();
  }

 protected:
  static Error insights_unsupported() {
    return Error::make(ErrorKind::InvalidInput, "DBA insights need SQL Server (Query Store and the DMVs)");
  }
};

}  // namespace azsql::db
