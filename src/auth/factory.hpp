#pragma once
/// Builds a credential from plain settings, so src/app can map its Config without src/auth
/// depending on src/app, and bridges the cache to the TDS driver's token callback.
#include <functional>
#include <memory>
#include <string>

#include "auth/credentials.hpp"
#include "auth/token_cache.hpp"

namespace azsql::auth {

/// Every setting a credential may need (PRODUCT.md §2 names in comments). Empty = unset.
struct CredentialConfig {
  /// managed_identity | default_credential | service_principal | workload_identity | azure_cli |
  /// access_token
  std::string auth_type;
  std::string tenant_id;                    ///< AZURE_TENANT_ID
  std::string client_id;                    ///< AZURE_CLIENT_ID
  std::string client_secret;                ///< AZURE_CLIENT_SECRET
  std::string client_certificate_path;      ///< AZURE_CLIENT_CERTIFICATE_PATH (PEM: cert + key)
  std::string client_certificate_password;  ///< AZURE_CLIENT_CERTIFICATE_PASSWORD
  std::string federated_token_file;         ///< AZURE_FEDERATED_TOKEN_FILE
  std::string authority_host;               ///< AZURE_AUTHORITY_HOST (default login.microsoftonline.com)
  std::string managed_identity_client_id;   ///< AZURE_MANAGED_IDENTITY_CLIENT_ID
  std::string managed_identity_object_id;
  std::string managed_identity_resource_id;
  std::string imds_endpoint;                ///< AZSQL_IMDS_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST
  std::string identity_endpoint;            ///< IDENTITY_ENDPOINT
  std::string identity_header;              ///< IDENTITY_HEADER
  std::string identity_server_thumbprint;   ///< IDENTITY_SERVER_THUMBPRINT (Service Fabric: unsupported)
  std::string arc_imds_endpoint;            ///< IMDS_ENDPOINT (Azure Arc: unsupported)
  std::string msi_endpoint;                 ///< MSI_ENDPOINT (Cloud Shell / Azure ML: unsupported)
  std::string az_path;                      ///< AZSQL_AZ_PATH
  std::string path_env;                     ///< PATH (for finding `az`)
  std::string access_token;                 ///< AZURE_SQL_ACCESS_TOKEN

  HttpTimeouts timeouts;
  RetryPolicy managed_identity_retry;
  RetryPolicy entra_retry = EntraOptions{}.retry;
  std::chrono::milliseconds imds_probe_timeout{1000};
  std::chrono::milliseconds cli_timeout{10000};

  /// Fills every empty field from the environment variables named above.
  void fill_from_environment(const EnvLookup& env);
  /// A config read entirely from the environment (auth_type from AZURE_SQL_AUTH_TYPE).
  static CredentialConfig from_environment(const EnvLookup& env);
};

/// The credential for config.auth_type (not cached). InvalidInput names the missing setting
/// ("service_principal needs AZURE_TENANT_ID") or the unknown auth type.
Result<std::unique_ptr<TokenCredential>> make_credential(const CredentialConfig& config);

/// make_credential wrapped in a CachingCredential.
Result<std::shared_ptr<CachingCredential>> make_cached_credential(const CredentialConfig& config,
                                                                   CacheOptions options = {});

/// The TDS driver's token callback: returns the token string for `scope` (default the Azure SQL
/// scope), forcing a refresh when asked. Never throws; thread-safe.
std::function<Result<std::string>(bool force_refresh)> access_token_provider(
    std::shared_ptr<CachingCredential> credential, std::string scope = std::string(kSqlScope));

}  // namespace azsql::auth
