// Prompts filled with live facts from the database, and table-name completion (PRODUCT.md §4).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "sql/classifier.hpp"
#include "tools/support.hpp"

namespace azsql::tools::detail {

namespace {

std::string arg(const std::map<std::string, std::string>& args, const std::string& key) {
  auto it = args.find(key);
  return it == args.end() ? std::string() : it->second;
}

std::string dialect_rules(Dialect d) {
  if (d == Dialect::SQLite)
    return "SQLite SQL: limit rows with LIMIT n (prefer it to TOP), quote identifiers with \"double quotes\", "
           "placeholders ? or :name, string concatenation with ||, dates as ISO 8601 text.";
  return "T-SQL: limit rows with SELECT TOP (n) (never LIMIT), quote identifiers with [brackets], use "
         "schema-qualified names such as dbo.Table, placeholders @name, OFFSET ... FETCH for paging.";
}

/// product + version line, best effort (a prompt still works when database_info fails).
std::string server_line(Env& env, mcp::CallContext& ctx, db::DatabaseInfo* out = nullptr) {
  auto conn = env.acquire(ctx);
  if (!conn.ok()) return "Server: unknown (" + conn.error().message + ")";
  auto info = env.db().database_info(**conn);
  if (!info.ok()) return "Server: unknown (" + info.error().message + ")";
  if (out) *out = *info;
  std::string s = "Server: " + info->product + " " + info->server_version;
  if (!info->edition.empty()) s += " (" + info->edition + ")";
  if (!info->database.empty()) s += ", database " + info->database;
  if (info->compatibility_level) s += ", compatibility level " + std::to_string(*info->compatibility_level);
  return s;
}

mcp::PromptResult single(std::string description, std::string text) {
  mcp::PromptResult r;
  r.description = std::move(description);
  mcp::PromptMessage m;
  m.role = "user";
  m.text = std::move(text);
  r.messages.push_back(std::move(m));
  return r;
}

// ---------------------------------------------------------------- sql_query_builder

class SqlQueryBuilder final : public mcp::Prompt {
 public:
  explicit SqlQueryBuilder(std::shared_ptr<Env> env) : env_(std::move(env)) {
    def_.name = "sql_query_builder";
    def_.title = "SQL query builder";
    def_.description =
        "Builds a correct statement for one table: its real columns, keys and the dialect's rules, for a SELECT, "
        "INSERT, UPDATE or DELETE.";
    def_.arguments = {{"table", "Table name ('Article' or 'dbo.Article'); completes against real tables.", true},
                      {"operation", "SELECT, INSERT, UPDATE or DELETE.", true},
                      {"requirements", "What the statement should do, in words.", false}};
  }
  const mcp::PromptDefinition& definition() const override { return def_; }

  Result<mcp::PromptResult> get(const std::map<std::string, std::string>& args, mcp::CallContext& ctx) override {
    const std::string op = to_upper(arg(args, "operation"));
    if (op != "SELECT" && op != "INSERT" && op != "UPDATE" && op != "DELETE")
      return Error::make(ErrorKind::InvalidInput, "operation must be SELECT, INSERT, UPDATE or DELETE");
    auto d = find_table(*env_, ctx, arg(args, "table"));
    if (!d.ok()) {
      if (d.error().kind == ErrorKind::NotFound) return Error::make(ErrorKind::InvalidInput, d.error().message);
      return std::move(d).error();
    }
    const Dialect dl = env_->dialect();
    const std::string name = display_name(d->table.schema, d->table.name);
    std::string t = "Write one " + op + " statement for the table " + name + ".\n\n";
    t += server_line(*env_, ctx) + "\nDialect: " + dialect_rules(dl) + "\n\n";
    t += description_text(*d);
    const std::string req = arg(args, "requirements");
    t += "\nRequirements: " + (req.empty() ? std::string("none given; write a typical, safe " + op + " for this table.") : req) + "\n\n";
    std::vector<std::string> generated;
    for (const auto& c : d->columns) {
      if (c.identity || c.computed) generated.push_back(c.name);
    }
    t += "Rules:\n";
    if (op == "SELECT") {
      t += "- Name the columns you need instead of SELECT *; filter with WHERE on indexed columns where possible.\n";
      t += dl == Dialect::SQLite ? "- Limit rows with LIMIT n.\n" : "- Limit rows with TOP (n).\n";
      t += "- Run it with the read_data tool, passing values through `parameters` (never inline user values).\n";
    } else if (op == "INSERT") {
      if (!generated.empty()) {
        t += "- Do not supply generated columns:";
        for (const auto& g : generated) t += " " + g;
        t += ".\n";
      }
      t += "- Supply every NOT NULL column without a default.\n";
      t += "- Run it with insert_data: `sql` with `parameters`, or `table` + `rows` (an array of column→value "
           "objects).\n";
    } else {
      if (!d->primary_key.empty()) {
        t += "- Target rows by the primary key (";
        for (std::size_t i = 0; i < d->primary_key.size(); ++i) t += (i ? ", " : "") + d->primary_key[i];
        t += ") in the WHERE clause.\n";
      }
      t += "- A WHERE clause is required; update_data refuses statements without one and rolls back when more "
           "than max_rows rows would change.\n";
      if (op == "DELETE" && !d->referenced_by.empty())
        t += "- Other tables reference this one (see 'Referenced by'); deleting referenced rows may fail or "
             "cascade.\n";
      t += "- Check the affected rows first with a SELECT COUNT(*) through read_data, then run it with "
           "update_data, passing values through `parameters`.\n";
    }
    return single(op + " on " + name, std::move(t));
  }

 private:
  std::shared_ptr<Env> env_;
  mcp::PromptDefinition def_;
};

// ---------------------------------------------------------------- analyze_performance

bool mentions_word(std::string_view text, std::string_view word) {
  const std::string lt = to_lower(text), lw = to_lower(word);
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t p = lt.find(lw); p != std::string::npos; p = lt.find(lw, p + 1)) {
    const bool left = p == 0 || !is_word(lt[p - 1]);
    const bool right = p + lw.size() >= lt.size() || !is_word(lt[p + lw.size()]);
    if (left && right) return true;
  }
  return false;
}

class AnalyzePerformance final : public mcp::Prompt {
 public:
  explicit AnalyzePerformance(std::shared_ptr<Env> env) : env_(std::move(env)) {
    def_.name = "analyze_performance";
    def_.title = "Analyze query performance";
    def_.description =
        "Analyzes a read-only query with its real estimated plan, the indexes of the tables it touches and their "
        "sizes, and asks for concrete optimizations.";
    def_.arguments = {{"query", "The SELECT statement to analyze.", true}};
  }
  const mcp::PromptDefinition& definition() const override { return def_; }

  Result<mcp::PromptResult> get(const std::map<std::string, std::string>& args, mcp::CallContext& ctx) override {
    const std::string query = arg(args, "query");
    auto verdict = sql::check_read(query, env_->dialect());
    if (!verdict.allowed)
      return Error::make(ErrorKind::InvalidInput, "query refused (" + verdict.rule + "): " + verdict.message);
    auto native = env_->db().native_sql(query);
    if (!native.ok()) return std::move(native).error();
    if (*native != query) {
      auto again = sql::check_read(*native, env_->dialect());
      if (!again.allowed)
        return Error::make(ErrorKind::InvalidInput, "query refused (" + again.rule + "): " + again.message);
    }
    Result<db::Plan> plan = Error::make(ErrorKind::Internal, "not run");
    {
      auto conn = env_->acquire(ctx);
      if (!conn.ok()) return std::move(conn).error();
      plan = env_->db().explain(**conn, *native, {}, env_->exec_options(ctx, true));
    }  // the connection goes back to the pool before the catalog look-ups below
    if (!plan.ok()) {
      if (plan.error().kind == ErrorKind::Database)
        return Error::make(ErrorKind::InvalidInput, "the query does not compile: " + plan.error().message);
      return std::move(plan).error();
    }
    std::string t = "Analyze the performance of this query and propose concrete improvements (rewrites, indexes "
                    "to create, statistics), ordered by expected benefit.\n\n";
    t += "Query:\n" + query + "\n\n";
    t += server_line(*env_, ctx) + "\nDialect: " + dialect_rules(env_->dialect()) + "\n\n";
    t += "Estimated plan:\n" + plan_text(*plan).substr(6);
    auto tables = all_tables(*env_, ctx, true);
    if (tables.ok()) {
      std::size_t shown = 0;
      for (const auto& ti : *tables) {
        if (shown >= 8 || !mentions_word(query, ti.name)) continue;
        auto d = find_table(*env_, ctx, ti.schema.empty() ? ti.name : ti.schema + "." + ti.name);
        if (!d.ok()) continue;
        ++shown;
        t += "\nTable " + display_name(ti.schema, ti.name);
        if (ti.row_count) t += " (~" + std::to_string(*ti.row_count) + " rows)";
        t += ": indexes:";
        if (d->indexes.empty()) t += " none";
        for (const auto& i : d->indexes) {
          t += " " + i.name + "(";
          for (std::size_t k = 0; k < i.columns.size(); ++k) t += (k ? ", " : "") + i.columns[k];
          t += ")";
        }
        t += "\n";
      }
    }
    t += "\nExplain which operators dominate the cost, whether any scan could be a seek, and give the exact "
         "statements to run (CREATE INDEX ...) without running them.";
    return single("Performance analysis with the live plan", std::move(t));
  }

 private:
  std::shared_ptr<Env> env_;
  mcp::PromptDefinition def_;
};

// ---------------------------------------------------------------- data_migration_guide

class DataMigrationGuide final : public mcp::Prompt {
 public:
  explicit DataMigrationGuide(std::shared_ptr<Env> env) : env_(std::move(env)) {
    def_.name = "data_migration_guide";
    def_.title = "Data migration guide";
    def_.description =
        "Plans a data migration to or from this database: its real tables, sizes and foreign-key load order, "
        "the server version, and the steps to move and verify the data.";
    def_.arguments = {{"source", "Where the data comes from (e.g. 'on-premises SQL Server 2016', 'CSV files').", false},
                      {"target", "Where it goes (default: this database).", false}};
  }
  const mcp::PromptDefinition& definition() const override { return def_; }

  Result<mcp::PromptResult> get(const std::map<std::string, std::string>& args, mcp::CallContext& ctx) override {
    std::string source = arg(args, "source"), target = arg(args, "target");
    db::DatabaseInfo info;
    const std::string server = server_line(*env_, ctx, &info);
    if (source.empty()) source = "another database (not specified)";
    if (target.empty()) target = "this database (" + (info.product.empty() ? env_->db().name() : info.product) + ")";
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return std::move(conn).error();
    auto tables = env_->db().list_tables(**conn, db::ListTablesOptions{});
    if (!tables.ok()) return std::move(tables).error();
    // Foreign-key load order: parents before children (Kahn's algorithm; cycles listed last).
    std::map<std::string, std::set<std::string>> deps;
    std::vector<std::string> names;
    std::map<std::string, std::optional<std::int64_t>> rows;
    std::size_t described = 0;
    for (const auto& t : *tables) {
      const std::string n = display_name(t.schema, t.name);
      names.push_back(n);
      rows[n] = t.row_count;
      deps[n];
      if (described++ >= 200) continue;
      auto d = env_->db().describe_table(**conn, db::QualifiedName{t.schema, t.name});
      if (d.ok() && *d) {
        for (const auto& f : (*d)->foreign_keys) {
          const std::string parent = display_name(f.ref_schema.empty() ? t.schema : f.ref_schema, f.ref_table);
          if (parent != n) deps[n].insert(parent);
        }
      }
    }
    std::vector<std::string> order;
    std::set<std::string> done;
    for (bool progress = true; progress && order.size() < names.size();) {
      progress = false;
      for (const auto& n : names) {
        if (done.count(n)) continue;
        bool ready = true;
        for (const auto& p : deps[n]) {
          if (!done.count(p) && rows.count(p)) ready = false;
        }
        if (ready) {
          order.push_back(n);
          done.insert(n);
          progress = true;
        }
      }
    }
    std::vector<std::string> cyclic;
    for (const auto& n : names) {
      if (!done.count(n)) cyclic.push_back(n);
    }
    std::string t = "Plan a data migration from " + source + " to " + target + ".\n\n" + server + "\nDialect: " +
                    dialect_rules(env_->dialect()) + "\n\nTables in load order (parents first):\n";
    for (std::size_t i = 0; i < order.size(); ++i) {
      t += "  " + std::to_string(i + 1) + ". " + order[i];
      if (rows[order[i]]) t += " (~" + std::to_string(*rows[order[i]]) + " rows)";
      if (!deps[order[i]].empty()) {
        t += " depends on";
        for (const auto& p : deps[order[i]]) t += " " + p;
      }
      t += "\n";
    }
    if (!cyclic.empty()) {
      t += "Tables in foreign-key cycles (disable/enable constraints or load in two passes):";
      for (const auto& c : cyclic) t += " " + c;
      t += "\n";
    }
    t += "\nCover: schema conversion (types, identity/autoincrement, collation), the load order above, batching "
         "large tables, keeping identity values, validation (row counts per table with read_data, checksums "
         "of key columns), the cut-over and a rollback plan. Use list_tables and describe_table for details; "
         "any change to this database goes through insert_data / update_data inside transactions.";
    if (env_->cfg.read_only) t += " This server is read-only: plan only, writes must happen elsewhere.";
    return single("Migration plan from live schema facts", std::move(t));
  }

 private:
  std::shared_ptr<Env> env_;
  mcp::PromptDefinition def_;
};

// ---------------------------------------------------------------- database_troubleshooting

class DatabaseTroubleshooting final : public mcp::Prompt {
 public:
  explicit DatabaseTroubleshooting(std::shared_ptr<Env> env) : env_(std::move(env)) {
    def_.name = "database_troubleshooting";
    def_.title = "Database troubleshooting";
    def_.description =
        "Diagnoses a database problem from live facts: connectivity and round-trip latency, pool state, recent "
        "tool errors, server version and login warnings.";
    def_.arguments = {{"issue", "The symptom, e.g. 'queries time out' or 'login failed'.", false}};
  }
  const mcp::PromptDefinition& definition() const override { return def_; }

  Result<mcp::PromptResult> get(const std::map<std::string, std::string>& args, mcp::CallContext& ctx) override {
    std::string issue = arg(args, "issue");
    if (issue.empty()) issue = "no specific symptom given; run a general health review";
    auto ping = ping_database(*env_, ctx);
    db::DatabaseInfo info;
    const std::string server = ping.ok() ? server_line(*env_, ctx, &info) : "Server: not reachable";
    const auto ps = env_->db().pool().stats();
    const auto recent = env_->ring.summary();
    std::string t = "Troubleshoot this database problem: " + issue + "\n\nLive facts:\n- " + server + "\n- Backend: " +
                    env_->db().name() + ", dialect " + to_string(env_->dialect()) + "\n";
    if (ping.ok()) {
      char b[64];
      std::snprintf(b, sizeof b, "%.2f ms", *ping);
      t += "- Database round trip (SELECT 1): " + std::string(b) + "\n";
    } else {
      t += "- Database round trip failed: " + std::string(to_string(ping.error().kind)) + ": " + ping.error().message +
           "\n";
    }
    t += "- Connection pool: " + std::to_string(ps.in_use) + " in use / " + std::to_string(ps.open) + " open (max " +
         std::to_string(ps.max_size) + "), " + std::to_string(ps.waits) + " waits, " + std::to_string(ps.discarded) +
         " broken connections discarded\n";
    t += "- Recent tool calls: " + std::to_string(recent.calls) + ", " + std::to_string(recent.errors) + " failed\n";
    for (const auto& e : recent.last_errors) t += "  - " + e.tool + ": " + e.error.substr(0, 200) + "\n";
    if (!info.current_user.empty()) t += "- Current user: " + info.current_user + "\n";
    for (const auto& w : info.warnings) t += "- Warning: " + w + "\n";
    t += "- Limits: statement timeout " + std::to_string(env_->cfg.query_timeout.count() / 1000) +
         " s, row limit " + std::to_string(env_->cfg.default_row_limit) + " (max " +
         std::to_string(env_->cfg.max_row_limit) + "), " + (env_->cfg.read_only ? "read-only mode" : "read-write mode") +
         "\n";
    t += "\nWork through likely causes in order of probability given these facts. Use health_check, "
         "database_info and explain_query to confirm; propose fixes with the exact settings or statements, and say "
         "which need a database administrator.";
    return single("Troubleshooting with live health facts", std::move(t));
  }

 private:
  std::shared_ptr<Env> env_;
  mcp::PromptDefinition def_;
};

// ---------------------------------------------------------------- completion

class TableCompleter final : public mcp::Completer {
 public:
  explicit TableCompleter(std::shared_ptr<Env> env) : env_(std::move(env)) {}

  Result<mcp::CompletionResult> complete(const mcp::CompletionRequest& req, mcp::CallContext& ctx) override {
    mcp::CompletionResult r;
    const bool table_arg =
        req.argument == "table" && ((req.ref_type == "ref/prompt" && req.ref == "sql_query_builder") ||
                                    (req.ref_type == "ref/resource" && req.ref == "database://tables/{table}"));
    if (req.ref_type == "ref/prompt" && req.ref == "sql_query_builder" && req.argument == "operation") {
      for (const char* op : {"SELECT", "INSERT", "UPDATE", "DELETE"}) {
        if (istarts_with(op, req.value)) r.values.emplace_back(op);
      }
      r.total = static_cast<std::int64_t>(r.values.size());
      return r;
    }
    if (!table_arg) return r;
    auto tables = all_tables(*env_, ctx, true);
    if (!tables.ok()) return r;  // completion is best effort: no suggestions rather than an error
    std::vector<std::string> matches;
    for (const auto& t : *tables) {
      std::string n = display_name(t.schema, t.name);
      if (istarts_with(n, req.value) || istarts_with(t.name, req.value)) matches.push_back(std::move(n));
    }
    std::sort(matches.begin(), matches.end());
    r.total = static_cast<std::int64_t>(matches.size());
    r.has_more = matches.size() > 100;
    if (matches.size() > 100) matches.resize(100);
    r.values = std::move(matches);
    return r;
  }

 private:
  std::shared_ptr<Env> env_;
};

}  // namespace

std::vector<std::unique_ptr<mcp::Prompt>> make_prompts(std::shared_ptr<Env> env) {
  std::vector<std::unique_ptr<mcp::Prompt>> v;
  v.push_back(std::make_unique<SqlQueryBuilder>(env));
  v.push_back(std::make_unique<AnalyzePerformance>(env));
  v.push_back(std::make_unique<DataMigrationGuide>(env));
  v.push_back(std::make_unique<DatabaseTroubleshooting>(env));
  return v;
}

std::unique_ptr<mcp::Completer> make_completer(std::shared_ptr<Env> env) {
  return std::make_unique<TableCompleter>(std::move(env));
}

}  // namespace azsql::tools::detail
