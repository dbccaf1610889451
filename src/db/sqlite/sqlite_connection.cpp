#include "db/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <optional>
#include <thread>

#include "common/text.hpp"
#include "db/sqlite/sql_text.hpp"

namespace azsql::db::sqlite {
namespace {

using Clock = std::chrono::steady_clock;

/// VM instructions between two checks of the deadline and the cancel flag.
constexpr int kProgressInterval = 1000;

/// Statements longer than this are prepared for one call only, never cached.
constexpr std::size_t kMaxCachedSqlBytes = 16 * 1024;

bool contains(const std::string& hay, const char* needle) { return hay.find(needle) != std::string::npos; }

/// Value kind a column of this declared type usually delivers (SQLite affinity rules, datatype3 §3.1).
Value::Kind kind_for_decltype(const std::string& decl_upper, bool& is_bool) {
  is_bool = false;
  if (decl_upper == "BOOLEAN" || decl_upper == "BOOL" || decl_upper == "BIT") {
    is_bool = true;
    return Value::Kind::Bool;
  }
  if (contains(decl_upper, "INT")) return Value::Kind::Int;
  if (contains(decl_upper, "CHAR") || contains(decl_upper, "CLOB") || contains(decl_upper, "TEXT")) {
    return Value::Kind::Text;
  }
  if (contains(decl_upper, "BLOB")) return Value::Kind::Binary;
  if (contains(decl_upper, "REAL") || contains(decl_upper, "FLOA") || contains(decl_upper, "DOUB")) {
    return Value::Kind::Float;
  }
  // NUMERIC affinity. Temporal names hold ISO text in practice; the rest hold numbers.
  if (contains(decl_upper, "DATE") || contains(decl_upper, "TIME")) return Value::Kind::Text;
  return Value::Kind::Float;
}

Value::Kind kind_for_storage(int type) {
  switch (type) {
    case SQLITE_INTEGER: return Value::Kind::Int;
    case SQLITE_FLOAT: return Value::Kind::Float;
    case SQLITE_TEXT: return Value::Kind::Text;
    case SQLITE_BLOB: return Value::Kind::Binary;
    default: return Value::Kind::Null;
  }
}

const char* storage_name(int type) {
  switch (type) {
    case SQLITE_INTEGER: return "INTEGER";
    case SQLITE_FLOAT: return "REAL";
    case SQLITE_TEXT: return "TEXT";
    case SQLITE_BLOB: return "BLOB";
    default: return "";
  }
}

/// PRAGMAs that only read, allowed in read-only mode without an argument.
bool pragma_read_without_argument(const std::string& name) {
  static constexpr std::array<const char*, 40> kNames = {
      "application_id", "auto_vacuum", "automatic_index", "busy_timeout", "cache_size", "cache_spill",
      "cell_size_check", "collation_list", "compile_options", "data_version", "database_list",
      "defer_foreign_keys", "encoding", "foreign_keys", "freelist_count", "fullfsync", "function_list",
      "ignore_check_constraints", "journal_mode", "journal_size_limit", "legacy_alter_table", "locking_mode",
      "max_page_count", "mmap_size", "module_list", "page_count", "page_size", "pragma_list", "query_only",
      "read_uncommitted", "recursive_triggers", "reverse_unordered_selects", "schema_version", "secure_delete",
      "synchronous", "table_list", "temp_store", "trusted_schema", "user_version", "wal_autocheckpoint"};
  return std::any_of(kNames.begin(), kNames.end(), [&](const char* n) { return name == n; });
}

/// Introspection PRAGMAs whose argument names an object (or a bound): reads with an argument.
bool pragma_read_with_argument(const std::string& name) {
  static constexpr std::array<const char*, 10> kNames = {
      "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
      "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"};
  return std::any_of(kNames.begin(), kNames.end(), [&](const char* n) { return name == n; });
}

}  // namespace

/// A prepared statement kept across calls, with the column facts derived from it.
struct SqliteConnection::CachedStatement {
  std::string key;  ///< the SQL text as given
  bool read_only = false;
  sqlite3_stmt* stmt = nullptr;
  bool insert_like = false;  ///< first keyword INSERT/REPLACE: report last_insert_id
  int meta_reprepares = -1;  ///< SQLITE_STMTSTATUS_REPREPARE when `columns` was computed
  std::vector<Column> columns;
  std::vector<bool> has_decl;  ///< column has a declared type (else typed from the first row)
  std::vector<bool> is_bool;
  bool all_declared = true;

  CachedStatement() = default;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  ~CachedStatement() { sqlite3_finalize(stmt); }
};

/// What the callbacks need while one execute() runs.
struct SqliteConnection::ExecState {
  bool has_deadline = false;
  Clock::time_point deadline{};
  std::chrono::milliseconds timeout{0};
  const CancelToken* cancel = nullptr;
  bool timed_out = false;
  bool cancelled = false;

  /// The Timeout / Cancelled error when a callback stopped the statement, else nullopt.
  std::optional<Error> stop_error(int rc) const {
    if (cancelled || (cancel && cancel->cancelled())) return Error::make(ErrorKind::Cancelled, "statement cancelled", rc);
    if (timed_out || (has_deadline && Clock::now() >= deadline)) {
      return Error::make(ErrorKind::Timeout, "statement exceeded the " + std::to_string(timeout.count()) + " ms timeout",
                         rc);
    }
    return std::nullopt;
  }

  /// True when the statement must stop now (records why).
  bool should_stop() {
    if (cancel && cancel->cancelled()) {
      cancelled = true;
      return true;
    }
    if (has_deadline && Clock::now() >= deadline) {
      timed_out = true;
      return true;
    }
    return false;
  }
};

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path, const OpenOptions& options) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = Error::make(ErrorKind::Io, std::string("cannot open SQLite database: ") +
                                             (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)),
                          db ? sqlite3_extended_errcode(db) : rc);
    sqlite3_close_v2(db);
    return e;
  }
  std::unique_ptr<SqliteConnection> c(new SqliteConnection(db, options));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_busy_handler(db, &SqliteConnection::busy, c.get());
  sqlite3_progress_handler(db, kProgressInterval, &SqliteConnection::progress, c.get());
  sqlite3_set_authorizer(db, &SqliteConnection::authorize, c.get());
  if (auto s = c->exec_simple("PRAGMA foreign_keys=ON"); !s.ok()) return std::move(s).error();
  if (options.wal) {
    if (auto s = c->exec_simple("PRAGMA journal_mode=WAL"); !s.ok()) {
      // A file on read-only media keeps its journal mode; anything else (not a database, corrupt) is fatal.
      const int primary = s.error().code & 0xff;
      if (primary != SQLITE_READONLY && primary != SQLITE_CANTOPEN) return std::move(s).error();
    } else if (auto s2 = c->exec_simple("PRAGMA synchronous=NORMAL"); !s2.ok()) {
      return std::move(s2).error();
    }
  }
  return c;
}

SqliteConnection::SqliteConnection(sqlite3* db, const OpenOptions& options) : db_(db), options_(options) {}

SqliteConnection::~SqliteConnection() {
  for (auto& index : cache_) index.clear();
  lru_.clear();
  uncached_.reset();  // finalizes every cached statement before the handle closes
  sqlite3_close_v2(db_);
}

Error SqliteConnection::db_error(int rc) const {
  const int ext = sqlite3_extended_errcode(db_);
  Error e = Error::make(ErrorKind::Database, sqlite3_errmsg(db_), ext != 0 ? ext : rc);
  const int primary = rc & 0xff;
  e.transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  return e;
}

Status SqliteConnection::exec_simple(const char* sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &msg);
  if (rc == SQLITE_OK) return {};
  Error e = Error::make(ErrorKind::Database, msg ? msg : sqlite3_errstr(rc), sqlite3_extended_errcode(db_));
  sqlite3_free(msg);
  const int primary = rc & 0xff;
  e.transient = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  if (primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) broken_ = true;
  return e;
}

int SqliteConnection::authorize(void* p, int action, const char* a1, const char* a2, const char*, const char*) {
  auto* self = static_cast<SqliteConnection*>(p);
  if (action == SQLITE_FUNCTION && a2 && text::iequals(a2, "load_extension")) {
    self->denied_ = "load_extension() is not allowed";
    return SQLITE_DENY;
  }
  if (!self->ro_mode_) return SQLITE_OK;
  switch (action) {
    case SQLITE_ATTACH:
      self->denied_ = "ATTACH is not allowed in read-only mode";
      return SQLITE_DENY;
    case SQLITE_DETACH:
      self->denied_ = "DETACH is not allowed in read-only mode";
      return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      self->denied_ = "transaction control is not allowed in read-only mode";
      return SQLITE_DENY;
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
      self->denied_ = "statement is not read-only";
      return SQLITE_DENY;
    case SQLITE_PRAGMA: {
      const std::string name = text::to_lower(a1 ? a1 : "");
      if (a2 == nullptr ? pragma_read_without_argument(name) : pragma_read_with_argument(name)) return SQLITE_OK;
      self->denied_ = "PRAGMA " + name + (a2 ? " with a value" : "") + " is not allowed in read-only mode";
      return SQLITE_DENY;
    }
    default:
      return SQLITE_OK;
  }
}

int SqliteConnection::progress(void* p) {
  auto* self = static_cast<SqliteConnection*>(p);
  return self->active_ && self->active_->should_stop() ? 1 : 0;
}

int SqliteConnection::busy(void* p, int count) {
  // Back-off like SQLite's default handler, measured in real time, giving up early on cancellation
  // or at the statement deadline.
  static constexpr std::array<int, 12> kDelays = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
  auto* self = static_cast<SqliteConnection*>(p);
  const auto now = Clock::now();
  if (count == 0) self->busy_since_ = now;
  const long long limit = self->options_.busy_timeout.count();
  const long long waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - self->busy_since_).count();
  if (waited >= limit) return 0;
  if (self->active_ && self->active_->should_stop()) return 0;
  long long delay = std::min<long long>(kDelays[std::min<std::size_t>(static_cast<std::size_t>(count), kDelays.size() - 1)],
                                        limit - waited);
  if (self->active_ && self->active_->has_deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(self->active_->deadline - now).count();
    delay = std::min<long long>(delay, left);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(std::max<long long>(1, delay)));
  return 1;
}

void SqliteConnection::evict_over_capacity() {
  const std::size_t cap = std::max<std::size_t>(1, options_.statement_cache_size);
  while (lru_.size() > cap) {
    cache_[lru_.back()->read_only ? 1 : 0].erase(lru_.back()->key);
    lru_.pop_back();
  }
}

Result<SqliteConnection::CachedStatement*> SqliteConnection::prepare(std::string_view sql, bool read_only) {
  Index& index = cache_[read_only ? 1 : 0];
  if (auto it = index.find(sql); it != index.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return lru_.front().get();
  }

  const std::size_t start = skip_insignificant(sql, 0, true);
  if (start >= sql.size()) return Error::make(ErrorKind::InvalidInput, "empty statement: no SQL to run");
  const std::string_view body = sql.substr(start);
  if (body.size() > static_cast<std::size_t>(INT32_MAX)) return Error::make(ErrorKind::Limit, "statement too long");

  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  denied_.clear();
  const int rc = sqlite3_prepare_v3(db_, body.data(), static_cast<int>(body.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    &tail);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    if (!denied_.empty()) return Error::make(ErrorKind::Refused, denied_, rc);  // the authorizer said no
    const int primary = rc & 0xff;
    if (active_ && (primary == SQLITE_INTERRUPT || primary == SQLITE_BUSY || primary == SQLITE_LOCKED)) {
      if (auto e = active_->stop_error(rc)) return std::move(*e);  // waiting for the schema lock
    }
    return db_error(rc);
  }
  if (stmt == nullptr) return Error::make(ErrorKind::InvalidInput, "empty statement: no SQL to run");
  const std::size_t consumed = tail ? static_cast<std::size_t>(tail - body.data()) : body.size();
  if (!is_blank_sql(body.substr(std::min(consumed, body.size())))) {
    sqlite3_finalize(stmt);
    return Error::make(ErrorKind::Refused,
                       "only one statement per call: found more SQL after the first statement; send each statement "
                       "separately");
  }

  auto entry = std::make_unique<CachedStatement>();
  entry->read_only = read_only;
  entry->stmt = stmt;
  const std::string kw = first_keyword(body);
  entry->insert_like = kw == "INSERT" || kw == "REPLACE";
  if (sql.size() > kMaxCachedSqlBytes) {
    // Big one-off text (a generated multi-row INSERT): keep it out of the cache so 64 of them cannot
    // pin megabytes; it lives until the next uncached statement replaces it.
    uncached_ = std::move(entry);
    return uncached_.get();
  }
  entry->key = std::string(sql);
  lru_.push_front(std::move(entry));
  index.emplace(lru_.front()->key, lru_.begin());
  CachedStatement* out = lru_.front().get();
  evict_over_capacity();
  return out;
}

namespace {

int bind_value(sqlite3_stmt* stmt, int idx, const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return sqlite3_bind_null(stmt, idx);
    case Value::Kind::Bool:
    case Value::Kind::Int: return sqlite3_bind_int64(stmt, idx, v.i);
    case Value::Kind::Float: return sqlite3_bind_double(stmt, idx, v.f);
    case Value::Kind::Binary: return sqlite3_bind_blob64(stmt, idx, v.s.data(), v.s.size(), SQLITE_STATIC);
    default:  // Text, Decimal, temporal, Guid: canonical text
      return sqlite3_bind_text64(stmt, idx, v.s.data(), v.s.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
}

/// The slot of a named parameter: `:x`, `@x`, `$x`, `?x` as written, else the bare name under any prefix.
int named_slot(sqlite3_stmt* stmt, const std::string& name) {
  int idx = 0;
  std::size_t bare_at = 0;
  const char f = name.front();
  if (f == ':' || f == '@' || f == '$' || f == '?') {
    idx = sqlite3_bind_parameter_index(stmt, name.c_str());
    bare_at = 1;
  }
  if (idx == 0 && bare_at < name.size()) {
    std::string candidate = name;
    if (bare_at == 0) candidate.insert(candidate.begin(), ':');
    for (const char prefix : {':', '@', '$', '?'}) {
      candidate[0] = prefix;
      idx = sqlite3_bind_parameter_index(stmt, candidate.c_str());
      if (idx != 0) break;
    }
  }
  return idx;
}

/// One result row into `row` (sized to the column count), typed by storage class.
void read_row(sqlite3_stmt* stmt, const std::vector<bool>& is_bool, Row& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    const int ci = static_cast<int>(i);
    Value& v = row[i];
    switch (sqlite3_column_type(stmt, ci)) {
      case SQLITE_INTEGER:
        v.kind = is_bool[i] ? Value::Kind::Bool : Value::Kind::Int;
        v.i = sqlite3_column_int64(stmt, ci);
        if (v.kind == Value::Kind::Bool) v.i = v.i != 0 ? 1 : 0;
        v.s.clear();
        break;
      case SQLITE_FLOAT:
        v.kind = Value::Kind::Float;
        v.f = sqlite3_column_double(stmt, ci);
        v.s.clear();
        break;
      case SQLITE_TEXT: {
        v.kind = Value::Kind::Text;
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, ci));
        v.s.assign(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, ci)));
        break;
      }
      case SQLITE_BLOB: {
        v.kind = Value::Kind::Binary;
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, ci));
        const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, ci));
        if (p) v.s.assign(p, n); else v.s.clear();
        break;
      }
      default:
        v.kind = Value::Kind::Null;
        v.s.clear();
        break;
    }
  }
}

}  // namespace

Status SqliteConnection::bind_params(sqlite3_stmt* stmt, const Params& params) {
  // Named parameters by name, the rest fill the remaining slots in order.
  const int nslots = sqlite3_bind_parameter_count(stmt);
  std::vector<bool>& bound = bound_;
  bound.assign(static_cast<std::size_t>(nslots) + 1, false);
  for (const auto& p : params) {
    if (p.name.empty()) continue;
    const int idx = named_slot(stmt, p.name);
    if (idx == 0) return Error::make(ErrorKind::InvalidInput, "the statement has no parameter named '" + p.name + "'");
    if (bind_value(stmt, idx, p.value) != SQLITE_OK) return db_error(sqlite3_errcode(db_));
    bound[static_cast<std::size_t>(idx)] = true;
  }
  int next = 1;
  for (const auto& p : params) {
    if (!p.name.empty()) continue;
    while (next <= nslots && bound[static_cast<std::size_t>(next)]) ++next;
    if (next > nslots) {
      return Error::make(ErrorKind::InvalidInput, "too many parameters: the statement has " + std::to_string(nslots) +
                                                      " placeholder(s)");
    }
    if (bind_value(stmt, next, p.value) != SQLITE_OK) return db_error(sqlite3_errcode(db_));
    bound[static_cast<std::size_t>(next)] = true;
  }
  for (int i = 1; i <= nslots; ++i) {
    if (!bound[static_cast<std::size_t>(i)]) {
      // Appended piecewise: GCC 12 -Wrestrict misfires on an inlined `"?" + std::to_string(i)`.
      const char* n = sqlite3_bind_parameter_name(stmt, i);
      std::string msg = "missing value for parameter ";
      if (n) msg.append(n); else msg.append("?").append(std::to_string(i));
      return Error::make(ErrorKind::InvalidInput, std::move(msg));
    }
  }
  return {};
}

void SqliteConnection::refresh_columns(CachedStatement& cs) {
  // Recomputed only when SQLite re-prepared the statement (schema change), which happens inside the
  // first sqlite3_step(), so this runs after it.
  sqlite3_stmt* stmt = cs.stmt;
  const int ncols = sqlite3_column_count(stmt);
  const int reprepares = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0);
  if (cs.meta_reprepares == reprepares && static_cast<int>(cs.columns.size()) == ncols) return;
  cs.columns.assign(static_cast<std::size_t>(ncols), Column{});
  cs.has_decl.assign(static_cast<std::size_t>(ncols), false);
  cs.is_bool.assign(static_cast<std::size_t>(ncols), false);
  cs.all_declared = true;
  for (int i = 0; i < ncols; ++i) {
    const auto ui = static_cast<std::size_t>(i);
    Column& col = cs.columns[ui];
    const char* name = sqlite3_column_name(stmt, i);
    col.name = name ? name : "";
    const char* decl = sqlite3_column_decltype(stmt, i);
    if (decl && *decl) {
      col.type = decl;
      bool b = false;
      col.kind = kind_for_decltype(text::to_upper(decl), b);
      cs.is_bool[ui] = b;
      cs.has_decl[ui] = true;
    } else {
      cs.all_declared = false;
    }
    const char* tbl = sqlite3_column_table_name(stmt, i);
    const char* origin = sqlite3_column_origin_name(stmt, i);
    const char* dbn = sqlite3_column_database_name(stmt, i);
    if (tbl && origin) {
      int notnull = 0, pk = 0, autoinc = 0;
      const char* dtype = nullptr;
      if (sqlite3_table_column_metadata(db_, dbn, tbl, origin, &dtype, nullptr, &notnull, &pk, &autoinc) ==
          SQLITE_OK) {
        // An INTEGER PRIMARY KEY is the rowid: never NULL.
        col.nullable = !(notnull || (pk && dtype && text::iequals(dtype, "INTEGER")));
      }
    }
  }
  cs.meta_reprepares = reprepares;
}

int SqliteConnection::stream_rows(CachedStatement& cs, RowSink* sink, ExecSummary& summary) {
  sqlite3_stmt* stmt = cs.stmt;
  Row row;
  bool columns_sent = false;
  int rc = sqlite3_step(stmt);
  refresh_columns(cs);
  const auto ncols = cs.columns.size();
  for (; rc == SQLITE_ROW; rc = sqlite3_step(stmt)) {
    ++summary.rows_read;
    if (!sink) continue;
    if (!columns_sent) {
      if (cs.all_declared) {
        sink->columns(cs.columns);
      } else {  // columns without a declared type are typed from the first row's storage classes
        std::vector<Column> cols = cs.columns;
        for (std::size_t i = 0; i < ncols; ++i) {
          if (cs.has_decl[i]) continue;
          const int t = sqlite3_column_type(stmt, static_cast<int>(i));
          cols[i].type = storage_name(t);
          cols[i].kind = t == SQLITE_NULL ? Value::Kind::Text : kind_for_storage(t);
        }
        sink->columns(cols);
      }
      columns_sent = true;
      row.resize(ncols);
    }
    read_row(stmt, cs.is_bool, row);
    if (!sink->row(row)) {
      summary.stopped_early = true;
      break;
    }
  }
  if (rc == SQLITE_DONE && sink && !columns_sent && ncols > 0) sink->columns(cs.columns);
  return rc;
}

Error SqliteConnection::step_error(int rc, ExecState& state) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_INTERRUPT ||
      ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && (state.cancelled || state.timed_out))) {
    if (auto e = state.stop_error(rc)) return std::move(*e);
  }
  if (!denied_.empty()) return Error::make(ErrorKind::Refused, denied_, rc);  // the authorizer said no
  Error e = db_error(rc);
  if (primary == SQLITE_IOERR || primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    broken_ = true;
    e.broken = true;
  }
  return e;
}

Result<ExecSummary> SqliteConnection::execute(std::string_view sql, const Params& params, RowSink* sink,
                                              const ExecOptions& opts) {
  if (!db_ || broken_) return Error::make(ErrorKind::Unavailable, "SQLite connection is closed");
  if (opts.cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "statement cancelled before it started");

  // query_only stays as the last call left it: toggling expires every prepared statement, so a run
  // of read-only calls keeps its cached statements.
  const bool want_query_only = opts.read_only;
  if (want_query_only != query_only_) {
    if (auto s = exec_simple(want_query_only ? "PRAGMA query_only=ON" : "PRAGMA query_only=OFF"); !s.ok()) {
      return std::move(s).error();
    }
    query_only_ = want_query_only;
  }

  ExecState state;
  if (opts.timeout.count() > 0) {
    state.has_deadline = true;
    state.deadline = Clock::now() + opts.timeout;
    state.timeout = opts.timeout;
  }
  state.cancel = &opts.cancel;
  ro_mode_ = opts.read_only;
  active_ = &state;
  struct Restore {
    SqliteConnection* c;
    ~Restore() {
      c->active_ = nullptr;
      c->ro_mode_ = false;
    }
  } restore{this};

  denied_.clear();
  auto prepared = prepare(sql, opts.read_only);
  if (!prepared.ok()) return std::move(prepared).error();
  CachedStatement& cs = **prepared;
  sqlite3_stmt* stmt = cs.stmt;
  if (opts.read_only && !sqlite3_stmt_readonly(stmt)) {
    return Error::make(ErrorKind::Refused, "statement is not read-only");
  }
  struct ResetGuard {
    sqlite3_stmt* s;
    ~ResetGuard() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset_guard{stmt};
  if (auto s = bind_params(stmt, params); !s.ok()) return std::move(s).error();

  std::optional<CancelToken::Registration> reg;
  reg.emplace(opts.cancel.on_cancel([db = db_] { sqlite3_interrupt(db); }));
  const std::int64_t total_before = sqlite3_total_changes64(db_);
  const std::int64_t rowid_before = sqlite3_last_insert_rowid(db_);
  ExecSummary summary;
  const int rc = stream_rows(cs, sink, summary);
  reg.reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return step_error(rc, state);

  if (!sqlite3_stmt_readonly(stmt)) {
    const std::int64_t delta = sqlite3_total_changes64(db_) - total_before;
    summary.rows_affected = delta > 0 ? sqlite3_changes64(db_) : 0;
    const std::int64_t rowid_after = sqlite3_last_insert_rowid(db_);
    if (delta > 0 && (cs.insert_like || rowid_after != rowid_before)) summary.last_insert_id = rowid_after;
  }
  return summary;
}

Status SqliteConnection::begin() {
  if (query_only_) {
    if (auto s = exec_simple("PRAGMA query_only=OFF"); !s.ok()) return s;
    query_only_ = false;
  }
  return exec_simple("BEGIN IMMEDIATE");
}

Status SqliteConnection::commit() { return exec_simple("COMMIT"); }

Status SqliteConnection::rollback() {
  if (sqlite3_get_autocommit(db_)) return {};  // nothing open (e.g. SQLite already rolled back on error)
  return exec_simple("ROLLBACK");
}

bool SqliteConnection::healthy() const { return db_ != nullptr && !broken_; }

void SqliteConnection::reset() {
  if (db_ && !sqlite3_get_autocommit(db_)) (void)exec_simple("ROLLBACK");
}

}  // namespace azsql::db::sqlite
