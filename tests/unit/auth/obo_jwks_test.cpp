// The resource-server keys (JwksCache via OpenID discovery) and the on-behalf-of credential against
// the fake Entra (tests/fakes/fake_azure.py as an OpenID provider, real process on loopback).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "auth/jwt_validator.hpp"
#include "auth/on_behalf_of.hpp"
#include "common/base64.hpp"
#include "fake_azure.hpp"

using namespace azsql;
using namespace azsql::auth;
using namespace azsql::auth::testing;
using Reason = TokenRejection::Reason;

namespace {
FakeAzure& fake() {
  static FakeAzure* f = new FakeAzure({"--sql-token-map", scratch_dir() + "/sql_tokens.json"});
  return *f;
}

std::shared_ptr<JwksCache> jwks_cache(std::chrono::milliseconds min_refetch = std::chrono::milliseconds(200)) {
  JwksOptions o;
  o.authority_host = fake().str("authority_host");
  o.tenant_id = fake().str("tenant");
  o.min_refetch_interval = min_refetch;
  return std::make_shared<JwksCache>(o);
}

ValidatorOptions validator_options() {
  ValidatorOptions o;
  o.authority_host = fake().str("authority_host");
  o.tenant_id = fake().str("tenant");
  o.audiences = {fake().str("api_audience")};
  return o;
}

std::string claim_of(const std::string& jwt, const char* name) {
  auto d1 = jwt.find('.');
  auto d2 = jwt.find('.', d1 + 1);
  auto payload = base64::decode(jwt.substr(d1 + 1, d2 - d1 - 1), base64::Alphabet::UrlSafe, base64::PadRule::Optional);
  auto v = boost::json::parse(*payload).as_object();
  return v.contains(name) && v.at(name).is_string() ? std::string(v.at(name).as_string()) : std::string();
}
}  // namespace

TEST(Jwks, DiscoveryFindsTheKeysAndAnUnknownKidTriggersOneRefetch) {
  ASSERT_TRUE(fake().ok());
  // The refetch interval is long enough that a loaded machine cannot stretch the five attempts below past it.
  const auto min_refetch = std::chrono::milliseconds(1000);
  auto cache = jwks_cache(min_refetch);
  ASSERT_TRUE(cache->start(std::chrono::seconds(10)).ok());
  ASSERT_NE(cache->keys(), nullptr);
  EXPECT_EQ(cache->keys()->size(), 2u);
  JwtValidator v(validator_options(), cache);
  auto ok = v.validate(fake().mint({{"oid", "u-1"}, {"upn", "alice@example.test"}}));
  ASSERT_TRUE(ok.ok()) << ok.rejection.description;
  EXPECT_EQ(ok.token->username, "alice@example.test");
  const auto gen = cache->generation();

  // Rotation: the fake now signs with fake-k3, which the cached set lacks → one refetch, accepted.
  std::this_thread::sleep_for(min_refetch + std::chrono::milliseconds(100));
  fake().control({{"rotate", true}});
  auto rotated = v.validate(fake().mint({{"oid", "u-1"}}));
  ASSERT_TRUE(rotated.ok()) << rotated.rejection.description;
  EXPECT_EQ(cache->generation(), gen + 1);
  EXPECT_NE(cache->keys()->find("fake-k3"), nullptr);

  // A kid nobody publishes: refused, and repeated attempts within min_refetch_interval do not refetch.
  // (Minted first, so only the validations run inside the interval that began with the rotation's refetch.)
  std::vector<std::string> unknown;
  for (int i = 0; i < 5; ++i) unknown.push_back(fake().mint({{"oid", "u-1"}, {"sign", "unpublished"}}));
  const auto before = fake().log("jwks").size();
  for (const auto& t : unknown) EXPECT_EQ(v.validate(t).rejection.reason, Reason::UnknownKey);
  EXPECT_LE(fake().log("jwks").size(), before + 1);
}

TEST(Jwks, UnreachableDiscoveryIsKeysUnavailableNotInvalidToken) {
  JwksOptions o;
  o.authority_host = "http://127.0.0.1:9";  // discard port: connection refused
  o.tenant_id = "t";
  o.timeouts.connect = std::chrono::milliseconds(300);
  o.retry_after_failure = std::chrono::milliseconds(100);
  auto cache = std::make_shared<JwksCache>(o);
  EXPECT_FALSE(cache->start(std::chrono::seconds(3)).ok());
  ValidatorOptions vo;
  vo.tenant_id = "t";
  vo.audiences = {"a"};
  vo.unknown_kid_wait = std::chrono::milliseconds(300);
  JwtValidator v(vo, cache);
  EXPECT_EQ(v.validate(fake().mint({{"oid", "u"}})).rejection.reason, Reason::KeysUnavailable);
}

TEST(OnBehalfOf, ExchangesTheCallersTokenForTheirOwnSqlTokenAndCachesItPerUser) {
  ASSERT_TRUE(fake().ok());
  OnBehalfOfOptions o;
  o.entra = fake().entra();
  o.client_secret = "fake-secret-value";
  auto obo = OnBehalfOfCredential::create(o);
  ASSERT_TRUE(obo.ok()) << obo.error().message;
  const std::string tenant = fake().str("tenant");
  const auto alice = fake().mint({{"oid", "oid-alice"}, {"upn", "alice@example.test"}});
  const auto bob = fake().mint({{"oid", "oid-bob"}, {"upn", "bob@example.test"}});
  CancelToken c;
  auto a1 = (*obo)->get_token({tenant, "oid-alice"}, alice, false, c);
  ASSERT_TRUE(a1.ok()) << a1.error().message;
  EXPECT_EQ(claim_of(a1->token, "upn"), "alice@example.test");
  auto b1 = (*obo)->get_token({tenant, "oid-bob"}, bob, false, c);
  ASSERT_TRUE(b1.ok());
  EXPECT_EQ(claim_of(b1->token, "upn"), "bob@example.test");
  auto a2 = (*obo)->get_token({tenant, "oid-alice"}, alice, false, c);
  ASSERT_TRUE(a2.ok());
  EXPECT_EQ(a2->token, a1->token);  // cached
  EXPECT_EQ((*obo)->exchanges(), 2u);
  EXPECT_EQ((*obo)->cached_users(), 2u);
  // What the fake received: the jwt-bearer grant with requested_token_use and the SQL scope.
  auto log = fake().log("token");
  ASSERT_FALSE(log.empty());
  const auto& form = log.back().as_object().at("form").as_object();
  EXPECT_EQ(form.at("grant_type").as_string(), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  EXPECT_EQ(form.at("requested_token_use").as_string(), "on_behalf_of");
  EXPECT_EQ(form.at("scope").as_string(), "https://database.windows.net/.default");
  EXPECT_EQ(form.at("assertion").as_string(), "<redacted>");
  auto forced = (*obo)->get_token({tenant, "oid-alice"}, alice, true, c);
  ASSERT_TRUE(forced.ok());
  EXPECT_NE(forced->token, a1->token);
}

TEST(OnBehalfOf, ManagedIdentityAsFederatedCredentialNeedsTheTokenExchangeAudience) {
  ASSERT_TRUE(fake().ok());
  OnBehalfOfOptions o;
  o.entra = fake().entra();
  o.assertion_credential = std::make_shared<ManagedIdentityCredential>(fake().imds());
  auto obo = OnBehalfOfCredential::create(o);
  ASSERT_TRUE(obo.ok());
  CancelToken c;
  const auto user = fake().mint({{"oid", "oid-carol"}, {"upn", "carol@example.test"}});
  auto t = (*obo)->get_token({fake().str("tenant"), "oid-carol"}, user, false, c);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(claim_of(t->token, "upn"), "carol@example.test");
  auto imds = fake().log("imds");
  ASSERT_FALSE(imds.empty());
  EXPECT_EQ(imds.back().as_object().at("query").as_object().at("resource").as_string(), "api://AzureADTokenExchange");
  EXPECT_EQ(fake().log("token").back().as_object().at("auth").as_string(), "managed_identity_federated");
}

TEST(OnBehalfOf, RefusalsSayWhatAnAdministratorMustDo) {
  ASSERT_TRUE(fake().ok());
  OnBehalfOfOptions o;
  o.entra = fake().entra();
  o.client_secret = "fake-secret-value";
  auto obo = OnBehalfOfCredential::create(o);
  ASSERT_TRUE(obo.ok());
  CancelToken c;
  const std::string tenant = fake().str("tenant");
  fake().control({{"obo_fail", boost::json::array{{{"aadsts", 65001}, {"oid", "oid-dave"}}}}});
  const auto dave = fake().mint({{"oid", "oid-dave"}});
  auto r = (*obo)->get_token({tenant, "oid-dave"}, dave, false, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Auth);
  EXPECT_EQ(r.error().code, 65001);
  EXPECT_NE(r.error().message.find("admin consent"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(dave), std::string::npos);
  // A token for another audience is refused by Entra with 50013, and explained.
  const auto wrong_aud = fake().mint({{"oid", "oid-erin"}, {"aud", "api://other"}});
  auto w = (*obo)->get_token({tenant, "oid-erin"}, wrong_aud, false, c);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, 50013);
  EXPECT_NE(w.error().message.find("MCP_AUTH_AUDIENCE"), std::string::npos) << w.error().message;
  // Configuration mistakes are refused up front.
  OnBehalfOfOptions none;
  none.entra = fake().entra();
  EXPECT_FALSE(OnBehalfOfCredential::create(none).ok());
  none.client_secret = "x";
  none.certificate_path = "/x.pem";
  EXPECT_FALSE(OnBehalfOfCredential::create(none).ok());
}

TEST(OnBehalfOf, ShortLivedSqlTokensAreExchangedAgainBeforeTheyExpire) {
  ASSERT_TRUE(fake().ok());
  auto fake_now = std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  OnBehalfOfOptions o;
  o.entra = fake().entra();
  o.client_secret = "fake-secret-value";
  o.clock = [fake_now] { return *fake_now; };
  auto obo = OnBehalfOfCredential::create(o);
  ASSERT_TRUE(obo.ok());
  fake().control({{"obo_lifetime", 60}});
  CancelToken c;
  const auto user = fake().mint({{"oid", "oid-fay"}});
  auto t1 = (*obo)->get_token({fake().str("tenant"), "oid-fay"}, user, false, c);
  ASSERT_TRUE(t1.ok());
  *fake_now += std::chrono::seconds(20);
  EXPECT_EQ((*obo)->get_token({fake().str("tenant"), "oid-fay"}, user, false, c)->token, t1->token);
  *fake_now += std::chrono::seconds(15);  // past half-life
  auto t2 = (*obo)->get_token({fake().str("tenant"), "oid-fay"}, user, false, c);
  ASSERT_TRUE(t2.ok());
  EXPECT_NE(t2->token, t1->token);
  fake().control({{"obo_lifetime", 3600}});
}
