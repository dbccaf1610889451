// DefaultAzureCredential in azure-identity (Python) order:
// Environment → Workload Identity → Managed Identity → Azure CLI.
#include "auth/detail.hpp"
#include "auth/factory.hpp"

namespace azsql::auth {

namespace {
std::string missing_list(std::initializer_list<std::pair<const char*, const std::string*>> vars) {
  std::string out;
  for (const auto& [n, v] : vars) {
    if (v->empty()) out += (out.empty() ? "" : ", ") + std::string(n);
  }
  return out;
}
}  // namespace

DefaultAzureCredential::DefaultAzureCredential(const CredentialConfig& c) {
  EntraOptions entra;
  entra.tenant_id = c.tenant_id;
  entra.client_id = c.client_id;
  if (!c.authority_host.empty()) entra.authority_host = c.authority_host;
  entra.timeouts = c.timeouts;
  entra.retry = c.entra_retry;

  Step env{"EnvironmentCredential", nullptr, {}};
  if (!c.tenant_id.empty() && !c.client_id.empty() && !c.client_secret.empty()) {
    env.credential = std::make_unique<ClientSecretCredential>(entra, c.client_secret);
  } else if (!c.tenant_id.empty() && !c.client_id.empty() && !c.client_certificate_path.empty()) {
    env.credential =
        std::make_unique<ClientCertificateCredential>(entra, c.client_certificate_path, c.client_certificate_password);
  } else {
    std::string missing = missing_list({{"AZURE_TENANT_ID", &c.tenant_id}, {"AZURE_CLIENT_ID", &c.client_id}});
    env.why = "EnvironmentCredential: not configured (" + (missing.empty() ? std::string() : missing + " unset; ") +
              "needs AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH)";
  }
  steps_.push_back(std::move(env));

  Step wi{"WorkloadIdentityCredential", nullptr, {}};
  if (!c.tenant_id.empty() && !c.client_id.empty() && !c.federated_token_file.empty()) {
    wi.credential = std::make_unique<WorkloadIdentityCredential>(entra, c.federated_token_file);
  } else {
    wi.why = "WorkloadIdentityCredential: not configured (" +
             missing_list({{"AZURE_TENANT_ID", &c.tenant_id},
                           {"AZURE_CLIENT_ID", &c.client_id},
                           {"AZURE_FEDERATED_TOKEN_FILE", &c.federated_token_file}}) +
             " unset)";
  }
  steps_.push_back(std::move(wi));

  ManagedIdentityOptions mi;
  mi.client_id = !c.managed_identity_client_id.empty() ? c.managed_identity_client_id
                 : (c.managed_identity_object_id.empty() && c.managed_identity_resource_id.empty()) ? c.client_id
                                                                                                     : std::string();
  mi.object_id = c.managed_identity_object_id;
  mi.resource_id = c.managed_identity_resource_id;
  if (!c.imds_endpoint.empty()) mi.imds_endpoint = c.imds_endpoint;
  mi.identity_endpoint = c.identity_endpoint;
  mi.identity_header = c.identity_header;
  mi.unsupported_source = unsupported_managed_identity_source(
      c.identity_endpoint, c.identity_header, c.identity_server_thumbprint, c.arc_imds_endpoint, c.msi_endpoint);
  mi.probe_imds = true;
  mi.probe_timeout = c.imds_probe_timeout;
  mi.timeouts = c.timeouts;
  mi.retry = c.managed_identity_retry;
  steps_.push_back({"ManagedIdentityCredential", std::make_unique<ManagedIdentityCredential>(mi), {}});

  AzureCliOptions cli;
  cli.az_path = c.az_path;
  cli.path_env = c.path_env;
  cli.timeout = c.cli_timeout;
  steps_.push_back({"AzureCliCredential", std::make_unique<AzureCliCredential>(cli), {}});
}

DefaultAzureCredential::~DefaultAzureCredential() = default;

Result<AccessToken> DefaultAzureCredential::get_token(std::string_view scope, const CancelToken& cancel) {
  if (int i = chosen_.load(); i >= 0) return steps_[static_cast<std::size_t>(i)].credential->get_token(scope, cancel);
  std::string tried;
  auto add = [&](const std::string& s) { tried += (tried.empty() ? "" : "; ") + s; };
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    auto& step = steps_[i];
    if (!step.credential) {
      add(step.why);
      continue;
    }
    auto r = step.credential->get_token(scope, cancel);
    if (r.ok()) {
      chosen_.store(static_cast<int>(i));
      return r;
    }
    Error e = std::move(r).error();
    if (e.kind == ErrorKind::Cancelled) return e;
    std::string msg = e.message;
    if (msg.rfind(step.name, 0) != 0 && msg.rfind(step.credential->name(), 0) != 0) msg = step.name + ": " + msg;
    if (step.name == "EnvironmentCredential" && msg.rfind("EnvironmentCredential", 0) != 0) {
      msg = "EnvironmentCredential → " + msg;
    }
    if (e.kind != ErrorKind::Unavailable) {
      // Configured but refused: stop here, as azure-identity does for authentication errors.
      e.message = "DefaultAzureCredential: " + msg + (tried.empty() ? "" : " (earlier steps: " + tried + ")");
      return e;
    }
    add(msg);
  }
  Error e = Error::make(ErrorKind::Unavailable,
                        "DefaultAzureCredential failed to get a token from every step: " + tried);
  return e;
}

}  // namespace azsql::auth
