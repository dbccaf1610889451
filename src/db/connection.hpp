#pragma once
/// The driver interface: one physical connection, one active request at a time.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "db/value.hpp"

namespace azsql::db {

/// Receives result sets as they stream from the driver.
class RowSink {
 public:
  virtual ~RowSink() = default;
  /// Called once at the start of each result set.
  virtual void columns(const std::vector<Column>& cols) = 0;
  /// Called per row. Return false to stop: the driver stops reading and cancels the
  /// remainder server-side (sqlite3_reset / TDS ATTENTION) instead of draining it.
  virtual bool row(const Row& row) = 0;
};

struct ExecOptions {
  std::chrono::milliseconds timeout{30000};  ///< statement timeout; 0 = none
  CancelToken cancel;                        ///< cancels the running statement
  /// The driver guarantees nothing this statement does can persist (SQLite: query_only +
  /// sqlite3_stmt_readonly; SQL Server: a transaction that is always rolled back).
  bool read_only = false;
};

struct ExecSummary {
  std::int64_t rows_affected = -1;             ///< -1 when the statement reports none
  std::optional<std::int64_t> last_insert_id;  ///< when the backend gives one
  std::int64_t rows_read = 0;                  ///< rows delivered to the sink
  bool stopped_early = false;                  ///< the sink returned false
  std::vector<std::string> messages;           ///< informational server messages
};

class Connection {
 public:
  virtual ~Connection() = default;

  /// Runs one statement (or a batch on SQL Server) with parameters, streaming rows into
  /// `sink` (may be null: rows are discarded). Timeout and cancellation produce
  /// ErrorKind::Timeout / ErrorKind::Cancelled and leave the connection usable.
  virtual Result<ExecSummary> execute(std::string_view sql, const Params& params, RowSink* sink,
                                      const ExecOptions& opts) = 0;

  virtual Status begin() = 0;
  /// Commits the open transaction. When the connection breaks after the COMMIT was sent and before
  /// the server confirmed it, the error has `in_doubt` set: the outcome is unknown.
  virtual Status commit() = 0;
  virtual Status rollback() = 0;

  /// False once the connection must not be reused (I/O failure, protocol error).
  virtual bool healthy() const = 0;
  /// Prepares the connection for the next borrower (SQL Server: RESETCONNECTION on the next request).
  virtual void reset() {}
};

/// RAII transaction: rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& c) : c_(c) {}
  Status begin() {
    auto s = c_.begin();
    active_ = s.ok();
    return s;
  }
  Status commit() {
    active_ = false;
    return c_.commit();
  }
  Status rollback() {
    active_ = false;
    return c_.rollback();
  }
  ~Transaction() {
    if (active_) (void)c_.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

 private:
  Connection& c_;
  bool active_ = false;
};

}  // namespace azsql::db
