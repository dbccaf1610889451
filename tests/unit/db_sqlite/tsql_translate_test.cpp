// The T-SQL subset on the embedded database (db/sqlite/tsql_translate.hpp): each translation is checked
// by running it on a real demo database (sqlite3 directly, not our driver) against the SQLite query a
// person would write; the corpus property: a translation never turns a refused statement into an
// accepted one, and never changes the kind of an accepted one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "../sql/corpus_reader.hpp"
#include "db/sqlite/demo_database.hpp"
#include "db/sqlite/tsql_translate.hpp"
#include "sql/classifier.hpp"
#include "test_util.hpp"

namespace azsql::db::sqlite {
namespace {

class TsqlOnDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_TRUE(create_demo_database(dir_->path("demo.db")).ok());
    ASSERT_EQ(sqlite3_open_v2(dir_->path("demo.db").c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  static void TearDownTestSuite() {
    sqlite3_close(db_);
    delete dir_;
  }
  /// Every row as "a|b|c\n"; "ERROR: …" when SQLite refuses the text.
  static std::string rows(const std::string& sql) {
    std::string out;
    char* err = nullptr;
    auto cb = [](void* p, int n, char** v, char**) {
      auto* o = static_cast<std::string*>(p);
      for (int i = 0; i < n; ++i) {
        if (i) o->push_back('|');
        o->append(v[i] ? v[i] : "NULL");
      }
      *o += "\n";
      return 0;
    };
    if (sqlite3_exec(db_, sql.c_str(), cb, &out, &err) != SQLITE_OK) {
      out = "ERROR: " + std::string(err ? err : "?");
      sqlite3_free(err);
    }
    return out;
  }
  static std::string translated(const std::string& tsql) {
    auto t = translate_tsql(tsql);
    EXPECT_TRUE(t.ok()) << tsql << ": " << (t.ok() ? "" : t.error().message);
    return t.ok() ? *t : std::string();
  }
  /// The T-SQL, translated, returns exactly what the SQLite query returns (and something).
  static void same(const std::string& tsql, const std::string& sqlite) {
    const std::string want = rows(sqlite);
    ASSERT_EQ(want.rfind("ERROR", 0), std::string::npos) << sqlite << ": " << want;
    ASSERT_FALSE(want.empty()) << sqlite;
    EXPECT_EQ(rows(translated(tsql)), want) << tsql << "\n  → " << translated(tsql);
  }

  static testing::TempDir* dir_;
  static sqlite3* db_;
};
testing::TempDir* TsqlOnDemo::dir_ = nullptr;
sqlite3* TsqlOnDemo::db_ = nullptr;

TEST_F(TsqlOnDemo, PlainSqliteIsByteIdentical) {
  for (const char* s : {"SELECT * FROM Article WHERE RegionId = 1 LIMIT 10", "SELECT 'TOP 10', \"N\"'x' FROM t",
                        "SELECT name FROM sqlite_schema -- TOP 5\n", "SELECT x FROM t LIMIT 5 OFFSET 2",
                        "SELECT top FROM t", "select ifnull(a, 1), length(b) from t;"}) {
    EXPECT_EQ(translated(s), s);
  }
}

TEST_F(TsqlOnDemo, TheDescriptionsExamples) {
  same("SELECT TOP 10 * FROM Article WHERE RegionId = 1", "SELECT * FROM Article WHERE RegionId = 1 LIMIT 10");
  same("SELECT name FROM sys.tables ORDER BY name",
       "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
}

TEST_F(TsqlOnDemo, TopInEveryPosition) {
  same("SELECT TOP (3) Libelle FROM Article ORDER BY Tarif DESC", "SELECT Libelle FROM Article ORDER BY Tarif DESC LIMIT 3");
  same("SELECT DISTINCT TOP 2 RegionId FROM Article ORDER BY RegionId", "SELECT DISTINCT RegionId FROM Article ORDER BY RegionId LIMIT 2");
  same("SELECT COUNT(*) FROM (SELECT TOP 5 * FROM Article ORDER BY Article_Id) AS x",
       "SELECT COUNT(*) FROM (SELECT * FROM Article ORDER BY Article_Id LIMIT 5) AS x");
  same("SELECT Libelle FROM Article WHERE Article_Id IN (SELECT TOP (2) Article_Id FROM Article ORDER BY Tarif)",
       "SELECT Libelle FROM Article WHERE Article_Id IN (SELECT Article_Id FROM Article ORDER BY Tarif LIMIT 2)");
  same("WITH c AS (SELECT TOP 4 * FROM Article ORDER BY Tarif) SELECT TOP 1 Libelle FROM c ORDER BY Tarif DESC",
       "WITH c AS (SELECT * FROM Article ORDER BY Tarif LIMIT 4) SELECT Libelle FROM c ORDER BY Tarif DESC LIMIT 1");
  same("SELECT TOP 3 Libelle FROM Article ORDER BY Tarif; -- cheapest\n",
       "SELECT Libelle FROM Article ORDER BY Tarif LIMIT 3");
}

TEST_F(TsqlOnDemo, NamesStringsAndPrefixes) {
  same("SELECT [Libelle] FROM [dbo].[Article] WHERE [Libelle] LIKE N'%a%' ORDER BY [Article_Id]",
       "SELECT Libelle FROM Article WHERE Libelle LIKE '%a%' ORDER BY Article_Id");
  same("SELECT a.Libelle, r.Region_Libelle FROM dbo.Article a JOIN dbo.Region r ON r.Region_Id = a.RegionId WHERE a.Article_Id < 4",
       "SELECT a.Libelle, r.Region_Libelle FROM Article a JOIN Region r ON r.Region_Id = a.RegionId WHERE a.Article_Id < 4");
}

TEST_F(TsqlOnDemo, Functions) {
  same("SELECT ISNULL(CategorieArticlesId, -1), LEN(Libelle) FROM Article ORDER BY Article_Id",
       "SELECT ifnull(CategorieArticlesId, -1), length(Libelle) FROM Article ORDER BY Article_Id");
  same("SELECT LEN(N'ab  ')", "SELECT 2");
  same("SELECT CHARINDEX('b', 'abc'), CONCAT('a', NULL, 3)", "SELECT 2, 'a3'");
  same("SELECT DATEADD(day, -7, '2024-03-03'), DATEADD(month, 1, '2024-01-15'), DATEADD(year, 2, '2024-01-15 10:00:00')",
       "SELECT '2024-02-25 00:00:00', '2024-02-15 00:00:00', '2026-01-15 10:00:00'");
  same("SELECT DATEADD(quarter, 1, '2024-01-15'), DATEADD(week, 2, '2024-01-01'), DATEADD(hh, 3, '2024-01-01 22:00:00')",
       "SELECT '2024-04-15 00:00:00', '2024-01-15 00:00:00', '2024-01-02 01:00:00'");
  same("SELECT DATEDIFF(day, '2024-01-31 23:59:00', '2024-02-01 00:01:00'), DATEDIFF(month, '2023-12-31', '2024-01-01'), "
       "DATEDIFF(year, '2023-12-31', '2024-01-01'), DATEDIFF(hour, '2024-01-01 10:59', '2024-01-01 11:00'), "
       "DATEDIFF(minute, '2024-01-01 10:00:59', '2024-01-01 10:01:00'), DATEDIFF(second, '2024-01-01', '2024-01-01 00:01:00'), "
       "DATEDIFF(quarter, '2024-03-31', '2024-04-01')",
       "SELECT 1, 1, 1, 1, 1, 60, 1");
  same("SELECT DATEPART(year, '2024-05-06'), DATEPART(mm, '2024-05-06'), DATEPART(dd, '2024-05-06'), DATEPART(quarter, '2024-05-06'), "
       "DATEPART(hour, '2024-05-06 07:08:09'), YEAR('2024-05-06'), MONTH('2024-05-06'), DAY('2024-05-06')",
       "SELECT 2024, 5, 6, 2, 7, 2024, 5, 6");
  same("SELECT COUNT(*) FROM Article WHERE DateCreation <= GETDATE() AND DateCreation <= SYSDATETIME()",
       "SELECT COUNT(*) FROM Article WHERE DateCreation <= datetime('now')");
  same("SELECT CAST(Tarif AS NVARCHAR(50)), CAST(2.346 AS DECIMAL(10,2)), CONVERT(INT, '42'), CAST('2024-01-02' AS DATETIME2), "
       "CAST(Libelle AS NVARCHAR(MAX)) FROM Article WHERE Article_Id = 1",
       "SELECT CAST(Tarif AS TEXT), 2.35, 42, '2024-01-02', Libelle FROM Article WHERE Article_Id = 1");
}

TEST_F(TsqlOnDemo, OffsetFetchAndHints) {
  same("SELECT Article_Id FROM Article ORDER BY Article_Id OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
       "SELECT Article_Id FROM Article ORDER BY Article_Id LIMIT 5 OFFSET 10");
  same("SELECT Article_Id FROM Article ORDER BY Article_Id OFFSET 415 ROWS",
       "SELECT Article_Id FROM Article ORDER BY Article_Id LIMIT -1 OFFSET 415");
  same("SELECT TOP 2 Libelle FROM Article WITH (NOLOCK) ORDER BY Article_Id", "SELECT Libelle FROM Article ORDER BY Article_Id LIMIT 2");
}

TEST_F(TsqlOnDemo, CatalogViews) {
  same("SELECT t.name, c.name FROM sys.tables t JOIN sys.columns c ON c.object_id = t.object_id WHERE t.name = 'Region' ORDER BY c.column_id",
       "SELECT 'Region', name FROM pragma_table_info('Region') ORDER BY cid");
  same("SELECT s.name FROM sys.tables AS t JOIN sys.schemas s ON s.schema_id = t.schema_id WHERE t.name = 'Article'",
       "SELECT 'dbo'");
  same("SELECT TABLE_NAME, TABLE_TYPE FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'dbo' ORDER BY TABLE_NAME",
       "SELECT name, CASE type WHEN 'view' THEN 'VIEW' ELSE 'BASE TABLE' END FROM sqlite_schema "
       "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name");
  same("SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE FROM information_schema.columns WHERE TABLE_NAME = 'Article' ORDER BY ORDINAL_POSITION",
       "SELECT name, lower(type), CASE WHEN \"notnull\" OR pk THEN 'NO' ELSE 'YES' END FROM pragma_table_info('Article') ORDER BY cid");
  same("SELECT name FROM sys.objects WHERE type = 'V'", "SELECT 'v_ArticleDetails'");
}

TEST_F(TsqlOnDemo, PositionalParametersKeepTheirNumbers) {
  // DATEADD moves its date argument before the number: the `?`s keep the numbers SQLite gave them.
  const std::string t = translated("SELECT DATEADD(day, ?, ?), ?");
  EXPECT_EQ(t, "SELECT datetime( ?2, (CAST( ?1 AS INTEGER)) || ' days'), ?3");
  EXPECT_EQ(translated("SELECT TOP (?) Libelle FROM Article WHERE RegionId = ?"),
            "SELECT  Libelle FROM Article WHERE RegionId = ?2 LIMIT (?1)");
}

TEST_F(TsqlOnDemo, BeyondTheSubsetNamesTheConstructAndTheSubset) {
  for (const auto& [sql, construct] :
       std::vector<std::pair<std::string, std::string>>{{"SELECT TOP 10 PERCENT * FROM Article", "TOP ... PERCENT"},
                                                        {"SELECT TOP 1 WITH TIES * FROM Article ORDER BY Tarif", "WITH TIES"},
                                                        {"SELECT * FROM Article a CROSS APPLY (SELECT 1 AS x) y", "APPLY"},
                                                        {"SELECT FORMAT(Tarif, 'N2') FROM Article", "FORMAT()"},
                                                        {"SELECT name FROM sys.procedures", "sys.procedures"},
                                                        {"SELECT * FROM Article FOR JSON AUTO", "FOR JSON"},
                                                        {"SELECT DATEDIFF(week, '2024-01-01', '2024-02-01')", "DATEDIFF"},
                                                        {"SELECT CONVERT(VARCHAR(10), GETDATE(), 120)", "CONVERT with a style"},
                                                        {"SELECT TOP 1 1 UNION SELECT 2", "UNION"},
                                                        {"DELETE TOP (5) FROM Article WHERE 1=1", "TOP outside"}}) {
    auto r = translate_tsql(sql);
    ASSERT_FALSE(r.ok()) << sql << " → " << *r;
    EXPECT_EQ(r.error().kind, ErrorKind::InvalidInput);
    EXPECT_NE(r.error().message.find(construct), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("T-SQL subset"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("sys.tables"), std::string::npos) << r.error().message;
  }
}

sql::Verdict check(const std::string& tool, std::string_view text) {
  if (tool == "read") return sql::check_read(text, Dialect::SQLite);
  if (tool == "insert") return sql::check_insert(text, Dialect::SQLite);
  if (tool == "modify") return sql::check_modify(text, Dialect::SQLite, false, false);
  if (tool == "modify_merge") return sql::check_modify(text, Dialect::SQLite, false, true);
  return sql::check_modify(text, Dialect::SQLite, true, false);
}

// The whole adversarial corpus, both verdicts: whatever the translator makes of a case, the same rule
// refuses it if it refused the original, and an accepted case keeps its statement kind. The tsql-only
// cases count too: the demo is where a model sends T-SQL.
TEST(TsqlTranslateCorpus, NeverTurnsARefusalIntoAnAcceptance) {
  int refused = 0, translated = 0;
  for (const auto& c : sql::corpus::load_corpus()) {
    const auto text = sql::corpus::decode(c.sql);
    ASSERT_TRUE(text.has_value()) << c.id;
    const sql::Verdict before = check(c.tool, *text);
    auto t = translate_tsql(*text);
    if (!t.ok()) continue;  // not run at all
    if (*t != *text) ++translated;
    const sql::Verdict after = check(c.tool, *t);
    if (!before.allowed) {
      ++refused;
      EXPECT_FALSE(after.allowed) << c.id << ": refused original became acceptable: " << *t;
    } else if (after.allowed) {
      EXPECT_EQ(after.kind, before.kind) << c.id << ": " << *t;
    }
  }
  EXPECT_GE(refused, 150);
  EXPECT_GE(translated, 10);  // the corpus exercises the translator, not only untouched text
}

}  // namespace
}  // namespace azsql::db::sqlite
