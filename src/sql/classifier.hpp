#pragma once
/// Statement classification for T-SQL and SQLite (PRODUCT.md §5). Pure: no I/O, no allocation
/// beyond the result, never throws, safe on arbitrary (hostile) input.
#include <string>
#include <string_view>
#include <vector>

#include "common/dialect.hpp"

namespace azsql::sql {

enum class StatementKind {
  Select,       ///< SELECT / WITH ... SELECT / VALUES / (T-SQL) a read-only query
  Insert,
  Update,
  Delete,
  Merge,
  Ddl,          ///< CREATE / ALTER / DROP / TRUNCATE / RENAME ...
  Exec,         ///< EXEC / EXECUTE / dynamic SQL
  Transaction,  ///< BEGIN / COMMIT / ROLLBACK / SAVE / SAVEPOINT / RELEASE
  Set,          ///< SET / DECLARE / USE
  Pragma,
  Attach,       ///< ATTACH / DETACH
  Other,        ///< anything else (GRANT, BACKUP, DBCC, VACUUM, ...)
};

const char* to_string(StatementKind k) noexcept;

struct StatementInfo {
  StatementKind kind = StatementKind::Other;
  std::size_t begin = 0, end = 0;  ///< byte range in the input
  bool has_where = false;          ///< top-level WHERE present (UPDATE/DELETE)
  bool select_into = false;        ///< SELECT ... INTO
  bool modifies_data = false;      ///< a CTE/sub-part writes (WITH x AS (...) DELETE ...)
  /// Dangerous constructs found anywhere in the statement, by rule name:
  /// "xp_call", "openrowset", "openquery", "opendatasource", "bulk_insert", "waitfor",
  /// "sp_configure", "load_extension", "pragma_assignment", "dynamic_sql", ...
  std::vector<std::string> dangers;
};

struct Classification {
  std::vector<StatementInfo> statements;  ///< empty statements (just ';' or comments) are dropped
  std::string error;                      ///< non-empty when the input could not be lexed (unterminated string/comment, too deep)
};

Classification classify(std::string_view sql, Dialect dialect);

/// The decision for one tool. `rule` names the rule that refused it (stable, snake_case),
/// `message` says what to change, in words a model can act on.
struct Verdict {
  bool allowed = false;
  std::string rule;
  std::string message;
  StatementKind kind = StatementKind::Other;
  bool has_where = false;
};

/// read_data / explain_query: exactly one read-only statement, nothing dangerous.
Verdict check_read(std::string_view sql, Dialect dialect);
/// insert_data: exactly one INSERT (INSERT ... SELECT allowed; no dangers).
Verdict check_insert(std::string_view sql, Dialect dialect);
/// update_data: exactly one UPDATE or DELETE (MERGE when allow_merge), with a WHERE unless allow_no_where.
Verdict check_modify(std::string_view sql, Dialect dialect, bool allow_no_where, bool allow_merge);

}  // namespace azsql::sql
