#pragma once
/// A SQL Server connection over our own TDS client (MS-TDS 7.4 / 8.0): TCP (Asio) with timeouts,
/// TLS (inside PRELOGIN, login-only, or TDS 8.0 strict), LOGIN7 with SQL auth or a FEDAUTH token,
/// Azure routing, retries with backoff on transient errors, SQL batches and sp_executesql,
/// ATTENTION for stop-early / timeout / cancel, RESETCONNECTION on reuse, read-only execution.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "common/retry.hpp"
#include "db/connection.hpp"

namespace azsql::db::tds {

/// `yes`: TLS negotiated in PRELOGIN; `strict`: TDS 8.0, TLS first with ALPN tds/8.0;
/// `no`: no full encryption (login-only TLS if the server allows it; the config layer refuses
/// this unless the host is loopback).
enum class EncryptMode { No, Yes, Strict };

/// Everything needed to open a connection. Copyable; holds secrets (never log it).
struct TdsOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1433;
  std::string database;
  std::string user;
  std::string password;
  EncryptMode encrypt = EncryptMode::Yes;
  bool trust_server_certificate = false;
  std::string hostname_in_certificate;  ///< overrides the name checked against the certificate
  std::string ca_file;                  ///< PEM bundle to trust instead of the system store
  std::chrono::milliseconds connect_timeout{30000};  ///< per attempt: TCP + TLS + login
  bool read_only_intent = false;                     ///< ApplicationIntent=ReadOnly
  std::string app_name = "azsql-mcp";
  std::uint32_t packet_size = 8192;
  /// Entra access token provider (FEDAUTH security token). Empty → SQL authentication.
  /// Called with force_refresh=true after a login refused with 18456.
  std::function<Result<std::string>(bool force_refresh)> access_token;
  /// Connect + login retries on transient errors: 4 retries, 2 s doubling to 30 s, with jitter.
  RetryPolicy retry{4, std::chrono::milliseconds(2000), 2.0, std::chrono::milliseconds(30000), true};
  int max_routing_hops = 5;
  std::chrono::milliseconds attention_timeout{5000};  ///< wait for the ATTENTION acknowledgement
  /// Caps on one value and one row of a result, bytes as the server sends them. Over a cap the
  /// statement fails with ErrorKind::Limit and the connection is closed (the rest of the response
  /// is not read, so the session cannot be reused).
  std::size_t max_value_bytes = 16u << 20;
  std::size_t max_row_bytes = 32u << 20;
};

/// True for SQL Server / Azure SQL error numbers worth retrying (4060, 40613, 40197, …).
bool is_transient_error(int number) noexcept;

/// What the server told us at login (for database_info and tests).
struct SessionInfo {
  std::string server_name;     ///< host actually connected to (after routing)
  std::uint16_t port = 0;
  std::string database;
  std::string server_program;  ///< LOGINACK program name
  std::uint32_t tds_version = 0;
  std::string collation_hex;   ///< 5 bytes as hex
  std::uint32_t packet_size = 0;
  int routing_hops = 0;
  int attempts = 0;            ///< login attempts used (retries + 1)
  bool encrypted = false;      ///< full TLS (not login-only)
  bool fedauth = false;
};

class TdsConnection;

/// Opens and logs in a connection (with retries and routing). Thread-safe (no shared state).
Result<std::unique_ptr<TdsConnection>> connect(const TdsOptions& opts, const CancelToken& cancel = {});

/// connect() as a db::Pool factory (db::Pool::Factory): each call opens one connection with `opts`.
std::function<Result<std::unique_ptr<Connection>>(const CancelToken&)> connection_factory(TdsOptions opts);

/// One logged-in SQL Server session. One request at a time; not thread-safe except that
/// ExecOptions::cancel may be triggered from another thread.
class TdsConnection : public Connection {
 public:
  ~TdsConnection() override;
  Result<ExecSummary> execute(std::string_view sql, const Params& params, RowSink* sink,
                              const ExecOptions& opts) override;
  Status begin() override;
  Status commit() override;
  Status rollback() override;
  bool healthy() const override;
  void reset() override;

  const SessionInfo& session() const;
  /// True while the server reports an open transaction on this session.
  bool in_transaction() const;

  struct Impl;
  explicit TdsConnection(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace azsql::db::tds
