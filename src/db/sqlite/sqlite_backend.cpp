#include "db/sqlite/sqlite_backend.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include "common/text.hpp"
#include "db/sqlite/sql_text.hpp"
#include "db/sqlite/tsql_translate.hpp"

namespace azsql::db::sqlite {
namespace {

/// Collects every row of a catalog query.
class Collect final : public RowSink {
 public:
  void columns(const std::vector<Column>&) override {}
  bool row(const Row& r) override {
    rows.push_back(r);
    return true;
  }
  std::vector<Row> rows;
};

std::string text_of(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return "";
    case Value::Kind::Int:
    case Value::Kind::Bool: return std::to_string(v.i);
    case Value::Kind::Float: return std::to_string(v.f);
    default: return v.s;
  }
}

/// The integer at the start of `s` ("123 4 5" → 123), if any.
std::optional<std::int64_t> leading_int(std::string_view s) {
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p == s.data()) return std::nullopt;
  return n;
}

std::int64_t int_of(const Value& v) {
  if (v.kind == Value::Kind::Int || v.kind == Value::Kind::Bool) return v.i;
  if (v.kind == Value::Kind::Float) return static_cast<std::int64_t>(v.f);
  if (v.kind == Value::Kind::Text) return leading_int(v.s).value_or(0);
  return 0;
}

using text::iequals;

Param text_param(std::string s) { return Param{"", Value::text(std::move(s))}; }

/// SQLite's schema for a user-given name: "main" when empty.
std::string schema_or_main(const std::string& s) { return s.empty() ? "main" : s; }

bool without_rowid(std::string_view create_sql) {
  const auto close = create_sql.rfind(')');
  if (close == std::string_view::npos) return false;
  const std::string rest = text::to_upper(create_sql.substr(close));
  return rest.find("WITHOUT") != std::string::npos && rest.find("ROWID") != std::string::npos;
}

}  // namespace

SqliteBackend::SqliteBackend(std::string path, BackendOptions options)
    : path_(std::move(path)),
      options_(options),
      pool_(
          [path = path_, open = options.open](const CancelToken&) -> Result<std::unique_ptr<Connection>> {
            auto c = SqliteConnection::open(path, open);
            if (!c.ok()) return std::move(c).error();
            return std::unique_ptr<Connection>(std::move(c).value());
          },
          options.pool_size) {}

Result<std::shared_ptr<SqliteBackend>> SqliteBackend::open(std::string path, BackendOptions options) {
  auto backend = std::make_shared<SqliteBackend>(std::move(path), options);
  auto c = backend->pool().acquire(std::chrono::milliseconds(30000));
  if (!c.ok()) return std::move(c).error();
  // A file that is not a database only fails on first read.
  auto probe = (*c)->execute("SELECT count(*) FROM sqlite_schema", {}, nullptr, backend->catalog_options());
  if (!probe.ok()) return std::move(probe).error();
  return backend;
}

ExecOptions SqliteBackend::catalog_options() const {
  ExecOptions o;
  o.timeout = options_.catalog_timeout;
  o.read_only = true;
  return o;
}

namespace {
Result<std::vector<Row>> query(Connection& c, std::string_view sql, const Params& params, const ExecOptions& o) {
  Collect sink;
  auto r = c.execute(sql, params, &sink, o);
  if (!r.ok()) return std::move(r).error();
  return std::move(sink.rows);
}

/// Whether `schema` names a database attached to this connection (main, temp or ATTACHed).
Result<bool> schema_exists(Connection& c, const std::string& schema, const ExecOptions& o) {
  auto rows = query(c, "SELECT 1 FROM pragma_database_list WHERE name = ?1 COLLATE NOCASE", {text_param(schema)}, o);
  if (!rows.ok()) return std::move(rows).error();
  return !rows->empty();
}
}  // namespace

Result<std::optional<std::int64_t>> SqliteBackend::approx_row_count(Connection& c, const std::string& schema,
                                                                    const std::string& table) {
  const ExecOptions o = catalog_options();
  const std::string from = quote_ident(schema) + "." + quote_ident(table);
  auto max_rowid = query(c, "SELECT max(rowid) FROM " + from, {}, o);
  std::optional<std::int64_t> estimate;
  if (max_rowid.ok() && !max_rowid->empty() && !(*max_rowid)[0][0].is_null()) {
    estimate = int_of((*max_rowid)[0][0]);
  }
  if (max_rowid.ok() && (!estimate || *estimate <= options_.exact_count_bound)) {
    auto n = query(c, "SELECT count(*) FROM " + from, {}, o);
    if (!n.ok()) return std::move(n).error();
    return std::optional<std::int64_t>(int_of((*n)[0][0]));
  }
  // Large (or WITHOUT ROWID) table: ANALYZE statistics if present, else the largest rowid.
  auto stat = query(c,
                    "SELECT stat FROM " + quote_ident(schema) +
                        ".sqlite_stat1 WHERE tbl = ?1 COLLATE NOCASE ORDER BY idx IS NOT NULL LIMIT 1",
                    {text_param(table)}, o);
  if (stat.ok() && !stat->empty()) {
    if (auto n = leading_int(text_of((*stat)[0][0]))) return std::optional<std::int64_t>(*n);
  }
  if (estimate) return estimate;
  if (!max_rowid.ok()) {
    // WITHOUT ROWID and no statistics: count, within the catalog timeout.
    auto n = query(c, "SELECT count(*) FROM " + from, {}, o);
    if (n.ok() && !n->empty()) return std::optional<std::int64_t>(int_of((*n)[0][0]));
  }
  return std::optional<std::int64_t>();
}

Result<std::vector<TableInfo>> SqliteBackend::list_tables(Connection& c, const ListTablesOptions& opt) {
  const ExecOptions o = catalog_options();
  const std::string schema = schema_or_main(opt.schema.value_or(""));
  auto exists = schema_exists(c, schema, o);
  if (!exists.ok()) return std::move(exists).error();
  if (!*exists) return std::vector<TableInfo>{};

  // pragma_table_list tells virtual tables and their shadow tables (FTS5 internals) apart.
  std::string sql = std::string("SELECT name, type FROM pragma_table_list WHERE schema = ?1 AND type IN ('table', "
                                "'virtual'") +
                    (opt.include_views ? ", 'view'" : "") + ") AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
  Params params = {text_param(schema)};
  if (opt.pattern) {
    sql += " AND name LIKE ?2";
    params.push_back(text_param(*opt.pattern));
  }
  sql += " ORDER BY name";
  auto rows = query(c, sql, params, o);
  if (!rows.ok()) return std::move(rows).error();
  std::vector<TableInfo> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    TableInfo t;
    t.schema = schema;
    t.name = text_of(r[0]);
    t.type = text_of(r[1]);
    if (t.type == "virtual") {
      t.type = "table";  // counting a virtual table can be arbitrarily expensive: no row count
    } else if (t.type == "table") {
      auto n = approx_row_count(c, schema, t.name);
      if (!n.ok()) return std::move(n).error();
      t.row_count = *n;
    }
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

/// Columns (hidden: 0 normal, 1 hidden column of a virtual table, 2 VIRTUAL / 3 STORED generated)
/// and the primary key, with generated expressions and collations from the CREATE TABLE text.
Status add_columns(Connection& c, const Params& tp, const ExecOptions& o, const ParsedTable& parsed,
                   TableDescription& d) {
  auto cols = query(c,
                    "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1, ?2) "
                    "ORDER BY cid",
                    tp, o);
  if (!cols.ok()) return std::move(cols).error();
  std::vector<std::pair<std::int64_t, std::string>> pk;
  for (const auto& r : *cols) {
    const std::int64_t hidden = int_of(r[6]);
    if (hidden == 1) continue;
    ColumnInfo ci;
    ci.ordinal = static_cast<int>(d.columns.size()) + 1;
    ci.name = text_of(r[1]);
    ci.type = text_of(r[2]);
    ci.nullable = int_of(r[3]) == 0;
    if (!r[4].is_null()) ci.default_value = text_of(r[4]);
    if (int_of(r[5]) > 0) pk.emplace_back(int_of(r[5]), ci.name);
    ci.computed = hidden == 2 || hidden == 3;
    for (const auto& pc : parsed.columns) {
      if (!iequals(pc.name, ci.name)) continue;
      if (ci.computed && pc.generated) ci.computed_definition = *pc.generated;
      if (pc.collation) ci.collation = *pc.collation;
    }
    d.columns.push_back(std::move(ci));
  }
  std::sort(pk.begin(), pk.end());
  for (auto& [seq, name] : pk) d.primary_key.push_back(name);

  return {};
}

/// Foreign keys the table declares and those of every table that references it.
Status add_foreign_keys(Connection& c, const std::string& schema, const std::string& master, const Params& tp,
                        const ExecOptions& o, TableDescription& d) {
  auto fks = query(c,
                   "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete "
                   "FROM pragma_foreign_key_list(?1, ?2) ORDER BY id, seq",
                   tp, o);
  if (!fks.ok()) return std::move(fks).error();
  // Parent primary keys, for references written without a column list.
  std::map<std::string, std::vector<std::string>> parent_pk;
  auto pk_of = [&](const std::string& table) -> std::vector<std::string> {
    auto it = parent_pk.find(text::to_upper(table));
    if (it != parent_pk.end()) return it->second;
    std::vector<std::string> cols_out;
    auto rows = query(c, "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk",
                      {text_param(table), text_param(schema)}, o);
    if (rows.ok()) {
      for (const auto& r : *rows) cols_out.push_back(text_of(r[0]));
    }
    parent_pk[text::to_upper(table)] = cols_out;
    return cols_out;
  };
  auto group = [&](const std::vector<Row>& rows, std::size_t table_col, bool outgoing) {
    // rows: [referencing table,] id, seq, ref table / from, to, on_update, on_delete
    std::vector<ForeignKeyInfo> out;
    std::string last_key;
    std::map<std::string, int> name_uses;
    for (const auto& r : rows) {
      const std::string owner = outgoing ? d.table.name : text_of(r[0]);
      const std::size_t b = outgoing ? 0 : 1;
      const std::string key = owner + "\x1f" + text_of(r[b]);
      if (key != last_key) {
        ForeignKeyInfo fk;
        fk.schema = schema;
        fk.table = owner;
        fk.ref_schema = schema;
        fk.ref_table = outgoing ? text_of(r[table_col]) : d.table.name;
        fk.on_update = text_of(r[b + 4]);
        fk.on_delete = text_of(r[b + 5]);
        std::string name = "FK_" + fk.table + "_" + fk.ref_table;
        const int uses = name_uses[name]++;
        if (uses > 0) name += "_" + std::to_string(uses + 1);
        fk.name = std::move(name);
        out.push_back(std::move(fk));
        last_key = key;
      }
      ForeignKeyInfo& fk = out.back();
      fk.columns.push_back(text_of(r[b + 2]));
      fk.ref_columns.push_back(r[b + 3].is_null() ? "" : text_of(r[b + 3]));
    }
    for (auto& fk : out) {
      if (std::any_of(fk.ref_columns.begin(), fk.ref_columns.end(), [](const std::string& s) { return s.empty(); })) {
        const auto ppk = pk_of(fk.ref_table);
        for (std::size_t i = 0; i < fk.ref_columns.size() && i < ppk.size(); ++i) {
          if (fk.ref_columns[i].empty()) fk.ref_columns[i] = ppk[i];
        }
      }
    }
    return out;
  };
  // Outgoing rows are: id, seq, table, from, to, on_update, on_delete → reshape to the common layout.
  std::vector<Row> outgoing;
  for (const auto& r : *fks) outgoing.push_back({r[0], r[1], r[3], r[4], r[5], r[6], r[2]});
  d.foreign_keys = group(outgoing, 6, true);

  // Foreign keys of every table that reference this one.
  auto refs = query(c,
                    "SELECT m.name, f.id, f.seq, f.\"from\", f.\"to\", f.on_update, f.on_delete FROM " + master +
                        " AS m, pragma_foreign_key_list(m.name, ?2) AS f WHERE m.type = 'table' "
                        "AND f.\"table\" = ?1 COLLATE NOCASE ORDER BY m.name, f.id, f.seq",
                    tp, o);
  if (!refs.ok()) return std::move(refs).error();
  d.referenced_by = group(*refs, 0, false);

  return {};
}

/// Indexes. The rowid needs none: it is reported as the primary key "index" so the model knows
/// the table is keyed.
Status add_indexes(Connection& c, const std::string& schema, const std::string& master, const Params& tp,
                   const ExecOptions& o, const std::string& rowid_alias, TableDescription& d) {
  if (!rowid_alias.empty()) {
    IndexInfo ix;
    ix.name = "(rowid)";
    ix.unique = true;
    ix.primary_key = true;
    ix.type = "ROWID";
    ix.columns = {rowid_alias};
    d.indexes.push_back(std::move(ix));
  }
  auto idx = query(c, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1, ?2) ORDER BY name", tp, o);
  if (!idx.ok()) return std::move(idx).error();
  std::vector<IndexInfo> rest;
  for (const auto& r : *idx) {
    IndexInfo ix;
    ix.name = text_of(r[0]);
    ix.unique = int_of(r[1]) != 0;
    const std::string origin = text_of(r[2]);
    ix.primary_key = origin == "pk";
    ix.type = "BTREE";
    auto keys = query(c,
                      "SELECT name, \"desc\" FROM pragma_index_xinfo(?1, ?2) WHERE key = 1 ORDER BY seqno",
                      {text_param(ix.name), text_param(schema)}, o);
    if (!keys.ok()) return std::move(keys).error();
    for (const auto& k : *keys) {
      std::string col = k[0].is_null() ? "<expression>" : text_of(k[0]);
      if (int_of(k[1]) != 0) col += " DESC";
      ix.columns.push_back(std::move(col));
    }
    if (int_of(r[3]) != 0) {
      auto def = query(c, "SELECT sql FROM " + master + " WHERE type = 'index' AND name = ?1",
                       {text_param(ix.name)}, o);
      if (def.ok() && !def->empty()) ix.filter = index_where_clause(text_of((*def)[0][0]));
    }
    (ix.primary_key ? d.indexes : rest).push_back(std::move(ix));
  }
  for (auto& ix : rest) d.indexes.push_back(std::move(ix));

  return {};
}

/// CHECK constraints: SQLite keeps only the CREATE TABLE text; unnamed ones get CK_<table>_<column|n>.
void add_checks(const ParsedTable& parsed, TableDescription& d) {
  int unnamed = 0;
  for (const auto& ck : parsed.checks) {
    CheckInfo info;
    info.definition = ck.definition;
    if (!ck.name.empty()) {
      info.name = ck.name;
    } else if (!ck.column.empty()) {
      info.name = "CK_" + d.table.name + "_" + ck.column;
    } else {
      info.name = "CK_" + d.table.name + "_" + std::to_string(++unnamed);
    }
    d.checks.push_back(std::move(info));
  }
}

}  // namespace

Result<std::optional<TableDescription>> SqliteBackend::describe_table(Connection& c, const QualifiedName& n) {
  const ExecOptions o = catalog_options();
  const std::string schema = schema_or_main(n.schema);
  auto exists = schema_exists(c, schema, o);
  if (!exists.ok()) return std::move(exists).error();
  if (!*exists) return std::optional<TableDescription>();

  const std::string master = quote_ident(schema) + ".sqlite_schema";
  auto found = query(c, "SELECT name, type, sql FROM " + master +
                            " WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE",
                     {text_param(n.name)}, o);
  if (!found.ok()) return std::move(found).error();
  if (found->empty()) return std::optional<TableDescription>();

  TableDescription d;
  d.table.schema = schema;
  d.table.name = text_of((*found)[0][0]);
  d.table.type = text_of((*found)[0][1]);
  const std::string create_sql = text_of((*found)[0][2]);
  const ParsedTable parsed = parse_create_table(create_sql);
  const Params tp = {text_param(d.table.name), text_param(schema)};

  if (auto s = add_columns(c, tp, o, parsed, d); !s.ok()) return std::move(s).error();

  // INTEGER PRIMARY KEY (with or without AUTOINCREMENT) is the rowid: SQLite assigns it.
  const bool rowid_table = d.table.type == "table" && !without_rowid(create_sql);
  std::string rowid_alias;
  if (rowid_table && d.primary_key.size() == 1) {
    for (auto& ci : d.columns) {
      if (ci.name == d.primary_key[0] && iequals(ci.type, "INTEGER")) {
        ci.identity = true;
        ci.nullable = false;
        rowid_alias = ci.name;
      }
    }
  }

  if (d.table.type == "table") {
    auto count = approx_row_count(c, schema, d.table.name);
    if (!count.ok()) return std::move(count).error();
    d.table.row_count = *count;

    if (auto s = add_foreign_keys(c, schema, master, tp, o, d); !s.ok()) return std::move(s).error();
    if (auto s = add_indexes(c, schema, master, tp, o, rowid_alias, d); !s.ok()) return std::move(s).error();
    add_checks(parsed, d);
  }
  return std::optional<TableDescription>(std::move(d));
}

Result<std::string> SqliteBackend::native_sql(std::string_view sql) const { return translate_tsql(sql); }

std::string SqliteBackend::accepted_sql() const { return kTsqlSubset; }

Result<DatabaseInfo> SqliteBackend::database_info(Connection& c) {
  auto rows = query(c,
                    "SELECT sqlite_version(), (SELECT page_count FROM pragma_page_count()), "
                    "(SELECT page_size FROM pragma_page_size()), (SELECT encoding FROM pragma_encoding()), "
                    "(SELECT journal_mode FROM pragma_journal_mode())",
                    {}, catalog_options());
  if (!rows.ok()) return std::move(rows).error();
  const Row& r = (*rows)[0];
  DatabaseInfo info;
  info.backend = "sqlite";
  info.product = "SQLite";
  info.server_version = text_of(r[0]);
  info.edition = "embedded (journal_mode=" + text_of(r[4]) + ")";
  const auto slash = path_.find_last_of('/');
  info.database = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  info.collation = text_of(r[3]);
  info.size_bytes = int_of(r[1]) * int_of(r[2]);
  info.current_user = "n/a";
  return info;
}

Result<Plan> SqliteBackend::explain(Connection& c, std::string_view q, const Params& params, const ExecOptions& o) {
  std::size_t start = skip_insignificant(q, 0, true);
  // A query that already says EXPLAIN [QUERY PLAN] is explained once, as a plan.
  for (const std::string_view word : {"EXPLAIN", "QUERY", "PLAN"}) {
    const std::size_t at = skip_insignificant(q, start, false);
    const std::string_view rest = q.substr(std::min(at, q.size()));
    if (rest.size() > word.size() && iequals(rest.substr(0, word.size()), word) &&
        !std::isalnum(static_cast<unsigned char>(rest[word.size()])) && rest[word.size()] != '_') {
      start = at + word.size();
    } else {
      break;
    }
  }
  const std::string sql = "EXPLAIN QUERY PLAN " + std::string(q.substr(std::min(start, q.size())));
  auto rows = query(c, sql, params, o);
  if (!rows.ok()) return std::move(rows).error();
  Plan plan;
  std::set<std::string> scanned;
  for (const auto& r : *rows) {
    PlanNode node;
    node.id = static_cast<int>(int_of(r[0]));
    node.parent = static_cast<int>(int_of(r[1]));
    // "SCAN Article" / "SEARCH Article USING INDEX …": the operator, then what it works on. Other rows
    // ("USE TEMP B-TREE FOR ORDER BY", "CO-ROUTINE …") are operators as a whole.
    const std::string text = text_of(r[3]);
    const auto space = text.find(' ');
    const std::string first = text.substr(0, space);
    if ((first == "SCAN" || first == "SEARCH") && space != std::string::npos) {
      node.op = first;
      node.detail = text.substr(space + 1);
    } else {
      node.op = text;
    }
    if (first == "SCAN" && space != std::string::npos) {
      std::string target = node.detail;
      if (target.rfind("TABLE ", 0) == 0) target = target.substr(6);  // SQLite < 3.36 wording
      const bool uses_index = target.find(" USING ") != std::string::npos;
      const bool pseudo = target.rfind("CONSTANT ROW", 0) == 0 || target.rfind('(', 0) == 0 || target.empty();
      if (!uses_index && !pseudo) {
        std::string table = target.substr(0, target.find(' '));
        plan.warnings.push_back("full scan of " + table);
        scanned.insert(table);
      }
    } else if (text.rfind("USE TEMP B-TREE ", 0) == 0) {
      plan.warnings.push_back("sorts with a temporary B-tree (" + text.substr(16) + ")");
    }
    plan.nodes.push_back(std::move(node));
  }
  // Suggest an index on the columns the query compares, for each table read in full.
  if (!scanned.empty()) {
    const auto compared = compared_identifiers(q);
    for (const auto& table : scanned) {
      auto cols = query(c, "SELECT name FROM pragma_table_info(?1)", {text_param(table)}, catalog_options());
      std::vector<std::string> hits;
      if (cols.ok()) {
        for (const auto& r : *cols) {
          const std::string col = text_of(r[0]);
          for (const auto& id : compared) {
            if (iequals(id, col)) hits.push_back(col);
          }
        }
      }
      if (hits.empty()) continue;
      std::string cols_sql, name = "IX_" + table;
      for (const auto& h : hits) {
        if (!cols_sql.empty()) cols_sql += ", ";
        cols_sql += quote_ident(h);
        name += "_" + h;
      }
      plan.missing_indexes.push_back("CREATE INDEX " + quote_ident(name) + " ON " + quote_ident(table) + " (" +
                                     cols_sql + ")");
    }
  }
  return plan;
}

Result<std::vector<ObjectMatch>> SqliteBackend::search_objects(Connection& c, std::string_view pattern,
                                                               const std::vector<std::string>& types,
                                                               std::size_t limit) {
  const ExecOptions o = catalog_options();
  auto wanted = [&](const char* t) {
    if (types.empty()) return true;
    return std::any_of(types.begin(), types.end(), [&](const std::string& s) { return iequals(s, t); });
  };
  std::vector<ObjectMatch> out;
  const Params p = {text_param(std::string(pattern))};
  auto objects = query(c,
                       "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name LIKE ?1 "
                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name NOT IN "
                       "(SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow') ORDER BY "
                       "CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 WHEN 'index' THEN 3 ELSE 4 END, name",
                       p, o);
  if (!objects.ok()) return std::move(objects).error();
  std::vector<ObjectMatch> indexes_and_triggers;
  for (const auto& r : *objects) {
    ObjectMatch m;
    m.type = text_of(r[0]);
    if (!wanted(m.type.c_str())) continue;
    m.schema = "main";
    m.name = text_of(r[1]);
    if (m.type == "index" || m.type == "trigger") {
      m.parent = text_of(r[2]);
      indexes_and_triggers.push_back(std::move(m));
      continue;
    }
    if (out.size() >= limit) continue;
    if (m.type == "table" && !text::to_upper(text_of(r[3])).starts_with("CREATE VIRTUAL")) {
      auto n = approx_row_count(c, "main", m.name);
      if (n.ok()) m.row_count = *n;
    }
    out.push_back(std::move(m));
  }
  if (wanted("column") && out.size() < limit) {
    auto cols = query(c,
                      "SELECT m.name, c.name, c.type FROM sqlite_schema AS m, pragma_table_xinfo(m.name) AS c "
                      "WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT IN "
                      "(SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'shadow') "
                      "AND c.hidden <> 1 AND c.name LIKE ?1 ORDER BY m.name, c.cid",
                      p, o);
    if (!cols.ok()) return std::move(cols).error();
    for (const auto& r : *cols) {
      if (out.size() >= limit) break;
      ObjectMatch m;
      m.type = "column";
      m.schema = "main";
      m.parent = text_of(r[0]);
      m.name = text_of(r[1]);
      m.data_type = text_of(r[2]);
      out.push_back(std::move(m));
    }
  }
  for (auto& m : indexes_and_triggers) {
    if (out.size() >= limit) break;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace azsql::db::sqlite
