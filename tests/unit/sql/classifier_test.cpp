#include <gtest/gtest.h>

#include "sql/classifier.hpp"

namespace azsql::sql {
namespace {

TEST(Classify, SplitsTsqlStatementsWithoutSemicolons) {
  auto c = classify("SELECT 1 SELECT 2", Dialect::TSql);
  ASSERT_EQ(c.statements.size(), 2u);
  EXPECT_EQ(c.statements[0].kind, StatementKind::Select);
  EXPECT_EQ(c.statements[0].begin, 0u);
  EXPECT_EQ(c.statements[0].end, 8u);
  EXPECT_EQ(c.statements[1].begin, 9u);
  c = classify("SELECT * FROM t\nDELETE FROM t", Dialect::TSql);
  ASSERT_EQ(c.statements.size(), 2u);
  EXPECT_EQ(c.statements[1].kind, StatementKind::Delete);
}

TEST(CheckRead, AllowsOneQuery) {
  EXPECT_TRUE(check_read("SELECT '; DELETE FROM t'", Dialect::TSql).allowed);
  EXPECT_TRUE(check_read("WITH x AS (SELECT 1 AS a) SELECT a FROM x", Dialect::SQLite).allowed);
}

TEST(CheckModify, RequiresWhere) {
  auto v = check_modify("UPDATE t SET x=1", Dialect::TSql, false, false);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.rule, "missing_where");
  v = check_modify("UPDATE t SET x=1 WHERE id=2", Dialect::TSql, false, false);
  EXPECT_TRUE(v.allowed) << v.rule;
  EXPECT_TRUE(v.has_where);
}

}  // namespace
}  // namespace azsql::sql
