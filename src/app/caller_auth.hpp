#pragma once
/// Per-caller identity on the HTTP endpoint (MCP_AUTH_MODE=entra) and, with
/// AZURE_SQL_AUTH_TYPE=on_behalf_of, each caller's own Azure SQL sessions.
///
///   * bearer validation (src/auth/jwt_validator) → an mcp::Caller per request, or a 401/403/503
///     challenge with the RFC 6750 / RFC 9728 WWW-Authenticate header;
///   * Protected Resource Metadata (RFC 9728) documents;
///   * scope rules: read tools need one of MCP_AUTH_SCOPES_READ (or a write scope), write tools one
///     of MCP_AUTH_SCOPES_WRITE. Write tools stay listed for readers (their annotations say they
///     write) and a call to one is refused with 403 insufficient_scope naming the write scope, so a
///     client can step up its consent;
///   * the on-behalf-of credential and the per-user pools (src/db/user_pools), plus their gauges.
#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "app/config.hpp"
#include "auth/jwt_validator.hpp"
#include "auth/on_behalf_of.hpp"
#include "db/tds/tds_backend.hpp"
#include "db/user_pools.hpp"
#include "mcp/caller.hpp"
#include "mcp/registry.hpp"
#include "observability/metrics/metrics.hpp"

namespace azsql::app {

/// A refused request: HTTP status (401, 403 or 503), the WWW-Authenticate value, and a message.
struct AuthChallenge {
  unsigned status = 401;
  std::string www_authenticate;
  std::string message;
};

struct AuthOutcome {
  std::shared_ptr<const mcp::Caller> caller;  ///< set when accepted
  std::optional<AuthChallenge> challenge;     ///< set when refused
};

class CallerAuth {
 public:
  /// Starts key discovery (waits up to 5 s for the first key set; a failure is logged and retried
  /// in the background: requests get 503 until keys arrive). InvalidInput for unusable settings.
  static Result<std::unique_ptr<CallerAuth>> create(const Config& cfg);
  ~CallerAuth();

  /// `authorization`: the Authorization header value ("" when absent). `needs_write`: the request
  /// calls a write tool.
  AuthOutcome authenticate(std::string_view authorization, bool needs_write);

  /// The canonical resource URI (MCP_AUTH_RESOURCE, else `endpoint` as bound) — set once after bind.
  void set_endpoint(const std::string& endpoint);
  std::string resource() const;
  /// `{origin}/.well-known/oauth-protected-resource{path}` of resource().
  std::string metadata_url() const;
  /// The RFC 9728 document.
  boost::json::object metadata() const;
  /// Scopes to request from Entra: "<app id uri>/<name>" for the read and write scopes.
  std::vector<std::string> scopes_supported() const;

  /// on_behalf_of: the pool of the call's caller (Auth error without a caller).
  Result<std::shared_ptr<db::Pool>> pool_for(const mcp::Caller* caller);
  bool on_behalf_of() const { return user_pools_ != nullptr; }
  /// The per-user pools, token validations and OBO exchanges, for Metrics (MetricsSources::external).
  std::vector<observability::ExternalSample> metric_samples() const;

 private:
  CallerAuth() = default;
  std::string challenge_header(const char* error, const std::string& description, const std::string& scope) const;
  std::string full_scope(const std::string& name) const;
  bool has_any(const mcp::Caller& c, const std::vector<std::string>& scopes) const;
  void start_evictor();

  Config cfg_;
  std::shared_ptr<auth::JwksCache> jwks_;
  std::unique_ptr<auth::JwtValidator> validator_;
  std::shared_ptr<auth::OnBehalfOfCredential> obo_;
  std::unique_ptr<db::UserPools> user_pools_;
  mutable std::mutex mu_;
  std::string endpoint_;
  std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, forbidden_{0};
  std::array<std::atomic<std::uint64_t>, 12> rejected_by_reason_{};
  std::jthread evictor_;
};

}  // namespace azsql::app
