#pragma once
/// On-behalf-of (OBO) sign-in to Azure SQL for the caller of the MCP endpoint
/// (AZURE_SQL_AUTH_TYPE=on_behalf_of).
///
/// The caller's validated access token (audience: this server's app registration) is exchanged at
/// the Entra token endpoint of the caller's tenant for an Azure SQL token naming the same user:
///   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, requested_token_use=on_behalf_of,
///   assertion=<caller token>, scope=https://database.windows.net/.default, client_id,
/// plus the application's own credential — exactly one of
///   * a client secret (client_secret),
///   * a certificate (RS256 client assertion, as ClientCertificateCredential),
///   * a federated client assertion: a managed identity token for `api://AzureADTokenExchange`
///     (no secret stored anywhere) or a workload identity token file.
/// The incoming token is used only as the OBO assertion; it is never sent to SQL, never logged and
/// never part of an error.
///
/// Each user's SQL token is cached (key: tid + oid) until it nears expiry; concurrent requests of
/// one user share one exchange. Refusals become errors that say what an administrator must do
/// (AADSTS65001 consent, AADSTS50013 assertion, AADSTS53003 conditional access, …).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "auth/credentials.hpp"

namespace azsql::auth {

inline constexpr std::string_view kTokenExchangeAudience = "api://AzureADTokenExchange";
inline constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

struct OnBehalfOfOptions {
  EntraOptions entra;  ///< client id, authority host; tenant_id = the app's home tenant (used when a caller has none)
  std::string client_secret;
  std::string certificate_path, certificate_password;
  /// Source of a federated client assertion (managed identity or workload identity credential);
  /// asked for kTokenExchangeAudience.
  std::shared_ptr<TokenCredential> assertion_credential;
  std::string scope{kSqlScope};
  std::size_t max_users = 1000;  ///< cached users; beyond, the least recently used is forgotten
  std::chrono::seconds refresh_before_expiry{300};  ///< or at half-life for short-lived tokens
  std::function<std::chrono::system_clock::time_point()> clock;
};

/// Who the SQL token is for: the caller's tenant and object id (from their validated token).
struct UserKey {
  std::string tenant_id, object_id;
  std::string str() const { return tenant_id + "/" + object_id; }
};

/// Text for an administrator about an AADSTS code the token endpoint returned ("" when unknown).
std::string obo_error_advice(int aadsts);

class OnBehalfOfCredential {
 public:
  /// InvalidInput when no (or more than one) application credential is configured.
  static Result<std::shared_ptr<OnBehalfOfCredential>> create(OnBehalfOfOptions options);

  /// The user's SQL token: cached, or exchanged now with `user_assertion` (the caller's current
  /// bearer token). force_refresh skips the cache (the server refused the cached token).
  Result<AccessToken> get_token(const UserKey& user, std::string_view user_assertion, bool force_refresh,
                                const CancelToken& cancel);
  /// Forgets a user's cached token.
  void forget(const UserKey& user);

  std::size_t cached_users() const;
  std::uint64_t exchanges() const;         ///< token requests sent
  std::uint64_t failed_exchanges() const;  ///< of which refused or failed
  std::string name() const { return "OnBehalfOfCredential"; }
  /// "client secret" | "certificate" | "federated assertion (<credential name>)"
  std::string app_credential_kind() const;

 private:
  explicit OnBehalfOfCredential(OnBehalfOfOptions options);
  struct Entry;
  Result<AccessToken> exchange(const UserKey& user, std::string_view user_assertion, const CancelToken& cancel);
  Result<std::vector<std::pair<std::string, std::string>>> app_credential(const std::string& token_url,
                                                                          const CancelToken& cancel);
  std::chrono::system_clock::time_point now() const;
  bool fresh(const AccessToken& t, std::chrono::system_clock::time_point acquired) const;
  OnBehalfOfOptions o_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> users_;
  std::uint64_t tick_ = 0, exchanges_ = 0, failures_ = 0;
};

}  // namespace azsql::auth
