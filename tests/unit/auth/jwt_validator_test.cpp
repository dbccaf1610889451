// JwtValidator with fixed keys: every rejection reason, audiences as string/array, skew, the
// remembered-token cache; SigningKeys::from_jwks edge cases.
#include <gtest/gtest.h>

#include "auth/jwt_validator.hpp"
#include "jwt_mint.hpp"

using namespace azsql::auth;
using namespace azsql::auth::testing;
using Reason = TokenRejection::Reason;

namespace {
const std::string kTenant = "00000000-0000-0000-0000-0000000000aa";
const std::string kOther = "00000000-0000-0000-0000-0000000000cc";
const std::string kAud = "api://azsql-mcp";

struct Keys {
  TestKey a{"key-a"}, b{"key-b"}, stranger{"key-a"};  // `stranger` reuses a's kid with another key
};
Keys& keys() {
  static Keys k;
  return k;
}

boost::json::object rs256(const std::string& kid = "key-a") { return {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", kid}}; }

class Validator : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = SigningKeys::from_jwks(jwks({&keys().a, &keys().b}));
    ASSERT_TRUE(set.ok()) << set.error().message;
    ValidatorOptions o;
    o.tenant_id = kTenant;
    o.audiences = {kAud, "11111111-1111-1111-1111-1111111111bb"};
    o.clock_skew = std::chrono::seconds(60);
    v = std::make_unique<JwtValidator>(o, *set);
  }
  Reason reason_of(const std::string& token) {
    auto r = v->validate(token);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.rejection.description.empty());
    EXPECT_EQ(r.rejection.description.find(token), std::string::npos);
    return r.rejection.reason;
  }
  std::unique_ptr<JwtValidator> v;
};
}  // namespace

TEST_F(Validator, AcceptsAGoodTokenAndReportsTheCaller) {
  auto claims = user_claims(kTenant, kAud, "oid-1", "Sql.Read Sql.Write");
  auto r = v->validate(mint(rs256(), claims, &keys().a));
  ASSERT_TRUE(r.ok()) << r.rejection.description;
  EXPECT_EQ(r.token->tenant_id, kTenant);
  EXPECT_EQ(r.token->object_id, "oid-1");
  EXPECT_EQ(r.token->username, "oid-1@example.test");
  EXPECT_EQ(r.token->name, "User oid-1");
  EXPECT_TRUE(r.token->has_scope("Sql.Read"));
  EXPECT_TRUE(r.token->has_scope("Sql.Write"));
  EXPECT_FALSE(r.token->has_scope("Sql"));
  // The second key of the set works too, and aud may be an array naming the client id.
  claims["aud"] = boost::json::array{"someone-else", "11111111-1111-1111-1111-1111111111bb"};
  EXPECT_TRUE(v->validate(mint(rs256("key-b"), claims, &keys().b)).ok());
  // v1 issuer of the same tenant, roles instead of scp, upn instead of preferred_username.
  claims.erase("preferred_username");
  claims.erase("scp");
  claims["upn"] = "u@example.test";
  claims["roles"] = boost::json::array{"Sql.Write"};
  claims["iss"] = "https://sts.windows.net/" + kTenant + "/";
  auto r2 = v->validate(mint(rs256(), claims, &keys().a));
  ASSERT_TRUE(r2.ok()) << r2.rejection.description;
  EXPECT_EQ(r2.token->username, "u@example.test");
  EXPECT_TRUE(r2.token->has_scope("Sql.Write"));
}

TEST_F(Validator, RejectsEachBadToken) {
  const auto good = user_claims(kTenant, kAud, "oid-1");
  EXPECT_EQ(v->validate("").rejection.reason, Reason::Missing);
  EXPECT_EQ(reason_of("not-a-jwt"), Reason::Malformed);
  EXPECT_EQ(reason_of("a.b.c.d"), Reason::Malformed);
  EXPECT_EQ(reason_of("!!!.???.###"), Reason::Malformed);

  auto c = good;
  c["exp"] = epoch_now() - 120;
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Expired);
  c = good;
  c["nbf"] = epoch_now() + 600;
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::NotYetValid);
  c = good;
  c["aud"] = "api://someone-else";
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Audience);
  c.erase("aud");
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Audience);
  c = good;
  c["iss"] = "https://login.microsoftonline.com/" + kOther + "/v2.0";
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Issuer);
  c = user_claims(kOther, kAud, "oid-1");
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Tenant);
  c = good;
  c.erase("oid");
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Claims);
  c = good;
  c.erase("tid");
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Claims);
  c = good;
  c.erase("exp");
  EXPECT_EQ(reason_of(mint(rs256(), c, &keys().a)), Reason::Claims);

  // Signed by another key under a published kid; kid unknown; no kid.
  EXPECT_EQ(reason_of(mint(rs256(), good, &keys().stranger)), Reason::Signature);
  EXPECT_EQ(reason_of(mint(rs256("key-z"), good, &keys().a)), Reason::UnknownKey);
  EXPECT_EQ(reason_of(mint({{"alg", "RS256"}}, good, &keys().a)), Reason::UnknownKey);
  // A valid token with one payload byte changed.
  std::string t = mint(rs256(), good, &keys().a);
  auto d1 = t.find('.');
  auto c2 = mint(rs256(), user_claims(kTenant, kAud, "oid-2"), &keys().a);
  std::string spliced = t.substr(0, d1) + c2.substr(c2.find('.'), c2.rfind('.') - c2.find('.')) + t.substr(t.rfind('.'));
  EXPECT_EQ(reason_of(spliced), Reason::Signature);

  // alg none (with and without a signature), HS256 keyed with the public key, RS384, PS256.
  EXPECT_EQ(reason_of(mint({{"alg", "none"}, {"kid", "key-a"}}, good, nullptr)), Reason::Algorithm);
  EXPECT_EQ(reason_of(mint({{"alg", "none"}}, good, &keys().a)), Reason::Algorithm);
  EXPECT_EQ(reason_of(mint({{"alg", "HS256"}, {"kid", "key-a"}}, good, nullptr, keys().a.public_der())),
            Reason::Algorithm);
  EXPECT_EQ(reason_of(mint({{"alg", "RS384"}, {"kid", "key-a"}}, good, &keys().a)), Reason::Algorithm);
  EXPECT_EQ(reason_of(mint({{"alg", "PS256"}, {"kid", "key-a"}}, good, &keys().a)), Reason::Algorithm);
}

TEST_F(Validator, ClockSkewIsSmallAndSymmetric) {
  auto c = user_claims(kTenant, kAud, "oid-1");
  c["exp"] = epoch_now() - 30;  // within the 60 s skew
  EXPECT_TRUE(v->validate(mint(rs256(), c, &keys().a)).ok());
  c["exp"] = epoch_now() + 3600;
  c["nbf"] = epoch_now() + 30;
  EXPECT_TRUE(v->validate(mint(rs256(), c, &keys().a)).ok());
}

TEST(ValidatorTenants, AllowListAcceptsOtherTenantsWithTheirOwnIssuer) {
  auto set = SigningKeys::from_jwks(jwks({&keys().a}));
  ASSERT_TRUE(set.ok());
  ValidatorOptions o;
  o.tenant_id = kTenant;
  o.allowed_tenants = {kOther};
  o.audiences = {kAud};
  JwtValidator v(o, *set);
  EXPECT_TRUE(v.validate(mint(rs256(), user_claims(kOther, kAud, "x"), &keys().a)).ok());
  // tid of an allowed tenant but the issuer of another one.
  auto c = user_claims(kOther, kAud, "x");
  c["iss"] = "https://login.microsoftonline.com/" + kTenant + "/v2.0";
  EXPECT_EQ(v.validate(mint(rs256(), c, &keys().a)).rejection.reason, Reason::Issuer);
  EXPECT_EQ(v.validate(mint(rs256(), user_claims("third", kAud, "x"), &keys().a)).rejection.reason, Reason::Tenant);
}

TEST(ValidatorCache, RememberedTokensStillExpire) {
  auto set = SigningKeys::from_jwks(jwks({&keys().a}));
  ASSERT_TRUE(set.ok());
  auto fake_now = std::make_shared<std::chrono::system_clock::time_point>(std::chrono::system_clock::now());
  ValidatorOptions o;
  o.tenant_id = kTenant;
  o.audiences = {kAud};
  o.clock_skew = std::chrono::seconds(10);
  o.clock = [fake_now] { return *fake_now; };
  JwtValidator v(o, *set);
  const std::string t = mint(rs256(), user_claims(kTenant, kAud, "oid-1"), &keys().a);
  ASSERT_TRUE(v.validate(t).ok());
  EXPECT_EQ(v.remembered(), 1u);
  auto again = v.validate(t);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.token->object_id, "oid-1");
  *fake_now += std::chrono::seconds(3600 + 11);
  EXPECT_EQ(v.validate(t).rejection.reason, Reason::Expired);
  EXPECT_EQ(v.remembered(), 0u);
}

TEST(SigningKeysParse, SkipsUnusableKeysAndRefusesEmptySets) {
  EXPECT_FALSE(SigningKeys::from_jwks("not json").ok());
  EXPECT_FALSE(SigningKeys::from_jwks("{}").ok());
  EXPECT_FALSE(SigningKeys::from_jwks(R"({"keys":[]})").ok());
  auto a = keys().a.jwk();
  auto enc = a;
  enc["use"] = "enc";
  auto ec = a;
  ec["kty"] = "EC";
  auto hs = a;
  hs["alg"] = "HS256";
  EXPECT_FALSE(SigningKeys::from_jwks(boost::json::serialize(boost::json::object{{"keys", {enc, ec, hs}}})).ok());
  TestKey small("small", 1024);
  EXPECT_FALSE(SigningKeys::from_jwks(jwks({&small})).ok());
  auto both = SigningKeys::from_jwks(jwks({&keys().a, &keys().b, &small}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)->size(), 2u);
  EXPECT_NE((*both)->find("key-b"), nullptr);
  EXPECT_EQ((*both)->find("small"), nullptr);
}
