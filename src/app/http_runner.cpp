// Serves Streamable HTTP (PRODUCT.md §1, §4, §7): the MCP endpoint, /health and /metrics, until
// SIGTERM/SIGINT, then shuts down gracefully (stop accepting, finish in-flight calls, close streams).
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <set>

#include <spdlog/spdlog.h>

#include "app/backend_factory.hpp"
#include "app/caller_auth.hpp"
#include "common/text.hpp"
#include "observability/audit/audit_log.hpp"
#include "observability/metrics/metrics.hpp"
#include "transport/http/http_server.hpp"

namespace azsql::app {

namespace bj = boost::json;
namespace th = azsql::transport::http;

namespace {

/// Borrows a pooled connection and runs SELECT 1 with a short timeout.
observability::CachedProbe::Outcome probe_database(db::Backend& backend) {
  using namespace std::chrono;
  observability::CachedProbe::Outcome out;
  const auto t0 = steady_clock::now();
  auto conn = backend.pool().acquire(milliseconds(2000));
  if (!conn.ok()) {
    // The reason with its diagnosis (connection errors name the host and the cause, never a credential).
    out.error = std::string("cannot get a connection (") + to_string(conn.error().kind) + "): " + conn.error().message;
  } else {
    db::ExecOptions o;
    o.timeout = milliseconds(2000);
    o.read_only = true;
    auto r = (*conn)->execute("SELECT 1", {}, nullptr, o);
    out.ok = r.ok();
    if (!r.ok()) out.error = std::string("SELECT 1 failed (") + to_string(r.error().kind) + ")";
  }
  out.latency_ms = static_cast<double>(duration_cast<microseconds>(steady_clock::now() - t0).count()) / 1000.0;
  return out;
}

/// True when the JSON-RPC message (or a member of a batch) calls one of `tools`.
bool calls_any(const bj::value& body, const std::set<std::string>& tools) {
  if (body.is_array()) {
    for (const auto& m : body.as_array()) {
      if (calls_any(m, tools)) return true;
    }
    return false;
  }
  const auto* o = body.if_object();
  if (o == nullptr) return false;
  const auto* method = o->if_contains("method");
  if (method == nullptr || !method->is_string() || method->as_string() != "tools/call") return false;
  const auto* params = o->if_contains("params");
  const auto* name = params && params->is_object() ? params->as_object().if_contains("name") : nullptr;
  return name != nullptr && name->is_string() && tools.count(std::string(name->as_string())) > 0;
}

/// Content negotiation for /metrics: a Prometheus scrape (its Accept names OpenMetrics or
/// text/plain;version=0.0.4) or ?format=prometheus gets the text exposition; a plain `curl` (Accept */* or
/// none), application/json and ?format=json get the JSON summary the product description shows.
bool wants_prometheus(const th::RouteRequest& r) {
  if (r.query.find("format=json") != std::string::npos) return false;
  if (r.query.find("format=prometheus") != std::string::npos || r.query.find("format=text") != std::string::npos)
    return true;
  if (text::icontains(r.accept, "openmetrics-text") || text::icontains(r.accept, "version=0.0.4")) return true;
  return text::icontains(r.accept, "text/plain") && !text::icontains(r.accept, "application/json");
}

/// Per-component status for the JSON summary: database (the cached probe; "per-user" with
/// on_behalf_of), Entra token acquisition (acquisitions and failures since start; "not_used" without
/// Entra auth) and the HTTP transport.
bj::object components(const observability::CachedProbe::Outcome& p, bool per_user, bool entra, std::size_t sessions,
                      std::size_t in_flight, std::size_t max_concurrent) {
  bj::object dbo{{"status", per_user ? "per-user" : p.ok ? "connected" : "unreachable"}, {"latency_ms", p.latency_ms}};
  if (!p.ok) dbo["error"] = p.error;
  const auto [acquired, failed] = observability::token_refresh_counts();
  const char* tok = !entra                          ? "not_used"
                    : per_user                        ? "per-user"
                    : acquired == 0 && failed == 0    ? "pending"
                    : failed > 0 && acquired == 0     ? "failing"
                                                      : "ok";
  bj::object token{{"status", tok}, {"acquired", acquired}, {"failed", failed}};
  bj::object http{{"status", "serving"}, {"sessions", sessions}, {"in_flight", in_flight},
                  {"max_concurrent_requests", max_concurrent}};
  return bj::object{{"database", std::move(dbo)}, {"token_acquisition", std::move(token)}, {"http", std::move(http)}};
}

/// The HTTP server's options from the configuration: limits, CORS, metrics of every response and,
/// with per-user auth, the authenticate hook (write tools need the write scope).
th::HttpOptions http_options(const Config& cfg, const mcp::Server& server,
                             const std::shared_ptr<observability::Metrics>& metrics,
                             const std::shared_ptr<CallerAuth>& caller_auth) {
  th::HttpOptions ho;
  ho.host = cfg.host;
  ho.port = cfg.port;
  ho.api_path = cfg.api_path;
  ho.stateless = cfg.stateless_http;
  ho.json_response = cfg.json_response;
  ho.enable_cors = cfg.enable_cors;
  ho.allowed_origins = cfg.allowed_origins;
  ho.allowed_hosts = cfg.allowed_hosts;
  ho.enable_compression = cfg.enable_compression;
  ho.max_concurrent_requests = cfg.max_concurrent_requests;
  ho.max_body_bytes = cfg.max_stream_size;
  ho.stream_timeout = std::chrono::seconds(cfg.stream_timeout_s);
  ho.auth_token = cfg.auth_token;
  ho.on_response = [m = metrics.get()](unsigned status) { m->count_http_response(status); };
  if (caller_auth) {
    // Write tools need the write scope: decided from the request before it reaches the core.
    std::set<std::string> write_tools;
    for (const auto& t : server.registry().tools()) {
      if (t->definition().writes) write_tools.insert(t->definition().name);
    }
    ho.authenticate = [caller_auth, write_tools](std::string_view authorization, std::string_view body) {
      bool writes = false;
      if (body.find("tools/call") != std::string_view::npos) {  // parse only what may call a tool
        boost::system::error_code ec;
        auto v = bj::parse(body, ec);
        writes = !ec && calls_any(v, write_tools);
      }
      auto o = caller_auth->authenticate(authorization, writes);
      th::AuthDecision d;
      d.caller = std::move(o.caller);
      if (o.challenge) {
        d.status = o.challenge->status;
        d.www_authenticate = std::move(o.challenge->www_authenticate);
        d.message = std::move(o.challenge->message);
      }
      return d;
    };
  }
  return ho;
}

}  // namespace

int run_http(const Config& cfg, mcp::Server& server, const std::shared_ptr<db::Backend>& db,
             const std::function<void(const std::string& endpoint)>& banner,
             const std::shared_ptr<CallerAuth>& caller_auth) {
  const auto started = std::chrono::steady_clock::now();

  observability::MetricsOptions mo;
  mo.version = AZSQL_VERSION;
  mo.backend = db->name();
  mo.max_history = cfg.max_request_history;
  auto metrics = std::make_shared<observability::Metrics>(mo);

  // Metrics beside whatever main.cpp installed (the audit log when MCP_AUDIT_LOG is set).
  auto fanout = std::make_shared<observability::ObserverFanout>();
  fanout->add(server.observer());
  fanout->add(metrics);
  server.set_observer(fanout);

  th::HttpServer http(server, http_options(cfg, server, metrics, caller_auth));

  metrics->set_sources({[&http] { return http.session_count(); }, [&http] { return http.in_flight(); },
                        [db]() -> std::optional<observability::PoolSnapshot> {
                          auto s = db->pool().stats();
                          return observability::PoolSnapshot{s.max_size, s.open, s.in_use, s.waits};
                        },
                        [caller_auth]() -> std::vector<observability::ExternalSample> {
                          return caller_auth ? caller_auth->metric_samples() : std::vector<observability::ExternalSample>{};
                        }});

  // With on_behalf_of the server has no database identity of its own: /health (which needs no user)
  // cannot sign in, and reports the database as per-user.
  const bool per_user = caller_auth && caller_auth->on_behalf_of();
  auto probe = std::make_shared<observability::CachedProbe>(
      [db, per_user] {
        if (!per_user) return probe_database(*db);
        observability::CachedProbe::Outcome o;
        o.ok = true;
        return o;
      },
      std::chrono::milliseconds(1000));
  http.add_route(cfg.health_path, [&cfg, db, probe, started, &http, per_user, metrics](const th::RouteRequest&) {
    auto p = probe->get();
    bj::object body;
    body["status"] = p.ok ? "healthy" : "unhealthy";
    body["version"] = AZSQL_VERSION;
    body["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    body["backend"] = db->name();
    {
      // The basic request figures the description lists: MCP requests since start, errors, error rate.
      const auto summary = metrics->summary_json();
      const auto& sm = summary.at("summary").as_object();
      body["requests"] = sm.at("total_requests");
      body["errors"] = bj::value(sm.at("errors").to_number<std::int64_t>() + sm.at("tool_errors").to_number<std::int64_t>());
      body["error_rate"] = sm.at("error_rate");
    }
    bj::object dbo{{"status", per_user ? "per-user" : p.ok ? "connected" : "unreachable"}, {"latency_ms", p.latency_ms}};
    if (!p.ok) dbo["error"] = p.error;
    body["database"] = std::move(dbo);
    body["features"] = bj::object{{"transport", "streamable-http"},
                                  {"stateless", cfg.stateless_http},
                                  {"json_response", cfg.json_response},
                                  {"cors", cfg.enable_cors},
                                  {"compression", cfg.enable_compression},
                                  {"auth", cfg.auth_mode},
                                  {"read_only", cfg.read_only},
                                  {"sessions", http.session_count()}};
    return th::RouteResponse{p.ok ? 200u : 503u, "application/json", bj::serialize(body)};
  });
  const bool entra = db->dialect() == Dialect::TSql && cfg.auth_type != "sql";
  http.add_route(cfg.metrics_path, [&cfg, metrics, probe, entra, per_user, &http](const th::RouteRequest& r) {
    if (wants_prometheus(r))
      return th::RouteResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics->prometheus_text()};
    auto body = metrics->summary_json();
    body["components"] = components(probe->get(), per_user, entra, http.session_count(), http.in_flight(),
                                    cfg.max_concurrent_requests);
    return th::RouteResponse{200, "application/json", bj::serialize(body)};
  });
  if (caller_auth) {
    // RFC 9728 Protected Resource Metadata: the root form and the one path-suffixed with the endpoint.
    auto prm = [caller_auth](const th::RouteRequest&) {
      return th::RouteResponse{200, "application/json", bj::serialize(caller_auth->metadata())};
    };
    http.add_route("/.well-known/oauth-protected-resource", prm);
    http.add_route("/.well-known/oauth-protected-resource" + cfg.api_path, prm);
  }

  // Signals first, so a SIGTERM right after start-up is not lost.
  boost::asio::io_context sig_io;
  boost::asio::signal_set signals(sig_io, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) received = sig;
  });

  auto port = http.start();
  if (!port.ok()) {
    std::fprintf(stderr, "azsql-mcp: %s\n", port.error().message.c_str());
    return 1;
  }
  if (caller_auth) caller_auth->set_endpoint(http.endpoint());
  banner(http.endpoint());
  sig_io.run();  // until SIGINT / SIGTERM
  spdlog::info("received signal {}: shutting down (finishing in-flight requests)", received);
  http.shutdown(std::chrono::seconds(10));
  server.set_observer(nullptr);
  spdlog::info("stopped");
  return 0;
}

}  // namespace azsql::app
