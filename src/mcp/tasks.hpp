#pragma once
/// Task records for long tool calls (the tasks extension, SEP-2663, and the 2025-11-25 tasks utility):
/// created, polled, listed, cancelled, results kept until the TTL runs out, bounded per owner. An owner
/// is the session id, or the authenticated user (tenant/object id) so tasks survive a reconnect.
/// Transport- and era-neutral: the method handlers shape the wire forms. Thread-safe.
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"

namespace azsql::mcp {

namespace bj = boost::json;

enum class TaskStatus { Working, InputRequired, Completed, Failed, Cancelled };
const char* to_string(TaskStatus s) noexcept;
inline bool is_terminal(TaskStatus s) noexcept {
  return s == TaskStatus::Completed || s == TaskStatus::Failed || s == TaskStatus::Cancelled;
}

/// What the work produced: a tool result (completed, even when the result is an error result), or a
/// protocol-level failure {code, message[, data]}.
struct TaskOutcome {
  bool failed = false;
  bj::object result;
  bj::object error;
};

struct TaskInfo {
  std::string id;
  TaskStatus status = TaskStatus::Working;
  std::string status_message;
  std::chrono::system_clock::time_point created, updated;
  std::chrono::milliseconds ttl{0}, poll_interval{0};
  std::optional<bj::object> result;  ///< when completed
  std::optional<bj::object> error;   ///< when failed
  /// Requests waiting for the client's answer (key → {method, params}); non-empty while input_required.
  bj::object input_requests;
  /// taskId, status, statusMessage?, createdAt, lastUpdatedAt (ISO 8601), ttlMs, pollIntervalMs; with
  /// `detailed`, also the inlined result / error of a terminal task and the inputRequests of an
  /// input_required one.
  bj::object to_json(bool detailed) const;
};

struct TaskLimits {
  std::size_t max_per_owner = 32;                    ///< tasks (any status) an owner may hold
  std::chrono::milliseconds ttl{15 * 60 * 1000};     ///< kept this long after creation
  std::chrono::milliseconds poll_interval{500};
};

class TaskStore {
 public:
  using Work = std::function<TaskOutcome(const CancelToken&)>;
  /// Runs a job on some worker thread (the server's pool).
  using Executor = std::function<void(std::function<void()>)>;

  TaskStore(TaskLimits limits, Executor executor);
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  /// Starts `work` as a task of `owner`. ErrorKind::Limit when the owner already holds max_per_owner.
  Result<TaskInfo> create(const std::string& owner, Work work);
  /// Creates a task whose work runs on the caller's thread (a tool call that became a task): the
  /// caller reports its end with settle(). `cancel` is the work's token (tasks/cancel cancels it).
  Result<TaskInfo> attach(const std::string& owner, CancelToken cancel);
  /// Ends an attached task (a cancelled one stays cancelled).
  void settle(std::string_view id, TaskOutcome outcome);
  /// From the task's own work: asks the client for input (`request` = {method, params}) under `key`
  /// — the task shows input_required with it in inputRequests — and waits for provide_input(),
  /// `stop`, the task's cancellation or `deadline`. nullopt when no answer came.
  std::optional<bj::object> await_input(std::string_view id, const std::string& key, bj::object request,
                                        const CancelToken& stop, std::chrono::steady_clock::time_point deadline);
  /// Shows (`request` set) or withdraws (nullopt) an input request the work makes another way (the
  /// 2025-11-25 elicitation on the session's stream): the task is input_required while any is shown.
  void mark_input(std::string_view id, const std::string& key, std::optional<bj::object> request);
  /// tasks/update: hands the client's answers (key → result) to the waiting work; keys nobody waits
  /// for are ignored. False for an unknown id (or one of another owner).
  bool provide_input(const std::string& owner, std::string_view id, const bj::object& responses);
  /// Cancels every running task without waiting (server shutdown; the work ends on its own).
  void cancel_all();
  /// nullopt for an unknown or expired id, or one of another owner.
  std::optional<TaskInfo> get(const std::string& owner, std::string_view id);
  /// The owner's tasks, newest first.
  std::vector<TaskInfo> list(const std::string& owner);
  /// Cancels a running task (its token is cancelled: the SQL is interrupted; status settles to
  /// cancelled at once). False for an unknown id; true (and no change) for a terminal one.
  bool cancel(const std::string& owner, std::string_view id);
  /// Waits until the task is terminal, `stop` is cancelled or `deadline` passes; then get().
  std::optional<TaskInfo> wait(const std::string& owner, std::string_view id, const CancelToken& stop,
                               std::chrono::steady_clock::time_point deadline);
  /// Cancels every running task (shutdown) and waits for their jobs to return.
  void shutdown();
  const TaskLimits& limits() const { return limits_; }

 private:
  struct Entry;
  void expire_locked(std::chrono::system_clock::time_point now);
  void finish(const std::shared_ptr<Entry>& e, TaskOutcome outcome);
  std::shared_ptr<Entry> make_entry_locked(const std::string& owner, Error* refused);

  TaskLimits limits_;
  Executor executor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> tasks_;
  std::size_t running_ = 0;
  bool stopping_ = false;
};

}  // namespace azsql::mcp
