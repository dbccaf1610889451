#include "app/credential_factory.hpp"

namespace azsql::app {

auth::CredentialConfig credential_config(const Config& cfg, const auth::EnvLookup& env, const AuthOverrides& ov) {
  auth::CredentialConfig c;
  c.auth_type = ov.auth_type.value_or(cfg.auth_type);
  c.tenant_id = cfg.tenant_id;
  c.client_id = cfg.client_id;
  c.client_secret = cfg.client_secret;
  c.client_certificate_path = cfg.client_certificate_path;
  c.federated_token_file = cfg.federated_token_file;
  c.authority_host = cfg.authority_host;
  c.managed_identity_client_id = cfg.managed_identity_client_id;
  c.access_token = cfg.access_token;
  if (ov.user && !ov.user->empty()) {
    if (c.auth_type == "managed_identity" || c.auth_type == "default_credential") {
      c.managed_identity_client_id = *ov.user;
    } else {
      c.client_id = *ov.user;
    }
  }
  if (ov.password && !ov.password->empty() && c.auth_type == "service_principal") c.client_secret = *ov.password;
  // Login timeout bounds the whole token request too.
  if (cfg.connection_timeout_s > 0) {
    c.timeouts.total = std::min(c.timeouts.total, std::chrono::milliseconds(cfg.connection_timeout_s * 1000L));
    c.timeouts.connect = std::min(c.timeouts.connect, c.timeouts.total);
  }
  // Only what Config does not carry is read from the environment (fields set above win).
  auto rest = [&env](const std::string& name) -> std::optional<std::string> {
    static const char* const kAllowed[] = {"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZSQL_IMDS_ENDPOINT",
                                           "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZSQL_AZ_PATH", "PATH",
                                           "AZURE_CLIENT_CERTIFICATE_PASSWORD", "IDENTITY_SERVER_THUMBPRINT",
                                           "IMDS_ENDPOINT", "MSI_ENDPOINT"};
    for (const char* a : kAllowed) {
      if (name == a) return env ? env(name) : std::nullopt;
    }
    return std::nullopt;
  };
  c.fill_from_environment(rest);
  return c;
}

Result<std::shared_ptr<auth::CachingCredential>> make_token_credential(
    const Config& cfg, const auth::EnvLookup& env, std::function<void(const auth::RefreshEvent&)> on_refresh,
    const AuthOverrides& overrides) {
  auto c = credential_config(cfg, env, overrides);
  if (c.auth_type == "sql") return std::shared_ptr<auth::CachingCredential>();
  auth::CacheOptions options;
  options.on_refresh = std::move(on_refresh);
  return auth::make_cached_credential(c, std::move(options));
}

std::function<Result<std::string>(bool force_refresh)> tds_access_token(
    const std::shared_ptr<auth::CachingCredential>& credential) {
  if (!credential) return {};
  return auth::access_token_provider(credential);
}

}  // namespace azsql::app
