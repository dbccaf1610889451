#include "mcp/server.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <algorithm>
#include <exception>
#include <thread>

#include "common/json_util.hpp"
#include "jsonrpc/message.hpp"
#include "mcp/schema_validate.hpp"

namespace azsql::mcp {

namespace rpc = azsql::jsonrpc;

namespace {
/// The transport's "stream closed" token for the request being dispatched on this thread
/// (dispatch up to run_on_worker is synchronous on the caller's thread).
thread_local const CancelToken* current_closed = nullptr;
}  // namespace

bool is_supported_version(std::string_view v) noexcept {
  for (const char* s : kProtocolVersions) {
    if (v == s) return true;
  }
  return false;
}

// ---------------------------------------------------------------- Session

Session::Session(std::string id) : id_(std::move(id)) {}

std::string Session::protocol_version() const {
  std::lock_guard lock(mu_);
  return protocol_version_;
}

ClientInfo Session::client() const {
  std::lock_guard lock(mu_);
  return client_;
}

bj::object Session::client_capabilities() const {
  std::lock_guard lock(mu_);
  return client_caps_;
}

void Session::set_outbox(std::shared_ptr<Outbox> outbox) {
  std::lock_guard lock(mu_);
  outbox_ = std::move(outbox);
}

std::shared_ptr<Outbox> Session::outbox() const {
  std::lock_guard lock(mu_);
  return outbox_;
}

void Session::cancel_all() {
  std::vector<CancelToken> tokens;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, t] : in_flight_) tokens.push_back(t);
  }
  for (auto& t : tokens) t.cancel();
}

void Session::assume_initialized(std::string_view protocol_version) {
  std::lock_guard lock(mu_);
  protocol_version_ = std::string(protocol_version);
  client_.protocol_version = protocol_version_;
  client_.session_id = id_;
  init_seen_ = true;
  initialized_ = true;
}

// ---------------------------------------------------------------- helpers

namespace {

/// Version-ordering helper: revisions are ISO dates, so string comparison orders them.
bool at_least(const std::string& version, const char* rev) { return version >= rev; }

std::string id_key(const bj::value& id) { return bj::serialize(id); }

/// A JSON-RPC error carried through the dispatcher.
struct RpcError {
  int code;
  std::string message;
  std::optional<bj::value> data;
};

const bj::object& params_of(const bj::object& msg) {
  static const bj::object empty;
  auto it = msg.find("params");
  if (it != msg.end() && it->value().is_object()) return it->value().get_object();
  return empty;
}

std::string encode_cursor(std::size_t offset) { return "o" + std::to_string(offset); }

std::optional<std::size_t> decode_cursor(const bj::object& params) {
  auto c = json::get_string(params, "cursor");
  if (!c) return params.contains("cursor") ? std::nullopt : std::optional<std::size_t>(0);
  if (c->size() < 2 || (*c)[0] != 'o') return std::nullopt;
  std::size_t n = 0;
  for (char ch : c->substr(1)) {
    if (ch < '0' || ch > '9' || n > 100000000) return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(ch - '0');
  }
  return n;
}

bj::object tool_json(const ToolDefinition& d, const std::string& version) {
  bj::object t;
  t["name"] = d.name;
  if (at_least(version, "2025-06-18") && !d.title.empty()) t["title"] = d.title;
  t["description"] = d.description;
  t["inputSchema"] = d.input_schema;
  if (at_least(version, "2025-06-18") && !d.output_schema.empty()) t["outputSchema"] = d.output_schema;
  if (at_least(version, "2025-03-26")) {
    bj::object a;
    if (!d.title.empty()) a["title"] = d.title;
    if (d.annotations.read_only) a["readOnlyHint"] = *d.annotations.read_only;
    if (d.annotations.destructive) a["destructiveHint"] = *d.annotations.destructive;
    if (d.annotations.idempotent) a["idempotentHint"] = *d.annotations.idempotent;
    if (d.annotations.open_world) a["openWorldHint"] = *d.annotations.open_world;
    t["annotations"] = std::move(a);
  }
  return t;
}

bj::object server_capabilities(const std::string& version, const ServerOptions& o) {
  bj::object caps;
  caps["tools"] = bj::object{{"listChanged", o.tools_list_changed}};
  caps["resources"] = bj::object{{"subscribe", true}, {"listChanged", o.resources_list_changed}};
  caps["prompts"] = bj::object{{"listChanged", o.prompts_list_changed}};
  caps["logging"] = bj::object{};
  if (at_least(version, "2025-03-26")) caps["completions"] = bj::object{};
  return caps;
}

}  // namespace

// ---------------------------------------------------------------- multi-round-trip helpers

namespace {

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
    out += kB64Url[(v >> 6) & 63];
    out += kB64Url[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
    if (i + 1 < in.size()) out += kB64Url[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

/// Strict standard Base64 (RFC 4648 §4, padding required); nullopt on any deviation.
std::optional<std::string> base64_decode_strict(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=' && i + 2 >= in.size()) {
      ++pad;
      continue;
    } else return std::nullopt;
    if (pad) return std::nullopt;  // data after padding
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

/// A header value as the client meant it: the Base64 sentinel form `=?base64?…?=` decoded
/// (basic/transports, "Value Encoding"); nullopt when the sentinel holds invalid Base64 or the
/// value has characters a header may not carry.
std::optional<std::string> decode_header_value(std::string_view v) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u > 0x7E)) return std::nullopt;
  }
  constexpr std::string_view kPrefix = "=?base64?", kSuffix = "?=";
  if (v.size() >= kPrefix.size() + kSuffix.size() && v.substr(0, kPrefix.size()) == kPrefix &&
      v.substr(v.size() - kSuffix.size()) == kSuffix)
    return base64_decode_strict(v.substr(kPrefix.size(), v.size() - kPrefix.size() - kSuffix.size()));
  return std::string(v);
}

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += d[p[i] >> 4];
    out += d[p[i] & 15];
  }
  return out;
}

/// The method a server-to-client request needs the client to have declared.
const char* capability_for(std::string_view method) {
  if (method == "elicitation/create") return "elicitation";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "roots/list") return "roots";
  return nullptr;
}

}  // namespace

// ---------------------------------------------------------------- Impl

struct Server::Impl {
  Server& self;
  boost::asio::thread_pool workers;
  std::mutex sessions_mu;
  std::vector<std::weak_ptr<Session>> sessions;
  std::atomic<bool> stopping{false};
  std::mutex idle_mu;
  std::condition_variable idle_cv;

  Impl(Server& s, std::size_t threads) : self(s), workers(threads == 0 ? 1 : threads) {
    if (RAND_bytes(state_key.data(), static_cast<int>(state_key.size())) != 1)
      throw std::runtime_error("cannot seed the requestState key");  // start-up failure
    std::array<unsigned char, 6> r{};
    RAND_bytes(r.data(), static_cast<int>(r.size()));
    request_prefix = "azsql-" + hex(r.data(), r.size()) + "-";
  }
  ~Impl() { OPENSSL_cleanse(state_key.data(), state_key.size()); }

  // ---- 2026-07-28 requestState: base64url(JSON payload) "." hex(HMAC-SHA256(key, payload)).
  std::array<unsigned char, 32> state_key{};

  std::string mac(std::string_view data) const {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), state_key.data(), static_cast<int>(state_key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return hex(out, len);
  }

  std::string sign_state(const std::string& method, const std::string& target, const bj::value& app_state) const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    std::array<unsigned char, 8> nonce{};
    RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
    bj::object payload{{"m", method}, {"t", target}, {"s", app_state}, {"exp", now.count() + 600},
                       {"n", hex(nonce.data(), nonce.size())}};
    const std::string body = base64url_encode(bj::serialize(payload));
    return body + "." + mac(body);
  }

  /// The application state inside a requestState we issued for this method and target, or nullopt
  /// when it was tampered with, expired or belongs to another request.
  std::optional<bj::value> verify_state(std::string_view token, const std::string& method, const std::string& target) const {
    const auto dot = token.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view body = token.substr(0, dot);
    const std::string expected = mac(body);
    const std::string_view given = token.substr(dot + 1);
    if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
      return std::nullopt;
    auto json_text = base64url_decode(body);
    if (!json_text) return std::nullopt;
    boost::system::error_code ec;
    bj::value v = bj::parse(*json_text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto& o = v.get_object();
    if (json::get_string(o, "m").value_or("") != method || json::get_string(o, "t").value_or("") != target) return std::nullopt;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    const auto* exp = o.if_contains("exp");
    if (!exp || !exp->is_int64() || exp->get_int64() < now.count()) return std::nullopt;
    const auto* st = o.if_contains("s");
    return st ? *st : bj::value(nullptr);
  }

  // ---- 2025-era server-to-client requests awaiting the client's response.
  struct PendingInput {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool ok = false;
    bj::object result;
    std::string error;
    std::string session_id;
  };
  std::string request_prefix;
  std::atomic<std::uint64_t> next_request{1};
  std::mutex pending_mu;
  std::unordered_map<std::string, std::shared_ptr<PendingInput>> pending;

  void on_response(const std::shared_ptr<Session>& session, const bj::object& msg) {
    const auto* id = msg.if_contains("id");
    if (!id || !id->is_string()) return;
    std::shared_ptr<PendingInput> p;
    {
      std::lock_guard lock(pending_mu);
      auto it = pending.find(std::string(id->get_string()));
      if (it == pending.end() || it->second->session_id != session->id()) return;
      p = it->second;
      pending.erase(it);
    }
    std::lock_guard lock(p->mu);
    if (const auto* r = msg.if_contains("result"); r && r->is_object()) {
      p->ok = true;
      p->result = r->get_object();
    } else {
      p->error = "the client answered with an error";
      if (const auto* e = msg.if_contains("error"); e && e->is_object()) {
        if (auto m = json::get_string(e->get_object(), "message")) p->error += ": " + std::string(*m);
      }
    }
    p->done = true;
    p->cv.notify_all();
  }

  void remember(const std::shared_ptr<Session>& s) {
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

  std::vector<std::shared_ptr<Session>> live_sessions() {
    std::lock_guard lock(sessions_mu);
    std::vector<std::shared_ptr<Session>> out;
    for (auto& w : sessions) {
      if (auto p = w.lock()) out.push_back(std::move(p));
    }
    return out;
  }

  void finished(const RequestEvent& ev) {
    if (auto obs = self.observer_) obs->on_request(ev);
  }

  // Open subscriptions/listen streams (modern era), kept alive until cancelled.
  std::mutex listeners_mu;
  std::vector<std::shared_ptr<Session>> listeners;
  std::vector<std::pair<CancelToken, std::shared_ptr<CancelToken::Registration>>> listener_regs;

  // One request; `done` receives the full response object.
  void dispatch(const std::shared_ptr<Session>& session, const bj::object& msg, std::shared_ptr<Outbox> outbox,
                std::function<void(std::optional<bj::value>)> done);
  // A request carrying modern-era `_meta` (2026-07-28): served statelessly.
  void dispatch_modern(const std::shared_ptr<Session>& transport_session, const bj::object& msg,
                       std::shared_ptr<Outbox> outbox, std::function<void(std::optional<bj::value>)> done,
                       const CancelToken* closed);
  void listen(const std::shared_ptr<Session>& listener, const std::shared_ptr<Session>& transport_session,
              const bj::value& id, const bj::object& filter, std::function<void(std::optional<bj::value>)> done,
              const CancelToken* closed);
  bj::object server_info() const {
    return bj::object{{"name", self.options_.name}, {"title", self.options_.title}, {"version", self.options_.version}};
  }


  void run_on_worker(const std::shared_ptr<Session>& session, const bj::value& id, std::shared_ptr<Outbox> outbox,
                     const bj::object& params, std::string method,
                     std::function<bj::value(class CallCtx&, RequestEvent&)> job,
                     std::function<void(std::optional<bj::value>)> done);
};

/// CallContext handed to tools/resources/prompts for one request.
class CallCtx final : public CallContext {
 public:
  CallCtx(Server::Impl& impl, Server& server, std::shared_ptr<Session> session, std::shared_ptr<Outbox> outbox,
          CancelToken token, std::optional<bj::value> progress_token)
      : impl_(impl),
        server_(server),
        session_(std::move(session)),
        outbox_(std::move(outbox)),
        token_(std::move(token)),
        progress_token_(std::move(progress_token)),
        client_(session_->client()) {}

  const CancelToken& cancel() const override { return token_; }

  void progress(double progress, std::optional<double> total, std::string_view message) override {
    if (!progress_token_ || token_.cancelled()) return;
    bj::object p;
    p["progressToken"] = *progress_token_;
    p["progress"] = progress;
    if (total) p["total"] = *total;
    if (!message.empty() && at_least(client_.protocol_version, "2025-03-26")) p["message"] = message;
    send(rpc::make_notification("notifications/progress", std::move(p)));
  }

  void log(LogLevel level, std::string_view logger, bj::value data) override {
    std::optional<LogLevel> min;
    {
      std::lock_guard lock(session_->mu_);
      min = session_->log_level_;
    }
    if (!min || level < *min) return;
    bj::object p;
    p["level"] = to_string(level);
    if (!logger.empty()) p["logger"] = logger;
    p["data"] = std::move(data);
    send(rpc::make_notification("notifications/message", std::move(p)));
  }

  void resources_updated(const std::vector<std::string>& uris) override { server_.notify_resources_updated(uris); }

  const ClientInfo& client() const override { return client_; }

  bj::object client_capabilities() const override { return session_->client_capabilities(); }
  bool modern() const noexcept { return session_->modern_; }

  const bj::value& round_state() const override { return session_->round_state_; }
  void set_round_state(bj::value state) override {
    std::lock_guard lock(mu_);
    next_state_ = std::move(state);
  }

  InputOutcome request_input(std::string_view key, std::string_view method, bj::object params) override {
    InputOutcome out;
    const char* cap = capability_for(method);
    if (!cap || !session_->client_capabilities().contains(cap)) return out;  // Unsupported
    if (session_->modern_) {
      if (session_->mrtr_method_.empty()) return out;
      if (const auto* r = session_->input_responses_.if_contains(key); r && r->is_object()) {
        out.status = InputOutcome::Status::Answered;
        out.result = r->get_object();
        return out;
      }
      std::lock_guard lock(mu_);
      inputs_[key] = bj::object{{"method", method}, {"params", std::move(params)}};
      out.status = InputOutcome::Status::Pending;
      return out;
    }
    // Without a session (stateless HTTP in the 2025 era) nobody can route the client's answer
    // back to this request, so there is no way to ask.
    if ((session_->parent_ ? session_->parent_ : session_)->id().empty()) return out;
    return ask_and_wait(method, std::move(params));
  }

  /// The InputRequests recorded this round (empty = the call completed).
  bj::object take_input_requests() {
    std::lock_guard lock(mu_);
    return std::move(inputs_);
  }
  bj::value take_next_state() {
    std::lock_guard lock(mu_);
    return std::move(next_state_);
  }

 private:
  void send(const bj::object& msg) {
    auto out = outbox_ ? outbox_ : session_->outbox();
    if (out) out->send(msg);
  }

  /// 2025 revisions: a real server-to-client request on the request's stream, answered by a
  /// JSON-RPC response the transport hands to Server::handle().
  InputOutcome ask_and_wait(std::string_view method, bj::object params) {
    InputOutcome out;
    auto p = std::make_shared<Server::Impl::PendingInput>();
    p->session_id = (session_->parent_ ? session_->parent_ : session_)->id();
    const std::string id = impl_.request_prefix + std::to_string(impl_.next_request.fetch_add(1));
    {
      std::lock_guard lock(impl_.pending_mu);
      impl_.pending[id] = p;
    }
    auto wake = token_.on_cancel([p] {
      std::lock_guard lock(p->mu);
      p->cv.notify_all();
    });
    send(bj::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    const auto deadline = std::chrono::steady_clock::now() + server_.options().input_timeout;
    std::unique_lock lock(p->mu);
    p->cv.wait_until(lock, deadline, [&] { return p->done || token_.cancelled(); });
    if (!p->done) {
      lock.unlock();
      std::lock_guard plock(impl_.pending_mu);
      impl_.pending.erase(id);
      out.status = InputOutcome::Status::Failed;
      out.error = token_.cancelled() ? "the request was cancelled" : "the client did not answer in time";
      return out;
    }
    if (p->ok) {
      out.status = InputOutcome::Status::Answered;
      out.result = std::move(p->result);
    } else {
      out.status = InputOutcome::Status::Failed;
      out.error = p->error;
    }
    return out;
  }

  Server::Impl& impl_;
  std::mutex mu_;
  bj::object inputs_;
  bj::value next_state_;
  Server& server_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<Outbox> outbox_;
  CancelToken token_;
  std::optional<bj::value> progress_token_;
  ClientInfo client_;
};

void Server::Impl::run_on_worker(const std::shared_ptr<Session>& session, const bj::value& id,
                                 std::shared_ptr<Outbox> outbox, const bj::object& params, std::string method,
                                 std::function<bj::value(CallCtx&, RequestEvent&)> job,
                                 std::function<void(std::optional<bj::value>)> done) {
  const auto start = std::chrono::steady_clock::now();
  if (stopping.load()) {
    done(rpc::make_error(id, errc::kServerBusy, "server is shutting down"));
    finished({method, "", "error", errc::kServerBusy, {}});
    return;
  }
  std::size_t n = self.in_flight_.fetch_add(1) + 1;
  if (n > self.options_.max_concurrent) {
    self.in_flight_.fetch_sub(1);
    done(rpc::make_error(id, errc::kServerBusy,
                         "server busy: too many requests in flight (MCP_MAX_CONCURRENT_REQUESTS=" +
                             std::to_string(self.options_.max_concurrent) + "); retry shortly"));
    finished({method, "", "error", errc::kServerBusy, {}});
    return;
  }
  CancelToken token;
  const std::string key = id_key(id);
  std::shared_ptr<Session> owner = session->parent_ ? session->parent_ : session;
  {
    std::lock_guard lock(owner->mu_);
    owner->in_flight_[key] = token;
  }
  // The transport's "stream closed" signal cancels this request too.
  std::shared_ptr<CancelToken::Registration> closed_link;
  if (current_closed) closed_link = std::make_shared<CancelToken::Registration>(current_closed->on_cancel([token] { token.cancel(); }));
  std::optional<bj::value> progress_token;
  if (const auto* meta = json::get_object(params, "_meta")) {
    if (auto it = meta->find("progressToken"); it != meta->end() && (it->value().is_string() || it->value().is_number()))
      progress_token = it->value();
  }
  boost::asio::post(workers, [this, session, owner, closed_link, id, outbox = std::move(outbox), token, key, progress_token,
                              method = std::move(method), job = std::move(job), done = std::move(done), start]() mutable {
    CallCtx ctx(*this, self, session, outbox, token, progress_token);
    RequestEvent ev;
    ev.method = method;
    ev.outcome = "ok";
    std::optional<bj::value> response;
    try {
      bj::value result = job(ctx, ev);
      if (result.is_object() && result.get_object().contains("__rpc_error")) {
        auto& e = result.get_object();
        int code = static_cast<int>(e["code"].as_int64());
        std::optional<bj::value> data;
        if (auto it = e.find("data"); it != e.end()) data = it->value();
        response = rpc::make_error(id, code, std::string(e["message"].as_string()), data);
        ev.outcome = "error";
        ev.error_code = code;
      } else {
        bj::object inputs = ctx.take_input_requests();
        if (!inputs.empty() && session->modern_) {
          // 2026-07-28 multi-round-trip request: ask for the input instead of completing.
          bj::object r{{"resultType", "input_required"}, {"inputRequests", std::move(inputs)}};
          r["requestState"] = sign_state(session->mrtr_method_, session->mrtr_target_, ctx.take_next_state());
          result = std::move(r);
        }
        response = rpc::make_result(id, std::move(result));
      }
    } catch (const std::exception&) {
      response = rpc::make_error(id, errc::kInternalError, "internal error while handling " + method);
      ev.outcome = "error";
      ev.error_code = errc::kInternalError;
    }
    bool cancelled_by_client = false;
    {
      std::lock_guard lock(owner->mu_);
      owner->in_flight_.erase(key);
      cancelled_by_client = token.cancelled() && !stopping.load();
    }
    ev.duration = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    if (cancelled_by_client) ev.outcome = "cancelled";
    finished(ev);
    // MCP: the receiver of notifications/cancelled SHOULD NOT send a response.
    done(cancelled_by_client ? std::nullopt : std::move(response));
    if (self.in_flight_.fetch_sub(1) == 1) {
      std::lock_guard lock(idle_mu);
      idle_cv.notify_all();
    }
  });
}

namespace {
bool ctx_modern(const CallCtx& ctx) { return ctx.modern(); }

bj::value rpc_error_value(int code, std::string message, std::optional<bj::value> data = std::nullopt) {
  bj::object e;
  e["__rpc_error"] = true;
  e["code"] = code;
  e["message"] = std::move(message);
  if (data) e["data"] = std::move(*data);
  return e;
}
}  // namespace

void Server::Impl::dispatch(const std::shared_ptr<Session>& session, const bj::object& msg,
                            std::shared_ptr<Outbox> outbox, std::function<void(std::optional<bj::value>)> done) {
  const auto start = std::chrono::steady_clock::now();
  const bj::value id = msg.at("id");
  const std::string method(msg.at("method").get_string());
  const bj::object& params = params_of(msg);
  if (auto p = msg.find("params"); p != msg.end() && !p->value().is_object()) {
    done(rpc::make_error(id, errc::kInvalidParams, "params must be an object"));
    finished({method, "", "error", errc::kInvalidParams, {}});
    return;
  }

  auto reply_now = [&](bj::value result) {
    done(rpc::make_result(id, std::move(result)));
    finished({method, "", "ok", 0,
              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)});
  };
  auto fail_now = [&](int code, std::string message, std::optional<bj::value> data = std::nullopt) {
    done(rpc::make_error(id, code, message, std::move(data)));
    finished({method, "", "error", code,
              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)});
  };

  if (method == "ping") return reply_now(bj::object{});

  if (method == "initialize") {
    if (session->init_seen_.exchange(true)) return fail_now(errc::kInvalidRequest, "session is already initialized");
    auto requested = json::get_string(params, "protocolVersion");
    if (!requested) {
      session->init_seen_ = false;
      return fail_now(errc::kInvalidParams, "initialize requires params.protocolVersion (a string)");
    }
    std::string version = is_supported_version(*requested) ? std::string(*requested) : kProtocolVersions[0];
    {
      std::lock_guard lock(session->mu_);
      session->protocol_version_ = version;
      session->client_.protocol_version = version;
      session->client_.session_id = session->id_;
      if (const auto* ci = json::get_object(params, "clientInfo")) {
        session->client_.name = std::string(json::get_string(*ci, "name").value_or(""));
        session->client_.version = std::string(json::get_string(*ci, "version").value_or(""));
      }
      if (const auto* caps = json::get_object(params, "capabilities")) session->client_caps_ = *caps;
    }
    session->initialized_ = true;
    bj::object caps = server_capabilities(version, self.options_);
    bj::object info;
    info["name"] = self.options_.name;
    if (at_least(version, "2025-06-18")) info["title"] = self.options_.title;
    info["version"] = self.options_.version;
    bj::object result;
    result["protocolVersion"] = version;
    result["capabilities"] = std::move(caps);
    result["serverInfo"] = std::move(info);
    if (!self.options_.instructions.empty()) result["instructions"] = self.options_.instructions;
    return reply_now(std::move(result));
  }

  if (!session->initialized_.load()) {
    return fail_now(errc::kInvalidRequest, "the session is not initialized: send initialize first");
  }
  const std::string version = session->protocol_version();
  const Registry& reg = *self.registry_;

  auto paginate = [&](bj::array all, const char* key) {
    auto offset = decode_cursor(params);
    if (!offset || *offset > all.size()) return fail_now(errc::kInvalidParams, "invalid pagination cursor");
    const std::size_t page = std::max<std::size_t>(1, self.options_.page_size);
    bj::array items;
    for (std::size_t i = *offset; i < all.size() && i < *offset + page; ++i) items.push_back(std::move(all[i]));
    bj::object result;
    result[key] = std::move(items);
    if (*offset + page < all.size()) result["nextCursor"] = encode_cursor(*offset + page);
    reply_now(std::move(result));
  };

  auto tool_visible = [&](const Tool& t) { return !(self.options_.read_only && t.definition().writes); };

  if (method == "tools/list") {
    bj::array all;
    for (const auto& t : reg.tools()) {
      if (tool_visible(*t)) all.push_back(tool_json(t->definition(), version));
    }
    return paginate(std::move(all), "tools");
  }

  if (method == "tools/call") {
    auto name = json::get_string(params, "name");
    if (!name) return fail_now(errc::kInvalidParams, "tools/call requires params.name (a string)");
    Tool* tool = reg.find_tool(*name);
    if (!tool) return fail_now(errc::kInvalidParams, "Unknown tool: " + std::string(*name));
    if (!tool_visible(*tool))
      return fail_now(errc::kInvalidParams,
                      "tool '" + std::string(*name) + "' is disabled: the server runs in read-only mode (MCP_READ_ONLY)");
    bj::object args;
    if (auto it = params.find("arguments"); it != params.end()) {
      if (!it->value().is_object() && !it->value().is_null())
        return fail_now(errc::kInvalidParams, "tools/call params.arguments must be an object");
      if (it->value().is_object()) args = it->value().get_object();
    }
    const bool structured = at_least(version, "2025-06-18");
    run_on_worker(
        session, id, std::move(outbox), params, method,
        [this, tool, args = std::move(args), structured](CallCtx& ctx, RequestEvent& ev) -> bj::value {
          const auto& def = tool->definition();
          ev.tool = def.name;
          const auto t0 = std::chrono::steady_clock::now();
          ToolResult r;
          auto problem = validate_schema(args, def.input_schema);
          if (!problem.empty()) {
            r = ToolResult::error("Invalid arguments for " + def.name + ": " + problem + ".");
          } else {
            try {
              r = tool->call(args, ctx);
            } catch (const std::exception&) {
              r = ToolResult::error("internal error in tool " + def.name + "; the request was not completed");
            }
          }
          if (r.is_error) ev.outcome = "tool_error";
          if (auto obs = self.observer_) {
            obs->on_tool_call(ctx.client(), def, args, r,
                              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
          }
          if (!r.missing_capability.empty()) {
            if (ctx_modern(ctx))
              return rpc_error_value(errc::kMissingClientCapability,
                                     "Missing required client capability: " + r.missing_capability,
                                     bj::object{{"requiredCapabilities", bj::object{{r.missing_capability, bj::object{}}}}});
            r = ToolResult::error(def.name + " needs the client capability '" + r.missing_capability +
                                  "', which this client did not declare");
          }
          bj::object out;
          bj::array content;
          if (!r.text.empty() || r.content.empty()) content.push_back(bj::object{{"type", "text"}, {"text", r.text}});
          for (auto& c : r.content) content.push_back(std::move(c));
          out["content"] = std::move(content);
          if (structured && !r.structured.empty() && (!r.is_error || !def.output_schema.empty()))
            out["structuredContent"] = std::move(r.structured);
          out["isError"] = r.is_error;
          return out;
        },
        std::move(done));
    return;
  }

  if (method == "resources/list") {
    bj::array all;
    for (const auto& p : reg.resource_providers()) {
      for (const auto& r : p->resources()) {
        bj::object o{{"uri", r.uri}, {"name", r.name}};
        if (at_least(version, "2025-06-18") && !r.title.empty()) o["title"] = r.title;
        if (!r.description.empty()) o["description"] = r.description;
        if (!r.mime_type.empty()) o["mimeType"] = r.mime_type;
        all.push_back(std::move(o));
      }
    }
    return paginate(std::move(all), "resources");
  }

  if (method == "resources/templates/list") {
    bj::array all;
    for (const auto& p : reg.resource_providers()) {
      for (const auto& r : p->templates()) {
        bj::object o{{"uriTemplate", r.uri_template}, {"name", r.name}};
        if (at_least(version, "2025-06-18") && !r.title.empty()) o["title"] = r.title;
        if (!r.description.empty()) o["description"] = r.description;
        if (!r.mime_type.empty()) o["mimeType"] = r.mime_type;
        all.push_back(std::move(o));
      }
    }
    return paginate(std::move(all), "resourceTemplates");
  }

  if (method == "resources/read") {
    auto uri = json::get_string(params, "uri");
    if (!uri) return fail_now(errc::kInvalidParams, "resources/read requires params.uri (a string)");
    run_on_worker(
        session, id, std::move(outbox), params, method,
        [&reg, uri = std::string(*uri)](CallCtx& ctx, RequestEvent&) -> bj::value {
          for (const auto& p : reg.resource_providers()) {
            auto r = p->read(uri, ctx);
            if (!r.ok()) {
              if (r.error().kind == ErrorKind::NotFound) continue;
              if (r.error().kind == ErrorKind::InvalidInput) return rpc_error_value(errc::kInvalidParams, r.error().message);
              return rpc_error_value(errc::kInternalError, "could not read " + uri + ": " + r.error().message);
            }
            bj::array contents;
            for (const auto& c : *r) {
              bj::object o{{"uri", c.uri}};
              if (!c.blob.empty())
                o["blob"] = c.blob;
              else
                o["text"] = c.text;
              if (!c.mime_type.empty()) o["mimeType"] = c.mime_type;
              contents.push_back(std::move(o));
            }
            return bj::object{{"contents", std::move(contents)}};
          }
          return rpc_error_value(errc::kResourceNotFound, "Resource not found: " + uri, bj::object{{"uri", uri}});
        },
        std::move(done));
    return;
  }

  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    auto uri = json::get_string(params, "uri");
    if (!uri) return fail_now(errc::kInvalidParams, method + " requires params.uri (a string)");
    {
      std::lock_guard lock(session->mu_);
      if (method == "resources/subscribe")
        session->subscriptions_.insert(std::string(*uri));
      else
        session->subscriptions_.erase(std::string(*uri));
    }
    return reply_now(bj::object{});
  }

  if (method == "prompts/list") {
    bj::array all;
    for (const auto& p : reg.prompts()) {
      const auto& d = p->definition();
      bj::object o{{"name", d.name}};
      if (at_least(version, "2025-06-18") && !d.title.empty()) o["title"] = d.title;
      if (!d.description.empty()) o["description"] = d.description;
      bj::array args;
      for (const auto& a : d.arguments) {
        bj::object ao{{"name", a.name}, {"required", a.required}};
        if (!a.description.empty()) ao["description"] = a.description;
        args.push_back(std::move(ao));
      }
      o["arguments"] = std::move(args);
      all.push_back(std::move(o));
    }
    return paginate(std::move(all), "prompts");
  }

  if (method == "prompts/get") {
    auto name = json::get_string(params, "name");
    if (!name) return fail_now(errc::kInvalidParams, "prompts/get requires params.name (a string)");
    Prompt* prompt = reg.find_prompt(*name);
    if (!prompt) return fail_now(errc::kInvalidParams, "Unknown prompt: " + std::string(*name));
    std::map<std::string, std::string> args;
    if (const auto* a = json::get_object(params, "arguments")) {
      for (const auto& kv : *a) {
        if (!kv.value().is_string())
          return fail_now(errc::kInvalidParams, "prompt argument '" + std::string(kv.key()) + "' must be a string");
        args[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    }
    for (const auto& a : prompt->definition().arguments) {
      if (a.required && (args.find(a.name) == args.end() || args[a.name].empty()))
        return fail_now(errc::kInvalidParams, "prompt '" + std::string(*name) + "' requires argument '" + a.name + "'");
    }
    run_on_worker(
        session, id, std::move(outbox), params, method,
        [prompt, args = std::move(args)](CallCtx& ctx, RequestEvent&) -> bj::value {
          auto r = prompt->get(args, ctx);
          if (!r.ok()) {
            int code = r.error().kind == ErrorKind::InvalidInput || r.error().kind == ErrorKind::NotFound
                           ? errc::kInvalidParams
                           : errc::kInternalError;
            return rpc_error_value(code, r.error().message);
          }
          bj::object out;
          if (!r->description.empty()) out["description"] = r->description;
          bj::array msgs;
          for (const auto& m : r->messages) {
            msgs.push_back(bj::object{{"role", m.role},
                                      {"content", m.content.empty() ? bj::object{{"type", "text"}, {"text", m.text}} : m.content}});
          }
          out["messages"] = std::move(msgs);
          return out;
        },
        std::move(done));
    return;
  }

  if (method == "completion/complete") {
    const auto* ref = json::get_object(params, "ref");
    const auto* arg = json::get_object(params, "argument");
    if (!ref || !arg) return fail_now(errc::kInvalidParams, "completion/complete requires params.ref and params.argument");
    CompletionRequest req;
    req.ref_type = std::string(json::get_string(*ref, "type").value_or(""));
    if (req.ref_type == "ref/prompt") {
      req.ref = std::string(json::get_string(*ref, "name").value_or(""));
      if (!reg.find_prompt(req.ref)) return fail_now(errc::kInvalidParams, "Unknown prompt: " + req.ref);
    } else if (req.ref_type == "ref/resource") {
      req.ref = std::string(json::get_string(*ref, "uri").value_or(""));
    } else {
      return fail_now(errc::kInvalidParams, "params.ref.type must be ref/prompt or ref/resource");
    }
    auto arg_name = json::get_string(*arg, "name");
    auto arg_value = json::get_string(*arg, "value");
    if (!arg_name || !arg_value) return fail_now(errc::kInvalidParams, "params.argument needs name and value strings");
    req.argument = std::string(*arg_name);
    req.value = std::string(*arg_value);
    if (const auto* c = json::get_object(params, "context")) {
      if (const auto* ca = json::get_object(*c, "arguments")) {
        for (const auto& kv : *ca) {
          if (kv.value().is_string()) req.context[std::string(kv.key())] = std::string(kv.value().get_string());
        }
      }
    }
    Completer* completer = reg.completer();
    run_on_worker(
        session, id, std::move(outbox), params, method,
        [completer, req = std::move(req)](CallCtx& ctx, RequestEvent&) -> bj::value {
          CompletionResult cr;
          if (completer) {
            auto r = completer->complete(req, ctx);
            if (!r.ok()) return rpc_error_value(errc::kInvalidParams, r.error().message);
            cr = std::move(*r);
          }
          bj::array values;
          for (std::size_t i = 0; i < cr.values.size() && i < 100; ++i) values.push_back(bj::string(cr.values[i]));
          bj::object c{{"values", std::move(values)}, {"hasMore", cr.has_more || cr.values.size() > 100}};
          if (cr.total) c["total"] = *cr.total;
          return bj::object{{"completion", std::move(c)}};
        },
        std::move(done));
    return;
  }

  if (method == "logging/setLevel") {
    auto level = json::get_string(params, "level");
    auto parsed = level ? parse_log_level(*level) : std::nullopt;
    if (!parsed)
      return fail_now(errc::kInvalidParams,
                      "params.level must be one of debug, info, notice, warning, error, critical, alert, emergency");
    {
      std::lock_guard lock(session->mu_);
      session->log_level_ = parsed;
    }
    return reply_now(bj::object{});
  }

  fail_now(errc::kMethodNotFound, "Method not found: " + method);
}


// ---------------------------------------------------------------- modern era (2026-07-28)

namespace {

constexpr const char* kMetaClientCaps = "io.modelcontextprotocol/clientCapabilities";
constexpr const char* kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
constexpr const char* kMetaLogLevel = "io.modelcontextprotocol/logLevel";
constexpr const char* kMetaServerInfo = "io.modelcontextprotocol/serverInfo";
constexpr const char* kMetaSubscriptionId = "io.modelcontextprotocol/subscriptionId";

bj::array supported_versions() {
  bj::array a;
  a.push_back(bj::string(kModernVersion));
  for (const char* v : kProtocolVersions) a.push_back(bj::string(v));
  return a;
}

/// Cache hints (CacheableResult) per method; nullopt = not a cacheable result.
std::optional<std::pair<std::int64_t, const char*>> cache_hint(std::string_view method, std::string_view uri) {
  if (method == "tools/list" || method == "prompts/list" || method == "resources/list" ||
      method == "resources/templates/list")
    return std::make_pair(std::int64_t{3600000}, "public");
  if (method == "resources/read") {
    if (uri.rfind("database://status", 0) == 0) return std::make_pair(std::int64_t{0}, "private");
    return std::make_pair(std::int64_t{60000}, "private");
  }
  return std::nullopt;
}

}  // namespace

void Server::Impl::dispatch_modern(const std::shared_ptr<Session>& transport_session, const bj::object& msg,
                                   std::shared_ptr<Outbox> outbox, std::function<void(std::optional<bj::value>)> done,
                                   const CancelToken* closed) {
  const bj::value id = msg.at("id");
  const std::string method(msg.at("method").get_string());
  const bj::object& params = params_of(msg);
  const bj::object* meta = json::get_object(params, "_meta");
  const auto start = std::chrono::steady_clock::now();
  auto fail = [&](int code, std::string message, std::optional<bj::value> data = std::nullopt) {
    done(rpc::make_error(id, code, message, std::move(data)));
    finished({method, "", "error", code,
              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)});
  };
  auto version = meta ? json::get_string(*meta, kMetaProtocolVersion) : std::nullopt;
  if (!version) return fail(errc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required");
  if (*version != kModernVersion) {
    return fail(errc::kUnsupportedProtocolVersion, "Unsupported protocol version",
                bj::object{{"supported", supported_versions()}, {"requested", *version}});
  }
  const bj::object* caps = json::get_object(*meta, kMetaClientCaps);
  if (!caps) {
    return fail(errc::kInvalidParams,
                "params._meta[\"io.modelcontextprotocol/clientCapabilities\"] is required (an object; {} for none)");
  }
  std::optional<LogLevel> level;
  if (auto it = meta->find(kMetaLogLevel); it != meta->end()) {
    if (it->value().is_string()) level = parse_log_level(std::string_view(it->value().get_string()));
    if (!level) return fail(errc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/logLevel\"] is not a log level");
  }
  static const std::set<std::string, std::less<>> kLegacyOnly = {"initialize", "ping", "logging/setLevel",
                                                                  "resources/subscribe", "resources/unsubscribe"};
  if (kLegacyOnly.count(method)) {
    return fail(errc::kMethodNotFound, "Method not found: " + method + " is not part of protocol version " +
                                           std::string(kModernVersion));
  }

  // Multi-round-trip requests (InputRequiredResult): tools/call, prompts/get and resources/read.
  std::string mrtr_method, mrtr_target;
  bj::object input_responses;
  bj::value round_state;
  if (method == "tools/call" || method == "prompts/get" || method == "resources/read") {
    mrtr_method = method;
    mrtr_target = std::string(json::get_string(params, method == "resources/read" ? "uri" : "name").value_or(""));
    if (auto it = params.find("inputResponses"); it != params.end()) {
      if (!it->value().is_object()) return fail(errc::kInvalidParams, "params.inputResponses must be an object");
      for (const auto& kv : it->value().get_object()) {
        if (!kv.value().is_object())
          return fail(errc::kInvalidParams,
                      "params.inputResponses[\"" + std::string(kv.key()) + "\"] must be an object (the client's result)");
      }
      input_responses = it->value().get_object();
    }
    if (auto it = params.find("requestState"); it != params.end()) {
      if (!it->value().is_string()) return fail(errc::kInvalidParams, "params.requestState must be a string");
      auto st = verify_state(std::string_view(it->value().get_string()), mrtr_method, mrtr_target);
      if (!st)
        return fail(errc::kInvalidParams,
                    "requestState integrity check failed: it was altered, expired or belongs to another request");
      round_state = std::move(*st);
    }
  }

  auto eph = std::make_shared<Session>(transport_session ? transport_session->id() : std::string("modern"));
  eph->assume_initialized(kModernVersion);
  {
    std::lock_guard lock(eph->mu_);
    eph->modern_ = true;
    eph->mrtr_method_ = std::move(mrtr_method);
    eph->mrtr_target_ = std::move(mrtr_target);
    eph->input_responses_ = std::move(input_responses);
    eph->round_state_ = std::move(round_state);
    if (const bj::object* ci = json::get_object(*meta, kMetaClientInfo)) {
      eph->client_.name = std::string(json::get_string(*ci, "name").value_or(""));
      eph->client_.version = std::string(json::get_string(*ci, "version").value_or(""));
    }
    eph->client_caps_ = *caps;
    eph->log_level_ = level;
    eph->parent_ = transport_session;
    eph->outbox_ = outbox ? outbox : (transport_session ? transport_session->outbox() : nullptr);
  }

  bj::object server_meta{{kMetaServerInfo, server_info()}};
  if (method == "server/discover") {
    bj::object r;
    r["supportedVersions"] = supported_versions();
    r["capabilities"] = server_capabilities(kModernVersion, self.options_);
    if (!self.options_.instructions.empty()) r["instructions"] = self.options_.instructions;
    r["resultType"] = "complete";
    r["ttlMs"] = 3600000;
    r["cacheScope"] = "public";
    r["_meta"] = std::move(server_meta);
    done(rpc::make_result(id, std::move(r)));
    finished({method, "", "ok", 0,
              std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)});
    return;
  }
  if (method == "subscriptions/listen") {
    const bj::object* filter = json::get_object(params, "notifications");
    if (!filter) return fail(errc::kInvalidParams, "subscriptions/listen requires params.notifications (an object)");
    return listen(eph, transport_session, id, *filter, std::move(done), closed);
  }

  std::string uri(json::get_string(params, "uri").value_or(""));
  auto shape = [method, uri, server_meta = std::move(server_meta), done = std::move(done)](std::optional<bj::value> r) {
    if (r && r->is_object()) {
      auto& o = r->get_object();
      if (auto res = o.find("result"); res != o.end() && res->value().is_object()) {
        auto& result = res->value().get_object();
        if (!result.contains("resultType")) result["resultType"] = "complete";
        const bool complete = result["resultType"] == "complete";
        if (auto hint = complete ? cache_hint(method, uri) : std::nullopt) {
          result["ttlMs"] = hint->first;
          result["cacheScope"] = hint->second;
        }
        bj::object& m = result["_meta"].emplace_object();
        for (const auto& kv : server_meta) m[kv.key()] = kv.value();
      } else if (auto err = o.find("error"); err != o.end() && err->value().is_object()) {
        auto& e = err->value().get_object();
        // 2026-07-28: resource not found is -32602, no longer -32002.
        if (e["code"] == errc::kResourceNotFound) e["code"] = errc::kInvalidParams;
      }
    }
    done(std::move(r));
  };
  dispatch(eph, msg, std::move(outbox), std::move(shape));
}

void Server::Impl::listen(const std::shared_ptr<Session>& listener, const std::shared_ptr<Session>& transport_session,
                          const bj::value& id, const bj::object& filter,
                          std::function<void(std::optional<bj::value>)> done, const CancelToken* closed) {
  bj::object honored;
  {
    std::lock_guard lock(listener->mu_);
    if (const bj::array* uris = json::get_array(filter, "resourceSubscriptions")) {
      bj::array kept;
      for (const auto& u : *uris) {
        if (!u.is_string()) continue;
        listener->subscriptions_.insert(std::string(u.get_string()));
        kept.push_back(u);
      }
      honored["resourceSubscriptions"] = std::move(kept);
    }
    // *ListChanged types are honoured only where the server announces listChanged (the
    // acknowledgement omits the others, as the spec asks).
    const std::pair<const char*, std::pair<const char*, bool>> lists[] = {
        {"toolsListChanged", {"tools", self.options_.tools_list_changed}},
        {"promptsListChanged", {"prompts", self.options_.prompts_list_changed}},
        {"resourcesListChanged", {"resources", self.options_.resources_list_changed}}};
    for (const auto& [field, list] : lists) {
      if (json::get_bool(filter, field).value_or(false) && list.second) {
        listener->listen_lists_.insert(list.first);
        honored[field] = true;
      }
    }
    listener->subscription_id_ = id;
  }
  auto out = listener->outbox();
  if (out) {
    out->send(rpc::make_notification(
        "notifications/subscriptions/acknowledged",
        bj::object{{"notifications", std::move(honored)}, {"_meta", bj::object{{kMetaSubscriptionId, id}}}}));
  }
  {
    std::lock_guard lock(listeners_mu);
    listeners.push_back(listener);
  }
  remember(listener);

  // The stream stays open until the client cancels it (notifications/cancelled on stdio, a closed
  // HTTP stream) or the server shuts down; only the latter gets a result.
  CancelToken token;
  std::shared_ptr<Session> owner = transport_session ? transport_session : listener;
  {
    std::lock_guard lock(owner->mu_);
    owner->in_flight_[id_key(id)] = token;
  }
  {
    std::lock_guard lock(listener->mu_);
    listener->in_flight_[id_key(id)] = token;  // so shutdown (cancel_all) reaches it
  }
  auto closed_link = closed ? std::make_shared<CancelToken::Registration>(closed->on_cancel([token] { token.cancel(); }))
                            : nullptr;
  auto fired = std::make_shared<std::atomic<bool>>(false);
  auto finish = [this, listener, owner, id, done = std::move(done), closed_link, fired]() mutable {
    if (fired->exchange(true)) return;
    {
      std::lock_guard lock(listeners_mu);
      listeners.erase(std::remove(listeners.begin(), listeners.end(), listener), listeners.end());
    }
    {
      std::lock_guard lock(owner->mu_);
      owner->in_flight_.erase(id_key(id));
    }
    if (stopping.load()) {
      done(rpc::make_result(id, bj::object{{"resultType", "complete"},
                                           {"_meta", bj::object{{kMetaSubscriptionId, id}, {kMetaServerInfo, server_info()}}}}));
    } else {
      done(std::nullopt);
    }
  };
  // Keep the registration alive while the stream is open; ended streams are pruned here rather
  // than from inside their own cancel callback.
  auto reg = std::make_shared<CancelToken::Registration>(token.on_cancel(finish));
  std::lock_guard lock(listeners_mu);
  listener_regs.erase(std::remove_if(listener_regs.begin(), listener_regs.end(),
                                     [](const auto& p) { return p.first.cancelled(); }),
                      listener_regs.end());
  listener_regs.emplace_back(token, std::move(reg));
}

// ---------------------------------------------------------------- Server

Server::Server(std::shared_ptr<const Registry> registry, ServerOptions options)
    : registry_(std::move(registry)), options_(std::move(options)) {
  impl_ = std::make_unique<Impl>(*this, options_.worker_threads);
}

Server::~Server() {
  impl_->stopping = true;
  {
    std::lock_guard lock(impl_->listeners_mu);
    impl_->listener_regs.clear();
    impl_->listeners.clear();
  }
  for (auto& s : impl_->live_sessions()) s->cancel_all();
  impl_->workers.join();
}

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

void Server::handle_text(const std::shared_ptr<Session>& session, std::string_view text,
                         std::shared_ptr<Outbox> request_outbox, Reply reply, const CancelToken* closed) {
  std::string err;
  auto v = rpc::parse(text, &err);
  if (!v) {
    reply(bj::value(rpc::make_error(nullptr, errc::kParseError, "Parse error: the message is not valid JSON")));
    return;
  }
  handle(session, std::move(*v), std::move(request_outbox), std::move(reply), closed);
}

namespace {
std::optional<bj::value> invalid_request_for(const bj::value& m) {
  bj::value id = nullptr;
  if (m.is_object()) {
    if (auto it = m.get_object().find("id"); it != m.get_object().end() && rpc::is_valid_id(it->value())) id = it->value();
  }
  return bj::value(rpc::make_error(id, errc::kInvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message"));
}
}  // namespace

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

void Server::handle(const std::shared_ptr<Session>& session, bj::value message, std::shared_ptr<Outbox> request_outbox,
                    Reply reply, const CancelToken* closed) {
  struct ClosedScope {
    const CancelToken* prev;
    explicit ClosedScope(const CancelToken* c) : prev(current_closed) { current_closed = c; }
    ~ClosedScope() { current_closed = prev; }
  } scope(closed);
  impl_->remember(session);
  if (message.is_array()) {
    auto& arr = message.get_array();
    const std::string version = session->protocol_version();
    if (arr.empty()) {
      reply(bj::value(rpc::make_error(nullptr, errc::kInvalidRequest, "Invalid Request: empty batch")));
      return;
    }
    if (!session->initialized() || version > "2025-03-26") {
      reply(bj::value(rpc::make_error(
          nullptr, errc::kInvalidRequest,
          "JSON-RPC batches are only supported for protocol version 2025-03-26 and earlier, after initialize")));
      return;
    }
    struct BatchState {
      std::mutex mu;
      bj::array responses;
      std::size_t pending;
      Reply reply;
    };
    auto st = std::make_shared<BatchState>();
    st->pending = arr.size();
    st->reply = std::move(reply);
    auto one_done = [st](std::optional<bj::value> r) {
      std::unique_lock lock(st->mu);
      if (r) st->responses.push_back(std::move(*r));
      if (--st->pending == 0) {
        auto out = std::move(st->responses);
        auto rep = std::move(st->reply);
        lock.unlock();
        if (out.empty())
          rep(std::nullopt);
        else
          rep(bj::value(std::move(out)));
      }
    };
    for (auto& m : arr) {
      if (is_initialize(m)) {
        one_done(bj::value(rpc::make_error(m.get_object().at("id"), errc::kInvalidRequest,
                                           "initialize must not be part of a batch")));
        continue;
      }
      handle(session, std::move(m), request_outbox, one_done);
    }
    return;
  }

  switch (rpc::classify(message)) {
    case rpc::MessageType::Invalid:
      reply(invalid_request_for(message));
      return;
    case rpc::MessageType::Response:
      impl_->on_response(session, message.get_object());  // answers to elicitation/sampling/roots requests
      reply(std::nullopt);
      return;
    case rpc::MessageType::Notification: {
      const auto& o = message.get_object();
      std::string_view method(o.at("method").get_string());
      const auto& params = params_of(o);
      if (method == "notifications/initialized") {
        session->initialized_ = session->init_seen_.load();
      } else if (method == "notifications/cancelled") {
        if (auto it = params.find("requestId"); it != params.end()) {
          std::optional<CancelToken> t;
          {
            std::lock_guard lock(session->mu_);
            if (auto f = session->in_flight_.find(id_key(it->value())); f != session->in_flight_.end()) t = f->second;
          }
          if (t) t->cancel();
        }
      }
      reply(std::nullopt);
      return;
    }
    case rpc::MessageType::Request:
      if (modern_version(message) && !session->init_seen_.load()) {
        impl_->dispatch_modern(session, message.get_object(), std::move(request_outbox),
                               [reply = std::move(reply)](std::optional<bj::value> r) { reply(std::move(r)); }, closed);
        return;
      }
      impl_->dispatch(session, message.get_object(), std::move(request_outbox),
                      [reply = std::move(reply)](std::optional<bj::value> r) { reply(std::move(r)); });
      return;
  }
}

void Server::handle_modern(const std::shared_ptr<Session>& session, bj::value message,
                           std::shared_ptr<Outbox> request_outbox, Reply reply, const CancelToken* closed) {
  struct ClosedScope {
    const CancelToken* prev;
    explicit ClosedScope(const CancelToken* c) : prev(current_closed) { current_closed = c; }
    ~ClosedScope() { current_closed = prev; }
  } scope(closed);
  impl_->remember(session);
  if (rpc::classify(message) != rpc::MessageType::Request) {
    handle(session, std::move(message), std::move(request_outbox), std::move(reply), closed);
    return;
  }
  impl_->dispatch_modern(session, message.get_object(), std::move(request_outbox),
                         [reply = std::move(reply)](std::optional<bj::value> r) { reply(std::move(r)); }, closed);
}

std::optional<bj::value> Server::check_modern_request(const bj::value& message, const ModernHeaders& headers) {
  if (rpc::classify(message) != rpc::MessageType::Request) return std::nullopt;
  const auto& o = message.get_object();
  const bj::value id = o.at("id");
  const std::string method(o.at("method").get_string());
  const bj::object* params = json::get_object(o, "params");
  const bj::object* meta = params ? json::get_object(*params, "_meta") : nullptr;
  auto error = [&](int code, std::string text, std::optional<bj::value> data = std::nullopt) {
    return std::optional<bj::value>(rpc::make_error(id, code, text, std::move(data)));
  };
  auto version = meta ? json::get_string(*meta, kMetaProtocolVersion) : std::nullopt;
  if (!version) return error(errc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required");
  if (!json::get_object(*meta, kMetaClientCaps))
    return error(errc::kInvalidParams,
                 "params._meta[\"io.modelcontextprotocol/clientCapabilities\"] is required (an object; {} for none)");
  if (!headers.protocol_version)
    return error(errc::kHeaderMismatch, "Header mismatch: the MCP-Protocol-Version header is required");
  if (*headers.protocol_version != *version)
    return error(errc::kHeaderMismatch, "Header mismatch: MCP-Protocol-Version '" + *headers.protocol_version +
                                            "' differs from params._meta protocolVersion '" + std::string(*version) + "'");
  if (*version != kModernVersion)
    return error(errc::kUnsupportedProtocolVersion, "Unsupported protocol version",
                 bj::object{{"supported", supported_versions()}, {"requested", *version}});
  if (!headers.method) return error(errc::kHeaderMismatch, "Header mismatch: the Mcp-Method header is required");
  if (*headers.method != method)
    return error(errc::kHeaderMismatch, "Header mismatch: Mcp-Method '" + *headers.method + "' differs from the body method '" +
                                            method + "'");
  std::optional<std::string_view> name;
  if (params && (method == "tools/call" || method == "prompts/get")) name = json::get_string(*params, "name");
  if (params && method == "resources/read") name = json::get_string(*params, "uri");
  if (name) {
    if (!headers.name) return error(errc::kHeaderMismatch, "Header mismatch: the Mcp-Name header is required for " + method);
    auto decoded = decode_header_value(*headers.name);
    if (!decoded) return error(errc::kHeaderMismatch, "Header mismatch: the Mcp-Name header value is malformed");
    if (*decoded != *name) return error(errc::kHeaderMismatch, "Header mismatch: Mcp-Name differs from the request body");
  }
  return std::nullopt;
}

namespace {
struct HeaderParam {
  std::vector<std::string> path;  ///< chain of `properties` keys
  std::string header;             ///< x-mcp-header value
  std::string type;
};

/// Parameters annotated with x-mcp-header, reachable from the root through `properties` only.
void collect_header_params(const bj::object& schema, std::vector<std::string>& path, std::vector<HeaderParam>& out) {
  const bj::object* props = json::get_object(schema, "properties");
  if (!props) return;
  for (const auto& kv : *props) {
    if (!kv.value().is_object()) continue;
    const auto& def = kv.value().get_object();
    path.emplace_back(kv.key());
    if (auto h = json::get_string(def, "x-mcp-header"))
      out.push_back({path, std::string(*h), std::string(json::get_string(def, "type").value_or("string"))});
    collect_header_params(def, path, out);
    path.pop_back();
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}
}  // namespace

std::optional<bj::value> Server::check_modern_params(const bj::value& message, const ModernHeaders& headers) const {
  if (rpc::classify(message) != rpc::MessageType::Request) return std::nullopt;
  const auto& o = message.get_object();
  if (o.at("method") != "tools/call") return std::nullopt;
  const bj::object* params = json::get_object(o, "params");
  auto name = params ? json::get_string(*params, "name") : std::nullopt;
  const Tool* tool = name ? registry_->find_tool(*name) : nullptr;
  if (!tool) return std::nullopt;
  std::vector<HeaderParam> annotated;
  std::vector<std::string> path;
  collect_header_params(tool->definition().input_schema, path, annotated);
  if (annotated.empty()) return std::nullopt;
  const bj::object* args = json::get_object(*params, "arguments");
  auto mismatch = [&](std::string text) {
    return std::optional<bj::value>(rpc::make_error(o.at("id"), errc::kHeaderMismatch, "Header mismatch: " + text));
  };
  for (const auto& p : annotated) {
    const bj::value* v = nullptr;
    const bj::object* cur = args;
    for (std::size_t i = 0; cur && i < p.path.size(); ++i) {
      v = cur->if_contains(p.path[i]);
      cur = (v && v->is_object()) ? &v->get_object() : nullptr;
      if (!v) break;
    }
    const std::string header = "Mcp-Param-" + p.header;
    const std::string* given = nullptr;
    for (const auto& [hn, hv] : headers.params) {
      if (iequals(hn, p.header)) given = &hv;
    }
    if (!v || v->is_null()) continue;  // no value in the body: the header is not expected
    if (!given) return mismatch("the " + header + " header is required when arguments carry the value");
    auto decoded = decode_header_value(*given);
    if (!decoded) return mismatch("the " + header + " header value is malformed (invalid characters or Base64)");
    bool same = false;
    if (v->is_string()) {
      same = *decoded == v->get_string();
    } else if (v->is_bool()) {
      same = *decoded == (v->get_bool() ? "true" : "false");
    } else if (v->is_number()) {
      char* end = nullptr;
      const double h = std::strtod(decoded->c_str(), &end);
      same = end && *end == '\0' && !decoded->empty() && h == v->to_number<double>();
    }
    if (!same) return mismatch("the " + header + " header does not match the request body");
  }
  return std::nullopt;
}

int Server::modern_http_status(const bj::value& response) {
  if (!response.is_object()) return 200;
  const auto* e = response.get_object().if_contains("error");
  if (!e || !e->is_object()) return 200;
  const auto* c = e->get_object().if_contains("code");
  if (!c || !c->is_int64()) return 200;
  switch (c->get_int64()) {
    case errc::kMethodNotFound:
      return 404;
    case errc::kHeaderMismatch:
    case errc::kMissingClientCapability:
    case errc::kUnsupportedProtocolVersion:
    case errc::kParseError:
    case errc::kInvalidRequest:
      return 400;
    default:
      return 200;
  }
}

void Server::notify_list_changed(std::string_view list) {
  const bool enabled = (list == "tools" && options_.tools_list_changed) ||
                       (list == "prompts" && options_.prompts_list_changed) ||
                       (list == "resources" && options_.resources_list_changed);
  if (!enabled) return;
  const std::string method = "notifications/" + std::string(list) + "/list_changed";
  for (auto& s : impl_->live_sessions()) {
    std::optional<bj::value> sub_id;
    bool wants = false;
    {
      std::lock_guard lock(s->mu_);
      sub_id = s->subscription_id_;
      wants = sub_id ? s->listen_lists_.count(std::string(list)) > 0 : (s->initialized_.load() && !s->modern_);
    }
    auto out = s->outbox();
    if (!wants || !out) continue;
    bj::object p;
    if (sub_id) p["_meta"] = bj::object{{kMetaSubscriptionId, *sub_id}};
    out->send(rpc::make_notification(method, std::move(p)));
  }
}

void Server::notify_resources_updated(const std::vector<std::string>& uris) {
  for (auto& s : impl_->live_sessions()) {
    std::vector<std::string> hits;
    {
      std::lock_guard lock(s->mu_);
      for (const auto& sub : s->subscriptions_) {
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
      std::lock_guard lock(s->mu_);
      sub_id = s->subscription_id_;
    }
    for (const auto& h : hits) {
      bj::object p{{"uri", h}};
      if (sub_id) p["_meta"] = bj::object{{"io.modelcontextprotocol/subscriptionId", *sub_id}};
      out->send(rpc::make_notification("notifications/resources/updated", std::move(p)));
    }
  }
}

void Server::shutdown(std::chrono::milliseconds grace) {
  impl_->stopping = true;
  {
    std::vector<std::shared_ptr<Session>> ls;
    {
      std::lock_guard lock(impl_->listeners_mu);
      ls = impl_->listeners;
    }
    for (auto& l : ls) l->cancel_all();  // subscriptions/listen streams end with a result
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  {
    std::unique_lock lock(impl_->idle_mu);
    impl_->idle_cv.wait_until(lock, deadline, [this] { return in_flight_.load() == 0; });
  }
  for (auto& s : impl_->live_sessions()) s->cancel_all();
  std::unique_lock lock(impl_->idle_mu);
  impl_->idle_cv.wait_for(lock, std::chrono::seconds(5), [this] { return in_flight_.load() == 0; });
}

}  // namespace azsql::mcp
