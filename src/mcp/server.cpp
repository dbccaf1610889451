// Server: the transport-facing entry points (messages, batches, notifications from the client),
// server-initiated notifications and shutdown. Requests go to the Core (dispatch.cpp), which serves
// them through the method table (methods.cpp).
#include "mcp/server.hpp"

#include "common/json_util.hpp"
#include "jsonrpc/message.hpp"
#include "mcp/core.hpp"

namespace azsql::mcp {

namespace rpc = azsql::jsonrpc;
using detail::Core;
using detail::Request;

bool is_supported_version(std::string_view v) noexcept {
  for (const char* s : kProtocolVersions) {
    if (v == s) return true;
  }
  return false;
}

// ---------------------------------------------------------------- Server

Server::Server(std::shared_ptr<const Registry> registry, ServerOptions options)
    : registry_(std::move(registry)), options_(std::move(options)) {
  core_ = std::make_unique<Core>(*this);
}

Server::~Server() {
  core_->pool.stop();
  {
    std::lock_guard lock(core_->listeners_mu);
    core_->listener_regs.clear();
    core_->listeners.clear();
  }
  for (auto& s : core_->live_sessions()) s->cancel_all();
  core_->tasks.cancel_all();
  core_->pool.join();
}

std::size_t Server::in_flight() const noexcept { return core_->pool.in_flight(); }

bool Server::expects_response(const bj::value& message) {
  if (message.is_array()) {
    for (const auto& m : message.get_array()) {
      if (expects_response(m)) return true;
    }
    return message.get_array().empty();
  }
  auto t = rpc::classify(message);
  if (t == rpc::MessageType::Request || t == rpc::MessageType::Invalid) return true;
  return false;
}

bool Server::is_initialize(const bj::value& message) {
  if (!message.is_object()) return false;
  const auto& o = message.get_object();
  auto m = o.find("method");
  return rpc::classify(message) == rpc::MessageType::Request && m->value().get_string() == "initialize";
}

std::optional<std::string> Server::modern_version(const bj::value& message) {
  if (!message.is_object()) return std::nullopt;
  const auto& o = message.get_object();
  const bj::object* params = json::get_object(o, "params");
  const bj::object* meta = params ? json::get_object(*params, "_meta") : nullptr;
  if (!meta) return std::nullopt;
  auto v = json::get_string(*meta, kMetaProtocolVersion);
  if (!v) return std::nullopt;
  return std::string(*v);
}

namespace {

const bj::object& params_of(const bj::object& msg) {
  static const bj::object empty;
  auto it = msg.find("params");
  if (it != msg.end() && it->value().is_object()) return it->value().get_object();
  return empty;
}

bj::value invalid_request_for(const bj::value& m) {
  bj::value id = nullptr;
  if (m.is_object()) {
    if (auto it = m.get_object().find("id"); it != m.get_object().end() && rpc::is_valid_id(it->value())) id = it->value();
  }
  return rpc::make_error(id, errc::kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
}

/// The Request for a message classified as a request (moves its params out).
std::unique_ptr<Request> make_request(Core& core, const std::shared_ptr<Session>& session, bj::object& msg, Inbound in,
                                      Server::Respond respond) {
  auto rq = std::make_unique<Request>(core);
  rq->session = session;
  rq->id = msg.at("id");
  rq->method = std::string(msg.at("method").get_string());
  if (auto p = msg.find("params"); p != msg.end() && p->value().is_object()) rq->params = std::move(p->value().get_object());
  rq->in = std::move(in);
  rq->done = std::move(respond);
  rq->event.method = rq->method;
  rq->event.outcome = "ok";
  return rq;
}

bool params_not_object(const bj::object& msg) {
  auto p = msg.find("params");
  return p != msg.end() && !p->value().is_object();
}

/// Handles the client's notifications (initialized, cancelled); others are ignored.
void on_notification(const std::shared_ptr<Session>& session, const bj::object& msg) {
  std::string_view method(msg.at("method").get_string());
  auto& st = session->state();
  if (method == "notifications/initialized") {
    st.initialized = st.init_seen.load();
  } else if (method == "notifications/cancelled") {
    const auto& params = params_of(msg);
    if (auto it = params.find("requestId"); it != params.end()) {
      std::optional<CancelToken> t;
      {
        std::lock_guard lock(st.mu);
        if (auto f = st.in_flight.find(detail::id_key(it->value())); f != st.in_flight.end()) t = f->second;
      }
      if (t) t->cancel();
    }
  }
}

}  // namespace

// ---------------------------------------------------------------- handle

namespace {
/// Collects the replies of a batch's members into one array reply.
struct Batch {
  std::mutex mu;
  bj::array responses;
  std::size_t pending = 0;
  Server::Respond respond;

  void member_done(Outgoing o) {
    std::unique_lock lock(mu);
    if (o.message) responses.push_back(std::move(*o.message));
    if (--pending > 0) return;
    auto out = std::move(responses);
    auto r = std::move(respond);
    lock.unlock();
    r(out.empty() ? Outgoing{} : Outgoing{bj::value(std::move(out)), 200});
  }
};
}  // namespace

void Server::handle_batch(const std::shared_ptr<Session>& session, bj::array batch, const Inbound& in, Respond respond) {
  if (batch.empty()) {
    respond({bj::value(rpc::make_error(nullptr, errc::kInvalidRequest, "Invalid Request: empty batch")), 200});
    return;
  }
  if (!session->initialized() || session->protocol_version() > "2025-03-26") {
    respond({bj::value(rpc::make_error(
                 nullptr, errc::kInvalidRequest,
                 "JSON-RPC batches are only supported for protocol version 2025-03-26 and earlier, after initialize")),
             200});
    return;
  }
  auto st = std::make_shared<Batch>();
  st->pending = batch.size();
  st->respond = std::move(respond);
  for (auto& m : batch) {
    if (is_initialize(m)) {
      st->member_done({bj::value(rpc::make_error(m.get_object().at("id"), errc::kInvalidRequest,
                                                 "initialize must not be part of a batch")),
                       200});
      continue;
    }
    // Every member shares the message's Inbound: a closed stream cancels each of them.
    handle(session, std::move(m), in, [st](Outgoing o) { st->member_done(std::move(o)); });
  }
}

void Server::handle(const std::shared_ptr<Session>& session, bj::value message, Inbound in, Respond respond) {
  core_->remember(session);
  if (message.is_array()) return handle_batch(session, std::move(message.get_array()), in, std::move(respond));
  switch (rpc::classify(message)) {
    case rpc::MessageType::Invalid:
      respond({invalid_request_for(message), 200});
      return;
    case rpc::MessageType::Response:
      // Answers to our elicitation/sampling/roots requests.
      core_->elicitation.on_response(detail::owner_of(session)->id(), message.get_object());
      respond({});
      return;
    case rpc::MessageType::Notification:
      on_notification(session, message.get_object());
      respond({});
      return;
    case rpc::MessageType::Request:
      break;
  }
  if (modern_version(message) && !session->state().init_seen.load())
    return handle_modern(session, std::move(message), std::move(in), std::move(respond));
  auto& msg = message.get_object();
  const bool bad_params = params_not_object(msg);
  auto rq = make_request(*core_, session, msg, std::move(in), std::move(respond));
  if (bad_params) return core_->fail(*rq, Fault::InvalidParams, "params must be an object");
  core_->serve(std::move(rq));
}

void Server::handle_modern(const std::shared_ptr<Session>& session, bj::value message, Inbound in, Respond respond) {
  core_->remember(session);
  if (rpc::classify(message) != rpc::MessageType::Request) {
    handle(session, std::move(message), std::move(in), std::move(respond));
    return;
  }
  auto& msg = message.get_object();
  const bool bad_params = params_not_object(msg);
  auto rq = make_request(*core_, session, msg, std::move(in), std::move(respond));
  rq->era = Era::Modern;
  if (bad_params) return core_->fail(*rq, Fault::InvalidParams, "params must be an object");
  core_->serve_modern(std::move(rq));
}

// ---------------------------------------------------------------- server-initiated notifications

void Server::notify_list_changed(std::string_view list) {
  const bool enabled = (list == "tools" && options_.tools_list_changed) ||
                       (list == "prompts" && options_.prompts_list_changed) ||
                       (list == "resources" && options_.resources_list_changed);
  if (!enabled) return;
  const std::string method = "notifications/" + std::string(list) + "/list_changed";
  for (auto& s : core_->live_sessions()) {
    std::optional<bj::value> sub_id;
    bool wants = false;
    {
      auto& st = s->state();
      std::lock_guard lock(st.mu);
      sub_id = st.subscription_id;
      wants = sub_id ? st.listen_lists.count(std::string(list)) > 0 : (st.initialized.load() && !st.modern);
    }
    auto out = s->outbox();
    if (!wants || !out) continue;
    bj::object p;
    if (sub_id) p["_meta"] = bj::object{{detail::kMetaSubscriptionId, *sub_id}};
    out->send(rpc::make_notification(method, std::move(p)));
  }
}

void Server::notify_resources_updated(const std::vector<std::string>& uris) {
  for (auto& s : core_->live_sessions()) {
    std::vector<std::string> hits;
    {
      std::lock_guard lock(s->state().mu);
      for (const auto& sub : s->state().subscriptions) {
        for (const auto& u : uris) {
          if (sub == u || (sub.size() > u.size() && sub.compare(0, u.size(), u) == 0 && sub[u.size()] == '/')) {
            hits.push_back(sub);
            break;
          }
        }
      }
    }
    auto out = s->outbox();
    if (!out) continue;
    std::optional<bj::value> sub_id;
    {
      std::lock_guard lock(s->state().mu);
      sub_id = s->state().subscription_id;
    }
    for (const auto& h : hits) {
      bj::object p{{"uri", h}};
      if (sub_id) p["_meta"] = bj::object{{detail::kMetaSubscriptionId, *sub_id}};
      out->send(rpc::make_notification("notifications/resources/updated", std::move(p)));
    }
  }
}

void Server::shutdown(std::chrono::milliseconds grace) {
  core_->pool.stop();
  {
    std::vector<std::shared_ptr<Session>> ls;
    {
      std::lock_guard lock(core_->listeners_mu);
      ls = core_->listeners;
    }
    for (auto& l : ls) l->cancel_all();  // subscriptions/listen streams end with a result
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  core_->pool.wait_idle(deadline);
  for (auto& s : core_->live_sessions()) s->cancel_all();
  core_->tasks.cancel_all();  // running tasks (their SQL is interrupted) after the grace period
  core_->pool.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

}  // namespace azsql::mcp
