// Resources (PRODUCT.md §4): database://schema, database://status, database://tables and the
// template database://tables/{table}, all application/json.
#include "tools/support.hpp"

namespace azsql::tools::detail {

namespace {

constexpr std::string_view kTablePrefix = "database://tables/";
constexpr std::size_t kMaxSchemaTables = 500;

class Resources final : public mcp::ResourceProvider {
 public:
  explicit Resources(std::shared_ptr<Env> env) : env_(std::move(env)) {}

  std::vector<mcp::ResourceDefinition> resources() override {
    return {
        {"database://schema", "schema", "Database schema",
         "Every table and view with columns, types, keys, indexes and checks (JSON); structure only, no row counts.", "application/json"},
        {"database://status", "status", "Database status",
         "Connection and pool status, database round-trip latency, recent error rate (JSON).", "application/json"},
        {"database://tables", "tables", "Tables",
         "Tables and views with approximate row counts (JSON). Subscribe to hear about writes made through this "
         "server.",
         "application/json"},
    };
  }

  std::vector<mcp::ResourceTemplateDefinition> templates() override {
    return {{"database://tables/{table}", "table", "One table",
             "One table described: columns, keys, indexes, checks, row count (JSON). {table} is 'name' or "
             "'schema.name'.",
             "application/json"}};
  }

  Result<std::vector<mcp::ResourceContents>> read(std::string_view uri, mcp::CallContext& ctx) override {
    Result<bj::object> body = Error::make(ErrorKind::NotFound, "unknown resource");
    if (uri == "database://schema") body = schema_json(ctx);
    else if (uri == "database://status") body = status_json(ctx);
    else if (uri == "database://tables") body = tables_json(ctx);
    else if (uri.substr(0, kTablePrefix.size()) == kTablePrefix) body = table_json(uri.substr(kTablePrefix.size()), ctx);
    if (!body.ok()) return std::move(body).error();
    mcp::ResourceContents c;
    c.uri = std::string(uri);
    c.mime_type = "application/json";
    c.text = bj::serialize(*body);
    std::vector<mcp::ResourceContents> out;
    out.push_back(std::move(c));
    return out;
  }

 private:
  Result<bj::object> tables_json(mcp::CallContext& ctx) {
    auto tables = all_tables(*env_, ctx, true);
    if (!tables.ok()) return std::move(tables).error();
    bj::array a;
    for (const auto& t : *tables) a.push_back(table_info_json(t));
    return bj::object{{"count", i64(tables->size())}, {"tables", std::move(a)}};
  }

  Result<bj::object> table_json(std::string_view encoded, mcp::CallContext& ctx) {
    auto name = percent_decode(encoded);
    if (!name || name->empty()) return Error::make(ErrorKind::NotFound, "malformed table name in URI");
    auto d = find_table(*env_, ctx, *name);
    if (!d.ok()) {
      if (d.error().kind == ErrorKind::InvalidInput) return Error::make(ErrorKind::NotFound, d.error().message);
      return std::move(d).error();
    }
    return description_json(*d);
  }

  Result<bj::object> schema_json(mcp::CallContext& ctx) {
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return std::move(conn).error();
    db::ListTablesOptions o;
    o.include_views = true;
    auto tables = env_->db().list_tables(**conn, o);
    if (!tables.ok()) return std::move(tables).error();
    bj::array out;
    std::size_t n = 0;
    for (const auto& t : *tables) {
      if (n++ >= kMaxSchemaTables) break;
      if (ctx.cancel().cancelled()) return Error::make(ErrorKind::Cancelled, "cancelled");
      auto d = env_->db().describe_table(**conn, db::QualifiedName{t.schema, t.name});
      if (!d.ok()) return std::move(d).error();
      if (*d) {
        // Structure only: row counts change with every write and live in database://tables.
        (*d)->table.row_count.reset();
        out.push_back(description_json(**d));
      }
    }
    return bj::object{{"backend", env_->db().name()},
                      {"dialect", to_string(env_->dialect())},
                      {"table_count", i64(tables->size())},
                      {"truncated", tables->size() > kMaxSchemaTables},
                      {"tables", std::move(out)}};
  }

  Result<bj::object> status_json(mcp::CallContext& ctx) {
    auto ping = ping_database(*env_, ctx);
    bj::object db{{"status", ping.ok() ? "ok" : "error"}};
    if (ping.ok()) db["latency_ms"] = *ping;
    else db["error"] = std::string(to_string(ping.error().kind)) + ": " + ping.error().message;
    const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - env_->started).count();
    return bj::object{{"status", ping.ok() ? "connected" : "disconnected"},
                      {"backend", env_->db().name()},
                      {"dialect", to_string(env_->dialect())},
                      {"read_only_mode", env_->cfg.read_only},
                      {"uptime_s", uptime},
                      {"database", std::move(db)},
                      {"pool", pool_json(env_->db().pool().stats())},
                      {"recent", recent_json(env_->ring.summary())}};
  }

  std::shared_ptr<Env> env_;
};

}  // namespace

std::unique_ptr<mcp::ResourceProvider> make_resources(std::shared_ptr<Env> env) {
  return std::make_unique<Resources>(std::move(env));
}

}  // namespace azsql::tools::detail
