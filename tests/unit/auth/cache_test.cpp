// CachingCredential: refresh points, one shared refresh, back-off after failure, force_refresh.
// A scripted inner credential and an injected clock make these deterministic; the concurrency
// test also runs against the real fake endpoint.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

#include "auth/detail.hpp"
#include "auth/token_cache.hpp"
#include "fake_azure.hpp"

namespace azsql::auth {
namespace {

using testing::b64url;

using Clock = std::chrono::system_clock;
using std::chrono::minutes;
using std::chrono::seconds;

/// A manual clock shared by the test and the cache.
struct ManualClock {
  std::atomic<Clock::rep> ticks{Clock::time_point(seconds(1'800'000'000)).time_since_epoch().count()};
  Clock::time_point now() const { return Clock::time_point(Clock::duration(ticks.load())); }
  void advance(Clock::duration d) { ticks += d.count(); }
};

/// Issues "tok-N" tokens living `lifetime` from the manual clock, or fails when told to.
class ScriptedCredential : public TokenCredential {
 public:
  ScriptedCredential(ManualClock& clock, Clock::duration lifetime) : clock_(clock), lifetime_(lifetime) {}
  Result<AccessToken> get_token(std::string_view scope, const CancelToken&) override {
    calls++;
    last_scope = std::string(scope);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (fail_next > 0) {
      fail_next--;
      return Error::make(ErrorKind::Unavailable, "Scripted: endpoint down");
    }
    AccessToken t{"tok-" + std::to_string(++issued), clock_.now() + lifetime_, std::nullopt};
    if (refresh_in) t.refresh_on = clock_.now() + *refresh_in;
    return t;
  }
  std::string name() const override { return "Scripted"; }

  std::atomic<int> calls{0}, issued{0}, fail_next{0};
  std::chrono::milliseconds delay{0};
  std::optional<Clock::duration> refresh_in;
  std::string last_scope;

 private:
  ManualClock& clock_;
  Clock::duration lifetime_;
};

struct Fixture {
  explicit Fixture(Clock::duration lifetime, CacheOptions o = {}) {
    auto inner = std::make_unique<ScriptedCredential>(clock, lifetime);
    cred = inner.get();
    o.clock = [this] { return clock.now(); };
    o.on_refresh = [this](const RefreshEvent& e) {
      std::lock_guard l(mu);
      events.push_back(e);
    };
    cache = std::make_unique<CachingCredential>(std::move(inner), std::move(o));
  }
  std::string get(bool force = false) {
    CancelToken c;
    auto r = cache->get_token(kSqlScope, c, force);
    return r.ok() ? r->token : "error: " + r.error().message;
  }
  ManualClock clock;
  ScriptedCredential* cred = nullptr;
  std::unique_ptr<CachingCredential> cache;
  std::mutex mu;
  std::vector<RefreshEvent> events;
};

TEST(TokenCache, ServesCachedTokenUntilFiveMinutesBeforeExpiry) {
  Fixture f(minutes(60));
  EXPECT_EQ(f.get(), "tok-1");
  f.clock.advance(minutes(54));
  EXPECT_EQ(f.get(), "tok-1");
  EXPECT_EQ(f.cred->calls, 1);
  f.clock.advance(minutes(1) + seconds(1));  // 54:01 + 1 min → inside the 5-minute window
  EXPECT_EQ(f.get(), "tok-2");
  EXPECT_EQ(f.cred->calls, 2);
  EXPECT_EQ(f.cache->refresh_count(), 2u);
  ASSERT_EQ(f.events.size(), 2u);
  EXPECT_TRUE(f.events[1].ok);
  EXPECT_EQ(f.events[1].credential, "Scripted");
}

TEST(TokenCache, ScopeAndResourceShareOneEntry) {
  Fixture f(minutes(60));
  CancelToken c;
  ASSERT_TRUE(f.cache->get_token(kSqlResource, c).ok());
  ASSERT_TRUE(f.cache->get_token(kSqlScope, c).ok());
  EXPECT_EQ(f.cred->calls, 1);
  EXPECT_EQ(f.cred->last_scope, std::string(kSqlScope));
  ASSERT_TRUE(f.cache->get_token("https://management.azure.com/.default", c).ok());
  EXPECT_EQ(f.cred->calls, 2);
}

TEST(TokenCache, ShortLivedTokensRefreshAtHalfLife) {
  Fixture f(minutes(8));
  EXPECT_EQ(f.get(), "tok-1");
  f.clock.advance(minutes(3) + seconds(59));
  EXPECT_EQ(f.get(), "tok-1");
  f.clock.advance(seconds(2));
  EXPECT_EQ(f.get(), "tok-2");
}

TEST(TokenCache, HonoursRefreshOn) {
  Fixture f(minutes(90));
  f.cred->refresh_in = minutes(45);
  EXPECT_EQ(f.get(), "tok-1");
  f.clock.advance(minutes(44));
  EXPECT_EQ(f.get(), "tok-1");
  f.clock.advance(minutes(2));
  EXPECT_EQ(f.get(), "tok-2");
}

TEST(TokenCache, FailedRefreshKeepsServingValidTokenAndBacksOff) {
  Fixture f(minutes(60));
  EXPECT_EQ(f.get(), "tok-1");
  f.clock.advance(minutes(56));  // refresh window
  f.cred->fail_next = 1;
  EXPECT_EQ(f.get(), "tok-1");  // refresh failed, old token still valid
  EXPECT_EQ(f.cred->calls, 2);
  f.clock.advance(seconds(29));
  EXPECT_EQ(f.get(), "tok-1");  // within the 30 s back-off: no new attempt
  EXPECT_EQ(f.cred->calls, 2);
  f.clock.advance(seconds(2));
  EXPECT_EQ(f.get(), "tok-2");  // recovered
  EXPECT_EQ(f.cred->calls, 3);
  EXPECT_EQ(f.cache->failed_refresh_count(), 1u);
  ASSERT_EQ(f.events.size(), 3u);
  EXPECT_FALSE(f.events[1].ok);
  EXPECT_EQ(f.events[1].error_kind, ErrorKind::Unavailable);
}

TEST(TokenCache, NoValidTokenMeansErrorAndRetryOnNextCall) {
  Fixture f(minutes(60));
  f.cred->fail_next = 1;
  EXPECT_EQ(f.get(), "error: Scripted: endpoint down");
  EXPECT_EQ(f.get(), "tok-1");  // no token to fall back on: tries again at once
  f.clock.advance(minutes(61));  // expired
  f.cred->fail_next = 1;
  EXPECT_EQ(f.get(), "error: Scripted: endpoint down");
}

TEST(TokenCache, ForceRefreshAndMinimumAge) {
  CacheOptions o;
  o.force_min_age = seconds(5);
  Fixture f(minutes(60), o);
  EXPECT_EQ(f.get(), "tok-1");
  EXPECT_EQ(f.get(true), "tok-1");  // acquired just now: shared, not refetched
  f.clock.advance(seconds(6));
  EXPECT_EQ(f.get(true), "tok-2");
  f.clock.advance(seconds(6));
  f.cred->fail_next = 1;
  EXPECT_EQ(f.get(true), "error: Scripted: endpoint down");  // forced: the old token is not offered
  ASSERT_EQ(f.events.size(), 3u);
  EXPECT_TRUE(f.events[1].forced);
}

TEST(TokenCache, ConcurrentCallersShareOneRefresh) {
  Fixture f(minutes(60));
  f.cred->delay = std::chrono::milliseconds(200);
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { got[i] = f.get(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.cred->calls, 1);
  for (const auto& g : got) EXPECT_EQ(g, "tok-1");

  // Refresh window: one caller refreshes; the rest keep the still-valid token.
  f.clock.advance(minutes(56));
  threads.clear();
  for (int i = 0; i < 8; ++i) threads.emplace_back([&, i] { got[i] = f.get(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.cred->calls, 2);
  for (const auto& g : got) EXPECT_TRUE(g == "tok-1" || g == "tok-2") << g;
  EXPECT_EQ(f.get(), "tok-2");
}

TEST(TokenCache, ConcurrentFailureIsSharedToo) {
  Fixture f(minutes(60));
  f.cred->delay = std::chrono::milliseconds(200);
  f.cred->fail_next = 1;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0}, tokens{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto g = f.get();
      (g.rfind("error:", 0) == 0 ? errors : tokens)++;
    });
  }
  for (auto& t : threads) t.join();
  // Callers that joined the failed refresh got its error; any that arrived after it retried (and
  // those retries were shared as well): never 8 separate calls.
  EXPECT_EQ(errors + tokens, 8);
  EXPECT_GE(errors.load(), 1);
  EXPECT_LE(f.cred->calls, 2);
}

TEST(TokenCache, CancelledWaiterReturnsCancelled) {
  Fixture f(minutes(60));
  f.cred->delay = std::chrono::milliseconds(300);
  std::thread refresher([&] { f.get(); });
  while (f.cred->calls == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CancelToken c;
  c.cancel();
  auto r = f.cache->get_token(kSqlScope, c);
  refresher.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Cancelled);
  EXPECT_EQ(f.cred->calls, 1);
}

// The real endpoint: 8 concurrent callers, one request seen by the fake.
TEST(TokenCache, EightConcurrentCallersOneRequestToTheFake) {
  testing::FakeAzure fake({"--fail", "imds:slow:1:0.5"});
  ASSERT_TRUE(fake.ok());
  CachingCredential cache(std::make_unique<ManagedIdentityCredential>(fake.imds()));
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      CancelToken c;
      auto r = cache.get_token(kSqlScope, c);
      got[i] = r.ok() ? r->token : "error";
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fake.log("imds").size(), 1u);
  for (const auto& g : got) EXPECT_EQ(g, got[0]);
  EXPECT_NE(got[0], "error");
}

// The real endpoint failing, then recovering, with a real (short-lived) token.
TEST(TokenCache, FakeFailureThenRecovery) {
  testing::FakeAzure fake({"--fail", "imds:500:2"});
  ASSERT_TRUE(fake.ok());
  auto o = fake.imds();
  o.retry.max_retries = 0;
  CacheOptions co;
  CachingCredential cache(std::make_unique<ManagedIdentityCredential>(o), co);
  CancelToken c;
  auto a = cache.get_token(kSqlScope, c);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("HTTP 500"), std::string::npos);
  auto b = cache.get_token(kSqlScope, c);
  ASSERT_FALSE(b.ok());
  auto ok = cache.get_token(kSqlScope, c);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(cache.failed_refresh_count(), 2u);
  EXPECT_EQ(fake.log("imds").size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers
TEST(AuthHelpers, ScopeResourceConversions) {
  EXPECT_EQ(scope_to_resource("https://database.windows.net/.default"), "https://database.windows.net/");
  EXPECT_EQ(scope_to_resource("https://database.windows.net/"), "https://database.windows.net/");
  EXPECT_EQ(resource_to_scope("https://database.windows.net/"), "https://database.windows.net/.default");
  EXPECT_EQ(resource_to_scope("https://database.windows.net"), "https://database.windows.net/.default");
  EXPECT_EQ(resource_to_scope("https://database.windows.net/.default"), "https://database.windows.net/.default");
}

TEST(AuthHelpers, JwtExpiry) {
  const std::string jwt =
      b64url("{}") + "." + b64url(R"({"exp":1700000000})") + ".x";
  EXPECT_EQ(jwt_expiry(jwt), Clock::time_point(seconds(1700000000)));
  EXPECT_FALSE(jwt_expiry("not-a-jwt").has_value());
  EXPECT_FALSE(jwt_expiry("a.b.c").has_value());
  // The payload is base64url: the standard alphabet's '+' or '/' make it unreadable.
  EXPECT_FALSE(jwt_expiry("e30.eyJleHAiOjE3MDAwMDAwMDB9+.x").has_value());
  // Padding is tolerated ({"exp":1700000000} plus a space: 20 bytes, two '=').
  EXPECT_EQ(jwt_expiry("e30.eyJleHAiOjE3MDAwMDAwMDB9IA==.x"), Clock::time_point(seconds(1700000000)));
  EXPECT_EQ(jwt_expiry("e30.eyJleHAiOjE3MDAwMDAwMDB9IA.x"), Clock::time_point(seconds(1700000000)));
}

TEST(AuthHelpers, TokenResponseParsing) {
  const auto now = Clock::time_point(seconds(1'800'000'000));
  auto a = detail::parse_token_response(R"({"access_token":"x","expires_on":"1800003600","expires_in":"10"})", "W", now);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->expires_on, Clock::time_point(seconds(1800003600)));
  auto b = detail::parse_token_response(R"({"access_token":"x","expires_in":3599,"refresh_in":1800})", "W", now);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->expires_on, now + seconds(3599));
  EXPECT_EQ(b->refresh_on, now + seconds(1800));
  auto iso = detail::parse_token_response(R"({"access_token":"x","expires_on":"2027-01-15T08:00:00+01:00"})", "W",
                                          Clock::time_point(seconds(1'700'000'000)));
  ASSERT_TRUE(iso.ok());
  EXPECT_EQ(iso->expires_on, Clock::time_point(seconds(1799996400)));
  auto no_tok = detail::parse_token_response(R"({"expires_in":10,"secret":"zzz"})", "W", now);
  ASSERT_FALSE(no_tok.ok());
  EXPECT_EQ(no_tok.error().message.find("zzz"), std::string::npos);
  auto expired = detail::parse_token_response(R"({"access_token":"x","expires_on":1700000000})", "W", now);
  ASSERT_FALSE(expired.ok());
  auto not_json = detail::parse_token_response("<html>secret</html>", "W", now);
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().message, "W: the token response is not a JSON object (19 bytes)");
}

TEST(AuthHelpers, ErrorBodiesAndFormEncoding) {
  EXPECT_EQ(detail::describe_error_body(
                R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"})"),
            "invalid_client: AADSTS7000215: Invalid client secret provided.");
  EXPECT_EQ(detail::describe_error_body(R"({"statusCode":401,"message":"Unauthorized"})"), "Unauthorized");
  EXPECT_EQ(detail::describe_error_body("nope"), "non-JSON body (4 bytes)");
  EXPECT_EQ(detail::form_encode({{"scope", "https://database.windows.net/.default"}, {"a b", "c&d=e"}}),
            "scope=https%3A%2F%2Fdatabase.windows.net%2F.default&a%20b=c%26d%3De");
  EXPECT_TRUE(detail::is_loopback_url("http://127.0.0.1:8080/x"));
  EXPECT_TRUE(detail::is_loopback_url("http://localhost/x"));
  EXPECT_TRUE(detail::is_loopback_url("http://[::1]:80/"));
  EXPECT_FALSE(detail::is_loopback_url("http://127.0.0.1.evil.com/"));
  EXPECT_FALSE(detail::is_loopback_url("http://login.example.com/"));
  EXPECT_EQ(detail::url_host("https://user:pw@host:1/p?q"), "host:1");
}

}  // namespace
}  // namespace azsql::auth
