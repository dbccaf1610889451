#pragma once
/// Entra ID (Azure AD) access tokens for Azure SQL: the token type, the credential interface and
/// the environment lookup the credentials read their settings through.
///
/// Module overview (src/auth):
///   credential.hpp   AccessToken, TokenCredential, scope/resource helpers, EnvLookup
///   credentials.hpp  ManagedIdentityCredential, ClientSecretCredential, ClientCertificateCredential,
///                    WorkloadIdentityCredential, AzureCliCredential, StaticTokenCredential,
///                    DefaultAzureCredential
///   token_cache.hpp  CachingCredential (refresh ahead of expiry, one shared refresh, back-off)
///   factory.hpp      CredentialConfig + make_credential() / make_cached_credential() and the
///                    `access_token(bool force_refresh)` bridge for the TDS driver
///   jwt_validator.hpp  the resource-server side: SigningKeys (JWKS), JwksCache (OpenID discovery,
///                    background refresh, rate-limited refetch on unknown kid), JwtValidator (RS256
///                    Entra access tokens of MCP callers)
///   on_behalf_of.hpp OnBehalfOfCredential: a caller's token exchanged for their own Azure SQL token
///
/// Secrets (client secrets, assertions, tokens) never appear in error messages: errors name the
/// credential, the HTTP status and the Entra / IMDS error code and description only.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/cancel.hpp"
#include "common/result.hpp"

namespace azsql::auth {

/// The Azure SQL resource (v1 / managed identity endpoints) and its v2 scope.
inline constexpr std::string_view kSqlResource = "https://database.windows.net/";
inline constexpr std::string_view kSqlScope = "https://database.windows.net/.default";

/// A bearer token and when it stops (and should stop) being used.
struct AccessToken {
  std::string token;                                  ///< opaque bearer token (a JWT for Entra)
  std::chrono::system_clock::time_point expires_on;  ///< hard expiry
  /// When the issuer suggests refreshing (`refresh_in` of Entra v2 responses); nullopt → the cache
  /// decides (5 min before expiry, or at half-life for short-lived tokens).
  std::optional<std::chrono::system_clock::time_point> refresh_on;
};

/// Acquires access tokens. Implementations are thread-safe: get_token may be called concurrently.
/// Expected failures are returned as Error values:
///   ErrorKind::Unavailable — this credential cannot work in this environment (variables unset,
///                            endpoint unreachable, no identity assigned, CLI not logged in); a
///                            DefaultAzureCredential chain moves on to its next step;
///   ErrorKind::Auth        — the identity provider refused (bad secret, unknown client, …);
///   ErrorKind::Timeout / Cancelled / Protocol / InvalidInput as usual.
class TokenCredential {
 public:
  virtual ~TokenCredential() = default;
  /// `scope_or_resource` may be a v2 scope (`https://database.windows.net/.default`) or a v1 resource
  /// (`https://database.windows.net/`); each credential converts to what its endpoint expects.
  virtual Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) = 0;
  /// Short name used in errors and logs, e.g. "ManagedIdentityCredential".
  virtual std::string name() const = 0;
};

/// `https://x/.default` → `https://x/`; a resource is returned unchanged.
std::string scope_to_resource(std::string_view scope_or_resource);
/// `https://x/` → `https://x/.default`; a scope is returned unchanged.
std::string resource_to_scope(std::string_view scope_or_resource);

/// Reads one environment variable; nullopt when unset. Credentials read settings through this so
/// tests (and src/app) can supply them without touching the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
/// Looks variables up in the process environment (getenv).
EnvLookup process_environment();
/// Looks variables up in a fixed map (copied).
EnvLookup map_environment(std::map<std::string, std::string> vars);

/// The `exp` claim of a JWT (no signature check), or nullopt when `token` is not a decodable JWT.
std::optional<std::chrono::system_clock::time_point> jwt_expiry(std::string_view token);

}  // namespace azsql::auth
