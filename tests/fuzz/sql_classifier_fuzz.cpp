// libFuzzer target: the SQL lexer, statement classifier and identifier parser on arbitrary bytes,
// both dialects, strict and lenient lexing. Besides "no crash / no sanitizer report", it checks invariants that must hold for
// every input (see the comments below); a violation aborts, which libFuzzer reports as a crash.
// For the SQLite dialect the real SQLite is a differential oracle: whatever check_read allows must
// prepare (never run) as exactly one read-only statement, or not prepare at all.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sql/classifier.hpp"
#include "sql/identifier.hpp"
#include "sql/lexer.hpp"
#include "../unit/sql/sqlite_oracle.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

void check_dialect(std::string_view in, azsql::Dialect d) {
  using namespace azsql::sql;
  const LexResult lx = lex(in, d);
  if (lx.error_rule.empty()) {
    std::size_t prev_end = 0;
    for (const Token& t : lx.tokens) {  // tokens are ordered, non-empty, inside the input
      require(t.begin >= prev_end && t.begin < t.end && t.end <= in.size());
      prev_end = t.end;
    }
  } else {
    require(lx.tokens.empty() && !lx.error.empty());
  }
  // Lenient reading (SQLite's stored schema text) never refuses, keeps the same invariants, and
  // reads text that strict mode accepts into exactly the same tokens.
  const LexResult ll = lex(in, d, {.lenient = true});
  require(ll.error_rule.empty());
  std::size_t lenient_end = 0;
  for (const Token& t : ll.tokens) {
    require(t.begin >= lenient_end && t.begin < t.end && t.end <= in.size());
    lenient_end = t.end;
  }
  const std::size_t first = next_token_at(in, 0, d, false);
  require(first == (ll.tokens.empty() ? in.size() : ll.tokens.front().begin));
  if (lx.error_rule.empty()) {
    require(ll.tokens.size() == lx.tokens.size());
    for (std::size_t k = 0; k < lx.tokens.size(); ++k)
      require(ll.tokens[k].begin == lx.tokens[k].begin && ll.tokens[k].end == lx.tokens[k].end &&
              ll.tokens[k].kind == lx.tokens[k].kind);
  }

  const Classification c = classify(in, d);
  require(c.error.empty() == c.error_rule.empty());
  if (!c.error_rule.empty()) require(c.statements.empty());
  std::size_t prev_end = 0;
  for (const StatementInfo& s : c.statements) {  // statements are ordered, disjoint, non-empty
    require(s.begin >= prev_end && s.begin < s.end && s.end <= in.size());
    prev_end = s.end;
    if (s.kind == StatementKind::Insert || s.kind == StatementKind::Update || s.kind == StatementKind::Delete ||
        s.kind == StatementKind::Merge || s.select_into)
      require(s.modifies_data);
  }

  const Verdict r = check_read(in, d);
  const Verdict ins = check_insert(in, d);
  const Verdict m = check_modify(in, d, false, false);
  const Verdict m2 = check_modify(in, d, true, true);
  for (const Verdict* v : {&r, &ins, &m, &m2}) {
    require(v->allowed == v->rule.empty());   // a refusal always names its rule
    require(v->allowed || !v->message.empty());
  }
  // An allowed read is exactly one statement, a query that writes nothing and has no danger.
  if (r.allowed) {
    require(c.statements.size() == 1);
    const StatementInfo& s = c.statements.front();
    require(s.kind == StatementKind::Select && !s.modifies_data && s.dangers.empty());
    require(!ins.allowed && !m.allowed && !m2.allowed);  // one statement cannot be two kinds
  }
  if (ins.allowed) require(c.statements.size() == 1 && c.statements.front().kind == StatementKind::Insert);
  if (m.allowed) {
    require(c.statements.size() == 1 && m.has_where);
    require(m.kind == StatementKind::Update || m.kind == StatementKind::Delete);
    require(m2.allowed);  // relaxing options never turns an allowed statement into a refused one
  }

  // Metamorphic: a write appended after a newline (and a ';', or in T-SQL without one) can never
  // hide inside an allowed statement, whatever the statement ends with.
  if (r.allowed || ins.allowed || m.allowed) {
    std::string more(in);
    more += "\n;DELETE FROM t";
    require(!check_read(more, d).allowed && !check_insert(more, d).allowed);
    require(!check_modify(more, d, true, true).allowed);
    if (d == azsql::Dialect::TSql) {
      more.assign(in);
      more += "\nDELETE FROM t";
      require(!check_read(more, d).allowed && !check_insert(more, d).allowed);
      require(!check_modify(more, d, true, true).allowed);
    }
  }

  if (d == azsql::Dialect::SQLite && r.allowed) {
    static const azsql::sql::testing::SqliteOracle oracle;
    const auto outcome = oracle.prepare(in);
    require(outcome == azsql::sql::testing::SqliteOracle::Outcome::ReadOnlySingle ||
            outcome == azsql::sql::testing::SqliteOracle::Outcome::Error);
  }

  if (in.size() <= 4096) {
    const auto name = parse_qualified_name(in, d);
    if (name) {
      require(!name->name.empty());
      // Quoting a parsed name and parsing it again gives the same name.
      const std::string q = quote_identifier(name->name, d);
      const auto again = parse_qualified_name(q, d);
      require(again && again->name == name->name && again->schema.empty());
      // A quoted name is one token of the lexer.
      const LexResult ql = lex(q, d);
      require(ql.error_rule.empty() && ql.tokens.size() == 1 && ql.tokens[0].kind == TokenKind::QuotedIdent);
      require(unquote_identifier(q, d) == name->name);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_dialect(in, azsql::Dialect::TSql);
  check_dialect(in, azsql::Dialect::SQLite);
  return 0;
}
