// The 2026-07-28 Streamable HTTP header checks (transport/http/modern_headers): Mcp-Method,
// Mcp-Name, MCP-Protocol-Version against the body, and Mcp-Param-* against tool arguments.
#include <gtest/gtest.h>

#include "transport/http/modern_headers.hpp"

namespace azsql::transport::http {
namespace {

using namespace azsql::mcp;

/// Parameters mirrored into Mcp-Param-* headers (x-mcp-header).
class HeaderTool final : public Tool {
 public:
  HeaderTool() {
    def_.name = "hdr";
    def_.description = "Header params.";
    def_.input_schema = bj::parse(R"({"type":"object","properties":{
        "region":{"type":"string","x-mcp-header":"Region"},
        "count":{"type":"integer","x-mcp-header":"Count"},
        "opts":{"type":"object","properties":{"flag":{"type":"boolean","x-mcp-header":"Flag"}}}}})")
                            .as_object();
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolResult call(const bj::object&, CallContext&) override { return {}; }

 private:
  ToolDefinition def_;
};

struct ModernHeadersTest : ::testing::Test {
  std::shared_ptr<Registry> reg = std::make_shared<Registry>();
  void SetUp() override { reg->add_tool(std::make_unique<HeaderTool>()); }
  static std::string modern(const std::string& id, const std::string& method, const std::string& params_extra) {
    return R"({"jsonrpc":"2.0","id":)" + id + R"(,"method":")" + method + R"(","params":{)" + params_extra +
           (params_extra.empty() ? "" : ",") +
           R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})";
  }
};

TEST_F(ModernHeadersTest, HeaderChecksFollowTheSpecOrder) {
  auto msg = [](const std::string& s) { return bj::parse(s); };
  const auto ok = msg(modern("1", "tools/call", R"("name":"rich")"));
  ModernHeaders h{"2026-07-28", "tools/call", "rich", {}};
  EXPECT_FALSE(check_modern_request(ok, h));
  auto code = [&](const bj::value& m, const ModernHeaders& hh) {
    auto e = check_modern_request(m, hh);
    return e ? e->at("error").at("code").as_int64() : 0;
  };
  EXPECT_EQ(code(ok, {std::nullopt, "tools/call", "rich", {}}), -32020);
  EXPECT_EQ(code(ok, {"2026-07-28", "tools/list", "rich", {}}), -32020);
  EXPECT_EQ(code(ok, {"2026-07-28", "TOOLS/CALL", "rich", {}}), -32020);
  EXPECT_EQ(code(ok, {"2026-07-28", "tools/call", std::nullopt, {}}), -32020);
  EXPECT_EQ(code(ok, {"2026-07-28", "tools/call", "other", {}}), -32020);
  const auto no_meta = msg(R"({"jsonrpc":"2.0","id":5,"method":"server/discover","params":{}})");
  auto e = check_modern_request(no_meta, h);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("error").at("code"), -32602);
  EXPECT_EQ(e->at("id"), 5);
  const auto old = msg(R"({"jsonrpc":"2.0","id":6,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v9","io.modelcontextprotocol/clientCapabilities":{}}}})");
  EXPECT_EQ(code(old, {"2026-07-28", "server/discover", std::nullopt, {}}), -32020);
  e = check_modern_request(old, {"v9", "server/discover", std::nullopt, {}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->at("error").at("code"), -32022);
  EXPECT_EQ(e->at("error").at("data").at("requested"), "v9");
}

TEST_F(ModernHeadersTest, TasksMethodsNameTheirTaskInMcpName) {
  for (const char* m : {"tasks/get", "tasks/update", "tasks/cancel"}) {
    const auto msg = bj::parse(modern("1", m, R"("taskId":"abc")"));
    EXPECT_FALSE(check_modern_request(msg, {"2026-07-28", m, "abc", {}})) << m;
    auto wrong = check_modern_request(msg, {"2026-07-28", m, "other", {}});
    ASSERT_TRUE(wrong) << m;
    EXPECT_EQ(wrong->at("error").at("code"), -32020);
    auto missing = check_modern_request(msg, {"2026-07-28", m, std::nullopt, {}});
    ASSERT_TRUE(missing) << m;
    EXPECT_EQ(missing->at("error").at("code"), -32020);
  }
}

TEST_F(ModernHeadersTest, McpParamHeadersMustMatchTheArguments) {
  const auto msg = bj::parse(modern("1", "tools/call", R"("name":"hdr","arguments":{"region":"Hello","count":42,"opts":{"flag":true}})"));
  auto code = [&](std::vector<std::pair<std::string, std::string>> params) -> std::int64_t {
    ModernHeaders h{"2026-07-28", "tools/call", "hdr", std::move(params)};
    auto e = check_modern_params(msg, h, *reg);
    return e ? e->at("error").at("code").as_int64() : 0;
  };
  EXPECT_EQ(code({{"Region", "Hello"}, {"Count", "42"}, {"Flag", "true"}}), 0);
  EXPECT_EQ(code({{"region", "=?base64?SGVsbG8=?="}, {"COUNT", "42.0"}, {"flag", "true"}}), 0);  // names are case-insensitive
  EXPECT_EQ(code({{"Region", "=?base64?SGVsbG8?="}, {"Count", "42"}, {"Flag", "true"}}), -32020);    // bad padding
  EXPECT_EQ(code({{"Region", "=?base64?SGVs!!!bG8=?="}, {"Count", "42"}, {"Flag", "true"}}), -32020);
  EXPECT_EQ(code({{"Region", "hello"}, {"Count", "42"}, {"Flag", "true"}}), -32020);  // values are case-sensitive
  EXPECT_EQ(code({{"Count", "42"}, {"Flag", "true"}}), -32020);                        // value in body, no header
  EXPECT_EQ(code({{"Region", "Hello"}, {"Count", "41"}, {"Flag", "true"}}), -32020);
  EXPECT_EQ(code({{"Region", "Hello"}, {"Count", "42"}, {"Flag", "false"}}), -32020);
  // A parameter absent from the body needs no header.
  const auto partial = bj::parse(modern("2", "tools/call", R"("name":"hdr","arguments":{"region":"x"})"));
  EXPECT_FALSE(check_modern_params(partial, ModernHeaders{"2026-07-28", "tools/call", "hdr", {{"Region", "x"}}}, *reg));
  // Mcp-Name may use the Base64 sentinel too.
  EXPECT_FALSE(check_modern_request(msg, ModernHeaders{"2026-07-28", "tools/call", "=?base64?aGRy?=", {}}));
}

TEST(ModernHeaderValues, Base64SentinelIsDecodedStrictly) {
  EXPECT_EQ(decode_header_value("plain"), "plain");
  EXPECT_EQ(decode_header_value("=?base64?SGVsbG8=?="), "Hello");
  EXPECT_FALSE(decode_header_value("=?base64?SGVsbG8?="));  // padding required
  EXPECT_FALSE(decode_header_value("=?base64?SGVsbG9=?="));  // non-zero unused bits: not canonical
  EXPECT_FALSE(decode_header_value("=?base64?SGVs bG8=?="));  // no whitespace inside
  EXPECT_FALSE(decode_header_value("=?base64?SGVsbG8_?="));   // URL-safe alphabet is not Base64 here
  EXPECT_FALSE(decode_header_value("bad\x01value"));
}

}  // namespace
}  // namespace azsql::transport::http
