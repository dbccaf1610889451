// Runs every case of tests/data/sql_corpus.tsv (format documented at the top of that file)
// through check_read / check_insert / check_modify and asserts the verdict and the rule.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "corpus_reader.hpp"
#include "sql/classifier.hpp"
#include "sqlite_oracle.hpp"

namespace azsql::sql {
namespace {

using namespace corpus;  // Case, decode, load_corpus

Verdict run(const std::string& tool, std::string_view sql, Dialect d, bool& known) {
  known = true;
  if (tool == "read") return check_read(sql, d);
  if (tool == "insert") return check_insert(sql, d);
  if (tool == "modify") return check_modify(sql, d, false, false);
  if (tool == "modify_merge") return check_modify(sql, d, false, true);
  if (tool == "modify_nowhere") return check_modify(sql, d, true, false);
  known = false;
  return {};
}

TEST(SqlCorpus, EveryCaseHasTheExpectedVerdictAndRule) {
  const std::vector<Case> cases = load_corpus();
  ASSERT_GE(cases.size(), 150u);
  std::map<std::string, int> ids;
  int checked = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE("line " + std::to_string(c.line) + " " + c.id + ": " + c.sql.substr(0, 200));
    EXPECT_EQ(++ids[c.id], 1) << "duplicate id";
    const auto sql = decode(c.sql);
    ASSERT_TRUE(sql.has_value()) << "malformed escape";
    ASSERT_TRUE(c.expect == "allowed" || c.expect == "refused") << c.expect;
    ASSERT_TRUE(c.dialect == "tsql" || c.dialect == "sqlite" || c.dialect == "both") << c.dialect;
    if (c.expect == "allowed") {
      EXPECT_EQ(c.rule, "-");
    } else {
      EXPECT_NE(c.rule, "-");
    }
    std::vector<Dialect> dialects;
    if (c.dialect != "sqlite") dialects.push_back(Dialect::TSql);
    if (c.dialect != "tsql") dialects.push_back(Dialect::SQLite);
    for (Dialect d : dialects) {
      bool known = false;
      const Verdict v = run(c.tool, *sql, d, known);
      ASSERT_TRUE(known) << "unknown tool " << c.tool;
      ++checked;
      EXPECT_EQ(v.allowed, c.expect == "allowed") << to_string(d) << " rule=" << v.rule << " message=" << v.message;
      if (c.expect == "refused") {
        EXPECT_EQ(v.rule, c.rule) << to_string(d) << " message=" << v.message;
        EXPECT_FALSE(v.message.empty());
      } else {
        EXPECT_TRUE(v.rule.empty()) << to_string(d);
      }
    }
  }
  EXPECT_GE(checked, 150);
}

// Every SQLite read the classifier allows must be, for the real SQLite, exactly one read-only
// statement (or a statement SQLite refuses to prepare, e.g. a syntax error or a missing table).
TEST(SqlCorpus, RealSqliteAgreesWithAllowedReads) {
  const testing::SqliteOracle oracle;
  int prepared = 0;
  for (const Case& c : load_corpus()) {
    if (c.tool != "read" || c.dialect == "tsql" || c.expect != "allowed") continue;
    const auto sql = decode(c.sql);
    ASSERT_TRUE(sql.has_value());
    const auto outcome = oracle.prepare(*sql);
    EXPECT_NE(outcome, testing::SqliteOracle::Outcome::Write) << c.id << ": " << *sql;
    EXPECT_NE(outcome, testing::SqliteOracle::Outcome::Multiple) << c.id << ": " << *sql;
    if (outcome == testing::SqliteOracle::Outcome::ReadOnlySingle) ++prepared;
  }
  EXPECT_GE(prepared, 25);  // the check is not vacuous
}

// And every SQLite statement-splitting refusal is one SQLite would also not run as a single statement.
TEST(SqlCorpus, RealSqliteSeesMoreThanOneStatementWhereWeDo) {
  const testing::SqliteOracle oracle;
  int checked = 0;
  for (const Case& c : load_corpus()) {
    if (c.dialect == "tsql" || c.rule != "multiple_statements") continue;
    const auto sql = decode(c.sql);
    ASSERT_TRUE(sql.has_value());
    const auto outcome = oracle.prepare(*sql);
    EXPECT_TRUE(outcome == testing::SqliteOracle::Outcome::Multiple ||
                outcome == testing::SqliteOracle::Outcome::Error)
        << c.id << ": " << *sql;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(SqlCorpus, DecoderHandlesEscapes) {
  EXPECT_EQ(decode("a\\nb\\x41\\\\\\R{3}{ab}z\\q"), std::string("a\nbA\\abababz\\q"));
  EXPECT_FALSE(decode("\\xZZ").has_value());
}

}  // namespace
}  // namespace azsql::sql
