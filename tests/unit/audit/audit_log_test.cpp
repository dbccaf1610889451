#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "observability/audit/audit_log.hpp"

namespace azsql::observability {
namespace {
namespace bj = boost::json;

mcp::ClientInfo client() { return {"sess-1", "claude", "1.2", "2025-11-25", nullptr}; }
mcp::ToolDefinition tool(const char* name) {
  mcp::ToolDefinition t;
  t.name = name;
  return t;
}

TEST(AuditLog, OneLinePerCallWithRequiredFieldsAndNoParameterValues) {
  std::string path = ::testing::TempDir() + "/audit_test.jsonl";
  std::remove(path.c_str());
  std::string err;
  auto log = AuditLog::open({path, false}, &err);
  ASSERT_TRUE(log) << err;
  mcp::ToolResult ok;
  ok.structured = bj::parse(R"({"row_count":3})").as_object();
  ok.text = "3 rows";
  auto args = bj::parse(R"({"query":"SELECT * FROM t WHERE pw = ?","parameters":["s3cr3t-value"]})").as_object();
  log->on_tool_call(client(), tool("read_data"), args, ok, std::chrono::microseconds(1500));
  mcp::ToolResult bad = mcp::ToolResult::error("Invalid object name", bj::parse(R"({"error_number":208})").as_object());
  log->on_tool_call(client(), tool("update_data"), bj::parse(R"({"sql":"UPDATE x SET a=1 WHERE b=2"})").as_object(), bad,
                    std::chrono::microseconds(10));
  // Flushed already: readable before the log object is destroyed.
  std::ifstream in(path);
  std::string l1, l2, l3;
  ASSERT_TRUE(std::getline(in, l1));
  ASSERT_TRUE(std::getline(in, l2));
  EXPECT_FALSE(std::getline(in, l3));
  EXPECT_EQ(l1.find("s3cr3t-value"), std::string::npos);
  auto j1 = bj::parse(l1).as_object();
  for (const char* k : {"time", "session", "client", "tool", "statement", "parameters", "rows", "bytes", "duration_ms", "outcome"})
    EXPECT_TRUE(j1.contains(k)) << k;
  EXPECT_EQ(j1["parameters"], 1);
  EXPECT_EQ(j1["rows"], 3);
  EXPECT_EQ(j1["outcome"], "ok");
  EXPECT_EQ(j1["client"].at("name"), "claude");
  auto j2 = bj::parse(l2).as_object();
  EXPECT_EQ(j2["outcome"], "error");
  EXPECT_EQ(j2["error_number"], 208);
}

TEST(AuditLog, RedactionLogsSha256InsteadOfText) {
  auto line = AuditLog::format(client(), tool("read_data"), bj::parse(R"({"query":"SELECT 1"})").as_object(), {},
                               std::chrono::microseconds(1), true);
  auto j = bj::parse(line).as_object();
  EXPECT_FALSE(j.contains("statement"));
  // sha256("SELECT 1")
  EXPECT_EQ(j["statement_sha256"], "e004ebd5b5532a4b85984a62f8ad48a81aa3460c1ca07701f386135d72cdecf5");
}


TEST(AuditLog, NamesTheAuthenticatedCallerButNeverTheirToken) {
  auto c = client();
  auto caller = std::make_shared<mcp::Caller>();
  caller->tenant_id = "tid-1";
  caller->object_id = "oid-alice";
  caller->upn = "alice@example.test";
  caller->assertion = "eyJhbGciOiJSUzI1NiJ9.secret-assertion.sig";
  c.caller = caller;
  auto line = AuditLog::format(c, tool("read_data"), bj::parse(R"({"query":"SELECT 1"})").as_object(), {},
                               std::chrono::microseconds(1000), false);
  auto v = bj::parse(line).as_object();
  ASSERT_TRUE(v.contains("caller")) << line;
  EXPECT_EQ(v["caller"].as_object()["oid"].as_string(), "oid-alice");
  EXPECT_EQ(v["caller"].as_object()["tid"].as_string(), "tid-1");
  EXPECT_EQ(v["caller"].as_object()["upn"].as_string(), "alice@example.test");
  EXPECT_EQ(line.find("secret-assertion"), std::string::npos);
  // Without per-user authentication there is no caller field.
  EXPECT_FALSE(bj::parse(AuditLog::format(client(), tool("read_data"), {}, {}, std::chrono::microseconds(1), false))
                   .as_object()
                   .contains("caller"));
}

TEST(AuditLog, ResourceReadsAndPromptsGetOneLineEachOtherMethodsNone) {
  std::string path = ::testing::TempDir() + "/audit_reads_test.jsonl";
  std::remove(path.c_str());
  std::string err;
  auto log = AuditLog::open({path, false}, &err);
  ASSERT_TRUE(log) << err;
  mcp::RequestEvent read;
  read.method = "resources/read";
  read.outcome = "ok";
  read.target = "database://tables/Article";
  read.client = client();
  read.duration = std::chrono::microseconds(2500);
  log->on_request(read);
  mcp::RequestEvent prompt;
  prompt.method = "prompts/get";
  prompt.outcome = "error";
  prompt.error_code = -32602;
  prompt.target = "analyze_performance";
  prompt.arguments = bj::parse(R"({"query":"SELECT * FROM t WHERE c = 'private'","focus":"secret-focus"})").as_object();
  prompt.client = client();
  log->on_request(prompt);
  mcp::RequestEvent list;  // not audited: no client
  list.method = "tools/list";
  list.outcome = "ok";
  log->on_request(list);
  std::ifstream in(path);
  std::string l1, l2, l3;
  ASSERT_TRUE(std::getline(in, l1));
  ASSERT_TRUE(std::getline(in, l2));
  EXPECT_FALSE(std::getline(in, l3));
  auto j1 = bj::parse(l1).as_object();
  EXPECT_EQ(j1["method"], "resources/read");
  EXPECT_EQ(j1["resource"], "database://tables/Article");
  EXPECT_EQ(j1["session"], "sess-1");
  EXPECT_EQ(j1["outcome"], "ok");
  EXPECT_DOUBLE_EQ(j1["duration_ms"].as_double(), 2.5);
  EXPECT_FALSE(j1.contains("tool"));
  auto j2 = bj::parse(l2).as_object();
  EXPECT_EQ(j2["prompt"], "analyze_performance");
  EXPECT_EQ(j2["outcome"], "error");
  EXPECT_EQ(j2["error_code"], -32602);
  EXPECT_EQ(j2["statement"], "SELECT * FROM t WHERE c = 'private'");
  EXPECT_EQ(j2["arguments"], bj::parse(R"(["query","focus"])"));
  EXPECT_EQ(l2.find("secret-focus"), std::string::npos);  // argument values other than the statement: never
  // A prompt's `table` argument is not a statement (tool calls synthesize one for insert_data's rows).
  prompt.arguments = bj::parse(R"({"table":"Region","operation":"SELECT"})").as_object();
  EXPECT_FALSE(bj::parse(AuditLog::format_read(prompt, false)).as_object().contains("statement"));
  prompt.arguments = bj::parse(R"({"query":"SELECT * FROM t WHERE c = 'private'"})").as_object();
  // Redacted: the prompt's statement as its SHA-256, like a tool call's.
  auto r = bj::parse(AuditLog::format_read(prompt, true)).as_object();
  EXPECT_FALSE(r.contains("statement"));
  EXPECT_EQ(r["statement_sha256"].as_string().size(), 64u);
}

}  // namespace
}  // namespace azsql::observability
