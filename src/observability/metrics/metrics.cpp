#include "observability/metrics/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <set>

#include "common/timestamp.hpp"

namespace azsql::observability {

namespace bj = boost::json;
namespace prom = prometheus;

namespace {

/// Adds samples kept outside the registry as families of their own (grouped by name, in order).
void append_external(std::vector<prom::MetricFamily>& families, const std::vector<ExternalSample>& samples) {
  const std::size_t first = families.size();
  for (const auto& x : samples) {
    auto it = std::find_if(families.begin() + static_cast<std::ptrdiff_t>(first), families.end(),
                           [&](const prom::MetricFamily& f) { return f.name == x.name; });
    if (it == families.end()) {
      prom::MetricFamily f;
      f.name = x.name;
      f.help = x.help;
      f.type = x.kind == ExternalSample::Kind::Counter ? prom::MetricType::Counter : prom::MetricType::Gauge;
      families.push_back(std::move(f));
      it = families.end() - 1;
    }
    prom::ClientMetric m;
    for (const auto& [k, v] : x.labels) m.label.push_back({k, v});
    if (it->type == prom::MetricType::Counter) m.counter.value = x.value;
    else m.gauge.value = x.value;
    it->metric.push_back(std::move(m));
  }
}

/// Method names are client-controlled: only known ones become label values (bounded cardinality).
const std::set<std::string, std::less<>>& known_methods() {
  static const std::set<std::string, std::less<>> m = {
      "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/templates/list",
      "resources/read", "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get",
      "completion/complete", "logging/setLevel", "server/discover", "subscriptions/listen"};
  return m;
}

std::string method_label(std::string_view m) {
  return known_methods().count(m) ? std::string(m) : std::string("other");
}

std::atomic<std::uint64_t> g_token_ok{0};
std::atomic<std::uint64_t> g_token_failed{0};

constexpr std::size_t kMaxErrorNumbers = 200;  // distinct DB error numbers kept as labels

std::string iso_now() { return timestamp::utc_millis(std::chrono::system_clock::now()); }

}  // namespace

struct Metrics::Impl {
  MetricsOptions opt;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::shared_ptr<prom::Registry> registry = std::make_shared<prom::Registry>();

  prom::Family<prom::Counter>& requests = prom::BuildCounter()
                                              .Name("azsql_mcp_requests_total")
                                              .Help("MCP requests handled, by method, tool and outcome")
                                              .Register(*registry);
  prom::Family<prom::Histogram>& latency = prom::BuildHistogram()
                                               .Name("azsql_mcp_request_duration_seconds")
                                               .Help("MCP request latency by method and tool")
                                               .Register(*registry);
  prom::Family<prom::Gauge>& in_flight = prom::BuildGauge()
                                             .Name("azsql_mcp_requests_in_flight")
                                             .Help("MCP requests awaiting their response")
                                             .Register(*registry);
  prom::Family<prom::Gauge>& sessions = prom::BuildGauge()
                                            .Name("azsql_mcp_sessions")
                                            .Help("Open Streamable HTTP sessions")
                                            .Register(*registry);
  prom::Family<prom::Counter>& http = prom::BuildCounter()
                                          .Name("azsql_http_responses_total")
                                          .Help("HTTP responses by status code")
                                          .Register(*registry);
  prom::Family<prom::Gauge>& pool_conns = prom::BuildGauge()
                                              .Name("azsql_db_pool_connections")
                                              .Help("Pooled database connections by state")
                                              .Register(*registry);
  prom::Family<prom::Gauge>& pool_max = prom::BuildGauge()
                                            .Name("azsql_db_pool_max_connections")
                                            .Help("Configured pool size (CONNECTION_POOL_SIZE)")
                                            .Register(*registry);
  prom::Family<prom::Counter>& pool_waits = prom::BuildCounter()
                                                .Name("azsql_db_pool_waits_total")
                                                .Help("Connection acquisitions that had to wait")
                                                .Register(*registry);
  prom::Family<prom::Counter>& db_errors = prom::BuildCounter()
                                               .Name("azsql_db_errors_total")
                                               .Help("Database errors by server error number")
                                               .Register(*registry);
  prom::Family<prom::Counter>& internal_errors = prom::BuildCounter()
                                                     .Name("azsql_mcp_internal_errors_total")
                                                     .Help("Exceptions caught by the MCP core's catch-alls, by method or tool")
                                                     .Register(*registry);
  prom::Family<prom::Counter>& token_refreshes = prom::BuildCounter()
                                                     .Name("azsql_auth_token_refreshes_total")
                                                     .Help("Entra ID token acquisitions and refreshes by outcome")
                                                     .Register(*registry);
  prom::Family<prom::Gauge>& uptime = prom::BuildGauge()
                                          .Name("azsql_uptime_seconds")
                                          .Help("Seconds since the server started")
                                          .Register(*registry);
  prom::Family<prom::Gauge>& build = prom::BuildGauge()
                                         .Name("azsql_build_info")
                                         .Help("Build and backend of this server (value is always 1)")
                                         .Register(*registry);

  prom::Gauge& in_flight_g = in_flight.Add({});
  prom::Gauge& sessions_g = sessions.Add({});
  prom::Gauge& uptime_g = uptime.Add({});
  prom::Counter& pool_waits_c = pool_waits.Add({});

  std::mutex mu;  // guards everything below
  MetricsSources sources;
  std::uint64_t last_pool_waits = 0;
  std::uint64_t last_token_ok = 0, last_token_failed = 0;
  std::set<int> error_numbers;
  struct Recent {
    std::string time, method, tool, outcome;
    int error_code;
    double duration_ms;
  };
  std::deque<Recent> recent;
  std::uint64_t total = 0, errors = 0, tool_errors = 0, cancelled = 0;
  double total_ms = 0;
  std::map<std::string, std::uint64_t> by_method;
  struct ToolStats {
    std::uint64_t calls = 0, errors = 0;
    double total_ms = 0;
  };
  std::map<std::string, ToolStats> by_tool;
  std::map<int, std::uint64_t> db_error_counts;
  std::uint64_t internal_errors_total = 0;

  static const prom::Histogram::BucketBoundaries& buckets() {
    static const prom::Histogram::BucketBoundaries b = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1,     2.5,  5,     10, 30};
    return b;
  }
};

Metrics::Metrics(MetricsOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  impl_->build.Add({{"version", impl_->opt.version}, {"backend", impl_->opt.backend}}).Set(1);
}

Metrics::~Metrics() = default;

void Metrics::set_sources(MetricsSources sources) {
  std::lock_guard lock(impl_->mu);
  impl_->sources = std::move(sources);
}

void Metrics::on_request(const mcp::RequestEvent& e) {
  auto& d = *impl_;
  const std::string method = method_label(e.method);
  const double seconds = static_cast<double>(e.duration.count()) / 1e6;
  d.requests.Add({{"method", method}, {"tool", e.tool}, {"outcome", e.outcome}}).Increment();
  d.latency.Add({{"method", method}, {"tool", e.tool}}, Impl::buckets()).Observe(seconds);
  std::lock_guard lock(d.mu);
  ++d.total;
  d.total_ms += seconds * 1000.0;
  if (e.outcome == "error") ++d.errors;
  if (e.outcome == "tool_error") ++d.tool_errors;
  if (e.outcome == "cancelled") ++d.cancelled;
  ++d.by_method[method];
  if (!e.tool.empty()) {
    auto& t = d.by_tool[e.tool];
    ++t.calls;
    if (e.outcome != "ok") ++t.errors;
    t.total_ms += seconds * 1000.0;
  }
  if (d.opt.max_history > 0) {
    d.recent.push_back({iso_now(), method, e.tool, e.outcome, e.error_code, seconds * 1000.0});
    while (d.recent.size() > d.opt.max_history) d.recent.pop_front();
  }
}

void Metrics::on_tool_call(const mcp::ClientInfo&, const mcp::ToolDefinition&, const bj::object&,
                           const mcp::ToolResult& result, std::chrono::microseconds) {
  if (!result.is_error) return;
  // Tools report the database's error number in structuredContent (error_number / number / error.number).
  auto int_of = [](const bj::object& o, std::initializer_list<const char*> keys) -> std::optional<std::int64_t> {
    for (const char* k : keys) {
      if (auto it = o.find(k); it != o.end() && it->value().is_int64()) return it->value().as_int64();
    }
    return std::nullopt;
  };
  auto n = int_of(result.structured, {"error_number", "number"});
  if (!n) {
    if (auto e = result.structured.find("error"); e != result.structured.end() && e->value().is_object())
      n = int_of(e->value().get_object(), {"number", "code"});
  }
  if (n && *n != 0) count_db_error(static_cast<int>(*n));
}

void Metrics::count_db_error(int number) {
  auto& d = *impl_;
  std::string label;
  {
    std::lock_guard lock(d.mu);
    if (d.error_numbers.count(number) || d.error_numbers.size() < kMaxErrorNumbers) {
      d.error_numbers.insert(number);
      label = std::to_string(number);
    } else {
      label = "other";
    }
    ++d.db_error_counts[number];
  }
  d.db_errors.Add({{"number", label}}).Increment();
}

void Metrics::on_internal_error(std::string_view where) {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    ++d.internal_errors_total;
  }
  d.internal_errors.Add({{"where", std::string(where)}}).Increment();
}

void note_token_refresh(bool ok) noexcept { (ok ? g_token_ok : g_token_failed).fetch_add(1); }
std::pair<std::uint64_t, std::uint64_t> token_refresh_counts() noexcept { return {g_token_ok.load(), g_token_failed.load()}; }

void Metrics::count_token_refresh(bool ok) { note_token_refresh(ok); }

void Metrics::count_http_response(unsigned status) { impl_->http.Add({{"code", std::to_string(status)}}).Increment(); }

std::string Metrics::prometheus_text() {
  auto& d = *impl_;
  MetricsSources src;
  {
    std::lock_guard lock(d.mu);
    src = d.sources;
  }
  d.uptime_g.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - d.started).count());
  if (src.in_flight) d.in_flight_g.Set(static_cast<double>(src.in_flight()));
  if (src.sessions) d.sessions_g.Set(static_cast<double>(src.sessions()));
  if (src.pool) {
    if (auto p = src.pool()) {
      d.pool_conns.Add({{"state", "open"}}).Set(static_cast<double>(p->open));
      d.pool_conns.Add({{"state", "in_use"}}).Set(static_cast<double>(p->in_use));
      d.pool_conns.Add({{"state", "idle"}}).Set(static_cast<double>(p->open - std::min(p->open, p->in_use)));
      d.pool_max.Add({}).Set(static_cast<double>(p->max_size));
      std::lock_guard lock(d.mu);
      if (p->waits > d.last_pool_waits) {
        d.pool_waits_c.Increment(static_cast<double>(p->waits - d.last_pool_waits));
        d.last_pool_waits = p->waits;
      }
    }
  }
  {
    // Token refreshes are tallied process-wide; export what happened since the last scrape.
    std::lock_guard lock(d.mu);
    const std::uint64_t ok = g_token_ok.load(), failed = g_token_failed.load();
    auto& okc = d.token_refreshes.Add({{"outcome", "ok"}});
    auto& failc = d.token_refreshes.Add({{"outcome", "error"}});
    if (ok > d.last_token_ok) okc.Increment(static_cast<double>(ok - d.last_token_ok));
    if (failed > d.last_token_failed) failc.Increment(static_cast<double>(failed - d.last_token_failed));
    d.last_token_ok = ok;
    d.last_token_failed = failed;
  }
  auto families = d.registry->Collect();
  if (src.external) append_external(families, src.external());
  prom::TextSerializer ser;
  return ser.Serialize(families);
}

bj::object Metrics::summary_json() {
  auto& d = *impl_;
  MetricsSources src;
  {
    std::lock_guard lock(d.mu);
    src = d.sources;
  }
  std::optional<PoolSnapshot> pool;
  if (src.pool) pool = src.pool();
  bj::object out;
  const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - d.started).count();
  out["server"] = bj::object{{"name", "azsql-mcp"}, {"version", d.opt.version}, {"backend", d.opt.backend},
                             {"uptime_s", static_cast<std::int64_t>(up)}};
  std::lock_guard lock(d.mu);
  bj::object summary;
  summary["total_requests"] = d.total;
  summary["errors"] = d.errors;
  summary["tool_errors"] = d.tool_errors;
  summary["cancelled"] = d.cancelled;
  summary["error_rate"] = d.total ? static_cast<double>(d.errors + d.tool_errors) / static_cast<double>(d.total) : 0.0;
  summary["avg_duration_ms"] = d.total ? d.total_ms / static_cast<double>(d.total) : 0.0;
  summary["requests_per_second"] = up > 0 ? static_cast<double>(d.total) / up : 0.0;
  bj::object methods;
  for (const auto& [m, n] : d.by_method) methods[m] = n;
  summary["by_method"] = std::move(methods);
  bj::object tools;
  for (const auto& [t, s] : d.by_tool) {
    tools[t] = bj::object{{"calls", s.calls},
                          {"errors", s.errors},
                          {"avg_duration_ms", s.calls ? s.total_ms / static_cast<double>(s.calls) : 0.0}};
  }
  summary["by_tool"] = std::move(tools);
  out["summary"] = std::move(summary);
  out["in_flight"] = src.in_flight ? src.in_flight() : 0;
  out["sessions"] = src.sessions ? src.sessions() : 0;
  if (pool) {
    out["pool"] = bj::object{{"max_size", pool->max_size}, {"open", pool->open}, {"in_use", pool->in_use},
                             {"waits", pool->waits}};
  }
  out["internal_errors"] = d.internal_errors_total;
  bj::object dbe;
  for (const auto& [n, c] : d.db_error_counts) dbe[std::to_string(n)] = c;
  out["db_errors"] = std::move(dbe);
  bj::array recent;
  for (const auto& r : d.recent) {
    bj::object o{{"time", r.time}, {"method", r.method}, {"outcome", r.outcome}, {"duration_ms", r.duration_ms}};
    if (!r.tool.empty()) o["tool"] = r.tool;
    if (r.error_code) o["error_code"] = r.error_code;
    recent.push_back(std::move(o));
  }
  out["max_request_history"] = d.opt.max_history;
  out["recent_requests"] = std::move(recent);
  return out;
}

std::pair<std::size_t, std::size_t> Metrics::recent_error_count() const {
  std::lock_guard lock(impl_->mu);
  std::size_t errs = 0;
  for (const auto& r : impl_->recent) errs += r.outcome == "error" || r.outcome == "tool_error";
  return {impl_->recent.size(), errs};
}

// ---------------------------------------------------------------- CachedProbe

CachedProbe::CachedProbe(std::function<Outcome()> probe, std::chrono::milliseconds ttl)
    : probe_(std::move(probe)), ttl_(ttl) {}

CachedProbe::Outcome CachedProbe::get() {
  std::lock_guard lock(mu_);  // one probe at a time; waiters reuse its result
  const auto now = std::chrono::steady_clock::now();
  if (last_ && now - at_ < ttl_) return *last_;
  last_ = probe_();
  at_ = std::chrono::steady_clock::now();
  return *last_;
}

}  // namespace azsql::observability
