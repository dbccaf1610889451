#include "tools/support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mcp/schema_validate.hpp"

namespace azsql::tools::detail {
namespace {

TEST(Support, EditDistanceIsCaseInsensitiveLevenshtein) {
  EXPECT_EQ(edit_distance("Article", "article"), 0u);
  EXPECT_EQ(edit_distance("Artcle", "Article"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("Artikel", "Article"), 2u);  // one substitution, one transposition
}

TEST(Support, CloseNamesRanksNearMatchesAndDropsFarOnes) {
  std::vector<std::string> names{"Article", "CategorieArticles", "Region", "v_ArticleDetails"};
  auto c = close_names("Artcle", names);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(c[0], "Article");
  EXPECT_EQ(std::find(c.begin(), c.end(), "Region"), c.end());
  auto r = close_names("regoin", names);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0], "Region");
  EXPECT_TRUE(close_names("zzzzzzzz", names).empty());
}

TEST(Support, WriteTargetFindsTheWrittenTable) {
  EXPECT_EQ(write_target("INSERT INTO Region (Region_Libelle) VALUES ('x')", Dialect::SQLite), "Region");
  EXPECT_EQ(write_target("  -- c\n insert or replace into \"My Table\" values (1)", Dialect::SQLite), "My Table");
  EXPECT_EQ(write_target("INSERT [dbo].[Region] VALUES (1)", Dialect::TSql), "Region");
  EXPECT_EQ(write_target("INSERT INTO sales.Orders VALUES (1)", Dialect::TSql), "sales.Orders");
  EXPECT_EQ(write_target("UPDATE TOP (5) dbo.Article SET Stock = 0 WHERE 1=1", Dialect::TSql), "Article");
  EXPECT_EQ(write_target("DELETE FROM Article WHERE Article_Id = 3", Dialect::SQLite), "Article");
  EXPECT_EQ(write_target("DELETE Article WHERE Article_Id = 3", Dialect::TSql), "Article");
  EXPECT_EQ(write_target("SELECT 1", Dialect::SQLite), std::nullopt);
  EXPECT_EQ(write_target("WITH x AS (SELECT 1) DELETE FROM t", Dialect::SQLite), std::nullopt);
  EXPECT_EQ(write_target("", Dialect::SQLite), std::nullopt);
  EXPECT_EQ(write_target("INSERT INTO \"unterminated", Dialect::SQLite), std::nullopt);
}

TEST(Support, ParametersFromJson) {
  bj::value arr = bj::parse(R"([1, "a", null, true, 2.5])");
  auto p = to_params(&arr);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 5u);
  EXPECT_EQ((*p)[0].value.kind, db::Value::Kind::Int);
  EXPECT_EQ((*p)[1].value.s, "a");
  EXPECT_TRUE((*p)[2].value.is_null());
  EXPECT_EQ((*p)[3].value.kind, db::Value::Kind::Bool);
  EXPECT_EQ((*p)[4].value.f, 2.5);
  EXPECT_TRUE((*p)[0].name.empty());

  bj::value obj = bj::parse(R"({"id": 7, "@name": "x"})");
  auto n = to_params(&obj);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->size(), 2u);
  EXPECT_EQ((*n)[0].name, "id");
  EXPECT_EQ((*n)[1].name, "@name");

  bj::value nested = bj::parse(R"([[1]])");
  auto bad = to_params(&nested);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("parameters[0]"), std::string::npos);
  bj::value huge = bj::parse("[18446744073709551615]");
  EXPECT_FALSE(to_params(&huge).ok());
  EXPECT_TRUE(to_params(nullptr).ok());
}

TEST(Support, PercentDecode) {
  EXPECT_EQ(percent_decode("dbo.Article"), "dbo.Article");
  EXPECT_EQ(percent_decode("%5Bdbo%5D.%5BMy%20Table%5D"), "[dbo].[My Table]");
  EXPECT_EQ(percent_decode("bad%2"), std::nullopt);
  EXPECT_EQ(percent_encode("sales.My Table/x"), "sales.My%20Table%2Fx");
  EXPECT_EQ(percent_decode(percent_encode("[dbo].[a]]b]")), "[dbo].[a]]b]");
  EXPECT_EQ(percent_decode("bad%zz"), std::nullopt);
}

TEST(Support, OutcomeRingKeepsAWindow) {
  OutcomeRing ring(3);
  ring.record("a", true, "");
  ring.record("b", false, "boom");
  ring.record("c", true, "");
  ring.record("d", false, "bang");
  auto s = ring.summary();
  EXPECT_EQ(s.window, 3u);
  EXPECT_EQ(s.calls, 3u);
  EXPECT_EQ(s.errors, 2u);
  EXPECT_EQ(s.total_calls, 4u);
  ASSERT_EQ(s.last_errors.size(), 2u);
  EXPECT_EQ(s.last_errors[0].tool, "d");  // newest first
  ring.record("e", true, "");
  ring.record("f", true, "");
  EXPECT_EQ(ring.summary().errors, 1u);  // "b" fell out of the window
}

TEST(Support, ErrorVariantSchemaAcceptsSuccessAndErrorShapes) {
  auto s = with_error_variant(schema(R"({"type":"object","properties":{"n":{"type":"integer"}}})"), {"n"});
  EXPECT_TRUE(mcp::validate_schema(bj::parse(R"({"n":1})"), s).empty());
  EXPECT_TRUE(mcp::validate_schema(bj::parse(R"({"error":{"kind":"x","message":"m"}})"), s).empty());
  EXPECT_FALSE(mcp::validate_schema(bj::parse(R"({})"), s).empty());
}

TEST(Support, ACommitLostWithItsConnectionIsReportedInDoubt) {
  Error e = Error::make(ErrorKind::Io, "connection to SQL Server lost: the server closed the connection");
  e.broken = true;
  e.in_doubt = true;
  auto r = error_result(e, "insert_data (commit)", Dialect::TSql, std::chrono::milliseconds(30000));
  EXPECT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("outcome is unknown"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("may or may not have been applied"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("check with read_data"), std::string::npos) << r.text;
  const auto& err = r.structured.at("error").as_object();
  EXPECT_EQ(err.at("in_doubt"), true);
  EXPECT_EQ(err.at("outcome"), "unknown");

  // The same lost connection before any COMMIT: a plain failure, nothing in doubt.
  e.in_doubt = false;
  auto plain = error_result(e, "insert_data", Dialect::TSql, std::chrono::milliseconds(30000));
  EXPECT_EQ(plain.text.find("outcome is unknown"), std::string::npos) << plain.text;
  EXPECT_NE(plain.text.find("connection to the database was lost"), std::string::npos) << plain.text;
  EXPECT_FALSE(plain.structured.at("error").as_object().contains("in_doubt"));
}

TEST(Support, AResultOverTheValueCapSaysToSelectLess) {
  Error e = Error::make(ErrorKind::Limit, "the result holds a value of 5000000 bytes ... (MCP_MAX_VALUE_BYTES=1048576)");
  e.broken = true;
  auto r = error_result(e, "read_data", Dialect::TSql, std::chrono::milliseconds(30000));
  EXPECT_NE(r.text.find("SUBSTRING"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("Retry shortly"), std::string::npos) << r.text;
  EXPECT_EQ(r.structured.at("error").as_object().at("kind"), "limit");
}

}  // namespace
}  // namespace azsql::tools::detail
