#include "transport/http/http_server.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "jsonrpc/message.hpp"
#include "transport/http/compress.hpp"
#include "transport/http/modern_headers.hpp"
#include "transport/http/origin_guard.hpp"
#include "transport/http/request_rules.hpp"
#include "transport/http/session_store.hpp"
#include "transport/http/sse.hpp"

namespace azsql::transport::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace bj = boost::json;
using tcp = net::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

namespace {

constexpr auto kAwait = net::as_tuple(net::use_awaitable);
constexpr std::size_t kMaxQueuedStreamBytes = 64u << 20;  // per response stream, before the writer drains it

std::string error_body(int code, std::string_view message, const bj::value& id = nullptr) {
  return bj::serialize(jsonrpc::make_error(id, code, message));
}

/// Wakes one coroutine waiting on its strand. wake() may be called from any thread, any number of
/// times, before or during a wait: the waiter always re-checks its state before waiting.
struct Waker : std::enable_shared_from_this<Waker> {
  explicit Waker(const net::any_io_executor& ex) : timer(ex) {}
  net::steady_timer timer;
  void wake() {
    net::post(timer.get_executor(), [self = shared_from_this()] { self->timer.cancel(); });
  }
  /// True when woken (or cancelled), false when the deadline passed.
  net::awaitable<bool> wait_until(SteadyClock::time_point tp) {
    timer.expires_at(tp);
    auto [ec] = co_await timer.async_wait(kAwait);
    co_return ec == net::error::operation_aborted;
  }
};

/// What a request has produced so far: events for its stream and, at the end, the response.
struct Pending {
  std::mutex mu;
  std::deque<std::pair<std::string, std::string>> items;  ///< (event id, data)
  std::size_t queued_bytes = 0;
  bool done = false;
  bool has_reply = false;
  bool reply_is_error = false;
  unsigned status = 200;  ///< the HTTP status the core chose for the reply
  std::string reply;  ///< serialized response (JSON mode)
};

/// Request-scoped notifications (progress, log messages) for one POST response stream.
class StreamOutbox final : public mcp::Outbox {
 public:
  StreamOutbox(std::shared_ptr<Pending> p, std::shared_ptr<Waker> w, std::shared_ptr<HttpSession> store_session,
               std::string stream)
      : p_(std::move(p)), w_(std::move(w)), store_(std::move(store_session)), stream_(std::move(stream)) {}

  void send(const bj::value& message) override { push(bj::serialize(message), false); }

  void push(std::string data, bool final) {
    std::string id;
    if (store_) id = store_->events().append(stream_, data, final);
    {
      std::lock_guard lock(p_->mu);
      if (p_->done) return;
      if (!final && p_->queued_bytes > kMaxQueuedStreamBytes) return;  // a stalled reader: drop notifications
      p_->queued_bytes += data.size();
      p_->items.emplace_back(std::move(id), std::move(data));
      if (final) p_->done = true;
    }
    if (final && store_) store_->stream_ended(stream_);
    w_->wake();
    if (store_) store_->notify();  // a GET that resumed this stream (Last-Event-ID) follows it live
  }
  void finish() {
    if (store_) {
      store_->events().finish(stream_);
      store_->stream_ended(stream_);
    }
    {
      std::lock_guard lock(p_->mu);
      p_->done = true;
    }
    w_->wake();
    if (store_) store_->notify();
  }

 private:
  std::shared_ptr<Pending> p_;
  std::shared_ptr<Waker> w_;
  std::shared_ptr<HttpSession> store_;
  std::string stream_;
};

/// The session-level outbox: the standalone GET stream of a session. Messages are kept in the
/// session's event store (bounded) and whichever GET stream owns the session delivers them.
class SessionOutbox final : public mcp::Outbox {
 public:
  explicit SessionOutbox(std::weak_ptr<HttpSession> s) : s_(std::move(s)) {}
  void send(const bj::value& message) override {
    auto s = s_.lock();
    if (!s || s->closed()) return;
    s->events().append(HttpSession::kGetStream, bj::serialize(message));
    s->notify();
  }

 private:
  std::weak_ptr<HttpSession> s_;
};

struct Sha256 {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
};
Sha256 sha256(std::string_view s) {
  Sha256 h;
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), h.d.data());
  return h;
}

/// Decrements a counter when it goes out of scope.
struct CountGuard {
  std::atomic<std::size_t>* c;
  explicit CountGuard(std::atomic<std::size_t>& counter) : c(&counter) { c->fetch_add(1); }
  CountGuard(const CountGuard&) = delete;
  CountGuard& operator=(const CountGuard&) = delete;
  ~CountGuard() { c->fetch_sub(1); }
};

}  // namespace

// ---------------------------------------------------------------- Impl

struct HttpServer::Impl {
  mcp::Server& server;
  HttpOptions opt;
  GuardPolicy guard;
  std::optional<net::io_context> ioc;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::optional<net::thread_pool> aux;  ///< blocking route handlers (/health)
  SessionStore sessions;
  std::map<std::string, RouteHandler, std::less<>> routes;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> conns{0};
  std::atomic<bool> stopping{false};
  std::optional<Sha256> token_hash;
  std::uint16_t bound_port = 0;
  std::shared_ptr<Waker> sweeper_waker;

  Impl(mcp::Server& s, HttpOptions o)
      : server(s), opt(std::move(o)), sessions(opt.max_sessions, opt.event_limits) {
    guard.bind_host = opt.host;
    guard.allowed_origins = opt.allowed_origins;
    guard.allowed_hosts = opt.allowed_hosts;
    if (!opt.auth_token.empty()) token_hash = sha256(opt.auth_token);
  }

  // ------------------------------------------------------------ responses

  void add_cors(Response& res, const Request& req) const {
    if (!opt.enable_cors) return;
    auto o = req.find(bhttp::field::origin);
    if (o == req.end()) return;
    res.set(bhttp::field::access_control_allow_origin, o->value());
    res.set(bhttp::field::vary, "Origin");
    res.set(bhttp::field::access_control_expose_headers, "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate");
  }

  Response make_response(const Request& req, unsigned status, std::string body,
                         std::string_view content_type = "application/json") const {
    Response res{static_cast<bhttp::status>(status), req.version()};
    if (!body.empty() || status >= 400) res.set(bhttp::field::content_type, content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    add_cors(res, req);
    res.keep_alive(req.keep_alive() && !stopping.load());
    res.body() = std::move(body);
    return res;
  }

  Response error_response(const Request& req, unsigned status, int code, std::string_view message,
                          const bj::value& id = nullptr) const {
    return make_response(req, status, error_body(code, message, id));
  }

  void maybe_compress(Response& res, const Request& req) const {
    if (!opt.enable_compression || res.body().size() < opt.compress_min_bytes) return;
    auto ae = req.find(bhttp::field::accept_encoding);
    if (ae == req.end() || !accepts_gzip(ae->value())) return;
    auto z = gzip_compress(res.body());
    if (!z || z->size() >= res.body().size()) return;
    res.body() = std::move(*z);
    res.set(bhttp::field::content_encoding, "gzip");
    res.set(bhttp::field::vary, opt.enable_cors && req.find(bhttp::field::origin) != req.end() ? "Origin, Accept-Encoding"
                                                                                             : "Accept-Encoding");
  }

  net::awaitable<bool> write(beast::tcp_stream& stream, Response& res) {
    res.prepare_payload();
    if (opt.on_response) opt.on_response(res.result_int());
    stream.expires_after(opt.io_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream, res, kAwait);
    co_return !ec && res.keep_alive();
  }

  net::awaitable<bool> write_chunk(beast::tcp_stream& stream, const std::string& data) {
    stream.expires_after(opt.io_timeout);
    auto [ec, n] = co_await net::async_write(stream, bhttp::make_chunk(net::buffer(data)), kAwait);
    co_return !ec;
  }

  net::awaitable<bool> write_last_chunk(beast::tcp_stream& stream) {
    stream.expires_after(opt.io_timeout);
    auto [ec, n] = co_await net::async_write(stream, bhttp::make_chunk_last(), kAwait);
    co_return !ec;
  }

  /// Writes the header of a chunked text/event-stream response.
  net::awaitable<bool> write_sse_header(beast::tcp_stream& stream, const Request& req, const std::string& session_id) {
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "text/event-stream");
    res.set(bhttp::field::cache_control, "no-cache, no-transform");
    res.set("X-Accel-Buffering", "no");
    if (!session_id.empty()) res.set(kSessionHeader, session_id);
    if (opt.enable_cors) {
      if (auto o = req.find(bhttp::field::origin); o != req.end()) {
        res.set(bhttp::field::access_control_allow_origin, o->value());
        res.set(bhttp::field::vary, "Origin");
        res.set(bhttp::field::access_control_expose_headers, "Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate");
      }
    }
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    if (opt.on_response) opt.on_response(200);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    stream.expires_after(opt.io_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(stream, sr, kAwait);
    co_return !ec;
  }

  // ------------------------------------------------------------ peer-close detection

  /// Watches the socket while a request runs: when the client closes the connection, `on_close`
  /// runs (on the connection's strand). Pipelined bytes end the watch without firing.
  struct CloseWatch {
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);
    std::shared_ptr<bool> peer_closed = std::make_shared<bool>(false);
    tcp::socket* sock = nullptr;
    ~CloseWatch() {
      *alive = false;
      if (sock) {
        beast::error_code ec;
        sock->cancel(ec);
      }
    }
  };

  /// One readiness wait; on readiness, peeks: EOF/error → closed, bytes → pipelined (stop
  /// watching), nothing (spurious wake-up) → wait again. Runs on the connection's strand.
  struct CloseWaiter {
    tcp::socket* sock;
    std::shared_ptr<bool> alive, closed;
    std::shared_ptr<std::function<void()>> on_close;
    void arm() const {
      sock->async_wait(tcp::socket::wait_read, [self = *this](const boost::system::error_code& ec) {
        if (ec || !*self.alive) return;  // cancelled: the socket may be gone, do not touch it
        char c;
        ssize_t n = ::recv(self.sock->native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) return;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return self.arm();
        *self.closed = true;
        (*self.on_close)();
      });
    }
  };

  static void arm_close_watch(tcp::socket& sock, const std::shared_ptr<CloseWatch>& w, std::function<void()> on_close) {
    w->sock = &sock;
    CloseWaiter{&sock, w->alive, w->peer_closed, std::make_shared<std::function<void()>>(std::move(on_close))}.arm();
  }

  // ------------------------------------------------------------ connection

  net::awaitable<void> listen() {
    for (;;) {
      auto [ec, sock] = co_await acceptor->async_accept(net::make_strand(*ioc), kAwait);
      if (stopping.load()) co_return;
      if (ec) {
        if (ec == net::error::operation_aborted || ec == net::error::bad_descriptor) co_return;
        // e.g. EMFILE: back off briefly instead of spinning
        net::steady_timer t(co_await net::this_coro::executor);
        t.expires_after(std::chrono::milliseconds(50));
        co_await t.async_wait(kAwait);
        continue;
      }
      beast::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      auto ex = sock.get_executor();
      net::co_spawn(ex, serve(std::move(sock)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex2) {
          spdlog::error("http: connection ended by an internal error: {}", ex2.what());
        }
      });
    }
  }

  net::awaitable<void> serve(tcp::socket sock) {
    CountGuard cg(conns);
    beast::tcp_stream stream(std::move(sock));
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      apply_limits(parser, opt.max_header_bytes, opt.max_body_bytes);
      stream.expires_after(opt.io_timeout);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kAwait);
      if (ec == bhttp::error::body_limit) {
        Request stub;
        stub.version(11);
        auto res = error_response(stub, 413, mcp::errc::kInvalidRequest,
                                  "Request body too large: the limit is " + std::to_string(opt.max_body_bytes) +
                                      " bytes (MCP_MAX_STREAM_SIZE)");
        res.keep_alive(false);
        co_await write(stream, res);
        break;
      }
      if (ec == bhttp::error::header_limit) {
        Request stub;
        stub.version(11);
        auto res = error_response(stub, 431, mcp::errc::kInvalidRequest, "Request header fields too large");
        res.keep_alive(false);
        co_await write(stream, res);
        break;
      }
      if (ec) {
        const bool quiet = ec == bhttp::error::end_of_stream || ec == net::error::eof ||
                           ec == beast::error::timeout || ec == net::error::connection_reset ||
                           ec == net::error::operation_aborted;
        if (!quiet && !stopping.load()) {
          Request stub;
          stub.version(11);
          auto res = error_response(stub, 400, mcp::errc::kInvalidRequest, "Bad Request: malformed HTTP request");
          res.keep_alive(false);
          co_await write(stream, res);
        }
        break;
      }
      Request req = parser.release();
      bool keep = co_await handle(stream, req);
      if (!keep || stopping.load()) break;
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.close();
  }

  // ------------------------------------------------------------ dispatch

  /// Runs a route handler on the helper pool (parameters live in the coroutine frame).
  static net::awaitable<RouteResponse> run_route(RouteHandler h, RouteRequest rr) {
    try {
      co_return h(rr);
    } catch (const std::exception&) {
      co_return RouteResponse{500, "application/json", error_body(mcp::errc::kInternalError, "Internal error")};
    }
  }

  net::awaitable<bool> handle(beast::tcp_stream& stream, Request& req) {
    std::string_view target = req.target();
    auto qpos = target.find('?');
    std::string_view path = target.substr(0, qpos);
    std::string_view query = qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);

    auto host = req.find(bhttp::field::host);
    if (host == req.end() || !host_allowed(host->value(), guard)) {
      auto res = error_response(req, 403, -32000, "Forbidden: Host header not allowed");
      co_return co_await write(stream, res);
    }
    auto origin = req.find(bhttp::field::origin);
    if (!origin_allowed(origin == req.end() ? std::string_view{} : std::string_view(origin->value()), origin != req.end(), guard)) {
      auto res = error_response(req, 403, -32000, "Forbidden: Origin not allowed");
      co_return co_await write(stream, res);
    }

    const bool is_api = path == opt.api_path;
    auto route = routes.find(path);
    if (!is_api && route == routes.end()) {
      auto res = error_response(req, 404, -32000, "Not Found");
      co_return co_await write(stream, res);
    }

    if (req.method() == bhttp::verb::options) {
      if (!opt.enable_cors) {
        auto res = error_response(req, 405, -32000, "Method Not Allowed");
        res.set(bhttp::field::allow, is_api ? "GET, POST, DELETE" : "GET, HEAD");
        co_return co_await write(stream, res);
      }
      auto res = make_response(req, 204, "");
      res.set(bhttp::field::access_control_allow_methods, is_api ? "GET, POST, DELETE, OPTIONS" : "GET, HEAD, OPTIONS");
      res.set(bhttp::field::access_control_allow_headers,
              "Content-Type, Accept, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, "
              "Mcp-Name");
      res.set(bhttp::field::access_control_max_age, "86400");
      co_return co_await write(stream, res);
    }

    if (!is_api) {
      if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
        auto res = error_response(req, 405, -32000, "Method Not Allowed");
        res.set(bhttp::field::allow, "GET, HEAD");
        co_return co_await write(stream, res);
      }
      RouteRequest rr;
      rr.path = std::string(path);
      rr.query = std::string(query);
      if (auto a = req.find(bhttp::field::accept); a != req.end()) rr.accept = std::string(a->value());
      RouteResponse out = co_await net::co_spawn(aux->get_executor(), run_route(route->second, std::move(rr)),
                                                  net::use_awaitable);
      auto res = make_response(req, out.status, std::move(out.body), out.content_type);
      maybe_compress(res, req);
      if (req.method() == bhttp::verb::head) {
        res.prepare_payload();
        res.body().clear();
      }
      co_return co_await write(stream, res);
    }

    // MCP endpoint: bearer token first (PRODUCT.md §5).
    if (auto refused = check_static_token(req)) co_return co_await write(stream, *refused);

    // Per-request caller authentication (MCP_AUTH_MODE=entra): the challenge as decided, or the caller.
    std::shared_ptr<const mcp::Caller> caller;
    if (opt.authenticate) {
      auto auth = req.find(bhttp::field::authorization);
      const std::string_view v = auth == req.end() ? std::string_view{} : std::string_view(auth->value());
      const std::string_view body = req.method() == bhttp::verb::post ? std::string_view(req.body()) : std::string_view{};
      AuthDecision d = opt.authenticate(v, body);
      if (d.status != 0) {
        auto res = error_response(req, d.status, -32001, d.message);
        if (!d.www_authenticate.empty()) res.set(bhttp::field::www_authenticate, d.www_authenticate);
        if (d.status == 503) res.set(bhttp::field::retry_after, "5");
        co_return co_await write(stream, res);
      }
      caller = std::move(d.caller);
    }

    // A POST without a session may be a 2026-07-28 request: handle_post answers a bad version there
    // with the request id (-32020 / -32022, basic/transports).
    const bool sessionless_post = req.method() == bhttp::verb::post && req.find(kSessionHeader) == req.end();
    if (auto pv = req.find(kVersionHeader); pv != req.end() && !sessionless_post && !supported_header_version(pv->value())) {
      auto res = error_response(req, 400, mcp::errc::kInvalidRequest,
                                "Bad Request: unsupported MCP-Protocol-Version '" +
                                    std::string(pv->value().substr(0, 64)) + "'");
      co_return co_await write(stream, res);
    }

    switch (req.method()) {
      case bhttp::verb::post:
        co_return co_await handle_post(stream, req, std::move(caller));
      case bhttp::verb::get:
        co_return co_await handle_get(stream, req, caller.get());
      case bhttp::verb::delete_:
        co_return co_await handle_delete(stream, req, caller.get());
      default: {
        auto res = error_response(req, 405, -32000, "Method Not Allowed");
        res.set(bhttp::field::allow, "GET, POST, DELETE");
        co_return co_await write(stream, res);
      }
    }
  }

  /// MCP_AUTH_TOKEN: the 401 response when the request lacks the shared bearer token (compared by
  /// hash, in constant time), else nullopt.
  std::optional<Response> check_static_token(const Request& req) const {
    if (!token_hash) return std::nullopt;
    auto auth = req.find(bhttp::field::authorization);
    auto tok = bearer_token(auth == req.end() ? std::string_view{} : std::string_view(auth->value()));
    if (tok) {
      Sha256 h = sha256(*tok);
      if (CRYPTO_memcmp(h.d.data(), token_hash->d.data(), h.d.size()) == 0) return std::nullopt;
    }
    auto res = error_response(req, 401, -32001, auth == req.end() ? "Unauthorized: a bearer token is required"
                                                                  : "Unauthorized: invalid bearer token");
    res.set(bhttp::field::www_authenticate,
            auth == req.end() ? "Bearer realm=\"azsql-mcp\"" : "Bearer realm=\"azsql-mcp\", error=\"invalid_token\"");
    return res;
  }

  /// Sessions are bound to the caller that created them (MCP security best practices: a session id
  /// is no credential): the key compared on every later request of the session.
  static std::string owner_key(const mcp::Caller* caller) {
    return caller == nullptr ? std::string() : caller->tenant_id + "/" + caller->object_id;
  }

  /// The session named by Mcp-Session-Id: 400 when missing, 404 when unknown, ended, or created by
  /// another caller.
  std::shared_ptr<HttpSession> session_for(const Request& req, std::optional<Response>& error,
                                           const mcp::Caller* caller) {
    auto h = req.find(kSessionHeader);
    if (h == req.end() || h->value().empty()) {
      error = error_response(req, 400, mcp::errc::kInvalidRequest, "Bad Request: Mcp-Session-Id header is required");
      return nullptr;
    }
    std::shared_ptr<HttpSession> s;
    if (valid_session_id_syntax(h->value())) s = sessions.find(h->value());
    if (s && s->owner() != owner_key(caller)) s = nullptr;  // another user's session: as if unknown
    if (!s) {
      error = error_response(req, 404, -32001, "Session not found");
      return nullptr;
    }
    return s;
  }

  std::shared_ptr<HttpSession> new_session(std::optional<Response>& error, const Request& req,
                                           const mcp::Caller* caller) {
    auto r = sessions.create(owner_key(caller));
    if (!r.ok()) {
      if (r.error().kind == ErrorKind::Limit) {
        error = error_response(req, 503, mcp::errc::kServerBusy, "Service Unavailable: too many open sessions");
        error->set(bhttp::field::retry_after, "5");
      } else {
        error = error_response(req, 500, mcp::errc::kInternalError, "Internal error");
      }
      return nullptr;
    }
    auto s = std::move(r).value();
    s->mcp()->set_outbox(std::make_shared<SessionOutbox>(s));
    return s;
  }

  // ------------------------------------------------------------ POST

  /// One POST being served: what the steps below share.
  struct Post {
    Post(Request& r, beast::tcp_stream& s) : req(r), stream(s) {}
    Request& req;
    beast::tcp_stream& stream;
    bj::value msg;
    bool is_init = false;
    bool modern = false;    ///< a 2026-07-28 request
    bool json_ok = false;   ///< Accept allows application/json
    bool sse_ok = false;    ///< Accept allows text/event-stream
    bool use_sse = false;
    bool ephemeral = false;  ///< a per-request session (stateless mode, 2026-07-28)
    std::shared_ptr<HttpSession> hs;
    std::string new_sid;  ///< set on a successful initialize
    std::shared_ptr<const mcp::Caller> caller;  ///< the authenticated user (null: none)
    std::shared_ptr<Pending> pend;
    std::shared_ptr<Waker> waker;
    std::shared_ptr<StreamOutbox> outbox;
    CancelToken closed;  ///< cancels the request (and every batch member) when the client is gone
    std::shared_ptr<CloseWatch> watch;
    std::shared_ptr<bool> resumable = std::make_shared<bool>(false);
    std::string priming_id;
  };

  /// Content negotiation, the JSON-RPC body, the protocol era and its header checks (HTTP-level
  /// rules, transport/http/request_rules): the error response, or nullopt to go on.
  std::optional<Response> admit_post(Post& p) {
    const Request& req = p.req;
    auto ct = req.find(bhttp::field::content_type);
    if (ct == req.end() || media_type(ct->value()) != "application/json")
      return error_response(req, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
    auto acc = req.find(bhttp::field::accept);
    const std::string_view accept = acc == req.end() ? std::string_view{} : std::string_view(acc->value());
    p.json_ok = accepts(accept, "application/json");
    p.sse_ok = accepts(accept, "text/event-stream");
    if (!p.json_ok && !p.sse_ok)
      return error_response(req, 406, -32000, "Not Acceptable: Accept must include application/json and text/event-stream");
    PostBody body = parse_post_body(req.body());
    if (body.error_code != 0) return error_response(req, 400, body.error_code, body.error, body.error_id);
    p.msg = std::move(body.message);
    p.is_init = mcp::Server::is_initialize(p.msg);
    p.modern = is_modern_post(req, p.msg);
    p.use_sse = p.sse_ok && (!opt.json_response || !p.json_ok);
    if (p.modern) {
      const ModernHeaders mh = modern_headers_of(req);
      auto bad = check_modern_request(p.msg, mh);
      if (!bad) bad = check_modern_params(p.msg, mh, server.registry());
      if (bad) return make_response(req, 400, bj::serialize(*bad));
    } else if (auto pvh = req.find(kVersionHeader); pvh != req.end() && !supported_header_version(pvh->value())) {
      return error_response(req, 400, mcp::errc::kInvalidRequest,
                            "Bad Request: unsupported MCP-Protocol-Version '" + std::string(pvh->value().substr(0, 64)) + "'");
    }
    return std::nullopt;
  }

  /// The session the POST runs in: a per-request one (stateless mode, 2026-07-28), a new one for
  /// initialize, else the one Mcp-Session-Id names. The error response, or nullopt.
  std::optional<Response> post_session(Post& p) {
    std::optional<Response> err;
    if (p.modern || opt.stateless) {
      // Stateless: a per-request session (modern-era requests carry their state in _meta).
      p.hs = std::make_shared<HttpSession>("", EventStoreLimits{0, 0});
      p.ephemeral = true;
      if (!p.modern && !p.is_init) {
        auto pv = p.req.find(kVersionHeader);
        std::string v = pv != p.req.end() && mcp::is_supported_version(pv->value()) ? std::string(pv->value())
                                                                                      : std::string("2025-03-26");
        p.hs->mcp()->assume_initialized(v);
      }
    } else if (p.is_init) {
      p.hs = new_session(err, p.req, p.caller.get());
      if (p.hs) p.new_sid = p.hs->id();
    } else {
      p.hs = session_for(p.req, err, p.caller.get());
    }
    return p.hs ? std::nullopt : std::move(err);
  }

  /// 503 when too many POSTs await their response (or the server is stopping); else counts this one.
  std::optional<Response> admit_flight(Post& p) {
    if (in_flight.fetch_add(1) < opt.max_concurrent_requests && !stopping.load()) return std::nullopt;
    in_flight.fetch_sub(1);
    auto res = error_response(p.req, 503, mcp::errc::kServerBusy,
                              stopping.load() ? "Service Unavailable: the server is shutting down"
                                              : "Service Unavailable: too many requests in flight "
                                                "(MCP_MAX_CONCURRENT_REQUESTS); retry shortly");
    res.set(bhttp::field::retry_after, "1");
    if (p.is_init && p.hs) sessions.remove(p.hs->id());
    return res;
  }

  /// Hands the message to the protocol core. The reply comes back once, already carrying its HTTP
  /// status; it is serialised here, once, into `pend` (JSON) or the stream's last event (SSE).
  void start_request(Post& p, const net::any_io_executor& ex) {
    p.waker = std::make_shared<Waker>(ex);
    p.pend = std::make_shared<Pending>();
    const std::string stream_name = p.ephemeral ? std::string("p") : p.hs->next_stream_name();
    p.outbox = std::make_shared<StreamOutbox>(p.pend, p.waker, p.use_sse && !p.ephemeral ? p.hs : nullptr, stream_name);
    p.watch = std::make_shared<CloseWatch>();
    // A request whose client can no longer get its response (no resumption token delivered yet)
    // is cancelled when the connection closes.
    arm_close_watch(p.stream.socket(), p.watch, [closed = p.closed, waker = p.waker, resumable = p.resumable] {
      if (!*resumable) closed.cancel();
      waker->timer.cancel();
    });
    auto on_reply = [outbox = p.outbox, pend = p.pend, waker = p.waker, use_sse = p.use_sse](mcp::Outgoing out) {
      if (!out.message) return outbox->finish();
      const bool is_error = out.message->is_object() && out.message->get_object().contains("error");
      std::string text = bj::serialize(*out.message);
      {
        std::lock_guard lock(pend->mu);
        pend->reply_is_error = is_error;
        pend->status = out.http_status;
        pend->has_reply = true;
        if (!use_sse || out.http_status != 200) pend->reply = use_sse ? text : std::move(text);
        if (!use_sse) pend->done = true;
      }
      if (use_sse) return outbox->push(std::move(text), true);
      waker->wake();
    };
    // The priming id is taken before the request runs so that it precedes every event of the stream.
    if (p.use_sse && !p.ephemeral) {
      p.priming_id = p.hs->events().prime(stream_name);
      p.hs->stream_begun(stream_name);
    }
    mcp::Inbound in;
    if (p.use_sse) in.outbox = p.outbox;
    in.closed = p.closed;
    in.caller = p.caller;
    if (p.modern)
      server.handle_modern(p.hs->mcp(), std::move(p.msg), std::move(in), std::move(on_reply));
    else
      server.handle(p.hs->mcp(), std::move(p.msg), std::move(in), std::move(on_reply));
  }

  /// A failed initialize leaves no session behind.
  void drop_failed_session(Post& p) {
    if (p.is_init && (!p.pend->has_reply || p.pend->reply_is_error)) {
      sessions.remove(p.hs->id());
      p.new_sid.clear();
    }
  }

  /// application/json: waits for the reply and writes it with the status the core chose.
  net::awaitable<bool> reply_json(Post& p) {
    for (;;) {
      {
        std::lock_guard lock(p.pend->mu);
        if (p.pend->done) break;
      }
      if (*p.watch->peer_closed) co_return false;
      co_await p.waker->wait_until(SteadyClock::now() + std::chrono::hours(24));
    }
    if (*p.watch->peer_closed) co_return false;
    p.watch.reset();  // stop watching before writing
    drop_failed_session(p);
    auto res = p.pend->has_reply ? make_response(p.req, p.pend->status, std::move(p.pend->reply))
                                 : make_response(p.req, 202, "");
    if (!p.new_sid.empty()) res.set(kSessionHeader, p.new_sid);
    maybe_compress(res, p.req);
    co_return co_await write(p.stream, res);
  }

  /// Frames what the request produced so far as SSE events; `done` once its response is among them.
  static void drain(Pending& pend, std::string& out, bool& done, bool& any_id) {
    std::lock_guard lock(pend.mu);
    for (auto& [id, data] : pend.items) {
      append_sse_event(out, id, data);
      any_id = any_id || !id.empty();
      std::string().swap(data);  // release each payload as soon as it is framed
    }
    pend.items.clear();
    pend.queued_bytes = 0;
    done = pend.done;
  }

  /// text/event-stream: a request answered within first_event_delay gets one complete response;
  /// a slower one a chunked stream (priming event, its notifications, keep-alives, the response).
  net::awaitable<bool> reply_sse(Post& p) {
    // A priming event (an id, no data) lets 2025-11-25 clients resume a dropped stream.
    std::string priming;
    if (!p.ephemeral && p.hs->mcp()->protocol_version() >= "2025-11-25") {
      priming = format_sse_event(p.priming_id, "", opt.retry_ms);
      *p.resumable = true;
    }
    // Wait for the first output: a quick request is answered in one write without chunking.
    for (;;) {
      {
        std::lock_guard lock(p.pend->mu);
        if (p.pend->done || !p.pend->items.empty()) break;
      }
      if (*p.watch->peer_closed) co_return false;
      if (!co_await p.waker->wait_until(SteadyClock::now() + opt.first_event_delay)) break;  // still running
    }
    if (*p.watch->peer_closed) co_return false;
    bool done;
    {
      std::lock_guard lock(p.pend->mu);
      done = p.pend->done;
    }
    if (done) co_return co_await reply_sse_complete(p, std::move(priming));
    co_return co_await reply_sse_stream(p, priming);
  }

  /// The request is done: one response — the error with its own HTTP status (2026-07-28), or the
  /// whole event stream with a Content-Length.
  net::awaitable<bool> reply_sse_complete(Post& p, std::string body) {
    p.watch.reset();
    if (p.pend->has_reply && p.pend->status != 200) {
      auto res = make_response(p.req, p.pend->status, std::move(p.pend->reply));
      co_return co_await write(p.stream, res);
    }
    bool done = false, any_id = false;
    drain(*p.pend, body, done, any_id);
    drop_failed_session(p);
    auto res = make_response(p.req, 200, std::move(body), "text/event-stream");
    res.set(bhttp::field::cache_control, "no-cache, no-transform");
    if (!p.new_sid.empty()) res.set(kSessionHeader, p.new_sid);
    maybe_compress(res, p.req);  // a complete (non-streamed) event stream may be gzipped like JSON
    co_return co_await write(p.stream, res);
  }

  /// The request still runs: a chunked event stream until its response (or the client leaves).
  net::awaitable<bool> reply_sse_stream(Post& p, const std::string& priming) {
    if (!co_await write_sse_header(p.stream, p.req, p.new_sid)) co_return false;
    if (!priming.empty() && !co_await write_chunk(p.stream, priming)) co_return false;
    for (;;) {
      std::string out;
      bool done = false, any_id = false;
      drain(*p.pend, out, done, any_id);
      if (any_id) *p.resumable = true;
      if (!out.empty() && !co_await write_chunk(p.stream, out)) {
        if (!*p.resumable) p.closed.cancel();
        co_return false;
      }
      if (done) break;
      if (*p.watch->peer_closed) co_return false;
      bool woken = co_await p.waker->wait_until(SteadyClock::now() + opt.keepalive_interval);
      if (!woken && !*p.watch->peer_closed && !co_await write_chunk(p.stream, format_sse_comment("keep-alive"))) {
        if (!*p.resumable) p.closed.cancel();
        co_return false;
      }
    }
    p.watch.reset();
    if (!co_await write_last_chunk(p.stream)) co_return false;
    co_return p.req.keep_alive() && !stopping.load();
  }

  net::awaitable<bool> handle_post(beast::tcp_stream& stream, Request& req, std::shared_ptr<const mcp::Caller> caller) {
    Post p(req, stream);
    p.caller = std::move(caller);
    if (auto err = admit_post(p)) co_return co_await write(stream, *err);
    if (auto err = post_session(p)) co_return co_await write(stream, *err);
    struct UseGuard {
      HttpSession* s;
      ~UseGuard() {
        if (s) s->end_use();
      }
    } use{p.ephemeral ? nullptr : p.hs.get()};
    if (!p.ephemeral) p.hs->begin_use();

    if (!mcp::Server::expects_response(p.msg)) {  // notifications and responses only
      server.handle(p.hs->mcp(), std::move(p.msg), mcp::Inbound{nullptr, {}, p.caller}, [](mcp::Outgoing) {});
      auto res = make_response(req, 202, "");
      co_return co_await write(stream, res);
    }
    if (auto busy = admit_flight(p)) co_return co_await write(stream, *busy);
    struct FlightGuard {
      std::atomic<std::size_t>* c;
      ~FlightGuard() { c->fetch_sub(1); }
    } flight{&in_flight};
    start_request(p, co_await net::this_coro::executor);
    if (p.use_sse) co_return co_await reply_sse(p);
    co_return co_await reply_json(p);
  }

  // ------------------------------------------------------------ GET (SSE stream)

  /// 2026-07-28 has no GET stream and no sessions to delete (basic/transports): 405.
  bool modern_without_session(const Request& req) const {
    auto pv = req.find(kVersionHeader);
    return pv != req.end() && trim_ows(pv->value()) == mcp::kModernVersion && req.find(kSessionHeader) == req.end();
  }

  net::awaitable<bool> handle_get(beast::tcp_stream& stream, Request& req, const mcp::Caller* caller) {
    if (modern_without_session(req)) {
      auto res = error_response(req, 405, -32000, "Method Not Allowed: protocol version 2026-07-28 uses POST only");
      res.set(bhttp::field::allow, "POST");
      co_return co_await write(stream, res);
    }
    auto acc = req.find(bhttp::field::accept);
    if (acc == req.end() || !accepts(acc->value(), "text/event-stream")) {
      auto res = error_response(req, 406, -32000, "Not Acceptable: Accept must include text/event-stream");
      co_return co_await write(stream, res);
    }
    if (opt.stateless) {
      auto res = error_response(req, 405, -32000, "Method Not Allowed: the server is stateless (no GET stream)");
      res.set(bhttp::field::allow, "POST");
      co_return co_await write(stream, res);
    }
    std::optional<Response> err;
    auto hs = session_for(req, err, caller);
    if (!hs) co_return co_await write(stream, *err);

    // Which stream, from where: Last-Event-ID resumes the stream its id names.
    std::string stream_name = HttpSession::kGetStream;
    std::uint64_t cursor = hs->events().last_seq();
    bool resuming = false;
    if (auto le = req.find(kLastEventHeader); le != req.end()) {
      auto id = parse_event_id(le->value());
      if (!id) {
        auto res = error_response(req, 400, mcp::errc::kInvalidRequest, "Bad Request: malformed Last-Event-ID");
        co_return co_await write(stream, res);
      }
      stream_name = id->stream;
      cursor = id->seq;
      resuming = true;
    }
    const bool standalone = stream_name == HttpSession::kGetStream;
    hs->begin_use();
    struct UseGuard {
      HttpSession* s;
      ~UseGuard() { s->end_use(); }
    } use{hs.get()};
    const std::uint64_t gen = standalone ? hs->claim_get_stream() : 0;

    auto ex = co_await net::this_coro::executor;
    auto waker = std::make_shared<Waker>(ex);
    const std::uint64_t wh = hs->add_waiter([waker] { waker->wake(); });
    struct WaiterGuard {
      HttpSession* s;
      std::uint64_t h;
      ~WaiterGuard() { s->remove_waiter(h); }
    } wg{hs.get(), wh};
    auto watch = std::make_shared<CloseWatch>();
    arm_close_watch(stream.socket(), watch, [waker] { waker->timer.cancel(); });

    if (!co_await write_sse_header(stream, req, "")) co_return false;
    if (hs->mcp()->protocol_version() >= "2025-11-25" && !resuming) {
      // Priming id on this stream (MCP 2025-11-25): replays start after it.
      std::string pid = hs->events().prime(stream_name);
      if (!co_await write_chunk(stream, format_sse_event(pid, "", opt.retry_ms))) co_return false;
      if (auto p = parse_event_id(pid)) cursor = std::min(cursor, p->seq);
    }
    auto last_event = SteadyClock::now();
    for (;;) {
      if (stopping.load() || hs->closed() || (standalone && !hs->owns_get_stream(gen))) break;
      // A resumed POST stream ends after its response, or at once when its request is not running.
      const bool fin = !standalone && (hs->events().finished(stream_name) || !hs->stream_live(stream_name));
      auto evs = hs->events().after(stream_name, cursor);
      if (!evs.empty()) {
        std::string out;
        for (auto& e : evs) {
          append_sse_event(out, e.id, e.data);
          cursor = e.seq;
        }
        if (!co_await write_chunk(stream, out)) co_return false;
        last_event = SteadyClock::now();
      }
      if (fin) break;
      if (*watch->peer_closed) co_return false;
      if (standalone && SteadyClock::now() - last_event >= opt.stream_timeout) {
        // Idle: end the stream; the client reconnects with Last-Event-ID when it wants more.
        if (!co_await write_chunk(stream, "retry: " + std::to_string(opt.retry_ms) + "\n\n")) co_return false;
        break;
      }
      auto wait = std::min<SteadyClock::duration>(opt.keepalive_interval,
                                                  standalone ? opt.stream_timeout : opt.keepalive_interval);
      bool woken = co_await waker->wait_until(SteadyClock::now() + wait);
      if (!woken && !*watch->peer_closed && !stopping.load()) {
        if (!co_await write_chunk(stream, format_sse_comment("keep-alive"))) co_return false;
      }
    }
    watch.reset();
    if (!co_await write_last_chunk(stream)) co_return false;
    co_return req.keep_alive() && !stopping.load();
  }

  // ------------------------------------------------------------ DELETE

  net::awaitable<bool> handle_delete(beast::tcp_stream& stream, Request& req, const mcp::Caller* caller) {
    if (modern_without_session(req)) {
      auto res = error_response(req, 405, -32000, "Method Not Allowed: protocol version 2026-07-28 has no sessions");
      res.set(bhttp::field::allow, "POST");
      co_return co_await write(stream, res);
    }
    if (opt.stateless) {
      auto res = error_response(req, 405, -32000, "Method Not Allowed: the server is stateless (no sessions)");
      res.set(bhttp::field::allow, "POST");
      co_return co_await write(stream, res);
    }
    std::optional<Response> err;
    auto hs = session_for(req, err, caller);
    if (!hs) co_return co_await write(stream, *err);
    sessions.remove(hs->id());
    auto res = make_response(req, 200, "");
    co_return co_await write(stream, res);
  }

  // ------------------------------------------------------------ housekeeping

  net::awaitable<void> sweep() {
    auto period = std::clamp<std::chrono::milliseconds>(opt.stream_timeout / 4, std::chrono::milliseconds(1000),
                                                        std::chrono::milliseconds(30000));
    sweeper_waker = std::make_shared<Waker>(co_await net::this_coro::executor);
    auto w = sweeper_waker;
    while (!stopping.load()) {
      co_await w->wait_until(SteadyClock::now() + period);
      if (stopping.load()) break;
      sessions.expire_idle(SteadyClock::now(), opt.stream_timeout);
    }
  }
};

// ---------------------------------------------------------------- HttpServer

HttpServer::HttpServer(mcp::Server& server, HttpOptions options)
    : impl_(std::make_unique<Impl>(server, std::move(options))) {}

HttpServer::~HttpServer() {
  if (impl_->ioc) {
    impl_->stopping = true;
    impl_->ioc->stop();
    for (auto& t : impl_->threads) {
      if (t.joinable()) t.join();
    }
    impl_->acceptor.reset();
    impl_->sessions.clear();
    impl_->sweeper_waker.reset();  // its timer belongs to the io_context
    impl_->ioc.reset();  // destroys pending coroutine frames while every other member is alive
  }
  if (impl_->aux) impl_->aux->join();
}

void HttpServer::add_route(std::string path, RouteHandler handler) { impl_->routes[std::move(path)] = std::move(handler); }

Result<std::uint16_t> HttpServer::start() {
  auto& d = *impl_;
  d.ioc.emplace();
  d.aux.emplace(1);
  boost::system::error_code ec;
  auto addr = net::ip::make_address(d.opt.host == "localhost" ? "127.0.0.1" : d.opt.host, ec);
  if (ec) return Error::make(ErrorKind::InvalidInput, "MCP_HOST '" + d.opt.host + "' is not an IP address");
  tcp::endpoint ep(addr, d.opt.port);
  d.acceptor.emplace(*d.ioc);
  d.acceptor->open(ep.protocol(), ec);
  if (!ec) d.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor->bind(ep, ec);
  if (!ec) d.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error::make(ErrorKind::Io, "cannot listen on " + d.opt.host + ":" + std::to_string(d.opt.port) + ": " +
                                          ec.message());
  }
  d.bound_port = d.acceptor->local_endpoint().port();
  net::co_spawn(*d.ioc, d.listen(), net::detached);
  net::co_spawn(*d.ioc, d.sweep(), net::detached);
  std::size_t n = d.opt.threads;
  if (n == 0) n = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  for (std::size_t i = 0; i < n; ++i) {
    d.threads.emplace_back([&d] {
      for (;;) {
        try {
          d.ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: I/O thread caught: {}", e.what());
        }
      }
    });
  }
  return d.bound_port;
}

std::uint16_t HttpServer::port() const noexcept { return impl_->bound_port; }

std::string HttpServer::endpoint() const {
  const auto& h = impl_->opt.host;
  std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : h;
  return "http://" + host + ":" + std::to_string(impl_->bound_port) + impl_->opt.api_path;
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  auto& d = *impl_;
  if (!d.ioc || d.stopping.exchange(true)) return;
  net::post(*d.ioc, [&d] {
    beast::error_code ec;
    if (d.acceptor) d.acceptor->close(ec);
    if (d.sweeper_waker) d.sweeper_waker->timer.cancel();
  });
  // End GET streams (they see `stopping` when woken).
  for (auto& s : d.sessions.all()) s->notify();
  const auto deadline = SteadyClock::now() + grace;
  while (d.in_flight.load() > 0 && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Whatever is still running is cancelled; its responses (errors) still get written.
  d.server.shutdown(std::chrono::milliseconds(2000));
  const auto flush_deadline = SteadyClock::now() + std::chrono::seconds(2);
  while (d.in_flight.load() > 0 && SteadyClock::now() < flush_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  d.sessions.clear();
  d.ioc->stop();
  for (auto& t : d.threads) {
    if (t.joinable()) t.join();
  }
  d.threads.clear();
}

std::size_t HttpServer::session_count() const { return impl_->sessions.size(); }
std::size_t HttpServer::in_flight() const { return impl_->in_flight.load(); }
std::size_t HttpServer::connections() const { return impl_->conns.load(); }

}  // namespace azsql::transport::http
