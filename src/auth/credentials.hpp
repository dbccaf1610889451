#pragma once
/// Concrete Entra ID credentials (see credential.hpp for the interface).
///
/// Endpoint overrides (used by the tests against tests/fakes/fake_azure.py; all optional):
///   AZSQL_IMDS_ENDPOINT                 IMDS base URL instead of http://169.254.169.254
///   AZURE_POD_IDENTITY_AUTHORITY_HOST   same, as azure-identity (Python) reads it; AZSQL_IMDS_ENDPOINT wins
///   IDENTITY_ENDPOINT + IDENTITY_HEADER App Service / Functions / Container Apps identity endpoint
///   AZURE_AUTHORITY_HOST                Entra authority (default https://login.microsoftonline.com);
///                                       plain http is accepted for loopback hosts only
///   AZSQL_AZ_PATH                       the `az` executable (else `az` is looked up on PATH)
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/credential.hpp"
#include "common/retry.hpp"

namespace azsql::auth {

inline constexpr std::string_view kDefaultAuthorityHost = "https://login.microsoftonline.com";
inline constexpr std::string_view kDefaultImdsEndpoint = "http://169.254.169.254";

/// Connect and total timeouts of one HTTP request.
struct HttpTimeouts {
  std::chrono::milliseconds connect{5000};
  std::chrono::milliseconds total{30000};
};

/// HTTP retries use the shared RetryPolicy (common/retry.hpp): retry n waits
/// min(max_delay, initial_delay * factor^n), raised to Retry-After when the server sends one (still
/// capped by max_delay). HTTP 410 (IMDS is being upgraded; Microsoft asks clients to keep retrying
/// for about 70 s) is retried up to `GoneRetry::max_retries` times, each wait at least
/// `GoneRetry::min_delay`.
struct GoneRetry {
  std::chrono::milliseconds min_delay{10000};
  int max_retries = 7;
};

// ---------------------------------------------------------------------------------------------
/// Managed identity: App Service / Functions / Container Apps when IDENTITY_ENDPOINT and
/// IDENTITY_HEADER are set (`GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…`, header
/// `X-IDENTITY-HEADER`, selectors client_id / object_id / mi_res_id), otherwise IMDS
/// (`GET {imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=…`, header
/// `Metadata: true`, selectors client_id / object_id / msi_res_id). Retries 404, 408, 410, 429 and
/// 5xx per RetryPolicy. IMDS 400 "Identity not found" → ErrorKind::Unavailable with a clear text.
/// Service Fabric, Azure Arc and Cloud Shell / Azure ML (MSI_ENDPOINT) sources are not implemented;
/// when their variables are set the credential says so (Unavailable) instead of trying IMDS.
struct ManagedIdentityOptions {
  std::string client_id;    ///< user-assigned identity by client id (at most one selector)
  std::string object_id;    ///< … by object (principal) id
  std::string resource_id;  ///< … by ARM resource id
  std::string imds_endpoint{kDefaultImdsEndpoint};  ///< base URL (scheme://host[:port])
  std::string identity_endpoint;  ///< App Service style endpoint; empty → IMDS
  std::string identity_header;    ///< value for X-IDENTITY-HEADER
  /// DefaultAzureCredential mode: the first IMDS request uses probe_timeout and no retries, and a
  /// connection failure / timeout is reported as Unavailable so the chain moves on.
  /// Non-empty when the environment names a source we do not implement ("Service Fabric",
  /// "Azure Arc", "Cloud Shell / Azure ML"): get_token then fails with Unavailable saying so.
  std::string unsupported_source;
  bool probe_imds = false;
  std::chrono::milliseconds probe_timeout{1000};
  HttpTimeouts timeouts;
  RetryPolicy retry;  ///< 4 retries, 0.8 s doubling to 20 s
  GoneRetry gone;

  /// Endpoints and selectors from the environment (IDENTITY_ENDPOINT, IDENTITY_HEADER,
  /// AZSQL_IMDS_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST, and the variables that reveal an
  /// unsupported source). Selectors are left empty.
  static ManagedIdentityOptions from_environment(const EnvLookup& env);
};

/// Which managed identity source the variables select when it is one we do not implement, in
/// azure-identity's detection order: IDENTITY_ENDPOINT + IDENTITY_HEADER + IDENTITY_SERVER_THUMBPRINT
/// → "Service Fabric"; IDENTITY_ENDPOINT + IMDS_ENDPOINT (no header) → "Azure Arc"; MSI_ENDPOINT →
/// "Cloud Shell / Azure ML"; otherwise "" (App Service or IMDS, both implemented).
std::string unsupported_managed_identity_source(const std::string& identity_endpoint,
                                                const std::string& identity_header,
                                                const std::string& identity_server_thumbprint,
                                                const std::string& arc_imds_endpoint, const std::string& msi_endpoint);

class ManagedIdentityCredential final : public TokenCredential {
 public:
  explicit ManagedIdentityCredential(ManagedIdentityOptions options);
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "ManagedIdentityCredential"; }
  /// "App Service" or "IMDS" — which endpoint this instance talks to.
  std::string source() const;

 private:
  ManagedIdentityOptions o_;
  std::atomic<bool> probed_{false};
};

// ---------------------------------------------------------------------------------------------
/// Settings shared by the credentials that call the Entra token endpoint
/// `POST {authority_host}/{tenant_id}/oauth2/v2.0/token` (client credentials grant).
struct EntraOptions {
  std::string tenant_id;
  std::string client_id;
  std::string authority_host{kDefaultAuthorityHost};  ///< https, or http on a loopback host
  HttpTimeouts timeouts;
  RetryPolicy retry{2, std::chrono::milliseconds(500), 2.0, std::chrono::milliseconds(5000)};  ///< 408 / 429 / 5xx only
  GoneRetry gone{std::chrono::milliseconds(5000), 2};
};

/// Service principal with a client secret (form field client_secret).
class ClientSecretCredential final : public TokenCredential {
 public:
  ClientSecretCredential(EntraOptions options, std::string client_secret);
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "ClientSecretCredential"; }

 private:
  EntraOptions o_;
  std::string secret_;
};

/// Service principal with a certificate: a PEM file holding the certificate and its private key, or
/// a PKCS#12 (.pfx) file (AZURE_CLIENT_CERTIFICATE_PATH; AZURE_CLIENT_CERTIFICATE_PASSWORD decrypts
/// an encrypted PEM key or the PKCS#12 file).
/// Sends a client assertion JWT signed RS256 with header `x5t` = base64url(SHA-1 of the DER
/// certificate) and claims aud = token URL, iss = sub = client id, jti, nbf = now, exp = now + 10 min.
/// The file is read at each token request (certificate rotation needs no restart).
class ClientCertificateCredential final : public TokenCredential {
 public:
  ClientCertificateCredential(EntraOptions options, std::string pem_path, std::string password = {});
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "ClientCertificateCredential"; }

 private:
  EntraOptions o_;
  std::string path_, password_;
};

/// Workload identity (AKS): the federated token in AZURE_FEDERATED_TOKEN_FILE is the client
/// assertion; the file is re-read when the cached copy is older than `reread_after`.
class WorkloadIdentityCredential final : public TokenCredential {
 public:
  WorkloadIdentityCredential(EntraOptions options, std::string token_file,
                             std::chrono::seconds reread_after = std::chrono::minutes(5));
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "WorkloadIdentityCredential"; }

 private:
  Result<std::string> assertion();
  EntraOptions o_;
  std::string file_;
  std::chrono::seconds reread_after_;
  std::mutex mu_;
  std::string cached_;
  std::chrono::steady_clock::time_point read_at_{};
};

// ---------------------------------------------------------------------------------------------
/// Azure CLI: runs `az account get-access-token --output json --resource <resource> [--tenant T]`
/// directly (fork/exec, no shell, working directory /) with a timeout. Uses `expires_on` (epoch)
/// when present, else `expiresOn` (local time). "az login" on stderr → Unavailable (not logged in).
struct AzureCliOptions {
  std::string az_path;   ///< executable; empty → "az" looked up in path_env
  std::string path_env;  ///< PATH used for the lookup (empty → the process PATH)
  std::string tenant_id;  ///< optional --tenant
  std::chrono::milliseconds timeout{10000};
};

class AzureCliCredential final : public TokenCredential {
 public:
  explicit AzureCliCredential(AzureCliOptions options);
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "AzureCliCredential"; }

 private:
  AzureCliOptions o_;
};

// ---------------------------------------------------------------------------------------------
/// A ready token (AZURE_SQL_ACCESS_TOKEN). Expiry comes from the JWT `exp` claim when decodable
/// (an expired token is an Auth error); an opaque token is reported as valid for one more hour at
/// each call. It cannot be refreshed.
class StaticTokenCredential final : public TokenCredential {
 public:
  explicit StaticTokenCredential(std::string token);
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "StaticTokenCredential"; }

 private:
  std::string token_;
};

// ---------------------------------------------------------------------------------------------
struct CredentialConfig;  // factory.hpp

/// The chain of azure-identity (Python): EnvironmentCredential (client secret, else certificate)
/// → WorkloadIdentityCredential (tenant, client id and token file all set) → ManagedIdentityCredential
/// (IMDS probed with a short timeout first) → AzureCliCredential. A step that is Unavailable passes
/// to the next; any other error stops the chain. The first step that succeeds is used from then on.
/// The final error lists every step and why it failed.
class DefaultAzureCredential final : public TokenCredential {
 public:
  explicit DefaultAzureCredential(const CredentialConfig& config);
  ~DefaultAzureCredential() override;
  Result<AccessToken> get_token(std::string_view scope_or_resource, const CancelToken& cancel) override;
  std::string name() const override { return "DefaultAzureCredential"; }

 private:
  struct Step {
    std::string name;
    std::unique_ptr<TokenCredential> credential;  ///< null → unavailable for `why`
    std::string why;
  };
  std::vector<Step> steps_;
  std::atomic<int> chosen_{-1};
};

}  // namespace azsql::auth
