// Each credential against the real fake endpoints (tests/fakes/fake_azure.py) and the az stub.
#include <gtest/gtest.h>

#include <fstream>

#include "auth/credentials.hpp"
#include "auth/detail.hpp"
#include "auth/factory.hpp"
#include "fake_azure.hpp"

namespace azsql::auth {
namespace {

using testing::b64url;

using testing::FakeAzure;
using Clock = std::chrono::system_clock;

std::string sv(const boost::json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

// ---------------------------------------------------------------------------------------------
// Managed identity: IMDS
TEST(ManagedIdentity, ImdsSystemAssignedSendsDocumentedRequest) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  ManagedIdentityCredential cred(fake.imds());
  EXPECT_EQ(cred.source(), "IMDS");
  CancelToken c;
  const auto before = Clock::now();
  auto t = cred.get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->token.substr(0, 3), "eyJ");
  EXPECT_GT(t->expires_on, before + std::chrono::minutes(59));
  EXPECT_EQ(jwt_expiry(t->token), t->expires_on);  // the fake's JWT exp equals expires_on
  auto log = fake.log("imds");
  ASSERT_EQ(log.size(), 1u);
  const auto& e = log[0].as_object();
  EXPECT_EQ(sv(e.at("metadata_header")), "true");
  EXPECT_EQ(sv(e.at("query").as_object().at("api-version")), "2018-02-01");
  EXPECT_EQ(sv(e.at("query").as_object().at("resource")), "https://database.windows.net/");
  EXPECT_EQ(sv(e.at("outcome")), "ok");
}

TEST(ManagedIdentity, ImdsUserAssignedSelectors) {
  FakeAzure fake({"--no-identity", "--user-assigned", "cid-1", "--user-assigned", "oid-2", "--user-assigned",
                  "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"});
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto o = fake.imds();
  o.client_id = "cid-1";
  ASSERT_TRUE(ManagedIdentityCredential(o).get_token(kSqlResource, c).ok());
  o.client_id.clear();
  o.object_id = "oid-2";
  ASSERT_TRUE(ManagedIdentityCredential(o).get_token(kSqlResource, c).ok());
  o.object_id.clear();
  o.resource_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u";
  ASSERT_TRUE(ManagedIdentityCredential(o).get_token(kSqlResource, c).ok());
  auto log = fake.log("imds");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(sv(log[0].as_object().at("query").as_object().at("client_id")), "cid-1");
  EXPECT_EQ(sv(log[1].as_object().at("query").as_object().at("object_id")), "oid-2");
  EXPECT_TRUE(log[2].as_object().at("query").as_object().contains("msi_res_id"));

  o.client_id = "cid-1";  // two selectors
  auto bad = ManagedIdentityCredential(o).get_token(kSqlResource, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(fake.log("imds").size(), 3u);  // refused before any request
}

TEST(ManagedIdentity, NoIdentityAssignedIsAClearUnavailableError) {
  FakeAzure fake({"--no-identity"});
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto t = ManagedIdentityCredential(fake.imds()).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(t.error().message.find("no managed identity is assigned"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("Identity not found"), std::string::npos);
  EXPECT_EQ(fake.log("imds").size(), 1u);  // 400 is not retried

  auto o = fake.imds();
  o.client_id = "unknown-client";
  auto u = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message.find("user-assigned identity is not assigned"), std::string::npos);
}

TEST(ManagedIdentity, RetriesThrottlingAndServerErrorsThenSucceeds) {
  FakeAzure fake({"--fail", "imds:429:2:0", "--fail", "imds:503:1", "--fail", "imds:410:1", "--fail", "imds:404:1"});
  ASSERT_TRUE(fake.ok());
  auto o = fake.imds();
  o.retry.max_retries = 6;
  CancelToken c;
  auto t = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto log = fake.log("imds");
  ASSERT_EQ(log.size(), 6u);  // 429, 429, 503, 410, 404, ok
  EXPECT_EQ(sv(log[0].as_object().at("injected")), "429");
  EXPECT_EQ(sv(log[5].as_object().at("outcome")), "ok");
}

TEST(ManagedIdentity, RetriesAreBounded) {
  FakeAzure fake({"--fail", "imds:500:0"});
  ASSERT_TRUE(fake.ok());
  auto o = fake.imds();
  o.retry.max_retries = 2;
  CancelToken c;
  auto t = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("HTTP 500"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("ManagedIdentityCredential"), std::string::npos);
  EXPECT_EQ(fake.log("imds").size(), 3u);  // first try + 2 retries
}

TEST(ManagedIdentity, GoneIsRetriedBeyondTheUsualBudget) {
  FakeAzure fake({"--fail", "imds:410:5"});
  ASSERT_TRUE(fake.ok());
  auto o = fake.imds();
  o.retry.max_retries = 1;
  o.gone.max_retries = 7;
  CancelToken c;
  auto t = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(fake.log("imds").size(), 6u);  // five 410s, then the token
}

TEST(ManagedIdentity, UnsupportedSourcesSaySoInsteadOfTryingImds) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto sf = ManagedIdentityOptions::from_environment(map_environment({{"IDENTITY_ENDPOINT", "http://127.0.0.1:1/sf"},
                                                                      {"IDENTITY_HEADER", "h"},
                                                                      {"IDENTITY_SERVER_THUMBPRINT", "abc"},
                                                                      {"AZSQL_IMDS_ENDPOINT", fake.base()}}));
  auto r = ManagedIdentityCredential(sf).get_token(kSqlScope, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(r.error().message.find("Service Fabric managed identity source is not supported"), std::string::npos)
      << r.error().message;
  auto arc = ManagedIdentityOptions::from_environment(map_environment(
      {{"IDENTITY_ENDPOINT", "http://127.0.0.1:1/arc"}, {"IMDS_ENDPOINT", "http://127.0.0.1:1"},
       {"AZSQL_IMDS_ENDPOINT", fake.base()}}));
  auto a = ManagedIdentityCredential(arc).get_token(kSqlScope, c);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("Azure Arc"), std::string::npos);
  EXPECT_EQ(unsupported_managed_identity_source("", "", "", "", "http://localhost:50342/oauth2/token"),
            "Cloud Shell / Azure ML");
  EXPECT_EQ(unsupported_managed_identity_source("http://x", "h", "", "", ""), "");
  EXPECT_TRUE(fake.log().empty());
}

TEST(ManagedIdentity, MalformedResponseIsAProtocolErrorWithoutTheBody) {
  FakeAzure fake({"--fail", "imds:malformed:1"});
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto t = ManagedIdentityCredential(fake.imds()).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Protocol);
  EXPECT_EQ(t.error().message.find("access_token"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().message.find("trunc"), std::string::npos);
}

TEST(ManagedIdentity, ProbeTimesOutQuicklyAsUnavailable) {
  FakeAzure fake({"--fail", "imds:slow:1:3"});
  ASSERT_TRUE(fake.ok());
  auto o = fake.imds();
  o.probe_imds = true;
  o.probe_timeout = std::chrono::milliseconds(300);
  CancelToken c;
  auto t = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(t.error().message.find("did not answer within 300 ms"), std::string::npos) << t.error().message;
}

TEST(ManagedIdentity, UnreachableImdsIsUnavailable) {
  auto o = ManagedIdentityOptions{};
  o.imds_endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  o.retry.max_retries = 1;
  o.retry.initial_delay = std::chrono::milliseconds(5);
  CancelToken c;
  auto t = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable) << t.error().message;
  EXPECT_NE(t.error().message.find("127.0.0.1:1"), std::string::npos);
}

TEST(ManagedIdentity, CancelStopsRetrying) {
  FakeAzure fake({"--fail", "imds:503:0"});
  ASSERT_TRUE(fake.ok());
  auto o = fake.imds();
  o.retry.max_retries = 50;
  o.retry.initial_delay = std::chrono::milliseconds(200);
  o.retry.max_delay = std::chrono::milliseconds(200);
  CancelToken c;
  c.cancel();
  auto t = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Cancelled);
  EXPECT_LE(fake.log("imds").size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Managed identity: App Service / Functions / Container Apps
TEST(ManagedIdentity, AppServiceEndpointWithIdentityHeader) {
  FakeAzure fake({"--user-assigned", "/sub/x/ua"});
  ASSERT_TRUE(fake.ok());
  auto env = map_environment({{"IDENTITY_ENDPOINT", fake.str("identity_endpoint")},
                              {"IDENTITY_HEADER", fake.str("identity_header")},
                              {"AZSQL_IMDS_ENDPOINT", "http://127.0.0.1:1"}});
  auto o = ManagedIdentityOptions::from_environment(env);
  ManagedIdentityCredential cred(o);
  EXPECT_EQ(cred.source(), "App Service");
  CancelToken c;
  auto t = cred.get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  o.resource_id = "/sub/x/ua";
  ASSERT_TRUE(ManagedIdentityCredential(o).get_token(kSqlScope, c).ok());
  auto log = fake.log("appservice");
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(log[0].as_object().at("identity_header_ok").as_bool());
  EXPECT_EQ(sv(log[0].as_object().at("query").as_object().at("api-version")), "2019-08-01");
  EXPECT_EQ(sv(log[1].as_object().at("query").as_object().at("mi_res_id")), "/sub/x/ua");
  EXPECT_TRUE(fake.log("imds").empty());

  o.identity_header = "wrong-header";
  auto bad = ManagedIdentityCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Auth);
  EXPECT_NE(bad.error().message.find("HTTP 401"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find("wrong-header"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Entra client credentials
TEST(ClientSecret, SendsClientCredentialsGrant) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  ClientSecretCredential cred(fake.entra(), "fake-secret-value");
  CancelToken c;
  auto t = cred.get_token(kSqlResource, c);  // a resource is turned into the .default scope
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_FALSE(t->refresh_on.has_value());
  auto log = fake.log("token");
  ASSERT_EQ(log.size(), 1u);
  const auto& e = log[0].as_object();
  EXPECT_EQ(sv(e.at("content_type")), "application/x-www-form-urlencoded");
  const auto& form = e.at("form").as_object();
  EXPECT_EQ(sv(form.at("grant_type")), "client_credentials");
  EXPECT_EQ(sv(form.at("scope")), "https://database.windows.net/.default");
  EXPECT_EQ(sv(form.at("client_id")), fake.str("client_id"));
  EXPECT_EQ(sv(e.at("auth")), "secret");
  EXPECT_EQ(sv(e.at("outcome")), "ok");
}

TEST(ClientSecret, WrongSecretNamesTheEntraCodeNotTheSecret) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  const std::string secret = "very-secret-but-wrong-value";
  CancelToken c;
  auto t = ClientSecretCredential(fake.entra(), secret).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Auth);
  EXPECT_EQ(t.error().code, 7000215);
  EXPECT_NE(t.error().message.find("ClientSecretCredential"), std::string::npos);
  EXPECT_NE(t.error().message.find("HTTP 401"), std::string::npos);
  EXPECT_NE(t.error().message.find("AADSTS7000215"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().message.find(secret), std::string::npos);
  EXPECT_EQ(t.error().message.find("Trace ID"), std::string::npos);  // first line only
  EXPECT_EQ(fake.log("token").size(), 1u);  // 401 is not retried
}

TEST(ClientSecret, RefreshInAndRetryOn429) {
  FakeAzure fake({"--refresh-in", "1800", "--fail", "token:429:1:0", "--fail", "token:500:1"});
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  const auto before = Clock::now();
  auto t = ClientSecretCredential(fake.entra(), "fake-secret-value").get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->refresh_on.has_value());
  EXPECT_GE(*t->refresh_on, before + std::chrono::seconds(1800));
  EXPECT_LT(*t->refresh_on, t->expires_on);
  EXPECT_EQ(fake.log("token").size(), 3u);
}

TEST(ClientSecret, WrongTenantAndInsecureAuthority) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto o = fake.entra();
  o.tenant_id = "other-tenant";
  auto t = ClientSecretCredential(o, "fake-secret-value").get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("AADSTS90002"), std::string::npos) << t.error().message;

  o = fake.entra();
  o.authority_host = "http://login.example.com";
  auto h = ClientSecretCredential(o, "s").get_token(kSqlScope, c);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(h.error().message.find("https"), std::string::npos);

  o = fake.entra();
  o.authority_host = fake.base().substr(std::string("http://").size());  // no scheme → https
  auto tls = ClientSecretCredential(o, "fake-secret-value").get_token(kSqlScope, c);
  ASSERT_FALSE(tls.ok());  // the fake speaks plain http, so an https attempt cannot succeed
  EXPECT_EQ(fake.log("token").size(), 1u);

  o = fake.entra();
  o.tenant_id = "a/../b";
  auto bad = ClientSecretCredential(o, "s").get_token(kSqlScope, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
}

TEST(ClientCertificate, AssertionVerifiedByTheFake) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  ClientCertificateCredential cred(fake.entra(), fake.str("cert"));
  auto t = cred.get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto t2 = cred.get_token(kSqlScope, c);  // fresh jti: not a replay
  ASSERT_TRUE(t2.ok()) << t2.error().message;
  auto log = fake.log("token");
  ASSERT_EQ(log.size(), 2u);
  const auto& e = log[0].as_object();
  EXPECT_EQ(sv(e.at("auth")), "certificate");
  EXPECT_TRUE(e.at("signature_verified").as_bool());
  EXPECT_EQ(sv(e.at("form").as_object().at("client_assertion_type")),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  const auto& h = e.at("jwt_header").as_object();
  EXPECT_EQ(sv(h.at("alg")), "RS256");
  EXPECT_EQ(sv(h.at("x5t")).size(), 27u);  // base64url of 20 bytes
  const auto& cl = e.at("jwt_claims").as_object();
  EXPECT_EQ(sv(cl.at("aud")), fake.token_url());
  EXPECT_EQ(sv(cl.at("iss")), fake.str("client_id"));
  EXPECT_EQ(sv(cl.at("sub")), fake.str("client_id"));
  EXPECT_EQ(cl.at("exp").as_int64() - cl.at("nbf").as_int64(), 600);
  EXPECT_NE(sv(cl.at("jti")), sv(log[1].as_object().at("jwt_claims").as_object().at("jti")));
}

TEST(ClientCertificate, EncryptedKeyNeedsThePassword) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto ok = ClientCertificateCredential(fake.entra(), fake.str("encrypted_cert"), fake.str("cert_password"))
                .get_token(kSqlScope, c);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto bad = ClientCertificateCredential(fake.entra(), fake.str("encrypted_cert"), "not-the-password")
                 .get_token(kSqlScope, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
  EXPECT_EQ(bad.error().message.find("not-the-password"), std::string::npos);
  auto missing = ClientCertificateCredential(fake.entra(), testing::scratch_dir() + "/nope.pem").get_token(kSqlScope, c);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("cannot read the certificate file"), std::string::npos);
  EXPECT_EQ(fake.log("token").size(), 1u);
}

TEST(ClientCertificate, Pkcs12File) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto ok = ClientCertificateCredential(fake.entra(), fake.str("pfx_cert"), fake.str("cert_password"))
                .get_token(kSqlScope, c);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  auto log = fake.log("token");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].as_object().at("signature_verified").as_bool());
  auto bad = ClientCertificateCredential(fake.entra(), fake.str("pfx_cert"), "wrong").get_token(kSqlScope, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(bad.error().message.find("PKCS#12"), std::string::npos) << bad.error().message;
}

TEST(ClientCertificate, UnregisteredCertificateIsRefused) {
  FakeAzure fake;
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto t = ClientCertificateCredential(fake.entra(), fake.str("untrusted_cert")).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Auth);
  EXPECT_EQ(t.error().code, 700027);
}

TEST(WorkloadIdentity, FederatedTokenFileIsTheAssertionAndIsReRead) {
  FakeAzure fake({"--federated-token", "federated-one", "--federated-token", "federated-two"});
  ASSERT_TRUE(fake.ok());
  const std::string file = testing::scratch_dir() + "/federated-token";
  std::ofstream(file) << "federated-one\n";
  CancelToken c;
  WorkloadIdentityCredential cred(fake.entra(), file, std::chrono::seconds(0));  // re-read every time
  ASSERT_TRUE(cred.get_token(kSqlScope, c).ok());
  std::ofstream(file) << "federated-two";
  auto t = cred.get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  WorkloadIdentityCredential cached(fake.entra(), file);  // default 5 min: reads once
  ASSERT_TRUE(cached.get_token(kSqlScope, c).ok());
  std::ofstream(file) << "federated-unknown";
  ASSERT_TRUE(cached.get_token(kSqlScope, c).ok());  // still the cached assertion
  auto log = fake.log("token");
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].as_object().at("federated_index").as_int64(), 0);
  EXPECT_EQ(log[1].as_object().at("federated_index").as_int64(), 1);
  EXPECT_EQ(log[3].as_object().at("federated_index").as_int64(), 1);
  EXPECT_EQ(sv(log[0].as_object().at("form").as_object().at("client_assertion_type")),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  auto bad = cred.get_token(kSqlScope, c);  // re-read → unknown assertion → refused
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("federated-unknown"), std::string::npos);

  WorkloadIdentityCredential none(fake.entra(), testing::scratch_dir() + "/missing-token-file");
  auto m = none.get_token(kSqlScope, c);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::InvalidInput);
}

TEST(FakeAzure, TokenFileHoldsTheLatestToken) {
  const std::string file = testing::scratch_dir() + "/issued-token";
  FakeAzure fake({"--token-file", file});
  ASSERT_TRUE(fake.ok());
  CancelToken c;
  auto t = ManagedIdentityCredential(fake.imds()).get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok());
  std::ifstream f(file);
  std::string content;
  std::getline(f, content);
  EXPECT_EQ(content, t->token);
}

// ---------------------------------------------------------------------------------------------
// Azure CLI (tests/fakes/az)
class AzureCli : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = testing::scratch_dir() + "/az-log-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ::setenv("AZ_STUB_LOG", log_.c_str(), 1);
    ::unsetenv("AZ_STUB_MODE");
    ::unsetenv("AZ_STUB_TOKEN");
    ::unsetenv("AZ_STUB_LIFETIME");
    opts_.az_path = testing::source_path("tests/fakes/az");
    opts_.timeout = std::chrono::milliseconds(10000);
  }
  void TearDown() override { ::unsetenv("AZ_STUB_MODE"); }
  std::vector<std::string> calls() {
    std::vector<std::string> out;
    std::ifstream f(log_);
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
  }
  std::string log_;
  AzureCliOptions opts_;
};

TEST_F(AzureCli, RunsGetAccessTokenAndPrefersEpochExpiry) {
  ::setenv("AZ_STUB_LIFETIME", "1234", 1);
  CancelToken c;
  const auto before = Clock::now();
  auto t = AzureCliCredential(opts_).get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(jwt_expiry(t->token), t->expires_on);
  EXPECT_GE(t->expires_on, std::chrono::floor<std::chrono::seconds>(before) + std::chrono::seconds(1234));
  opts_.tenant_id = "tenant-x";
  ASSERT_TRUE(AzureCliCredential(opts_).get_token(kSqlScope, c).ok());
  auto calls = this->calls();
  ASSERT_EQ(calls.size(), 2u);
  auto first = boost::json::parse(calls[0]).as_object();
  EXPECT_EQ(boost::json::serialize(first.at("argv")),
            R"(["account","get-access-token","--output","json","--resource","https://database.windows.net/"])");
  EXPECT_EQ(sv(first.at("cwd")), "/");
  auto second = boost::json::parse(calls[1]).as_object();
  EXPECT_EQ(sv(second.at("argv").as_array().back()), "tenant-x");
}

TEST_F(AzureCli, LocalTimeExpiresOnWhenNoEpoch) {
  ::setenv("AZ_STUB_MODE", "no_epoch", 1);
  ::setenv("AZ_STUB_LIFETIME", "3000", 1);
  CancelToken c;
  auto t = AzureCliCredential(opts_).get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  // expiresOn is local time with whole seconds; it must denote the same instant as the JWT exp.
  EXPECT_EQ(jwt_expiry(t->token), t->expires_on);
}

TEST_F(AzureCli, NotLoggedInIsUnavailable) {
  ::setenv("AZ_STUB_MODE", "not_logged_in", 1);
  CancelToken c;
  auto t = AzureCliCredential(opts_).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(t.error().message.find("az login"), std::string::npos);
}

TEST_F(AzureCli, OtherFailuresAreAuthErrorsWithTheFirstStderrLine) {
  ::setenv("AZ_STUB_MODE", "error", 1);
  CancelToken c;
  auto t = AzureCliCredential(opts_).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Auth);
  EXPECT_NE(t.error().message.find("AADSTS70043"), std::string::npos) << t.error().message;
}

TEST_F(AzureCli, TimeoutKillsTheProcess) {
  ::setenv("AZ_STUB_MODE", "slow", 1);
  opts_.timeout = std::chrono::milliseconds(500);
  CancelToken c;
  auto t = AzureCliCredential(opts_).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(t.error().message.find("did not finish within 500 ms"), std::string::npos) << t.error().message;
}

TEST_F(AzureCli, BadJsonDoesNotLeakTheToken) {
  ::setenv("AZ_STUB_MODE", "bad_json", 1);
  ::setenv("AZ_STUB_TOKEN", "leaky-token-value-123", 1);
  CancelToken c;
  auto t = AzureCliCredential(opts_).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Protocol);
  EXPECT_EQ(t.error().message.find("leaky-token-value-123"), std::string::npos) << t.error().message;
}

TEST_F(AzureCli, NotInstalled) {
  AzureCliOptions o;
  o.path_env = testing::scratch_dir() + "/empty-bin";
  CancelToken c;
  auto t = AzureCliCredential(o).get_token(kSqlScope, c);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(t.error().message.find("Azure CLI not found on PATH"), std::string::npos);
  // Found through PATH when az_path is empty.
  o.path_env = "/nonexistent:" + testing::source_path("tests/fakes");
  ASSERT_TRUE(AzureCliCredential(o).get_token(kSqlScope, c).ok());
}

// ---------------------------------------------------------------------------------------------
// Static token
std::string make_jwt(std::int64_t exp) {
  return b64url(R"({"alg":"none"})") + "." +
         b64url(R"({"aud":"https://database.windows.net/","exp":)" + std::to_string(exp) + "}") +
         ".sig";
}

TEST(StaticToken, ExpiryFromJwtAndExpiredTokensRefused) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
  CancelToken c;
  const std::string good = make_jwt(now + 600);
  auto t = StaticTokenCredential(good + "\n").get_token(kSqlScope, c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->token, good);
  EXPECT_EQ(t->expires_on, Clock::time_point(std::chrono::seconds(now + 600)));

  const std::string old = make_jwt(now - 10);
  auto e = StaticTokenCredential(old).get_token(kSqlScope, c);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::Auth);
  EXPECT_NE(e.error().message.find("expired at"), std::string::npos);
  EXPECT_EQ(e.error().message.find(old), std::string::npos);

  auto opaque = StaticTokenCredential("opaque-token").get_token(kSqlScope, c);
  ASSERT_TRUE(opaque.ok());
  EXPECT_GT(opaque->expires_on, Clock::now() + std::chrono::minutes(30));
}

}  // namespace
}  // namespace azsql::auth
