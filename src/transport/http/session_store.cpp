#include "transport/http/session_store.hpp"

#include <openssl/rand.h>

#include <cstdint>
#include <span>

#include "common/hex.hpp"

namespace azsql::transport::http {

std::string new_session_id() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  return hex::encode(std::span<const std::uint8_t>(raw, sizeof raw), hex::Case::Lower);
}

bool valid_session_id_syntax(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// ---------------------------------------------------------------- HttpSession

HttpSession::HttpSession(std::string id, EventStoreLimits limits)
    : id_(std::move(id)), mcp_(std::make_shared<mcp::Session>(id_)), events_(limits), last_active_(SteadyClock::now()) {}

HttpSession::~HttpSession() = default;

std::uint64_t HttpSession::add_waiter(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  const std::uint64_t h = ++next_waiter_;
  waiters_.emplace(h, std::move(fn));
  return h;
}

void HttpSession::remove_waiter(std::uint64_t handle) {
  std::lock_guard lock(mu_);
  waiters_.erase(handle);
}

void HttpSession::notify() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lock(mu_);
    fns.reserve(waiters_.size());
    for (auto& [h, f] : waiters_) fns.push_back(f);
  }
  for (auto& f : fns) f();
}

void HttpSession::touch(SteadyClock::time_point now) {
  std::lock_guard lock(mu_);
  if (now > last_active_) last_active_ = now;
}

SteadyClock::time_point HttpSession::last_active() const {
  std::lock_guard lock(mu_);
  return last_active_;
}

void HttpSession::begin_use() {
  in_use_.fetch_add(1);
  touch();
}

void HttpSession::end_use(SteadyClock::time_point now) {
  touch(now);
  in_use_.fetch_sub(1);
}

std::uint64_t HttpSession::claim_get_stream() {
  const std::uint64_t g = get_gen_.fetch_add(1) + 1;
  notify();  // the previous GET stream (if any) sees it no longer owns the stream and ends
  return g;
}

std::string HttpSession::next_stream_name() {
  std::string name(1, 'p');
  name += std::to_string(streams_.fetch_add(1) + 1);
  return name;
}

void HttpSession::stream_begun(const std::string& name) {
  std::lock_guard lock(mu_);
  live_streams_.insert(name);
}

void HttpSession::stream_ended(const std::string& name) {
  std::lock_guard lock(mu_);
  live_streams_.erase(name);
}

bool HttpSession::stream_live(std::string_view name) const {
  std::lock_guard lock(mu_);
  return live_streams_.find(name) != live_streams_.end();
}

void HttpSession::close() {
  if (closed_.exchange(true)) return;
  mcp_->set_outbox(nullptr);
  mcp_->cancel_all();
  notify();
}

// ---------------------------------------------------------------- SessionStore

SessionStore::SessionStore(std::size_t max_sessions, EventStoreLimits limits) : max_(max_sessions), limits_(limits) {}

Result<std::shared_ptr<HttpSession>> SessionStore::create(std::string owner) {
  std::string id = new_session_id();
  if (id.empty()) return Error::make(ErrorKind::Internal, "could not generate a session id");
  auto s = std::make_shared<HttpSession>(id, limits_);
  s->set_owner(std::move(owner));
  std::lock_guard lock(mu_);
  if (sessions_.size() >= max_) return Error::make(ErrorKind::Limit, "too many open sessions");
  sessions_.emplace(std::move(id), s);
  return s;
}

std::shared_ptr<HttpSession> SessionStore::find(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || it->second->closed()) return nullptr;
  return it->second;
}

std::shared_ptr<HttpSession> SessionStore::remove(std::string_view id) {
  std::shared_ptr<HttpSession> s;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(std::string(id));
    if (it == sessions_.end()) return nullptr;
    s = std::move(it->second);
    sessions_.erase(it);
  }
  s->close();
  return s;
}

std::vector<std::shared_ptr<HttpSession>> SessionStore::expire_idle(SteadyClock::time_point now,
                                                                    std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<HttpSession>> gone;
  {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      const auto& s = it->second;
      if (s->in_use() == 0 && now - s->last_active() > timeout) {
        gone.push_back(s);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& s : gone) s->close();
  return gone;
}

std::vector<std::shared_ptr<HttpSession>> SessionStore::clear() {
  std::vector<std::shared_ptr<HttpSession>> gone;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, s] : sessions_) gone.push_back(s);
    sessions_.clear();
  }
  for (auto& s : gone) s->close();
  return gone;
}

std::vector<std::shared_ptr<HttpSession>> SessionStore::all() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<HttpSession>> out;
  for (auto& [id, s] : sessions_) out.push_back(s);
  return out;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace azsql::transport::http
