#include "db/tds/tds_backend.hpp"

#include "db/tds/catalog_rows.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

#include "common/text.hpp"

namespace azsql::db::tds {

using namespace detail;  // catalog_rows.hpp

namespace {

std::string referential(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

}  // namespace

std::string format_sql_type(const std::string& type, std::int64_t max_length, int precision, int scale) {
  const std::string t = text::to_lower(type);
  auto len = [&](std::int64_t n) { return n < 0 ? std::string("max") : std::to_string(n); };
  if (t == "nvarchar" || t == "nchar") return t + "(" + len(max_length < 0 ? -1 : max_length / 2) + ")";
  if (t == "varchar" || t == "char" || t == "varbinary" || t == "binary") return t + "(" + len(max_length) + ")";
  if (t == "decimal" || t == "numeric") return t + "(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  if (t == "time" || t == "datetime2" || t == "datetimeoffset") return t + "(" + std::to_string(scale) + ")";
  return t;
}

TdsBackend::TdsBackend(TdsBackendOptions options)
    : options_(std::move(options)),
      pool_(connection_factory(options_.connection), options_.pool_size) {}

Result<std::shared_ptr<TdsBackend>> TdsBackend::open(TdsBackendOptions options) {
  const bool verify = options.verify_on_open;
  auto b = std::make_shared<TdsBackend>(std::move(options));
  if (verify) {
    auto c = b->pool().acquire(b->options_.connection.connect_timeout * 2);
    if (!c.ok()) return std::move(c).error();
  }
  return b;
}

std::string TdsBackend::describe() const {
  const auto& c = options_.connection;
  std::string d = "SQL Server " + c.host + "," + std::to_string(c.port);
  if (!c.database.empty()) d += "/" + c.database;
  return d;
}

ExecOptions TdsBackend::catalog_options() const {
  ExecOptions o;
  o.timeout = options_.catalog_timeout;
  return o;
}

Result<std::vector<TableInfo>> TdsBackend::list_tables(Connection& c, const ListTablesOptions& o) {
  static constexpr std::string_view kSql =
      "SELECT s.name AS schema_name, t.name AS table_name, 'table' AS kind, "
      "(SELECT SUM(p.row_count) FROM sys.dm_db_partition_stats p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1)) AS row_count "
      "FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id "
      "WHERE t.is_ms_shipped = 0 AND (@schema IS NULL OR s.name = @schema) AND (@pattern IS NULL OR t.name LIKE @pattern) "
      "UNION ALL "
      "SELECT s.name AS schema_name, v.name AS table_name, 'view' AS kind, NULL AS row_count "
      "FROM sys.views v JOIN sys.schemas s ON s.schema_id = v.schema_id "
      "WHERE @views = 1 AND v.is_ms_shipped = 0 AND (@schema IS NULL OR s.name = @schema) AND (@pattern IS NULL OR v.name LIKE @pattern) "
      "ORDER BY schema_name, table_name";
  Params p{{"@schema", str_or_null(o.schema)}, {"@pattern", str_or_null(o.pattern)},
           {"@views", Value::integer(o.include_views ? 1 : 0)}};
  auto rows = query(c, kSql, p, catalog_options());
  if (!rows.ok() && permission_denied(rows.error())) {
    // sys.dm_db_partition_stats needs VIEW DATABASE STATE (Azure SQL): list without row counts.
    std::string sql(kSql);
    const std::string from = "(SELECT SUM(p.row_count) FROM sys.dm_db_partition_stats p WHERE p.object_id = t.object_id AND p.index_id IN (0, 1))";
    sql.replace(sql.find(from), from.size(), "NULL");
    rows = query(c, sql, p, catalog_options());
  }
  return rows_of<TableInfo>(std::move(rows), 4, [](const Row& r) {
    TableInfo t;
    t.schema = text(r[0]);
    t.name = text(r[1]);
    t.type = text(r[2]);
    if (!r[3].is_null()) t.row_count = num(r[3]);
    return t;
  });
}

namespace {

/// One row of the sys.columns query in describe_table.
ColumnInfo column_info(const Row& r) {
  ColumnInfo ci;
  ci.ordinal = static_cast<int>(num(r[0]));
  ci.name = text(r[1]);
  ci.type = format_sql_type(text(r[2]), num(r[3]), static_cast<int>(num(r[4])), static_cast<int>(num(r[5])));
  ci.nullable = truthy(r[6]);
  ci.identity = truthy(r[7]);
  ci.computed = truthy(r[8]);
  if (!r[9].is_null()) ci.collation = text(r[9]);
  if (!r[10].is_null()) ci.default_value = text(r[10]);
  if (!r[11].is_null() && !text(r[11]).empty()) ci.computed_definition = text(r[11]);
  return ci;
}

/// Index rows (one per index column, in order) grouped into indexes; the primary key's columns.
void add_indexes(const std::vector<Row>& rows, TableDescription& d) {
  std::map<std::int64_t, std::size_t> by_index;
  for (const auto& r : rows) {
    const std::int64_t id = num(r[0]);
    auto it = by_index.find(id);
    if (it == by_index.end()) {
      IndexInfo ii;
      ii.name = text(r[1]);
      ii.type = text(r[2]);
      ii.unique = truthy(r[3]);
      ii.primary_key = truthy(r[4]);
      if (!r[5].is_null() && !text(r[5]).empty()) ii.filter = text(r[5]);
      d.indexes.push_back(std::move(ii));
      it = by_index.emplace(id, d.indexes.size() - 1).first;
    }
    if (truthy(r[7])) continue;  // included columns are not key columns
    d.indexes[it->second].columns.push_back(text(r[6]));
  }
  for (const auto& ii : d.indexes)
    if (ii.primary_key) d.primary_key = ii.columns;
}

/// Foreign-key rows (one per column pair) grouped into keys this table holds (`oid` is the parent)
/// and keys that point at it.
void add_foreign_keys(const std::vector<Row>& rows, std::int64_t oid, TableDescription& d) {
  std::map<std::pair<std::string, bool>, std::size_t> fk_at;
  for (const auto& r : rows) {
    const bool outgoing = num(r[1]) == oid;
    auto key = std::make_pair(text(r[0]) + "\x1f" + text(r[2]) + "." + text(r[3]), outgoing);
    auto& list = outgoing ? d.foreign_keys : d.referenced_by;
    auto it = fk_at.find(key);
    if (it == fk_at.end()) {
      ForeignKeyInfo fk;
      fk.name = text(r[0]);
      fk.schema = text(r[2]);
      fk.table = text(r[3]);
      fk.ref_schema = text(r[5]);
      fk.ref_table = text(r[6]);
      fk.on_delete = referential(text(r[8]));
      fk.on_update = referential(text(r[9]));
      list.push_back(std::move(fk));
      it = fk_at.emplace(key, list.size() - 1).first;
    }
    list[it->second].columns.push_back(text(r[4]));
    list[it->second].ref_columns.push_back(text(r[7]));
  }
}

}  // namespace

Result<std::optional<TableDescription>> TdsBackend::describe_table(Connection& c, const QualifiedName& n) {
  const auto opts = catalog_options();
  auto found = query(c,
                     "SELECT o.object_id, s.name AS schema_name, o.name, o.type FROM sys.objects o "
                     "JOIN sys.schemas s ON s.schema_id = o.schema_id "
                     "WHERE o.type IN ('U', 'V') AND LOWER(o.name) = LOWER(@name) "
                     "AND (@schema IS NULL OR LOWER(s.name) = LOWER(@schema)) "
                     "ORDER BY CASE WHEN o.name = @name THEN 0 ELSE 1 END, CASE WHEN s.name = 'dbo' THEN 0 ELSE 1 END",
                     {{"@name", Value::text(n.name)},
                      {"@schema", n.schema.empty() ? Value::null() : Value::text(n.schema)}},
                     opts);
  if (!found.ok()) return std::move(found).error();
  if (found->rows.empty()) return std::optional<TableDescription>();
  const auto& f = found->rows[0];
  const std::int64_t oid = num(f[0]);
  TableDescription d;
  d.table.schema = text(f[1]);
  d.table.name = text(f[2]);
  d.table.type = text::trim(text(f[3])) == "V" ? "view" : "table";
  const Params byid{{"@oid", Value::integer(oid)}};

  auto cols = query(c,
                    "SELECT c.column_id, c.name, ty.name AS type_name, c.max_length, c.precision, c.scale, c.is_nullable, "
                    "c.is_identity, c.is_computed, c.collation_name, dc.definition AS default_definition, "
                    "cc.definition AS computed_definition "
                    "FROM sys.columns c JOIN sys.types ty ON ty.user_type_id = c.user_type_id "
                    "LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id AND c.default_object_id <> 0 "
                    "LEFT JOIN sys.computed_columns cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id "
                    "WHERE c.object_id = @oid ORDER BY c.column_id",
                    byid, opts);
  if (!cols.ok()) return std::move(cols).error();
  for (const auto& r : cols->rows) d.columns.push_back(column_info(r));

  auto idx = query(c,
                   "SELECT i.index_id, i.name, i.type_desc, i.is_unique, i.is_primary_key, i.filter_definition, "
                   "col.name AS column_name, ic.is_included_column "
                   "FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id "
                   "JOIN sys.columns col ON col.object_id = ic.object_id AND col.column_id = ic.column_id "
                   "WHERE i.object_id = @oid AND i.index_id > 0 ORDER BY i.index_id, ic.index_column_id",
                   byid, opts);
  if (!idx.ok()) return std::move(idx).error();
  add_indexes(idx->rows, d);

  auto fks = query(c,
                   "SELECT fk.name AS fk_name, fk.parent_object_id, ps.name AS parent_schema, pt.name AS parent_table, "
                   "pc.name AS parent_column, rs.name AS ref_schema, rt.name AS ref_table, rc.name AS ref_column, "
                   "fk.delete_referential_action_desc, fk.update_referential_action_desc "
                   "FROM sys.foreign_keys fk "
                   "JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id "
                   "JOIN sys.objects pt ON pt.object_id = fk.parent_object_id "
                   "JOIN sys.schemas ps ON ps.schema_id = pt.schema_id "
                   "JOIN sys.columns pc ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id "
                   "JOIN sys.objects rt ON rt.object_id = fk.referenced_object_id "
                   "JOIN sys.schemas rs ON rs.schema_id = rt.schema_id "
                   "JOIN sys.columns rc ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id "
                   "WHERE fk.parent_object_id = @oid OR fk.referenced_object_id = @oid "
                   "ORDER BY fk.name, fkc.constraint_column_id",
                   byid, opts);
  if (!fks.ok()) return std::move(fks).error();
  add_foreign_keys(fks->rows, oid, d);

  auto checks = query(c, "SELECT name, definition FROM sys.check_constraints WHERE parent_object_id = @oid ORDER BY name",
                      byid, opts);
  if (!checks.ok()) return std::move(checks).error();
  for (const auto& r : checks->rows) d.checks.push_back({text(r[0]), text(r[1])});

  if (d.table.type == "table") {
    auto cnt = query(c,
                     "SELECT SUM(row_count) FROM sys.dm_db_partition_stats WHERE object_id = @oid AND index_id IN (0, 1)",
                     byid, opts);
    if (cnt.ok() && !cnt->rows.empty() && !cnt->rows[0].empty() && !cnt->rows[0][0].is_null())
      d.table.row_count = num(cnt->rows[0][0]);
  }
  return std::optional<TableDescription>(std::move(d));
}

Result<DatabaseInfo> TdsBackend::database_info(Connection& c) {
  const auto opts = catalog_options();
  auto r = query(c,
                 "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version, "
                 "CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition, "
                 "CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition, DB_NAME() AS database_name, "
                 "CAST(DATABASEPROPERTYEX(DB_NAME(), 'Collation') AS nvarchar(128)) AS collation_name, "
                 "USER_NAME() AS user_name, SUSER_SNAME() AS login_name, IS_SRVROLEMEMBER('sysadmin') AS is_sysadmin, "
                 "IS_ROLEMEMBER('db_owner') AS is_db_owner, IS_ROLEMEMBER('db_datawriter') AS is_writer, "
                 "IS_ROLEMEMBER('db_datareader') AS is_reader, IS_ROLEMEMBER('db_ddladmin') AS is_ddladmin",
                 {}, opts);
  if (!r.ok()) return std::move(r).error();
  if (r->rows.empty() || r->rows[0].size() < 12) return Error::make(ErrorKind::Protocol, "unexpected database_info result");
  const auto& v = r->rows[0];
  DatabaseInfo info;
  info.backend = "sqlserver";
  const std::int64_t engine = num(v[2]);
  info.product = engine == 5 ? "Azure SQL Database" : engine == 8 ? "Azure SQL Managed Instance" : "Microsoft SQL Server";
  info.server_version = text(v[0]);
  info.edition = text(v[1]);
  info.database = text(v[3]);
  info.collation = text(v[4]);
  info.current_user = text(v[5]);
  const std::string login = text(v[6]);
  if (!login.empty() && login != info.current_user) info.current_user += " (login " + login + ")";
  const bool sysadmin = truthy(v[7]), owner = truthy(v[8]), writer = truthy(v[9]), reader = truthy(v[10]),
             ddl = truthy(v[11]);
  if (sysadmin) info.roles.push_back("sysadmin");
  if (owner) info.roles.push_back("db_owner");
  if (ddl) info.roles.push_back("db_ddladmin");
  if (writer) info.roles.push_back("db_datawriter");
  if (reader) info.roles.push_back("db_datareader");
  if (options_.read_only_mode && (sysadmin || owner || writer || ddl))
    info.warnings.push_back(std::string("the login is ") + (sysadmin ? "sysadmin" : owner ? "db_owner" : ddl ? "db_ddladmin" : "db_datawriter") +
                            " while read-only mode is on; db_datareader is enough");
  else if (sysadmin)
    info.warnings.push_back("the login is sysadmin: far more than this server needs (db_datareader + db_datawriter)");
  else if (owner)
    info.warnings.push_back("the login is db_owner: more than this server needs (db_datareader + db_datawriter)");

  auto compat = query(c, "SELECT compatibility_level FROM sys.databases WHERE name = DB_NAME()", {}, opts);
  if (compat.ok() && !compat->rows.empty() && !compat->rows[0][0].is_null())
    info.compatibility_level = static_cast<int>(num(compat->rows[0][0]));
  auto size = query(c, "SELECT SUM(reserved_page_count) FROM sys.dm_db_partition_stats", {}, opts);
  if (size.ok() && !size->rows.empty() && !size->rows[0][0].is_null())
    info.size_bytes = num(size->rows[0][0]) * 8192;
  return info;
}

// ------------------------------------------------------------------ SHOWPLAN_XML summary

namespace {

struct Tag {
  std::string name;  // without namespace prefix
  std::map<std::string, std::string> attrs;
  bool closing = false;
  bool self_closing = false;
};

std::string xml_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    auto semi = s.find(';', i);
    if (semi == std::string_view::npos) { out += s[i]; continue; }
    auto ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "amp") out += '&';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else { out += s.substr(i, semi - i + 1); }
    i = semi;
  }
  return out;
}

// Iterates the tags of an XML document (no DTDs; comments and processing instructions skipped).
template <class F>
void for_each_tag(std::string_view x, F&& f) {
  std::size_t i = 0;
  while ((i = x.find('<', i)) != std::string_view::npos) {
    if (x.compare(i, 4, "<!--") == 0) {
      auto e = x.find("-->", i);
      if (e == std::string_view::npos) return;
      i = e + 3;
      continue;
    }
    if (i + 1 < x.size() && (x[i + 1] == '?' || x[i + 1] == '!')) {
      auto e = x.find('>', i);
      if (e == std::string_view::npos) return;
      i = e + 1;
      continue;
    }
    Tag t;
    std::size_t j = i + 1;
    if (j < x.size() && x[j] == '/') { t.closing = true; ++j; }
    std::size_t ns = j;
    while (j < x.size() && !std::isspace(static_cast<unsigned char>(x[j])) && x[j] != '>' && x[j] != '/') ++j;
    std::string_view full = x.substr(ns, j - ns);
    auto colon = full.find(':');
    t.name = std::string(colon == std::string_view::npos ? full : full.substr(colon + 1));
    for (;;) {
      while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
      if (j >= x.size()) return;
      if (x[j] == '>') { ++j; break; }
      if (x[j] == '/') { t.self_closing = true; ++j; continue; }
      std::size_t a = j;
      while (j < x.size() && x[j] != '=' && x[j] != '>' && !std::isspace(static_cast<unsigned char>(x[j]))) ++j;
      std::string key(x.substr(a, j - a));
      while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
      if (j < x.size() && x[j] == '=') {
        ++j;
        while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
        if (j >= x.size()) return;
        const char q = x[j];
        if (q != '"' && q != '\'') return;
        auto e = x.find(q, j + 1);
        if (e == std::string_view::npos) return;
        t.attrs[key] = xml_unescape(x.substr(j + 1, e - j - 1));
        j = e + 1;
      }
    }
    f(t);
    i = j;
  }
}

std::optional<double> attr_num(const Tag& t, const char* k) {
  auto it = t.attrs.find(k);
  if (it == t.attrs.end()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(it->second.c_str(), &end);
  if (end == it->second.c_str()) return std::nullopt;
  return d;
}

std::string attr(const Tag& t, const char* k) {
  auto it = t.attrs.find(k);
  return it == t.attrs.end() ? std::string() : it->second;
}

}  // namespace

Plan summarize_showplan(std::string_view xml) {
  Plan plan;
  std::vector<int> relop_stack;  // NodeIds of open RelOps
  std::vector<std::size_t> node_index;
  bool in_missing = false;
  std::string mi_table;
  std::vector<std::string> eq, ineq, incl;
  std::string usage;
  std::optional<double> impact;
  int next_id = 0;
  for_each_tag(xml, [&](const Tag& t) {
    if (t.name == "StmtSimple" && !t.closing) {
      if (auto c = attr_num(t, "StatementSubTreeCost")) plan.total_cost = plan.total_cost.value_or(0) + *c;
    } else if (t.name == "RelOp") {
      if (t.closing) {
        if (!relop_stack.empty()) relop_stack.pop_back();
        return;
      }
      PlanNode n;
      auto id = attr_num(t, "NodeId");
      n.id = id ? static_cast<int>(*id) : next_id;
      next_id = std::max(next_id, n.id) + 1;
      n.parent = relop_stack.empty() ? -1 : relop_stack.back();
      n.op = attr(t, "PhysicalOp");
      const std::string logical = attr(t, "LogicalOp");
      n.detail = logical;
      n.estimated_rows = attr_num(t, "EstimateRows");
      n.estimated_cost = attr_num(t, "EstimatedTotalSubtreeCost");
      plan.nodes.push_back(std::move(n));
      node_index.push_back(plan.nodes.size() - 1);
      if (!t.self_closing) relop_stack.push_back(plan.nodes.back().id);
    } else if (t.name == "Object" && !t.closing && !plan.nodes.empty() && !in_missing) {
      auto& n = plan.nodes.back();
      const std::string table = attr(t, "Table");
      if (!table.empty() && n.detail.find(" on ") == std::string::npos) {
        std::string where = attr(t, "Schema").empty() ? table : attr(t, "Schema") + "." + table;
        if (!attr(t, "Index").empty()) where += "." + attr(t, "Index");
        n.detail += (n.detail.empty() ? "" : " ") + std::string("on ") + where;
        if (n.op == "Table Scan" || n.op == "Clustered Index Scan" || n.op == "Index Scan")
          plan.warnings.push_back(n.op + " of " + (attr(t, "Schema").empty() ? table : attr(t, "Schema") + "." + table));
      }
    } else if (t.name == "MissingIndexGroup" && !t.closing) {
      impact = attr_num(t, "Impact");
    } else if (t.name == "MissingIndex") {
      if (!t.closing) {
        in_missing = true;
        mi_table = attr(t, "Schema").empty() ? attr(t, "Table") : attr(t, "Schema") + "." + attr(t, "Table");
        eq.clear();
        ineq.clear();
        incl.clear();
      }
      if (t.closing || t.self_closing) {
        in_missing = false;
        std::vector<std::string> keys = eq;
        keys.insert(keys.end(), ineq.begin(), ineq.end());
        if (!keys.empty()) {
          std::string s = "CREATE INDEX ON " + mi_table + " (";
          for (std::size_t i = 0; i < keys.size(); ++i) s += (i ? ", " : "") + keys[i];
          s += ")";
          if (!incl.empty()) {
            s += " INCLUDE (";
            for (std::size_t i = 0; i < incl.size(); ++i) s += (i ? ", " : "") + incl[i];
            s += ")";
          }
          if (impact) {
            char b[64];
            std::snprintf(b, sizeof b, " -- estimated impact %.1f%%", *impact);
            s += b;
          }
          plan.missing_indexes.push_back(std::move(s));
        }
      }
    } else if (t.name == "ColumnGroup" && !t.closing) {
      usage = attr(t, "Usage");
    } else if (t.name == "Column" && !t.closing && in_missing) {
      const std::string c = attr(t, "Name");
      if (usage == "EQUALITY") eq.push_back(c);
      else if (usage == "INEQUALITY") ineq.push_back(c);
      else incl.push_back(c);
    } else if (t.name == "Warnings" && !t.closing) {
      if (t.attrs.count("NoJoinPredicate")) plan.warnings.push_back("join without a join predicate");
    }
  });
  return plan;
}

Result<Plan> TdsBackend::explain(Connection& c, std::string_view q, const Params& params, const ExecOptions& o) {
  ExecOptions eo = o;
  eo.read_only = false;  // SHOWPLAN_XML compiles without executing; a wrapping transaction would be planned too
  auto on = c.execute("SET SHOWPLAN_XML ON", {}, nullptr, eo);
  if (!on.ok()) return std::move(on).error();
  Rows rows;
  auto r = c.execute(q, params, &rows, eo);
  auto off = c.execute("SET SHOWPLAN_XML OFF", {}, nullptr, eo);
  if (!r.ok()) return std::move(r).error();
  if (!off.ok()) return std::move(off).error();
  std::string xml;
  for (const auto& row : rows.rows)
    for (const auto& v : row) xml += v.s;
  if (xml.empty()) return Error::make(ErrorKind::Protocol, "the server returned no plan");
  return summarize_showplan(xml);
}

Result<std::vector<ObjectMatch>> TdsBackend::search_objects(Connection& c, std::string_view pattern,
                                                            const std::vector<std::string>& types, std::size_t limit) {
  auto want = [&](const char* t) { return types.empty() || std::find(types.begin(), types.end(), t) != types.end(); };
  const std::string top = "TOP (" + std::to_string(std::max<std::size_t>(1, std::min<std::size_t>(limit, 100000))) + ") ";
  const Params p{{"@pattern", Value::text(std::string(pattern))}};
  const auto opts = catalog_options();
  std::vector<ObjectMatch> out;
  std::string kinds;
  auto add_kind = [&](const char* t, const char* codes) {
    if (!want(t)) return;
    if (!kinds.empty()) kinds += ", ";
    kinds += codes;
  };
  add_kind("table", "'U'");
  add_kind("view", "'V'");
  add_kind("procedure", "'P'");
  add_kind("function", "'FN', 'IF', 'TF'");
  if (!kinds.empty()) {
    auto objects_sql = [&](bool counts) {
      return "SELECT " + top + "o.type, s.name AS schema_name, o.name, " +
             std::string(counts ? "(SELECT SUM(ps.row_count) FROM sys.dm_db_partition_stats ps "
                                  "WHERE ps.object_id = o.object_id AND ps.index_id IN (0, 1))"
                                : "NULL") +
             " AS row_count FROM sys.objects o JOIN sys.schemas s ON s.schema_id = o.schema_id "
             "WHERE o.is_ms_shipped = 0 AND o.type IN (" + kinds + ") AND o.name LIKE @pattern ORDER BY o.name";
    };
    auto r = query(c, objects_sql(true), p, opts);
    if (!r.ok() && permission_denied(r.error())) r = query(c, objects_sql(false), p, opts);
    if (!r.ok()) return std::move(r).error();
    for (const auto& row : r->rows) {
      ObjectMatch m;
      const std::string code(text::trim(text(row[0])));
      m.type = code == "U" ? "table" : code == "V" ? "view" : code == "P" ? "procedure" : "function";
      m.schema = text(row[1]);
      m.name = text(row[2]);
      if (m.type == "table" && !row[3].is_null()) m.row_count = num(row[3]);
      out.push_back(std::move(m));
    }
  }
  if (want("column") && out.size() < limit) {
    auto r = query(c,
                   "SELECT " + top + "s.name AS schema_name, o.name AS table_name, col.name, ty.name AS type_name, "
                   "col.max_length, col.precision, col.scale "
                   "FROM sys.columns col JOIN sys.objects o ON o.object_id = col.object_id "
                   "JOIN sys.schemas s ON s.schema_id = o.schema_id JOIN sys.types ty ON ty.user_type_id = col.user_type_id "
                   "WHERE o.is_ms_shipped = 0 AND o.type IN ('U', 'V') AND col.name LIKE @pattern ORDER BY o.name, col.column_id",
                   p, opts);
    if (!r.ok()) return std::move(r).error();
    for (const auto& row : r->rows) {
      ObjectMatch m;
      m.type = "column";
      m.schema = text(row[0]);
      m.parent = text(row[1]);
      m.name = text(row[2]);
      m.data_type = format_sql_type(text(row[3]), num(row[4]), static_cast<int>(num(row[5])), static_cast<int>(num(row[6])));
      out.push_back(std::move(m));
    }
  }
  if (want("index") && out.size() < limit) {
    auto r = query(c,
                   "SELECT " + top + "s.name AS schema_name, o.name AS table_name, i.name FROM sys.indexes i "
                   "JOIN sys.objects o ON o.object_id = i.object_id JOIN sys.schemas s ON s.schema_id = o.schema_id "
                   "WHERE o.is_ms_shipped = 0 AND i.name IS NOT NULL AND i.name LIKE @pattern ORDER BY i.name",
                   p, opts);
    if (!r.ok()) return std::move(r).error();
    for (const auto& row : r->rows) {
      ObjectMatch m;
      m.type = "index";
      m.schema = text(row[0]);
      m.parent = text(row[1]);
      m.name = text(row[2]);
      out.push_back(std::move(m));
    }
  }
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace azsql::db::tds
