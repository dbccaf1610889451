// Every tool, resource, prompt and completion against a real SQLite backend on a temp copy of the
// demo database. Each call is validated as the core would (input schema first) and every
// structuredContent, success or error, is checked against the tool's outputSchema.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "db/sqlite/demo_database.hpp"
#include "db/sqlite/sqlite_backend.hpp"
#include "mcp/schema_validate.hpp"
#include "tools/tools.hpp"

namespace azsql::tools {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

class FakeCtx final : public mcp::CallContext {
 public:
  const CancelToken& cancel() const override { return token; }
  void progress(double p, std::optional<double>, std::string_view) override {
    ++progress_calls;
    last_progress = p;
    if (cancel_at_progress && p >= *cancel_at_progress) token.cancel();
  }
  void log(mcp::LogLevel, std::string_view, bj::value) override {}
  void resources_updated(const std::vector<std::string>& uris) override {
    std::lock_guard lock(mu);
    updated.insert(updated.end(), uris.begin(), uris.end());
  }
  const mcp::ClientInfo& client() const override { return info; }
  /// Answers elicitation/create with `answer` when set (a 2025-era client that declared elicitation).
  mcp::InputOutcome request_input(std::string_view, std::string_view method, bj::object params) override {
    ++input_requests;
    last_input_method = std::string(method);
    last_input_params = std::move(params);
    mcp::InputOutcome o;
    if (!answer) return o;  // Unsupported
    o.status = mcp::InputOutcome::Status::Answered;
    o.result = *answer;
    return o;
  }

  CancelToken token;
  mcp::ClientInfo info;
  int progress_calls = 0;
  double last_progress = 0;
  std::optional<double> cancel_at_progress;
  std::mutex mu;
  std::vector<std::string> updated;
  std::optional<bj::object> answer;
  int input_requests = 0;
  std::string last_input_method;
  bj::object last_input_params;
};

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("azsql-tools-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "demo.db").string();
    auto created = db::sqlite::create_demo_database(path_);
    ASSERT_TRUE(created.ok()) << created.error().message;
    open_server(cfg_);
  }
  void TearDown() override {
    registry_.reset();
    backend_.reset();
    fs::remove_all(dir_);
  }

  void open_server(const ToolsConfig& cfg) {
    registry_ = std::make_unique<mcp::Registry>();
    db::sqlite::BackendOptions o;
    o.pool_size = 2;
    auto b = db::sqlite::SqliteBackend::open(path_, o);
    ASSERT_TRUE(b.ok()) << b.error().message;
    backend_ = std::move(b).value();
    register_all(*registry_, backend_, cfg);
  }

  /// Calls like the core does: input schema first, then the tool; checks the output schema.
  mcp::ToolResult call(const std::string& name, std::string_view args_json = "{}", FakeCtx* ctx = nullptr) {
    FakeCtx local;
    FakeCtx& c = ctx ? *ctx : local;
    mcp::Tool* t = registry_->find_tool(name);
    EXPECT_NE(t, nullptr) << name;
    if (!t) return mcp::ToolResult::error("no tool");
    bj::object args = bj::parse(args_json).as_object();
    auto problem = mcp::validate_schema(args, t->definition().input_schema);
    if (!problem.empty()) return mcp::ToolResult::error("Invalid arguments: " + problem);
    auto r = t->call(args, c);
    EXPECT_FALSE(r.text.empty()) << name;
    if (!r.structured.empty()) {
      auto bad = mcp::validate_schema(r.structured, t->definition().output_schema, "structuredContent");
      EXPECT_TRUE(bad.empty()) << name << ": " << bad << "\n" << bj::serialize(r.structured);
    } else {
      EXPECT_TRUE(r.is_error) << name << " returned no structuredContent";
    }
    return r;
  }

  std::int64_t scalar(const std::string& query) {
    auto r = call("read_data", bj::serialize(bj::object{{"query", query}}));
    EXPECT_FALSE(r.is_error) << r.text;
    return r.structured.at("rows").as_array().at(0).as_array().at(0).to_number<std::int64_t>();
  }

  std::string file_bytes() {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  std::string path_;
  ToolsConfig cfg_;
  std::shared_ptr<db::sqlite::SqliteBackend> backend_;
  std::unique_ptr<mcp::Registry> registry_;
};

std::string text_of(const bj::value& v) { return std::string(v.as_string()); }

// ---------------------------------------------------------------- registration

// Issue 17: every conversation pays the tool definitions on every turn. `make bench` counts their tokens
// (bench/tokens.mjs: 949 for ten tools, ~4.3 characters per token); this guards the size in characters
// of what a model is given — {name, description, input_schema} — and the hints that prevent failed calls.
TEST_F(ToolsTest, ToolDefinitionsStayCompactAndKeepTheirSafetyHints) {
  std::size_t total = 0;
  for (const auto& t : registry_->tools()) {
    const auto& d = t->definition();
    bj::object model_view;
    model_view["name"] = d.name;
    model_view["description"] = d.description;
    model_view["input_schema"] = d.input_schema;
    const std::size_t n = bj::serialize(model_view).size();
    EXPECT_LE(n, 800u) << d.name << ": " << d.description;
    total += n;
  }
  EXPECT_LE(total, 450u * registry_->tools().size()) << "about 100 tokens per tool on average";
  auto desc = [&](const char* name) { return registry_->find_tool(name)->definition().description; };
  for (const char* hint : {"read-only", "refused", "default 100", "max 10000", "NULL"})
    EXPECT_NE(desc("read_data").find(hint), std::string::npos) << hint;
  for (const char* hint : {"WHERE", "allow_no_where", "max_rows", "rolled back"})
    EXPECT_NE(desc("update_data").find(hint), std::string::npos) << hint;
  EXPECT_NE(desc("insert_data").find("all or nothing"), std::string::npos);
  EXPECT_NE(desc("explain_query").find("without running it"), std::string::npos);
  EXPECT_NE(desc("database_info").find("dialect"), std::string::npos);
  const auto& in = registry_->find_tool("read_data")->definition().input_schema;
  EXPECT_EQ(in.at("properties").at("query").at("maxLength").to_number<std::int64_t>(), 1000000);
  EXPECT_EQ(in.at("additionalProperties"), false);
}

TEST_F(ToolsTest, RegistersTenToolsFourPromptsResourcesAndACompleter) {
  const std::vector<std::string> names{"list_tables",  "describe_table",       "read_data",    "insert_data",
                                       "update_data",  "database_info",        "list_available_tools",
                                       "health_check", "explain_query",        "search_objects"};
  ASSERT_EQ(registry_->tools().size(), names.size());
  for (const auto& n : names) {
    auto* t = registry_->find_tool(n);
    ASSERT_NE(t, nullptr) << n;
    const auto& d = t->definition();
    EXPECT_FALSE(d.title.empty());
    EXPECT_GT(d.description.size(), 40u) << n;
    EXPECT_EQ(d.input_schema.at("type"), "object");
    EXPECT_EQ(d.output_schema.at("type"), "object");
    ASSERT_TRUE(d.annotations.read_only.has_value());
    const bool writes = n == "insert_data" || n == "update_data";
    EXPECT_EQ(d.writes, writes) << n;
    EXPECT_EQ(*d.annotations.read_only, !writes) << n;
  }
  EXPECT_TRUE(*registry_->find_tool("update_data")->definition().annotations.destructive);
  ASSERT_EQ(registry_->prompts().size(), 4u);
  for (const char* p : {"sql_query_builder", "analyze_performance", "data_migration_guide", "database_troubleshooting"})
    EXPECT_NE(registry_->find_prompt(p), nullptr) << p;
  ASSERT_EQ(registry_->resource_providers().size(), 1u);
  EXPECT_EQ(registry_->resource_providers()[0]->resources().size(), 3u);
  ASSERT_EQ(registry_->resource_providers()[0]->templates().size(), 1u);
  EXPECT_EQ(registry_->resource_providers()[0]->templates()[0].uri_template, "database://tables/{table}");
  EXPECT_NE(registry_->completer(), nullptr);
}

// ---------------------------------------------------------------- catalog tools

TEST_F(ToolsTest, ListTablesLikeTheSeedWithViewsAndPattern) {
  auto r = call("list_tables");
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("count").to_number<std::int64_t>(), 3);
  EXPECT_NE(r.text.find("Available tables (3)"), std::string::npos) << r.text;
  for (const char* t : {"Article", "CategorieArticles", "Region"}) EXPECT_NE(r.text.find(t), std::string::npos);
  EXPECT_EQ(r.text.find("v_ArticleDetails"), std::string::npos);

  auto v = call("list_tables", R"J({"include_views":true})J");
  ASSERT_FALSE(v.is_error);
  EXPECT_EQ(v.structured.at("count").to_number<std::int64_t>(), 4);
  EXPECT_NE(v.text.find("v_ArticleDetails (view)"), std::string::npos);

  auto p = call("list_tables", R"J({"pattern":"art%"})J");
  ASSERT_FALSE(p.is_error);
  ASSERT_EQ(p.structured.at("count").to_number<std::int64_t>(), 1);
  const auto& t = p.structured.at("tables").as_array()[0].as_object();
  EXPECT_EQ(t.at("name"), "Article");
  EXPECT_EQ(t.at("row_count").to_number<std::int64_t>(), db::sqlite::kDemoArticleCount);

  EXPECT_TRUE(call("list_tables", R"J({"bogus":1})J").is_error);
}

TEST_F(ToolsTest, DescribeTableGivesColumnsKeysAndIndexes) {
  auto r = call("describe_table", R"J({"table_name":"Article"})J");
  ASSERT_FALSE(r.is_error) << r.text;
  const auto& cols = r.structured.at("columns").as_array();
  ASSERT_EQ(cols.size(), 7u);
  EXPECT_EQ(cols[0].at("name"), "Article_Id");
  EXPECT_EQ(cols[0].at("primary_key"), true);
  EXPECT_EQ(r.structured.at("primary_key").as_array().at(0), "Article_Id");
  const auto& fks = r.structured.at("foreign_keys").as_array();
  ASSERT_EQ(fks.size(), 2u);
  bool region = false;
  for (const auto& f : fks) region |= f.at("ref_table") == "Region";
  EXPECT_TRUE(region);
  EXPECT_GE(r.structured.at("indexes").as_array().size(), 2u);
  EXPECT_NE(r.text.find("Tarif"), std::string::npos);
  EXPECT_NE(r.text.find("Foreign key: (RegionId) -> Region(Region_Id)"), std::string::npos) << r.text;

  auto reg = call("describe_table", R"J({"table_name":"main.Region"})J");
  ASSERT_FALSE(reg.is_error) << reg.text;
  EXPECT_FALSE(reg.structured.at("referenced_by").as_array().empty());
  EXPECT_FALSE(call("describe_table", R"J({"table_name":"\"Region\""})J").is_error);
}

TEST_F(ToolsTest, DescribeUnknownTableSuggestsCloseNames) {
  auto r = call("describe_table", R"J({"table_name":"Artcle"})J");
  ASSERT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("does not exist"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("did you mean Article"), std::string::npos) << r.text;
  EXPECT_EQ(r.structured.at("error").at("kind"), "not_found");
  auto far = call("describe_table", R"J({"table_name":"Zzzzqqqq"})J");
  ASSERT_TRUE(far.is_error);
  EXPECT_NE(far.text.find("list_tables"), std::string::npos);
  auto malformed = call("describe_table", R"J({"table_name":"a.b.c.d"})J");
  ASSERT_TRUE(malformed.is_error);
  EXPECT_NE(malformed.text.find("not a valid table name"), std::string::npos) << malformed.text;
  EXPECT_TRUE(call("describe_table", "{}").is_error);
}

TEST_F(ToolsTest, SearchObjectsAtEachDetailLevel) {
  auto n = call("search_objects", R"J({"pattern":"Reg%"})J");
  ASSERT_FALSE(n.is_error) << n.text;
  const auto& names = n.structured.at("names").as_object();
  ASSERT_TRUE(names.contains("table"));
  EXPECT_EQ(names.at("table").as_array().at(0), "Region");
  EXPECT_TRUE(names.contains("column"));  // Region_Id, Region_Libelle, RegionId
  EXPECT_FALSE(n.structured.contains("objects"));

  auto s = call("search_objects", R"J({"pattern":"tarif","types":["column"],"detail_level":"summary"})J");
  ASSERT_FALSE(s.is_error) << s.text;
  const auto& objs = s.structured.at("objects").as_array();
  ASSERT_FALSE(objs.empty());
  for (const auto& o : objs) EXPECT_EQ(o.at("type"), "column");
  EXPECT_EQ(objs[0].at("parent"), "Article");

  auto f = call("search_objects", R"J({"pattern":"Region","types":["table"],"detail_level":"full"})J");
  ASSERT_FALSE(f.is_error) << f.text;
  const auto& fo = f.structured.at("objects").as_array().at(0).as_object();
  EXPECT_EQ(fo.at("columns").as_array().size(), 2u);
  EXPECT_TRUE(fo.contains("row_count"));
  // names is the cheapest rendering of the same matches
  auto same_names = call("search_objects", R"J({"pattern":"Region","types":["table"]})J");
  EXPECT_LT(bj::serialize(same_names.structured).size(), bj::serialize(f.structured).size());

  auto lim = call("search_objects", R"J({"pattern":"%","limit":2,"detail_level":"summary"})J");
  ASSERT_FALSE(lim.is_error);
  EXPECT_EQ(lim.structured.at("count").to_number<std::int64_t>(), 2);
  EXPECT_EQ(lim.structured.at("truncated"), true);
  EXPECT_TRUE(call("search_objects", R"J({"pattern":"x","detail_level":"everything"})J").is_error);
}

TEST_F(ToolsTest, DatabaseInfoReportsBackendDialectAndPool) {
  auto r = call("database_info");
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("backend"), "sqlite");
  EXPECT_EQ(r.structured.at("dialect"), "sqlite");
  EXPECT_FALSE(text_of(r.structured.at("server_version")).empty());
  EXPECT_EQ(r.structured.at("pool").at("max_size").to_number<std::int64_t>(), 2);
  EXPECT_EQ(r.structured.at("read_only_mode"), false);
  EXPECT_NE(r.text.find("LIMIT"), std::string::npos);
}

TEST_F(ToolsTest, ListAvailableToolsReflectsReadOnlyMode) {
  auto r = call("list_available_tools");
  ASSERT_FALSE(r.is_error);
  EXPECT_EQ(r.structured.at("count").to_number<std::int64_t>(), 10);
  EXPECT_NE(r.text.find("insert_data"), std::string::npos);
  // one sentence per tool: "WITH ... SELECT" does not end read_data's sentence
  EXPECT_NE(r.text.find("- read_data: Run one read-only query (SELECT or WITH ... SELECT); anything else is refused.\n"),
            std::string::npos) << r.text;

  ToolsConfig ro;
  ro.read_only = true;
  open_server(ro);
  auto o = call("list_available_tools");
  EXPECT_EQ(o.structured.at("count").to_number<std::int64_t>(), 8);
  EXPECT_EQ(o.text.find("insert_data"), std::string::npos);
  EXPECT_EQ(o.text.find("update_data"), std::string::npos);
  EXPECT_EQ(o.structured.at("read_only_mode"), true);
  auto w = call("read_data", R"J({"query":"DELETE FROM Region WHERE Region_Id = 1"})J");
  ASSERT_TRUE(w.is_error);
  EXPECT_NE(w.text.find("MCP_READ_ONLY"), std::string::npos) << w.text;
}

TEST_F(ToolsTest, HealthCheckMeasuresLatencyAndCountsRecentErrors) {
  auto r = call("health_check");
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("status"), "healthy");
  EXPECT_EQ(r.structured.at("database").at("status"), "ok");
  EXPECT_GE(r.structured.at("database").at("latency_ms").as_double(), 0.0);
  const auto before = r.structured.at("recent").at("errors").to_number<std::int64_t>();
  (void)call("read_data", R"J({"query":"SELECT nope FROM Region"})J");
  auto after = call("health_check");
  EXPECT_EQ(after.structured.at("recent").at("errors").to_number<std::int64_t>(), before + 1);
  const auto& last = after.structured.at("recent").at("last_errors").as_array();
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(last[0].at("tool"), "read_data");
  EXPECT_NE(after.text.find("Recent error in read_data"), std::string::npos);
}

// ---------------------------------------------------------------- read_data

TEST_F(ToolsTest, ReadDataSeedExampleAndTypedColumns) {
  auto r = call("read_data", R"J({"query":"SELECT * FROM Article WHERE RegionId = 1 LIMIT 10","limit":50})J");
  ASSERT_FALSE(r.is_error) << r.text;
  const auto& cols = r.structured.at("columns").as_array();
  ASSERT_EQ(cols.size(), 7u);
  EXPECT_EQ(cols[0].at("name"), "Article_Id");
  EXPECT_EQ(cols[0].at("type"), "INTEGER");
  const auto& rows = r.structured.at("rows").as_array();
  EXPECT_GT(rows.size(), 0u);
  EXPECT_LE(rows.size(), 10u);
  for (const auto& row : rows) EXPECT_EQ(row.as_array().at(3).to_number<std::int64_t>(), 1);  // RegionId
  EXPECT_EQ(r.structured.at("row_count").to_number<std::int64_t>(), static_cast<std::int64_t>(rows.size()));
  EXPECT_EQ(r.structured.at("truncated"), false);
  EXPECT_EQ(r.structured.at("limit").to_number<std::int64_t>(), 50);
  EXPECT_FALSE(r.structured.contains("truncated_reason"));
  // Text: a name:type header, then one line per row (tests/e2e/result_text.test.mjs parses it back).
  EXPECT_EQ(r.text.substr(0, r.text.find('\n')),
            "Article_Id:INTEGER,Libelle:TEXT,Tarif:REAL,RegionId:INTEGER,CategorieArticlesId:INTEGER,Stock:INTEGER,"
            "DateCreation:TEXT")
      << r.text;
  EXPECT_NE(r.text.find("\n\n(" + std::to_string(rows.size()) + " rows)"), std::string::npos) << r.text;
}

TEST_F(ToolsTest, ReadDataValueEncoding) {
  auto r = call("read_data",
                R"J({"query":"SELECT 9007199254740993 AS big, 42 AS small, 1.5 AS f, x'00ff' AS b, NULL AS n, 'caf\u00e9' AS t"})J");
  ASSERT_FALSE(r.is_error) << r.text;
  const auto& row = r.structured.at("rows").as_array().at(0).as_array();
  EXPECT_EQ(row[0], "9007199254740993");
  EXPECT_EQ(row[1].to_number<std::int64_t>(), 42);
  EXPECT_EQ(row[2].as_double(), 1.5);
  EXPECT_EQ(row[3], "AP8=");
  EXPECT_TRUE(row[4].is_null());
  EXPECT_EQ(row[5], "caf\xc3\xa9");
}

TEST_F(ToolsTest, ReadDataStopsAtTheLimitAndSaysSo) {
  auto d = call("read_data", R"J({"query":"SELECT Article_Id FROM Article"})J");
  ASSERT_FALSE(d.is_error);
  EXPECT_EQ(d.structured.at("row_count").to_number<std::int64_t>(), 100);  // default limit
  EXPECT_EQ(d.structured.at("truncated"), true);
  EXPECT_EQ(d.structured.at("truncated_reason"), "limit");
  EXPECT_NE(d.text.find("the limit of 100 rows was reached"), std::string::npos) << d.text;

  auto exact = call("read_data", R"J({"query":"SELECT Region_Id FROM Region","limit":4})J");
  // the demo has exactly 4 regions? then not truncated; otherwise truncated. Either way row_count <= 4.
  EXPECT_LE(exact.structured.at("row_count").to_number<std::int64_t>(), 4);
  const std::int64_t regions = scalar("SELECT count(*) FROM Region");
  auto all = call("read_data", bj::serialize(bj::object{{"query", "SELECT * FROM Region"}, {"limit", regions}}));
  EXPECT_EQ(all.structured.at("row_count").to_number<std::int64_t>(), regions);
  EXPECT_EQ(all.structured.at("truncated"), false);  // exactly `limit` rows exist: nothing was cut
}

// With per-user identity a cursor is bound to the user as well as the session: a stateless (2026-07-28)
// request has no session id, so without the user another caller holding the token could read on.
TEST_F(ToolsTest, ReadDataCursorIsBoundToTheUser) {
  auto as = [](const char* oid) {
    auto c = std::make_shared<mcp::Caller>();
    c->tenant_id = "tenant-1";
    c->object_id = oid;
    return c;
  };
  FakeCtx alice, bob, anonymous;
  alice.info.caller = as("oid-alice");
  bob.info.caller = as("oid-bob");
  const std::string q = R"J("query":"SELECT Article_Id FROM Article ORDER BY Article_Id","limit":3)J";
  auto first = call("read_data", "{" + q + "}", &alice);
  ASSERT_FALSE(first.is_error) << first.text;
  ASSERT_TRUE(first.structured.contains("next_cursor")) << bj::serialize(first.structured);
  const std::string next = "{" + q + R"J(,"cursor":)J" + bj::serialize(first.structured.at("next_cursor")) + "}";
  for (FakeCtx* other : {&bob, &anonymous}) {
    auto refused = call("read_data", next, other);
    EXPECT_TRUE(refused.is_error);
    EXPECT_NE(refused.text.find("belongs to another user"), std::string::npos) << refused.text;
  }
  auto second = call("read_data", next, &alice);
  ASSERT_FALSE(second.is_error) << second.text;
  EXPECT_EQ(second.structured.at("offset").to_number<std::int64_t>(), 3);
}

TEST_F(ToolsTest, ReadDataClampsLimitAboveTheMaximum) {
  ToolsConfig c;
  c.max_row_limit = 50;
  c.default_row_limit = 10;
  open_server(c);
  auto r = call("read_data", R"J({"query":"SELECT Article_Id FROM Article","limit":100000})J");
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("limit").to_number<std::int64_t>(), 50);
  EXPECT_EQ(r.structured.at("row_count").to_number<std::int64_t>(), 50);
  ASSERT_TRUE(r.structured.contains("notes"));
  EXPECT_NE(r.text.find("clamped to 50"), std::string::npos) << r.text;
}

TEST_F(ToolsTest, ReadDataTrimsAtTheByteBudget) {
  ToolsConfig c;
  c.max_result_bytes = 2000;
  open_server(c);
  auto r = call("read_data",
                R"J({"query":"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 500) SELECT x, printf('%.100c', 'a') AS pad FROM n","limit":500})J");
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("truncated"), true);
  EXPECT_EQ(r.structured.at("truncated_reason"), "max_result_bytes");
  const auto n = r.structured.at("row_count").to_number<std::int64_t>();
  EXPECT_GT(n, 5);
  EXPECT_LT(n, 30);
  EXPECT_LE(bj::serialize(r.structured.at("rows")).size(), 2000u + static_cast<std::size_t>(n) + 2);
  EXPECT_NE(r.text.find("MCP_MAX_RESULT_BYTES"), std::string::npos);
}

TEST_F(ToolsTest, ReadDataParametersPositionalAndNamed) {
  auto p = call("read_data", R"J({"query":"SELECT Region_Id FROM Region WHERE Region_Id = ? OR Region_Id = ?","parameters":[1,2]})J");
  ASSERT_FALSE(p.is_error) << p.text;
  EXPECT_EQ(p.structured.at("row_count").to_number<std::int64_t>(), 2);
  auto n = call("read_data", R"J({"query":"SELECT :a + :b AS s","parameters":{"a":40,"b":2}})J");
  ASSERT_FALSE(n.is_error) << n.text;
  EXPECT_EQ(n.structured.at("rows").as_array()[0].as_array()[0].to_number<std::int64_t>(), 42);
  auto injection = call("read_data", R"J({"query":"SELECT count(*) FROM Region WHERE Region_Libelle = ?","parameters":["x' OR '1'='1"]})J");
  ASSERT_FALSE(injection.is_error);
  EXPECT_EQ(injection.structured.at("rows").as_array()[0].as_array()[0].to_number<std::int64_t>(), 0);
  auto nested = call("read_data", R"J({"query":"SELECT ?","parameters":[{"a":1}]})J");
  EXPECT_TRUE(nested.is_error);
}

TEST_F(ToolsTest, ReadDataRefusesWritesAndNamesTheRule) {
  const auto before = file_bytes();
  for (const char* q : {"DELETE FROM Region WHERE Region_Id = 1", "INSERT INTO Region (Region_Libelle) VALUES ('x')",
                        "WITH x AS (SELECT 1) DELETE FROM Region", "SELECT 1; DELETE FROM Region",
                        "PRAGMA journal_mode = DELETE", "ATTACH DATABASE '/tmp/x.db' AS x", "DROP TABLE Region"}) {
    auto r = call("read_data", bj::serialize(bj::object{{"query", q}}));
    ASSERT_TRUE(r.is_error) << q;
    EXPECT_EQ(r.structured.at("error").at("kind"), "refused") << q;
    EXPECT_FALSE(text_of(r.structured.at("error").at("rule")).empty()) << q;
    EXPECT_NE(r.text.find("Refused by the safety rule"), std::string::npos) << r.text;
  }
  EXPECT_EQ(file_bytes(), before);
  EXPECT_EQ(scalar("SELECT count(*) FROM Region WHERE Region_Libelle = 'x'"), 0);
}

TEST_F(ToolsTest, ReadDataSyntaxErrorCarriesTheServerErrorAndAHint) {
  auto r = call("read_data", R"J({"query":"SELECT * FORM Article"})J");
  ASSERT_TRUE(r.is_error);
  EXPECT_NE(r.text.find("SQLite error"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("syntax"), std::string::npos) << r.text;
  EXPECT_EQ(r.structured.at("error").at("kind"), "database");
  EXPECT_TRUE(r.structured.at("error").as_object().contains("number"));
  EXPECT_EQ(r.text.find(path_), std::string::npos) << "no file paths in errors";
  auto missing = call("read_data", R"J({"query":"SELECT * FROM Nope"})J");
  ASSERT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("no such table"), std::string::npos) << missing.text;
}

TEST_F(ToolsTest, ReadDataReportsProgressAndStopsWhenCancelled) {
  FakeCtx ctx;
  auto r = call("read_data",
                R"J({"query":"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 3500) SELECT x FROM n","limit":10000})J",
                &ctx);
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("row_count").to_number<std::int64_t>(), 3500);
  EXPECT_EQ(ctx.progress_calls, 3);

  FakeCtx cancel;
  cancel.cancel_at_progress = 2000;  // the client cancels while rows stream
  auto c = call("read_data",
                R"J({"query":"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 100000000) SELECT x FROM n","limit":10000})J",
                &cancel);
  ASSERT_TRUE(c.is_error) << c.text;
  EXPECT_EQ(c.structured.at("error").at("kind"), "cancelled");
  // the connection is usable afterwards
  EXPECT_EQ(scalar("SELECT 7"), 7);
}

TEST_F(ToolsTest, ReadDataTimesOut) {
  ToolsConfig c;
  c.query_timeout = std::chrono::milliseconds(200);
  open_server(c);
  auto r = call("read_data",
                R"J({"query":"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 2000000000) SELECT count(*) FROM n"})J");
  ASSERT_TRUE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("error").at("kind"), "timeout");
  EXPECT_NE(r.text.find("MCP_QUERY_TIMEOUT"), std::string::npos);
  EXPECT_NE(r.text.find("200 ms statement timeout"), std::string::npos) << r.text;
}

TEST_F(ToolsTest, BusyPoolIsALimitNotAStatementTimeout) {
  ToolsConfig c;
  c.query_timeout = std::chrono::milliseconds(100);
  open_server(c);
  // Hold both pooled connections (pool_size 2): the tool cannot borrow one.
  auto a = backend_->pool().acquire(std::chrono::seconds(5));
  auto b = backend_->pool().acquire(std::chrono::seconds(5));
  ASSERT_TRUE(a.ok() && b.ok());
  auto r = call("read_data", R"J({"query":"SELECT 1"})J");
  ASSERT_TRUE(r.is_error);
  EXPECT_EQ(r.structured.at("error").at("kind"), "limit");
  EXPECT_NE(r.text.find("CONNECTION_POOL_SIZE"), std::string::npos) << r.text;
  EXPECT_EQ(r.text.find("MCP_QUERY_TIMEOUT"), std::string::npos) << r.text;
}

// ---------------------------------------------------------------- writes

TEST_F(ToolsTest, InsertDataSeedExampleNotifiesSubscribers) {
  const auto before = scalar("SELECT count(*) FROM Region");
  FakeCtx ctx;
  auto r = call("insert_data", R"J({"sql":"INSERT INTO Region (Region_Libelle) VALUES ('New Region')"})J", &ctx);
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.text.substr(0, 59), "INSERT operation completed successfully. 1 row(s) inserted.");
  EXPECT_EQ(r.structured.at("rows_affected").to_number<std::int64_t>(), 1);
  const auto id = r.structured.at("last_insert_id").to_number<std::int64_t>();
  EXPECT_EQ(scalar("SELECT count(*) FROM Region"), before + 1);
  EXPECT_EQ(scalar("SELECT Region_Id FROM Region WHERE Region_Libelle = 'New Region'"), id);
  EXPECT_NE(std::find(ctx.updated.begin(), ctx.updated.end(), "database://tables"), ctx.updated.end());
  EXPECT_NE(std::find(ctx.updated.begin(), ctx.updated.end(), "database://tables/Region"), ctx.updated.end());

  auto params = call("insert_data", R"J({"sql":"INSERT INTO Region (Region_Libelle) VALUES (?)","parameters":["Param Region"]})J");
  ASSERT_FALSE(params.is_error) << params.text;
  EXPECT_EQ(scalar("SELECT count(*) FROM Region WHERE Region_Libelle = 'Param Region'"), 1);
}

TEST_F(ToolsTest, InsertDataRefusesNonInserts) {
  for (const char* q : {"DELETE FROM Region WHERE Region_Id = 1", "UPDATE Region SET Region_Libelle = 'x' WHERE Region_Id = 1",
                        "INSERT INTO Region (Region_Libelle) VALUES ('a'); DROP TABLE Article"}) {
    auto r = call("insert_data", bj::serialize(bj::object{{"sql", q}}));
    ASSERT_TRUE(r.is_error) << q;
    EXPECT_EQ(r.structured.at("error").at("kind"), "refused") << q;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'Article'"), 1);
  EXPECT_TRUE(call("insert_data", "{}").is_error);  // neither form
  EXPECT_TRUE(call("insert_data", R"J({"sql":"INSERT INTO Region (Region_Libelle) VALUES ('a')","table":"Region","rows":[{}]})J").is_error);
}

TEST_F(ToolsTest, InsertDataTableAndRowsInOneTransaction) {
  const auto before = scalar("SELECT count(*) FROM Region");
  FakeCtx ctx;
  auto r = call("insert_data", R"J({"table":"region","rows":[{"Region_Libelle":"Ouest-1"},{"region_libelle":"Ouest-2"}]})J", &ctx);
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("rows_affected").to_number<std::int64_t>(), 2);
  EXPECT_EQ(r.structured.at("generated_keys").as_array().size(), 2u);
  EXPECT_EQ(r.structured.at("table"), "Region");
  EXPECT_EQ(scalar("SELECT count(*) FROM Region"), before + 2);
  EXPECT_NE(std::find(ctx.updated.begin(), ctx.updated.end(), "database://tables/Region"), ctx.updated.end());

  // Unknown column: nothing runs, the error lists the real columns.
  auto bad = call("insert_data", R"J({"table":"Region","rows":[{"Region_Libelle":"A"},{"Region_Label":"B"}]})J");
  ASSERT_TRUE(bad.is_error);
  EXPECT_NE(bad.text.find("Region_Label"), std::string::npos);
  EXPECT_NE(bad.text.find("did you mean Region_Libelle"), std::string::npos) << bad.text;
  EXPECT_EQ(scalar("SELECT count(*) FROM Region"), before + 2);

  // A constraint failure in row 2 rolls row 1 back too.
  auto dup = call("insert_data", R"J({"table":"Region","rows":[{"Region_Libelle":"Fresh"},{"Region_Libelle":"Ouest-1"}]})J");
  ASSERT_TRUE(dup.is_error);
  EXPECT_NE(dup.text.find("UNIQUE"), std::string::npos) << dup.text;
  EXPECT_NE(dup.text.find("nothing was inserted"), std::string::npos) << dup.text;
  EXPECT_EQ(scalar("SELECT count(*) FROM Region WHERE Region_Libelle = 'Fresh'"), 0);

  auto unknown = call("insert_data", R"J({"table":"Regoin","rows":[{"x":1}]})J");
  ASSERT_TRUE(unknown.is_error);
  EXPECT_NE(unknown.text.find("did you mean Region"), std::string::npos) << unknown.text;
  // Identifiers are quoted, never spliced: a hostile column name is just an unknown column.
  auto hostile = call("insert_data", R"J({"table":"Region","rows":[{"Region_Libelle\") VALUES ('x'); --":"y"}]})J");
  ASSERT_TRUE(hostile.is_error);
  EXPECT_EQ(hostile.structured.at("error").at("kind"), "invalid_input");
}

TEST_F(ToolsTest, UpdateDataSeedExampleAndSafetyRules) {
  FakeCtx ctx;
  auto r = call("update_data", R"J({"sql":"UPDATE Region SET Region_Libelle = 'Updated Region' WHERE Region_Id = 1"})J", &ctx);
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.text, "UPDATE operation completed successfully. 1 row(s) affected.");
  EXPECT_EQ(r.structured.at("rows_affected").to_number<std::int64_t>(), 1);
  EXPECT_EQ(r.structured.at("committed"), true);
  EXPECT_EQ(scalar("SELECT count(*) FROM Region WHERE Region_Id = 1 AND Region_Libelle = 'Updated Region'"), 1);
  EXPECT_NE(std::find(ctx.updated.begin(), ctx.updated.end(), "database://tables/Region"), ctx.updated.end());

  const auto before = file_bytes();
  auto nowhere = call("update_data", R"J({"sql":"UPDATE Article SET Stock = 0"})J");
  ASSERT_TRUE(nowhere.is_error);
  EXPECT_EQ(nowhere.structured.at("error").at("kind"), "refused");
  EXPECT_NE(nowhere.text.find("WHERE"), std::string::npos) << nowhere.text;
  auto ins = call("update_data", R"J({"sql":"INSERT INTO Region (Region_Libelle) VALUES ('z')"})J");
  EXPECT_TRUE(ins.is_error);
  auto merge = call("update_data", R"J({"sql":"MERGE INTO Region AS t USING Region AS s ON t.Region_Id = s.Region_Id WHEN MATCHED THEN UPDATE SET Region_Libelle = s.Region_Libelle"})J");
  ASSERT_TRUE(merge.is_error);
  EXPECT_EQ(merge.structured.at("error").at("kind"), "refused");
  // (SQLite has no MERGE: the classifier sees two statements; the T-SQL case is in stdio_tools_tds)
  EXPECT_EQ(file_bytes(), before);
}

TEST_F(ToolsTest, UpdateDataRollsBackBeyondMaxRows) {
  const auto stock = scalar("SELECT sum(Stock) FROM Article");
  auto r = call("update_data", R"J({"sql":"UPDATE Article SET Stock = Stock + 1 WHERE Article_Id > 0","max_rows":10})J");
  ASSERT_TRUE(r.is_error);
  EXPECT_EQ(r.structured.at("committed"), false);
  EXPECT_EQ(r.structured.at("rows_affected").to_number<std::int64_t>(), db::sqlite::kDemoArticleCount);
  EXPECT_EQ(r.structured.at("error").at("rule"), "max_rows");
  EXPECT_NE(r.text.find("rolled back"), std::string::npos);
  EXPECT_EQ(scalar("SELECT sum(Stock) FROM Article"), stock);

  auto all = call("update_data", R"J({"sql":"UPDATE Article SET Stock = Stock + 1","allow_no_where":true})J");
  ASSERT_FALSE(all.is_error) << all.text;
  EXPECT_EQ(scalar("SELECT sum(Stock) FROM Article"), stock + db::sqlite::kDemoArticleCount);

  auto del = call("update_data", R"J({"sql":"DELETE FROM Article WHERE Article_Id = ?","parameters":[5]})J");
  ASSERT_FALSE(del.is_error) << del.text;
  EXPECT_EQ(del.structured.at("operation"), "DELETE");
  EXPECT_EQ(scalar("SELECT count(*) FROM Article WHERE Article_Id = 5"), 0);
  auto fk = call("update_data", R"J({"sql":"DELETE FROM Region WHERE Region_Id = 1"})J");
  ASSERT_TRUE(fk.is_error);  // still referenced by articles: foreign keys are on
  EXPECT_NE(fk.text.find("FOREIGN KEY"), std::string::npos) << fk.text;
}

TEST_F(ToolsTest, UpdateDataBeyondMaxRowsAsksTheUserWhenTheClientCan) {
  const auto stock = scalar("SELECT sum(Stock) FROM Article");
  // No elicitation support: rolled back, nothing asked beyond the attempt.
  FakeCtx plain;
  auto r = call("update_data", R"J({"sql":"UPDATE Article SET Stock = Stock + 1 WHERE Article_Id <= 20","max_rows":5})J", &plain);
  ASSERT_TRUE(r.is_error);
  EXPECT_EQ(r.structured.at("committed"), false);
  EXPECT_EQ(scalar("SELECT sum(Stock) FROM Article"), stock);

  // The user declines: nothing changes, and the question named the real row count.
  FakeCtx decline;
  decline.answer = bj::object{{"action", "decline"}};
  r = call("update_data", R"J({"sql":"UPDATE Article SET Stock = Stock + 1 WHERE Article_Id <= 20","max_rows":5})J", &decline);
  ASSERT_TRUE(r.is_error);
  EXPECT_EQ(decline.input_requests, 1);
  EXPECT_EQ(decline.last_input_method, "elicitation/create");
  EXPECT_NE(std::string(decline.last_input_params.at("message").as_string()).find("20 rows"), std::string::npos);
  EXPECT_EQ(r.structured.at("committed"), false);
  EXPECT_EQ(scalar("SELECT sum(Stock) FROM Article"), stock);

  // The user accepts: committed, flagged as confirmed, subscribers notified.
  FakeCtx accept;
  accept.answer = bj::object{{"action", "accept"}, {"content", bj::object{{"confirm", true}}}};
  r = call("update_data", R"J({"sql":"UPDATE Article SET Stock = Stock + 1 WHERE Article_Id <= 20","max_rows":5})J", &accept);
  ASSERT_FALSE(r.is_error) << r.text;
  EXPECT_EQ(r.structured.at("committed"), true);
  EXPECT_EQ(r.structured.at("confirmed"), true);
  EXPECT_EQ(r.structured.at("rows_affected").to_number<std::int64_t>(), 20);
  EXPECT_EQ(scalar("SELECT sum(Stock) FROM Article"), stock + 20);
  EXPECT_FALSE(accept.updated.empty());

  // "accept" with confirm=false is a decline.
  FakeCtx unchecked;
  unchecked.answer = bj::object{{"action", "accept"}, {"content", bj::object{{"confirm", false}}}};
  r = call("update_data", R"J({"sql":"UPDATE Article SET Stock = Stock + 1 WHERE Article_Id <= 20","max_rows":5})J", &unchecked);
  ASSERT_TRUE(r.is_error);
  EXPECT_EQ(scalar("SELECT sum(Stock) FROM Article"), stock + 20);
}

TEST_F(ToolsTest, ConcurrentCallsShareThePoolAndTheOutcomeRing) {
  // Tools run on the core's worker threads: reads, writes, failures and health checks at once.
  const auto regions = scalar("SELECT count(*) FROM Region");
  constexpr int kThreads = 6, kCalls = 25;
  std::atomic<int> failures{0}, inserted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        FakeCtx ctx;
        mcp::Tool* tool = nullptr;
        bj::object args;
        switch ((t + i) % 4) {
          case 0:
            tool = registry_->find_tool("read_data");
            args = bj::object{{"query", "SELECT Article_Id, Libelle FROM Article WHERE RegionId = ?"}, {"parameters", bj::array{1 + i % 5}}};
            break;
          case 1:
            tool = registry_->find_tool("insert_data");
            char label[32];
            std::snprintf(label, sizeof label, "T%d-%d", t, i);
            args = bj::object{{"table", "Region"}, {"rows", bj::array{bj::object{{"Region_Libelle", label}}}}};
            break;
          case 2:
            tool = registry_->find_tool("read_data");
            args = bj::object{{"query", "SELECT nope FROM Region"}};
            break;
          default:
            tool = registry_->find_tool("health_check");
            break;
        }
        auto r = tool->call(args, ctx);
        const bool expect_error = (t + i) % 4 == 2;
        if (r.is_error != expect_error) ++failures;
        if ((t + i) % 4 == 1 && !r.is_error) ++inserted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM Region"), regions + inserted.load());
  auto h = call("health_check");
  EXPECT_EQ(h.structured.at("recent").at("total_calls").to_number<std::int64_t>(), kThreads * kCalls + 2);
  EXPECT_LE(h.structured.at("pool").at("open").to_number<std::int64_t>(), 2);
}

// ---------------------------------------------------------------- explain

TEST_F(ToolsTest, ExplainQueryShowsThePlan) {
  auto r = call("explain_query", R"J({"query":"SELECT * FROM Article WHERE RegionId = 1"})J");
  ASSERT_FALSE(r.is_error) << r.text;
  const auto& plan = r.structured.at("plan").as_array();
  ASSERT_FALSE(plan.empty());
  EXPECT_NE(r.text.find("IX_Article_RegionId"), std::string::npos) << r.text;
  auto scan = call("explain_query", R"J({"query":"SELECT * FROM Article WHERE Tarif > 500"})J");
  ASSERT_FALSE(scan.is_error);
  EXPECT_NE(scan.text.find("SCAN"), std::string::npos) << scan.text;
  auto refused = call("explain_query", R"J({"query":"DELETE FROM Article WHERE Article_Id = 1"})J");
  ASSERT_TRUE(refused.is_error);
  EXPECT_EQ(refused.structured.at("error").at("kind"), "refused");
}

// ---------------------------------------------------------------- resources

TEST_F(ToolsTest, ResourcesReadAsJson) {
  auto& p = *registry_->resource_providers()[0];
  FakeCtx ctx;
  for (const char* uri : {"database://schema", "database://status", "database://tables", "database://tables/Article",
                          "database://tables/main.Region", "database://tables/%22Region%22"}) {
    auto r = p.read(uri, ctx);
    ASSERT_TRUE(r.ok()) << uri << ": " << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].uri, uri);
    EXPECT_EQ((*r)[0].mime_type, "application/json");
    EXPECT_NO_THROW((void)bj::parse((*r)[0].text)) << uri;
  }
  auto schema = bj::parse((*p.read("database://schema", ctx))[0].text).as_object();
  EXPECT_EQ(schema.at("tables").as_array().size(), 4u);  // 3 tables + the view
  for (const auto& t : schema.at("tables").as_array())
    EXPECT_FALSE(t.at("table").as_object().contains("row_count"));  // structure only
  auto tables = bj::parse((*p.read("database://tables", ctx))[0].text).as_object();
  EXPECT_EQ(tables.at("count").to_number<std::int64_t>(), 4);
  auto status = bj::parse((*p.read("database://status", ctx))[0].text).as_object();
  EXPECT_EQ(status.at("status"), "connected");
  auto article = bj::parse((*p.read("database://tables/Article", ctx))[0].text).as_object();
  EXPECT_EQ(article.at("columns").as_array().size(), 7u);

  for (const char* uri : {"database://nope", "database://tables/Nope", "database://tables/", "file:///etc/passwd",
                          "database://tables/%zz"}) {
    auto r = p.read(uri, ctx);
    ASSERT_FALSE(r.ok()) << uri;
    EXPECT_EQ(r.error().kind, ErrorKind::NotFound) << uri;
  }
}

// ---------------------------------------------------------------- prompts

TEST_F(ToolsTest, SqlQueryBuilderUsesTheRealColumns) {
  FakeCtx ctx;
  auto* p = registry_->find_prompt("sql_query_builder");
  auto r = p->get({{"table", "Article"}, {"operation", "select"}}, ctx);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->messages.size(), 1u);
  const auto& t = r->messages[0].text;
  for (const char* s : {"Tarif", "RegionId", "Article_Id", "LIMIT n", "read_data", "SQLite"})
    EXPECT_NE(t.find(s), std::string::npos) << s << "\n" << t;
  auto ins = p->get({{"table", "Region"}, {"operation", "INSERT"}, {"requirements", "add Bretagne"}}, ctx);
  ASSERT_TRUE(ins.ok());
  EXPECT_NE(ins->messages[0].text.find("add Bretagne"), std::string::npos);
  EXPECT_NE(ins->messages[0].text.find("insert_data"), std::string::npos);
  auto unknown = p->get({{"table", "Artikel"}, {"operation", "SELECT"}}, ctx);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(unknown.error().message.find("Article"), std::string::npos);
  auto op = p->get({{"table", "Article"}, {"operation", "DROP"}}, ctx);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.error().kind, ErrorKind::InvalidInput);
}

TEST_F(ToolsTest, AnalyzePerformanceIncludesTheLivePlan) {
  FakeCtx ctx;
  auto* p = registry_->find_prompt("analyze_performance");
  auto r = p->get({{"query", "SELECT * FROM Article WHERE Tarif > 500"}}, ctx);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& t = r->messages[0].text;
  EXPECT_NE(t.find("SCAN"), std::string::npos) << t;
  EXPECT_NE(t.find("Table Article"), std::string::npos) << t;
  EXPECT_NE(t.find("IX_Article_RegionId"), std::string::npos) << t;
  auto w = p->get({{"query", "DELETE FROM Article"}}, ctx);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().kind, ErrorKind::InvalidInput);
  auto bad = p->get({{"query", "SELECT * FROM Nope"}}, ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
}

TEST_F(ToolsTest, MigrationGuideOrdersTablesByForeignKeys) {
  FakeCtx ctx;
  auto r = registry_->find_prompt("data_migration_guide")->get({{"source", "CSV files"}}, ctx);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& t = r->messages[0].text;
  EXPECT_NE(t.find("CSV files"), std::string::npos);
  const auto region = t.find(". Region");
  const auto cat = t.find(". CategorieArticles");
  const auto article = t.find(". Article");
  ASSERT_NE(region, std::string::npos) << t;
  ASSERT_NE(article, std::string::npos) << t;
  EXPECT_LT(region, article);
  EXPECT_LT(cat, article);
  EXPECT_NE(t.find("SQLite"), std::string::npos);
}

TEST_F(ToolsTest, TroubleshootingHasLiveHealthFacts) {
  FakeCtx ctx;
  (void)call("read_data", R"J({"query":"SELECT broken FROM Region"})J");
  auto r = registry_->find_prompt("database_troubleshooting")->get({{"issue", "queries fail"}}, ctx);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& t = r->messages[0].text;
  EXPECT_NE(t.find("queries fail"), std::string::npos);
  EXPECT_NE(t.find("round trip (SELECT 1)"), std::string::npos) << t;
  EXPECT_NE(t.find("no such column"), std::string::npos) << t;
  EXPECT_NE(t.find("SQLite"), std::string::npos) << t;
  EXPECT_TRUE(registry_->find_prompt("database_troubleshooting")->get({}, ctx).ok());
}

// ---------------------------------------------------------------- completion

TEST_F(ToolsTest, CompletesTableNames) {
  FakeCtx ctx;
  auto* c = registry_->completer();
  mcp::CompletionRequest req{"ref/prompt", "sql_query_builder", "table", "ar", {}};
  auto r = c->complete(req, ctx);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->values.size(), 1u);
  EXPECT_EQ(r->values[0], "Article");
  req.value = "";
  auto all = c->complete(req, ctx);
  EXPECT_EQ(all->values.size(), 4u);
  EXPECT_EQ(*all->total, 4);
  mcp::CompletionRequest res{"ref/resource", "database://tables/{table}", "table", "REG", {}};
  auto rr = c->complete(res, ctx);
  ASSERT_EQ(rr->values.size(), 1u);
  EXPECT_EQ(rr->values[0], "Region");
  mcp::CompletionRequest op{"ref/prompt", "sql_query_builder", "operation", "up", {}};
  EXPECT_EQ(c->complete(op, ctx)->values, std::vector<std::string>{"UPDATE"});
  mcp::CompletionRequest other{"ref/prompt", "analyze_performance", "query", "SEL", {}};
  EXPECT_TRUE(c->complete(other, ctx)->values.empty());
}

TEST_F(ToolsTest, CompletionCapsAtOneHundred) {
  {
    auto conn = backend_->pool().acquire(std::chrono::seconds(5));
    ASSERT_TRUE(conn.ok());
    for (int i = 0; i < 120; ++i) {
      auto r = (*conn)->execute("CREATE TABLE zt_" + std::to_string(i) + " (a INTEGER)", {}, nullptr, db::ExecOptions{});
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  }
  FakeCtx ctx;
  mcp::CompletionRequest req{"ref/prompt", "sql_query_builder", "table", "ZT_", {}};
  auto r = registry_->completer()->complete(req, ctx);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->values.size(), 100u);
  EXPECT_EQ(*r->total, 120);
  EXPECT_TRUE(r->has_more);
}

}  // namespace
}  // namespace azsql::tools
