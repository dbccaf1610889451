// Statement tools: read_data, explain_query, insert_data, update_data (PRODUCT.md §4, §5).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "common/signed_token.hpp"
#include "sql/classifier.hpp"
#include "sql/identifier.hpp"
#include "tools/row_encoder.hpp"
#include "tools/support.hpp"

namespace azsql::tools::detail {

namespace {

// Tool definitions say what a model needs and no more (issue 17: every conversation pays them on every
// turn; `make bench` counts their tokens). Values are checked by to_params (scalars only), so the schema
// does not repeat the scalar types.
constexpr const char* kParametersSchema =
    R"({"type":["array","object"],"description":"Values for ? or @name placeholders"})";

// ---------------------------------------------------------------- read_data

/// A read tool's refusal; in read-only mode a write is also told that no tool can make it.
mcp::ToolResult read_refusal(const sql::Verdict& v, const Env& env) {
  using K = sql::StatementKind;
  const bool write = v.kind == K::Insert || v.kind == K::Update || v.kind == K::Delete || v.kind == K::Merge ||
                     v.kind == K::Ddl;
  if (!env.cfg.read_only || !write) return refusal(v.rule, v.message);
  return refusal(v.rule, v.message + ". This server is read-only (MCP_READ_ONLY): no tool can change data");
}

/// FNV-1a 64 over `data`, continuing from `h` (change detection only; cursors are HMAC-signed).
std::uint64_t fnv1a(std::uint64_t h, std::string_view data) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= 0xFF;  // row separator
  return h * 1099511628211ull;
}
constexpr std::uint64_t kFnvBasis = 14695981039346656037ull;

/// A row's contribution to the cursor hash: its text line (lossless, tests/e2e/result_text) and the kind
/// of each value (the text of 5 and of '5' are the same).
std::uint64_t row_hash(std::uint64_t h, const db::Row& row, std::string_view line) {
  for (const auto& v : row) {
    h ^= static_cast<std::uint64_t>(v.kind);
    h *= 1099511628211ull;
  }
  return fnv1a(h, line);
}

/// Streams one result set into JSON rows and the text-table rendering, stopping at the row limit or
/// the byte budget (the driver then cancels the rest of the statement server-side). With a cursor it
/// first skips the `skip` rows earlier pages returned, hashing them: `changed_` when they differ.
class ReadSink final : public db::RowSink {
 public:
  ReadSink(std::size_t limit, std::size_t max_bytes, mcp::CallContext& ctx, std::size_t skip = 0,
           std::uint64_t expected = kFnvBasis)
      : limit_(limit), max_bytes_(max_bytes), ctx_(ctx), skip_(skip), expected_(expected) {}

  void columns(const std::vector<db::Column>& cols) override {
    if (++result_sets_ > 1) return;
    cols_ = cols;
    // The text rendering is built in place: a `name:type` header line, one line per row (row_encoder.hpp),
    // then a footer added by the tool.
    append_text_header(cols_, text_);
  }

  static std::string type_of(const db::Column& c) { return c.type.empty() ? json_type_of(c.kind) : c.type; }

  bool row(const db::Row& row) override {
    if (result_sets_ > 1) return false;  // one statement → one result set; ignore anything else
    if (skipped_ < skip_) {
      scratch_.clear();
      append_text_row(row, scratch_);
      hash_ = row_hash(hash_, row, scratch_);
      if (++skipped_ == skip_ && hash_ != expected_) changed_ = true;
      return !changed_;
    }
    if (count_ >= limit_) {
      truncated_ = true;
      reason_ = "limit";
      return false;
    }
    // The budget counts the rows as JSON (structuredContent, the larger form: a text line is never longer
    // than the row's JSON array); append_text_row reports that size without encoding the row twice.
    const std::size_t before = text_.size();
    std::size_t n = 0;
    append_text_row(row, text_, &n);
    if (bytes_ + n > max_bytes_) {
      text_.resize(before);
      truncated_ = true;
      reason_ = "max_result_bytes";
      return false;
    }
    hash_ = row_hash(hash_, row, std::string_view(text_).substr(before));  // for the next page's cursor check
    bytes_ += n;
    rows_.push_back(to_json_row(row));
    ++count_;
    if (count_ % 1000 == 0) ctx_.progress(static_cast<double>(count_), static_cast<double>(limit_), "rows read");
    return true;
  }

  std::size_t limit_, max_bytes_;
  mcp::CallContext& ctx_;
  int result_sets_ = 0;
  std::vector<db::Column> cols_;
  bj::array rows_;
  std::string text_, scratch_;
  std::size_t bytes_ = 0, count_ = 0;
  bool truncated_ = false;
  std::string reason_;
  // cursor
  std::size_t skip_ = 0, skipped_ = 0;
  std::uint64_t expected_, hash_ = kFnvBasis;
  bool changed_ = false;
};

/// Where a read_data page ended: signed, bound to the session, the user and the query, expiring.
struct CursorPos {
  std::size_t offset = 0;
  std::uint64_t hash = kFnvBasis;  ///< over every row returned before `offset`
};

std::string u64_hex(std::uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::uint64_t query_key(std::string_view query, const bj::value* params) {
  return fnv1a(fnv1a(kFnvBasis, query), params ? json::dump(*params) : std::string());
}

/// The authenticated user a cursor is bound to ("tid/oid"); empty without per-user identity, where the
/// session alone binds it.
std::string cursor_owner(const mcp::CallContext& ctx) {
  const mcp::Caller* c = ctx.caller();
  return c ? c->tenant_id + "/" + c->object_id : std::string();
}

std::string issue_cursor(const mcp::CallContext& ctx, std::uint64_t qkey, const CursorPos& pos,
                         std::chrono::seconds ttl) {
  return TokenSigner::process().sign(
      bj::object{{"k", "read_data"}, {"sid", ctx.client().session_id}, {"u", cursor_owner(ctx)}, {"q", u64_hex(qkey)},
                 {"o", static_cast<std::int64_t>(pos.offset)}, {"h", u64_hex(pos.hash)}},
      ttl);
}

/// The position a cursor names, or the message that says why it cannot be used.
Result<CursorPos> open_cursor(std::string_view token, const mcp::CallContext& ctx, std::uint64_t qkey,
                              std::chrono::seconds ttl) {
  auto v = TokenSigner::process().verify(token);
  const auto bad = [](std::string m) { return Error::make(ErrorKind::InvalidInput, std::move(m)); };
  if (v.status == TokenSigner::Status::Expired)
    return bad("the cursor expired (cursors are valid for " + std::to_string(ttl.count()) +
               " s, MCP_CURSOR_TTL); run the query again without cursor to start over");
  const auto& p = v.payload;
  if (v.status != TokenSigner::Status::Ok || json::get_string(p, "k").value_or("") != "read_data")
    return bad("the cursor is not valid (altered, truncated, or issued by another server process); run the query "
               "again without cursor");
  if (json::get_string(p, "u").value_or("") != cursor_owner(ctx))
    return bad("the cursor belongs to another user; run the query again without cursor");
  if (json::get_string(p, "sid").value_or("") != ctx.client().session_id)
    return bad("the cursor belongs to another session; run the query again without cursor");
  if (json::get_string(p, "q").value_or("") != u64_hex(qkey))
    return bad("the cursor was issued for a different query or parameters; pass the same query and parameters "
               "with it");
  CursorPos pos;
  pos.offset = static_cast<std::size_t>(std::max<std::int64_t>(0, json::get_int(p, "o").value_or(0)));
  pos.hash = std::strtoull(std::string(json::get_string(p, "h").value_or("")).c_str(), nullptr, 16);
  return pos;
}

class ReadData final : public BaseTool {
 public:
  explicit ReadData(const std::shared_ptr<Env>& env) : BaseTool(env, def(env->cfg)) {
    def_.description += " " + dialect_sentence(*env->backend);
  }

  static mcp::ToolDefinition def(const ToolsConfig& cfg) {
    mcp::ToolDefinition d;
    d.name = "read_data";
    d.title = "Run a read-only query";
    d.description = "Run one read-only query (SELECT or WITH ... SELECT); anything else is refused. Returns at most "
                    "limit rows (default " + std::to_string(cfg.default_row_limit) + ", max " +
                    std::to_string(cfg.max_row_limit) +
                    ") as CSV lines under a name:type header; NULL is null, quoted fields are JSON strings.";
    auto in = schema(R"({"type":"object","properties":{
      "query":{"type":"string","maxLength":1000000},"limit":{"type":"integer","minimum":1},
      "cursor":{"type":"string","maxLength":4096,"description":"next_cursor of the previous page"}},
      "required":["query"],"additionalProperties":false})");
    in["properties"].as_object()["parameters"] = schema(kParametersSchema);
    d.input_schema = std::move(in);
    auto out = schema(R"({"type":"object","properties":{
      "columns":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"type":{"type":"string"}},"required":["name","type"]}},
      "rows":{"type":"array","items":{"type":"array"}},
      "row_count":{"type":"integer"},"truncated":{"type":"boolean"},
      "truncated_reason":{"type":"string","enum":["limit","max_result_bytes"]},
      "limit":{"type":"integer"},"elapsed_ms":{"type":"number"},
      "next_cursor":{"type":"string"},"offset":{"type":"integer"},
      "notes":{"type":"array","items":{"type":"string"}}}})");
    d.output_schema = with_error_variant(std::move(out), {"columns", "rows", "row_count", "truncated", "limit"});
    d.annotations = read_only_annotations();
    d.task_support = mcp::TaskSupport::Optional;  // a long query can run as a task (tasks/get, tasks/cancel)
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    const auto& cfg = env_->cfg;
    const std::string_view original = json::get_string(args, "query").value_or("");
    auto verdict = sql::check_read(original, env_->dialect());
    if (!verdict.allowed) return read_refusal(verdict, *env_);
    auto native = backend_statement(*env_, "read_data", original,
                                    [&](std::string_view t) { return sql::check_read(t, env_->dialect()); });
    if (native.failure) return std::move(*native.failure);
    const std::string_view query = native.sql;
    const bj::value* pv = args.if_contains("parameters");
    auto params = to_params(pv);
    if (!params.ok()) return invalid("read_data: " + params.error().message);

    std::vector<std::string> notes;
    std::size_t limit = cfg.default_row_limit;
    if (auto l = json::get_int(args, "limit")) {
      limit = static_cast<std::size_t>(std::max<std::int64_t>(1, *l));
      if (limit > cfg.max_row_limit) {
        notes.push_back("limit " + std::to_string(limit) + " exceeds the server maximum (MCP_MAX_ROW_LIMIT); clamped to " +
                        std::to_string(cfg.max_row_limit));
        limit = cfg.max_row_limit;
      }
    }

    const auto qkey = query_key(query, pv);
    CursorPos start;
    if (auto c = json::get_string(args, "cursor"); c && !c->empty()) {
      auto pos = open_cursor(*c, ctx, qkey, cfg.cursor_ttl);
      if (!pos.ok()) return invalid("read_data: " + pos.error().message);
      start = *pos;
    }

    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "read_data", env_->dialect(), env_->timeout_for(ctx));
    ReadSink sink(limit, cfg.max_result_bytes, ctx, start.offset, start.hash);
    const auto t0 = std::chrono::steady_clock::now();
    auto summary = (*conn)->execute(query, *params, &sink, env_->exec_options(ctx, true));
    const double elapsed = ms_since(t0);
    if (!summary.ok()) return error_result(summary.error(), "read_data", env_->dialect(), env_->timeout_for(ctx));
    if (sink.changed_ || sink.skipped_ < start.offset) {
      const std::string msg =
          "the result changed since the previous page (rows were inserted, deleted or came back in another order), "
          "so continuing could repeat or miss rows";
      const std::string hint = "Run the query again without cursor; add ORDER BY on a unique key for a stable order.";
      return mcp::ToolResult::error("read_data: " + msg + ". " + hint,
                                    bj::object{{"error", bj::object{{"kind", "cursor_stale"}, {"message", msg},
                                                                    {"hint", hint}}}});
    }

    bj::array cols;
    for (const auto& c : sink.cols_) cols.push_back(bj::object{{"name", c.name}, {"type", ReadSink::type_of(c)}});
    std::string text = std::move(sink.text_);
    if (sink.result_sets_ == 0) text = "(no result set)\n";
    text += "\n(" + std::to_string(sink.count_) + (sink.count_ == 1 ? " row)" : " rows)");  // blank line: rows end
    std::string next;
    if (start.offset)
      text += "; rows " + std::to_string(start.offset + 1) + "–" + std::to_string(start.offset + sink.count_);
    if (sink.truncated_) {
      if (sink.reason_ == "limit") {
        text += "; truncated: the limit of " + std::to_string(limit) + " rows was reached and more rows exist";
      } else {
        text += "; truncated: the result reached the " + std::to_string(cfg.max_result_bytes) +
                "-byte budget (MCP_MAX_RESULT_BYTES)";
      }
      if (sink.count_ > 0) {
        next = issue_cursor(ctx, qkey, CursorPos{start.offset + sink.count_, sink.hash_}, cfg.cursor_ttl);
        text += "; next page: call read_data again with the same query and parameters and cursor \"" + next + "\"";
      }
    }
    for (const auto& n : notes) text += "\nNote: " + n;

    bj::object out{{"columns", std::move(cols)},       {"rows", std::move(sink.rows_)},
                   {"row_count", i64(sink.count_)},         {"truncated", sink.truncated_},
                   {"limit", i64(limit)},                   {"elapsed_ms", elapsed}};
    if (sink.truncated_) out["truncated_reason"] = sink.reason_;
    if (!next.empty()) out["next_cursor"] = std::move(next);
    if (start.offset) out["offset"] = i64(start.offset);
    if (!notes.empty()) {
      bj::array na;
      for (auto& n : notes) na.push_back(bj::string(n));
      out["notes"] = std::move(na);
    }
    return success(std::move(out), std::move(text));
  }
};

// ---------------------------------------------------------------- explain_query

class ExplainQuery final : public BaseTool {
 public:
  explicit ExplainQuery(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "explain_query";
    d.title = "Explain a query plan";
    d.description = "Show the estimated plan of one read-only query without running it: operators with estimated "
                    "rows and cost, scans, missing indexes. Use it when a query is slow.";
    auto in = schema(R"({"type":"object","properties":{"query":{"type":"string","maxLength":1000000}},
      "required":["query"],"additionalProperties":false})");
    in["properties"].as_object()["parameters"] = schema(kParametersSchema);
    d.input_schema = std::move(in);
    auto out = schema(R"({"type":"object","properties":{
      "plan":{"type":"array","items":{"type":"object","properties":{"id":{"type":"integer"},"parent":{"type":"integer"},
        "op":{"type":"string"},"detail":{"type":"string"},"estimated_rows":{"type":"number"},"estimated_cost":{"type":"number"}},
        "required":["id","parent","op"]}},
      "missing_indexes":{"type":"array","items":{"type":"string"}},
      "warnings":{"type":"array","items":{"type":"string"}},
      "total_cost":{"type":"number"}}})");
    d.output_schema = with_error_variant(std::move(out), {"plan", "missing_indexes", "warnings"});
    d.annotations = read_only_annotations();
    d.task_support = mcp::TaskSupport::Optional;  // a long query can run as a task (tasks/get, tasks/cancel)
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    const std::string_view original = json::get_string(args, "query").value_or("");
    auto verdict = sql::check_read(original, env_->dialect());
    if (!verdict.allowed) return read_refusal(verdict, *env_);
    auto native = backend_statement(*env_, "explain_query", original,
                                    [&](std::string_view t) { return sql::check_read(t, env_->dialect()); });
    if (native.failure) return std::move(*native.failure);
    const std::string_view query = native.sql;
    auto params = to_params(args.if_contains("parameters"));
    if (!params.ok()) return invalid("explain_query: " + params.error().message);
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "explain_query", env_->dialect(), env_->timeout_for(ctx));
    auto plan = env_->db().explain(**conn, query, *params, env_->exec_options(ctx, true));
    if (!plan.ok()) return error_result(plan.error(), "explain_query", env_->dialect(), env_->timeout_for(ctx));
    return success(plan_json(*plan), plan_text(*plan));
  }

 public:
  static bj::object plan_json(const db::Plan& p) {
    bj::array nodes, mi, w;
    for (const auto& n : p.nodes) {
      bj::object o{{"id", n.id}, {"parent", n.parent}, {"op", n.op}, {"detail", n.detail}};
      if (n.estimated_rows) o["estimated_rows"] = *n.estimated_rows;
      if (n.estimated_cost) o["estimated_cost"] = *n.estimated_cost;
      nodes.push_back(std::move(o));
    }
    for (const auto& s : p.missing_indexes) mi.push_back(bj::string(s));
    for (const auto& s : p.warnings) w.push_back(bj::string(s));
    bj::object out{{"plan", std::move(nodes)}, {"missing_indexes", std::move(mi)}, {"warnings", std::move(w)}};
    if (p.total_cost) out["total_cost"] = *p.total_cost;
    return out;
  }
};

}  // namespace

std::string plan_text(const db::Plan& p) {
  std::map<int, int> depth;
  std::string s = "Plan:\n";
  for (const auto& n : p.nodes) {
    auto it = depth.find(n.parent);
    const int dd = it == depth.end() ? 0 : it->second + 1;
    depth[n.id] = dd;
    s += std::string(static_cast<std::size_t>(dd) * 2 + 2, ' ') + "- " + n.op;
    if (!n.detail.empty() && n.detail != n.op) s += " " + n.detail;
    if (n.estimated_rows) {
      char b[48];
      std::snprintf(b, sizeof b, " (rows ~%.4g", *n.estimated_rows);
      s += b;
      if (n.estimated_cost) {
        std::snprintf(b, sizeof b, ", cost %.4g", *n.estimated_cost);
        s += b;
      }
      s += ")";
    }
    s += "\n";
  }
  if (p.total_cost) {
    char b[48];
    std::snprintf(b, sizeof b, "Estimated total cost: %.4g\n", *p.total_cost);
    s += b;
  }
  for (const auto& m : p.missing_indexes) s += "Missing index: " + m + "\n";
  for (const auto& w : p.warnings) s += "Warning: " + w + "\n";
  return s;
}

namespace {

// ---------------------------------------------------------------- writes

mcp::ToolAnnotations writes_annotations(bool destructive) {
  mcp::ToolAnnotations a;
  a.read_only = false;
  a.destructive = destructive;
  a.idempotent = false;
  a.open_world = false;
  return a;
}

void notify_changed(const Env& env, mcp::CallContext& ctx, const std::optional<std::string>& table) {
  ctx.resources_updated(env.changed_uris(table));
}

std::string placeholder(std::size_t i) { return "@p" + std::to_string(i); }

/// Captures what a T-SQL insert batch selects after the INSERT: SCOPE_IDENTITY() and @@ROWCOUNT.
class KeySink final : public db::RowSink {
 public:
  /// The suffix's result set is the last one; an INSERT ... OUTPUT set before it is read and ignored
  /// (never stopped early: stopping would cancel the rest of the batch).
  void columns(const std::vector<db::Column>&) override {
    first_row_ = true;
    key.reset();
    count.reset();
  }
  bool row(const db::Row& row) override {
    if (!first_row_) return true;
    first_row_ = false;
    if (row.size() >= 1) key = as_int(row[0]);
    if (row.size() >= 2) count = as_int(row[1]);
    return true;
  }
  static std::optional<std::int64_t> as_int(const db::Value& v) {
    if (v.kind == db::Value::Kind::Int) return v.i;
    if (v.kind == db::Value::Kind::Decimal) {
      std::int64_t n = 0;
      auto res = std::from_chars(v.s.data(), v.s.data() + v.s.size(), n);
      if (res.ec == std::errc()) return n;
    }
    return std::nullopt;
  }
  std::optional<std::int64_t> key, count;

 private:
  bool first_row_ = true;
};

/// SQL Server reports no insert id by itself: the same batch selects SCOPE_IDENTITY() (the identity value
/// generated by this INSERT in this scope; NULL when the table has none) and @@ROWCOUNT (the INSERT's row
/// count as the server saw it, independent of how DONE tokens are ordered). The newline ends a trailing
/// `--` comment of the statement; the statement itself was checked to be exactly one INSERT.
constexpr std::string_view kTsqlIdentitySuffix =
    "\n;SELECT CAST(SCOPE_IDENTITY() AS bigint) AS generated_key, @@ROWCOUNT AS inserted_rows";

constexpr std::int64_t kDefaultMaxRows = 1000;

/// A write run under max_rows (PRODUCT.md §5): what the tool answers, or the committed row count.
struct GuardedWrite {
  std::optional<mcp::ToolResult> answer;  ///< set when the tool answers with it (error, declined, over the limit)
  std::int64_t rows = 0;                  ///< rows changed (committed)
  bool confirmed = false;                 ///< the user confirmed more than max_rows
  std::optional<std::int64_t> last_insert_id;
};

GuardedWrite answered(mcp::ToolResult r) {
  GuardedWrite g;
  g.answer = std::move(r);
  return g;
}

/// Runs `exec` in a transaction. When it changes more than `max_rows` rows everything is rolled back; a
/// client that can confirm (elicitation; 2026-07-28: a multi-round-trip request whose integrity-protected
/// requestState names this statement and the confirmed count) is asked first, and the statement then runs
/// again and commits only if it changes no more rows than confirmed. `op` names the statement ("UPDATE",
/// "INSERT", …) in messages; `key` identifies it in requestState.
GuardedWrite run_guarded(Env& env, mcp::CallContext& ctx, db::Connection& conn, const std::string& tool,
                         const std::string& op, std::string_view key, std::int64_t max_rows,
                         const std::optional<std::string>& target, const std::function<Result<db::ExecSummary>()>& exec) {
  const Dialect dl = env.dialect();
  const auto t0 = std::chrono::steady_clock::now();
  GuardedWrite g;
  std::int64_t limit = max_rows;
  const bj::value& state = ctx.round_state();
  for (int attempt = 0; attempt < 2; ++attempt) {
    db::Transaction tx(conn);
    if (auto s = tx.begin(); !s.ok()) return answered(error_result(s.error(), tool, dl, env.timeout_for(ctx)));
    auto r = exec();
    if (!r.ok()) return answered(error_result(r.error(), tool + " (rolled back)", dl, env.timeout_for(ctx)));
    const std::int64_t n = r->rows_affected;
    g.last_insert_id = r->last_insert_id;
    if (n <= limit) {
      if (auto s = tx.commit(); !s.ok()) return answered(error_result(s.error(), tool + " (commit)", dl, env.timeout_for(ctx)));
      g.rows = n;
      return g;
    }
    if (auto s = tx.rollback(); !s.ok()) return answered(error_result(s.error(), tool + " (rollback)", dl, env.timeout_for(ctx)));
    if (attempt == 0 && !ctx.cancel().cancelled()) {
      ctx.set_round_state(bj::object{{"sql", key}, {"rows", n}});
      const std::string question = op + " would change " + std::to_string(n) + " rows, more than max_rows " +
                                   std::to_string(max_rows) + ". Apply it?";
      const auto c = ctx.confirm("confirm_" + (tool == "insert_data" ? std::string("insert") : std::string("update")), question);
      if (c == mcp::Confirmation::Pending) return answered(invalid(tool + ": waiting for the user's confirmation"));
      if (c == mcp::Confirmation::Declined) {
        bj::object out{{"operation", op}, {"rows_affected", n}, {"committed", false}, {"max_rows", max_rows},
                       {"confirmed", false}, {"elapsed_ms", ms_since(t0)},
                       {"error", bj::object{{"kind", "declined"}, {"rule", "max_rows"},
                                            {"message", "the user declined the change; nothing changed"}}}};
        if (target) out["table"] = *target;
        return answered(mcp::ToolResult::error(tool + ": the user declined to change " + std::to_string(n) +
                                           " rows; it was rolled back and nothing changed.",
                                       std::move(out)));
      }
      if (c == mcp::Confirmation::Accepted) {
        // 2025 revisions and tasks asked just now (the user saw n); a 2026-07-28 retry carries the
        // count the user saw in requestState.
        std::int64_t allowed = n;
        if (ctx.client().protocol_version >= "2026-07-28" && ctx.task_id().empty()) {
          const bj::value* so = state.is_object() ? state.get_object().if_contains("rows") : nullptr;
          const bj::value* ss = state.is_object() ? state.get_object().if_contains("sql") : nullptr;
          allowed = so && so->is_int64() && ss && ss->is_string() && ss->get_string() == key ? so->get_int64() : -1;
        }
        if (allowed >= 0) {
          limit = allowed;
          g.confirmed = true;
          continue;  // run it again; commit only if it still changes no more rows than confirmed
        }
      }
    }
    std::string msg = op + " would change " + std::to_string(n) + " rows, more than " +
                      (g.confirmed ? "the " + std::to_string(limit) + " rows the user confirmed"
                                   : "max_rows " + std::to_string(max_rows)) +
                      "; it was rolled back and nothing changed";
    std::string text = tool + ": " + msg +
                       (tool == "insert_data" ? ". Narrow the SELECT, or pass a larger max_rows if inserting that many rows is intended."
                                              : ". Narrow the WHERE clause, or pass a larger max_rows if changing that many rows is intended.");
    bj::object out{{"operation", op},          {"rows_affected", n},           {"committed", false},
                   {"max_rows", max_rows},     {"elapsed_ms", ms_since(t0)},
                   {"error", bj::object{{"kind", "limit"}, {"rule", "max_rows"}, {"message", msg}}}};
    if (target) out["table"] = *target;
    return answered(mcp::ToolResult::error(std::move(text), std::move(out)));
  }
  return g;
}

class InsertData final : public BaseTool {
 public:
  explicit InsertData(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "insert_data";
    d.title = "Insert rows";
    d.description = "Insert rows in one transaction (all or nothing): either sql (one INSERT, max_rows guarded) or "
                    "table + rows (objects of column: value). Returns rows affected and generated keys.";
    auto in = schema(R"({"type":"object","properties":{
      "sql":{"type":"string","maxLength":1000000},"max_rows":{"type":"integer","minimum":0},"table":{"type":"string"},
      "rows":{"type":"array","minItems":1,"maxItems":1000,"items":{"type":"object"}}},
      "anyOf":[{"required":["sql"]},{"required":["table","rows"]}],"additionalProperties":false})");
    in["properties"].as_object()["parameters"] = schema(kParametersSchema);
    d.input_schema = std::move(in);
    auto out = schema(R"({"type":"object","properties":{
      "rows_affected":{"type":"integer"},"last_insert_id":{"type":"integer"},
      "generated_keys":{"type":"array","items":{"type":"integer"}},
      "table":{"type":"string"},"elapsed_ms":{"type":"number"},
      "operation":{"type":"string"},"committed":{"type":"boolean"},"max_rows":{"type":"integer"},
      "confirmed":{"type":"boolean","description":"true when the user confirmed inserting more than max_rows rows"}}})");
    d.output_schema = with_error_variant(std::move(out), {"rows_affected"});
    d.annotations = writes_annotations(false);
    d.writes = true;
    d.task_support = mcp::TaskSupport::Optional;  // a long query can run as a task (tasks/get, tasks/cancel)
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    const auto sql_text = json::get_string(args, "sql");
    const auto table = json::get_string(args, "table");
    const auto* rows = json::get_array(args, "rows");
    if (sql_text && (table || rows)) return invalid("insert_data: pass either `sql` or `table` + `rows`, not both");
    if (sql_text) return run_sql(*sql_text, args.if_contains("parameters"), json::get_int(args, "max_rows").value_or(kDefaultMaxRows), ctx);
    if (args.contains("max_rows")) return invalid("insert_data: `max_rows` goes with `sql` (with `rows` you list every row)");
    if (!table || !rows) return invalid("insert_data: `table` and `rows` go together");
    if (args.contains("parameters")) return invalid("insert_data: `parameters` goes with `sql`; `rows` carry their own values");
    return run_rows(*table, *rows, ctx);
  }

 private:
  mcp::ToolResult run_sql(std::string_view original, const bj::value* pv, std::int64_t max_rows, mcp::CallContext& ctx) {
    auto verdict = sql::check_insert(original, env_->dialect());
    if (!verdict.allowed) return refusal(verdict.rule, verdict.message);
    auto native = backend_statement(*env_, "insert_data", original,
                                    [&](std::string_view t) { return sql::check_insert(t, env_->dialect()); });
    if (native.failure) return std::move(*native.failure);
    const std::string_view sql_text = native.sql;
    auto params = to_params(pv);
    if (!params.ok()) return invalid("insert_data: " + params.error().message);
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "insert_data", env_->dialect(), env_->timeout_for(ctx));
    const auto t0 = std::chrono::steady_clock::now();
    const bool tsql = env_->dialect() == Dialect::TSql;
    std::string batch;
    if (tsql) batch = std::string(sql_text) + std::string(kTsqlIdentitySuffix);
    auto target = write_target(sql_text, env_->dialect());
    // "Writes run in one transaction guarded by max_rows": an INSERT ... SELECT may insert any number of rows.
    auto g = run_guarded(*env_, ctx, **conn, "insert_data", "INSERT", sql_text, max_rows, target,
                         [&]() -> Result<db::ExecSummary> {
                           KeySink keys;
                           auto r = (*conn)->execute(tsql ? std::string_view(batch) : sql_text, *params,
                                                     tsql ? &keys : nullptr, env_->exec_options(ctx, false));
                           if (!r.ok()) return r;
                           if (!r->last_insert_id && keys.key) r->last_insert_id = keys.key;
                           if (keys.count) r->rows_affected = *keys.count;
                           return r;
                         });
    if (g.answer) return std::move(*g.answer);
    const double elapsed = ms_since(t0);
    if (g.rows != 0) notify_changed(*env_, ctx, target);
    const std::int64_t n = std::max<std::int64_t>(g.rows, 0);
    bj::object out{{"rows_affected", n}, {"elapsed_ms", elapsed}, {"operation", "INSERT"}, {"committed", true},
                   {"max_rows", max_rows}};
    if (g.confirmed) out["confirmed"] = true;
    std::string text = "INSERT operation completed successfully. " + std::to_string(n) + " row(s) inserted.";
    if (g.last_insert_id) {
      out["last_insert_id"] = *g.last_insert_id;
      text += " Last generated key: " + std::to_string(*g.last_insert_id) + ".";
    }
    if (target) out["table"] = *target;
    mcp::ToolResult res;
    res.structured = std::move(out);
    res.text = std::move(text);
    return res;
  }

  mcp::ToolResult run_rows(std::string_view table_name, const bj::array& rows, mcp::CallContext& ctx) {
    auto desc = find_table(*env_, ctx, table_name);
    if (!desc.ok()) {
      if (desc.error().kind == ErrorKind::NotFound || desc.error().kind == ErrorKind::InvalidInput)
        return invalid("insert_data: " + desc.error().message);
      return error_result(desc.error(), "insert_data", env_->dialect(), env_->timeout_for(ctx));
    }
    const auto& d = *desc;
    const Dialect dl = env_->dialect();
    std::string target = d.table.schema.empty() ? sql::quote_identifier(d.table.name, dl)
                                                : sql::quote_identifier(d.table.schema, dl) + "." +
                                                      sql::quote_identifier(d.table.name, dl);
    // Build every statement first: nothing runs unless every row names real columns.
    struct Stmt {
      std::string sql;
      db::Params params;
    };
    std::vector<Stmt> stmts;
    stmts.reserve(rows.size());
    for (std::size_t ri = 0; ri < rows.size(); ++ri) {
      const auto& row = rows[ri].as_object();
      Stmt st;
      std::string cols, vals;
      std::size_t k = 0;
      for (const auto& kv : row) {
        const db::ColumnInfo* col = nullptr;
        for (const auto& c : d.columns) {
          if (c.name == kv.key()) { col = &c; break; }
        }
        if (!col) {
          for (const auto& c : d.columns) {
            if (iequals(c.name, kv.key())) { col = &c; break; }
          }
        }
        if (!col) {
          std::vector<std::string> names;
          for (const auto& c : d.columns) names.push_back(c.name);
          auto close = close_names(kv.key(), names, 3);
          std::string msg = "insert_data: rows[" + std::to_string(ri) + "] names column '" + std::string(kv.key()) +
                            "', which " + display_name(d.table.schema, d.table.name) + " does not have";
          msg += close.empty() ? "" : " (did you mean " + close[0] + "?)";
          msg += "; its columns are:";
          for (const auto& n : names) msg += " " + n;
          return invalid(msg);
        }
        if (col->computed) return invalid("insert_data: column '" + col->name + "' is computed and cannot be inserted");
        db::Value value;
        const auto& jv = kv.value();
        if (jv.is_null()) value = db::Value::null();
        else if (jv.is_bool()) value = db::Value::boolean(jv.get_bool());
        else if (jv.is_int64()) value = db::Value::integer(jv.get_int64());
        else if (jv.is_uint64()) value = db::Value::integer(static_cast<std::int64_t>(jv.get_uint64()));
        else if (jv.is_double()) value = db::Value::real(jv.get_double());
        else if (jv.is_string()) value = db::Value::text(std::string(jv.get_string()));
        else return invalid("insert_data: rows[" + std::to_string(ri) + "]." + col->name + " must be a scalar");
        ++k;
        if (k > 1) {
          cols += ", ";
          vals += ", ";
        }
        cols += sql::quote_identifier(col->name, dl);
        vals += placeholder(k);
        st.params.push_back({placeholder(k), std::move(value)});
      }
      st.sql = k == 0 ? "INSERT INTO " + target + " DEFAULT VALUES"
                      : "INSERT INTO " + target + " (" + cols + ") VALUES (" + vals + ")";
      stmts.push_back(std::move(st));
    }

    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "insert_data", dl, env_->timeout_for(ctx));
    const auto t0 = std::chrono::steady_clock::now();
    db::Transaction tx(**conn);
    if (auto s = tx.begin(); !s.ok()) return error_result(s.error(), "insert_data", dl, env_->timeout_for(ctx));
    std::int64_t affected = 0;
    bj::array keys;
    std::optional<std::int64_t> last;
    const bool want_identity = dl == Dialect::TSql && std::any_of(d.columns.begin(), d.columns.end(),
                                                                   [](const db::ColumnInfo& c) { return c.identity; });
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      KeySink key_sink;
      if (want_identity) stmts[i].sql += kTsqlIdentitySuffix;
      auto r = (*conn)->execute(stmts[i].sql, stmts[i].params, want_identity ? &key_sink : nullptr,
                                env_->exec_options(ctx, false));
      if (r.ok() && !r->last_insert_id && key_sink.key) r->last_insert_id = key_sink.key;
      if (r.ok() && key_sink.count) r->rows_affected = *key_sink.count;
      if (!r.ok()) {
        auto res = error_result(r.error(), "insert_data (rows[" + std::to_string(i) + "]; nothing was inserted)", dl,
                                env_->timeout_for(ctx));
        return res;
      }
      affected += std::max<std::int64_t>(r->rows_affected, 0);
      if (r->last_insert_id) {
        keys.push_back(*r->last_insert_id);
        last = r->last_insert_id;
      }
    }
    if (auto s = tx.commit(); !s.ok()) return error_result(s.error(), "insert_data (commit)", dl, env_->timeout_for(ctx));
    const double elapsed = ms_since(t0);
    const std::string shown = display_name(d.table.schema, d.table.name);
    if (affected != 0) notify_changed(*env_, ctx, shown);
    std::string text = "INSERT operation completed successfully. " + std::to_string(affected) + " row(s) inserted into " +
                       shown + ".";
    if (!keys.empty()) {
      text += " Generated keys:";
      for (const auto& k : keys) text += " " + bj::serialize(k);
      text += ".";
    }
    bj::object out{{"rows_affected", affected}, {"table", shown}, {"elapsed_ms", elapsed}};
    if (last) out["last_insert_id"] = *last;
    if (!keys.empty()) out["generated_keys"] = std::move(keys);
    mcp::ToolResult res;
    res.structured = std::move(out);
    res.text = std::move(text);
    return res;
  }
};

class UpdateData final : public BaseTool {
 public:
  explicit UpdateData(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "update_data";
    d.title = "Update or delete rows";
    d.description = "Run one UPDATE or DELETE (MERGE with allow_merge) in a transaction. WHERE required unless "
                    "allow_no_where; rolled back if more than max_rows (default 1000) rows change, unless the user "
                    "confirms.";
    auto in = schema(R"({"type":"object","properties":{
      "sql":{"type":"string","maxLength":1000000},"max_rows":{"type":"integer","minimum":0},
      "allow_no_where":{"type":"boolean"},"allow_merge":{"type":"boolean"}},
      "required":["sql"],"additionalProperties":false})");
    in["properties"].as_object()["parameters"] = schema(kParametersSchema);
    d.input_schema = std::move(in);
    auto out = schema(R"({"type":"object","properties":{
      "operation":{"type":"string"},"rows_affected":{"type":"integer"},"committed":{"type":"boolean"},
      "max_rows":{"type":"integer"},"table":{"type":"string"},"elapsed_ms":{"type":"number"},
      "confirmed":{"type":"boolean","description":"true when the user confirmed changing more than max_rows rows"}}})");
    d.output_schema = with_error_variant(std::move(out), {"rows_affected", "committed"});
    d.annotations = writes_annotations(true);
    d.writes = true;
    d.task_support = mcp::TaskSupport::Optional;  // a long query can run as a task (tasks/get, tasks/cancel)
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    const std::string_view original = json::get_string(args, "sql").value_or("");
    const bool allow_no_where = json::get_bool(args, "allow_no_where").value_or(false);
    const std::int64_t max_rows = json::get_int(args, "max_rows").value_or(kDefaultMaxRows);
    const bool allow_merge = json::get_bool(args, "allow_merge").value_or(false);
    auto verdict = sql::check_modify(original, env_->dialect(), allow_no_where, allow_merge);
    if (!verdict.allowed && verdict.rule == "merge_not_allowed")
      return refusal(verdict.rule, verdict.message + ", or pass allow_merge: true to run this one MERGE");
    if (!verdict.allowed) return refusal(verdict.rule, verdict.message);
    auto native = backend_statement(*env_, "update_data", original, [&](std::string_view t) {
      return sql::check_modify(t, env_->dialect(), allow_no_where, allow_merge);
    });
    if (native.failure) return std::move(*native.failure);
    const std::string_view sql_text = native.sql;
    auto params = to_params(args.if_contains("parameters"));
    if (!params.ok()) return invalid("update_data: " + params.error().message);
    const char* op = verdict.kind == sql::StatementKind::Delete  ? "DELETE"
                     : verdict.kind == sql::StatementKind::Merge ? "MERGE"
                                                                 : "UPDATE";
    const Dialect dl = env_->dialect();

    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "update_data", dl, env_->timeout_for(ctx));
    const auto t0 = std::chrono::steady_clock::now();
    auto target = write_target(sql_text, dl);
    auto g = run_guarded(*env_, ctx, **conn, "update_data", op, sql_text, max_rows, target,
                         [&] { return (*conn)->execute(sql_text, *params, nullptr, env_->exec_options(ctx, false)); });
    if (g.answer) return std::move(*g.answer);
    const std::int64_t n = g.rows;
    const bool confirmed = g.confirmed;
    if (n != 0) notify_changed(*env_, ctx, target);
    const std::int64_t shown = std::max<std::int64_t>(n, 0);
    bj::object out{{"operation", op},
                   {"rows_affected", shown},
                   {"committed", true},
                   {"max_rows", max_rows},
                   {"elapsed_ms", ms_since(t0)}};
    if (confirmed) out["confirmed"] = true;
    if (target) out["table"] = *target;
    mcp::ToolResult res;
    res.structured = std::move(out);
    res.text = std::string(op) + " operation completed successfully. " + std::to_string(shown) + " row(s) affected.";
    return res;
  }
};

}  // namespace

std::unique_ptr<mcp::Tool> make_read_data(std::shared_ptr<Env> env) { return std::make_unique<ReadData>(env); }
std::unique_ptr<mcp::Tool> make_explain_query(std::shared_ptr<Env> env) {
  return std::make_unique<ExplainQuery>(env);
}
std::unique_ptr<mcp::Tool> make_insert_data(std::shared_ptr<Env> env) { return std::make_unique<InsertData>(env); }
std::unique_ptr<mcp::Tool> make_update_data(std::shared_ptr<Env> env) { return std::make_unique<UpdateData>(env); }

bj::object plan_to_json(const db::Plan& p) { return ExplainQuery::plan_json(p); }

}  // namespace azsql::tools::detail
