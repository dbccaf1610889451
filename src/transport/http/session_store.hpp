#pragma once
/// Streamable HTTP sessions (MCP 2025-11-25, basic/transports "Session Management"): ids from a
/// CSPRNG, the protocol state of each session, its SSE event store and stream bookkeeping, idle
/// expiry. No sockets here: connections register wake-up callbacks. Thread-safe.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "mcp/server.hpp"
#include "transport/http/event_store.hpp"

namespace azsql::transport::http {

using SteadyClock = std::chrono::steady_clock;

/// 32 lower-case hex characters from 16 bytes of OpenSSL RAND_bytes; empty if the CSPRNG fails.
std::string new_session_id();

/// True when `id` is a syntactically acceptable Mcp-Session-Id (visible ASCII 0x21–0x7E, ≤ 128).
bool valid_session_id_syntax(std::string_view id) noexcept;

/// One HTTP session. Owned jointly by the store and by the connections serving it.
class HttpSession {
 public:
  /// The name of the standalone GET stream in event ids.
  static constexpr const char* kGetStream = "g";

  HttpSession(std::string id, EventStoreLimits limits);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  const std::string& id() const noexcept { return id_; }
  /// The caller the session belongs to ("tid/oid"; "" without per-user authentication). Set before
  /// the session is published, immutable after.
  const std::string& owner() const noexcept { return owner_; }
  void set_owner(std::string owner) { owner_ = std::move(owner); }
  const std::shared_ptr<mcp::Session>& mcp() const noexcept { return mcp_; }
  EventStore& events() noexcept { return events_; }

  /// Wake-up callbacks of the connections streaming from this session; notify() calls them all
  /// (after an event was appended, or when the session ends). Callbacks must be cheap and
  /// non-blocking (they post to a strand).
  std::uint64_t add_waiter(std::function<void()> fn);
  void remove_waiter(std::uint64_t handle);
  void notify();

  /// Activity bookkeeping for idle expiry: a session in use (request or stream open) never expires.
  void touch(SteadyClock::time_point now = SteadyClock::now());
  SteadyClock::time_point last_active() const;
  void begin_use();
  void end_use(SteadyClock::time_point now = SteadyClock::now());
  std::size_t in_use() const noexcept { return in_use_.load(); }

  /// Only one standalone GET stream consumes the session's notifications at a time: a new GET
  /// takes over (returns its generation) and the previous one ends.
  std::uint64_t claim_get_stream();
  bool owns_get_stream(std::uint64_t generation) const noexcept { return get_gen_.load() == generation; }

  /// A fresh POST stream name ("p<n>").
  std::string next_stream_name();

  /// POST streams whose request is still running (their response is yet to come), so that a GET
  /// resuming one of them (Last-Event-ID) knows whether to wait for more events.
  void stream_begun(const std::string& name);
  void stream_ended(const std::string& name);
  bool stream_live(std::string_view name) const;

  /// Ends the session (DELETE, expiry, shutdown): cancels its requests and wakes its streams.
  void close();
  bool closed() const noexcept { return closed_.load(); }

 private:
  std::string id_;
  std::string owner_;
  std::shared_ptr<mcp::Session> mcp_;
  EventStore events_;
  mutable std::mutex mu_;
  std::map<std::uint64_t, std::function<void()>> waiters_;
  std::uint64_t next_waiter_ = 0;
  SteadyClock::time_point last_active_;
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::uint64_t> get_gen_{0};
  std::atomic<std::uint64_t> streams_{0};
  std::atomic<bool> closed_{false};
  std::set<std::string, std::less<>> live_streams_;  ///< guarded by mu_
};

/// The live sessions by id.
class SessionStore {
 public:
  SessionStore(std::size_t max_sessions, EventStoreLimits limits);

  /// A new session with a fresh id, bound to `owner` (the authenticated caller's "tid/oid", or ""
  /// without per-user authentication). ErrorKind::Limit when `max_sessions` are live,
  /// ErrorKind::Internal when the CSPRNG fails.
  Result<std::shared_ptr<HttpSession>> create(std::string owner = {});
  /// nullptr when unknown or ended.
  std::shared_ptr<HttpSession> find(std::string_view id) const;
  /// Removes (and closes) the session; nullptr when unknown.
  std::shared_ptr<HttpSession> remove(std::string_view id);
  /// Removes and closes sessions not in use and idle for longer than `timeout`; returns them.
  std::vector<std::shared_ptr<HttpSession>> expire_idle(SteadyClock::time_point now, std::chrono::milliseconds timeout);
  /// Removes and closes every session.
  std::vector<std::shared_ptr<HttpSession>> clear();
  std::vector<std::shared_ptr<HttpSession>> all() const;
  std::size_t size() const;

 private:
  std::size_t max_;
  EventStoreLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<HttpSession>> sessions_;
};

}  // namespace azsql::transport::http
