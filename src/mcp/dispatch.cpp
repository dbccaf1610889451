// Core: serving one request through the method table, on the caller's thread or the worker pool,
// and building its reply once (Core::finish).
#include <spdlog/spdlog.h>

#include "jsonrpc/message.hpp"
#include "mcp/methods.hpp"

namespace azsql::mcp::detail {

namespace rpc = azsql::jsonrpc;

Core::Core(Server& s)
    : self(s),
      pool(s.options().worker_threads, s.options().max_concurrent),
      tasks(TaskLimits{s.options().task_max_per_owner, s.options().task_ttl, s.options().task_poll_interval},
            [this](std::function<void()> job) { pool.post(std::move(job)); }) {}

void Core::remember(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(sessions_mu);
  for (auto it = sessions.begin(); it != sessions.end();) {
    auto p = it->lock();
    if (!p) {
      it = sessions.erase(it);
      continue;
    }
    if (p == s) return;
    ++it;
  }
  sessions.push_back(s);
}

std::vector<std::shared_ptr<Session>> Core::live_sessions() {
  std::lock_guard lock(sessions_mu);
  std::vector<std::shared_ptr<Session>> out;
  for (auto& w : sessions) {
    if (auto p = w.lock()) out.push_back(std::move(p));
  }
  return out;
}

void Core::finished(const RequestEvent& ev) {
  if (auto obs = self.observer_) obs->on_request(ev);
}

void Core::caught(const std::string& where, std::string_view what) {
  self.caught_.fetch_add(1);
  spdlog::error("mcp: internal error in {}: {}", where, what.substr(0, 200));
  if (auto obs = self.observer_) obs->on_internal_error(where);
}

bj::object Core::server_info() const {
  const auto& o = self.options();
  return bj::object{{"name", o.name}, {"title", o.title}, {"version", o.version}};
}

void Core::finish(Request& rq, Outcome outcome) {
  Outgoing out;
  if (auto* e = std::get_if<RpcError>(&outcome)) {
    const WireError w = map_fault(e->fault, rq.era);
    out.message = rpc::make_error(rq.id, w.code, e->message, std::move(e->data));
    out.http_status = w.http_status;
    rq.event.outcome = "error";
    rq.event.error_code = w.code;
  } else if (auto* v = std::get_if<bj::value>(&outcome)) {
    if (rq.era == Era::Modern && v->is_object()) shape_modern_result(rq, v->get_object());
    out.message = rpc::make_result(rq.id, std::move(*v));
  }
  rq.event.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - rq.start);
  finished(rq.event);
  rq.done(std::move(out));
}

void Core::serve(std::unique_ptr<Request> rq) {
  if (rq->era == Era::Legacy) rq->version = rq->session->protocol_version();
  const Method* m = find_method(rq->method);
  if (rq->era == Era::Legacy && (!m || m->needs_initialize) && !rq->session->initialized())
    return fail(*rq, Fault::InvalidRequest, "the session is not initialized: send initialize first");
  if (!m || !(m->eras & era_bit(rq->era))) return fail(*rq, Fault::MethodNotFound, "Method not found: " + rq->method);
  if (m->runs == Runs::Worker) return run_on_worker(std::move(rq), m->handler);
  Outcome out;
  try {
    out = m->handler(*rq);
  } catch (const std::exception& e) {
    caught(rq->method, e.what());
    out = RpcError(Fault::Internal, "internal error while handling " + rq->method);
  }
  if (!std::holds_alternative<Deferred>(out)) finish(*rq, std::move(out));
}

namespace {
/// Runs a worker handler with its CallCtx; exceptions become internal errors (logged, counted).
Outcome run_handler(Core& core, Request& rq, Outcome (*handler)(Request&), CallCtx& ctx) {
  rq.ctx = &ctx;
  Outcome out;
  try {
    out = handler(rq);
  } catch (const std::exception& e) {
    core.caught(rq.method, e.what());
    out = RpcError(Fault::Internal, "internal error while handling " + rq.method);
  } catch (...) {
    core.caught(rq.method, "a non-standard exception");
    out = RpcError(Fault::Internal, "internal error while handling " + rq.method);
  }
  rq.ctx = nullptr;
  // 2026-07-28 multi-round-trip request: ask for the client's input instead of completing.
  if (auto* v = std::get_if<bj::value>(&out); v && ctx.modern()) {
    bj::object inputs = ctx.take_input_requests();
    if (!inputs.empty()) {
      const auto& st = rq.session->state();
      bj::object r{{"resultType", "input_required"}, {"inputRequests", std::move(inputs)}};
      r["requestState"] = core.signer.sign(st.mrtr_method, st.mrtr_target, ctx.take_next_state());
      *v = std::move(r);
    }
  }
  return out;
}
}  // namespace

void Core::run_on_worker(std::unique_ptr<Request> rq, Outcome (*handler)(Request&)) {
  switch (pool.admit()) {
    case WorkerPool::Admission::Stopping:
      return fail(*rq, Fault::Busy, "server is shutting down");
    case WorkerPool::Admission::Busy:
      return fail(*rq, Fault::Busy,
                  "server busy: too many requests in flight (MCP_MAX_CONCURRENT_REQUESTS=" +
                      std::to_string(pool.max_in_flight()) + "); retry shortly");
    case WorkerPool::Admission::Admitted:
      break;
  }
  // The request's own token: notifications/cancelled finds it by id in the owner session, and the
  // transport's closed token (shared by every member of a batch) cancels it too.
  CancelToken token;
  std::string key = id_key(rq->id);
  auto owner = owner_of(rq->session);
  {
    std::lock_guard lock(owner->state().mu);
    owner->state().in_flight[key] = token;
  }
  rq->closed_link = std::make_shared<CancelToken::Registration>(rq->in.closed.on_cancel([token] { token.cancel(); }));
  pool.post([this, rq = std::move(rq), handler, token, key = std::move(key), owner = std::move(owner)]() mutable {
    Outcome out;
    {
      CallCtx ctx(*this, *rq, token);
      out = run_handler(*this, *rq, handler, ctx);
    }
    bool cancelled_by_client = false;
    {
      std::lock_guard lock(owner->state().mu);
      owner->state().in_flight.erase(key);
      cancelled_by_client = token.cancelled() && !pool.stopping();
    }
    rq->closed_link.reset();
    if (rq->answered) {
      // A tools/call that became a task: answered with its CreateTaskResult already.
    } else if (cancelled_by_client) {
      // MCP: the receiver of notifications/cancelled SHOULD NOT send a response.
      rq->event.outcome = "cancelled";
      rq->event.duration =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - rq->start);
      finished(rq->event);
      rq->done(Outgoing{});
    } else if (!std::holds_alternative<Deferred>(out)) {
      finish(*rq, std::move(out));
    }
    pool.release();
  });
}

}  // namespace azsql::mcp::detail
