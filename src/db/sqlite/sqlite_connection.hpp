#pragma once
/// The SQLite driver: one `sqlite3*` handle behind the db::Connection interface.
///
/// Value mapping (PRODUCT.md §4): storage class INTEGER → Value::Kind::Int, REAL → Float, TEXT → Text,
/// BLOB → Binary, NULL → Null. A column declared BOOLEAN/BOOL/BIT delivers its integers as Bool.
/// SQLite has no temporal storage class, so values of DATE/DATETIME/TIMESTAMP columns are returned
/// exactly as stored (Text, or Int/Float for epoch numbers) and the declared type is reported in
/// Column::type; re-formatting them would make them differ from what a WHERE clause must compare against.
///
/// Read-only mode (ExecOptions::read_only, PRODUCT.md §5) does not trust any classifier: the prepared
/// statement must satisfy sqlite3_stmt_readonly(), it runs under `PRAGMA query_only=ON`, and an
/// authorizer denies ATTACH/DETACH, transaction control, PRAGMAs outside a list of pure reads and
/// load_extension(). Extension loading is never enabled and SQLITE_DBCONFIG_DEFENSIVE is on.
#include <array>
#include <chrono>
#include <functional>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "db/connection.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace azsql::db::sqlite {

/// How a connection is opened.
struct OpenOptions {
  bool create_if_missing = true;       ///< SQLITE_OPEN_CREATE
  bool wal = true;                     ///< PRAGMA journal_mode=WAL (ignored for in-memory databases)
  std::chrono::milliseconds busy_timeout{5000};  ///< how long to wait for a lock held by another connection
  std::size_t statement_cache_size = 64;         ///< prepared statements kept per connection (LRU)
};

/// One SQLite connection (SQLITE_OPEN_NOMUTEX). Not thread-safe: one borrower at a time, as the pool
/// guarantees; only cancellation (ExecOptions::cancel) may come from another thread.
class SqliteConnection final : public Connection {
 public:
  /// Opens `path` (a file name, ":memory:" or a `file:` URI) and applies WAL, busy handling,
  /// `foreign_keys=ON`, defensive mode. Errors are ErrorKind::Io (cannot open) or Database.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path, const OpenOptions& options = {});

  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  /// Runs exactly one statement. Named parameters match `:name`, `@name` or `$name` (the Param's name
  /// may carry the prefix or not); unnamed ones fill the remaining `?` slots in order; every slot must
  /// be bound. Text after the first statement other than whitespace, comments and `;` is refused.
  Result<ExecSummary> execute(std::string_view sql, const Params& params, RowSink* sink,
                              const ExecOptions& opts) override;

  /// BEGIN IMMEDIATE: takes the write lock up front so a later write cannot fail with SQLITE_BUSY.
  Status begin() override;
  Status commit() override;
  Status rollback() override;
  bool healthy() const override;
  /// Rolls back a transaction a borrower left open.
  void reset() override;

  /// The raw handle, for tests and the demo builder. Owned by this object.
  sqlite3* handle() const noexcept { return db_; }
  /// Statements currently cached.
  std::size_t cached_statements() const noexcept { return lru_.size(); }

 private:
  struct CachedStatement;
  struct ExecState;

  SqliteConnection(sqlite3* db, const OpenOptions& options);
  Result<CachedStatement*> prepare(std::string_view sql, bool read_only);
  Status bind_params(sqlite3_stmt* stmt, const Params& params);
  void refresh_columns(CachedStatement& cs);
  /// Steps `cs` to the end (or until the sink stops), feeding columns and rows; returns the last rc.
  int stream_rows(CachedStatement& cs, RowSink* sink, ExecSummary& summary);
  Error step_error(int rc, ExecState& state);
  Status exec_simple(const char* sql);
  Error db_error(int rc) const;
  void evict_over_capacity();

  static int authorize(void* self, int action, const char* a1, const char* a2, const char* db, const char* trigger);
  static int progress(void* self);
  static int busy(void* self, int count);

  sqlite3* db_ = nullptr;
  OpenOptions options_;
  bool broken_ = false;

  // LRU statement cache: most recently used at the front. Keyed by mode and SQL text, because the
  // authorizer runs at prepare time and a statement prepared for a write call must never be reused
  // for a read-only one.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Lru = std::list<std::unique_ptr<CachedStatement>>;
  using Index = std::unordered_map<std::string, Lru::iterator, TextHash, std::equal_to<>>;
  Lru lru_;
  std::array<Index, 2> cache_;  ///< [0] statements prepared for writes, [1] for read-only calls
  std::unique_ptr<CachedStatement> uncached_;  ///< the last statement too long to cache

  // State of the running call, read by the authorizer, progress and busy callbacks.
  ExecState* active_ = nullptr;
  std::vector<bool> bound_;  ///< scratch: which parameter slots the current call bound
  bool ro_mode_ = false;
  bool query_only_ = false;  ///< current PRAGMA query_only (sticky between calls, see execute())
  std::string denied_;
  std::chrono::steady_clock::time_point busy_since_{};  ///< start of the current lock wait  ///< what the authorizer refused during the last prepare
};

}  // namespace azsql::db::sqlite
