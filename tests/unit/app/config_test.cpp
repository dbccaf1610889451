#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <unistd.h>

#include "app/config.hpp"

namespace azsql::app {
namespace {

ParseOutcome parse(std::vector<const char*> args, std::map<std::string, std::string> env, const std::string& dotenv = "") {
  // One file per test and process: ctest runs the tests of this binary in parallel.
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = ::testing::TempDir() + "/azsql_test_" + info->name() + "_" + std::to_string(::getpid()) + ".env";
  {
    std::ofstream f(path);
    f << dotenv;
  }
  args.insert(args.begin(), "azsql-mcp");
  auto outcome = parse_config(static_cast<int>(args.size()), args.data(), env, path);
  std::remove(path.c_str());
  return outcome;
}

TEST(Config, DefaultsServeTheDemoDatabaseOverHttpOnLoopback) {
  auto r = parse({}, {{"HOME", "/home/u"}});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->transport, "http");
  EXPECT_EQ(r.config->host, "127.0.0.1");
  EXPECT_EQ(r.config->port, 8000);
  EXPECT_EQ(r.config->api_path, "/mcp");
  EXPECT_TRUE(r.config->sqlite_demo);
  EXPECT_EQ(r.config->sqlite_path, "/home/u/.local/share/azsql-mcp/demo.db");
  EXPECT_EQ(r.config->auth_type, "default_credential");
  EXPECT_EQ(r.config->pool_size, 4u);
}

TEST(Config, PrecedenceFlagsOverEnvOverDotenv) {
  auto r = parse({"--port", "9001"}, {{"MCP_PORT", "9002"}, {"MCP_HOST", "0.0.0.0"}},
                 "MCP_PORT=9003\nMCP_HOST=10.0.0.1\nMCP_API_PATH=\"/x\" # comment\nexport LOG_LEVEL=debug\n");
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->port, 9001);
  EXPECT_EQ(r.config->host, "0.0.0.0");
  EXPECT_EQ(r.config->api_path, "/x");
  EXPECT_EQ(r.config->log_level, "debug");
}

TEST(Config, AllowedHostsAndOriginsAreCommaLists) {
  auto r = parse({"--allowed-hosts", " mcp.example.com ,, app.internal"}, {{"MCP_ALLOWED_ORIGINS", "https://a.example, https://b.example"}});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->allowed_hosts, (std::vector<std::string>{"mcp.example.com", "app.internal"}));
  EXPECT_EQ(r.config->allowed_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
}

TEST(Config, BadSettingIsOneClearLineNamingSettingValueAndAllowed) {
  auto r = parse({}, {{"MCP_PORT", "eighty"}});
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.error, "invalid setting MCP_PORT='eighty': expected an integer from 0 to 65535");
  r = parse({"--transport", "carrier-pigeon"}, {});
  EXPECT_EQ(r.error, "invalid setting MCP_TRANSPORT='carrier-pigeon': expected one of http, stdio");
  r = parse({}, {{"MCP_READ_ONLY", "maybe"}});
  EXPECT_EQ(r.error, "invalid setting MCP_READ_ONLY='maybe': expected true or false");
  r = parse({"--bogus-flag"}, {});
  EXPECT_FALSE(r.config);
  EXPECT_NE(r.error.find("bogus"), std::string::npos);
}

TEST(Config, SecretsAreNeverEchoed) {
  auto r = parse({}, {{"AZURE_SQL_PASSWORD", "hunter2"}, {"MCP_PORT", "x"}});
  EXPECT_EQ(r.error.find("hunter2"), std::string::npos);
}

TEST(Config, SqlServerSelectionAuthDefaultsAndSeedCompatibility) {
  auto r = parse({}, {{"AZURE_SQL_SERVER", "x.database.windows.net"}, {"AZURE_SQL_USERNAME", "u"},
                      {"AZURE_SQL_DRIVER", "ODBC Driver 17 for SQL Server"}, {"AZURE_SQL_ENCRYPT", "yes"},
                      {"MCP_ENABLE_STREAMING", "true"}, {"TEST_MODE", "false"}});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_TRUE(r.config->sqlite_path.empty());
  EXPECT_EQ(r.config->auth_type, "sql");
  ASSERT_EQ(r.config->notices.size(), 2u);
  EXPECT_NE(r.config->notices[0].find("AZURE_SQL_DRIVER is ignored"), std::string::npos);
  EXPECT_NE(r.config->notices[1].find("TEST_MODE is ignored"), std::string::npos);
  r = parse({}, {{"MCP_DEBUG_MODE", "true"}});
  ASSERT_EQ(r.config->notices.size(), 1u);
  EXPECT_NE(r.config->notices[0].find("MCP_DEBUG_MODE is ignored: set LOG_LEVEL=debug"), std::string::npos);
  r = parse({"--database", "sqlite:/tmp/x.db"}, {});
  EXPECT_EQ(r.config->sqlite_path, "/tmp/x.db");
  EXPECT_FALSE(r.config->sqlite_demo);
}

TEST(Config, HelpAndVersionExitEarly) {
  auto r = parse({"--help"}, {});
  EXPECT_TRUE(r.exit_now);
  EXPECT_NE(r.out.find("AZURE_SQL_SERVER"), std::string::npos);
  EXPECT_NE(r.out.find("MCP_MAX_ROW_LIMIT"), std::string::npos);
  r = parse({"--version"}, {});
  EXPECT_TRUE(r.exit_now);
  EXPECT_EQ(r.out.rfind("azsql-mcp ", 0), 0u);
}

TEST(Config, RowLimitsMustBeConsistent) {
  auto r = parse({}, {{"MCP_DEFAULT_ROW_LIMIT", "500"}, {"MCP_MAX_ROW_LIMIT", "100"}});
  EXPECT_FALSE(r.config);
  EXPECT_NE(r.error.find("MCP_DEFAULT_ROW_LIMIT"), std::string::npos);
}

}  // namespace
}  // namespace azsql::app

#include "app/setup_identity.hpp"

namespace azsql::app {
namespace {

TEST(Config, CallerAuthenticationModesAndTheirDefaults) {
  auto none = parse({}, {});
  ASSERT_TRUE(none.config) << none.error;
  EXPECT_EQ(none.config->auth_mode, "none");
  auto token = parse({}, {{"MCP_AUTH_TOKEN", "s3cret"}});
  ASSERT_TRUE(token.config) << token.error;
  EXPECT_EQ(token.config->auth_mode, "token");
  auto entra = parse({}, {{"MCP_AUTH_MODE", "entra"}, {"AZURE_TENANT_ID", "tid-1"},
                          {"MCP_AUTH_AUDIENCE", "api://azsql-mcp, 1111-client"}, {"MCP_AUTH_ALLOWED_TENANTS", "t2,t3"}});
  ASSERT_TRUE(entra.config) << entra.error;
  EXPECT_EQ(entra.config->auth_tenant_id, "tid-1");
  EXPECT_EQ(entra.config->auth_audiences, (std::vector<std::string>{"api://azsql-mcp", "1111-client"}));
  EXPECT_EQ(entra.config->auth_allowed_tenants, (std::vector<std::string>{"t2", "t3"}));
  EXPECT_EQ(entra.config->auth_scopes_read, std::vector<std::string>{"Sql.Read"});
  EXPECT_EQ(entra.config->auth_scopes_write, std::vector<std::string>{"Sql.Write"});
  auto obo = parse({}, {{"MCP_AUTH_MODE", "entra"}, {"MCP_AUTH_TENANT_ID", "tid-1"}, {"MCP_AUTH_AUDIENCE", "api://a"},
                        {"AZURE_SQL_SERVER", "srv.database.windows.net"}, {"AZURE_SQL_AUTH_TYPE", "on_behalf_of"},
                        {"AZURE_CLIENT_ID", "cid"}, {"AZURE_SQL_OBO_CREDENTIAL", "managed_identity"}});
  ASSERT_TRUE(obo.config) << obo.error;
  EXPECT_EQ(obo.config->auth_type, "on_behalf_of");
  EXPECT_EQ(obo.config->obo_credential, "managed_identity");
}

TEST(Config, InconsistentCallerAuthenticationIsRefusedAtStart) {
  const std::map<std::string, std::string> entra{{"MCP_AUTH_MODE", "entra"}, {"MCP_AUTH_TENANT_ID", "t"},
                                                 {"MCP_AUTH_AUDIENCE", "api://a"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    auto e = entra;
    for (auto& [k, v] : extra) e[k] = v;
    return parse({}, e);
  };
  struct Case {
    std::map<std::string, std::string> env;
    const char* names;
  } cases[] = {
      {{{"MCP_AUTH_MODE", "token"}}, "MCP_AUTH_TOKEN"},
      {{{"MCP_AUTH_MODE", "entra"}, {"MCP_AUTH_AUDIENCE", "api://a"}}, "MCP_AUTH_TENANT_ID"},
      {{{"MCP_AUTH_MODE", "entra"}, {"MCP_AUTH_TENANT_ID", "t"}}, "MCP_AUTH_AUDIENCE"},
      {{{"MCP_AUTH_MODE", "none"}, {"MCP_AUTH_TOKEN", "x"}}, "MCP_AUTH_TOKEN"},
      {{{"AZURE_SQL_AUTH_TYPE", "on_behalf_of"}, {"AZURE_SQL_SERVER", "s"}, {"AZURE_CLIENT_ID", "c"}}, "MCP_AUTH_MODE=entra"},
      {{{"MCP_AUTH_MODE", "bogus"}}, "MCP_AUTH_MODE"},
      {{{"AZURE_SQL_OBO_CREDENTIAL", "client_secret"}}, "AZURE_SQL_AUTH_TYPE=on_behalf_of"},
  };
  for (const auto& c : cases) {
    auto r = parse({}, c.env);
    EXPECT_FALSE(r.config) << c.names;
    EXPECT_NE(r.error.find(c.names), std::string::npos) << r.error;
  }
  auto e1 = with({{"MCP_AUTH_TOKEN", "x"}});
  EXPECT_NE(e1.error.find("MCP_AUTH_TOKEN"), std::string::npos) << e1.error;
  auto e2 = with({{"MCP_TRANSPORT", "stdio"}});
  EXPECT_NE(e2.error.find("MCP_TRANSPORT"), std::string::npos) << e2.error;
  auto e3 = with({{"AZURE_SQL_AUTH_TYPE", "on_behalf_of"}, {"AZURE_CLIENT_ID", "c"}});
  EXPECT_NE(e3.error.find("AZURE_SQL_SERVER"), std::string::npos) << e3.error;
  auto e4 = with({{"AZURE_SQL_AUTH_TYPE", "on_behalf_of"}, {"AZURE_SQL_SERVER", "s"}});
  EXPECT_NE(e4.error.find("AZURE_CLIENT_ID"), std::string::npos) << e4.error;
  auto e5 = with({{"AZURE_SQL_AUTH_TYPE", "on_behalf_of"}, {"AZURE_SQL_SERVER", "s"}, {"AZURE_CLIENT_ID", "c"},
                  {"AZURE_SQL_OBO_CREDENTIAL", "password"}});
  EXPECT_NE(e5.error.find("AZURE_SQL_OBO_CREDENTIAL"), std::string::npos) << e5.error;
}

TEST(SetupIdentity, PrintsGrantsAndEnvironmentWithQuotedName) {
  std::string out, err;
  int rc = setup_identity_main({"--identity-name", "mcp]id", "--client-id", "abc", "--server", "s.database.windows.net",
                                "--database", "db1"},
                               out, err);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("CREATE USER [mcp]]id] FROM EXTERNAL PROVIDER;"), std::string::npos);
  EXPECT_NE(out.find("ALTER ROLE db_datareader ADD MEMBER [mcp]]id];"), std::string::npos);
  EXPECT_EQ(out.find("db_datawriter ADD"), std::string::npos);
  EXPECT_NE(out.find("AZURE_MANAGED_IDENTITY_CLIENT_ID=abc"), std::string::npos);
  EXPECT_NE(out.find("MCP_READ_ONLY=true"), std::string::npos);
  out.clear();
  rc = setup_identity_main({"--identity-name", "x", "--read-write"}, out, err);
  EXPECT_NE(out.find("ALTER ROLE db_datawriter ADD MEMBER [x];"), std::string::npos);
  EXPECT_NE(out.find("MCP_READ_ONLY=false"), std::string::npos);
}

TEST(SetupIdentity, RejectsMissingOrBadName) {
  std::string out, err;
  EXPECT_EQ(setup_identity_main({}, out, err), 2);
  EXPECT_EQ(setup_identity_main({"--identity-name", "a\nb"}, out, err), 2);
}

TEST(Config, DatabaseAllowListPutsTheDefaultFirstAndDropsDuplicates) {
  auto r = parse({}, {{"AZURE_SQL_SERVER", "db.example.net"}, {"AZURE_SQL_DATABASE", "Sales"},
                      {"AZURE_SQL_DATABASES", " hr, sales ,HR,finance"}});
  ASSERT_TRUE(r.config) << r.error;
  EXPECT_EQ(r.config->databases, (std::vector<std::string>{"Sales", "hr", "finance"}));
  auto first = parse({}, {{"AZURE_SQL_SERVER", "db.example.net"}, {"AZURE_SQL_DATABASES", "a,b"}});
  ASSERT_TRUE(first.config) << first.error;
  EXPECT_EQ(first.config->databases, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(parse({}, {{"AZURE_SQL_SERVER", "db.example.net"}}).config->databases.empty());
}

TEST(Config, DatabaseAllowListNeedsSqlServer) {
  auto r = parse({}, {{"HOME", "/home/u"}, {"AZURE_SQL_DATABASES", "a,b"}});
  EXPECT_FALSE(r.config);
  EXPECT_NE(r.error.find("AZURE_SQL_DATABASES"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace azsql::app
