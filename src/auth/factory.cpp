#include "auth/factory.hpp"

namespace azsql::auth {

namespace {
void fill(std::string& field, const EnvLookup& env, const char* name) {
  if (!field.empty() || !env) return;
  if (auto v = env(name)) field = *v;
}

Error missing(const std::string& type, const char* what) {
  return Error::make(ErrorKind::InvalidInput, "auth type " + type + " needs " + what);
}
}  // namespace

void CredentialConfig::fill_from_environment(const EnvLookup& env) {
  fill(auth_type, env, "AZURE_SQL_AUTH_TYPE");
  fill(tenant_id, env, "AZURE_TENANT_ID");
  fill(client_id, env, "AZURE_CLIENT_ID");
  fill(client_secret, env, "AZURE_CLIENT_SECRET");
  fill(client_certificate_path, env, "AZURE_CLIENT_CERTIFICATE_PATH");
  fill(client_certificate_password, env, "AZURE_CLIENT_CERTIFICATE_PASSWORD");
  fill(federated_token_file, env, "AZURE_FEDERATED_TOKEN_FILE");
  fill(authority_host, env, "AZURE_AUTHORITY_HOST");
  fill(managed_identity_client_id, env, "AZURE_MANAGED_IDENTITY_CLIENT_ID");
  fill(imds_endpoint, env, "AZSQL_IMDS_ENDPOINT");
  fill(imds_endpoint, env, "AZURE_POD_IDENTITY_AUTHORITY_HOST");
  fill(identity_endpoint, env, "IDENTITY_ENDPOINT");
  fill(identity_header, env, "IDENTITY_HEADER");
  fill(identity_server_thumbprint, env, "IDENTITY_SERVER_THUMBPRINT");
  fill(arc_imds_endpoint, env, "IMDS_ENDPOINT");
  fill(msi_endpoint, env, "MSI_ENDPOINT");
  fill(az_path, env, "AZSQL_AZ_PATH");
  fill(path_env, env, "PATH");
  fill(access_token, env, "AZURE_SQL_ACCESS_TOKEN");
}

CredentialConfig CredentialConfig::from_environment(const EnvLookup& env) {
  CredentialConfig c;
  c.fill_from_environment(env);
  return c;
}

Result<std::unique_ptr<TokenCredential>> make_credential(const CredentialConfig& c) {
  const std::string& t = c.auth_type;
  EntraOptions entra;
  entra.tenant_id = c.tenant_id;
  entra.client_id = c.client_id;
  if (!c.authority_host.empty()) entra.authority_host = c.authority_host;
  entra.timeouts = c.timeouts;
  entra.retry = c.entra_retry;

  if (t == "default_credential" || t.empty()) {
    return std::unique_ptr<TokenCredential>(std::make_unique<DefaultAzureCredential>(c));
  }
  if (t == "managed_identity") {
    ManagedIdentityOptions mi;
    mi.client_id = c.managed_identity_client_id;
    mi.object_id = c.managed_identity_object_id;
    mi.resource_id = c.managed_identity_resource_id;
    if (!mi.client_id.empty() + !mi.object_id.empty() + !mi.resource_id.empty() > 1) {
      return missing(t, "at most one of the managed identity client id, object id and resource id");
    }
    if (!c.imds_endpoint.empty()) mi.imds_endpoint = c.imds_endpoint;
    mi.identity_endpoint = c.identity_endpoint;
    mi.identity_header = c.identity_header;
    mi.unsupported_source = unsupported_managed_identity_source(
        c.identity_endpoint, c.identity_header, c.identity_server_thumbprint, c.arc_imds_endpoint, c.msi_endpoint);
    mi.timeouts = c.timeouts;
    mi.retry = c.managed_identity_retry;
    return std::unique_ptr<TokenCredential>(std::make_unique<ManagedIdentityCredential>(mi));
  }
  if (t == "service_principal") {
    if (c.tenant_id.empty()) return missing(t, "AZURE_TENANT_ID");
    if (c.client_id.empty()) return missing(t, "AZURE_CLIENT_ID");
    if (!c.client_secret.empty()) {
      return std::unique_ptr<TokenCredential>(std::make_unique<ClientSecretCredential>(entra, c.client_secret));
    }
    if (!c.client_certificate_path.empty()) {
      return std::unique_ptr<TokenCredential>(std::make_unique<ClientCertificateCredential>(
          entra, c.client_certificate_path, c.client_certificate_password));
    }
    return missing(t, "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
  }
  if (t == "workload_identity") {
    if (c.tenant_id.empty()) return missing(t, "AZURE_TENANT_ID");
    if (c.client_id.empty()) return missing(t, "AZURE_CLIENT_ID");
    if (c.federated_token_file.empty()) return missing(t, "AZURE_FEDERATED_TOKEN_FILE");
    return std::unique_ptr<TokenCredential>(std::make_unique<WorkloadIdentityCredential>(entra, c.federated_token_file));
  }
  if (t == "azure_cli") {
    AzureCliOptions o;
    o.az_path = c.az_path;
    o.path_env = c.path_env;
    o.tenant_id = c.tenant_id;
    o.timeout = c.cli_timeout;
    return std::unique_ptr<TokenCredential>(std::make_unique<AzureCliCredential>(o));
  }
  if (t == "access_token") {
    if (c.access_token.empty()) return missing(t, "AZURE_SQL_ACCESS_TOKEN");
    return std::unique_ptr<TokenCredential>(std::make_unique<StaticTokenCredential>(c.access_token));
  }
  return Error::make(ErrorKind::InvalidInput,
                     "auth type '" + t +
                         "' has no Entra credential (allowed: managed_identity, default_credential, service_principal, "
                         "workload_identity, azure_cli, access_token)");
}

Result<std::shared_ptr<CachingCredential>> make_cached_credential(const CredentialConfig& config, CacheOptions options) {
  auto r = make_credential(config);
  if (!r.ok()) return std::move(r).error();
  return std::make_shared<CachingCredential>(std::move(*r), std::move(options));
}

std::function<Result<std::string>(bool force_refresh)> access_token_provider(std::shared_ptr<CachingCredential> credential,
                                                                            std::string scope) {
  return [cred = std::move(credential), scope = std::move(scope)](bool force_refresh) -> Result<std::string> {
    if (!cred) return Error::make(ErrorKind::Internal, "no credential");
    CancelToken cancel;
    auto t = cred->get_token(scope, cancel, force_refresh);
    if (!t.ok()) return std::move(t).error();
    return std::move(t->token);
  };
}

}  // namespace azsql::auth
