#include "db/sqlite/tsql_translate.hpp"

#include <map>
#include <optional>
#include <vector>

#include "common/text.hpp"
#include "sql/classifier.hpp"
#include "sql/lexer.hpp"

namespace azsql::db::sqlite {

const char* const kTsqlSubset =
    "SQLite SQL, plus this T-SQL subset: TOP n / TOP (n), [bracketed] names, N'...', dbo. prefixes, "
    "GETDATE() / SYSDATETIME(), ISNULL, LEN, CHARINDEX, CONCAT, DATEADD / DATEDIFF / DATEPART (year, quarter, "
    "month, day, hour, minute, second), YEAR / MONTH / DAY, OFFSET ... ROWS FETCH NEXT ... ROWS ONLY, "
    "CAST / CONVERT to T-SQL types, WITH (NOLOCK), and the catalog views sys.tables, sys.views, sys.objects, "
    "sys.columns, sys.schemas, INFORMATION_SCHEMA.TABLES / COLUMNS";

namespace {

using sql::Token;
using sql::TokenKind;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

// Catalog views, emulated over sqlite_schema and pragma_table_info (both readable in read-only mode).
constexpr const char* kUserObjects = "m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
const std::map<std::string, std::string>& catalog_views() {
  static const std::map<std::string, std::string> views = {
      {"sys.tables",
       std::string("SELECT m.name AS name, m.rowid AS object_id, 1 AS schema_id, 'U' AS type, 'USER_TABLE' AS "
                   "type_desc, NULL AS create_date, NULL AS modify_date FROM sqlite_schema AS m WHERE m.type = "
                   "'table' AND ") + kUserObjects},
      {"sys.views",
       std::string("SELECT m.name AS name, m.rowid AS object_id, 1 AS schema_id, 'V' AS type, 'VIEW' AS type_desc "
                   "FROM sqlite_schema AS m WHERE m.type = 'view' AND ") + kUserObjects},
      {"sys.objects",
       std::string("SELECT m.name AS name, m.rowid AS object_id, 1 AS schema_id, 0 AS parent_object_id, CASE m.type "
                   "WHEN 'view' THEN 'V' ELSE 'U' END AS type, CASE m.type WHEN 'view' THEN 'VIEW' ELSE "
                   "'USER_TABLE' END AS type_desc, 0 AS is_ms_shipped FROM sqlite_schema AS m WHERE m.type IN "
                   "('table', 'view') AND ") + kUserObjects},
      {"sys.columns",
       std::string("SELECT m.rowid AS object_id, c.name AS name, c.cid + 1 AS column_id, c.type AS system_type_name, "
                   "CASE WHEN c.\"notnull\" = 1 OR (c.pk > 0 AND upper(c.type) = 'INTEGER') THEN 0 ELSE 1 END AS "
                   "is_nullable, CASE WHEN c.pk = 1 AND upper(c.type) = 'INTEGER' THEN 1 ELSE 0 END AS is_identity, "
                   "0 AS is_computed, c.dflt_value AS default_definition FROM sqlite_schema AS m JOIN "
                   "pragma_table_info(m.name) AS c WHERE m.type IN ('table', 'view') AND ") + kUserObjects},
      {"sys.schemas", "SELECT 'dbo' AS name, 1 AS schema_id, 1 AS principal_id"},
      {"information_schema.tables",
       std::string("SELECT 'main' AS TABLE_CATALOG, 'dbo' AS TABLE_SCHEMA, m.name AS TABLE_NAME, CASE m.type WHEN "
                   "'view' THEN 'VIEW' ELSE 'BASE TABLE' END AS TABLE_TYPE FROM sqlite_schema AS m WHERE m.type IN "
                   "('table', 'view') AND ") + kUserObjects},
      {"information_schema.columns",
       std::string("SELECT 'main' AS TABLE_CATALOG, 'dbo' AS TABLE_SCHEMA, m.name AS TABLE_NAME, c.name AS "
                   "COLUMN_NAME, c.cid + 1 AS ORDINAL_POSITION, c.dflt_value AS COLUMN_DEFAULT, CASE WHEN "
                   "c.\"notnull\" = 1 OR (c.pk > 0 AND upper(c.type) = 'INTEGER') THEN 'NO' ELSE 'YES' END AS "
                   "IS_NULLABLE, lower(trim(CASE WHEN instr(c.type, '(') > 0 THEN substr(c.type, 1, instr(c.type, "
                   "'(') - 1) ELSE c.type END)) AS DATA_TYPE, CASE WHEN instr(c.type, '(') > 0 AND upper(c.type) "
                   "LIKE '%CHAR%' THEN CAST(substr(c.type, instr(c.type, '(') + 1) AS INTEGER) END AS "
                   "CHARACTER_MAXIMUM_LENGTH FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS c WHERE "
                   "m.type IN ('table', 'view') AND ") + kUserObjects},
  };
  return views;
}

/// T-SQL functions with no translation: named in the error instead of SQLite's "no such function".
bool untranslated_function(const std::string& lower) {
  static const char* const kNames[] = {
      "format", "datename", "eomonth", "datefromparts", "datetimefromparts", "try_convert", "stuff", "patindex",
      "object_id", "object_name", "schema_name", "db_name", "db_id", "suser_sname", "suser_name", "user_name",
      "scope_identity", "string_split", "openjson", "datetrunc", "sysdatetimeoffset", "switchoffset",
      "todatetimeoffset", "quotename", "replicate", "space", "str", "col_length", "has_perms_by_name",
      "serverproperty", "databasepropertyex", "objectproperty", "is_member", "original_login", "host_name"};
  for (const char* n : kNames) {
    if (lower == n) return true;
  }
  return false;
}

/// DATEADD / DATEDIFF / DATEPART parts: the canonical part for a T-SQL name or abbreviation.
std::string date_part(std::string_view word) {
  static const std::map<std::string, std::string> parts = {
      {"year", "year"},     {"yy", "year"},       {"yyyy", "year"},   {"quarter", "quarter"}, {"qq", "quarter"},
      {"q", "quarter"},     {"month", "month"},   {"mm", "month"},    {"m", "month"},         {"day", "day"},
      {"dd", "day"},        {"d", "day"},         {"dayofyear", "dayofyear"}, {"dy", "dayofyear"},
      {"y", "dayofyear"},   {"week", "week"},     {"wk", "week"},     {"ww", "week"},         {"weekday", "weekday"},
      {"dw", "weekday"},    {"w", "weekday"},     {"hour", "hour"},   {"hh", "hour"},         {"minute", "minute"},
      {"mi", "minute"},     {"n", "minute"},      {"second", "second"}, {"ss", "second"},     {"s", "second"}};
  auto it = parts.find(text::to_lower(word));
  return it == parts.end() ? std::string() : it->second;
}

/// A T-SQL type name in CAST/CONVERT as SQLite reads it; `args` is the text inside its parentheses.
std::string sqlite_type(const std::string& lower, const std::vector<std::string>& args) {
  if (lower == "date" || lower == "datetime" || lower == "datetime2" || lower == "smalldatetime" ||
      lower == "time" || lower == "datetimeoffset" || lower == "uniqueidentifier" || lower == "xml" ||
      lower == "sql_variant" || lower.find("char") != std::string::npos || lower == "text" || lower == "ntext" ||
      lower == "sysname")
    return "TEXT";
  if (lower == "binary" || lower == "varbinary" || lower == "image" || lower == "rowversion") return "BLOB";
  if (lower == "bit" || lower == "tinyint" || lower == "smallint" || lower == "int" || lower == "bigint")
    return "INTEGER";
  if (lower == "float" || lower == "real") return "REAL";
  if (lower == "decimal" || lower == "numeric" || lower == "money" || lower == "smallmoney")
    return args.size() == 2 ? "REAL" : "NUMERIC";
  return std::string();
}

class Translator {
 public:
  explicit Translator(std::string_view src) : src_(src) {}

  Result<std::string> run() {
    auto lexed = sql::lex(src_, Dialect::SQLite);
    if (!lexed.error_rule.empty() || lexed.tokens.empty()) return std::string(src_);
    toks_ = std::move(lexed.tokens);
    if (!pair_parentheses()) return std::string(src_);
    number_parameters();
    std::size_t last = toks_.size();
    while (last > 0 && toks_[last - 1].kind == TokenKind::Semicolon) --last;
    std::string out = emit(0, last, 0);
    for (std::size_t i = last; i < toks_.size(); ++i) out += piece(i);
    out += src_.substr(toks_.back().end);
    if (error_) return Error::make(ErrorKind::InvalidInput, *error_);
    if (!changed_) return std::string(src_);
    return out;
  }

 private:
  std::string_view text(std::size_t i) const { return src_.substr(toks_[i].begin, toks_[i].end - toks_[i].begin); }
  /// The whitespace and comments before token i.
  std::string_view lead(std::size_t i) const {
    const std::size_t from = i == 0 ? 0 : toks_[i - 1].end;
    return src_.substr(from, toks_[i].begin - from);
  }
  /// Token i as written (a numbered form for an anonymous `?`), with what precedes it.
  std::string piece(std::size_t i) const {
    std::string s(lead(i));
    s += var_text_[i].empty() ? std::string(text(i)) : var_text_[i];
    return s;
  }
  bool is(std::size_t i, std::size_t end, TokenKind k) const { return i < end && toks_[i].kind == k; }
  bool word(std::size_t i, std::size_t end, std::string_view w) const {
    return is(i, end, TokenKind::Word) && text::iequals(text(i), w);
  }
  /// A Word or quoted name, unquoted and lower-cased; "" for other tokens.
  std::string name(std::size_t i, std::size_t end) const {
    if (is(i, end, TokenKind::Word)) return text::to_lower(text(i));
    if (is(i, end, TokenKind::QuotedIdent)) return text::to_lower(sql::unquote_identifier(text(i), Dialect::SQLite));
    return std::string();
  }
  void fail(std::string what) {
    if (!error_) {
      error_ = what + " is T-SQL beyond what the embedded SQLite demo database translates. It accepts " +
               kTsqlSubset + ". Rewrite the statement in SQLite SQL or within that subset.";
    }
  }

  bool pair_parentheses() {
    match_.assign(toks_.size(), kNone);
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < toks_.size(); ++i) {
      if (toks_[i].kind == TokenKind::LParen) open.push_back(i);
      if (toks_[i].kind == TokenKind::RParen) {
        if (open.empty()) return false;
        match_[open.back()] = i;
        open.pop_back();
      }
    }
    return open.empty();
  }

  /// SQLite numbers an anonymous `?` one above the largest number assigned so far (named parameters take
  /// the next number at their first use). Translation may move or repeat an argument, so every anonymous
  /// `?` is written with the number SQLite would have given it: positional binding is unchanged.
  void number_parameters() {
    var_text_.assign(toks_.size(), std::string());
    std::map<std::string, long> named;
    long largest = 0;
    for (std::size_t i = 0; i < toks_.size(); ++i) {
      if (toks_[i].kind != TokenKind::Variable) continue;
      const std::string t(text(i));
      if (t == "?") {
        var_text_[i] = "?" + std::to_string(++largest);
      } else if (t[0] == '?') {
        largest = std::max(largest, std::strtol(t.c_str() + 1, nullptr, 10));
      } else if (!named.count(t)) {
        named[t] = ++largest;
      }
    }
  }

  /// Splits the tokens of (open, close) at top-level commas.
  std::vector<std::pair<std::size_t, std::size_t>> split_args(std::size_t open, std::size_t close) const {
    std::vector<std::pair<std::size_t, std::size_t>> args;
    std::size_t start = open + 1;
    for (std::size_t i = open + 1; i < close; ++i) {
      if (toks_[i].kind == TokenKind::LParen) i = match_[i];
      else if (toks_[i].kind == TokenKind::Comma) {
        args.emplace_back(start, i);
        start = i + 1;
      }
    }
    if (start < close || !args.empty()) args.emplace_back(start, close);
    return args;
  }

  std::string emit(std::size_t a, std::size_t b, int depth);
  bool emit_catalog_view(std::size_t& i, std::size_t b, std::string& out);
  bool emit_function(std::size_t& i, std::size_t b, int depth, std::string& out);
  bool emit_date_function(const std::string& fn, std::size_t i, int depth, std::string& out);
  bool emit_cast(const std::string& fn, std::size_t i, int depth, std::string& out);
  bool emit_offset_fetch(std::size_t& i, std::size_t b, int depth, std::string& out);

  std::string_view src_;
  std::vector<Token> toks_;
  std::vector<std::size_t> match_;
  std::vector<std::string> var_text_;
  bool changed_ = false;
  std::optional<std::string> error_;
};

/// Tokens [a, b) at one parenthesis level: the scope of one query (its TOP becomes a LIMIT at the end).
std::string Translator::emit(std::size_t a, std::size_t b, int depth) {
  std::string out;
  if (depth > static_cast<int>(sql::kMaxNestingDepth)) {
    fail("nesting deeper than " + std::to_string(sql::kMaxNestingDepth) + " parentheses");
    return out;
  }
  std::optional<std::string> limit;
  bool compound = false, offset_fetch = false;
  for (std::size_t i = a; i < b && !error_; ++i) {
    const Token& t = toks_[i];
    if (t.kind == TokenKind::Word && (text(i) == "N" || text(i) == "n") && is(i + 1, b, TokenKind::String) &&
        toks_[i + 1].begin == t.end) {
      out += lead(i);  // N'text': SQLite strings are Unicode already
      changed_ = true;
      continue;
    }
    if (name(i, b) == "dbo" && is(i + 1, b, TokenKind::Dot) && (i == 0 || toks_[i - 1].kind != TokenKind::Dot)) {
      out += lead(i);
      ++i;  // the dot; the name that follows keeps its own text
      changed_ = true;
      continue;
    }
    if (emit_catalog_view(i, b, out)) continue;
    if (word(i, b, "SELECT")) {
      out += piece(i);
      std::size_t k = i + 1;
      if (word(k, b, "DISTINCT") || word(k, b, "ALL")) out += piece(k++);
      if (word(k, b, "TOP") && (is(k + 1, b, TokenKind::Number) || is(k + 1, b, TokenKind::Variable) ||
                                is(k + 1, b, TokenKind::LParen))) {
        if (compound || limit) fail("TOP in a UNION, EXCEPT or INTERSECT");
        std::size_t end = k + 2;
        if (is(k + 1, b, TokenKind::LParen)) {
          end = match_[k + 1] + 1;
          limit = "(" + emit(k + 2, end - 1, depth + 1) + ")";
        } else {
          limit = var_text_[k + 1].empty() ? std::string(text(k + 1)) : var_text_[k + 1];
        }
        if (word(end, b, "PERCENT")) fail("TOP ... PERCENT");
        if (word(end, b, "WITH") && word(end + 1, b, "TIES")) fail("TOP ... WITH TIES");
        out += lead(k);
        changed_ = true;
        i = end - 1;
      } else {
        i = k - 1;
      }
      continue;
    }
    if (word(i, b, "TOP") && (is(i + 1, b, TokenKind::Number) || is(i + 1, b, TokenKind::LParen))) {
      fail("TOP outside a SELECT list (UPDATE / DELETE / INSERT TOP)");
      continue;
    }
    if (word(i, b, "UNION") || word(i, b, "EXCEPT") || word(i, b, "INTERSECT")) {
      if (limit) fail("TOP in a UNION, EXCEPT or INTERSECT");
      compound = true;
    }
    if (word(i, b, "APPLY") || word(i, b, "PIVOT") || word(i, b, "UNPIVOT")) fail(text::to_lower(text(i)) == "apply" ? "CROSS/OUTER APPLY" : std::string(text(i)));
    if (word(i, b, "FOR") && (word(i + 1, b, "XML") || word(i + 1, b, "JSON") || word(i + 1, b, "BROWSE")))
      fail("FOR " + std::string(text(i + 1)));
    if (word(i, b, "OFFSET") && emit_offset_fetch(i, b, depth, out)) {
      offset_fetch = true;
      continue;
    }
    if (word(i, b, "WITH") && is(i + 1, b, TokenKind::LParen)) {
      bool hints_only = match_[i + 1] > i + 2;
      for (std::size_t k = i + 2; k < match_[i + 1]; ++k) {
        hints_only = hints_only && (word(k, b, "NOLOCK") || word(k, b, "READUNCOMMITTED") || is(k, b, TokenKind::Comma));
      }
      if (hints_only) {  // SQLite readers never block writers' commits the same way; the hint has no meaning
        out += lead(i);
        i = match_[i + 1];
        changed_ = true;
        continue;
      }
    }
    if (emit_function(i, b, depth, out)) continue;
    if (t.kind == TokenKind::LParen) {
      const std::size_t close = match_[i];
      out += piece(i) + emit(i + 1, close, depth + 1) + piece(close);
      i = close;
      continue;
    }
    out += piece(i);
  }
  if (limit && offset_fetch) fail("TOP together with OFFSET ... FETCH");
  if (limit) out += " LIMIT " + *limit;
  return out;
}

/// sys.tables / INFORMATION_SCHEMA.COLUMNS / … → a subquery over sqlite_schema, aliased by the view name.
bool Translator::emit_catalog_view(std::size_t& i, std::size_t b, std::string& out) {
  const std::string schema = name(i, b);
  if ((schema != "sys" && schema != "information_schema") || !is(i + 1, b, TokenKind::Dot)) return false;
  if (i > 0 && toks_[i - 1].kind == TokenKind::Dot) return false;
  const std::string view = name(i + 2, b);
  if (view.empty()) return false;
  const auto& views = catalog_views();
  auto it = views.find(schema + "." + view);
  if (it == views.end()) {
    fail(std::string(text(i)) + "." + std::string(text(i + 2)) +
         " (catalog views emulated: sys.tables, sys.views, sys.objects, sys.columns, sys.schemas, "
         "INFORMATION_SCHEMA.TABLES, INFORMATION_SCHEMA.COLUMNS)");
    return true;
  }
  if (is(i + 3, b, TokenKind::Dot)) return false;  // sys.tables.name: a column of the view, left to SQLite
  out += lead(i);
  out += "(" + it->second + ")";
  // Without an alias, name the subquery like the view so `tables.name` and `TABLES.TABLE_NAME` resolve.
  static const char* const kFollow[] = {"where", "order", "group", "having", "join", "inner", "left", "right",
                                        "full", "cross", "natural", "on", "union", "except", "intersect",
                                        "limit", "offset", "window", "using", "outer"};
  bool aliased = false;
  if (is(i + 3, b, TokenKind::QuotedIdent)) aliased = true;
  if (is(i + 3, b, TokenKind::Word)) {
    aliased = true;
    const std::string next = text::to_lower(text(i + 3));
    for (const char* f : kFollow) aliased = aliased && next != f;
  }
  if (!aliased) out += " AS \"" + std::string(sql::unquote_identifier(text(i + 2), Dialect::SQLite)) + "\"";
  i += 2;
  changed_ = true;
  return true;
}

/// `OFFSET n ROW[S] [FETCH FIRST|NEXT m ROW[S] ONLY]` → `LIMIT m OFFSET n` (or LIMIT -1). False when the
/// OFFSET is SQLite's own (`LIMIT m OFFSET n`: no ROW/ROWS follows).
bool Translator::emit_offset_fetch(std::size_t& i, std::size_t b, int depth, std::string& out) {
  // An offset expression is short: bounded scans keep hostile inputs ("OFFSET OFFSET …") linear.
  constexpr std::size_t kScan = 256;
  std::size_t rows = kNone;
  for (std::size_t k = i + 1; k < b && k < i + kScan; ++k) {
    if (toks_[k].kind == TokenKind::LParen) k = match_[k];
    else if (word(k, b, "ROW") || word(k, b, "ROWS")) { rows = k; break; }
    else if (toks_[k].kind == TokenKind::Word && !word(k, b, "AS")) {
      const std::string w = text::to_lower(text(k));
      if (w == "limit" || w == "union" || w == "fetch" || w == "from" || w == "where") return false;
    }
  }
  if (rows == kNone) return false;
  const std::string offset = emit(i + 1, rows, depth + 1);
  std::string fetch = "-1";
  std::size_t end = rows;
  if (word(rows + 1, b, "FETCH")) {
    if (!(word(rows + 2, b, "NEXT") || word(rows + 2, b, "FIRST"))) {
      fail("FETCH without FIRST/NEXT");
      return true;
    }
    std::size_t k = rows + 3, stop = kNone;
    for (; k < b && k < rows + kScan; ++k) {
      if (toks_[k].kind == TokenKind::LParen) k = match_[k];
      else if (word(k, b, "ROW") || word(k, b, "ROWS")) { stop = k; break; }
    }
    if (stop == kNone || !word(stop + 1, b, "ONLY")) {
      fail("FETCH ... without ROWS ONLY");
      return true;
    }
    fetch = emit(rows + 3, stop, depth + 1);
    end = stop + 1;
  }
  out += lead(i);
  out += "LIMIT " + fetch + " OFFSET " + offset;
  i = end;
  changed_ = true;
  return true;
}


/// T-SQL functions: renamed, rewritten (argument order, defaults) or named as beyond the subset.
bool Translator::emit_function(std::size_t& i, std::size_t b, int depth, std::string& out) {
  if (!is(i, b, TokenKind::Word) || !is(i + 1, b, TokenKind::LParen)) return false;
  if (i > 0 && toks_[i - 1].kind == TokenKind::Dot) return false;  // schema.function: not ours
  const std::string fn = text::to_lower(text(i));
  const std::size_t close = match_[i + 1];
  const auto args = split_args(i + 1, close);
  const auto arg = [&](std::size_t k) { return emit(args[k].first, args[k].second, depth + 1); };
  std::string rewritten;
  if (fn == "getdate" || fn == "getutcdate" || fn == "sysdatetime" || fn == "sysutcdatetime") {
    if (!args.empty()) return false;
    rewritten = fn.rfind("get", 0) == 0 ? "datetime('now')" : "strftime('%Y-%m-%d %H:%M:%f', 'now')";
  } else if (fn == "isnull" || fn == "count_big" || fn == "json_value" || fn == "isjson") {
    const char* to = fn == "isnull" ? "ifnull" : fn == "count_big" ? "count" : fn == "json_value" ? "json_extract" : "json_valid";
    rewritten = std::string(to) + "(" + emit(i + 2, close, depth + 1) + std::string(lead(close)) + ")";
  } else if (fn == "len" && args.size() == 1) {
    rewritten = "length(rtrim(" + arg(0) + "))";  // LEN ignores trailing spaces
  } else if (fn == "charindex") {
    if (args.size() != 2) fail("CHARINDEX with a start position");
    else rewritten = "instr(" + arg(1) + ", " + arg(0) + ")";
  } else if (fn == "concat" && args.size() >= 2) {
    rewritten = "(";
    for (std::size_t k = 0; k < args.size(); ++k) rewritten += (k ? " || ifnull(" : "ifnull(") + arg(k) + ", '')";
    rewritten += ")";
  } else if (fn == "newid" && args.empty()) {
    rewritten = "lower(hex(randomblob(16)))";
  } else if (emit_date_function(fn, i, depth, rewritten) || emit_cast(fn, i, depth, rewritten)) {
    // rewritten (or failed) above
  } else if (untranslated_function(fn)) {
    fail(std::string(text(i)) + "()");
  } else {
    return false;
  }
  out += lead(i);
  out += rewritten;
  i = close;
  changed_ = true;
  return true;
}

/// DATEADD / DATEDIFF / DATEPART / YEAR / MONTH / DAY over SQLite's date functions (ISO 8601 text).
bool Translator::emit_date_function(const std::string& fn, std::size_t i, int depth, std::string& out) {
  const std::size_t close = match_[i + 1];
  const auto args = split_args(i + 1, close);
  const auto arg = [&](std::size_t k) { return emit(args[k].first, args[k].second, depth + 1); };
  const auto num = [](const std::string& fmt, const std::string& d) {
    return "CAST(strftime('" + fmt + "', " + d + ") AS INTEGER)";
  };
  if ((fn == "year" || fn == "month" || fn == "day") && args.size() == 1) {
    out = num(fn == "year" ? "%Y" : fn == "month" ? "%m" : "%d", arg(0));
    return true;
  }
  if (fn != "dateadd" && fn != "datediff" && fn != "datepart") return false;
  const std::size_t want = fn == "datepart" ? 2 : 3;
  const bool part_is_word = args.size() == want && args[0].second == args[0].first + 1 &&
                            toks_[args[0].first].kind == TokenKind::Word;
  const std::string part = part_is_word ? date_part(text(args[0].first)) : std::string();
  if (part.empty() || (part == "week" && fn != "dateadd")) {
    fail(text::to_lower(fn) == "datepart" ? "DATEPART with this part" : fn == "dateadd" ? "DATEADD with this part"
                                                                                        : "DATEDIFF with this part");
    return true;
  }
  if (fn == "datepart") {
    const std::string d = arg(1);
    if (part == "quarter") out = "((" + num("%m", d) + " + 2) / 3)";
    else if (part == "weekday") out = "(" + num("%w", d) + " + 1)";
    else {
      const char* f = part == "year" ? "%Y" : part == "month" ? "%m" : part == "day" ? "%d" : part == "dayofyear" ? "%j"
                      : part == "hour" ? "%H" : part == "minute" ? "%M" : "%S";
      out = num(f, d);
    }
    return true;
  }
  if (fn == "dateadd") {
    const char* unit = part == "year" ? "years" : (part == "quarter" || part == "month") ? "months"
                       : part == "hour" ? "hours" : part == "minute" ? "minutes" : part == "second" ? "seconds" : "days";
    const char* times = part == "quarter" ? " * 3" : part == "week" ? " * 7" : "";
    out = "datetime(" + arg(2) + ", (CAST(" + arg(1) + " AS INTEGER)" + times + ") || ' " + unit + "')";
    return true;
  }
  const std::string s = arg(1), e = arg(2);
  if (part == "year") out = "(" + num("%Y", e) + " - " + num("%Y", s) + ")";
  else if (part == "quarter")
    out = "((" + num("%Y", e) + " * 4 + (" + num("%m", e) + " - 1) / 3) - (" + num("%Y", s) + " * 4 + (" + num("%m", s) + " - 1) / 3))";
  else if (part == "month")
    out = "((" + num("%Y", e) + " * 12 + " + num("%m", e) + ") - (" + num("%Y", s) + " * 12 + " + num("%m", s) + "))";
  else if (part == "hour" || part == "minute") {
    const std::string f = part == "hour" ? "%Y-%m-%d %H:00:00" : "%Y-%m-%d %H:%M:00";
    out = "CAST(round((julianday(strftime('" + f + "', " + e + ")) - julianday(strftime('" + f + "', " + s + "))) * " +
          (part == "hour" ? "24" : "1440") + ") AS INTEGER)";
  } else if (part == "second")
    out = "(" + num("%s", e) + " - " + num("%s", s) + ")";
  else
    out = "CAST(julianday(date(" + e + ")) - julianday(date(" + s + ")) AS INTEGER)";  // day boundaries crossed
  return true;
}

/// CAST / TRY_CAST (x AS type) and CONVERT(type, x) with T-SQL type names mapped to SQLite affinities;
/// DECIMAL(p, s) rounds to s places as SQL Server does.
bool Translator::emit_cast(const std::string& fn, std::size_t i, int depth, std::string& out) {
  if (fn != "cast" && fn != "try_cast" && fn != "convert") return false;
  const std::size_t close = match_[i + 1];
  std::size_t type_at = kNone, type_end = close;
  std::string expr;
  if (fn == "convert") {
    const auto args = split_args(i + 1, close);
    if (args.size() != 2) {
      fail(args.size() == 3 ? "CONVERT with a style" : "CONVERT");
      return true;
    }
    type_at = args[0].first;
    type_end = args[0].second;
    expr = emit(args[1].first, args[1].second, depth + 1);
  } else {
    for (std::size_t k = i + 2; k < close; ++k) {
      if (toks_[k].kind == TokenKind::LParen) k = match_[k];
      else if (word(k, close, "AS")) type_at = k + 1;
    }
    if (type_at == kNone) return false;
    expr = emit(i + 2, type_at - 1, depth + 1);
  }
  if (!is(type_at, type_end, TokenKind::Word)) return false;
  std::vector<std::string> targs;
  if (is(type_at + 1, type_end, TokenKind::LParen)) {
    for (const auto& [x, y] : split_args(type_at + 1, match_[type_at + 1])) {
      std::string a;
      for (std::size_t k = x; k < y; ++k) a += text(k);
      targs.push_back(a);
    }
  }
  const std::string mapped = sqlite_type(text::to_lower(text(type_at)), targs);
  std::string type_text = mapped;
  if (type_text.empty()) {
    for (std::size_t k = type_at; k < type_end; ++k) type_text += piece(k);
  }
  if (mapped == "REAL" && targs.size() == 2)
    out = "round(CAST(" + expr + " AS REAL), " + targs[1] + ")";
  else
    out = "CAST(" + expr + " AS " + type_text + ")";
  return true;
}

}  // namespace

Result<std::string> translate_tsql(std::string_view sql) { return Translator(sql).run(); }

}  // namespace azsql::db::sqlite
