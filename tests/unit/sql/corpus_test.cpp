// Runs every case of tests/data/sql_corpus.tsv (format documented at the top of that file)
// through check_read / check_insert / check_modify and asserts the verdict and the rule.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sql/classifier.hpp"
#include "sqlite_oracle.hpp"

namespace azsql::sql {
namespace {

struct Case {
  int line = 0;
  std::string id, tool, dialect, expect, rule, sql;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes the sql column (one left-to-right pass); nullopt on a malformed escape.
std::optional<std::string> decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char e = s[i + 1];
    switch (e) {
      case 'n': out.push_back('\n'); ++i; break;
      case 'r': out.push_back('\r'); ++i; break;
      case 't': out.push_back('\t'); ++i; break;
      case 'v': out.push_back('\v'); ++i; break;
      case 'f': out.push_back('\f'); ++i; break;
      case '\\': out.push_back('\\'); ++i; break;
      case 'x': {
        if (i + 3 >= s.size() || hex_value(s[i + 2]) < 0 || hex_value(s[i + 3]) < 0) return std::nullopt;
        out.push_back(static_cast<char>(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3])));
        i += 3;
        break;
      }
      case 'R': {  // \R{N}{text}
        const std::size_t open1 = i + 2;
        const std::size_t close1 = s.find('}', open1);
        if (open1 >= s.size() || s[open1] != '{' || close1 == std::string::npos) return std::nullopt;
        const std::size_t open2 = close1 + 1;
        const std::size_t close2 = s.find('}', open2 + 1);
        if (open2 >= s.size() || s[open2] != '{' || close2 == std::string::npos) return std::nullopt;
        const unsigned long n = std::stoul(s.substr(open1 + 1, close1 - open1 - 1));
        const std::string text = s.substr(open2 + 1, close2 - open2 - 1);
        for (unsigned long k = 0; k < n; ++k) out += text;
        i = close2;
        break;
      }
      default: out.push_back('\\'); break;  // literal backslash
    }
  }
  return out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> cols;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    if (tab == std::string::npos) {
      cols.push_back(line.substr(start));
      return cols;
    }
    cols.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

std::vector<Case> load_corpus() {
  std::ifstream in(std::string(AZSQL_SOURCE_DIR) + "/tests/data/sql_corpus.tsv", std::ios::binary);
  EXPECT_TRUE(in.good()) << "tests/data/sql_corpus.tsv not found";
  std::vector<Case> cases;
  std::string line;
  int n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split_tabs(line);
    if (!header) {
      header = true;
      EXPECT_EQ(line, "id\ttool\tdialect\texpect\trule\tsql");
      continue;
    }
    EXPECT_EQ(cols.size(), 6u) << "line " << n;
    if (cols.size() != 6) continue;
    cases.push_back({n, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]});
  }
  return cases;
}

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
