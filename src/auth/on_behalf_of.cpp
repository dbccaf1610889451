// OnBehalfOfCredential: the caller's token exchanged for their own Azure SQL token (see on_behalf_of.hpp).
#include "auth/on_behalf_of.hpp"

#include <algorithm>

#include "auth/detail.hpp"

namespace azsql::auth {

namespace {
constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

bool valid_tenant(std::string_view t) {
  return !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}
}  // namespace

struct OnBehalfOfCredential::Entry {
  std::mutex mu;  ///< one exchange at a time per user
  std::optional<AccessToken> token;
  std::chrono::system_clock::time_point acquired{};
  std::uint64_t used = 0;  ///< LRU tick (under the credential's mutex)
};

std::string obo_error_advice(int aadsts) {
  switch (aadsts) {
    case 65001:
      return "consent is missing: an administrator must grant admin consent for this application's delegated "
             "Azure SQL permission (Azure SQL Database → user_impersonation) in the app registration's 'API "
             "permissions' page (see docs/DEPLOYMENT.md)";
    case 50013:
      return "Entra ID did not accept the caller's token as an on-behalf-of assertion: the token must be issued "
             "for this application (MCP_AUTH_AUDIENCE = its application ID URI or client id) by the same cloud";
    case 500133:
      return "the caller's token expired before it could be exchanged: the client must sign in again";
    case 53003:
      return "a Conditional Access policy blocked the on-behalf-of sign-in for this user; an administrator must "
             "review the policy for Azure SQL Database";
    case 50076:
    case 50079:
      return "multi-factor authentication is required for Azure SQL: the user must sign in again with MFA";
    case 700016:
      return "the application (AZURE_CLIENT_ID) is not registered in the caller's tenant";
    case 7000215:
      return "the client secret is wrong or expired: renew AZURE_CLIENT_SECRET";
    case 700027:
      return "the certificate is not registered on the application";
    case 700212:
    case 70021:
      return "no federated identity credential on the application matches the managed identity's token: add one "
             "(issuer https://login.microsoftonline.com/<tenant>/v2.0, subject = the managed identity's object id, "
             "audience api://AzureADTokenExchange)";
    case 7000112:
    case 7000218:
      return "the application is disabled or lacks a credential in this tenant";
    default:
      return {};
  }
}

OnBehalfOfCredential::OnBehalfOfCredential(OnBehalfOfOptions options) : o_(std::move(options)) {}

Result<std::shared_ptr<OnBehalfOfCredential>> OnBehalfOfCredential::create(OnBehalfOfOptions o) {
  const int kinds = !o.client_secret.empty() + !o.certificate_path.empty() + (o.assertion_credential != nullptr);
  if (o.entra.client_id.empty()) {
    return Error::make(ErrorKind::InvalidInput, "on_behalf_of needs AZURE_CLIENT_ID (the MCP server's app registration)");
  }
  if (kinds == 0) {
    return Error::make(ErrorKind::InvalidInput,
                       "on_behalf_of needs the application's credential: AZURE_CLIENT_SECRET, "
                       "AZURE_CLIENT_CERTIFICATE_PATH, or a managed identity / workload identity as federated "
                       "credential (AZSQL_OBO_ASSERTION=managed_identity|workload_identity)");
  }
  if (kinds > 1) {
    return Error::make(ErrorKind::InvalidInput,
                       "on_behalf_of: set only one application credential (client secret, certificate or federated "
                       "assertion)");
  }
  return std::shared_ptr<OnBehalfOfCredential>(new OnBehalfOfCredential(std::move(o)));
}

std::string OnBehalfOfCredential::app_credential_kind() const {
  if (!o_.client_secret.empty()) return "client secret";
  if (!o_.certificate_path.empty()) return "certificate";
  return "federated assertion (" + (o_.assertion_credential ? o_.assertion_credential->name() : std::string("?")) + ")";
}

std::chrono::system_clock::time_point OnBehalfOfCredential::now() const {
  return o_.clock ? o_.clock() : std::chrono::system_clock::now();
}

bool OnBehalfOfCredential::fresh(const AccessToken& t, std::chrono::system_clock::time_point acquired) const {
  const auto n = now();
  if (n >= t.expires_on) return false;
  if (t.refresh_on) return n < *t.refresh_on;
  // Refresh `refresh_before_expiry` ahead of expiry, or at half-life for short-lived tokens.
  const auto ahead = std::min<std::chrono::system_clock::duration>(o_.refresh_before_expiry, (t.expires_on - acquired) / 2);
  return n < t.expires_on - ahead;
}

Result<std::vector<std::pair<std::string, std::string>>> OnBehalfOfCredential::app_credential(
    const std::string& token_url, const CancelToken& cancel) {
  using Fields = std::vector<std::pair<std::string, std::string>>;
  if (!o_.client_secret.empty()) return Fields{{"client_secret", o_.client_secret}};
  if (!o_.certificate_path.empty()) {
    auto a = detail::make_client_assertion(o_.certificate_path, o_.certificate_password, o_.entra.client_id, token_url,
                                           std::chrono::system_clock::now());
    if (!a.ok()) return std::move(a).error();
    return Fields{{"client_assertion_type", kAssertionType}, {"client_assertion", std::move(*a)}};
  }
  auto t = o_.assertion_credential->get_token(kTokenExchangeAudience, cancel);
  if (!t.ok()) {
    Error e = std::move(t).error();
    e.message = "the federated credential (" + o_.assertion_credential->name() + ") could not get a token for " +
                std::string(kTokenExchangeAudience) + ": " + e.message;
    return e;
  }
  return Fields{{"client_assertion_type", kAssertionType}, {"client_assertion", std::move(t->token)}};
}

Result<AccessToken> OnBehalfOfCredential::exchange(const UserKey& user, std::string_view user_assertion,
                                                   const CancelToken& cancel) {
  EntraOptions entra = o_.entra;
  entra.tenant_id = valid_tenant(user.tenant_id) ? user.tenant_id : o_.entra.tenant_id;
  auto url = detail::entra_token_url(entra, name());
  if (!url.ok()) return std::move(url).error();
  auto fields = app_credential(*url, cancel);
  if (!fields.ok()) {
    Error e = std::move(fields).error();
    e.message = name() + ": " + e.message;
    return e;
  }
  fields->emplace_back("requested_token_use", "on_behalf_of");
  fields->emplace_back("assertion", std::string(user_assertion));
  auto r = detail::request_entra_token(entra, name(), o_.scope, std::move(*fields), *url, cancel, kJwtBearerGrant);
  if (!r.ok()) {
    Error e = std::move(r).error();
    if (const std::string advice = obo_error_advice(e.code); !advice.empty()) e.message += " — " + advice;
    return e;
  }
  return r;
}

Result<AccessToken> OnBehalfOfCredential::get_token(const UserKey& user, std::string_view user_assertion,
                                                    bool force_refresh, const CancelToken& cancel) {
  if (user.object_id.empty()) return Error::make(ErrorKind::Auth, name() + ": the caller has no object id (oid)");
  const std::string key = user.str();
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    auto it = users_.find(key);
    if (it == users_.end()) {
      if (users_.size() >= o_.max_users) {
        auto lru = std::min_element(users_.begin(), users_.end(),
                                    [](const auto& a, const auto& b) { return a.second->used < b.second->used; });
        users_.erase(lru);
      }
      it = users_.emplace(key, std::make_shared<Entry>()).first;
    }
    it->second->used = ++tick_;
    entry = it->second;
  }
  std::lock_guard user_lock(entry->mu);
  if (!force_refresh && entry->token && fresh(*entry->token, entry->acquired)) return *entry->token;
  if (user_assertion.empty()) {
    return Error::make(ErrorKind::Auth, name() + ": no caller token to exchange (on_behalf_of needs an authenticated caller)");
  }
  {
    std::lock_guard lock(mu_);
    ++exchanges_;
  }
  const auto started = now();
  auto r = exchange(user, user_assertion, cancel);
  if (!r.ok()) {
    std::lock_guard lock(mu_);
    ++failures_;
    // A still-valid token keeps serving after a failed early refresh.
    if (!force_refresh && entry->token && now() < entry->token->expires_on - std::chrono::seconds(30)) {
      return *entry->token;
    }
    return r;
  }
  entry->token = *r;
  entry->acquired = started;
  return r;
}

void OnBehalfOfCredential::forget(const UserKey& user) {
  std::lock_guard lock(mu_);
  users_.erase(user.str());
}

std::size_t OnBehalfOfCredential::cached_users() const {
  std::lock_guard lock(mu_);
  return users_.size();
}

std::uint64_t OnBehalfOfCredential::exchanges() const {
  std::lock_guard lock(mu_);
  return exchanges_;
}

std::uint64_t OnBehalfOfCredential::failed_exchanges() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace azsql::auth
