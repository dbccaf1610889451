// Tasks: a tools/call that runs as a task (begin_task / settle_task) and the tasks/* methods, in
// both shapes — the 2026-07-28 tasks extension (SEP-2663: flat CreateTaskResult with
// resultType "task", tasks/get inlining result / error / inputRequests, tasks/update, empty
// acks, gated on the extension in the request's client capabilities) and the 2025-11-25 tasks
// utility (params.task, CreateTaskResult {task}, tasks/get, tasks/result, tasks/list,
// tasks/cancel). The records live in TaskStore (tasks.hpp), owned by the authenticated user when
// there is one, else by the session.
#include "common/json_util.hpp"
#include "mcp/methods.hpp"

namespace azsql::mcp::detail {

namespace {

/// Who owns the tasks a request creates or reads: the user (tasks survive a reconnect), else the
/// transport's session (stdio; HTTP Mcp-Session-Id; the shared stateless session of 2026-07-28 HTTP
/// without per-user auth, where the 128-bit task id is the only key).
std::string task_owner(const Request& rq) {
  if (const Caller* c = rq.caller(); c && !c->object_id.empty()) return "user:" + c->tenant_id + "/" + c->object_id;
  return "session:" + owner_of(rq.session)->id();
}

/// The 2025-11-25 Task: `ttl` and `pollInterval` instead of the extension's `ttlMs` / `pollIntervalMs`.
bj::object legacy_task(const TaskInfo& t) {
  bj::object o = t.to_json(false);
  if (auto* v = o.if_contains("ttlMs")) o["ttl"] = *v;
  if (auto* v = o.if_contains("pollIntervalMs")) o["pollInterval"] = *v;
  o.erase("ttlMs");
  o.erase("pollIntervalMs");
  return o;
}

bj::object created_result(const Request& rq, const TaskInfo& t) {
  if (rq.era != Era::Modern) return bj::object{{"task", legacy_task(t)}};
  bj::object o = t.to_json(false);
  o["resultType"] = "task";
  return o;
}

bj::object missing_tasks_extension() {
  return bj::object{{"requiredCapabilities", bj::object{{"extensions", bj::object{{kTasksExtension, bj::object{}}}}}}};
}

/// 2026-07-28: the tasks/* methods need the extension in the request's client capabilities.
std::optional<RpcError> gate(const Request& rq) {
  if (rq.era != Era::Modern || tasks_negotiated(rq)) return std::nullopt;
  return RpcError(Fault::MissingCapability,
                  "Missing required client capability: " + rq.method + " needs the extension " + kTasksExtension +
                      " in the request's client capabilities",
                  missing_tasks_extension());
}

RpcError unknown_task(std::string_view id) {
  return RpcError(Fault::InvalidParams, "Unknown task '" + std::string(id.substr(0, 64)) +
                                            "': it does not exist, has expired or belongs to another user or session");
}

/// The gate and params.taskId of a tasks/* request.
std::variant<std::string, RpcError> task_id_param(const Request& rq) {
  if (auto e = gate(rq)) return std::move(*e);
  auto id = json::get_string(rq.params, "taskId");
  if (!id) return RpcError(Fault::InvalidParams, rq.method + " requires params.taskId (a string)");
  return std::string(*id);
}

/// A failed task's error as a JSON-RPC error again (2025-11-25 tasks/result).
RpcError error_of(const bj::object& e) {
  const auto code = json::get_int(e, "code").value_or(errc::kInternalError);
  std::string message(json::get_string(e, "message").value_or("the task failed"));
  std::optional<bj::value> data;
  if (auto* d = e.if_contains("data")) data = *d;
  Fault f = Fault::Internal;
  if (code == errc::kInvalidParams) f = Fault::InvalidParams;
  if (code == errc::kMissingClientCapability) f = Fault::MissingCapability;
  return RpcError(f, std::move(message), std::move(data));
}

}  // namespace

bool offers_tasks(const Registry& registry) {
  for (const auto& t : registry.tools()) {
    if (t->definition().task_support != TaskSupport::Forbidden) return true;
  }
  return false;
}

bool tasks_negotiated(const Request& rq) {
  if (rq.era == Era::Modern) {
    const bj::object caps = rq.session->client_capabilities();
    const bj::object* ext = json::get_object(caps, "extensions");
    return ext && ext->contains(kTasksExtension);
  }
  return at_least(rq.version, "2025-11-25") && rq.method == "tools/call" && json::get_object(rq.params, "task");
}

std::optional<RpcError> begin_task(Request& rq) {
  auto created = rq.core.tasks.attach(task_owner(rq), rq.ctx->cancel());
  if (!created) return RpcError::from(created.error());
  // From here on the task outlives the request: neither its closed stream nor notifications/cancelled
  // for its id cancels the work — tasks/cancel and shutdown do.
  rq.closed_link.reset();
  {
    auto owner = owner_of(rq.session);
    std::lock_guard lock(owner->state().mu);
    owner->state().in_flight.erase(id_key(rq.id));
  }
  rq.ctx->enter_task(created->id);
  rq.core.finish(rq, bj::value(created_result(rq, *created)));
  rq.answered = true;
  return std::nullopt;
}

void settle_task(Request& rq, std::variant<bj::object, RpcError> outcome) {
  TaskOutcome out;
  if (auto* e = std::get_if<RpcError>(&outcome)) {
    out.failed = true;
    out.error = bj::object{{"code", map_fault(e->fault, rq.era).code}, {"message", e->message}};
    if (e->data) out.error["data"] = *e->data;
  } else {
    out.result = std::move(std::get<bj::object>(outcome));
  }
  rq.core.tasks.settle(rq.ctx->task_id(), std::move(out));
}

Outcome get_task(Request& rq) {
  auto id = task_id_param(rq);
  if (auto* e = std::get_if<RpcError>(&id)) return std::move(*e);
  const auto& tid = std::get<std::string>(id);
  auto t = rq.core.tasks.get(task_owner(rq), tid);
  if (!t) return unknown_task(tid);
  return bj::value(rq.era == Era::Modern ? t->to_json(true) : legacy_task(*t));
}

Outcome update_task(Request& rq) {
  auto id = task_id_param(rq);
  if (auto* e = std::get_if<RpcError>(&id)) return std::move(*e);
  const auto& tid = std::get<std::string>(id);
  const bj::object* responses = json::get_object(rq.params, "inputResponses");
  if (!responses) return RpcError(Fault::InvalidParams, "tasks/update requires params.inputResponses (an object)");
  if (!rq.core.tasks.provide_input(task_owner(rq), tid, *responses)) return unknown_task(tid);
  return bj::value(bj::object{});
}

Outcome cancel_task(Request& rq) {
  auto id = task_id_param(rq);
  if (auto* e = std::get_if<RpcError>(&id)) return std::move(*e);
  const auto& tid = std::get<std::string>(id);
  const std::string owner = task_owner(rq);
  auto before = rq.core.tasks.get(owner, tid);
  if (!before) return unknown_task(tid);
  // 2026-07-28 acknowledges a cancel of a finished task like any other; 2025-11-25 refuses it.
  if (rq.era != Era::Modern && is_terminal(before->status))
    return RpcError(Fault::InvalidParams,
                    std::string("Cannot cancel task: it is already ") + to_string(before->status));
  rq.core.tasks.cancel(owner, tid);
  if (rq.era == Era::Modern) return bj::value(bj::object{});
  auto after = rq.core.tasks.get(owner, tid);
  if (!after) return unknown_task(tid);
  return bj::value(legacy_task(*after));
}

Outcome list_tasks(Request& rq) {
  bj::array all;
  for (const auto& t : rq.core.tasks.list(task_owner(rq))) all.push_back(legacy_task(t));
  return paginate(rq, std::move(all), "tasks");
}

/// 2025-11-25 tasks/result: waits for the task to end, then answers as the original request would have.
Outcome task_result(Request& rq) {
  auto id = task_id_param(rq);
  if (auto* e = std::get_if<RpcError>(&id)) return std::move(*e);
  const auto& tid = std::get<std::string>(id);
  auto t = rq.core.tasks.wait(task_owner(rq), tid, rq.cancel(),
                              std::chrono::steady_clock::now() + rq.options().task_ttl);
  if (!t) return unknown_task(tid);
  switch (t->status) {
    case TaskStatus::Completed: {
      bj::object r = t->result.value_or(bj::object{});
      r["_meta"] = bj::object{{kMetaRelatedTask, bj::object{{"taskId", tid}}}};
      return bj::value(std::move(r));
    }
    case TaskStatus::Failed:
      return error_of(t->error.value_or(bj::object{}));
    case TaskStatus::Cancelled:
      return RpcError(Fault::InvalidRequest, "the task was cancelled; it has no result");
    default:
      return RpcError(Fault::Unavailable, "the task did not finish in time; poll tasks/get and try again");
  }
}

}  // namespace azsql::mcp::detail
