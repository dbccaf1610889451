#include "observability/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>

using namespace azsql;
using namespace azsql::observability;

namespace {
mcp::RequestEvent ev(std::string method, std::string tool, std::string outcome, int code = 0) {
  mcp::RequestEvent e;
  e.method = std::move(method);
  e.tool = std::move(tool);
  e.outcome = std::move(outcome);
  e.error_code = code;
  e.duration = std::chrono::microseconds(1500);
  return e;
}
}  // namespace

TEST(Metrics, PrometheusTextHasCountersHistogramsAndGauges) {
  Metrics m({"1.2.3", "sqlite", 10});
  m.set_sources({[] { return std::size_t{3}; }, [] { return std::size_t{2}; },
                 [] { return std::optional<PoolSnapshot>(PoolSnapshot{4, 2, 1, 7}); }, {}});
  m.on_request(ev("tools/call", "read_data", "ok"));
  m.on_request(ev("tools/call", "read_data", "tool_error"));
  m.on_request(ev("ping", "", "ok"));
  m.on_request(ev("evil/\"method\"", "", "error", -32601));
  m.count_db_error(1);
  m.count_db_error(1);
  m.count_token_refresh(true);
  m.count_http_response(404);
  std::string t = m.prometheus_text();
  EXPECT_NE(t.find(R"(azsql_mcp_requests_total{method="tools/call",outcome="ok",tool="read_data"} 1)"), std::string::npos) << t;
  EXPECT_NE(t.find(R"(azsql_mcp_requests_total{method="other",outcome="error",tool=""} 1)"), std::string::npos);
  EXPECT_EQ(t.find("evil"), std::string::npos);  // unknown methods do not become labels
  EXPECT_NE(t.find("azsql_mcp_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(t.find("azsql_mcp_sessions 3"), std::string::npos);
  EXPECT_NE(t.find("azsql_mcp_requests_in_flight 2"), std::string::npos);
  EXPECT_NE(t.find(R"(azsql_db_pool_connections{state="in_use"} 1)"), std::string::npos);
  EXPECT_NE(t.find("azsql_db_pool_waits_total 7"), std::string::npos);
  EXPECT_NE(t.find(R"(azsql_db_errors_total{number="1"} 2)"), std::string::npos);
  EXPECT_NE(t.find(R"(azsql_auth_token_refreshes_total{outcome="ok"} 1)"), std::string::npos);
  EXPECT_NE(t.find(R"(azsql_http_responses_total{code="404"} 1)"), std::string::npos);
  EXPECT_NE(t.find(R"(azsql_build_info{backend="sqlite",version="1.2.3"} 1)"), std::string::npos);
  // Pool waits are a counter: a second scrape with the same snapshot does not double it.
  EXPECT_NE(m.prometheus_text().find("azsql_db_pool_waits_total 7"), std::string::npos);
}

// Figures other components keep (per-user auth) go through the same serializer: one family per name with
// one HELP/TYPE, labels escaped, counters and gauges typed.
TEST(Metrics, ExternalSamplesBecomeFamilies) {
  Metrics m({"1", "sqlserver", 10});
  using Kind = ExternalSample::Kind;
  MetricsSources src;
  src.external = [] {
    return std::vector<ExternalSample>{
        {"azsql_auth_requests_total", "Requests by outcome", Kind::Counter, {{"outcome", "accepted"}}, 5},
        {"azsql_user_pools", "Pools held", Kind::Gauge, {}, 2},
        {"azsql_auth_requests_total", "Requests by outcome", Kind::Counter, {{"outcome", "re\"jected"}}, 1}};
  };
  m.set_sources(std::move(src));
  const std::string t = m.prometheus_text();
  auto count = [&t](const std::string& needle) {
    std::size_t n = 0;
    for (auto p = t.find(needle); p != std::string::npos; p = t.find(needle, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("# TYPE azsql_auth_requests_total counter"), 1u) << t;
  EXPECT_EQ(count("# HELP azsql_auth_requests_total Requests by outcome"), 1u) << t;
  EXPECT_NE(t.find(R"(azsql_auth_requests_total{outcome="accepted"} 5)"), std::string::npos) << t;
  EXPECT_NE(t.find(R"(azsql_auth_requests_total{outcome="re\"jected"} 1)"), std::string::npos) << t;
  EXPECT_NE(t.find("# TYPE azsql_user_pools gauge\nazsql_user_pools 2"), std::string::npos) << t;
}

TEST(Metrics, JsonSummaryKeepsBoundedHistory) {
  Metrics m({"1", "sqlite", 3});
  for (int i = 0; i < 5; ++i) m.on_request(ev("ping", "", "ok"));
  m.on_request(ev("tools/call", "list_tables", "tool_error"));
  auto j = m.summary_json();
  EXPECT_EQ(j.at("summary").at("total_requests").as_uint64(), 6u);
  EXPECT_EQ(j.at("summary").at("tool_errors").as_uint64(), 1u);
  EXPECT_EQ(j.at("recent_requests").as_array().size(), 3u);
  EXPECT_EQ(j.at("recent_requests").as_array().back().at("tool").as_string(), "list_tables");
  EXPECT_EQ(j.at("summary").at("by_tool").at("list_tables").at("errors").as_uint64(), 1u);
  auto [n, errs] = m.recent_error_count();
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(errs, 1u);
}

TEST(Metrics, ToolErrorResultsCountDatabaseErrorNumbers) {
  Metrics m({"1", "sqlserver", 10});
  mcp::ToolResult r = mcp::ToolResult::error("boom", boost::json::object{{"error", boost::json::object{{"number", 208}}}});
  m.on_tool_call({}, {}, {}, r, {});
  mcp::ToolResult ok;
  ok.structured = boost::json::object{{"number", 5}};
  m.on_tool_call({}, {}, {}, ok, {});  // not an error: not counted
  auto t = m.prometheus_text();
  EXPECT_NE(t.find(R"(azsql_db_errors_total{number="208"} 1)"), std::string::npos);
  EXPECT_EQ(t.find(R"(number="5")"), std::string::npos);
}

TEST(CachedProbe, ReusesResultWithinTtl) {
  std::atomic<int> calls{0};
  CachedProbe p([&] {
    ++calls;
    return CachedProbe::Outcome{true, 1.0, ""};
  }, std::chrono::hours(1));
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(p.get().ok);
  EXPECT_EQ(calls.load(), 1);
  CachedProbe q([&] {
    ++calls;
    return CachedProbe::Outcome{false, 0, "down"};
  }, std::chrono::milliseconds(0));
  q.get();
  q.get();
  EXPECT_EQ(calls.load(), 3);
}

TEST(Metrics, ProcessWideTokenRefreshTally) {
  Metrics m({"1", "sqlserver", 10});
  const std::string before = m.prometheus_text();
  note_token_refresh(false);
  note_token_refresh(false);
  auto count_of = [](const std::string& t) {
    auto p = t.find(R"(azsql_auth_token_refreshes_total{outcome="error"} )");
    return p == std::string::npos ? -1.0 : std::stod(t.substr(p + 50));
  };
  const double base = count_of(before);
  ASSERT_GE(base, 0.0);
  EXPECT_EQ(count_of(m.prometheus_text()), base + 2);
  EXPECT_EQ(count_of(m.prometheus_text()), base + 2);  // a second scrape does not add again
}
