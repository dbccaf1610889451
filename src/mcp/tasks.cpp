#include "mcp/tasks.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <random>

#include "common/timestamp.hpp"

namespace azsql::mcp {

namespace {

std::string iso8601(std::chrono::system_clock::time_point t) { return timestamp::utc_millis(t); }

/// 128 random bits as 32 hex digits (ids are also checked against their owner).
std::string new_task_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^
                                          (static_cast<std::uint64_t>(std::random_device{}()) << 32)};
  char b[40];
  std::snprintf(b, sizeof b, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return b;
}

}  // namespace

const char* to_string(TaskStatus s) noexcept {
  switch (s) {
    case TaskStatus::Working: return "working";
    case TaskStatus::InputRequired: return "input_required";
    case TaskStatus::Completed: return "completed";
    case TaskStatus::Failed: return "failed";
    case TaskStatus::Cancelled: return "cancelled";
  }
  return "working";
}

bj::object TaskInfo::to_json(bool detailed) const {
  bj::object o{{"taskId", id},
               {"status", to_string(status)},
               {"createdAt", iso8601(created)},
               {"lastUpdatedAt", iso8601(updated)},
               {"ttlMs", static_cast<std::int64_t>(ttl.count())},
               {"pollIntervalMs", static_cast<std::int64_t>(poll_interval.count())}};
  if (!status_message.empty()) o["statusMessage"] = status_message;
  if (detailed && status == TaskStatus::Completed && result) o["result"] = *result;
  if (detailed && status == TaskStatus::Failed && error) o["error"] = *error;
  if (detailed && status == TaskStatus::InputRequired) o["inputRequests"] = input_requests;
  return o;
}

struct TaskStore::Entry {
  std::string owner;
  TaskInfo info;
  CancelToken cancel;
  bj::object answers;  ///< tasks/update results not yet taken by the waiting work
};

TaskStore::TaskStore(TaskLimits limits, Executor executor) : limits_(limits), executor_(std::move(executor)) {}

TaskStore::~TaskStore() { shutdown(); }

void TaskStore::expire_locked(std::chrono::system_clock::time_point now) {
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    const auto& i = it->second->info;
    // A task stays readable for ttl after creation; a running one is kept until it ends.
    if (is_terminal(i.status) && now >= i.created + i.ttl) it = tasks_.erase(it);
    else ++it;
  }
}

std::shared_ptr<TaskStore::Entry> TaskStore::make_entry_locked(const std::string& owner, Error* refused) {
  if (stopping_) {
    *refused = Error::make(ErrorKind::Unavailable, "the server is shutting down");
    return nullptr;
  }
  const auto now = std::chrono::system_clock::now();
  expire_locked(now);
  std::size_t held = 0;
  for (const auto& [id, t] : tasks_) held += t->owner == owner ? 1 : 0;
  if (held >= limits_.max_per_owner) {
    *refused = Error::make(ErrorKind::Limit, "too many tasks (" + std::to_string(held) + " of at most " +
                                                 std::to_string(limits_.max_per_owner) +
                                                 ", MCP_TASK_MAX_PER_OWNER); wait for some to expire or cancel them");
    return nullptr;
  }
  auto e = std::make_shared<Entry>();
  e->owner = owner;
  e->info.id = new_task_id();
  e->info.created = e->info.updated = now;
  e->info.ttl = limits_.ttl;
  e->info.poll_interval = limits_.poll_interval;
  tasks_[e->info.id] = e;
  ++running_;
  return e;
}

Result<TaskInfo> TaskStore::create(const std::string& owner, Work work) {
  std::shared_ptr<Entry> e;
  TaskInfo snapshot;
  {
    std::lock_guard lock(mu_);
    Error refused;
    e = make_entry_locked(owner, &refused);
    if (!e) return refused;
    snapshot = e->info;
  }
  executor_([this, e, work = std::move(work)] {
    TaskOutcome out;
    try {
      out = work(e->cancel);
    } catch (const std::exception& ex) {
      out.failed = true;
      out.error = bj::object{{"code", -32603}, {"message", std::string("internal error: ") + ex.what()}};
    }
    finish(e, std::move(out));
  });
  return snapshot;
}

Result<TaskInfo> TaskStore::attach(const std::string& owner, CancelToken cancel) {
  std::lock_guard lock(mu_);
  Error refused;
  auto e = make_entry_locked(owner, &refused);
  if (!e) return refused;
  e->cancel = std::move(cancel);
  return e->info;
}

void TaskStore::settle(std::string_view id, TaskOutcome outcome) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end()) return;
    e = it->second;
  }
  finish(e, std::move(outcome));
}

std::optional<bj::object> TaskStore::await_input(std::string_view id, const std::string& key, bj::object request,
                                                 const CancelToken& stop,
                                                 std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  auto e = it->second;
  auto& i = e->info;
  if (is_terminal(i.status)) return std::nullopt;
  i.input_requests[key] = std::move(request);
  i.status = TaskStatus::InputRequired;
  i.updated = std::chrono::system_clock::now();
  cv_.notify_all();
  std::optional<bj::object> answer;
  for (;;) {
    if (auto* a = e->answers.if_contains(key)) {
      if (a->is_object()) answer = a->get_object();
      e->answers.erase(key);
      break;
    }
    if (stop.cancelled() || is_terminal(i.status) || std::chrono::steady_clock::now() >= deadline) break;
    cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
  }
  i.input_requests.erase(key);
  if (i.status == TaskStatus::InputRequired && i.input_requests.empty()) {
    i.status = TaskStatus::Working;
    i.updated = std::chrono::system_clock::now();
  }
  return answer;
}

void TaskStore::mark_input(std::string_view id, const std::string& key, std::optional<bj::object> request) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  auto& i = it->second->info;
  if (is_terminal(i.status)) return;
  if (request) i.input_requests[key] = std::move(*request);
  else i.input_requests.erase(key);
  const auto status = i.input_requests.empty() ? TaskStatus::Working : TaskStatus::InputRequired;
  if (status != i.status) {
    i.status = status;
    i.updated = std::chrono::system_clock::now();
  }
  cv_.notify_all();
}

bool TaskStore::provide_input(const std::string& owner, std::string_view id, const bj::object& responses) {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second->owner != owner) return false;
  auto& e = *it->second;
  for (const auto& kv : responses) {
    // Only keys the work is waiting for; the answered key leaves inputRequests at once.
    if (!e.info.input_requests.contains(kv.key())) continue;
    e.answers[kv.key()] = kv.value();
    e.info.input_requests.erase(kv.key());
  }
  if (e.info.status == TaskStatus::InputRequired && e.info.input_requests.empty()) {
    e.info.status = TaskStatus::Working;
    e.info.updated = std::chrono::system_clock::now();
  }
  cv_.notify_all();
  return true;
}

void TaskStore::cancel_all() {
  std::vector<std::shared_ptr<Entry>> live;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, t] : tasks_) {
      if (is_terminal(t->info.status)) continue;
      t->info.status = TaskStatus::Cancelled;
      t->info.status_message = "the server shut down";
      t->info.updated = std::chrono::system_clock::now();
      live.push_back(t);
    }
    cv_.notify_all();
  }
  for (auto& t : live) t->cancel.cancel();
}

void TaskStore::finish(const std::shared_ptr<Entry>& e, TaskOutcome outcome) {
  std::lock_guard lock(mu_);
  auto& i = e->info;
  if (!is_terminal(i.status)) {  // a cancelled task stays cancelled whatever the work returned
    i.status = outcome.failed ? TaskStatus::Failed : TaskStatus::Completed;
    if (outcome.failed) i.error = std::move(outcome.error);
    else i.result = std::move(outcome.result);
    i.updated = std::chrono::system_clock::now();
  }
  --running_;
  cv_.notify_all();
}

std::optional<TaskInfo> TaskStore::get(const std::string& owner, std::string_view id) {
  std::lock_guard lock(mu_);
  expire_locked(std::chrono::system_clock::now());
  auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second->owner != owner) return std::nullopt;
  return it->second->info;
}

std::vector<TaskInfo> TaskStore::list(const std::string& owner) {
  std::lock_guard lock(mu_);
  expire_locked(std::chrono::system_clock::now());
  std::vector<TaskInfo> out;
  for (const auto& [id, t] : tasks_)
    if (t->owner == owner) out.push_back(t->info);
  std::sort(out.begin(), out.end(), [](const TaskInfo& a, const TaskInfo& b) { return a.created > b.created; });
  return out;
}

bool TaskStore::cancel(const std::string& owner, std::string_view id) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second->owner != owner) return false;
    e = it->second;
    if (is_terminal(e->info.status)) return true;
    e->info.status = TaskStatus::Cancelled;
    e->info.status_message = "cancelled by the client";
    e->info.updated = std::chrono::system_clock::now();
    cv_.notify_all();
  }
  e->cancel.cancel();  // outside the lock: callbacks interrupt the statement
  return true;
}

std::optional<TaskInfo> TaskStore::wait(const std::string& owner, std::string_view id, const CancelToken& stop,
                                        std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  for (;;) {
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second->owner != owner) return std::nullopt;
    if (is_terminal(it->second->info.status) || stop.cancelled() || std::chrono::steady_clock::now() >= deadline)
      return it->second->info;
    // Wake at least every 100 ms to notice `stop` (cancel callbacks cannot take this lock safely).
    cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
  }
}

void TaskStore::shutdown() {
  std::vector<std::shared_ptr<Entry>> live;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, t] : tasks_)
      if (!is_terminal(t->info.status)) live.push_back(t);
  }
  for (auto& t : live) t->cancel.cancel();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return running_ == 0; });
}

}  // namespace azsql::mcp
