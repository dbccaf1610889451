// The 2026-07-28 (modern, stateless) era: every request carries its protocol version, client
// capabilities and log level in `_meta` and is served in a per-request Session; multi-round-trip
// requests carry their inputResponses and a signed requestState; subscriptions/listen keeps a
// stream open for notifications. (The HTTP header checks of this era live in transport/http.)
#include <algorithm>

#include "common/json_util.hpp"
#include "jsonrpc/message.hpp"
#include "mcp/methods.hpp"

namespace azsql::mcp::detail {

namespace rpc = azsql::jsonrpc;

namespace {

/// What `_meta` and the multi-round-trip params of a modern request say.
struct ModernMeta {
  const bj::object* caps = nullptr;
  const bj::object* client_info = nullptr;
  std::optional<LogLevel> level;
  std::string mrtr_method, mrtr_target;
  bj::object input_responses;
  bj::value round_state;
};

/// The `_meta` checks, in the spec's order: version present, supported, capabilities, log level.
std::optional<RpcError> check_meta(const bj::object* meta, ModernMeta& out) {
  auto version = meta ? json::get_string(*meta, kMetaProtocolVersion) : std::nullopt;
  if (!version) return RpcError(Fault::InvalidParams, "params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required");
  if (*version != kModernVersion)
    return RpcError(Fault::UnsupportedVersion, "Unsupported protocol version",
                    bj::object{{"supported", supported_versions()}, {"requested", *version}});
  out.caps = json::get_object(*meta, kMetaClientCapabilities);
  if (!out.caps)
    return RpcError(Fault::InvalidParams,
                    "params._meta[\"io.modelcontextprotocol/clientCapabilities\"] is required (an object; {} for none)");
  if (auto it = meta->find(kMetaLogLevel); it != meta->end()) {
    if (it->value().is_string()) out.level = parse_log_level(std::string_view(it->value().get_string()));
    if (!out.level) return RpcError(Fault::InvalidParams, "params._meta[\"io.modelcontextprotocol/logLevel\"] is not a log level");
  }
  out.client_info = json::get_object(*meta, kMetaClientInfo);
  return std::nullopt;
}

/// Multi-round-trip requests (InputRequiredResult): tools/call, prompts/get and resources/read.
std::optional<RpcError> check_round_trip(const Request& rq, ModernMeta& out) {
  if (rq.method != "tools/call" && rq.method != "prompts/get" && rq.method != "resources/read") return std::nullopt;
  out.mrtr_method = rq.method;
  out.mrtr_target = std::string(json::get_string(rq.params, rq.method == "resources/read" ? "uri" : "name").value_or(""));
  if (auto it = rq.params.find("inputResponses"); it != rq.params.end()) {
    if (!it->value().is_object()) return RpcError(Fault::InvalidParams, "params.inputResponses must be an object");
    for (const auto& kv : it->value().get_object()) {
      if (!kv.value().is_object())
        return RpcError(Fault::InvalidParams,
                        "params.inputResponses[\"" + std::string(kv.key()) + "\"] must be an object (the client's result)");
    }
    out.input_responses = it->value().get_object();
  }
  if (auto it = rq.params.find("requestState"); it != rq.params.end()) {
    if (!it->value().is_string()) return RpcError(Fault::InvalidParams, "params.requestState must be a string");
    auto st = rq.core.signer.verify(std::string_view(it->value().get_string()), out.mrtr_method, out.mrtr_target);
    if (!st)
      return RpcError(Fault::InvalidParams,
                      "requestState integrity check failed: it was altered, expired or belongs to another request");
    out.round_state = std::move(*st);
  }
  return std::nullopt;
}

/// The per-request session a modern request is served in.
std::shared_ptr<Session> request_session(const std::shared_ptr<Session>& transport, const Inbound& in, ModernMeta& m) {
  auto eph = std::make_shared<Session>(transport ? transport->id() : std::string("modern"));
  eph->assume_initialized(kModernVersion);
  auto& st = eph->state();
  std::lock_guard lock(st.mu);
  st.modern = true;
  st.mrtr_method = std::move(m.mrtr_method);
  st.mrtr_target = std::move(m.mrtr_target);
  st.input_responses = std::move(m.input_responses);
  st.round_state = std::move(m.round_state);
  if (m.client_info) {
    st.client.name = std::string(json::get_string(*m.client_info, "name").value_or(""));
    st.client.version = std::string(json::get_string(*m.client_info, "version").value_or(""));
  }
  st.client_caps = *m.caps;
  st.log_level = m.level;
  st.parent = transport;
  st.outbox = in.outbox ? in.outbox : (transport ? transport->outbox() : nullptr);
  return eph;
}

}  // namespace

void Core::serve_modern(std::unique_ptr<Request> rq) {
  rq->era = Era::Modern;
  rq->version = kModernVersion;
  ModernMeta meta;
  if (auto e = check_meta(json::get_object(rq->params, "_meta"), meta)) return finish(*rq, std::move(*e));
  if (const Method* m = find_method(rq->method); m && !(m->eras & kModernEra))
    return fail(*rq, Fault::MethodNotFound,
                "Method not found: " + rq->method + " is not part of protocol version " + std::string(kModernVersion));
  if (auto e = check_round_trip(*rq, meta)) return finish(*rq, std::move(*e));
  rq->session = request_session(rq->session, rq->in, meta);
  serve(std::move(rq));
}

Outcome listen(Request& rq) {
  const bj::object* filter = json::get_object(rq.params, "notifications");
  if (!filter) return RpcError(Fault::InvalidParams, "subscriptions/listen requires params.notifications (an object)");
  Core& core = rq.core;
  const auto& listener = rq.session;
  const auto& opt = rq.options();
  bj::object honored;
  {
    auto& st = listener->state();
    std::lock_guard lock(st.mu);
    if (const bj::array* uris = json::get_array(*filter, "resourceSubscriptions")) {
      bj::array kept;
      for (const auto& u : *uris) {
        if (!u.is_string()) continue;
        st.subscriptions.insert(std::string(u.get_string()));
        kept.push_back(u);
      }
      honored["resourceSubscriptions"] = std::move(kept);
    }
    // *ListChanged types are honoured only where the server announces listChanged (the
    // acknowledgement omits the others, as the spec asks).
    const std::pair<const char*, std::pair<const char*, bool>> lists[] = {
        {"toolsListChanged", {"tools", opt.tools_list_changed}},
        {"promptsListChanged", {"prompts", opt.prompts_list_changed}},
        {"resourcesListChanged", {"resources", opt.resources_list_changed}}};
    for (const auto& [field, list] : lists) {
      if (json::get_bool(*filter, field).value_or(false) && list.second) {
        st.listen_lists.insert(list.first);
        honored[field] = true;
      }
    }
    st.subscription_id = rq.id;
  }
  if (auto out = listener->outbox()) {
    out->send(rpc::make_notification(
        "notifications/subscriptions/acknowledged",
        bj::object{{"notifications", std::move(honored)}, {"_meta", bj::object{{kMetaSubscriptionId, rq.id}}}}));
  }
  {
    std::lock_guard lock(core.listeners_mu);
    core.listeners.push_back(listener);
  }
  core.remember(listener);

  // The stream stays open until the client cancels it (notifications/cancelled on stdio, a closed
  // HTTP stream) or the server shuts down; only the latter gets a result.
  CancelToken token;
  const std::string key = id_key(rq.id);
  auto owner = owner_of(listener);
  for (const auto& s : {owner, listener}) {  // the listener's own map too, so shutdown (cancel_all) reaches it
    std::lock_guard lock(s->state().mu);
    s->state().in_flight[key] = token;
  }
  auto closed_link = std::make_shared<CancelToken::Registration>(rq.in.closed.on_cancel([token] { token.cancel(); }));
  auto fired = std::make_shared<std::atomic<bool>>(false);
  auto end = [&core, listener, owner, id = rq.id, key, done = std::move(rq.done), closed_link, fired]() mutable {
    if (fired->exchange(true)) return;
    {
      std::lock_guard lock(core.listeners_mu);
      core.listeners.erase(std::remove(core.listeners.begin(), core.listeners.end(), listener), core.listeners.end());
    }
    {
      std::lock_guard lock(owner->state().mu);
      owner->state().in_flight.erase(key);
    }
    if (!core.pool.stopping()) return done(Outgoing{});
    bj::object meta{{kMetaSubscriptionId, id}, {kMetaServerInfo, core.server_info()}};
    done(Outgoing{bj::value(rpc::make_result(id, bj::object{{"resultType", "complete"}, {"_meta", std::move(meta)}})), 200});
  };
  // Keep the registration alive while the stream is open; ended streams are pruned here rather
  // than from inside their own cancel callback.
  auto reg = std::make_shared<CancelToken::Registration>(token.on_cancel(std::move(end)));
  std::lock_guard lock(core.listeners_mu);
  core.listener_regs.erase(std::remove_if(core.listener_regs.begin(), core.listener_regs.end(),
                                          [](const auto& p) { return p.first.cancelled(); }),
                           core.listener_regs.end());
  core.listener_regs.emplace_back(token, std::move(reg));
  return Deferred{};
}

}  // namespace azsql::mcp::detail
