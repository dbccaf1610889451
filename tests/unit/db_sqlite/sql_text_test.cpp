#include <gtest/gtest.h>

#include "db/sqlite/sql_text.hpp"

namespace azsql::db::sqlite {
namespace {

TEST(SqlText, SkipsWhitespaceCommentsAndSemicolons) {
  EXPECT_TRUE(is_blank_sql("  ; -- trailing comment\n /* block */ ;\n"));
  EXPECT_TRUE(is_blank_sql("/* unterminated block comment"));
  EXPECT_FALSE(is_blank_sql("; DELETE FROM t"));
  EXPECT_FALSE(is_blank_sql("-- comment\nDROP TABLE t"));
  EXPECT_EQ(skip_insignificant("  -- x\n  SELECT", 0, false), 9u);
  EXPECT_EQ(skip_insignificant(";SELECT", 0, false), 0u);
}

TEST(SqlText, FirstKeyword) {
  EXPECT_EQ(first_keyword("  /* c */ insert into t values (1)"), "INSERT");
  EXPECT_EQ(first_keyword(";;with x as (select 1) select * from x"), "WITH");
  EXPECT_EQ(first_keyword("-- only a comment"), "");
}

TEST(SqlText, QuotesIdentifiers) {
  EXPECT_EQ(quote_ident("Article"), "\"Article\"");
  EXPECT_EQ(quote_ident("we\"ird"), "\"we\"\"ird\"");
  EXPECT_EQ(quote_ident("x\"; DROP TABLE t; --"), "\"x\"\"; DROP TABLE t; --\"");
}

TEST(SqlText, ParsesChecksGeneratedColumnsAndCollations) {
  const auto t = parse_create_table(
      "CREATE TABLE \"Order Lines\" (\n"
      "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
      "  [qty] INT NOT NULL CHECK (qty > 0) -- a comment, with a comma\n,"
      "  price DECIMAL(10, 2) CONSTRAINT ck_price CHECK (price >= 0 AND price < 1e6),\n"
      "  label TEXT COLLATE NOCASE DEFAULT ('a,b'),\n"
      "  total REAL GENERATED ALWAYS AS (qty * price) STORED,\n"
      "  half REAL AS (price / 2),\n"
      "  CONSTRAINT ck_pair CHECK (qty < 1000 OR price < 10),\n"
      "  CHECK (label <> ''),\n"
      "  FOREIGN KEY (qty) REFERENCES other(x)\n"
      ") STRICT");
  ASSERT_EQ(t.columns.size(), 6u);
  EXPECT_EQ(t.columns[0].name, "id");
  EXPECT_TRUE(t.columns[0].autoincrement);
  EXPECT_EQ(t.columns[1].name, "qty");
  EXPECT_EQ(t.columns[3].name, "label");
  EXPECT_EQ(t.columns[3].collation.value_or(""), "NOCASE");
  EXPECT_EQ(t.columns[4].generated.value_or(""), "qty * price");
  EXPECT_EQ(t.columns[5].generated.value_or(""), "price / 2");
  EXPECT_FALSE(t.columns[2].generated.has_value());
  ASSERT_EQ(t.checks.size(), 4u);
  EXPECT_EQ(t.checks[0].column, "qty");
  EXPECT_EQ(t.checks[0].definition, "qty > 0");
  EXPECT_EQ(t.checks[1].name, "ck_price");
  EXPECT_EQ(t.checks[1].definition, "price >= 0 AND price < 1e6");
  EXPECT_EQ(t.checks[2].name, "ck_pair");
  EXPECT_EQ(t.checks[2].column, "");
  EXPECT_EQ(t.checks[3].definition, "label <> ''");
}

TEST(SqlText, CreateTableAsSelectAndGarbageYieldNothing) {
  EXPECT_TRUE(parse_create_table("CREATE TABLE t AS SELECT 1 AS x").columns.empty());
  EXPECT_TRUE(parse_create_table("").columns.empty());
  EXPECT_TRUE(parse_create_table("CREATE TABLE t (a CHECK (").checks.size() <= 1);
  EXPECT_NO_THROW(parse_create_table("CREATE TABLE ((((((\"'[`"));
}

TEST(SqlText, PartialIndexWhereClause) {
  EXPECT_EQ(index_where_clause("CREATE INDEX ix ON t (a) WHERE a IS NOT NULL").value_or(""), "a IS NOT NULL");
  EXPECT_FALSE(index_where_clause("CREATE INDEX ix ON t (a)").has_value());
  EXPECT_FALSE(index_where_clause("CREATE INDEX \"where\" ON t ((a + 1))").has_value());
}

TEST(SqlText, ComparedIdentifiers) {
  const auto ids = compared_identifiers(
      "SELECT * FROM Article a JOIN Region r ON r.Region_Id = a.RegionId WHERE a.Tarif > 500 AND \"Stock\" IN (1, 2) "
      "AND Libelle LIKE 'x%' AND 3 = 3");
  const std::vector<std::string> want = {"Region_Id", "RegionId", "Tarif", "Stock", "Libelle"};
  EXPECT_EQ(ids, want);
}

// The parsers read text written by whoever created the schema (and the model's queries): random and
// mutated inputs must never crash them or make them return out-of-range positions.
TEST(SqlText, SurvivesRandomAndTruncatedInput) {
  const std::string seeds[] = {
      "CREATE TABLE \"t\" (a INT CHECK (a > 0) COLLATE NOCASE, b AS (a * 2), CONSTRAINT c CHECK (a < 9))",
      "CREATE INDEX ix ON t (a) WHERE a IS NOT NULL AND b = 'x''y'",
      "SELECT * FROM [a]]b] WHERE `c` = 1 -- tail\n /* block */ AND d IN (1, 2)",
  };
  const char alphabet[] = "()[]`'\",;-*/ \n\tCREATE TABLE CHECK AS COLLATE WHERE x1_";
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>(state >> 33);
  };
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      const std::string& seed = seeds[next() % 3];
      s = seed.substr(0, next() % (seed.size() + 1));  // truncated
      for (int m = 0; m < 3 && !s.empty(); ++m) s[next() % s.size()] = alphabet[next() % (sizeof alphabet - 1)];
    } else {
      const std::size_t n = next() % 64;
      for (std::size_t k = 0; k < n; ++k) s.push_back(alphabet[next() % (sizeof alphabet - 1)]);
    }
    for (std::size_t pos = 0; pos <= s.size(); pos += 7) {
      EXPECT_LE(skip_insignificant(s, pos, true), s.size());
      EXPECT_LE(skip_insignificant(s, pos, false), s.size());
    }
    const auto t = parse_create_table(s);
    for (const auto& ck : t.checks) EXPECT_LE(ck.definition.size(), s.size());
    if (auto w = index_where_clause(s)) {
      EXPECT_LE(w->size(), s.size());
    }
    for (const auto& id : compared_identifiers(s)) EXPECT_LE(id.size(), s.size());
    (void)first_keyword(s);
  }
}

}  // namespace
}  // namespace azsql::db::sqlite
