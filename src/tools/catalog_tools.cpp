// Schema discovery and status tools: list_tables, describe_table, search_objects, database_info,
// list_available_tools, health_check (PRODUCT.md §4).
#include <algorithm>
#include <cctype>
#include <map>

#include "tools/support.hpp"

namespace azsql::tools::detail {

namespace {

constexpr const char* kTableInfoSchema = R"({"type":"object","properties":{
  "schema":{"type":"string"},"name":{"type":"string"},"type":{"type":"string","enum":["table","view"]},
  "row_count":{"type":"integer","description":"approximate"}},"required":["schema","name","type"]})";

// ---------------------------------------------------------------- list_tables

class ListTables final : public BaseTool {
 public:
  explicit ListTables(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "list_tables";
    d.title = "List tables";
    d.description = "List tables (views too with include_views) with schema and approximate row count. Start here, "
                    "then describe_table. pattern: LIKE on the name.";
    d.input_schema = schema(R"({"type":"object","properties":{"schema":{"type":"string"},
      "include_views":{"type":"boolean"},"pattern":{"type":"string","maxLength":256}},"additionalProperties":false})");
    auto out = schema(R"({"type":"object","properties":{
      "tables":{"type":"array","items":{}},"count":{"type":"integer"}}})");
    out["properties"].as_object()["tables"].as_object()["items"] = schema(kTableInfoSchema);
    d.output_schema = with_error_variant(std::move(out), {"tables", "count"});
    d.annotations = read_only_annotations();
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    db::ListTablesOptions o;
    if (auto s = json::get_string(args, "schema"); s && !s->empty()) o.schema = std::string(*s);
    o.include_views = json::get_bool(args, "include_views").value_or(false);
    if (auto p = json::get_string(args, "pattern"); p && !p->empty()) o.pattern = std::string(*p);
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "list_tables", env_->dialect(), env_->cfg.query_timeout);
    auto tables = env_->db().list_tables(**conn, o);
    if (!tables.ok()) return error_result(tables.error(), "list_tables", env_->dialect(), env_->cfg.query_timeout);
    bj::array arr;
    std::string text = "Available " + std::string(o.include_views ? "tables and views" : "tables") + " (" +
                       std::to_string(tables->size()) + "): ";
    for (std::size_t i = 0; i < tables->size(); ++i) {
      const auto& t = (*tables)[i];
      arr.push_back(table_info_json(t));
      if (i) text += ", ";
      text += display_name(t.schema, t.name);
      if (t.type == "view") text += " (view)";
      else if (t.row_count) text += " (~" + std::to_string(*t.row_count) + " rows)";
    }
    return success(bj::object{{"tables", std::move(arr)}, {"count", i64(tables->size())}}, std::move(text));
  }
};

// ---------------------------------------------------------------- describe_table

bj::object description_schema() {
  return schema(R"({"type":"object","properties":{
    "table":{"type":"object"},
    "columns":{"type":"array","items":{"type":"object","properties":{
      "name":{"type":"string"},"type":{"type":"string"},"nullable":{"type":"boolean"},"default":{"type":"string"},
      "identity":{"type":"boolean"},"computed":{"type":"boolean"},"computed_definition":{"type":"string"},
      "collation":{"type":"string"},"primary_key":{"type":"boolean"}},"required":["name","type","nullable"]}},
    "primary_key":{"type":"array","items":{"type":"string"}},
    "foreign_keys":{"type":"array","items":{"type":"object"}},
    "referenced_by":{"type":"array","items":{"type":"object"}},
    "indexes":{"type":"array","items":{"type":"object"}},
    "checks":{"type":"array","items":{"type":"object"}}}})");
}

class DescribeTable final : public BaseTool {
 public:
  explicit DescribeTable(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "describe_table";
    d.title = "Describe a table";
    d.description = "Describe a table or view: columns with exact types, nullability, defaults, keys (both "
                    "directions), indexes, checks. Call it before querying a table. table_name: 'Article' or "
                    "'dbo.Article'.";
    d.input_schema = schema(R"({"type":"object","properties":{"table_name":{"type":"string"}},
      "required":["table_name"],"additionalProperties":false})");
    auto out = description_schema();
    out["properties"].as_object()["table"] = schema(kTableInfoSchema);
    d.output_schema = with_error_variant(std::move(out), {"table", "columns"});
    d.annotations = read_only_annotations();
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    auto name = json::get_string(args, "table_name").value_or("");
    auto d = find_table(*env_, ctx, name);
    if (!d.ok()) {
      if (d.error().kind == ErrorKind::NotFound || d.error().kind == ErrorKind::InvalidInput) {
        return mcp::ToolResult::error(
            "describe_table: " + d.error().message,
            bj::object{{"error", bj::object{{"kind", d.error().kind == ErrorKind::NotFound ? "not_found" : "invalid_input"},
                                            {"message", d.error().message}}}});
      }
      return error_result(d.error(), "describe_table", env_->dialect(), env_->cfg.query_timeout);
    }
    return success(description_json(*d), description_text(*d));
  }
};

// ---------------------------------------------------------------- search_objects

class SearchObjects final : public BaseTool {
 public:
  explicit SearchObjects(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "search_objects";
    d.title = "Search database objects";
    d.description = "Find objects by name in large schemas. pattern: LIKE ('Cust%'), or a substring without %. "
                    "detail_level summary adds owning table and types, full adds row counts and columns.";
    d.input_schema = schema(R"({"type":"object","properties":{"pattern":{"type":"string","maxLength":256},
      "types":{"type":"array","items":{"enum":["table","view","column","procedure","function","index","trigger"]}},
      "detail_level":{"enum":["names","summary","full"]},"limit":{"type":"integer","minimum":1,"maximum":1000}},
      "required":["pattern"],"additionalProperties":false})");
    auto out = schema(R"({"type":"object","properties":{
      "detail_level":{"type":"string"},"count":{"type":"integer"},"truncated":{"type":"boolean"},
      "names":{"type":"object","additionalProperties":{"type":"array","items":{"type":"string"}}},
      "objects":{"type":"array","items":{"type":"object","properties":{"type":{"type":"string"},"schema":{"type":"string"},
        "name":{"type":"string"},"parent":{"type":"string"},"data_type":{"type":"string"},"row_count":{"type":"integer"},
        "columns":{"type":"array","items":{"type":"string"}}},"required":["type","name"]}}}})");
    d.output_schema = with_error_variant(std::move(out), {"detail_level", "count", "truncated"});
    d.annotations = read_only_annotations();
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object& args, mcp::CallContext& ctx) override {
    std::string pattern(json::get_string(args, "pattern").value_or(""));
    if (pattern.find('%') == std::string::npos) pattern = "%" + pattern + "%";
    const std::string level(json::get_string(args, "detail_level").value_or("names"));
    const std::size_t limit = static_cast<std::size_t>(json::get_int(args, "limit").value_or(100));
    std::vector<std::string> types;
    if (const auto* t = json::get_array(args, "types")) {
      for (const auto& v : *t) {
        if (v.is_string()) types.emplace_back(v.get_string());
      }
    }
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "search_objects", env_->dialect(), env_->cfg.query_timeout);
    auto found = env_->db().search_objects(**conn, pattern, types, limit + 1);
    if (!found.ok()) return error_result(found.error(), "search_objects", env_->dialect(), env_->cfg.query_timeout);
    auto& matches = *found;
    const bool truncated = matches.size() > limit;
    if (truncated) matches.resize(limit);

    bj::object out{{"detail_level", level}, {"count", i64(matches.size())}, {"truncated", truncated}};
    std::string text;
    auto qualified = [](const db::ObjectMatch& m) {
      if (!m.parent.empty() && (m.type == "column" || m.type == "index")) return m.parent + "." + m.name;
      return display_name(m.schema, m.name);
    };
    if (level == "names") {
      std::map<std::string, std::vector<std::string>> groups;
      for (const auto& m : matches) groups[m.type].push_back(qualified(m));
      bj::object names;
      for (const auto& [type, list] : groups) {
        bj::array a;
        if (!text.empty()) text += "\n";
        text += type + ": ";
        for (std::size_t i = 0; i < list.size(); ++i) {
          a.push_back(bj::string(list[i]));
          text += (i ? ", " : "") + list[i];
        }
        names[type] = std::move(a);
      }
      out["names"] = std::move(names);
    } else {
      bj::array objects;
      std::size_t described = 0;
      for (const auto& m : matches) {
        bj::object o{{"type", m.type}, {"schema", m.schema}, {"name", m.name}};
        if (!m.parent.empty()) o["parent"] = m.parent;
        if (!m.data_type.empty()) o["data_type"] = m.data_type;
        std::string line = m.type + " " + qualified(m);
        if (!m.data_type.empty()) line += " " + m.data_type;
        if (level == "full") {
          if (m.row_count) {
            o["row_count"] = *m.row_count;
            line += " ~" + std::to_string(*m.row_count) + " rows";
          }
          if ((m.type == "table" || m.type == "view") && described < 20) {
            ++described;
            auto d = env_->db().describe_table(**conn, db::QualifiedName{m.schema, m.name});
            if (d.ok() && *d) {
              bj::array cols;
              line += " (";
              for (std::size_t i = 0; i < (*d)->columns.size(); ++i) {
                const auto& c = (*d)->columns[i];
                cols.push_back(bj::string(c.name + " " + c.type));
                line += (i ? ", " : "") + c.name + " " + c.type;
              }
              line += ")";
              o["columns"] = std::move(cols);
            }
          }
        }
        objects.push_back(std::move(o));
        if (!text.empty()) text += "\n";
        text += line;
      }
      out["objects"] = std::move(objects);
    }
    if (matches.empty()) text = "No objects match '" + pattern + "'.";
    if (truncated) text += "\n(first " + std::to_string(limit) + " matches; narrow the pattern or raise limit)";
    return success(std::move(out), std::move(text));
  }
};

// ---------------------------------------------------------------- database_info

class DatabaseInfoTool final : public BaseTool {
 public:
  explicit DatabaseInfoTool(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "database_info";
    d.title = "Database information";
    d.description = "The database's SQL dialect (write queries in it), version, edition, collation, size, current "
                    "user and roles, pool state and result limits.";
    d.input_schema = schema(R"({"type":"object","properties":{}})");
    auto out = schema(R"({"type":"object","properties":{
      "backend":{"type":"string"},"dialect":{"type":"string"},"product":{"type":"string"},"server_version":{"type":"string"},
      "edition":{"type":"string"},"database":{"type":"string"},"collation":{"type":"string"},
      "compatibility_level":{"type":"integer"},"size_bytes":{"type":"integer"},"current_user":{"type":"string"},
      "roles":{"type":"array","items":{"type":"string"}},"warnings":{"type":"array","items":{"type":"string"}},
      "accepts":{"type":"string"},
      "read_only_mode":{"type":"boolean"},"pool":{"type":"object"},"limits":{"type":"object"}}})");
    d.output_schema = with_error_variant(std::move(out), {"backend", "dialect", "server_version"});
    d.annotations = read_only_annotations();
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object&, mcp::CallContext& ctx) override {
    auto conn = env_->acquire(ctx);
    if (!conn.ok()) return error_result(conn.error(), "database_info", env_->dialect(), env_->cfg.query_timeout);
    auto info = env_->db().database_info(**conn);
    if (!info.ok()) return error_result(info.error(), "database_info", env_->dialect(), env_->cfg.query_timeout);
    const auto& i = *info;
    bj::object o{{"backend", i.backend},          {"dialect", to_string(env_->dialect())},
                 {"product", i.product},          {"server_version", i.server_version},
                 {"edition", i.edition},          {"database", i.database},
                 {"collation", i.collation},      {"current_user", i.current_user},
                 {"read_only_mode", env_->cfg.read_only}};
    if (i.compatibility_level) o["compatibility_level"] = *i.compatibility_level;
    if (i.size_bytes) o["size_bytes"] = *i.size_bytes;
    const std::string accepts = env_->db().accepted_sql();
    if (!accepts.empty()) o["accepts"] = accepts;
    bj::array roles, warnings;
    for (const auto& r : i.roles) roles.push_back(bj::string(r));
    for (const auto& w : i.warnings) warnings.push_back(bj::string(w));
    o["roles"] = std::move(roles);
    o["warnings"] = std::move(warnings);
    o["pool"] = pool_json(env_->db().pool().stats());
    o["limits"] = bj::object{{"default_row_limit", i64(env_->cfg.default_row_limit)},
                             {"max_row_limit", i64(env_->cfg.max_row_limit)},
                             {"max_result_bytes", i64(env_->cfg.max_result_bytes)},
                             {"query_timeout_s", env_->cfg.query_timeout.count() / 1000}};
    std::string text = i.product + " " + i.server_version + (i.edition.empty() ? "" : " (" + i.edition + ")") +
                       "; dialect " + to_string(env_->dialect()) +
                       (env_->dialect() == Dialect::TSql ? " (use TOP (n))"
                        : accepts.empty()                ? " (use LIMIT n)"
                                                         : " (use LIMIT n; accepts " + accepts + ")") +
                       "; database " +
                       i.database;
    if (!i.collation.empty()) text += "; collation " + i.collation;
    if (i.compatibility_level) text += "; compatibility level " + std::to_string(*i.compatibility_level);
    if (i.size_bytes) text += "; size " + std::to_string(*i.size_bytes) + " bytes";
    if (!i.current_user.empty()) text += "; user " + i.current_user;
    if (!i.roles.empty()) {
      text += " (roles:";
      for (const auto& r : i.roles) text += " " + r;
      text += ")";
    }
    text += env_->cfg.read_only ? "; server is read-only" : "; server allows writes";
    const auto ps = env_->db().pool().stats();
    text += "; pool " + std::to_string(ps.in_use) + "/" + std::to_string(ps.open) + " in use (max " +
            std::to_string(ps.max_size) + ")";
    for (const auto& w : i.warnings) text += "\nWarning: " + w;
    return success(std::move(o), std::move(text));
  }
};

// ---------------------------------------------------------------- list_available_tools

/// The first sentence: up to a ". " that follows a word (not "..." or "e.g.") and precedes a capital.
std::string first_sentence(const std::string& s) {
  for (std::size_t p = s.find(". "); p != std::string::npos; p = s.find(". ", p + 1)) {
    const bool ellipsis = p > 0 && s[p - 1] == '.';
    const bool capital = p + 2 < s.size() && std::isupper(static_cast<unsigned char>(s[p + 2]));
    if (!ellipsis && capital) return s.substr(0, p + 1);
  }
  return s;
}

class ListAvailableTools final : public BaseTool {
 public:
  explicit ListAvailableTools(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "list_available_tools";
    d.title = "List available tools";
    d.description = "List this server's tools, one line each (no write tools in read-only mode).";
    d.input_schema = schema(R"({"type":"object","properties":{}})");
    auto out = schema(R"({"type":"object","properties":{
      "tools":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"title":{"type":"string"},
        "description":{"type":"string"},"read_only":{"type":"boolean"}},"required":["name","description"]}},
      "count":{"type":"integer"},"read_only_mode":{"type":"boolean"}}})");
    d.output_schema = with_error_variant(std::move(out), {"tools", "count"});
    d.annotations = read_only_annotations();
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object&, mcp::CallContext&) override {
    bj::array tools;
    std::string text;
    std::size_t n = 0;
    for (const auto& t : env_->registry->tools()) {
      const auto& d = t->definition();
      if (env_->cfg.read_only && d.writes) continue;
      ++n;
      tools.push_back(bj::object{{"name", d.name},
                                 {"title", d.title},
                                 {"description", first_sentence(d.description)},
                                 {"read_only", !d.writes}});
      text += "- " + d.name + ": " + first_sentence(d.description) + "\n";
    }
    text = "Available tools (" + std::to_string(n) + ")" + (env_->cfg.read_only ? ", read-only mode" : "") + ":\n" +
           text;
    return success(bj::object{{"tools", std::move(tools)}, {"count", i64(n)}, {"read_only_mode", env_->cfg.read_only}}, std::move(text));
  }
};

// ---------------------------------------------------------------- health_check

class HealthCheck final : public BaseTool {
 public:
  explicit HealthCheck(std::shared_ptr<Env> env) : BaseTool(std::move(env), def()) {}

  static mcp::ToolDefinition def() {
    mcp::ToolDefinition d;
    d.name = "health_check";
    d.title = "Health check";
    d.description = "Check database reachability and latency, pool state, uptime and recent tool errors. Use it "
                    "when calls fail or are slow.";
    d.input_schema = schema(R"({"type":"object","properties":{}})");
    auto out = schema(R"({"type":"object","properties":{
      "status":{"type":"string","enum":["healthy","degraded","unhealthy"]},"uptime_s":{"type":"number"},
      "backend":{"type":"string"},"dialect":{"type":"string"},
      "database":{"type":"object","properties":{"status":{"type":"string"},"latency_ms":{"type":"number"},"error":{"type":"string"}},"required":["status"]},
      "pool":{"type":"object"},"recent":{"type":"object"}}})");
    d.output_schema = with_error_variant(std::move(out), {"status", "database"});
    d.annotations = read_only_annotations();
    return d;
  }

 protected:
  mcp::ToolResult run(const bj::object&, mcp::CallContext& ctx) override {
    auto ping = ping_database(*env_, ctx);
    auto recent = env_->ring.summary();
    bj::object dbo;
    std::string status;
    if (ping.ok()) {
      dbo["status"] = "ok";
      dbo["latency_ms"] = *ping;
      status = recent.calls >= 10 && recent.errors * 2 > recent.calls ? "degraded" : "healthy";
    } else {
      dbo["status"] = "error";
      dbo["error"] = std::string(to_string(ping.error().kind)) + ": " + ping.error().message;
      status = "unhealthy";
    }
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - env_->started).count();
    const auto ps = env_->db().pool().stats();
    bj::object o{{"status", status},
                 {"uptime_s", uptime},
                 {"backend", env_->db().name()},
                 {"dialect", to_string(env_->dialect())},
                 {"database", std::move(dbo)},
                 {"pool", pool_json(ps)},
                 {"recent", recent_json(recent)}};
    char lat[64] = "";
    if (ping.ok()) std::snprintf(lat, sizeof lat, "%.2f ms", *ping);
    std::string text = "Status: " + status + "; database " +
                       (ping.ok() ? std::string("reachable, round trip ") + lat
                                  : "unreachable (" + std::string(to_string(ping.error().kind)) + ")") +
                       "; pool " + std::to_string(ps.in_use) + "/" + std::to_string(ps.open) + " in use (max " +
                       std::to_string(ps.max_size) + "); recent tool calls " + std::to_string(recent.calls) + ", " +
                       std::to_string(recent.errors) + " failed; uptime " +
                       std::to_string(static_cast<long long>(uptime)) + " s";
    for (const auto& e : recent.last_errors) text += "\nRecent error in " + e.tool + ": " + e.error.substr(0, 160);
    return success(std::move(o), std::move(text));
  }
};

}  // namespace

std::unique_ptr<mcp::Tool> make_list_tables(std::shared_ptr<Env> env) { return std::make_unique<ListTables>(env); }
std::unique_ptr<mcp::Tool> make_describe_table(std::shared_ptr<Env> env) {
  return std::make_unique<DescribeTable>(env);
}
std::unique_ptr<mcp::Tool> make_search_objects(std::shared_ptr<Env> env) {
  return std::make_unique<SearchObjects>(env);
}
std::unique_ptr<mcp::Tool> make_database_info(std::shared_ptr<Env> env) {
  return std::make_unique<DatabaseInfoTool>(env);
}
std::unique_ptr<mcp::Tool> make_list_available_tools(std::shared_ptr<Env> env) {
  return std::make_unique<ListAvailableTools>(env);
}
std::unique_ptr<mcp::Tool> make_health_check(std::shared_ptr<Env> env) { return std::make_unique<HealthCheck>(env); }

}  // namespace azsql::tools::detail
