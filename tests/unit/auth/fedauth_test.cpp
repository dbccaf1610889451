// The token path end to end below the binary: a cached managed identity credential (fake IMDS
// writing its latest token to a file) feeds the TDS driver's FEDAUTH login against the Python TDS
// test server, which accepts exactly the token in that file. Also src/app/credential_factory.cpp.
#include <gtest/gtest.h>

#include "../tds/tds_server_fixture.hpp"
#include "app/credential_factory.hpp"
#include "db/tds/connection.hpp"
#include "fake_azure.hpp"

namespace azsql::auth {
namespace {

struct Collect : db::RowSink {
  std::vector<db::Row> rows;
  void columns(const std::vector<db::Column>&) override {}
  bool row(const db::Row& r) override {
    rows.push_back(r);
    return true;
  }
};

db::tds::TdsOptions tds_options(const tds_test::TdsServer& s) {
  db::tds::TdsOptions o;
  o.host = "127.0.0.1";
  o.port = static_cast<std::uint16_t>(s.port);
  o.database = "demo";
  o.encrypt = db::tds::EncryptMode::Yes;
  o.ca_file = s.cert;
  o.connect_timeout = std::chrono::milliseconds(10000);
  o.retry.max_retries = 0;
  return o;
}

TEST(FedAuth, CachedManagedIdentityTokenLogsInAndIsRefreshedWhenRefused) {
  const std::string token_file = testing::scratch_dir() + "/accepted-token";
  testing::FakeAzure fake({"--token-file", token_file});
  ASSERT_TRUE(fake.ok());
  tds_test::TdsServer srv({"--token-file", token_file, "--token-principal", "mi@example.com"});
  ASSERT_GT(srv.port, 0) << srv.line;

  app::Config cfg;
  cfg.auth_type = "managed_identity";
  auto env = map_environment({{"AZSQL_IMDS_ENDPOINT", fake.base()}});
  std::vector<RefreshEvent> events;
  std::mutex mu;
  auto cred = app::make_token_credential(cfg, env, [&](const RefreshEvent& e) {
    std::lock_guard l(mu);
    events.push_back(e);
  });
  ASSERT_TRUE(cred.ok()) << cred.error().message;
  ASSERT_TRUE(*cred);

  auto o = tds_options(srv);
  o.access_token = app::tds_access_token(*cred);
  auto c = db::tds::connect(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE((*c)->session().fedauth);
  Collect rows;
  ASSERT_TRUE((*c)->execute("SELECT SUSER_SNAME()", {}, &rows, {}).ok());
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(rows.rows[0][0].s, "mi@example.com");

  // A second connection reuses the cached token: no new IMDS request.
  auto c2 = db::tds::connect(o);
  ASSERT_TRUE(c2.ok()) << c2.error().message;
  EXPECT_EQ(fake.log("imds").size(), 1u);

  // Someone else obtains a newer token; the server now accepts only that one. Our cached token is
  // refused (18456), the driver asks for a forced refresh, and the new login succeeds.
  {
    CancelToken cancel;
    ASSERT_TRUE(ManagedIdentityCredential(fake.imds()).get_token(kSqlScope, cancel).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past CacheOptions::force_min_age
  auto c3 = db::tds::connect(o);
  ASSERT_TRUE(c3.ok()) << c3.error().message;
  EXPECT_TRUE((*c3)->session().fedauth);
  EXPECT_EQ(fake.log("imds").size(), 3u);
  std::lock_guard l(mu);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].forced);
  EXPECT_TRUE(events[1].forced);
  EXPECT_TRUE(events[1].ok);
}

TEST(FedAuth, NoIdentityFailsTheLoginWithTheCredentialError) {
  testing::FakeAzure fake({"--no-identity"});
  ASSERT_TRUE(fake.ok());
  tds_test::TdsServer srv({"--accept-token", "never-issued"});
  ASSERT_GT(srv.port, 0) << srv.line;
  app::Config cfg;
  cfg.auth_type = "managed_identity";
  auto cred = app::make_token_credential(cfg, map_environment({{"AZSQL_IMDS_ENDPOINT", fake.base()}}));
  ASSERT_TRUE(cred.ok());
  auto o = tds_options(srv);
  o.access_token = app::tds_access_token(*cred);
  auto c = db::tds::connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no managed identity is assigned"), std::string::npos) << c.error().message;
}

TEST(AppCredentialFactory, MapsConfigAndEnvironment) {
  app::Config cfg;
  cfg.auth_type = "service_principal";
  cfg.tenant_id = "ten";
  cfg.client_id = "cli";
  cfg.client_certificate_path = "/c.pem";
  cfg.authority_host = "https://login.example";
  cfg.connection_timeout_s = 7;
  auto env = map_environment({{"AZURE_CLIENT_CERTIFICATE_PASSWORD", "pw"},
                              {"AZURE_TENANT_ID", "env-tenant"},  // Config already decided: ignored
                              {"IDENTITY_ENDPOINT", "http://127.0.0.1:5/msi"},
                              {"AZSQL_AZ_PATH", "/opt/az"}});
  auto c = app::credential_config(cfg, env);
  EXPECT_EQ(c.auth_type, "service_principal");
  EXPECT_EQ(c.tenant_id, "ten");
  EXPECT_EQ(c.client_certificate_password, "pw");
  EXPECT_EQ(c.identity_endpoint, "http://127.0.0.1:5/msi");
  EXPECT_EQ(c.az_path, "/opt/az");
  EXPECT_EQ(c.timeouts.total, std::chrono::milliseconds(7000));
  auto cred = app::make_token_credential(cfg, env);
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ((*cred)->name(), "ClientCertificateCredential");

  cfg.auth_type = "sql";
  auto none = app::make_token_credential(cfg, env);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  EXPECT_FALSE(static_cast<bool>(app::tds_access_token(*none)));

  // A connection string's Authentication= / User Id= / Password= win over the variables.
  app::AuthOverrides mi{"managed_identity", "ua-client-id", std::nullopt};
  auto m = app::credential_config(cfg, env, mi);
  EXPECT_EQ(m.auth_type, "managed_identity");
  EXPECT_EQ(m.managed_identity_client_id, "ua-client-id");
  app::AuthOverrides sp{"service_principal", "app-id", "cs-secret"};
  auto p = app::credential_config(cfg, env, sp);
  EXPECT_EQ(p.client_id, "app-id");
  EXPECT_EQ(p.client_secret, "cs-secret");
  auto psp = app::make_token_credential(cfg, env, {}, sp);
  ASSERT_TRUE(psp.ok());
  EXPECT_EQ((*psp)->name(), "ClientSecretCredential");
  auto to_sql = app::make_token_credential(cfg, env, {}, app::AuthOverrides{"sql", "u", "p"});
  ASSERT_TRUE(to_sql.ok());
  EXPECT_FALSE(*to_sql);

  cfg.auth_type = "workload_identity";
  auto bad = app::make_token_credential(cfg, env);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "auth type workload_identity needs AZURE_FEDERATED_TOKEN_FILE");
}

}  // namespace
}  // namespace azsql::auth
