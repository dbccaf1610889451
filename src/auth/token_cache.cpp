#include "auth/token_cache.hpp"

namespace azsql::auth {

namespace {
using Clock = std::chrono::system_clock;
}

struct CachingCredential::Entry {
  std::optional<AccessToken> token;
  Clock::time_point acquired{};     ///< when the request for `token` started
  bool refreshing = false;
  std::uint64_t started = 0;        ///< refresh generations started …
  std::uint64_t finished = 0;       ///< … and finished
  std::optional<Error> last_error;  ///< outcome of generation `finished` when it failed
  Clock::time_point next_attempt{};  ///< after a failure: no refresh before this while a token is usable
};

CachingCredential::CachingCredential(std::unique_ptr<TokenCredential> inner, CacheOptions options)
    : inner_(std::move(inner)), o_(std::move(options)) {}

CachingCredential::~CachingCredential() = default;

std::string CachingCredential::name() const { return inner_ ? inner_->name() : "CachingCredential"; }

Clock::time_point CachingCredential::now() const { return o_.clock ? o_.clock() : Clock::now(); }

std::uint64_t CachingCredential::refresh_count() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

std::uint64_t CachingCredential::failed_refresh_count() const {
  std::lock_guard lock(mu_);
  return failures_;
}

Result<AccessToken> CachingCredential::get_token(std::string_view scope, const CancelToken& cancel) {
  return get_token(scope, cancel, false);
}

Result<AccessToken> CachingCredential::get_token(std::string_view scope_or_resource, const CancelToken& cancel,
                                                 bool force) {
  if (!inner_) return Error::make(ErrorKind::Internal, "CachingCredential without a credential");
  const std::string key = resource_to_scope(scope_or_resource);
  std::unique_lock lk(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(key, std::make_unique<Entry>()).first;
  Entry& e = *it->second;

  auto lifetime = [&](const AccessToken& t) { return t.expires_on - e.acquired; };
  auto usable = [&](Clock::time_point t) {
    if (!e.token) return false;
    auto margin = std::min<Clock::duration>(o_.expiry_margin, lifetime(*e.token) / 10);
    return t < e.token->expires_on - margin;
  };
  auto fresh = [&](Clock::time_point t) {
    if (!usable(t)) return false;
    const AccessToken& tok = *e.token;
    Clock::time_point at;
    if (tok.refresh_on) {
      at = *tok.refresh_on;
    } else if (lifetime(tok) <= 2 * Clock::duration(o_.refresh_before_expiry)) {
      at = e.acquired + lifetime(tok) / 2;  // short-lived token: refresh at half-life
    } else {
      at = tok.expires_on - o_.refresh_before_expiry;
    }
    return t < at;
  };

  for (;;) {
    const auto t = now();
    if (force && usable(t) && t - e.acquired < o_.force_min_age) return *e.token;  // just refreshed by someone
    if (!force && fresh(t)) return *e.token;
    if (e.refreshing) {
      if (!force && usable(t)) return *e.token;  // a refresh is in flight; the current token still works
      const std::uint64_t gen = e.started;
      while (e.finished < gen) {
        if (cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "cancelled while waiting for a token refresh");
        cv_.wait_for(lk, std::chrono::milliseconds(50));
      }
      // last_error describes the most recent finished refresh (reset on success).
      if (e.last_error) {
        if (e.last_error->kind == ErrorKind::Cancelled) continue;  // the refresher gave up, not the endpoint
        if (!force && usable(now())) return *e.token;
        return *e.last_error;
      }
      if (e.token) return *e.token;
      continue;
    }
    if (!force && usable(t) && t < e.next_attempt) return *e.token;  // back off after a failed refresh
    break;
  }

  // This caller refreshes; others wait for (or are served around) it.
  const bool had_usable = usable(now());
  e.refreshing = true;
  const std::uint64_t gen = ++e.started;
  const auto started_at = now();
  lk.unlock();
  Result<AccessToken> r = inner_->get_token(key, cancel);
  lk.lock();
  e.refreshing = false;
  e.finished = gen;
  RefreshEvent ev;
  ev.credential = inner_->name();
  ev.scope = key;
  ev.forced = force;
  ev.ok = r.ok();
  const bool cancelled = !r.ok() && r.error().kind == ErrorKind::Cancelled;
  if (r.ok()) {
    e.token = *r;
    e.acquired = started_at;
    e.last_error.reset();
    e.next_attempt = {};
  } else {
    e.last_error = r.error();
    if (!cancelled) e.next_attempt = now() + o_.retry_after_failure;
    ev.error_kind = r.error().kind;
  }
  if (!cancelled) {
    ++refreshes_;
    if (!r.ok()) ++failures_;
  }
  Result<AccessToken> out = r.ok() ? Result<AccessToken>(*e.token)
                            : (!force && had_usable && usable(now()) && !cancelled) ? Result<AccessToken>(*e.token)
                                                                                     : Result<AccessToken>(r.error());
  lk.unlock();
  cv_.notify_all();
  if (o_.on_refresh && !cancelled) o_.on_refresh(ev);
  return out;
}

}  // namespace azsql::auth
