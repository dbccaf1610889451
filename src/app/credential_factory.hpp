#pragma once
/// Builds the Entra ID credential (src/auth) from the server configuration, and the token callback
/// the TDS driver takes (db::tds::TdsOptions::access_token). Typical wiring:
///
///   auto cred = app::make_token_credential(cfg, auth::process_environment(),
///                                          [&](const auth::RefreshEvent& e) { /* metrics, log */ });
///   if (!cred.ok()) → start-up error (cred.error().message names the missing setting)
///   tds_options.access_token = app::tds_access_token(*cred);  // empty for SQL authentication
///
/// One credential (one token cache) should serve every connection of the pool.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "auth/factory.hpp"

namespace azsql::app {

/// What an ADO.NET connection string may say about authentication (AZURE_SQL_CONNECTION_STRING
/// wins over the variables, as in SqlClient): `Authentication=` mapped to our auth type names,
/// `User Id=` (managed_identity / default_credential: the user-assigned identity's client id;
/// service_principal / workload_identity: the application's client id) and `Password=` (the
/// service principal's secret).
struct AuthOverrides {
  std::optional<std::string> auth_type;
  std::optional<std::string> user;
  std::optional<std::string> password;
};

/// Maps Config (+ overrides) to auth::CredentialConfig. Settings Config does not carry
/// (IDENTITY_ENDPOINT, IDENTITY_HEADER, AZSQL_IMDS_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST,
/// AZSQL_AZ_PATH, PATH, AZURE_CLIENT_CERTIFICATE_PASSWORD, and IDENTITY_SERVER_THUMBPRINT /
/// IMDS_ENDPOINT / MSI_ENDPOINT to recognise unsupported sources) come from `env`.
auth::CredentialConfig credential_config(const Config& cfg, const auth::EnvLookup& env,
                                         const AuthOverrides& overrides = {});

/// The cached credential for the auth type, or nullptr when the server uses SQL authentication
/// (auth type "sql"). `on_refresh` (optional) observes every token refresh — for the metrics.
Result<std::shared_ptr<auth::CachingCredential>> make_token_credential(
    const Config& cfg, const auth::EnvLookup& env,
    std::function<void(const auth::RefreshEvent&)> on_refresh = {}, const AuthOverrides& overrides = {});

/// The TDS driver's access_token callback for `credential` (empty function when it is null).
std::function<Result<std::string>(bool force_refresh)> tds_access_token(
    const std::shared_ptr<auth::CachingCredential>& credential);

}  // namespace azsql::app
