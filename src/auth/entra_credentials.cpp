// Client credentials grant against the Entra token endpoint: secret, certificate, workload identity.
#include <fstream>
#include <sstream>

#include "auth/detail.hpp"

namespace azsql::auth {

namespace {
constexpr const char* kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
}

ClientSecretCredential::ClientSecretCredential(EntraOptions options, std::string client_secret)
    : o_(std::move(options)), secret_(std::move(client_secret)) {}

Result<AccessToken> ClientSecretCredential::get_token(std::string_view scope, const CancelToken& cancel) {
  auto url = detail::entra_token_url(o_, name());
  if (!url.ok()) return std::move(url).error();
  if (secret_.empty()) return Error::make(ErrorKind::InvalidInput, name() + ": AZURE_CLIENT_SECRET is empty");
  return detail::request_entra_token(o_, name(), scope, {{"client_secret", secret_}}, *url, cancel);
}

ClientCertificateCredential::ClientCertificateCredential(EntraOptions options, std::string pem_path,
                                                         std::string password)
    : o_(std::move(options)), path_(std::move(pem_path)), password_(std::move(password)) {}

Result<AccessToken> ClientCertificateCredential::get_token(std::string_view scope, const CancelToken& cancel) {
  auto url = detail::entra_token_url(o_, name());
  if (!url.ok()) return std::move(url).error();
  auto assertion =
      detail::make_client_assertion(path_, password_, o_.client_id, *url, std::chrono::system_clock::now());
  if (!assertion.ok()) {
    Error e = std::move(assertion).error();
    e.message = name() + ": " + e.message;
    return e;
  }
  return detail::request_entra_token(o_, name(), scope,
                                     {{"client_assertion_type", kJwtBearer}, {"client_assertion", *assertion}}, *url,
                                     cancel);
}

WorkloadIdentityCredential::WorkloadIdentityCredential(EntraOptions options, std::string token_file,
                                                       std::chrono::seconds reread_after)
    : o_(std::move(options)), file_(std::move(token_file)), reread_after_(reread_after) {}

Result<std::string> WorkloadIdentityCredential::assertion() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!cached_.empty() && now - read_at_ < reread_after_) return cached_;
  std::ifstream f(file_, std::ios::binary);
  if (!f) return Error::make(ErrorKind::InvalidInput, name() + ": cannot read AZURE_FEDERATED_TOKEN_FILE " + file_);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) return Error::make(ErrorKind::InvalidInput, name() + ": AZURE_FEDERATED_TOKEN_FILE " + file_ + " is empty");
  cached_ = std::move(s);
  read_at_ = now;
  return cached_;
}

Result<AccessToken> WorkloadIdentityCredential::get_token(std::string_view scope, const CancelToken& cancel) {
  auto url = detail::entra_token_url(o_, name());
  if (!url.ok()) return std::move(url).error();
  if (file_.empty()) return Error::make(ErrorKind::InvalidInput, name() + ": AZURE_FEDERATED_TOKEN_FILE is not set");
  auto a = assertion();
  if (!a.ok()) return std::move(a).error();
  return detail::request_entra_token(o_, name(), scope, {{"client_assertion_type", kJwtBearer}, {"client_assertion", *a}},
                                     *url, cancel);
}

}  // namespace azsql::auth
