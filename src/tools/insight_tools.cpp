// DBA insight tools (SQL Server only; registered when Backend::has_insights()): top_queries,
// active_requests, index_advice, wait_stats, table_space. Read-only; each explains the permission it
// needs when the server refuses the DMV or Query Store view.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "tools/support.hpp"

namespace azsql::tools::detail {

namespace {

constexpr const char* kNeeds =
    "VIEW DATABASE STATE (Azure SQL Database) or VIEW SERVER STATE (SQL Server)";

/// 297/300/229/262: the login may not read the DMV or Query Store view.
bool permission_denied(const Error& e) {
  return e.kind == ErrorKind::Database && (e.code == 297 || e.code == 300 || e.code == 229 || e.code == 262);
}

std::string fmt(double v, int decimals = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

/// Milliseconds as "850 ms" / "41.2 s".
std::string dur(double ms) {
  if (ms < 1) return fmt(ms, 2) + " ms";
  return ms < 1000 ? fmt(ms, 0) + " ms" : fmt(ms / 1000.0) + " s";
}

/// One line of SQL text, at most `max` bytes (whole UTF-8 characters).
std::string one_line(std::string_view s, std::size_t max) {
  std::string out;
  bool space = false;
  for (char ch : s) {
    if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  if (out.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

/// What an insight tool returns: its structured content and the text for the model.
struct Rendered {
  bj::object structured;
  std::string text;
};

/// `limit` from the arguments, `def` when absent, clamped to 1..max.
std::size_t limit_arg(const bj::object& args, std::size_t def, std::size_t max) {
  auto l = json::get_int(args, "limit").value_or(static_cast<std::int64_t>(def));
  return static_cast<std::size_t>(std::clamp<std::int64_t>(l, 1, static_cast<std::int64_t>(max)));
}

// ---------------------------------------------------------------- top_queries

Result<Rendered> top_queries(db::Backend& db, db::Connection& conn, const bj::object& args) {
  const std::string metric(json::get_string(args, "metric").value_or("cpu"));
  const auto m = metric == "duration" ? db::QueryMetric::Duration
                 : metric == "reads"  ? db::QueryMetric::Reads
                                      : db::QueryMetric::Cpu;
  const int hours = static_cast<int>(std::clamp<std::int64_t>(json::get_int(args, "hours").value_or(24), 1, 720));
  auto r = db.top_queries(conn, m, hours, limit_arg(args, 10, 50));
  if (!r.ok()) return std::move(r).error();
  bj::array arr;
  std::string text = "Top " + std::to_string(r->queries.size()) + " queries by " + metric + ", last " +
                     std::to_string(hours) + " h (Query Store " + r->query_store_state + ")";
  if (r->queries.empty() && r->query_store_state == "OFF")
    text += ": Query Store is off; enable it with ALTER DATABASE CURRENT SET QUERY_STORE = ON";
  text += "\n";
  for (const auto& q : r->queries) {
    arr.push_back(bj::object{{"query_id", q.query_id}, {"executions", q.executions}, {"cpu_ms", q.cpu_ms},
                             {"duration_ms", q.duration_ms}, {"logical_reads", q.logical_reads},
                             {"last_execution", q.last_execution}, {"text", one_line(q.text, 4000)}});
    const double n = q.executions ? static_cast<double>(q.executions) : 1.0;
    text += '#';
    text += std::to_string(q.query_id) + " " + std::to_string(q.executions) + "× cpu " + dur(q.cpu_ms) +
            " dur " + dur(q.duration_ms) + " reads " + fmt(q.logical_reads, 0) + " (avg " + dur(q.cpu_ms / n) +
            " cpu, " + dur(q.duration_ms / n) + "): " + one_line(q.text, 160) + "\n";
  }
  return Rendered{bj::object{{"query_store_state", r->query_store_state}, {"metric", metric},
                            {"queries", std::move(arr)}}, std::move(text)};
}

// ---------------------------------------------------------------- active_requests

/// Blocking chains head → … → waiter, from blocking_session_id links (cycles cut).
std::vector<std::vector<std::int64_t>> blocking_chains(const std::vector<db::ActiveRequest>& reqs) {
  std::map<std::int64_t, std::int64_t> blocked_by;
  std::set<std::int64_t> blockers;
  for (const auto& r : reqs) {
    if (r.blocking_session_id != 0 && r.blocking_session_id != r.session_id) {
      blocked_by[r.session_id] = r.blocking_session_id;
      blockers.insert(r.blocking_session_id);
    }
  }
  std::vector<std::vector<std::int64_t>> chains;
  for (const auto& [waiter, _] : blocked_by) {
    if (blockers.count(waiter)) continue;  // not the end of a chain
    std::vector<std::int64_t> chain{waiter};
    for (auto it = blocked_by.find(waiter); it != blocked_by.end() && chain.size() < 64;
         it = blocked_by.find(it->second)) {
      if (std::find(chain.begin(), chain.end(), it->second) != chain.end()) break;  // a deadlock cycle
      chain.push_back(it->second);
    }
    std::reverse(chain.begin(), chain.end());
    chains.push_back(std::move(chain));
  }
  return chains;
}

Result<Rendered> active_requests(db::Backend& db, db::Connection& conn, const bj::object& args) {
  const auto min_s = std::max<std::int64_t>(0, json::get_int(args, "min_seconds").value_or(30));
  auto r = db.active_requests(conn, min_s * 1000);
  if (!r.ok()) return std::move(r).error();
  bj::array reqs;
  std::map<std::int64_t, const db::ActiveRequest*> by_id;
  for (const auto& a : *r) {
    by_id[a.session_id] = &a;
    bj::object o{{"session_id", a.session_id}, {"blocking_session_id", a.blocking_session_id},
                 {"status", a.status}, {"elapsed_ms", a.elapsed_ms}, {"cpu_ms", a.cpu_ms},
                 {"logical_reads", a.logical_reads}, {"open_transactions", a.open_transactions},
                 {"login", a.login}, {"host", a.host}, {"program", a.program}};
    if (!a.command.empty()) o["command"] = a.command;
    if (!a.wait_type.empty()) o["wait_type"] = a.wait_type, o["wait_ms"] = a.wait_ms;
    if (!a.wait_resource.empty()) o["wait_resource"] = a.wait_resource;
    if (!a.sql_text.empty()) o["sql_text"] = one_line(a.sql_text, 4000);
    reqs.push_back(std::move(o));
  }
  const auto chains = blocking_chains(*r);
  bj::array jchains;
  std::string text = chains.empty() ? "No blocking.\n" : "Blocking chains (head blocker first):\n";
  for (const auto& ch : chains) {
    bj::array ids;
    for (std::size_t i = 0; i < ch.size(); ++i) {
      ids.push_back(ch[i]);
      auto it = by_id.find(ch[i]);
      text += i ? " → " : "";
      text += std::to_string(ch[i]);
      if (it == by_id.end()) continue;
      const auto& a = *it->second;
      if (i == 0) {
        text += " (" + a.status + ", " + a.login + "@" + a.host + ", open tran " + std::to_string(a.open_transactions) +
                (a.sql_text.empty() ? ", no running statement" : ": " + one_line(a.sql_text, 80)) + ")";
      } else {
        text += " (" + a.wait_type + " " + dur(static_cast<double>(a.wait_ms)) + ")";
      }
    }
    jchains.push_back(std::move(ids));
    text += "\n";
  }
  std::string long_running;
  for (const auto& a : *r) {
    if (a.blocking_session_id != 0 || a.elapsed_ms < min_s * 1000 || a.command.empty()) continue;
    long_running += std::to_string(a.session_id) + " " + a.command + " " + dur(static_cast<double>(a.elapsed_ms)) +
                    " cpu " + dur(static_cast<double>(a.cpu_ms)) + " reads " + std::to_string(a.logical_reads) +
                    " " + a.login + "@" + a.host + ": " + one_line(a.sql_text, 120) + "\n";
  }
  text += long_running.empty() ? "No request running longer than " + std::to_string(min_s) + " s.\n"
                               : "Running longer than " + std::to_string(min_s) + " s:\n" + long_running;
  return Rendered{bj::object{{"requests", std::move(reqs)}, {"chains", std::move(jchains)}}, std::move(text)};
}

// ---------------------------------------------------------------- index_advice

/// "[a], [b]" → "a_b" for an index name.
std::string name_part(std::string_view cols) {
  std::string out;
  for (char ch : cols) {
    if (ch == '[' || ch == ']' || ch == ' ') continue;
    out += ch == ',' ? '_' : ch;
  }
  return out;
}

std::string create_statement(const db::MissingIndex& m) {
  std::string key = m.equality_columns;
  if (!m.inequality_columns.empty()) key += (key.empty() ? "" : ", ") + m.inequality_columns;
  std::string s = "CREATE INDEX [IX_" + name_part(m.table) + "_" + name_part(key) + "] ON [" + m.schema + "].[" +
                  m.table + "] (" + key + ")";
  if (!m.included_columns.empty()) s += " INCLUDE (" + m.included_columns + ")";
  return s;
}

Result<Rendered> index_advice(db::Backend& db, db::Connection& conn, const bj::object& args) {
  const auto limit = limit_arg(args, 10, 50);
  auto missing = db.missing_indexes(conn, limit);
  if (!missing.ok()) return std::move(missing).error();
  auto unused = db.unused_indexes(conn, limit);
  if (!unused.ok()) return std::move(unused).error();
  bj::array jm, ju;
  std::string text = "Missing indexes (" + std::to_string(missing->size()) + ", suggestions to review, not to apply "
                     "blindly):\n";
  for (const auto& m : *missing) {
    auto stmt = create_statement(m);
    jm.push_back(bj::object{{"table", display_name(m.schema, m.table)}, {"equality_columns", m.equality_columns},
                            {"inequality_columns", m.inequality_columns}, {"included_columns", m.included_columns},
                            {"user_seeks", m.user_seeks}, {"user_scans", m.user_scans},
                            {"avg_user_impact", m.avg_user_impact}, {"improvement", m.improvement},
                            {"create_statement", stmt}});
    text += stmt + " -- impact " + fmt(m.avg_user_impact) + "%, " + std::to_string(m.user_seeks + m.user_scans) +
            " seeks/scans, score " + fmt(m.improvement, 0) + "\n";
  }
  text += "Unused indexes (" + std::to_string(unused->size()) + ", no reads since the last restart):\n";
  for (const auto& u : *unused) {
    ju.push_back(bj::object{{"table", display_name(u.schema, u.table)}, {"index", u.index},
                            {"user_updates", u.user_updates}});
    text += display_name(u.schema, u.table) + "." + u.index + ": " + std::to_string(u.user_updates) +
            " updates maintained, 0 reads\n";
  }
  return Rendered{bj::object{{"missing", std::move(jm)}, {"unused", std::move(ju)}}, std::move(text)};
}

// ---------------------------------------------------------------- wait_stats

const char* wait_meaning(std::string_view w) {
  auto starts = [&](std::string_view p) { return w.substr(0, p.size()) == p; };
  if (starts("PAGEIOLATCH")) return "reading data pages from storage";
  if (starts("LCK_M")) return "lock waits (blocking)";
  if (starts("CX")) return "parallelism";
  if (starts("WRITELOG")) return "transaction log writes";
  if (starts("SOS_SCHEDULER_YIELD")) return "CPU pressure";
  if (starts("RESOURCE_SEMAPHORE")) return "memory grants";
  if (starts("ASYNC_NETWORK_IO")) return "client slow to read results";
  if (starts("PAGELATCH")) return "in-memory page contention";
  if (starts("LOG_RATE_GOVERNOR") || starts("IO_QUEUE_LIMIT")) return "service-tier I/O limit";
  return "";
}

Result<Rendered> wait_stats(db::Backend& db, db::Connection& conn, const bj::object& args) {
  auto r = db.wait_stats(conn, limit_arg(args, 10, 50));
  if (!r.ok()) return std::move(r).error();
  bj::array arr;
  std::string text = "Top waits (% of non-idle wait time):\n";
  for (const auto& w : *r) {
    arr.push_back(bj::object{{"wait_type", w.wait_type}, {"waiting_tasks", w.waiting_tasks}, {"wait_ms", w.wait_ms},
                             {"signal_wait_ms", w.signal_wait_ms}, {"max_wait_ms", w.max_wait_ms},
                             {"percent", w.percent}});
    std::string meaning = wait_meaning(w.wait_type);
    text += w.wait_type + " " + fmt(w.percent) + "% " + dur(static_cast<double>(w.wait_ms)) + " (" +
            std::to_string(w.waiting_tasks) + " waits, max " + dur(static_cast<double>(w.max_wait_ms)) + ")" +
            (meaning.empty() ? "" : " — " + meaning) + "\n";
  }
  return Rendered{bj::object{{"waits", std::move(arr)}}, std::move(text)};
}

// ---------------------------------------------------------------- table_space

Result<Rendered> table_space(db::Backend& db, db::Connection& conn, const bj::object& args) {
  const std::string schema_name(json::get_string(args, "schema").value_or(""));
  auto r = db.table_space(conn, schema_name, limit_arg(args, 20, 500));
  if (!r.ok()) return std::move(r).error();
  bj::array arr;
  std::string text = "Space per table (KB: reserved / data / index):\n";
  for (const auto& t : *r) {
    const auto index_kb = std::max<std::int64_t>(0, t.used_kb - t.data_kb);
    arr.push_back(bj::object{{"table", display_name(t.schema, t.table)}, {"rows", t.rows},
                             {"reserved_kb", t.reserved_kb}, {"used_kb", t.used_kb}, {"data_kb", t.data_kb},
                             {"index_kb", index_kb}});
    text += display_name(t.schema, t.table) + ": " + std::to_string(t.rows) + " rows, " +
            std::to_string(t.reserved_kb) + " / " + std::to_string(t.data_kb) + " / " + std::to_string(index_kb) +
            "\n";
  }
  return Rendered{bj::object{{"tables", std::move(arr)}}, std::move(text)};
}

// ---------------------------------------------------------------- the table

/// One insight tool: its definition and the function that reads and renders it.
struct InsightSpec {
  const char* name;
  const char* title;
  const char* description;  ///< " Needs VIEW DATABASE STATE." is appended
  std::string_view input;   ///< JSON Schema of the arguments
  std::string_view output;  ///< JSON Schema of structuredContent (the error variant is added)
  std::vector<std::string> required;
  Result<Rendered> (*render)(db::Backend&, db::Connection&, const bj::object& args);
};

const std::vector<InsightSpec>& insight_specs() {
  static const std::vector<InsightSpec> kSpecs = {
      {"top_queries", "Top queries (Query Store)",
       "Most expensive queries from Query Store by total CPU, duration or logical reads.",
       R"({"type":"object","properties":{"metric":{"enum":["cpu","duration","reads"]},
         "hours":{"type":"integer","minimum":1,"maximum":720,"description":"window, default 24"},
         "limit":{"type":"integer","minimum":1,"maximum":50}},"additionalProperties":false})",
       R"({"type":"object","properties":{"query_store_state":{"type":"string"},
         "metric":{"type":"string"},"queries":{"type":"array","items":{"type":"object"}}}})",
       {"queries"}, &top_queries},
      {"active_requests", "Blocking and long-running requests",
       "Current blocking chains (head blocker first) and requests running longer than min_seconds.",
       R"({"type":"object","properties":{"min_seconds":{"type":"integer","minimum":0,
         "description":"default 30"}},"additionalProperties":false})",
       R"({"type":"object","properties":{"requests":{"type":"array","items":{"type":"object"}},
         "chains":{"type":"array","items":{"type":"array","items":{"type":"integer"}}}}})",
       {"requests", "chains"}, &active_requests},
      {"index_advice", "Missing and unused indexes",
       "Indexes the optimizer asked for (with estimated benefit) and indexes never read since the last restart.",
       R"({"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":50}},
         "additionalProperties":false})",
       R"({"type":"object","properties":{"missing":{"type":"array","items":{"type":"object"}},
         "unused":{"type":"array","items":{"type":"object"}}}})",
       {"missing", "unused"}, &index_advice},
      {"wait_stats", "Wait statistics",
       "What the server waits on most since its statistics were last reset (idle waits excluded).",
       R"({"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":50}},
         "additionalProperties":false})",
       R"({"type":"object","properties":{"waits":{"type":"array","items":{"type":"object"}}}})",
       {"waits"}, &wait_stats},
      {"table_space", "Space used per table", "Rows and reserved/data/index space per table, largest first.",
       R"({"type":"object","properties":{"schema":{"type":"string"},
         "limit":{"type":"integer","minimum":1,"maximum":500}},"additionalProperties":false})",
       R"({"type":"object","properties":{"tables":{"type":"array","items":{"type":"object"}}}})",
       {"tables"}, &table_space},
  };
  return kSpecs;
}

mcp::ToolDefinition tool_definition(const InsightSpec& spec) {
  mcp::ToolDefinition d;
  d.name = spec.name;
  d.title = spec.title;
  d.description = std::string(spec.description) + " Needs VIEW DATABASE STATE.";
  d.input_schema = schema(spec.input);
  d.output_schema = with_error_variant(schema(spec.output), spec.required);
  d.annotations = read_only_annotations();
  return d;
}

/// Every insight tool: borrows a connection, runs its row of the table, and turns a refused DMV or
/// Query Store view into a message naming the permission.
class InsightTool final : public BaseTool {
 public:
  InsightTool(std::shared_ptr<Env> env, const InsightSpec& spec)
      : BaseTool(std::move(env), tool_definition(spec)), render_(spec.render) {}

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return failed(conn.error());
    auto r = render_(env_->db(), **conn, args);
    if (!r.ok()) return failed(r.error());
    return success(std::move(r->structured), std::move(r->text));
  }

 private:
  mcp::ToolResult failed(const Error& e) const {
    if (permission_denied(e)) {
      std::string msg = def_.name + " needs " + kNeeds + "; the server refused it (" + std::to_string(e.code) +
                        ": " + e.message + ")";
      std::string hint = "Ask an administrator: GRANT VIEW DATABASE STATE TO [<this login's user>]; the other tools "
                         "work without it.";
      return mcp::ToolResult::error(msg + ". " + hint,
                                    bj::object{{"error", bj::object{{"kind", "permission"}, {"number", e.code},
                                                                    {"message", msg}, {"hint", hint}}}});
    }
    return error_result(e, def_.name, env_->dialect(), env_->cfg.query_timeout);
  }

  Result<Rendered> (*render_)(db::Backend&, db::Connection&, const bj::object&);
};

}  // namespace

std::vector<std::unique_ptr<mcp::Tool>> make_insight_tools(std::shared_ptr<Env> env) {
  std::vector<std::unique_ptr<mcp::Tool>> out;
  if (!env->backend->has_insights()) return out;
  for (const InsightSpec& spec : insight_specs()) out.push_back(std::make_unique<InsightTool>(env, spec));
  return out;
}

}  // namespace azsql::tools::detail
