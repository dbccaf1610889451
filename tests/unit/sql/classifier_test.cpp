#include <gtest/gtest.h>

#include <string>

#include "sql/classifier.hpp"

namespace azsql::sql {
namespace {

StatementInfo only(std::string_view sql, Dialect d) {
  Classification c = classify(sql, d);
  EXPECT_EQ(c.error_rule, "") << c.error;
  EXPECT_EQ(c.statements.size(), 1u) << sql;
  return c.statements.empty() ? StatementInfo{} : c.statements.front();
}

bool has_danger(const StatementInfo& s, const std::string& d) {
  for (const auto& x : s.dangers) {
    if (x == d) return true;
  }
  return false;
}

TEST(Classify, SplitsTsqlStatementsWithoutSemicolons) {
  auto c = classify("SELECT 1 SELECT 2", Dialect::TSql);
  ASSERT_EQ(c.statements.size(), 2u);
  EXPECT_EQ(c.statements[0].kind, StatementKind::Select);
  EXPECT_EQ(c.statements[0].begin, 0u);
  EXPECT_EQ(c.statements[0].end, 8u);
  EXPECT_EQ(c.statements[1].begin, 9u);
  EXPECT_EQ(c.statements[1].end, 17u);
  c = classify("SELECT * FROM t\nDELETE FROM t", Dialect::TSql);
  ASSERT_EQ(c.statements.size(), 2u);
  EXPECT_EQ(c.statements[1].kind, StatementKind::Delete);
  c = classify("BEGIN TRAN UPDATE t SET a = 1 WHERE id = 1 COMMIT", Dialect::TSql);
  ASSERT_EQ(c.statements.size(), 3u);
  EXPECT_EQ(c.statements[0].kind, StatementKind::Transaction);
  EXPECT_EQ(c.statements[1].kind, StatementKind::Update);
  EXPECT_TRUE(c.statements[1].has_where);
  EXPECT_EQ(c.statements[2].kind, StatementKind::Transaction);
}

TEST(Classify, SemicolonsAndEmptyStatements) {
  auto c = classify(";; SELECT 1 ; /* x */ ; -- y\n SELECT 2;", Dialect::SQLite);
  ASSERT_EQ(c.statements.size(), 2u);
  EXPECT_EQ(c.statements[0].begin, 3u);
  EXPECT_EQ(c.statements[0].end, 11u);
  EXPECT_TRUE(classify("  -- nothing\n/* here */ ;", Dialect::TSql).statements.empty());
}

TEST(Classify, KeepsContinuationsInOneStatement) {
  for (const char* sql : {
           "SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3 INTERSECT SELECT 4",
           "WITH a AS (SELECT 1 x), b AS (SELECT x FROM a) SELECT * FROM b",
           "INSERT INTO t (a) SELECT a FROM u UNION SELECT 3",
           "UPDATE t WITH (ROWLOCK) SET a = 1 WHERE id = 1",
           "MERGE t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1 "
           "WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id) WHEN NOT MATCHED BY SOURCE THEN DELETE;",
           "SELECT CASE WHEN a = 1 THEN 'x' ELSE 'y' END FROM t",
           "SELECT a FROM t ORDER BY a OFFSET 5 ROWS FETCH NEXT 5 ROWS ONLY",
           "SELECT TOP 3 WITH TIES a FROM t ORDER BY a",
           "SELECT a, COUNT(*) FROM t GROUP BY a WITH CUBE",
           "SELECT * FROM a INNER MERGE JOIN b ON a.id = b.id",
           "ALTER LOGIN x WITH PASSWORD = 'p'",
           "GRANT SELECT, INSERT, UPDATE, DELETE ON t TO u WITH GRANT OPTION",
       }) {
    EXPECT_EQ(classify(sql, Dialect::TSql).statements.size(), 1u) << sql;
  }
  for (const char* sql : {
           "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 2 WHERE b <> 2",
           "INSERT INTO t DEFAULT VALUES",
           "INSERT INTO t WITH x AS (SELECT 1) SELECT * FROM x",
           "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n LIMIT 3",
           "SELECT 1 UNION VALUES (2)",
       }) {
    EXPECT_EQ(classify(sql, Dialect::SQLite).statements.size(), 1u) << sql;
  }
}

TEST(Classify, Kinds) {
  struct K { const char* sql; Dialect d; StatementKind kind; };
  const K cases[] = {
      {"SELECT 1", Dialect::TSql, StatementKind::Select},
      {"(SELECT 1)", Dialect::TSql, StatementKind::Select},
      {"VALUES (1)", Dialect::SQLite, StatementKind::Select},
      {"WITH x AS (SELECT 1) SELECT * FROM x", Dialect::SQLite, StatementKind::Select},
      {"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", Dialect::SQLite, StatementKind::Insert},
      {"WITH x AS (SELECT 1) UPDATE t SET a = 1", Dialect::TSql, StatementKind::Update},
      {"WITH x AS (SELECT 1) DELETE FROM t", Dialect::TSql, StatementKind::Delete},
      {"REPLACE INTO t VALUES (1)", Dialect::SQLite, StatementKind::Insert},
      {"MERGE t USING s ON 1 = 1 WHEN MATCHED THEN DELETE;", Dialect::TSql, StatementKind::Merge},
      {"CREATE TABLE t (a int)", Dialect::SQLite, StatementKind::Ddl},
      {"TRUNCATE TABLE t", Dialect::TSql, StatementKind::Ddl},
      {"EXEC sp_who", Dialect::TSql, StatementKind::Exec},
      {"sp_who", Dialect::TSql, StatementKind::Exec},
      {"BEGIN TRAN", Dialect::TSql, StatementKind::Transaction},
      {"BEGIN", Dialect::SQLite, StatementKind::Transaction},
      {"SAVEPOINT a", Dialect::SQLite, StatementKind::Transaction},
      {"SET NOCOUNT ON", Dialect::TSql, StatementKind::Set},
      {"DECLARE @x int", Dialect::TSql, StatementKind::Set},
      {"USE master", Dialect::TSql, StatementKind::Set},
      {"PRAGMA table_info(t)", Dialect::SQLite, StatementKind::Pragma},
      {"ATTACH 'x' AS y", Dialect::SQLite, StatementKind::Attach},
      {"VACUUM", Dialect::SQLite, StatementKind::Other},
      {"UPDATE STATISTICS t", Dialect::TSql, StatementKind::Other},
      {"DBCC CHECKDB", Dialect::TSql, StatementKind::Other},
  };
  for (const K& k : cases) {
    EXPECT_EQ(only(k.sql, k.d).kind, k.kind) << k.sql;
  }
  EXPECT_STREQ(to_string(StatementKind::Select), "select");
  EXPECT_STREQ(to_string(StatementKind::Attach), "attach");
}

TEST(Classify, WhereIntoAndWrites) {
  EXPECT_TRUE(only("DELETE FROM t WHERE 1 = 1", Dialect::SQLite).has_where);
  EXPECT_FALSE(only("UPDATE t SET x = (SELECT 1 WHERE 1 = 1)", Dialect::TSql).has_where);
  EXPECT_FALSE(only("WITH x AS (SELECT * FROM t WHERE a = 1) DELETE FROM x", Dialect::TSql).has_where);
  EXPECT_FALSE(only("SELECT * FROM t WHERE a = 1", Dialect::TSql).has_where);  // only UPDATE/DELETE

  auto s = only("SELECT a INTO #t FROM t", Dialect::TSql);
  EXPECT_TRUE(s.select_into);
  EXPECT_TRUE(s.modifies_data);
  s = only("WITH x AS (SELECT 1) DELETE FROM t", Dialect::SQLite);
  EXPECT_TRUE(s.modifies_data);
  EXPECT_TRUE(s.with_cte);
  s = only("UPDATE t SET a = 1 OUTPUT inserted.a INTO @log WHERE id = 1", Dialect::TSql);
  EXPECT_TRUE(s.output_into);
  s = only("INSERT INTO log SELECT * FROM (DELETE FROM t OUTPUT deleted.*) AS d", Dialect::TSql);
  EXPECT_TRUE(s.nested_write);
  s = only("SELECT * FROM a JOIN b ON a.id = b.id OPTION (MERGE JOIN)", Dialect::TSql);
  EXPECT_FALSE(s.nested_write);
  EXPECT_FALSE(s.modifies_data);
  EXPECT_TRUE(only("SELECT * FROM t WITH (UPDLOCK)", Dialect::TSql).locking_hint);
  EXPECT_TRUE(only("SELECT NEXT VALUE FOR s", Dialect::TSql).sequence_advance);
}

TEST(Classify, Dangers) {
  EXPECT_TRUE(has_danger(only("EXEC('x')", Dialect::TSql), "dynamic_sql"));
  EXPECT_TRUE(has_danger(only("EXEC @sql", Dialect::TSql), "dynamic_sql"));
  EXPECT_FALSE(has_danger(only("EXEC @rc = dbo.p", Dialect::TSql), "dynamic_sql"));
  EXPECT_TRUE(has_danger(only("EXEC sp_executesql N'x'", Dialect::TSql), "dynamic_sql"));
  EXPECT_TRUE(has_danger(only("EXEC master..xp_cmdshell 'x'", Dialect::TSql), "xp_call"));
  EXPECT_TRUE(has_danger(only("EXEC [xp_dirtree] 'c:'", Dialect::TSql), "xp_call"));
  EXPECT_TRUE(has_danger(only("EXEC sp_OAMethod @o, 'Run'", Dialect::TSql), "xp_call"));
  // A column that merely starts with xp_ is not a call.
  EXPECT_TRUE(only("SELECT xp_total FROM t", Dialect::TSql).dangers.empty());
  EXPECT_TRUE(has_danger(only("SELECT * FROM OPENROWSET(BULK 'x', SINGLE_CLOB) f", Dialect::TSql), "openrowset"));
  EXPECT_TRUE(has_danger(only("INSERT INTO t EXEC p", Dialect::TSql), "insert_exec"));
  EXPECT_TRUE(has_danger(only("BULK INSERT t FROM 'x'", Dialect::TSql), "bulk_insert"));
  EXPECT_TRUE(has_danger(only("PRAGMA main.user_version = 3", Dialect::SQLite), "pragma_assignment"));
  EXPECT_TRUE(has_danger(only("PRAGMA journal_mode(WAL)", Dialect::SQLite), "pragma_assignment"));
  EXPECT_TRUE(only("PRAGMA table_info(t)", Dialect::SQLite).dangers.empty());
  EXPECT_TRUE(only("PRAGMA user_version", Dialect::SQLite).dangers.empty());
  EXPECT_TRUE(has_danger(only("SELECT load_extension('x')", Dialect::SQLite), "load_extension"));
  EXPECT_TRUE(only("SELECT edit FROM t", Dialect::SQLite).dangers.empty());  // a column, not edit()
  EXPECT_TRUE(has_danger(only("ATTACH 'x' AS y", Dialect::SQLite), "attach"));
}

TEST(Classify, LimitsAreReportedWithoutRecursion) {
  const std::string deep = "SELECT " + std::string(500000, '(');
  auto c = classify(deep, Dialect::TSql);
  EXPECT_EQ(c.error_rule, "too_deep");
  EXPECT_TRUE(c.statements.empty());
  const std::string ok = "SELECT " + std::string(kMaxNestingDepth, '(') + "1" + std::string(kMaxNestingDepth, ')');
  EXPECT_EQ(classify(ok, Dialect::SQLite).error_rule, "");
  std::string big = "SELECT 1";
  big.append(kMaxStatementBytes, ' ');
  EXPECT_EQ(classify(big, Dialect::TSql).error_rule, "too_long");
  // Just under the cap: a long but valid query is read completely.
  std::string many = "SELECT 1";
  while (many.size() + 20 < kMaxStatementBytes) many += " UNION ALL SELECT 1";
  c = classify(many, Dialect::TSql);
  EXPECT_EQ(c.error_rule, "");
  ASSERT_EQ(c.statements.size(), 1u);
  EXPECT_EQ(c.statements[0].end, many.size());
  EXPECT_EQ(classify("SELECT (1", Dialect::TSql).error_rule, "unbalanced_parentheses");
  EXPECT_EQ(classify("SELECT 1)", Dialect::SQLite).error_rule, "unbalanced_parentheses");
}

TEST(CheckRead, AllowsOneQuery) {
  auto v = check_read("SELECT '; DELETE FROM t'", Dialect::TSql);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.kind, StatementKind::Select);
  EXPECT_TRUE(v.rule.empty());
  EXPECT_TRUE(check_read("WITH x AS (SELECT 1 AS a) SELECT a FROM x", Dialect::SQLite).allowed);
}

TEST(CheckRead, RefusalsNameARuleAndSayWhatToChange) {
  auto v = check_read("SELECT 1 DELETE FROM t", Dialect::TSql);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "multiple_statements");
  EXPECT_NE(v.message.find("one statement"), std::string::npos);
  v = check_read("UPDATE t SET a = 1 WHERE id = 1", Dialect::SQLite);
  EXPECT_EQ(v.rule, "not_read_only");
  EXPECT_EQ(v.kind, StatementKind::Update);
  EXPECT_NE(v.message.find("update_data"), std::string::npos);
  v = check_read("SELECT * INTO x FROM t", Dialect::TSql);
  EXPECT_EQ(v.rule, "select_into");
  v = check_read("EXEC xp_cmdshell 'dir'", Dialect::TSql);
  EXPECT_EQ(v.rule, "dangerous_function:xp_call");
  v = check_read("PRAGMA table_info(t)", Dialect::SQLite);
  EXPECT_EQ(v.rule, "not_read_only");
  EXPECT_NE(v.message.find("pragma_table_info"), std::string::npos);
}

TEST(CheckInsert, OneInsertOnly) {
  EXPECT_TRUE(check_insert("INSERT INTO Region (Region_Libelle) VALUES ('Nord')", Dialect::SQLite).allowed);
  EXPECT_TRUE(check_insert("INSERT INTO t (a) SELECT a FROM u", Dialect::TSql).allowed);
  EXPECT_EQ(check_insert("INSERT INTO t VALUES (1) SELECT 1", Dialect::TSql).rule, "multiple_statements");
  EXPECT_EQ(check_insert("SELECT 1", Dialect::TSql).rule, "not_insert");
  EXPECT_EQ(check_insert("INSERT INTO t OUTPUT inserted.a INTO log VALUES (1)", Dialect::TSql).rule, "output_into");
}

TEST(CheckModify, RequiresWhere) {
  auto v = check_modify("UPDATE t SET x=1", Dialect::TSql, false, false);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "missing_where");
  EXPECT_NE(v.message.find("WHERE"), std::string::npos);
  v = check_modify("UPDATE t SET x=1 WHERE id=2", Dialect::TSql, false, false);
  EXPECT_TRUE(v.allowed) << v.rule;
  EXPECT_TRUE(v.has_where);
  EXPECT_EQ(v.kind, StatementKind::Update);
  v = check_modify("DELETE FROM t", Dialect::SQLite, true, false);
  EXPECT_TRUE(v.allowed);
  EXPECT_FALSE(v.has_where);
}

TEST(CheckModify, MergeOnlyWhenAllowed) {
  const char* merge = "MERGE t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a;";
  EXPECT_EQ(check_modify(merge, Dialect::TSql, false, false).rule, "merge_not_allowed");
  auto v = check_modify(merge, Dialect::TSql, false, true);
  EXPECT_TRUE(v.allowed) << v.rule;
  EXPECT_EQ(v.kind, StatementKind::Merge);
  EXPECT_EQ(check_modify("INSERT INTO t VALUES (1)", Dialect::TSql, true, true).rule, "not_update_or_delete");
}

}  // namespace
}  // namespace azsql::sql

namespace azsql::sql {
namespace {

TEST(Checks, ATypoIsReportedAsNotRecognisedWithTheNearestKeyword) {
  for (Dialect d : {Dialect::SQLite, Dialect::TSql}) {
    const Verdict v = check_read("SELEC * FRM t", d);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.rule, "unrecognised_statement") << to_string(d);
    EXPECT_NE(v.message.find("not recognised as SQL"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("'SELEC' (offset 0)"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("did you mean SELECT?"), std::string::npos) << v.message;
    EXPECT_EQ(v.message.find("this is a"), std::string::npos) << v.message;
  }
  const Verdict far = check_read("  foo bar", Dialect::SQLite);
  EXPECT_EQ(far.rule, "unrecognised_statement");
  EXPECT_NE(far.message.find("'foo' (offset 2)"), std::string::npos) << far.message;
  EXPECT_NE(far.message.find("starts with SELECT or WITH"), std::string::npos) << far.message;
  // A T-SQL procedure call is still a procedure call; real statements keep their own messages.
  EXPECT_EQ(check_read("sp_who", Dialect::TSql).rule, "not_read_only");
  EXPECT_EQ(check_read("VACUUM", Dialect::SQLite).rule, "not_read_only");
  EXPECT_EQ(check_insert("UPDTE t SET a = 1", Dialect::SQLite).rule, "unrecognised_statement");
}

}  // namespace
}  // namespace azsql::sql
