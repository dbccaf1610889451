// TdsBackend catalog queries against the Python TDS test server's demo schema.
#include <gtest/gtest.h>

#include "db/tds/tds_backend.hpp"
#include "tds_server_fixture.hpp"

using namespace azsql;
using namespace azsql::db;
using namespace azsql::db::tds;

namespace {

TdsBackendOptions options(const tds_test::TdsServer& s, bool read_only = false) {
  TdsBackendOptions o;
  o.connection.port = static_cast<std::uint16_t>(s.port);
  o.connection.database = "demo";
  o.connection.user = "sa";
  o.connection.password = "Passw0rd!";
  o.connection.ca_file = s.cert;
  o.pool_size = 2;
  o.read_only_mode = read_only;
  return o;
}

}  // namespace

class TdsBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new tds_test::TdsServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static tds_test::TdsServer* server_;
};
tds_test::TdsServer* TdsBackendTest::server_ = nullptr;

TEST_F(TdsBackendTest, DescribesWithoutSecrets) {
  auto b = TdsBackend::open(options(*server_));
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ((*b)->name(), "sqlserver");
  EXPECT_EQ((*b)->dialect(), Dialect::TSql);
  EXPECT_EQ((*b)->describe(), "SQL Server 127.0.0.1," + std::to_string(server_->port) + "/demo");
  EXPECT_EQ((*b)->describe().find("Passw0rd"), std::string::npos);
}

TEST_F(TdsBackendTest, OpenFailsFastOnBadPassword) {
  auto o = options(*server_);
  o.connection.password = "nope";
  auto b = TdsBackend::open(o);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, 18456);
}

TEST_F(TdsBackendTest, ListTables) {
  auto b = TdsBackend::open(options(*server_));
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(std::chrono::seconds(10));
  ASSERT_TRUE(c.ok());
  auto t = (*b)->list_tables(**c, {});
  ASSERT_TRUE(t.ok()) << t.error().message;
  std::map<std::string, TableInfo> by;
  for (auto& x : *t) by[x.name] = x;
  ASSERT_TRUE(by.count("Article"));
  ASSERT_TRUE(by.count("Region"));
  EXPECT_FALSE(by.count("v_ArticleDetails"));
  EXPECT_EQ(by["Article"].schema, "dbo");
  EXPECT_EQ(by["Article"].type, "table");
  ASSERT_TRUE(by["Region"].row_count.has_value());
  EXPECT_GT(*by["Region"].row_count, 0);
  ListTablesOptions o;
  o.include_views = true;
  o.pattern = "%article%";
  t = (*b)->list_tables(**c, o);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->size(), 3u);  // LIKE is case-insensitive: Article, CategorieArticles, v_ArticleDetails
  EXPECT_EQ((*t)[0].name, "Article");
  EXPECT_EQ((*t)[1].name, "CategorieArticles");
  EXPECT_EQ((*t)[2].name, "v_ArticleDetails");
  EXPECT_EQ((*t)[2].type, "view");
  EXPECT_FALSE((*t)[2].row_count.has_value());
  o.schema = "nosuchschema";
  t = (*b)->list_tables(**c, o);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->empty());
}

TEST_F(TdsBackendTest, DescribeArticle) {
  auto b = TdsBackend::open(options(*server_));
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(std::chrono::seconds(10));
  ASSERT_TRUE(c.ok());
  auto d = (*b)->describe_table(**c, {"", "article"});
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->has_value());
  const auto& t = **d;
  EXPECT_EQ(t.table.name, "Article");
  EXPECT_EQ(t.table.schema, "dbo");
  ASSERT_FALSE(t.columns.empty());
  EXPECT_TRUE(t.columns[0].identity);
  EXPECT_FALSE(t.columns[0].nullable);
  EXPECT_EQ(t.primary_key.size(), 1u);
  EXPECT_FALSE(t.foreign_keys.empty());
  bool to_region = false;
  for (const auto& fk : t.foreign_keys) to_region |= fk.ref_table == "Region";
  EXPECT_TRUE(to_region);
  bool has_nvarchar = false;
  for (const auto& col : t.columns) has_nvarchar |= col.type.rfind("nvarchar(", 0) == 0;
  EXPECT_TRUE(has_nvarchar);
  EXPECT_FALSE(t.checks.empty());
  ASSERT_TRUE(t.table.row_count.has_value());

  auto region = (*b)->describe_table(**c, {"dbo", "Region"});
  ASSERT_TRUE(region.ok());
  ASSERT_TRUE(region->has_value());
  EXPECT_FALSE((*region)->referenced_by.empty());
  EXPECT_EQ((*region)->referenced_by[0].ref_table, "Region");

  auto none = (*b)->describe_table(**c, {"", "Nope'; DROP TABLE Region; --"});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
}

TEST_F(TdsBackendTest, DatabaseInfoAndWarnings) {
  auto b = TdsBackend::open(options(*server_, true));
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(std::chrono::seconds(10));
  ASSERT_TRUE(c.ok());
  auto i = (*b)->database_info(**c);
  ASSERT_TRUE(i.ok()) << i.error().message;
  EXPECT_EQ(i->backend, "sqlserver");
  EXPECT_EQ(i->product, "Azure SQL Database");
  EXPECT_EQ(i->database, "demo");
  EXPECT_FALSE(i->server_version.empty());
  EXPECT_FALSE(i->collation.empty());
  EXPECT_TRUE(i->compatibility_level.has_value());
  // The demo login is dbo (db_owner) — too much for read-only mode.
  ASSERT_FALSE(i->warnings.empty());
  EXPECT_NE(i->warnings[0].find("read-only"), std::string::npos);
}

TEST_F(TdsBackendTest, ExplainSummarisesShowplan) {
  auto b = TdsBackend::open(options(*server_));
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(std::chrono::seconds(10));
  ASSERT_TRUE(c.ok());
  auto p = (*b)->explain(**c, "SELECT * FROM Article WHERE RegionId = @r", {{"@r", Value::integer(1)}}, {});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_FALSE(p->nodes.empty());
  EXPECT_FALSE(p->nodes[0].op.empty());
  // SHOWPLAN was switched off again: the next statement runs.
  auto r = (**c).execute("SELECT 1", {}, nullptr, {});
  ASSERT_TRUE(r.ok());
}

TEST(TdsShowplan, SummarisesOperatorsAndMissingIndexes) {
  const char* xml = R"(<?xml version="1.0" encoding="utf-16"?>
<ShowPlanXML xmlns="http://schemas.microsoft.com/sqlserver/2004/07/showplan" Version="1.5"><BatchSequence><Batch><Statements>
<StmtSimple StatementText="SELECT * FROM Article WHERE RegionId = 1" StatementSubTreeCost="0.0328"><QueryPlan>
<MissingIndexes><MissingIndexGroup Impact="93.5"><MissingIndex Database="[demo]" Schema="[dbo]" Table="[Article]">
<ColumnGroup Usage="EQUALITY"><Column Name="[RegionId]" ColumnId="3"/></ColumnGroup>
<ColumnGroup Usage="INCLUDE"><Column Name="[Name]" ColumnId="2"/></ColumnGroup></MissingIndex></MissingIndexGroup></MissingIndexes>
<RelOp NodeId="0" PhysicalOp="Nested Loops" LogicalOp="Inner Join" EstimateRows="12" EstimatedTotalSubtreeCost="0.0328">
<NestedLoops><RelOp NodeId="1" PhysicalOp="Clustered Index Scan" LogicalOp="Clustered Index Scan" EstimateRows="12.5" EstimatedTotalSubtreeCost="0.0032">
<IndexScan><Object Database="[demo]" Schema="[dbo]" Table="[Article]" Index="[PK_Article]"/></IndexScan></RelOp>
<RelOp NodeId="2" PhysicalOp="Clustered Index Seek" LogicalOp="Clustered Index Seek" EstimateRows="1" EstimatedTotalSubtreeCost="0.0001"/>
</NestedLoops></RelOp></QueryPlan></StmtSimple></Statements></Batch></BatchSequence></ShowPlanXML>)";
  Plan p = summarize_showplan(xml);
  ASSERT_EQ(p.nodes.size(), 3u);
  EXPECT_EQ(p.nodes[0].op, "Nested Loops");
  EXPECT_EQ(p.nodes[0].parent, -1);
  EXPECT_EQ(p.nodes[1].parent, 0);
  EXPECT_EQ(p.nodes[2].parent, 0);
  EXPECT_DOUBLE_EQ(*p.nodes[1].estimated_rows, 12.5);
  EXPECT_NE(p.nodes[1].detail.find("[Article]"), std::string::npos);
  ASSERT_TRUE(p.total_cost.has_value());
  EXPECT_DOUBLE_EQ(*p.total_cost, 0.0328);
  ASSERT_EQ(p.missing_indexes.size(), 1u);
  EXPECT_EQ(p.missing_indexes[0].rfind("CREATE INDEX ON [dbo].[Article] ([RegionId]) INCLUDE ([Name])", 0), 0u)
      << p.missing_indexes[0];
  ASSERT_FALSE(p.warnings.empty());
  EXPECT_NE(p.warnings[0].find("Clustered Index Scan"), std::string::npos);
}

TEST_F(TdsBackendTest, SearchObjects) {
  auto b = TdsBackend::open(options(*server_));
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(std::chrono::seconds(10));
  ASSERT_TRUE(c.ok());
  auto m = (*b)->search_objects(**c, "%Region%", {}, 50);
  ASSERT_TRUE(m.ok()) << m.error().message;
  bool table = false, column = false;
  for (const auto& x : *m) {
    table |= x.type == "table" && x.name == "Region";
    column |= x.type == "column" && x.parent == "Article";
  }
  EXPECT_TRUE(table);
  EXPECT_TRUE(column);
  auto only_cols = (*b)->search_objects(**c, "%Libelle%", {"column"}, 1);
  ASSERT_TRUE(only_cols.ok());
  ASSERT_EQ(only_cols->size(), 1u);
  EXPECT_EQ((*only_cols)[0].type, "column");
  EXPECT_FALSE((*only_cols)[0].data_type.empty());
}

TEST(TdsTypeFormat, FormatsLengths) {
  EXPECT_EQ(format_sql_type("nvarchar", 100, 0, 0), "nvarchar(50)");
  EXPECT_EQ(format_sql_type("nvarchar", -1, 0, 0), "nvarchar(max)");
  EXPECT_EQ(format_sql_type("varbinary", -1, 0, 0), "varbinary(max)");
  EXPECT_EQ(format_sql_type("decimal", 9, 10, 2), "decimal(10,2)");
  EXPECT_EQ(format_sql_type("datetime2", 8, 27, 7), "datetime2(7)");
  EXPECT_EQ(format_sql_type("int", 4, 10, 0), "int");
}

TEST(TdsBackendPermissions, ListsWithoutRowCountsWhenDmvsAreDenied) {
  // Azure SQL logins without VIEW DATABASE STATE cannot read sys.dm_db_partition_stats (error 300).
  tds_test::TdsServer srv({"--deny-view-database-state"});
  auto b = TdsBackend::open(options(srv));
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto c = (*b)->pool().acquire(std::chrono::seconds(10));
  ASSERT_TRUE(c.ok());
  auto direct = (**c).execute("SELECT COUNT(*) FROM sys.dm_db_partition_stats", {}, nullptr, {});
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().code, 300);
  auto t = (*b)->list_tables(**c, {});
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_FALSE(t->empty());
  for (const auto& x : *t) EXPECT_FALSE(x.row_count.has_value()) << x.name;
  auto m = (*b)->search_objects(**c, "Region", {"table"}, 10);
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_EQ(m->size(), 1u);
  auto d = (*b)->describe_table(**c, {"", "Region"});
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->has_value());
  EXPECT_FALSE((*d)->table.row_count.has_value());
  auto i = (*b)->database_info(**c);
  ASSERT_TRUE(i.ok()) << i.error().message;
  EXPECT_FALSE(i->size_bytes.has_value());
}
