// azsql-mcp entry point: configuration, wiring and the transports. The only module that knows
// every other one.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/backend_factory.hpp"
#include "app/caller_auth.hpp"
#include "app/config.hpp"
#include "app/logging.hpp"
#include "app/doctor.hpp"
#include "app/setup_identity.hpp"
#include "mcp/server.hpp"
#include "observability/metrics/metrics.hpp"
#include "observability/audit/audit_log.hpp"
#include "tools/tools.hpp"
#include "transport/stdio/stdio_transport.hpp"

using namespace azsql;

namespace {

std::string instructions_for(const db::Backend& backend, bool read_only) {
  std::string s = "This server gives access to one ";
  if (backend.dialect() == Dialect::SQLite) {
    s += "SQLite database. Write SQLite SQL (LIMIT n, \"double quotes\"); common T-SQL (TOP n, [names], GETDATE(), "
         "sys.tables) is translated, database_info lists the subset.";
  } else {
    s += "Azure SQL Database / SQL Server database. Write T-SQL: limit rows with SELECT TOP (n) (not LIMIT), quote "
         "identifiers with [brackets], use schema-qualified names such as dbo.Table.";
  }
  s += " Start with list_tables or search_objects, then describe_table before writing queries. read_data runs one "
       "read-only statement; pass values through `parameters` instead of inlining them.";
  if (read_only) s += " The server is read-only: no write tools are available.";
  else s += " insert_data and update_data change data inside a transaction; update_data refuses statements without WHERE.";
  return s;
}

/// glibc malloc tuned for a long-running server with a few busy threads (PRODUCT.md §8: flat RSS,
/// bounded peak growth on large results). By default every thread that allocates may get its own
/// arena (up to 8 per core), and after a large buffer is freed the mmap threshold rises to its size,
/// so later multi-megabyte results come from (and stay in) whichever arena served them: RSS creeps
/// up over repeated large reads. Two arenas and a fixed 256 KiB mmap threshold keep large response
/// buffers in their own mappings, returned to the system when freed. The MALLOC_ARENA_MAX /
/// MALLOC_MMAP_THRESHOLD_ environment variables, when set, take precedence.
void tune_malloc() {
  if (!std::getenv("MALLOC_ARENA_MAX")) ::mallopt(M_ARENA_MAX, 2);
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

/// `azsql-mcp setup-identity …` and `azsql-mcp doctor …`: their exit status, or nullopt for a server start.
std::optional<int> run_subcommand(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "setup-identity") {
    std::string out, err;
    int rc = app::setup_identity_main(std::vector<std::string>(argv + 2, argv + argc), out, err);
    std::fputs(out.c_str(), stdout);
    std::fputs(err.c_str(), stderr);
    return rc;
  }
  if (argc > 1 && std::string_view(argv[1]) == "doctor") {
    std::string out;
    const int rc = app::doctor_main(std::vector<std::string>(argv + 2, argv + argc), app::current_environment(), out);
    std::fputs(out.c_str(), stdout);
    return rc;
  }
  return std::nullopt;
}

/// The configured databases, connected and checked. A database that cannot be reached yet (paused,
/// firewall rule pending, network) does not stop the server unless MCP_FAIL_FAST: then `degraded`
/// is set and the backends are built without connecting. Refused credentials, a failed Entra token
/// acquisition and invalid settings still fail.
Result<std::vector<tools::Database>> open_databases(const app::Config& cfg, bool& degraded) {
  const auto on_token = [](const std::string& credential, bool ok) {
    observability::note_token_refresh(ok);  // exported by /metrics
    if (ok) spdlog::info("Entra token acquired ({})", credential);
    else spdlog::warn("Entra token acquisition failed ({})", credential);
  };
  auto backends = app::make_databases(cfg, {}, on_token);
  const bool token_failed = observability::token_refresh_counts().second > 0;
  if (!backends.ok() && !cfg.fail_fast && !token_failed && app::reachability_failure(backends.error())) {
    spdlog::warn("database not reachable: {} — serving anyway (/health reports it, tool calls return the diagnosis) "
                 "and reconnecting in the background; MCP_FAIL_FAST=true exits instead",
                 backends.error().message);
    degraded = true;
    backends = app::make_databases(cfg, {}, on_token, /*verify=*/false);
  }
  if (!backends.ok()) return std::move(backends).error();
  std::vector<tools::Database> databases;
  for (auto& [name, b] : *backends) databases.push_back(tools::Database{name, b});
  return databases;
}

tools::ToolsConfig tools_config(const app::Config& cfg, const std::shared_ptr<app::CallerAuth>& caller_auth) {
  tools::ToolsConfig tcfg;
  tcfg.default_row_limit = cfg.default_row_limit;
  tcfg.max_row_limit = cfg.max_row_limit;
  tcfg.max_result_bytes = cfg.max_result_bytes;
  tcfg.query_timeout = std::chrono::seconds(cfg.query_timeout_s);
  tcfg.read_only = cfg.read_only;
  tcfg.history_size = cfg.max_request_history;
  tcfg.cursor_ttl = std::chrono::seconds(cfg.cursor_ttl_s);
  tcfg.task_query_timeout = std::chrono::seconds(cfg.task_query_timeout_s);
  if (caller_auth && caller_auth->on_behalf_of()) {
    tcfg.caller_pool = [caller_auth](mcp::CallContext& ctx) { return caller_auth->pool_for(ctx.caller()); };
  }
  return tcfg;
}

mcp::ServerOptions server_options(const app::Config& cfg, const db::Backend& db) {
  mcp::ServerOptions sopts;
  sopts.version = AZSQL_VERSION;
  sopts.instructions = instructions_for(db, cfg.read_only);
  sopts.read_only = cfg.read_only;
  sopts.max_concurrent = cfg.max_concurrent_requests;
  sopts.task_ttl = std::chrono::seconds(cfg.task_ttl_s);
  sopts.task_max_per_owner = cfg.task_max_per_owner;
  // One worker per pooled connection (at least 4, so a few tool calls waiting for a user's
  // confirmation do not stall the rest): a worker beyond the pool size could only wait in acquire(),
  // and every idle worker costs a futex wake-up and a context switch per request it is handed
  // (PRODUCT.md §8: 8 → 4 workers cut context switches per point query by a third at 32 clients).
  sopts.worker_threads = std::max<std::size_t>(4, std::min<std::size_t>(cfg.pool_size, 32));
  return sopts;
}

/// The start-up banner on stderr, for the transport to print once it knows its endpoint.
std::function<void(const std::string&)> make_banner(const app::Config& cfg, std::shared_ptr<db::Backend> db,
                                                    const mcp::Registry& registry) {
  std::size_t visible_tools = 0;
  for (const auto& t : registry.tools()) visible_tools += !(cfg.read_only && t->definition().writes);
  std::size_t resources = 0;
  for (const auto& p : registry.resource_providers()) resources += p->resources().size() + p->templates().size();
  const std::size_t prompts = registry.prompts().size();
  return [&cfg, db = std::move(db), visible_tools, resources, prompts](const std::string& endpoint) {
    // Over HTTP, the monitoring endpoints beside the MCP endpoint (as the description's banner lists them).
    std::string monitoring;
    if (endpoint.size() > cfg.api_path.size() && endpoint.compare(0, 4, "http") == 0 &&
        endpoint.compare(endpoint.size() - cfg.api_path.size(), cfg.api_path.size(), cfg.api_path) == 0) {
      const std::string base = endpoint.substr(0, endpoint.size() - cfg.api_path.size());
      monitoring = "  health   : " + base + cfg.health_path + "\n  metrics  : " + base + cfg.metrics_path + "\n";
    }
    std::fprintf(stderr,
                 "Starting Azure SQL MCP Server %s\n"
                 "  endpoint : %s\n%s"
                 "  backend  : %s (%s)\n"
                 "  auth     : %s\n"
                 "  mode     : %s\n"
                 "  tools: %zu  resources: %zu  prompts: %zu\n",
                 AZSQL_VERSION, endpoint.c_str(), monitoring.c_str(), db->describe().c_str(), to_string(db->dialect()),
                 db->dialect() == Dialect::SQLite ? "none (embedded)" : cfg.auth_type.c_str(),
                 cfg.read_only ? "read-only" : "read-write", visible_tools, resources, prompts);
    std::fflush(stderr);
  };
}

/// When started without the database (see open_databases) /health answers 503 with the reason and
/// every tool call carries the diagnosis; this thread reconnects with backoff (1 s doubling to 30 s)
/// and, once connected, warns when the login holds far more than the mode needs (PRODUCT.md §3).
/// With on_behalf_of there is no identity of its own (each caller's pool and permissions apply).
std::jthread start_connector(const app::Config& cfg, std::shared_ptr<db::Backend> db, bool degraded) {
  return std::jthread([db = std::move(db), degraded, timeout = std::chrono::seconds(cfg.query_timeout_s),
                       obo = cfg.auth_type == "on_behalf_of"](std::stop_token stop) {
    if (obo) return;
    auto delay = std::chrono::milliseconds(1000);
    for (int attempt = 1; !stop.stop_requested(); ++attempt) {
      auto conn = db->pool().acquire(timeout);
      if (conn.ok()) {
        if (degraded) spdlog::info("database reachable (attempt {}): {}", attempt, db->describe());
        auto info = db->database_info(**conn);
        if (!info.ok()) return;
        for (const auto& w : info->warnings) spdlog::warn("privileges: {}", w);
        spdlog::debug("privileges: checked, {} warning(s)", info->warnings.size());
        return;
      }
      spdlog::debug("database not reachable (attempt {}): {}", attempt, conn.error().message);
      const auto until = std::chrono::steady_clock::now() + delay;
      while (!stop.stop_requested() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
    }
  });
}

/// stdio until EOF; SIGTERM/SIGINT stop reading, in-flight calls finish (10 s drain), exit 0.
int run_stdio(mcp::Server& server) {
  transport::StdioTransport stdio(server, STDIN_FILENO, STDOUT_FILENO);
  boost::asio::io_context sig_io;
  boost::asio::signal_set signals(sig_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) stdio.stop();
  });
  std::thread sig_thread([&] { sig_io.run(); });
  stdio.run(std::chrono::seconds(10));
  sig_io.stop();
  sig_thread.join();
  server.shutdown(std::chrono::seconds(5));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tune_malloc();
  ::signal(SIGPIPE, SIG_IGN);
  if (auto rc = run_subcommand(argc, argv)) return *rc;
  auto env = app::current_environment();
  auto parsed = app::parse_config(argc, argv, env);
  if (parsed.exit_now) {
    std::fputs(parsed.out.c_str(), stdout);
    return 0;
  }
  if (!parsed.config) {
    std::fprintf(stderr, "azsql-mcp: %s\n", parsed.error.c_str());
    return 2;
  }
  const app::Config& cfg = *parsed.config;
  app::setup_logging(cfg.log_level, cfg.log_format);
  for (const auto& n : cfg.notices) spdlog::warn("{}", n);

  bool degraded = false;
  auto databases = open_databases(cfg, degraded);
  if (!databases.ok()) {
    std::fprintf(stderr, "azsql-mcp: cannot open the database: %s\n", databases.error().message.c_str());
    return 1;
  }
  std::shared_ptr<db::Backend> db = databases->front().backend;

  // MCP_AUTH_MODE=entra: each request's bearer token names its caller; with on_behalf_of each caller
  // also gets their own database sessions.
  std::shared_ptr<app::CallerAuth> caller_auth;
  if (cfg.auth_mode == "entra") {
    auto ca = app::CallerAuth::create(cfg);
    if (!ca.ok()) {
      std::fprintf(stderr, "azsql-mcp: %s\n", ca.error().message.c_str());
      return 2;
    }
    caller_auth = std::move(*ca);
  }

  auto registry = std::make_shared<mcp::Registry>();
  tools::register_all(*registry, *databases, tools_config(cfg, caller_auth));
  mcp::Server server(registry, server_options(cfg, *db));

  // Observers: the audit log here; the HTTP runner adds metrics beside it.
  auto observers = std::make_shared<observability::ObserverFanout>();
  if (!cfg.audit_log.empty()) {
    std::string err;
    auto audit = observability::AuditLog::open({cfg.audit_log, cfg.audit_redact}, &err);
    if (!audit) {
      std::fprintf(stderr, "azsql-mcp: MCP_AUDIT_LOG: %s\n", err.c_str());
      return 2;
    }
    observers->add(std::move(audit));
  }
  server.set_observer(observers);

  const auto banner = make_banner(cfg, db, *registry);
  std::jthread connector = start_connector(cfg, db, degraded);
  if (cfg.transport == "stdio") {
    banner("stdio");
    return run_stdio(server);
  }
  return app::run_http(cfg, server, db, banner, caller_auth);
}
