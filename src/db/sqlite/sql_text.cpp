#include "db/sqlite/sql_text.hpp"

#include <algorithm>
#include <cctype>

#include "common/text.hpp"
#include "sql/lexer.hpp"

namespace azsql::db::sqlite {
namespace {

using text::trim;
using sql::Token;
using sql::TokenKind;

/// A name token's text without its quotes ("a", [a], `a`, and 'a', which SQLite also accepts as a name).
std::string unquote(std::string_view t) { return sql::unquote_identifier(t, Dialect::SQLite); }

/// The tokens of SQLite text, read leniently (sql::lex): schema text SQLite stored is read the way
/// SQLite read it, never refused.
std::vector<Token> tokenize(std::string_view s) { return sql::lex(s, Dialect::SQLite, {.lenient = true}).tokens; }

bool is_punct_kind(TokenKind k) {
  return k == TokenKind::Punct || k == TokenKind::LParen || k == TokenKind::RParen || k == TokenKind::Comma ||
         k == TokenKind::Dot || k == TokenKind::Semicolon;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s), toks_(tokenize(s)) {}

  std::string_view text(const Token& t) const { return s_.substr(t.begin, t.end - t.begin); }
  bool is_kw(std::size_t i, std::string_view kw) const {
    return i < toks_.size() && toks_[i].kind == TokenKind::Word && text::iequals(text(toks_[i]), kw);
  }
  bool is_punct(std::size_t i, char c) const {
    return i < toks_.size() && is_punct_kind(toks_[i].kind) && s_[toks_[i].begin] == c;
  }
  /// Index of the ')' matching the '(' at `open` (or toks_.size()).
  std::size_t match_paren(std::size_t open) const {
    int depth = 0;
    for (std::size_t i = open; i < toks_.size(); ++i) {
      if (is_punct(i, '(')) ++depth;
      if (is_punct(i, ')') && --depth == 0) return i;
    }
    return toks_.size();
  }
  /// Source text strictly between tokens `open` and `close`.
  std::string between(std::size_t open, std::size_t close) const {
    const std::size_t b = toks_[open].end;
    const std::size_t e = close < toks_.size() ? toks_[close].begin : s_.size();
    return std::string(trim(s_.substr(b, e > b ? e - b : 0)));
  }
  std::size_t size() const { return toks_.size(); }
  const Token& at(std::size_t i) const { return toks_[i]; }

 private:
  std::string_view s_;
  std::vector<Token> toks_;
};

void parse_item(const Parser& p, std::size_t b, std::size_t e, ParsedTable& out) {
  if (b >= e) return;
  std::string pending_name;
  std::size_t i = b;
  if (p.is_kw(i, "CONSTRAINT") && i + 1 < e) {
    pending_name = unquote(p.text(p.at(i + 1)));
    i += 2;
  }
  const bool table_constraint = p.is_kw(i, "CHECK") || p.is_kw(i, "PRIMARY") || p.is_kw(i, "UNIQUE") ||
                                p.is_kw(i, "FOREIGN") || !pending_name.empty();
  ParsedColumn col;
  if (!table_constraint) {
    col.name = unquote(p.text(p.at(i)));
    ++i;
  }
  for (; i < e; ++i) {
    if (p.is_kw(i, "CONSTRAINT") && i + 1 < e) {
      pending_name = unquote(p.text(p.at(i + 1)));
      ++i;
    } else if (p.is_kw(i, "CHECK") && p.is_punct(i + 1, '(')) {
      const std::size_t close = p.match_paren(i + 1);
      out.checks.push_back({pending_name, col.name, p.between(i + 1, close)});
      pending_name.clear();
      i = close;
    } else if (!table_constraint && p.is_kw(i, "AS") && p.is_punct(i + 1, '(')) {
      const std::size_t close = p.match_paren(i + 1);
      col.generated = p.between(i + 1, close);
      i = close;
    } else if (!table_constraint && p.is_kw(i, "COLLATE") && i + 1 < e) {
      col.collation = unquote(p.text(p.at(i + 1)));
      ++i;
    } else if (!table_constraint && p.is_kw(i, "AUTOINCREMENT")) {
      col.autoincrement = true;
    } else if (p.is_punct(i, '(')) {
      i = p.match_paren(i);  // type arguments, DEFAULT (expr), REFERENCES t(cols), …
    }
  }
  if (!table_constraint && !col.name.empty()) out.columns.push_back(std::move(col));
}

}  // namespace

std::size_t skip_insignificant(std::string_view s, std::size_t i, bool semicolons) {
  return sql::next_token_at(s, i, Dialect::SQLite, semicolons);
}

bool is_blank_sql(std::string_view text) { return skip_insignificant(text, 0, true) >= text.size(); }

std::string first_keyword(std::string_view sql) {
  std::size_t i = skip_insignificant(sql, 0, true);
  const std::size_t b = i;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) ++i;
  return text::to_upper(sql.substr(b, i - b));
}

std::string quote_ident(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
  return out;
}

ParsedTable parse_create_table(std::string_view create_sql) {
  ParsedTable out;
  Parser p(create_sql);
  // CREATE [TEMP] TABLE [IF NOT EXISTS] name ( items ) [options]
  std::size_t i = 0;
  while (i < p.size() && !p.is_kw(i, "TABLE")) ++i;
  while (i < p.size() && !p.is_punct(i, '(')) {
    if (p.is_kw(i, "AS")) return out;  // CREATE TABLE … AS SELECT: no column list
    ++i;
  }
  if (i >= p.size()) return out;
  const std::size_t close = p.match_paren(i);
  std::size_t item_begin = i + 1;
  for (std::size_t j = i + 1; j < close && j < p.size(); ++j) {
    if (p.is_punct(j, '(')) {
      j = p.match_paren(j);
      continue;
    }
    if (p.is_punct(j, ',')) {
      parse_item(p, item_begin, j, out);
      item_begin = j + 1;
    }
  }
  parse_item(p, item_begin, close < p.size() ? close : p.size(), out);
  return out;
}

std::optional<std::string> index_where_clause(std::string_view create_index_sql) {
  Parser p(create_index_sql);
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p.is_punct(i, '(')) {
      i = p.match_paren(i);
      continue;
    }
    if (p.is_kw(i, "WHERE") && i + 1 < p.size()) {
      return std::string(trim(create_index_sql.substr(p.at(i).end)));
    }
  }
  return std::nullopt;
}

std::vector<std::string> compared_identifiers(std::string_view sql) {
  std::vector<std::string> out;
  Parser p(sql);
  static constexpr const char* kOps[] = {"IN", "LIKE", "GLOB", "BETWEEN", "IS", "NOT", "REGEXP", "MATCH"};
  static constexpr const char* kKeywords[] = {"SELECT", "WHERE", "AND", "OR", "ON", "FROM", "JOIN", "NOT",
                                              "CASE", "WHEN", "THEN", "ELSE", "END", "NULL", "EXISTS", "HAVING",
                                              "TRUE", "FALSE", "ALL", "ANY", "SOME", "DISTINCT", "LIKE", "IN",
                                              "IS", "GLOB", "BETWEEN", "CAST", "COLLATE"};
  auto is_name = [&](std::size_t i) {
    if (i >= p.size()) return false;
    const Token& t = p.at(i);
    if (t.kind == TokenKind::QuotedIdent) return true;
    if (t.kind != TokenKind::Word) return false;
    const std::string up = text::to_upper(p.text(t));
    for (const char* k : kKeywords) {
      if (up == k) return false;
    }
    return true;
  };
  auto is_cmp = [&](std::size_t i) { return p.is_punct(i, '=') || p.is_punct(i, '<') || p.is_punct(i, '>'); };
  auto add = [&](std::size_t i) {
    std::string name = unquote(p.text(p.at(i)));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  };
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!is_name(i)) continue;
    if (p.is_punct(i + 1, '.')) continue;  // qualifier: the column is the part after the dot
    bool before_op = is_cmp(i + 1) || p.is_punct(i + 1, '!');
    for (const char* op : kOps) before_op = before_op || p.is_kw(i + 1, op);
    // `x = a.col`: the name after a comparison (skipping comparison characters and qualifiers).
    std::size_t j = i;
    while (j >= 2 && p.is_punct(j - 1, '.') && is_name(j - 2)) j -= 2;
    const bool after_op = j >= 1 && is_cmp(j - 1);
    if (before_op || after_op) add(i);
  }
  return out;
}

}  // namespace azsql::db::sqlite
