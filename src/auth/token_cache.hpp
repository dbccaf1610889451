#pragma once
/// Token cache in front of any TokenCredential.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "auth/credential.hpp"

namespace azsql::auth {

/// Reported after every refresh attempt (for metrics: "token refreshes", failures).
struct RefreshEvent {
  std::string credential;  ///< inner credential name
  std::string scope;
  bool ok = false;
  ErrorKind error_kind = ErrorKind::Internal;  ///< when !ok
  bool forced = false;                         ///< triggered by force_refresh
};

struct CacheOptions {
  /// Refresh this long before expiry (when the token has no refresh_on) …
  std::chrono::seconds refresh_before_expiry{300};
  /// … unless the token lives at most twice that long: then refresh at half-life.
  /// After a failed refresh, keep serving the still-valid token and wait this long before retrying.
  std::chrono::seconds retry_after_failure{30};
  /// A token is served only while now < expires_on - min(expiry_margin, lifetime / 10).
  std::chrono::seconds expiry_margin{30};
  /// force_refresh is ignored when the cached token was acquired less than this long ago
  /// (many connections refused at once then share one new token).
  std::chrono::milliseconds force_min_age{1000};
  /// Clock (tests inject one); default system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
  /// Called (outside the cache lock) after each refresh attempt. Must be thread-safe.
  std::function<void(const RefreshEvent&)> on_refresh;
};

/// Caches one token per scope (scopes and their resources share an entry) and refreshes it ahead of
/// expiry. Concurrent callers needing a refresh share ONE call to the inner credential: the first
/// caller refreshes; callers holding a still-valid token get it at once; callers without a valid
/// token wait (cancellably) for that refresh's outcome. After a failed refresh the still-valid token
/// keeps being served and the next attempt waits CacheOptions::retry_after_failure; with no valid
/// token left, every call tries again (shared as above). Thread-safe.
class CachingCredential final : public TokenCredential {
 public:
  explicit CachingCredential(std::unique_ptr<TokenCredential> inner, CacheOptions options = {});
  ~CachingCredential() override;

  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  /// force_refresh: fetch a new token even if the cached one looks valid (e.g. the server refused
  /// it); joins a refresh already in flight instead of starting another.
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel, bool force_refresh);
  std::string name() const override;

  /// Refresh attempts made (successful + failed), and failed ones.
  std::uint64_t refresh_count() const;
  std::uint64_t failed_refresh_count() const;

 private:
  struct Entry;
  std::chrono::system_clock::time_point now() const;
  std::unique_ptr<TokenCredential> inner_;
  CacheOptions o_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
  std::uint64_t refreshes_ = 0, failures_ = 0;
};

}  // namespace azsql::auth
