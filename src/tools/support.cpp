#include "tools/support.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "sql/identifier.hpp"
#include "sql/lexer.hpp"

namespace azsql::tools::detail {

// ---------------------------------------------------------------- outcome ring

void OutcomeRing::record(std::string_view tool, bool ok, std::string_view error) {
  std::lock_guard lock(mu_);
  ++total_calls_;
  if (!ok) ++total_errors_;
  if (entries_.size() == capacity_) entries_.pop_front();
  Entry e;
  e.tool = std::string(tool);
  e.ok = ok;
  if (!ok) e.error = std::string(error.substr(0, 300));
  entries_.push_back(std::move(e));
}

OutcomeRing::Summary OutcomeRing::summary() const {
  std::lock_guard lock(mu_);
  Summary s;
  s.window = capacity_;
  s.calls = entries_.size();
  s.total_calls = total_calls_;
  s.total_errors = total_errors_;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->ok) continue;
    ++s.errors;
    if (s.last_errors.size() < 5) s.last_errors.push_back(*it);
  }
  return s;
}

// ---------------------------------------------------------------- env

Result<db::PooledConnection> Env::acquire(mcp::CallContext& ctx) const {
  std::shared_ptr<db::Pool> user_pool;  // held while acquiring; the borrowed connection keeps it alive after
  if (cfg.caller_pool) {
    auto p = cfg.caller_pool(ctx);
    if (!p.ok()) return std::move(p).error();
    user_pool = std::move(*p);
  }
  db::Pool& pool = user_pool ? *user_pool : db().pool();
  auto c = pool.acquire(cfg.query_timeout, ctx.cancel());
  if (!c.ok() && c.error().kind == ErrorKind::Timeout) {
    // Waiting for a pooled connection is a concurrency limit, not a slow statement.
    Error e = std::move(c).error();
    e.kind = ErrorKind::Limit;
    e.message += " (CONNECTION_POOL_SIZE)";
    return e;
  }
  return c;
}

db::ExecOptions Env::exec_options(mcp::CallContext& ctx, bool read_only) const {
  db::ExecOptions o;
  o.timeout = timeout_for(ctx);
  o.cancel = ctx.cancel();
  o.read_only = read_only;
  return o;
}

mcp::ToolResult BaseTool::call(const bj::object& arguments, mcp::CallContext& ctx) {
  mcp::ToolResult r = run(arguments, ctx);
  env_->ring.record(def_.name, !r.is_error, r.is_error ? std::string_view(r.text) : std::string_view());
  return r;
}

// ---------------------------------------------------------------- schemas and errors

bj::object schema(std::string_view json_text) { return bj::parse(json_text).as_object(); }

bj::object with_error_variant(bj::object s, std::vector<std::string> success_required) {
  auto& props = s["properties"].as_object();
  props["error"] = schema(R"({"type":"object","description":"Present only when the call failed.",
    "properties":{"kind":{"type":"string"},"number":{"type":"integer"},"rule":{"type":"string"},
    "message":{"type":"string"},"hint":{"type":"string"}},"required":["kind","message"]})");
  bj::array req;
  for (auto& r : success_required) req.push_back(bj::string(r));
  bj::array any;
  any.push_back(bj::object{{"required", std::move(req)}});
  any.push_back(bj::object{{"required", bj::array{"error"}}});
  s["anyOf"] = std::move(any);
  return s;
}

namespace {

std::string server_label(Dialect d) { return d == Dialect::SQLite ? "SQLite" : "SQL Server"; }

const char* kind_name(ErrorKind k) {
  switch (k) {
    case ErrorKind::Database: return "database";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Refused: return "refused";
    case ErrorKind::InvalidInput: return "invalid_input";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::Limit: return "limit";
    default: return "unavailable";
  }
}

}  // namespace

namespace {

/// A COMMIT lost with its connection: not "failed, nothing applied" but "outcome unknown".
mcp::ToolResult in_doubt_result(const Error& e, std::string text) {
  text += "the outcome is unknown: the connection to the database was lost while the COMMIT was in flight, so the "
          "change may or may not have been applied (" + e.message + ")";
  const std::string hint =
      "Do not retry blindly: first check with read_data whether the change took effect (for example SELECT the rows "
      "it inserted or updated), and retry only if it did not.";
  text += ". " + hint;
  bj::object err{{"kind", kind_name(e.kind)}, {"message", e.message}, {"hint", hint}, {"in_doubt", true},
                 {"outcome", "unknown"}};
  return mcp::ToolResult::error(std::move(text), bj::object{{"error", std::move(err)}});
}

}  // namespace

mcp::ToolResult error_result(const Error& e, std::string_view action, Dialect dialect,
                             std::chrono::milliseconds timeout) {
  std::string text(action);
  text += " failed: ";
  std::string hint;
  if (e.in_doubt) return in_doubt_result(e, std::move(text));
  switch (e.kind) {
    case ErrorKind::Database:
      text += server_label(dialect) + " error " + std::to_string(e.code) + ": " + e.message;
      hint = dialect == Dialect::SQLite
                 ? "Fix the statement and retry: check table and column names with list_tables / describe_table and "
                   "use SQLite syntax (LIMIT n, \"double-quoted\" identifiers)."
                 : "Fix the statement and retry: check table and column names with list_tables / describe_table and "
                   "use T-SQL syntax (TOP (n), [bracketed] identifiers, schema-qualified names).";
      break;
    case ErrorKind::Timeout:
      text += "the statement ran longer than the " +
              (timeout.count() % 1000 == 0 ? std::to_string(timeout.count() / 1000) + " s"
                                           : std::to_string(timeout.count()) + " ms") +
              " statement timeout (MCP_QUERY_TIMEOUT; MCP_TASK_QUERY_TIMEOUT for a call run as a task)";
      hint = "Make the statement cheaper: add a selective WHERE clause, a smaller limit, or check its plan with "
             "explain_query.";
      break;
    case ErrorKind::Cancelled:
      text += "the request was cancelled";
      hint = "Nothing was changed by the cancelled statement; run it again if it is still needed.";
      break;
    case ErrorKind::InvalidInput:
    case ErrorKind::NotFound:
    case ErrorKind::Refused:
      text += e.message;
      hint = "Correct the arguments and retry.";
      break;
    case ErrorKind::Limit:
      text += e.message;
      hint = e.broken ? "The same statement will fail the same way: select less of the large column (SUBSTRING / "
                        "LEFT of it, DATALENGTH to see its size) or fewer columns."
                      : "Retry shortly; the server is at a configured limit.";
      break;
    default:
      if (e.broken && (e.kind == ErrorKind::Io || e.kind == ErrorKind::Protocol || e.kind == ErrorKind::Tls)) {
        // The connection died during this call; the pool has already dropped it.
        text += "the connection to the database was lost during the call (" + std::string(to_string(e.kind)) +
                ": " + e.message + ")";
        hint = "The connection has been replaced: retry now (for a write, first check with read_data whether it "
               "took effect); if it fails again, health_check shows the database status.";
      } else {
        text += "the database is not reachable right now (" + std::string(to_string(e.kind)) + ": " + e.message + ")";
        hint = "Retry later; health_check shows the database status.";
      }
      break;
  }
  text += ". " + hint;
  bj::object err{{"kind", kind_name(e.kind)}, {"message", e.message}, {"hint", hint}};
  if (e.code != 0) err["number"] = e.code;
  return mcp::ToolResult::error(std::move(text), bj::object{{"error", std::move(err)}});
}

BackendStatement backend_statement(const Env& env, std::string_view tool, std::string_view accepted,
                                   const std::function<sql::Verdict(std::string_view)>& check) {
  BackendStatement out;
  auto native = env.db().native_sql(accepted);
  if (!native.ok()) {
    out.failure = invalid(std::string(tool) + ": " + native.error().message);
    return out;
  }
  out.sql = std::move(*native);
  if (out.sql != accepted) {
    const auto again = check(out.sql);
    if (!again.allowed) {
      out.failure = refusal(again.rule, again.message + " (in the statement as translated for " +
                                            env.db().name() + ": " + out.sql + ")");
    }
  }
  return out;
}

std::string dialect_sentence(const db::Backend& backend) {
  if (backend.dialect() == Dialect::TSql) return "Dialect: T-SQL.";
  if (backend.accepted_sql().empty()) return "Dialect: SQLite.";
  return "Dialect: SQLite; common T-SQL (TOP, [names]) is translated.";  // database_info lists the subset
}

mcp::ToolResult refusal(std::string_view rule, std::string_view message) {
  std::string text = "Refused by the safety rule '" + std::string(rule) + "': " + std::string(message);
  return mcp::ToolResult::error(
      std::move(text),
      bj::object{{"error", bj::object{{"kind", "refused"}, {"rule", rule}, {"message", message}}}});
}

mcp::ToolAnnotations read_only_annotations() {
  mcp::ToolAnnotations a;
  a.read_only = true;
  a.destructive = false;
  a.idempotent = true;
  a.open_world = false;
  return a;
}

mcp::ToolResult success(bj::object structured, std::string text) {
  mcp::ToolResult r;
  r.structured = std::move(structured);
  r.text = std::move(text);
  return r;
}

mcp::ToolResult invalid(std::string_view message) {
  return mcp::ToolResult::error(std::string(message),
                                bj::object{{"error", bj::object{{"kind", "invalid_input"}, {"message", message}}}});
}

// ---------------------------------------------------------------- parameters

namespace {

Result<db::Value> scalar(const bj::value& v, const std::string& where) {
  switch (v.kind()) {
    case bj::kind::null: return db::Value::null();
    case bj::kind::bool_: return db::Value::boolean(v.get_bool());
    case bj::kind::int64: return db::Value::integer(v.get_int64());
    case bj::kind::uint64:
      if (v.get_uint64() > static_cast<std::uint64_t>(INT64_MAX))
        return Error::make(ErrorKind::InvalidInput, where + " is too large for a 64-bit integer");
      return db::Value::integer(static_cast<std::int64_t>(v.get_uint64()));
    case bj::kind::double_: return db::Value::real(v.get_double());
    case bj::kind::string: return db::Value::text(std::string(v.get_string()));
    default: return Error::make(ErrorKind::InvalidInput, where + " must be a string, number, boolean or null");
  }
}

}  // namespace

Result<db::Params> to_params(const bj::value* parameters) {
  db::Params out;
  if (!parameters || parameters->is_null()) return out;
  if (parameters->is_array()) {
    const auto& a = parameters->get_array();
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      auto v = scalar(a[i], "parameters[" + std::to_string(i) + "]");
      if (!v.ok()) return std::move(v).error();
      out.push_back({std::string(), std::move(*v)});
    }
    return out;
  }
  if (parameters->is_object()) {
    for (const auto& kv : parameters->get_object()) {
      if (kv.key().empty()) return Error::make(ErrorKind::InvalidInput, "parameter names must not be empty");
      auto v = scalar(kv.value(), "parameters." + std::string(kv.key()));
      if (!v.ok()) return std::move(v).error();
      out.push_back({std::string(kv.key()), std::move(*v)});
    }
    return out;
  }
  return Error::make(ErrorKind::InvalidInput,
                     "parameters must be an array (positional ? placeholders) or an object (named placeholders)");
}

// ---------------------------------------------------------------- names

std::vector<std::string> close_names(std::string_view wanted, const std::vector<std::string>& candidates,
                                     std::size_t max) {
  struct Scored {
    std::size_t score;
    std::string name;
  };
  std::vector<Scored> scored;
  const std::string w = to_lower(wanted);
  const std::size_t threshold = std::max<std::size_t>(2, wanted.size() / 3);
  for (const auto& c : candidates) {
    const std::string lc = to_lower(c);
    std::size_t d = edit_distance(w, lc);
    const bool contains = !w.empty() && (lc.find(w) != std::string::npos || (lc.size() >= 3 && w.find(lc) != std::string::npos));
    if (d <= threshold || contains) scored.push_back({contains ? std::min<std::size_t>(d, 1) : d, c});
  }
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& x, const Scored& y) { return x.score < y.score; });
  std::vector<std::string> out;
  for (auto& s : scored) {
    if (out.size() >= max) break;
    out.push_back(std::move(s.name));
  }
  return out;
}

std::string display_name(std::string_view schema_name, std::string_view name) {
  if (schema_name.empty() || iequals(schema_name, "main") || iequals(schema_name, "dbo")) return std::string(name);
  return std::string(schema_name) + "." + std::string(name);
}

namespace {

/// Reads the tokens of sql::lex (the one SQL scanner) for write_target: words, quoted identifiers
/// (unquoted on the way out), punctuation; comments never appear.
struct TokenCursor {
  std::string_view s;
  Dialect d;
  std::vector<sql::Token> toks;
  std::size_t i = 0;

  std::optional<sql::Token> peek_token() const {
    if (i >= toks.size()) return std::nullopt;
    return toks[i];
  }
  std::string_view text_of(const sql::Token& t) const { return s.substr(t.begin, t.end - t.begin); }
  /// Next token's text; `quoted` tells whether it was a delimited identifier (already unquoted).
  std::optional<std::string> next(bool* quoted = nullptr) {
    if (quoted) *quoted = false;
    auto t = peek_token();
    if (!t) return std::nullopt;
    ++i;
    if (t->kind == sql::TokenKind::QuotedIdent) {
      if (quoted) *quoted = true;
      return sql::unquote_identifier(text_of(*t), d);
    }
    return std::string(text_of(*t));
  }
  bool peek_is(std::string_view word) const {
    auto t = peek_token();
    return t && t->kind == sql::TokenKind::Word && iequals(text_of(*t), word);
  }
  bool peek_is(sql::TokenKind k) const {
    auto t = peek_token();
    return t && t->kind == k;
  }
  /// Skips `TOP (n)` / `TOP n` and a following PERCENT if present.
  void skip_top() {
    if (!peek_is("TOP")) return;
    ++i;
    if (peek_is(sql::TokenKind::LParen)) {
      int depth = 0;
      for (; i < toks.size(); ++i) {
        if (toks[i].kind == sql::TokenKind::LParen) ++depth;
        if (toks[i].kind == sql::TokenKind::RParen && --depth == 0) break;
      }
    }
    ++i;
    if (peek_is("PERCENT")) ++i;
  }
  std::optional<std::string> qualified_name() {
    bool q = false;
    auto a = next(&q);
    if (!a || (!q && !std::isalpha(static_cast<unsigned char>((*a)[0])) && (*a)[0] != '_' && (*a)[0] != '#')) return std::nullopt;
    if (!peek_is(sql::TokenKind::Dot)) return *a;
    ++i;
    auto b = next(&q);
    if (!b) return std::nullopt;
    if (!peek_is(sql::TokenKind::Dot)) return display_name(*a, *b);
    ++i;  // db.schema.table: keep schema.table
    auto c = next(&q);
    if (!c) return std::nullopt;
    return display_name(*b, *c);
  }
};

}  // namespace

std::optional<std::string> write_target(std::string_view sql_text, Dialect dialect) {
  auto lexed = sql::lex(sql_text, dialect);
  if (!lexed.error_rule.empty()) return std::nullopt;
  TokenCursor lx{sql_text, dialect, std::move(lexed.tokens)};
  const bool insert = lx.peek_is("INSERT") || lx.peek_is("REPLACE");
  const bool update = lx.peek_is("UPDATE");
  const bool del = lx.peek_is("DELETE");
  if (!insert && !update && !del) return std::nullopt;
  ++lx.i;
  lx.skip_top();
  if (lx.peek_is("OR") && !del) lx.i += 2;  // INSERT OR REPLACE, UPDATE OR ROLLBACK
  if (insert && lx.peek_is("INTO")) ++lx.i;
  if (del && lx.peek_is("FROM")) ++lx.i;
  return lx.qualified_name();
}

// ---------------------------------------------------------------- JSON renderings

bj::object table_info_json(const db::TableInfo& t) {
  bj::object o{{"schema", t.schema}, {"name", t.name}, {"type", t.type}};
  if (t.row_count) o["row_count"] = *t.row_count;
  return o;
}

namespace {

bj::array strings(const std::vector<std::string>& v) {
  bj::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.push_back(bj::string(s));
  return a;
}

bj::object fk_json(const db::ForeignKeyInfo& f, bool with_source) {
  bj::object o;
  o["name"] = f.name;
  if (with_source) {
    o["schema"] = f.schema;
    o["table"] = f.table;
  }
  o["columns"] = strings(f.columns);
  o["ref_schema"] = f.ref_schema;
  o["ref_table"] = f.ref_table;
  o["ref_columns"] = strings(f.ref_columns);
  o["on_delete"] = f.on_delete;
  o["on_update"] = f.on_update;
  return o;
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

}  // namespace

bj::object description_json(const db::TableDescription& d) {
  bj::object o;
  o["table"] = table_info_json(d.table);
  bj::array cols;
  cols.reserve(d.columns.size());
  for (const auto& c : d.columns) {
    bj::object co{{"name", c.name}, {"type", c.type}, {"nullable", c.nullable}};
    if (c.default_value) co["default"] = *c.default_value;
    if (c.identity) co["identity"] = true;
    if (c.computed) co["computed"] = true;
    if (c.computed_definition) co["computed_definition"] = *c.computed_definition;
    if (c.collation) co["collation"] = *c.collation;
    if (std::find(d.primary_key.begin(), d.primary_key.end(), c.name) != d.primary_key.end()) co["primary_key"] = true;
    cols.push_back(std::move(co));
  }
  o["columns"] = std::move(cols);
  o["primary_key"] = strings(d.primary_key);
  bj::array fks, refs, idx, checks;
  for (const auto& f : d.foreign_keys) fks.push_back(fk_json(f, false));
  for (const auto& f : d.referenced_by) refs.push_back(fk_json(f, true));
  for (const auto& i : d.indexes) {
    bj::object io{{"name", i.name}, {"unique", i.unique}, {"primary_key", i.primary_key}, {"type", i.type},
                  {"columns", strings(i.columns)}};
    if (i.filter) io["filter"] = *i.filter;
    idx.push_back(std::move(io));
  }
  for (const auto& c : d.checks) checks.push_back(bj::object{{"name", c.name}, {"definition", c.definition}});
  o["foreign_keys"] = std::move(fks);
  o["referenced_by"] = std::move(refs);
  o["indexes"] = std::move(idx);
  o["checks"] = std::move(checks);
  return o;
}

std::string description_text(const db::TableDescription& d) {
  std::string s = "Table " + display_name(d.table.schema, d.table.name) + " (" + d.table.type;
  if (d.table.row_count) s += ", ~" + std::to_string(*d.table.row_count) + " rows";
  s += ")\nColumns:\n";
  for (const auto& c : d.columns) {
    s += "  " + c.name + " " + c.type + (c.nullable ? " NULL" : " NOT NULL");
    if (std::find(d.primary_key.begin(), d.primary_key.end(), c.name) != d.primary_key.end()) s += " PK";
    if (c.identity) s += " IDENTITY";
    if (c.default_value) s += " DEFAULT " + *c.default_value;
    if (c.computed) s += " AS " + c.computed_definition.value_or("(computed)");
    s += "\n";
  }
  if (!d.primary_key.empty()) s += "Primary key: (" + join(d.primary_key) + ")\n";
  for (const auto& f : d.foreign_keys) {
    s += "Foreign key: (" + join(f.columns) + ") -> " + display_name(f.ref_schema, f.ref_table) + "(" +
         join(f.ref_columns) + ")";
    if (!f.on_delete.empty() && f.on_delete != "NO ACTION") s += " ON DELETE " + f.on_delete;
    s += "\n";
  }
  for (const auto& f : d.referenced_by) {
    s += "Referenced by: " + display_name(f.schema, f.table) + "(" + join(f.columns) + ") -> (" + join(f.ref_columns) +
         ")\n";
  }
  for (const auto& i : d.indexes) {
    s += "Index: " + i.name + (i.primary_key ? " PRIMARY KEY" : i.unique ? " UNIQUE" : "") +
         (i.type.empty() ? "" : " " + i.type) + " (" + join(i.columns) + ")";
    if (i.filter) s += " WHERE " + *i.filter;
    s += "\n";
  }
  for (const auto& c : d.checks) s += "Check: " + c.name + " " + c.definition + "\n";
  return s;
}

bj::object pool_json(const db::PoolStats& s) {
  return bj::object{{"max_size", i64(s.max_size)}, {"open", i64(s.open)},       {"in_use", i64(s.in_use)},
                    {"waits", i64(s.waits)},       {"created", i64(s.created)}, {"discarded", i64(s.discarded)}};
}

bj::object recent_json(const OutcomeRing::Summary& s) {
  bj::object o{{"window", i64(s.window)},
               {"calls", i64(s.calls)},
               {"errors", i64(s.errors)},
               {"error_rate", s.calls ? static_cast<double>(s.errors) / static_cast<double>(s.calls) : 0.0},
               {"total_calls", i64(s.total_calls)},
               {"total_errors", i64(s.total_errors)}};
  bj::array last;
  for (const auto& e : s.last_errors) last.push_back(bj::object{{"tool", e.tool}, {"error", e.error}});
  o["last_errors"] = std::move(last);
  return o;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(us) / 1000.0;
}

// ---------------------------------------------------------------- database helpers

Result<double> ping_database(Env& env, mcp::CallContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  auto conn = env.acquire(ctx);
  if (!conn.ok()) return std::move(conn).error();
  auto r = (*conn)->execute("SELECT 1", {}, nullptr, env.exec_options(ctx, true));
  if (!r.ok()) return std::move(r).error();
  return ms_since(t0);
}

Result<std::vector<db::TableInfo>> all_tables(Env& env, mcp::CallContext& ctx, bool include_views) {
  auto conn = env.acquire(ctx);
  if (!conn.ok()) return std::move(conn).error();
  db::ListTablesOptions o;
  o.include_views = include_views;
  return env.db().list_tables(**conn, o);
}

Result<db::TableDescription> find_table(Env& env, mcp::CallContext& ctx, std::string_view table_name) {
  auto parsed = sql::parse_qualified_name(table_name, env.dialect());
  if (!parsed)
    return Error::make(ErrorKind::InvalidInput,
                       "'" + std::string(table_name.substr(0, 200)) +
                           "' is not a valid table name; use name, schema.name or a bracketed/quoted form");
  auto conn = env.acquire(ctx);
  if (!conn.ok()) return std::move(conn).error();
  auto d = env.db().describe_table(**conn, db::QualifiedName{parsed->schema, parsed->name});
  if (!d.ok()) return std::move(d).error();
  if (*d) return std::move(**d);
  // Unknown: suggest close names from the real catalog.
  db::ListTablesOptions o;
  o.include_views = true;
  auto tables = env.db().list_tables(**conn, o);
  std::vector<std::string> names;
  if (tables.ok()) {
    for (const auto& t : *tables) names.push_back(display_name(t.schema, t.name));
  }
  auto close = close_names(parsed->schema.empty() ? parsed->name : parsed->schema + "." + parsed->name, names);
  if (close.empty() && !parsed->schema.empty()) close = close_names(parsed->name, names);
  std::string msg = "table '" + std::string(table_name.substr(0, 200)) + "' does not exist";
  if (!close.empty()) {
    msg += "; did you mean ";
    for (std::size_t i = 0; i < close.size(); ++i) msg += (i ? ", " : "") + close[i];
    msg += "?";
  } else {
    msg += "; call list_tables to see the tables";
  }
  return Error::make(ErrorKind::NotFound, std::move(msg));
}

}  // namespace azsql::tools::detail
