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
  return o;
}

struct TaskStore::Entry {
  std::string owner;
  TaskInfo info;
  CancelToken cancel;
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

Result<TaskInfo> TaskStore::create(const std::string& owner, Work work) {
  auto e = std::make_shared<Entry>();
  TaskInfo snapshot;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Error::make(ErrorKind::Unavailable, "the server is shutting down");
    const auto now = std::chrono::system_clock::now();
    expire_locked(now);
    std::size_t held = 0;
    for (const auto& [id, t] : tasks_) held += t->owner == owner ? 1 : 0;
    if (held >= limits_.max_per_owner)
      return Error::make(ErrorKind::Limit, "too many tasks (" + std::to_string(held) + " of at most " +
                                               std::to_string(limits_.max_per_owner) +
                                               "); wait for some to finish or cancel them");
    e->owner = owner;
    e->info.id = new_task_id();
    e->info.created = e->info.updated = now;
    e->info.ttl = limits_.ttl;
    e->info.poll_interval = limits_.poll_interval;
    tasks_[e->info.id] = e;
    ++running_;
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
