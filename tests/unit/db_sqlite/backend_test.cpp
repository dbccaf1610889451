#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include "db/sqlite/demo_database.hpp"
#include "db/sqlite/sqlite_backend.hpp"
#include "test_util.hpp"

namespace azsql::db::sqlite {
namespace {

using testing::Capture;
using testing::TempDir;
using namespace std::chrono_literals;

class DemoBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = create_demo_database(dir.path("demo.db"));
    ASSERT_TRUE(created.ok()) << created.error().message;
    auto b = SqliteBackend::open(dir.path("demo.db"));
    ASSERT_TRUE(b.ok()) << b.error().message;
    backend = *b;
    auto c = backend->pool().acquire(5s);
    ASSERT_TRUE(c.ok());
    conn = std::move(c).value();
  }

  TableDescription describe(const std::string& name, const std::string& schema = "") {
    auto d = backend->describe_table(*conn, {schema, name});
    EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
    EXPECT_TRUE(d.ok() && d->has_value()) << name;
    return d.ok() && d->has_value() ? **d : TableDescription{};
  }

  TempDir dir;
  std::shared_ptr<SqliteBackend> backend;
  PooledConnection conn;
};

TEST_F(DemoBackendTest, Identity) {
  EXPECT_EQ(backend->dialect(), Dialect::SQLite);
  EXPECT_EQ(backend->name(), "sqlite");
  EXPECT_EQ(backend->describe(), "SQLite " + dir.path("demo.db"));
}

TEST_F(DemoBackendTest, ListsTheSeedTablesWithRowCounts) {
  auto tables = backend->list_tables(*conn, {});
  ASSERT_TRUE(tables.ok()) << tables.error().message;
  ASSERT_EQ(tables->size(), 3u);  // sqlite_sequence is internal
  EXPECT_EQ((*tables)[0].name, "Article");
  EXPECT_EQ((*tables)[1].name, "CategorieArticles");
  EXPECT_EQ((*tables)[2].name, "Region");
  EXPECT_EQ((*tables)[0].row_count.value_or(-1), kDemoArticleCount);
  EXPECT_EQ((*tables)[1].row_count.value_or(-1), 10);
  EXPECT_EQ((*tables)[2].row_count.value_or(-1), 13);
  EXPECT_EQ((*tables)[0].schema, "main");
  EXPECT_EQ((*tables)[0].type, "table");

  ListTablesOptions with_views;
  with_views.include_views = true;
  auto all = backend->list_tables(*conn, with_views);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  const auto view = std::find_if(all->begin(), all->end(), [](const TableInfo& t) { return t.type == "view"; });
  ASSERT_NE(view, all->end());
  EXPECT_EQ(view->name, "v_ArticleDetails");
  EXPECT_FALSE(view->row_count.has_value());

  ListTablesOptions pattern;
  pattern.pattern = "art%";
  auto some = backend->list_tables(*conn, pattern);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].name, "Article");

  ListTablesOptions bad_schema;
  bad_schema.schema = "nope\"; DROP TABLE Article; --";
  auto none = backend->list_tables(*conn, bad_schema);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  ListTablesOptions main_schema;
  main_schema.schema = "main";
  EXPECT_EQ(backend->list_tables(*conn, main_schema)->size(), 3u);
}

TEST_F(DemoBackendTest, DescribesArticle) {
  const auto d = describe("article");  // case-insensitive like SQLite itself
  EXPECT_EQ(d.table.name, "Article");
  EXPECT_EQ(d.table.type, "table");
  EXPECT_EQ(d.table.row_count.value_or(-1), kDemoArticleCount);
  ASSERT_EQ(d.columns.size(), 7u);
  const auto col = [&](const std::string& n) -> const ColumnInfo& {
    static const ColumnInfo none;
    for (const auto& c : d.columns) {
      if (c.name == n) return c;
    }
    ADD_FAILURE() << "no column " << n;
    return none;
  };
  EXPECT_EQ(d.columns[0].name, "Article_Id");
  EXPECT_EQ(d.columns[0].ordinal, 1);
  EXPECT_TRUE(col("Article_Id").identity);
  EXPECT_FALSE(col("Article_Id").nullable);
  EXPECT_EQ(col("Tarif").type, "REAL");
  EXPECT_FALSE(col("Tarif").nullable);
  EXPECT_FALSE(col("Tarif").identity);
  EXPECT_TRUE(col("CategorieArticlesId").nullable);
  EXPECT_EQ(col("Stock").default_value.value_or(""), "0");
  EXPECT_NE(col("DateCreation").default_value.value_or("").find("strftime"), std::string::npos);
  EXPECT_EQ(d.primary_key, std::vector<std::string>{"Article_Id"});

  ASSERT_EQ(d.foreign_keys.size(), 2u);
  std::vector<std::string> refs;
  for (const auto& fk : d.foreign_keys) {
    refs.push_back(fk.ref_table + "(" + fk.ref_columns.at(0) + ")<-" + fk.columns.at(0));
    EXPECT_EQ(fk.table, "Article");
    EXPECT_EQ(fk.on_delete, "NO ACTION");
    EXPECT_FALSE(fk.name.empty());
  }
  std::sort(refs.begin(), refs.end());
  EXPECT_EQ(refs, (std::vector<std::string>{"CategorieArticles(CategorieArticles_Id)<-CategorieArticlesId",
                                            "Region(Region_Id)<-RegionId"}));
  EXPECT_TRUE(d.referenced_by.empty());

  std::vector<std::string> index_names;
  for (const auto& ix : d.indexes) index_names.push_back(ix.name);
  ASSERT_GE(d.indexes.size(), 3u);
  EXPECT_TRUE(d.indexes[0].primary_key);
  EXPECT_EQ(d.indexes[0].columns, std::vector<std::string>{"Article_Id"});
  const auto region_ix = std::find_if(d.indexes.begin(), d.indexes.end(),
                                      [](const IndexInfo& ix) { return ix.name == "IX_Article_RegionId"; });
  ASSERT_NE(region_ix, d.indexes.end());
  EXPECT_EQ(region_ix->columns, std::vector<std::string>{"RegionId"});
  EXPECT_FALSE(region_ix->unique);

  std::vector<std::string> checks;
  for (const auto& ck : d.checks) checks.push_back(ck.definition);
  EXPECT_EQ(checks, (std::vector<std::string>{"Tarif >= 0", "Stock >= 0"}));
  EXPECT_EQ(d.checks[0].name, "CK_Article_Tarif");
}

TEST_F(DemoBackendTest, DescribesForeignKeysFromTheReferencedSide) {
  const auto region = describe("Region");
  ASSERT_EQ(region.referenced_by.size(), 1u);
  const auto& fk = region.referenced_by[0];
  EXPECT_EQ(fk.table, "Article");
  EXPECT_EQ(fk.columns, std::vector<std::string>{"RegionId"});
  EXPECT_EQ(fk.ref_table, "Region");
  EXPECT_EQ(fk.ref_columns, std::vector<std::string>{"Region_Id"});
  EXPECT_TRUE(region.foreign_keys.empty());
  // The UNIQUE constraint on the label is an index.
  const auto uq = std::find_if(region.indexes.begin(), region.indexes.end(), [](const IndexInfo& ix) {
    return ix.unique && !ix.primary_key && ix.columns == std::vector<std::string>{"Region_Libelle"};
  });
  EXPECT_NE(uq, region.indexes.end());
  EXPECT_EQ(describe("CategorieArticles").referenced_by.size(), 1u);
}

TEST_F(DemoBackendTest, DescribesTheView) {
  const auto v = describe("v_ArticleDetails");
  EXPECT_EQ(v.table.type, "view");
  EXPECT_FALSE(v.table.row_count.has_value());
  ASSERT_EQ(v.columns.size(), 7u);
  EXPECT_EQ(v.columns[4].name, "Region");
  EXPECT_TRUE(v.primary_key.empty());
  EXPECT_TRUE(v.indexes.empty());
}

TEST_F(DemoBackendTest, UnknownTableIsNotAnError) {
  auto d = backend->describe_table(*conn, {"", "NoSuchTable"});
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->has_value());
  auto hostile = backend->describe_table(*conn, {"", "Article') ; DROP TABLE Article; --"});
  ASSERT_TRUE(hostile.ok());
  EXPECT_FALSE(hostile->has_value());
  auto other_schema = backend->describe_table(*conn, {"elsewhere", "Article"});
  ASSERT_TRUE(other_schema.ok());
  EXPECT_FALSE(other_schema->has_value());
  EXPECT_TRUE(backend->describe_table(*conn, {"main", "Article"})->has_value());
}

TEST_F(DemoBackendTest, DatabaseInfo) {
  auto info = backend->database_info(*conn);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->backend, "sqlite");
  EXPECT_EQ(info->product, "SQLite");
  EXPECT_EQ(info->server_version, sqlite3_libversion());
  EXPECT_EQ(info->database, "demo.db");
  EXPECT_EQ(info->collation, "UTF-8");
  EXPECT_EQ(info->current_user, "n/a");
  EXPECT_NE(info->edition.find("wal"), std::string::npos);
  // page_count * page_size covers the main file (the WAL may hold more pages on top).
  ASSERT_TRUE(info->size_bytes.has_value());
  EXPECT_GE(*info->size_bytes, static_cast<std::int64_t>(std::filesystem::file_size(dir.path("demo.db"))));
  EXPECT_GT(*info->size_bytes, 4096);
}

TEST_F(DemoBackendTest, ExplainWarnsAboutFullScansAndSuggestsAnIndex) {
  ExecOptions o;
  o.read_only = true;
  auto scan = backend->explain(*conn, "SELECT * FROM Article WHERE Tarif > 500", {}, o);
  ASSERT_TRUE(scan.ok()) << scan.error().message;
  ASSERT_FALSE(scan->nodes.empty());
  EXPECT_EQ(scan->nodes[0].op, "SCAN");
  EXPECT_EQ(scan->nodes[0].detail, "Article");
  EXPECT_EQ(scan->warnings, std::vector<std::string>{"full scan of Article"});
  ASSERT_EQ(scan->missing_indexes.size(), 1u);
  EXPECT_EQ(scan->missing_indexes[0], "CREATE INDEX \"IX_Article_Tarif\" ON \"Article\" (\"Tarif\")");

  auto seek = backend->explain(*conn, "SELECT * FROM Article WHERE Article_Id = ?", {{"", Value::integer(1)}}, o);
  ASSERT_TRUE(seek.ok()) << seek.error().message;
  ASSERT_EQ(seek->nodes.size(), 1u);
  EXPECT_EQ(seek->nodes[0].op, "SEARCH");
  EXPECT_NE(seek->nodes[0].detail.find("INTEGER PRIMARY KEY"), std::string::npos);
  EXPECT_TRUE(seek->warnings.empty());
  EXPECT_TRUE(seek->missing_indexes.empty());

  auto by_index = backend->explain(*conn, "SELECT * FROM Article WHERE RegionId = 1 ORDER BY Tarif", {}, o);
  ASSERT_TRUE(by_index.ok());
  bool uses_ix = false, sorts = false;
  for (const auto& n : by_index->nodes) uses_ix = uses_ix || n.detail.find("IX_Article_RegionId") != std::string::npos;
  for (const auto& w : by_index->warnings) sorts = sorts || w.find("temporary B-tree") != std::string::npos;
  EXPECT_TRUE(uses_ix);
  EXPECT_TRUE(sorts);

  // Already prefixed with EXPLAIN QUERY PLAN: explained once.
  auto prefixed = backend->explain(*conn, "explain query plan SELECT * FROM Article WHERE Tarif > 500", {}, o);
  ASSERT_TRUE(prefixed.ok()) << prefixed.error().message;
  EXPECT_EQ(prefixed->warnings, scan->warnings);

  // A join: parent ids link the plan rows.
  auto join = backend->explain(*conn, "SELECT * FROM v_ArticleDetails WHERE Region = 'Bretagne'", {}, o);
  ASSERT_TRUE(join.ok());
  EXPECT_GE(join->nodes.size(), 2u);
  auto sub = backend->explain(
      *conn, "SELECT * FROM Article WHERE RegionId IN (SELECT Region_Id FROM Region WHERE Region_Libelle LIKE 'B%')",
      {}, o);
  ASSERT_TRUE(sub.ok());
  bool linked = false;
  for (const auto& child : sub->nodes) {
    for (const auto& parent : sub->nodes) linked = linked || (child.parent != 0 && child.parent == parent.id);
  }
  EXPECT_TRUE(linked) << "no plan row points at its parent";

  // The statement under EXPLAIN is still one statement and still read-only.
  auto two = backend->explain(*conn, "SELECT 1; DELETE FROM Article", {}, o);
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().kind, ErrorKind::Refused);
  auto bad = backend->explain(*conn, "SELECT nope FROM Article", {}, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Database);
}

TEST_F(DemoBackendTest, SearchesObjects) {
  auto all = backend->search_objects(*conn, "%region%", {}, 100);
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::string> found;
  for (const auto& m : *all) found.push_back(m.type + ":" + (m.parent.empty() ? "" : m.parent + ".") + m.name);
  const std::vector<std::string> want = {"table:Region",
                                         "column:Article.RegionId",
                                         "column:Region.Region_Id",
                                         "column:Region.Region_Libelle",
                                         "column:v_ArticleDetails.Region",
                                         "index:Article.IX_Article_RegionId"};
  EXPECT_EQ(found, want);
  EXPECT_EQ((*all)[0].row_count.value_or(-1), 13);
  EXPECT_EQ((*all)[1].data_type, "INTEGER");

  auto cols = backend->search_objects(*conn, "%libelle%", {"column"}, 100);
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 4u);  // Article, CategorieArticles, Region, the view
  for (const auto& m : *cols) EXPECT_EQ(m.type, "column");

  auto limited = backend->search_objects(*conn, "%", {}, 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 2u);

  auto views = backend->search_objects(*conn, "V_%", {"view"}, 10);
  ASSERT_TRUE(views.ok());
  ASSERT_EQ(views->size(), 1u);
  EXPECT_EQ((*views)[0].name, "v_ArticleDetails");

  ASSERT_TRUE(conn->execute("CREATE TRIGGER trg_region_audit AFTER UPDATE ON Region BEGIN SELECT 1; END", {}, nullptr,
                            {})
                  .ok());
  auto triggers = backend->search_objects(*conn, "TRG%", {"trigger"}, 10);
  ASSERT_TRUE(triggers.ok());
  ASSERT_EQ(triggers->size(), 1u);
  EXPECT_EQ((*triggers)[0].type, "trigger");
  EXPECT_EQ((*triggers)[0].name, "trg_region_audit");
  EXPECT_EQ((*triggers)[0].parent, "Region");

  auto nothing = backend->search_objects(*conn, "%", {"procedure"}, 10);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST_F(DemoBackendTest, SeedExamplesRunAsWritten) {
  auto ins = conn->execute("INSERT INTO Region (Region_Libelle) VALUES ('New Region')", {}, nullptr, {});
  ASSERT_TRUE(ins.ok()) << ins.error().message;
  EXPECT_EQ(ins->rows_affected, 1);
  EXPECT_EQ(ins->last_insert_id.value_or(-1), 14);
  auto upd = conn->execute("UPDATE Region SET Region_Libelle = 'Updated Region' WHERE Region_Id = 1", {}, nullptr, {});
  ASSERT_TRUE(upd.ok()) << upd.error().message;
  EXPECT_EQ(upd->rows_affected, 1);
  ExecOptions ro;
  ro.read_only = true;
  Capture cap;
  auto sel = conn->execute("SELECT * FROM Article WHERE RegionId = 1 LIMIT 10", {}, &cap, ro);
  ASSERT_TRUE(sel.ok()) << sel.error().message;
  EXPECT_EQ(cap.rows.size(), 10u);
  ASSERT_EQ(cap.cols.size(), 7u);
  EXPECT_EQ(cap.cols[2].name, "Tarif");
  EXPECT_EQ(cap.cols[2].kind, Value::Kind::Float);
  Capture expensive;
  ASSERT_TRUE(conn->execute("SELECT * FROM Article WHERE Tarif > 500", {}, &expensive, ro).ok());
  EXPECT_GE(expensive.rows.size(), 20u);
  Capture detail;
  ASSERT_TRUE(conn->execute("SELECT * FROM v_ArticleDetails WHERE Article_Id = 1", {}, &detail, ro).ok());
  ASSERT_EQ(detail.rows.size(), 1u);
  EXPECT_FALSE(detail.rows[0][4].s.empty());
  // Defaults fill in what an INSERT leaves out (the DEFAULT expression runs with trusted_schema off).
  auto minimal = conn->execute("INSERT INTO Article (Libelle, Tarif, RegionId) VALUES ('Galette', 3.5, 4)", {},
                               nullptr, {});
  ASSERT_TRUE(minimal.ok()) << minimal.error().message;
  Capture fresh;
  ASSERT_TRUE(conn->execute("SELECT Stock, length(DateCreation) FROM Article WHERE Article_Id = ?",
                            {{"", Value::integer(*minimal->last_insert_id)}}, &fresh, ro)
                  .ok());
  EXPECT_EQ(fresh.rows.at(0).at(0).i, 0);
  EXPECT_EQ(fresh.rows.at(0).at(1).i, 19);
  // Foreign keys hold: an article in a region that does not exist is refused.
  auto orphan = conn->execute("INSERT INTO Article (Libelle, Tarif, RegionId) VALUES ('x', 1, 999)", {}, nullptr, {});
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, SQLITE_CONSTRAINT_FOREIGNKEY);
  auto negative = conn->execute("INSERT INTO Article (Libelle, Tarif, RegionId) VALUES ('x', -1, 1)", {}, nullptr, {});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, SQLITE_CONSTRAINT_CHECK);
}

TEST(SqliteCatalog, GeneratedColumnsNamedChecksPartialAndExpressionIndexes) {
  TempDir dir;
  auto b = SqliteBackend::open(dir.path("c.db"));
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto c = (*b)->pool().acquire(5s);
  ASSERT_TRUE(c.ok());
  for (const char* sql : {
           "CREATE TABLE parent (a INTEGER, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID",
           "CREATE TABLE \"odd \"\"name\"\"\" (id INTEGER PRIMARY KEY, qty INT, price REAL, "
           "total REAL GENERATED ALWAYS AS (qty * price) STORED, half REAL AS (price / 2), "
           "label TEXT COLLATE NOCASE, pa INTEGER, pb TEXT, "
           "CONSTRAINT ck_qty CHECK (qty >= 0), FOREIGN KEY (pa, pb) REFERENCES parent ON DELETE CASCADE)",
           "CREATE INDEX ix_partial ON \"odd \"\"name\"\"\" (label DESC) WHERE qty > 0",
           "CREATE INDEX ix_expr ON \"odd \"\"name\"\"\" (lower(label))",
           "CREATE TABLE self (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES self(id))",
       }) {
    auto r = (*c)->execute(sql, {}, nullptr, {});
    ASSERT_TRUE(r.ok()) << sql << ": " << r.error().message;
  }
  auto d = (*b)->describe_table(**c, {"", "odd \"name\""});
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->has_value());
  const auto& t = **d;
  ASSERT_EQ(t.columns.size(), 8u);
  EXPECT_TRUE(t.columns[3].computed);
  EXPECT_EQ(t.columns[3].computed_definition.value_or(""), "qty * price");
  EXPECT_TRUE(t.columns[4].computed);
  EXPECT_EQ(t.columns[4].computed_definition.value_or(""), "price / 2");
  EXPECT_FALSE(t.columns[2].computed);
  EXPECT_EQ(t.columns[5].collation.value_or(""), "NOCASE");
  ASSERT_EQ(t.checks.size(), 1u);
  EXPECT_EQ(t.checks[0].name, "ck_qty");
  EXPECT_EQ(t.checks[0].definition, "qty >= 0");
  ASSERT_EQ(t.foreign_keys.size(), 1u);
  EXPECT_EQ(t.foreign_keys[0].columns, (std::vector<std::string>{"pa", "pb"}));
  EXPECT_EQ(t.foreign_keys[0].ref_columns, (std::vector<std::string>{"a", "b"}));  // implicit: parent's key
  EXPECT_EQ(t.foreign_keys[0].on_delete, "CASCADE");
  bool partial = false, expr = false;
  for (const auto& ix : t.indexes) {
    if (ix.name == "ix_partial") {
      partial = true;
      EXPECT_EQ(ix.filter.value_or(""), "qty > 0");
      EXPECT_EQ(ix.columns, std::vector<std::string>{"label DESC"});
    }
    if (ix.name == "ix_expr") {
      expr = true;
      EXPECT_EQ(ix.columns, std::vector<std::string>{"<expression>"});
    }
  }
  EXPECT_TRUE(partial);
  EXPECT_TRUE(expr);

  auto p = (*b)->describe_table(**c, {"", "parent"});
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->primary_key, (std::vector<std::string>{"a", "b"}));
  for (const auto& col : (*p)->columns) EXPECT_FALSE(col.identity);  // WITHOUT ROWID: no rowid alias
  ASSERT_EQ((*p)->referenced_by.size(), 1u);
  EXPECT_EQ((*p)->referenced_by[0].table, "odd \"name\"");
  EXPECT_EQ((*p)->table.row_count.value_or(-1), 0);

  auto s = (*b)->describe_table(**c, {"", "self"});
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->foreign_keys.size(), 1u);
  EXPECT_EQ((*s)->referenced_by.size(), 1u);
}

TEST(SqliteCatalog, LargeTablesReportAnEstimate) {
  TempDir dir;
  BackendOptions options;
  options.exact_count_bound = 100;
  auto b = SqliteBackend::open(dir.path("big.db"), options);
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(5s);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->execute("CREATE TABLE big (id INTEGER PRIMARY KEY)", {}, nullptr, {}).ok());
  ASSERT_TRUE((*c)
                  ->execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500) "
                            "INSERT INTO big SELECT x * 2 FROM n",
                            {}, nullptr, {})
                  .ok());
  auto t = (*b)->list_tables(**c, {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].row_count.value_or(-1), 1000);  // above the bound: the largest rowid
  ASSERT_TRUE((*c)->execute("ANALYZE", {}, nullptr, {}).ok());
  auto t2 = (*b)->list_tables(**c, {});
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ((*t2)[0].row_count.value_or(-1), 500);  // sqlite_stat1
}

TEST(SqliteCatalog, VirtualTablesAreListedAndTheirShadowTablesAreNot) {
  TempDir dir;
  auto b = SqliteBackend::open(dir.path("fts.db"));
  ASSERT_TRUE(b.ok());
  auto c = (*b)->pool().acquire(5s);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->execute("CREATE VIRTUAL TABLE docs USING fts5(body)", {}, nullptr, {}).ok());
  ASSERT_TRUE((*c)->execute("CREATE TABLE plain (id INTEGER PRIMARY KEY)", {}, nullptr, {}).ok());
  auto t = (*b)->list_tables(**c, {});
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].name, "docs");
  EXPECT_EQ((*t)[0].type, "table");
  EXPECT_FALSE((*t)[0].row_count.has_value());
  EXPECT_EQ((*t)[1].name, "plain");
  EXPECT_EQ((*t)[1].row_count.value_or(-1), 0);
  auto found = (*b)->search_objects(**c, "docs%", {}, 50);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 1u);  // not docs_data, docs_idx, …
  EXPECT_EQ((*found)[0].name, "docs");
}

TEST(SqlitePool, SizeZeroOpensPerRequest) {
  TempDir dir;
  BackendOptions options;
  options.pool_size = 0;
  auto b = SqliteBackend::open(dir.path("p.db"), options);
  ASSERT_TRUE(b.ok());
  const auto created_at_start = (*b)->pool().stats().created;
  for (int i = 0; i < 3; ++i) {
    auto c = (*b)->pool().acquire(1s);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*b)->pool().stats().open, 1u);
    Capture cap;
    ASSERT_TRUE((*c)->execute("SELECT 41 + 1", {}, &cap, {}).ok());
    EXPECT_EQ(cap.rows.at(0).at(0).i, 42);
  }
  EXPECT_EQ((*b)->pool().stats().open, 0u);  // closed after each request
  EXPECT_EQ((*b)->pool().stats().created, created_at_start + 3);
  // Several at once: no cap.
  auto a1 = (*b)->pool().acquire(1s);
  auto a2 = (*b)->pool().acquire(1s);
  auto a3 = (*b)->pool().acquire(1s);
  ASSERT_TRUE(a1.ok() && a2.ok() && a3.ok());
  EXPECT_EQ((*b)->pool().stats().open, 3u);
}

TEST(SqlitePool, PooledConnectionsAreReused) {
  TempDir dir;
  BackendOptions options;
  options.pool_size = 2;
  auto b = SqliteBackend::open(dir.path("p.db"), options);
  ASSERT_TRUE(b.ok());
  for (int i = 0; i < 5; ++i) {
    auto c = (*b)->pool().acquire(1s);
    ASSERT_TRUE(c.ok());
  }
  EXPECT_EQ((*b)->pool().stats().created, 1u);
  auto c1 = (*b)->pool().acquire(1s);
  auto c2 = (*b)->pool().acquire(1s);
  ASSERT_TRUE(c1.ok() && c2.ok());
  auto c3 = (*b)->pool().acquire(50ms);
  ASSERT_FALSE(c3.ok());
  EXPECT_EQ(c3.error().kind, ErrorKind::Timeout);
}

TEST(SqliteBackendOpen, RejectsAFileThatIsNotADatabase) {
  TempDir dir;
  {
    std::FILE* f = std::fopen(dir.path("notes.txt").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < 64; ++i) std::fputs("plain text, not SQLite. ", f);
    std::fclose(f);
  }
  auto b = SqliteBackend::open(dir.path("notes.txt"));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code & 0xff, SQLITE_NOTADB);
}

}  // namespace
}  // namespace azsql::db::sqlite
