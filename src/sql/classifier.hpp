#pragma once
/// Statement classification for T-SQL and SQLite (PRODUCT.md §5). Pure: no I/O, never throws,
/// linear time, no recursion; safe on arbitrary (hostile) input. Thread-safe (no shared mutable state).
///
/// How statements are found: the input is tokenized (sql/lexer.hpp: comments, strings, bracketed /
/// quoted names, nested T-SQL comments). Statements end at ';'. SQLite rejects `SELECT 1 SELECT 2`,
/// but we still split there at its reserved statement keywords (SELECT, VALUES, INSERT, UPDATE,
/// DELETE, CREATE, DROP, ALTER) unless they continue the statement, so the refusal is ours. T-SQL
/// also starts a new statement at a statement-leading keyword at parenthesis depth 0 (SELECT, INSERT, DELETE, EXEC, COMMIT, DECLARE, ... — `SELECT 1 SELECT 2` and
/// newline-separated statements are two statements) unless the keyword continues the current one
/// (UNION/EXCEPT/INTERSECT SELECT, the body of WITH ..., INSERT ... SELECT/EXEC, MERGE ... THEN
/// UPDATE/INSERT/DELETE, UPDATE ... SET, table hints `WITH (...)`, `WITH TIES/ROLLUP/CUBE`,
/// `OFFSET ... FETCH`, `CASE ... ELSE ... END`, `INNER MERGE JOIN`). When unsure it splits: a
/// spurious split only refuses, a missed one could let a write through.
#include <cstddef>
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
  Exec,         ///< EXEC / EXECUTE / dynamic SQL / a T-SQL batch that starts with a procedure name
  Transaction,  ///< BEGIN / COMMIT / ROLLBACK / SAVE / SAVEPOINT / RELEASE
  Set,          ///< SET / DECLARE / USE
  Pragma,
  Attach,       ///< ATTACH / DETACH
  Other,        ///< anything else (GRANT, BACKUP, DBCC, VACUUM, ...)
};

/// Lower-case name of a kind ("select", "insert", ...).
const char* to_string(StatementKind k) noexcept;

/// What one statement is and what it contains.
struct StatementInfo {
  StatementKind kind = StatementKind::Other;
  std::size_t begin = 0, end = 0;  ///< byte range in the input (first token to last token, no ';')
  bool has_where = false;          ///< top-level WHERE present (UPDATE/DELETE); one in a subquery does not count
  bool select_into = false;        ///< SELECT ... INTO
  /// The statement writes data: an INSERT/UPDATE/DELETE/MERGE (also after WITH ...), SELECT ... INTO,
  /// OUTPUT ... INTO, or a write nested in parentheses (composable DML).
  bool modifies_data = false;
  bool output_into = false;        ///< T-SQL OUTPUT ... INTO (writes a second table)
  bool nested_write = false;       ///< INSERT/UPDATE/DELETE/MERGE inside parentheses
  bool locking_hint = false;       ///< T-SQL UPDLOCK / XLOCK / HOLDLOCK / TABLOCK / TABLOCKX / PAGLOCK hint
  bool with_cte = false;           ///< starts with WITH (common table expressions)
  /// T-SQL NEXT VALUE FOR: advances a sequence even when the transaction rolls back (refused by
  /// check_read as "dangerous_function:next_value_for"; fine in INSERT/UPDATE).
  bool sequence_advance = false;
  /// Dangerous constructs found anywhere in the statement, by rule name:
  /// "xp_call" (xp_*, sp_OA*), "openrowset", "openquery", "opendatasource", "bulk_insert", "waitfor",
  /// "sp_configure", "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "fsdir",
  /// "zipfile", "server_file_read" (sys.fn_get_audit_file, fn_xe_file_target_read_file,
  /// fn_trace_gettable), "odbc_call" (T-SQL `{call p}`),
  /// "pragma_assignment", "dynamic_sql" (EXEC(...), EXEC @s, EXEC '...', sp_executesql), "insert_exec",
  /// "shutdown", "kill", "reconfigure",
  /// "dbcc", "backup", "restore", "grant", "revoke", "deny", "alter_login" / "create_login" /
  /// "drop_login", "execute_as", "attach", "detach".
  std::vector<std::string> dangers;
};

/// The statements of an input, or why it could not be read.
struct Classification {
  std::vector<StatementInfo> statements;  ///< empty statements (just ';' or comments) are dropped
  /// Non-empty when the input could not be read (unterminated string/comment, unbalanced
  /// parentheses, too deep, too long, unusual whitespace); `statements` is then empty.
  std::string error;
  /// Rule name for `error`: "lex_error", "unusual_whitespace", "unbalanced_parentheses",
  /// "too_deep", "too_long".
  std::string error_rule;
};

/// Longest input classify() reads (1 MiB); longer inputs get error_rule "too_long".
inline constexpr std::size_t kMaxStatementBytes = 1u << 20;
/// Deepest parenthesis nesting classify() accepts; deeper inputs get error_rule "too_deep".
inline constexpr std::size_t kMaxNestingDepth = 200;

/// Splits `sql` into statements and describes each (see src/sql/README.md for the rules). Never
/// throws: if memory runs out the result carries error_rule "too_long".
Classification classify(std::string_view sql, Dialect dialect);

/// The decision for one tool. `rule` names the rule that refused it (stable, snake_case),
/// `message` says what to change, in words a model can act on.
///
/// Rules: "too_long", "lex_error", "unusual_whitespace", "unbalanced_parentheses", "too_deep",
/// "empty", "multiple_statements", "dangerous_function:<danger>" (see StatementInfo::dangers),
/// "not_read_only" (read: not a query, or a query that writes), "select_into", "locking_hint",
/// "not_insert", "output_into", "nested_write", "not_update_or_delete", "merge_not_allowed",
/// "missing_where", "unrecognised_statement" (the first word is no SQL keyword: a typo such as
/// `SELEC * FRM t`; the message names the word, its offset and the nearest statement keyword).
struct Verdict {
  bool allowed = false;
  std::string rule;
  std::string message;
  StatementKind kind = StatementKind::Other;
  bool has_where = false;
};

/// read_data / explain_query: exactly one read-only statement (SELECT, WITH ... SELECT, VALUES,
/// parenthesised SELECT), nothing dangerous, no SELECT ... INTO, no T-SQL locking hints (a read
/// must not take update/exclusive locks). PRAGMA is refused too, even reading ones (SQLite: use
/// `SELECT * FROM pragma_table_info('t')`).
Verdict check_read(std::string_view sql, Dialect dialect);
/// insert_data: exactly one INSERT (INSERT ... SELECT / VALUES / DEFAULT VALUES, WITH ... INSERT,
/// SQLite REPLACE / INSERT OR REPLACE / ON CONFLICT upserts); no dangers, no INSERT ... EXEC, no
/// OUTPUT ... INTO, no write nested in parentheses.
Verdict check_insert(std::string_view sql, Dialect dialect);
/// update_data: exactly one UPDATE or DELETE (MERGE when allow_merge), with a top-level WHERE unless
/// allow_no_where (MERGE needs none: its ON clause is the filter); no dangers, no OUTPUT ... INTO,
/// no write nested in parentheses.
Verdict check_modify(std::string_view sql, Dialect dialect, bool allow_no_where, bool allow_merge);

}  // namespace azsql::sql
