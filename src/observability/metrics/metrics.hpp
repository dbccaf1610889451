#pragma once
/// Prometheus metrics and the seed-compatible JSON summary (PRODUCT.md §7), fed by the protocol
/// core through mcp::Observer. Exposition uses prometheus-cpp's text serializer.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "mcp/server.hpp"

namespace azsql::observability {

/// Connection-pool figures sampled at scrape time.
struct PoolSnapshot {
  std::size_t max_size = 0;
  std::size_t open = 0;
  std::size_t in_use = 0;
  std::uint64_t waits = 0;
};

struct MetricsOptions {
  std::string version;
  std::string backend;             ///< "sqlite" / "sqlserver"
  std::size_t max_history = 100;   ///< MAX_REQUEST_HISTORY: recent requests in the JSON summary
};

/// One figure another component keeps itself (per-user auth, on-behalf-of exchanges), read at scrape
/// time and exported through the same prometheus-cpp serializer as everything else. Samples with the
/// same name form one family; the first one's help text and kind are the family's.
struct ExternalSample {
  enum class Kind { Counter, Gauge };
  std::string name;
  std::string help;
  Kind kind = Kind::Gauge;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

/// Gauges read at scrape time from the transport and the pool. Each may be empty.
struct MetricsSources {
  std::function<std::size_t()> sessions;
  std::function<std::size_t()> in_flight;
  std::function<std::optional<PoolSnapshot>()> pool;
  std::function<std::vector<ExternalSample>()> external;
};

/// Thread-safe.
class Metrics final : public mcp::Observer {
 public:
  explicit Metrics(MetricsOptions options);
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void set_sources(MetricsSources sources);

  // mcp::Observer
  void on_request(const mcp::RequestEvent& e) override;
  void on_tool_call(const mcp::ClientInfo& client, const mcp::ToolDefinition& tool, const boost::json::object& args,
                    const mcp::ToolResult& result, std::chrono::microseconds duration) override;
  void on_internal_error(std::string_view where) override;

  /// A database error by server error number (SQL Server / SQLite code).
  void count_db_error(int number);
  /// An Entra token acquisition/refresh (same as note_token_refresh).
  void count_token_refresh(bool ok);
  /// One HTTP response by status code.
  void count_http_response(unsigned status);

  /// Prometheus text exposition format 0.0.4.
  std::string prometheus_text();
  /// The JSON summary: totals, per method/tool figures, recent requests (newest last).
  boost::json::object summary_json();

  /// Requests and errors in the recent history (for health_check-style error rates).
  std::pair<std::size_t, std::size_t> recent_error_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Process-wide tally of Entra ID token acquisitions/refreshes, for code that runs before (or
/// without) a Metrics instance, e.g. the credential callback in main. Every Metrics instance
/// exports it as azsql_auth_token_refreshes_total{outcome}. Thread-safe, lock-free.
void note_token_refresh(bool ok) noexcept;
/// The tally note_token_refresh keeps: {acquired, failed} since start.
std::pair<std::uint64_t, std::uint64_t> token_refresh_counts() noexcept;

/// Caches a blocking health probe so that floods of /health do not hammer the database: at most
/// one probe runs at a time and its result is reused for `ttl`. Thread-safe.
class CachedProbe {
 public:
  struct Outcome {
    bool ok = false;
    double latency_ms = 0;
    std::string error;  ///< short, secret-free
  };
  CachedProbe(std::function<Outcome()> probe, std::chrono::milliseconds ttl);
  Outcome get();

 private:
  std::function<Outcome()> probe_;
  std::chrono::milliseconds ttl_;
  std::mutex mu_;
  std::optional<Outcome> last_;
  std::chrono::steady_clock::time_point at_;
};

}  // namespace azsql::observability
