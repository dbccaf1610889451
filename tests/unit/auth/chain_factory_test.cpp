// DefaultAzureCredential order and error text, the factory, the TDS bridge, and that no secret or
// token ever appears in an error message.
#include <gtest/gtest.h>

#include <fstream>

#include "auth/detail.hpp"
#include "auth/factory.hpp"
#include "fake_azure.hpp"

namespace azsql::auth {
namespace {

using testing::b64url;

using testing::FakeAzure;

std::string sv(const boost::json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

/// A config whose steps all point at the fake (or at nothing), with fast retries.
CredentialConfig base_config(const FakeAzure* fake) {
  CredentialConfig c;
  c.auth_type = "default_credential";
  c.imds_endpoint = fake ? fake->base() : "http://127.0.0.1:1";
  c.authority_host = fake ? fake->str("authority_host") : "";
  c.path_env = testing::scratch_dir() + "/no-az-here";
  c.managed_identity_retry.max_retries = 1;
  c.managed_identity_retry.initial_delay = std::chrono::milliseconds(5);
  c.entra_retry.max_retries = 1;
  c.entra_retry.initial_delay = std::chrono::milliseconds(5);
  c.imds_probe_timeout = std::chrono::milliseconds(1000);
  return c;
}

TEST(DefaultCredential, EveryStepUnavailableListsWhyInOrder) {
  auto c = base_config(nullptr);
  auto cred = make_credential(c);
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ((*cred)->name(), "DefaultAzureCredential");
  CancelToken cancel;
  auto t = (*cred)->get_token(kSqlScope, cancel);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable);
  const std::string& m = t.error().message;
  auto env = m.find("EnvironmentCredential: not configured");
  auto wi = m.find("WorkloadIdentityCredential: not configured (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE unset)");
  auto mi = m.find("ManagedIdentityCredential: IMDS at 127.0.0.1:1 did not answer");
  auto cli = m.find("AzureCliCredential: Azure CLI not found on PATH");
  ASSERT_NE(env, std::string::npos) << m;
  ASSERT_NE(wi, std::string::npos) << m;
  ASSERT_NE(mi, std::string::npos) << m;
  ASSERT_NE(cli, std::string::npos) << m;
  EXPECT_LT(env, wi);
  EXPECT_LT(wi, mi);
  EXPECT_LT(mi, cli);
}

TEST(DefaultCredential, EnvironmentSecretComesFirst) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  auto c = base_config(&fake);
  c.tenant_id = fake.str("tenant");
  c.client_id = fake.str("client_id");
  c.client_secret = "fake-secret-value";
  auto cred = make_credential(c);
  ASSERT_TRUE(cred.ok());
  CancelToken cancel;
  ASSERT_TRUE((*cred)->get_token(kSqlScope, cancel).ok());
  EXPECT_EQ(fake.log("token").size(), 1u);
  EXPECT_TRUE(fake.log("imds").empty());
}

TEST(DefaultCredential, EnvironmentCertificateWhenNoSecret) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  auto c = base_config(&fake);
  c.tenant_id = fake.str("tenant");
  c.client_id = fake.str("client_id");
  c.client_certificate_path = fake.str("cert");
  auto cred = make_credential(c);
  CancelToken cancel;
  ASSERT_TRUE((*cred)->get_token(kSqlScope, cancel).ok());
  auto log = fake.log("token");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(sv(log[0].as_object().at("auth")), "certificate");
}

TEST(DefaultCredential, AuthenticationFailureStopsTheChain) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  auto c = base_config(&fake);
  c.tenant_id = fake.str("tenant");
  c.client_id = fake.str("client_id");
  c.client_secret = "wrong-secret-xyz";
  auto cred = make_credential(c);
  CancelToken cancel;
  auto t = (*cred)->get_token(kSqlScope, cancel);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Auth);
  EXPECT_NE(t.error().message.find("DefaultAzureCredential: EnvironmentCredential → ClientSecretCredential"),
            std::string::npos)
      << t.error().message;
  EXPECT_NE(t.error().message.find("AADSTS7000215"), std::string::npos);
  EXPECT_EQ(t.error().message.find("wrong-secret-xyz"), std::string::npos);
  EXPECT_TRUE(fake.log("imds").empty());  // managed identity never tried
}

TEST(DefaultCredential, WorkloadIdentityWhenAllThreeSet) {
  FakeAzure fake({"--federated-token", "k8s-sa-token"});
  ASSERT_TRUE(fake.ok());
  const std::string file = testing::scratch_dir() + "/wi-token";
  std::ofstream(file) << "k8s-sa-token";
  auto c = base_config(&fake);
  c.tenant_id = fake.str("tenant");
  c.client_id = fake.str("client_id");
  c.federated_token_file = file;
  auto cred = make_credential(c);
  CancelToken cancel;
  auto t = (*cred)->get_token(kSqlScope, cancel);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto log = fake.log("token");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(sv(log[0].as_object().at("auth")), "federated");
}

TEST(DefaultCredential, ManagedIdentityAfterProbeAndThenSticks) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  auto c = base_config(&fake);
  auto cred = make_credential(c);
  CancelToken cancel;
  ASSERT_TRUE((*cred)->get_token(kSqlScope, cancel).ok());
  ASSERT_TRUE((*cred)->get_token(kSqlScope, cancel).ok());
  EXPECT_EQ(fake.log("imds").size(), 2u);
}

TEST(DefaultCredential, ManagedIdentityUsesAzureClientIdAsUserAssignedId) {
  FakeAzure fake({"--no-identity", "--user-assigned", "ua-client"});
  ASSERT_TRUE(fake.ok());
  auto c = base_config(&fake);
  c.client_id = "ua-client";
  auto cred = make_credential(c);
  CancelToken cancel;
  auto t = (*cred)->get_token(kSqlScope, cancel);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto log = fake.log("imds");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(sv(log[0].as_object().at("query").as_object().at("client_id")), "ua-client");
}

TEST(DefaultCredential, FallsThroughToAzureCliWhenNoIdentity) {
  FakeAzure fake({"--no-identity"});
  ASSERT_TRUE(fake.ok());
  ::unsetenv("AZ_STUB_MODE");
  auto c = base_config(&fake);
  c.az_path = testing::source_path("tests/fakes/az");
  auto cred = make_credential(c);
  CancelToken cancel;
  auto t = (*cred)->get_token(kSqlScope, cancel);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(fake.log("imds").size(), 1u);
  // From now on the chain goes straight to the CLI.
  ASSERT_TRUE((*cred)->get_token(kSqlScope, cancel).ok());
  EXPECT_EQ(fake.log("imds").size(), 1u);
}

TEST(DefaultCredential, SlowImdsProbeMovesOnToCli) {
  FakeAzure fake({"--fail", "imds:slow:1:3"});
  ASSERT_TRUE(fake.ok());
  ::unsetenv("AZ_STUB_MODE");
  auto c = base_config(&fake);
  c.imds_probe_timeout = std::chrono::milliseconds(300);
  c.az_path = testing::source_path("tests/fakes/az");
  auto cred = make_credential(c);
  CancelToken cancel;
  auto t = (*cred)->get_token(kSqlScope, cancel);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->token.find("eyJ"), 0u);
}

// ---------------------------------------------------------------------------------------------
TEST(Factory, BuildsEachAuthType) {
  CredentialConfig c;
  c.tenant_id = "t";
  c.client_id = "c";
  c.client_secret = "s";
  c.federated_token_file = "/f";
  c.access_token = "tok";
  const std::vector<std::pair<std::string, std::string>> cases{
      {"managed_identity", "ManagedIdentityCredential"},   {"default_credential", "DefaultAzureCredential"},
      {"service_principal", "ClientSecretCredential"},     {"workload_identity", "WorkloadIdentityCredential"},
      {"azure_cli", "AzureCliCredential"},                 {"access_token", "StaticTokenCredential"}};
  for (const auto& [type, name] : cases) {
    c.auth_type = type;
    auto r = make_credential(c);
    ASSERT_TRUE(r.ok()) << type;
    EXPECT_EQ((*r)->name(), name);
  }
  c.auth_type = "service_principal";
  c.client_secret.clear();
  c.client_certificate_path = "/cert.pem";
  EXPECT_EQ((*make_credential(c))->name(), "ClientCertificateCredential");
}

TEST(Factory, MissingSettingsAndUnknownTypes) {
  CredentialConfig c;
  c.auth_type = "service_principal";
  c.tenant_id = "t";
  auto r = make_credential(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "auth type service_principal needs AZURE_CLIENT_ID");
  c.client_id = "c";
  EXPECT_EQ(make_credential(c).error().message,
            "auth type service_principal needs AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
  c.auth_type = "workload_identity";
  EXPECT_EQ(make_credential(c).error().message, "auth type workload_identity needs AZURE_FEDERATED_TOKEN_FILE");
  c.auth_type = "access_token";
  EXPECT_EQ(make_credential(c).error().message, "auth type access_token needs AZURE_SQL_ACCESS_TOKEN");
  c.auth_type = "sql";
  auto s = make_credential(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(s.error().message.find("'sql' has no Entra credential"), std::string::npos);
}

TEST(Factory, ConfigFromEnvironment) {
  auto env = map_environment({{"AZURE_SQL_AUTH_TYPE", "managed_identity"},
                              {"AZURE_TENANT_ID", "ten"},
                              {"AZURE_MANAGED_IDENTITY_CLIENT_ID", "mi"},
                              {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"},
                              {"AZSQL_AZ_PATH", "/x/az"},
                              {"IDENTITY_ENDPOINT", "http://127.0.0.1:8/msi"}});
  CredentialConfig c;
  c.tenant_id = "explicit";  // already set fields win
  c.fill_from_environment(env);
  EXPECT_EQ(c.auth_type, "managed_identity");
  EXPECT_EQ(c.tenant_id, "explicit");
  EXPECT_EQ(c.managed_identity_client_id, "mi");
  EXPECT_EQ(c.imds_endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(c.az_path, "/x/az");
  EXPECT_EQ(c.identity_endpoint, "http://127.0.0.1:8/msi");
  auto ours = map_environment({{"AZSQL_IMDS_ENDPOINT", "http://127.0.0.1:7"},
                               {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9"}});
  EXPECT_EQ(CredentialConfig::from_environment(ours).imds_endpoint, "http://127.0.0.1:7");
  EXPECT_EQ(ManagedIdentityOptions::from_environment(ours).imds_endpoint, "http://127.0.0.1:7");
}

TEST(Factory, AccessTokenBridgeForTheTdsDriver) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CredentialConfig c;
  c.auth_type = "managed_identity";
  c.imds_endpoint = fake.base();
  CacheOptions co;
  co.force_min_age = std::chrono::milliseconds(0);
  auto cached = make_cached_credential(c, co);
  ASSERT_TRUE(cached.ok());
  auto provider = access_token_provider(*cached);
  auto a = provider(false);
  auto b = provider(false);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(fake.log("imds").size(), 1u);
  auto forced = provider(true);
  ASSERT_TRUE(forced.ok());
  EXPECT_NE(*forced, *a);
  EXPECT_EQ(fake.log("imds").size(), 2u);
  EXPECT_EQ((*cached)->refresh_count(), 2u);
}

// ---------------------------------------------------------------------------------------------
TEST(Secrets, NeverInErrorMessages) {
  FakeAzure fake({"--fail", "token:malformed:1", "--fail", "imds:malformed:1"});
  ASSERT_TRUE(fake.ok());
  CancelToken cancel;
  std::vector<std::string> messages;
  const std::string secret = "s3cr3t-client-secret-value";
  // malformed token response (contains a partial access token) for a secret credential
  messages.push_back(ClientSecretCredential(fake.entra(), secret).get_token(kSqlScope, cancel).error().message);
  // refused secret
  messages.push_back(ClientSecretCredential(fake.entra(), secret).get_token(kSqlScope, cancel).error().message);
  // malformed IMDS answer
  messages.push_back(ManagedIdentityCredential(fake.imds()).get_token(kSqlScope, cancel).error().message);
  // expired static token
  const std::string expired = b64url(R"({"alg":"none"})") + "." +
                              b64url(R"({"exp":1000})") + ".secret-signature-part";
  messages.push_back(StaticTokenCredential(expired).get_token(kSqlScope, cancel).error().message);
  // a certificate with a wrong password
  messages.push_back(ClientCertificateCredential(fake.entra(), fake.str("encrypted_cert"), secret)
                         .get_token(kSqlScope, cancel)
                         .error()
                         .message);
  // the chain with a refused secret
  auto c = base_config(&fake);
  c.tenant_id = fake.str("tenant");
  c.client_id = fake.str("client_id");
  c.client_secret = secret;
  messages.push_back((*make_credential(c))->get_token(kSqlScope, cancel).error().message);
  ASSERT_EQ(messages.size(), 6u);
  for (const auto& m : messages) {
    EXPECT_FALSE(m.empty());
    EXPECT_EQ(m.find(secret), std::string::npos) << m;
    EXPECT_EQ(m.find("secret-signature-part"), std::string::npos) << m;
    EXPECT_EQ(m.find("eyJ"), std::string::npos) << m;  // no JWT fragment
    EXPECT_EQ(m.find("trunc"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace azsql::auth
