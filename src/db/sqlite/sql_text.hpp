#pragma once
/// Small, pure helpers over SQLite SQL text used by the driver and the catalog: skipping comments,
/// quoting identifiers, and pulling CHECK constraints, generated-column expressions and collations
/// out of a CREATE TABLE statement (SQLite keeps only the text). Never throw. Tokens come from the
/// project's one SQL scanner, sql::lex, in lenient mode (src/sql/README.md, "Lenient reading").
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace azsql::db::sqlite {

/// Position of the first character at or after `pos` that is not whitespace, a `--` or `/* */`
/// comment, or (when `semicolons`) a `;`. Returns text.size() when only those remain.
std::size_t skip_insignificant(std::string_view text, std::size_t pos, bool semicolons);

/// True when `text` holds only whitespace, comments and semicolons.
bool is_blank_sql(std::string_view text);

/// The first keyword of the statement, upper-cased ("SELECT", "INSERT", "WITH", ...), or "".
std::string first_keyword(std::string_view sql);

/// `"na""me"`: SQLite's standard identifier quoting.
std::string quote_ident(std::string_view name);

/// One item parsed from a CREATE TABLE column list.
struct ParsedCheck {
  std::string name;        ///< CONSTRAINT name, or "" when unnamed
  std::string column;      ///< for a column constraint, the column it is declared on
  std::string definition;  ///< the expression inside CHECK ( … ), as written
};

struct ParsedColumn {
  std::string name;
  std::optional<std::string> generated;  ///< the expression inside AS ( … )
  std::optional<std::string> collation;  ///< COLLATE name
  bool autoincrement = false;
};

struct ParsedTable {
  std::vector<ParsedColumn> columns;
  std::vector<ParsedCheck> checks;
};

/// Parses the column list of `CREATE TABLE name ( … )`. Unknown or malformed text yields what could
/// be understood (possibly nothing); it never fails.
ParsedTable parse_create_table(std::string_view create_sql);

/// The text after the top-level WHERE of `CREATE INDEX … WHERE expr` (a partial index), if any.
std::optional<std::string> index_where_clause(std::string_view create_index_sql);

/// Identifiers (unquoted, last part of a dotted name) that stand directly before a comparison
/// (`=`, `<`, `>`, `!=`, `<>`, IN, LIKE, GLOB, BETWEEN, IS) anywhere in `sql`: the columns a query filters
/// or joins on, for index suggestions. Upper-case keywords are never reported.
std::vector<std::string> compared_identifiers(std::string_view sql);

}  // namespace azsql::db::sqlite
