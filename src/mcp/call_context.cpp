// The per-call context handed to tools, resources, prompts and completions (CallCtx), and the
// Session and Request accessors.
#include "common/json_util.hpp"
#include "jsonrpc/message.hpp"
#include "mcp/core.hpp"

namespace azsql::mcp {

namespace rpc = azsql::jsonrpc;

// ---------------------------------------------------------------- Session

Session::Session(std::string id) : id_(std::move(id)), state_(std::make_unique<detail::SessionState>()) {}
Session::~Session() = default;

bool Session::initialized() const noexcept { return state_->initialized.load(); }

std::string Session::protocol_version() const {
  std::lock_guard lock(state_->mu);
  return state_->protocol_version;
}

ClientInfo Session::client() const {
  std::lock_guard lock(state_->mu);
  return state_->client;
}

bj::object Session::client_capabilities() const {
  std::lock_guard lock(state_->mu);
  return state_->client_caps;
}

void Session::set_outbox(std::shared_ptr<Outbox> outbox) {
  std::lock_guard lock(state_->mu);
  state_->outbox = std::move(outbox);
}

std::shared_ptr<Outbox> Session::outbox() const {
  std::lock_guard lock(state_->mu);
  return state_->outbox;
}

void Session::cancel_all() {
  std::vector<CancelToken> tokens;
  {
    std::lock_guard lock(state_->mu);
    for (auto& [k, t] : state_->in_flight) tokens.push_back(t);
  }
  for (auto& t : tokens) t.cancel();
}

void Session::assume_initialized(std::string_view protocol_version) {
  auto& st = *state_;
  std::lock_guard lock(st.mu);
  st.protocol_version = std::string(protocol_version);
  st.client.protocol_version = st.protocol_version;
  st.client.session_id = id_;
  st.init_seen = true;
  st.initialized = true;
}

namespace detail {

// ---------------------------------------------------------------- Request

const Server& Request::server() const { return core.self; }
const Registry& Request::registry() const { return core.self.registry(); }
const ServerOptions& Request::options() const { return core.self.options(); }
const CancelToken& Request::cancel() const { return ctx ? ctx->cancel() : in.closed; }

// ---------------------------------------------------------------- CallCtx

CallCtx::CallCtx(Core& core, Request& rq, CancelToken token)
    : core_(core),
      rq_(&rq),
      session_(rq.session),
      outbox_(rq.in.outbox),
      token_(std::move(token)),
      client_(rq.session->client()) {
  client_.caller = rq.in.caller;
  if (const auto* meta = json::get_object(rq.params, "_meta")) {
    if (auto it = meta->find("progressToken"); it != meta->end() && (it->value().is_string() || it->value().is_number()))
      progress_token_ = it->value();
  }
}

void CallCtx::progress(double progress, std::optional<double> total, std::string_view message) {
  if (!progress_token_ || token_.cancelled()) return;
  bj::object p;
  p["progressToken"] = *progress_token_;
  p["progress"] = progress;
  if (total) p["total"] = *total;
  if (!message.empty() && at_least(client_.protocol_version, "2025-03-26")) p["message"] = message;
  send(rpc::make_notification("notifications/progress", std::move(p)));
}

void CallCtx::log(LogLevel level, std::string_view logger, bj::value data) {
  std::optional<LogLevel> min;
  {
    std::lock_guard lock(session_->state().mu);
    min = session_->state().log_level;
  }
  if (!min || level < *min) return;
  bj::object p;
  p["level"] = to_string(level);
  if (!logger.empty()) p["logger"] = logger;
  p["data"] = std::move(data);
  send(rpc::make_notification("notifications/message", std::move(p)));
}

void CallCtx::resources_updated(const std::vector<std::string>& uris) { core_.self.notify_resources_updated(uris); }

void CallCtx::set_round_state(bj::value state) {
  std::lock_guard lock(mu_);
  next_state_ = std::move(state);
}

InputOutcome CallCtx::request_input(std::string_view key, std::string_view method, bj::object params) {
  InputOutcome out;
  const char* cap = capability_for(method);
  if (!cap || !session_->client_capabilities().contains(cap)) return out;  // Unsupported
  auto& st = session_->state();
  if (!task_id_.empty() && st.modern) {
    // A task asks through its own status: input_required with inputRequests, answered by tasks/update.
    auto answer = core_.tasks.await_input(task_id_, std::string(key),
                                          bj::object{{"method", method}, {"params", std::move(params)}}, token_,
                                          std::chrono::steady_clock::now() + core_.self.options().input_timeout);
    if (!answer) {
      out.status = InputOutcome::Status::Failed;
      out.error = token_.cancelled() ? "the task was cancelled" : "no answer came within the input timeout";
      return out;
    }
    out.status = InputOutcome::Status::Answered;
    out.result = std::move(*answer);
    return out;
  }
  if (st.modern) {
    if (st.mrtr_method.empty()) return out;
    if (const auto* r = st.input_responses.if_contains(key); r && r->is_object()) {
      out.status = InputOutcome::Status::Answered;
      out.result = r->get_object();
      return out;
    }
    std::lock_guard lock(mu_);
    inputs_[key] = bj::object{{"method", method}, {"params", std::move(params)}};
    out.status = InputOutcome::Status::Pending;
    return out;
  }
  // Without a session (stateless HTTP in the 2025 era) nobody can route the client's answer back
  // to this request, so there is no way to ask.
  const std::string& sid = owner_of(session_)->id();
  if (sid.empty()) return out;
  if (task_id_.empty())
    return core_.elicitation.ask(sid, method, std::move(params), [this](const bj::object& m) { send(m); }, token_,
                                 core_.self.options().input_timeout);
  // 2025-11-25 task: the request names its task, and the task shows input_required while it waits.
  params["_meta"] = bj::object{{kMetaRelatedTask, bj::object{{"taskId", task_id_}}}};
  const std::string k(key);
  core_.tasks.mark_input(task_id_, k, bj::object{{"method", method}, {"params", params}});
  out = core_.elicitation.ask(sid, method, std::move(params), [this](const bj::object& m) { send(m); }, token_,
                              core_.self.options().input_timeout);
  core_.tasks.mark_input(task_id_, k, std::nullopt);
  return out;
}

bool CallCtx::start_task() {
  if (!task_id_.empty()) return true;
  if (!rq_ || rq_->method != "tools/call" || rq_->answered || !tasks_negotiated(*rq_)) return false;
  return !begin_task(*rq_).has_value();
}

bj::object CallCtx::take_input_requests() {
  std::lock_guard lock(mu_);
  return std::move(inputs_);
}

bj::value CallCtx::take_next_state() {
  std::lock_guard lock(mu_);
  return std::move(next_state_);
}

void CallCtx::send(const bj::object& msg) {
  auto out = outbox_ ? outbox_ : session_->outbox();
  if (out) out->send(msg);
}

}  // namespace detail
}  // namespace azsql::mcp
