// DBA insights for SQL Server / Azure SQL: Query Store top queries, blocking and long-running
// requests, missing and unused indexes, wait statistics, space per table. Read-only T-SQL over the
// sys.* catalog, Query Store views and DMVs; every value travels as an sp_executesql parameter.
#include "common/text.hpp"
#include "db/tds/catalog_rows.hpp"
#include "db/tds/tds_backend.hpp"

namespace azsql::db::tds {

using namespace detail;  // catalog_rows.hpp

namespace {

Value count(std::size_t n) { return Value::integer(static_cast<std::int64_t>(n)); }

/// Idle and background waits that say nothing about the workload (excluded from wait_stats).
constexpr std::string_view kBenignWaits =
    "wait_type NOT LIKE N'%SLEEP%' AND wait_type NOT LIKE N'BROKER[_]%' AND wait_type NOT LIKE N'XE[_]%' "
    "AND wait_type NOT LIKE N'SQLTRACE[_]%' AND wait_type NOT LIKE N'FT[_]IFTS%' "
    "AND wait_type NOT IN (N'CHECKPOINT_QUEUE', N'REQUEST_FOR_DEADLOCK_SEARCH', N'WAITFOR', N'LOGMGR_QUEUE', "
    "N'DIRTY_PAGE_POLL', N'HADR_FILESTREAM_IOMGR_IOCOMPLETION', N'ONDEMAND_TASK_QUEUE', N'CLR_AUTO_EVENT', "
    "N'CLR_MANUAL_EVENT', N'KSOURCE_WAKEUP', N'SOS_WORK_DISPATCHER', N'PREEMPTIVE_XE_DISPATCHER', "
    "N'WAIT_XTP_OFFLINE_CKPT_NEW_LOG', N'XTP_PREEMPTIVE_TASK', N'HADR_WORK_QUEUE', N'HADR_TIMER_TASK', "
    "N'HADR_NOTIFICATION_DEQUEUE', N'HADR_CLUSAPI_CALL', N'PARALLEL_REDO_WORKER_WAIT_WORK', "
    "N'PARALLEL_REDO_DRAIN_WORKER', N'PVS_PREALLOCATE', N'PWAIT_EXTENSIBILITY_CLEANUP_TASK', N'WAIT_FOR_RESULTS')";

}  // namespace

Result<TopQueries> TdsBackend::top_queries(Connection& c, QueryMetric metric, int hours, std::size_t limit) {
  TopQueries out;
  auto state = query(c, "SELECT actual_state_desc FROM sys.database_query_store_options", {}, catalog_options());
  if (!state.ok()) return std::move(state).error();
  out.query_store_state = state->rows.empty() || state->rows[0].empty() ? "OFF" : text(state->rows[0][0]);
  // Runtime stats are per plan and interval; times in microseconds. Totals = avg × executions.
  static constexpr std::string_view kSql =
      "SELECT TOP (@n) agg.query_id, qt.query_sql_text, agg.executions, agg.cpu_ms, agg.duration_ms, "
      "agg.logical_reads, agg.last_execution FROM ("
      "SELECT p.query_id, SUM(rs.count_executions) AS executions, "
      "SUM(rs.avg_cpu_time * rs.count_executions) / 1000.0 AS cpu_ms, "
      "SUM(rs.avg_duration * rs.count_executions) / 1000.0 AS duration_ms, "
      "SUM(rs.avg_logical_io_reads * rs.count_executions) AS logical_reads, "
      "MAX(rs.last_execution_time) AS last_execution "
      "FROM sys.query_store_runtime_stats rs "
      "JOIN sys.query_store_runtime_stats_interval i ON i.runtime_stats_interval_id = rs.runtime_stats_interval_id "
      "JOIN sys.query_store_plan p ON p.plan_id = rs.plan_id "
      "WHERE i.end_time >= DATEADD(hour, -@hours, SYSUTCDATETIME()) GROUP BY p.query_id) agg "
      "JOIN sys.query_store_query q ON q.query_id = agg.query_id "
      "JOIN sys.query_store_query_text qt ON qt.query_text_id = q.query_text_id "
      "ORDER BY CASE @metric WHEN 'duration' THEN agg.duration_ms WHEN 'reads' THEN agg.logical_reads "
      "ELSE agg.cpu_ms END DESC, agg.query_id";
  const char* m = metric == QueryMetric::Duration ? "duration" : metric == QueryMetric::Reads ? "reads" : "cpu";
  auto queries = rows_of<TopQuery>(
      query(c, kSql, {{"@n", count(limit)}, {"@hours", Value::integer(hours)}, {"@metric", Value::text(m)}},
            catalog_options()),
      7, [](const Row& r) {
        return TopQuery{.query_id = num(r[0]), .text = text(r[1]), .executions = num(r[2]), .cpu_ms = dbl(r[3]),
                        .duration_ms = dbl(r[4]), .logical_reads = dbl(r[5]), .last_execution = text(r[6])};
      });
  if (!queries.ok()) return std::move(queries).error();
  out.queries = std::move(*queries);
  return out;
}

Result<std::vector<ActiveRequest>> TdsBackend::active_requests(Connection& c, std::int64_t min_elapsed_ms) {
  // Requests that wait on a lock, hold one others wait on, or run long; plus idle sessions at the
  // head of a chain (they hold locks in an open transaction but run nothing).
  static constexpr std::string_view kSql =
      "SELECT r.session_id, r.blocking_session_id, r.status, r.command, r.wait_type, r.wait_time AS wait_ms, "
      "r.wait_resource, r.total_elapsed_time AS elapsed_ms, r.cpu_time AS cpu_ms, r.logical_reads, "
      "r.open_transaction_count, s.login_name, s.host_name, s.program_name, t.text AS sql_text "
      "FROM sys.dm_exec_requests r JOIN sys.dm_exec_sessions s ON s.session_id = r.session_id "
      "OUTER APPLY sys.dm_exec_sql_text(r.sql_handle) AS t "
      "WHERE r.session_id <> @@SPID AND s.is_user_process = 1 AND (r.blocking_session_id <> 0 "
      "OR r.total_elapsed_time >= @min_ms "
      "OR r.session_id IN (SELECT b.blocking_session_id FROM sys.dm_exec_requests b)) "
      "UNION ALL "
      "SELECT s.session_id, 0, s.status, NULL, NULL, 0, N'', 0, 0, 0, s.open_transaction_count, s.login_name, "
      "s.host_name, s.program_name, NULL FROM sys.dm_exec_sessions s "
      "WHERE s.session_id IN (SELECT b.blocking_session_id FROM sys.dm_exec_requests b) "
      "AND NOT EXISTS (SELECT 1 FROM sys.dm_exec_requests r2 WHERE r2.session_id = s.session_id) "
      "ORDER BY elapsed_ms DESC";
  return rows_of<ActiveRequest>(
      query(c, kSql, {{"@min_ms", Value::integer(min_elapsed_ms)}}, catalog_options()), 15, [](const Row& r) {
        return ActiveRequest{.session_id = num(r[0]), .blocking_session_id = num(r[1]),
                             .status = std::string(text::trim(text(r[2]))),
                             .command = std::string(text::trim(text(r[3]))), .wait_type = text(r[4]),
                             .wait_resource = text(r[6]), .wait_ms = num(r[5]), .elapsed_ms = num(r[7]),
                             .cpu_ms = num(r[8]), .logical_reads = num(r[9]), .open_transactions = num(r[10]),
                             .login = text(r[11]), .host = text(r[12]), .program = text(r[13]),
                             .sql_text = text(r[14])};
      });
}

Result<std::vector<MissingIndex>> TdsBackend::missing_indexes(Connection& c, std::size_t limit) {
  static constexpr std::string_view kSql =
      "SELECT TOP (@n) OBJECT_SCHEMA_NAME(d.object_id) AS schema_name, OBJECT_NAME(d.object_id) AS table_name, "
      "d.equality_columns, d.inequality_columns, d.included_columns, gs.user_seeks, gs.user_scans, "
      "gs.avg_user_impact, gs.avg_total_user_cost * gs.avg_user_impact * (gs.user_seeks + gs.user_scans) AS improvement "
      "FROM sys.dm_db_missing_index_details d "
      "JOIN sys.dm_db_missing_index_groups g ON g.index_handle = d.index_handle "
      "JOIN sys.dm_db_missing_index_group_stats gs ON gs.group_handle = g.index_group_handle "
      "WHERE d.database_id = DB_ID() ORDER BY improvement DESC";
  return rows_of<MissingIndex>(query(c, kSql, {{"@n", count(limit)}}, catalog_options()), 9, [](const Row& r) {
    return MissingIndex{.schema = text(r[0]), .table = text(r[1]), .equality_columns = text(r[2]),
                        .inequality_columns = text(r[3]), .included_columns = text(r[4]), .user_seeks = num(r[5]),
                        .user_scans = num(r[6]), .avg_user_impact = dbl(r[7]), .improvement = dbl(r[8])};
  });
}

Result<std::vector<UnusedIndex>> TdsBackend::unused_indexes(Connection& c, std::size_t limit) {
  // Nonclustered, not backing a key, never read since the last restart (usage stats reset then).
  static constexpr std::string_view kSql =
      "SELECT TOP (@n) s.name AS schema_name, o.name AS table_name, i.name AS index_name, "
      "ISNULL(u.user_updates, 0) AS user_updates "
      "FROM sys.indexes i JOIN sys.objects o ON o.object_id = i.object_id JOIN sys.schemas s ON s.schema_id = o.schema_id "
      "LEFT JOIN sys.dm_db_index_usage_stats u ON u.object_id = i.object_id AND u.index_id = i.index_id "
      "AND u.database_id = DB_ID() "
      "WHERE o.is_ms_shipped = 0 AND o.type = 'U' AND i.index_id > 1 AND i.is_primary_key = 0 "
      "AND i.is_unique_constraint = 0 AND i.is_disabled = 0 "
      "AND ISNULL(u.user_seeks, 0) + ISNULL(u.user_scans, 0) + ISNULL(u.user_lookups, 0) = 0 "
      "ORDER BY ISNULL(u.user_updates, 0) DESC, s.name, o.name, i.name";
  return rows_of<UnusedIndex>(query(c, kSql, {{"@n", count(limit)}}, catalog_options()), 4, [](const Row& r) {
    return UnusedIndex{text(r[0]), text(r[1]), text(r[2]), num(r[3])};
  });
}

Result<std::vector<WaitStat>> TdsBackend::wait_stats(Connection& c, std::size_t limit) {
  auto ed = query(c, "SELECT CAST(SERVERPROPERTY('EngineEdition') AS int)", {}, catalog_options());
  if (!ed.ok()) return std::move(ed).error();
  const bool azure_db = !ed->rows.empty() && !ed->rows[0].empty() && num(ed->rows[0][0]) == 5;
  std::string sql =
      "SELECT TOP (@n) wait_type, waiting_tasks_count, wait_time_ms, signal_wait_time_ms, max_wait_time_ms, "
      "100.0 * wait_time_ms / SUM(wait_time_ms) OVER () AS pct FROM ";
  sql += azure_db ? "sys.dm_db_wait_stats" : "sys.dm_os_wait_stats";
  sql += " WHERE wait_time_ms > 0 AND ";
  sql += kBenignWaits;
  sql += " ORDER BY wait_time_ms DESC";
  return rows_of<WaitStat>(query(c, sql, {{"@n", count(limit)}}, catalog_options()), 6, [](const Row& r) {
    return WaitStat{text(r[0]), num(r[1]), num(r[2]), num(r[3]), num(r[4]), dbl(r[5])};
  });
}

Result<std::vector<TableSpace>> TdsBackend::table_space(Connection& c, const std::string& schema, std::size_t limit) {
  static constexpr std::string_view kSql =
      "SELECT TOP (@n) s.name AS schema_name, t.name AS table_name, "
      "SUM(CASE WHEN ps.index_id IN (0, 1) THEN ps.row_count ELSE 0 END) AS row_count, "
      "SUM(ps.reserved_page_count) * 8 AS reserved_kb, SUM(ps.used_page_count) * 8 AS used_kb, "
      "SUM(CASE WHEN ps.index_id IN (0, 1) THEN ps.in_row_data_page_count + ps.lob_used_page_count "
      "+ ps.row_overflow_used_page_count ELSE 0 END) * 8 AS data_kb "
      "FROM sys.dm_db_partition_stats ps JOIN sys.tables t ON t.object_id = ps.object_id "
      "JOIN sys.schemas s ON s.schema_id = t.schema_id "
      "WHERE t.is_ms_shipped = 0 AND (@schema IS NULL OR s.name = @schema) "
      "GROUP BY s.name, t.name ORDER BY reserved_kb DESC, s.name, t.name";
  const Params p{{"@n", count(limit)}, {"@schema", schema.empty() ? Value::null() : Value::text(schema)}};
  return rows_of<TableSpace>(query(c, kSql, p, catalog_options()), 6, [](const Row& r) {
    return TableSpace{text(r[0]), text(r[1]), num(r[2]), num(r[3]), num(r[4]), num(r[5])};
  });
}

}  // namespace azsql::db::tds
