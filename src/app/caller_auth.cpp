// Per-caller identity on the HTTP endpoint and on-behalf-of pools (see caller_auth.hpp).
#include "app/caller_auth.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>

#include "app/backend_factory.hpp"
#include "auth/credentials.hpp"
#include "db/tds/connection.hpp"

namespace azsql::app {

namespace {
using Reason = auth::TokenRejection::Reason;

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

std::string origin_of(const std::string& uri, std::string& path) {
  const auto scheme = uri.find("://");
  const auto slash = scheme == std::string::npos ? std::string::npos : uri.find('/', scheme + 3);
  path = slash == std::string::npos ? std::string() : uri.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return slash == std::string::npos ? uri : uri.substr(0, slash);
}

Result<std::shared_ptr<auth::OnBehalfOfCredential>> make_obo(const Config& cfg) {
  auth::OnBehalfOfOptions o;
  o.entra.tenant_id = cfg.auth_tenant_id;
  o.entra.client_id = cfg.client_id;
  if (!cfg.authority_host.empty()) o.entra.authority_host = cfg.authority_host;
  auto env = auth::process_environment();
  std::string kind = cfg.obo_credential;
  if (kind.empty()) {
    kind = !cfg.client_secret.empty()               ? "client_secret"
           : !cfg.client_certificate_path.empty()   ? "certificate"
           : !cfg.federated_token_file.empty()      ? "workload_identity"
                                                    : "managed_identity";
  }
  if (kind == "client_secret") {
    if (cfg.client_secret.empty()) return Error::make(ErrorKind::InvalidInput, "on_behalf_of with client_secret needs AZURE_CLIENT_SECRET");
    o.client_secret = cfg.client_secret;
  } else if (kind == "certificate") {
    if (cfg.client_certificate_path.empty())
      return Error::make(ErrorKind::InvalidInput, "on_behalf_of with certificate needs AZURE_CLIENT_CERTIFICATE_PATH");
    o.certificate_path = cfg.client_certificate_path;
    o.certificate_password = env("AZURE_CLIENT_CERTIFICATE_PASSWORD").value_or("");
  } else if (kind == "workload_identity") {
    if (cfg.federated_token_file.empty())
      return Error::make(ErrorKind::InvalidInput, "on_behalf_of with workload_identity needs AZURE_FEDERATED_TOKEN_FILE");
    o.assertion_credential = std::make_shared<auth::WorkloadIdentityCredential>(o.entra, cfg.federated_token_file);
  } else {
    // The container's managed identity, trusted by the app registration through a federated
    // identity credential: no secret is stored anywhere.
    auto mi = auth::ManagedIdentityOptions::from_environment(env);
    mi.client_id = cfg.managed_identity_client_id;
    o.assertion_credential = std::make_shared<auth::ManagedIdentityCredential>(mi);
  }
  return auth::OnBehalfOfCredential::create(std::move(o));
}
}  // namespace

CallerAuth::~CallerAuth() = default;

Result<std::unique_ptr<CallerAuth>> CallerAuth::create(const Config& cfg) {
  std::unique_ptr<CallerAuth> a(new CallerAuth());
  a->cfg_ = cfg;
  auth::JwksOptions jo;
  if (!cfg.authority_host.empty()) jo.authority_host = cfg.authority_host;
  jo.tenant_id = cfg.auth_tenant_id;
  jo.min_refetch_interval = std::chrono::seconds(cfg.auth_jwks_min_refresh_s);
  jo.on_fetch = [](bool ok, std::size_t keys, const std::string& error) {
    if (ok) spdlog::info("entra auth: {} signing key(s) from OpenID discovery", keys);
    else spdlog::warn("entra auth: signing keys unavailable: {}", error);
  };
  a->jwks_ = std::make_shared<auth::JwksCache>(jo);
  auth::ValidatorOptions vo;
  vo.authority_host = jo.authority_host;
  vo.tenant_id = cfg.auth_tenant_id;
  vo.allowed_tenants = cfg.auth_allowed_tenants;
  vo.audiences = cfg.auth_audiences;
  a->validator_ = std::make_unique<auth::JwtValidator>(vo, a->jwks_);
  if (auto st = a->jwks_->start(std::chrono::seconds(5)); !st.ok()) {
    spdlog::warn("entra auth: no signing keys yet ({}); requests get 503 until discovery at {} answers",
                 st.error().message, a->jwks_->discovery_url());
  }
  if (cfg.auth_type == "on_behalf_of") {
    auto obo = make_obo(cfg);
    if (!obo.ok()) return std::move(obo).error();
    a->obo_ = std::move(*obo);
    auto so = sqlserver_options(cfg);
    if (!so.ok()) return std::move(so).error();
    db::UserPoolsOptions po;
    po.max_users = cfg.auth_max_users;
    po.connections_per_user = cfg.auth_user_pool_size;
    po.idle_ttl = std::chrono::seconds(cfg.auth_user_idle_timeout_s);
    a->user_pools_ = std::make_unique<db::UserPools>(
        [opts = so->connection, obo = a->obo_](const std::string& user, const std::string& secret,
                                               const CancelToken& cancel) -> Result<std::unique_ptr<db::Connection>> {
          const auto slash = user.find('/');
          auth::UserKey key{user.substr(0, slash), slash == std::string::npos ? std::string() : user.substr(slash + 1)};
          auto o = opts;
          o.access_token = [obo, key, secret](bool force) -> Result<std::string> {
            CancelToken c;
            auto t = obo->get_token(key, secret, force, c);
            if (!t.ok()) return std::move(t).error();
            return std::move(t->token);
          };
          return db::tds::connection_factory(std::move(o))(cancel);
        },
        po);
    spdlog::info("on_behalf_of: each caller signs in to Azure SQL as themselves (app credential: {}; up to {} users × {} connections)",
                 a->obo_->app_credential_kind(), po.max_users, po.connections_per_user);
    a->start_evictor();
  }
  return a;
}

void CallerAuth::start_evictor() {
  const auto period = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds(500), std::chrono::seconds(cfg_.auth_user_idle_timeout_s) / 4);
  evictor_ = std::jthread([this, period](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    while (!stop.stop_requested()) {
      cv.wait_for(lock, stop, period, [] { return false; });
      if (stop.stop_requested()) break;
      if (auto n = user_pools_->evict_idle(); n > 0) spdlog::debug("on_behalf_of: closed {} idle user pool(s)", n);
    }
  });
}

void CallerAuth::set_endpoint(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  endpoint_ = endpoint;
}

std::string CallerAuth::resource() const {
  if (!cfg_.auth_resource.empty()) return cfg_.auth_resource;
  std::lock_guard lock(mu_);
  return endpoint_;
}

std::string CallerAuth::metadata_url() const {
  std::string path;
  const std::string origin = origin_of(resource(), path);
  return origin + "/.well-known/oauth-protected-resource" + path;
}

std::string CallerAuth::full_scope(const std::string& name) const {
  for (const auto& a : cfg_.auth_audiences) {
    if (a.rfind("api://", 0) == 0 || a.rfind("https://", 0) == 0) {
      return (a.back() == '/' ? a : a + "/") + name;
    }
  }
  return "api://" + cfg_.auth_audiences.front() + "/" + name;
}

std::vector<std::string> CallerAuth::scopes_supported() const {
  std::vector<std::string> out;
  for (const auto& s : cfg_.auth_scopes_read) out.push_back(full_scope(s));
  for (const auto& s : cfg_.auth_scopes_write) out.push_back(full_scope(s));
  return out;
}

boost::json::object CallerAuth::metadata() const {
  boost::json::array scopes;
  for (const auto& s : scopes_supported()) scopes.emplace_back(s);
  return {{"resource", resource()},
          {"authorization_servers", boost::json::array{validator_->issuer()}},
          {"scopes_supported", std::move(scopes)},
          {"bearer_methods_supported", boost::json::array{"header"}},
          {"resource_name", "azsql-mcp"},
          {"resource_documentation", "https://github.com/azsql-mcp/azsql-mcp/blob/main/docs/DEPLOYMENT.md"}};
}

std::string CallerAuth::challenge_header(const char* error, const std::string& description,
                                         const std::string& scope) const {
  std::string h = "Bearer resource_metadata=" + quoted(metadata_url());
  if (error != nullptr) h += ", error=" + quoted(error);
  if (!description.empty()) h += ", error_description=" + quoted(description);
  if (!scope.empty()) h += ", scope=" + quoted(scope);
  return h;
}

bool CallerAuth::has_any(const mcp::Caller& c, const std::vector<std::string>& scopes) const {
  for (const auto& s : scopes) {
    if (c.has_scope(s)) return true;
  }
  return false;
}

AuthOutcome CallerAuth::authenticate(std::string_view authorization, bool needs_write) {
  AuthOutcome out;
  std::string_view token;
  if (authorization.size() > 7 && (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer ")) {
    token = authorization.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  }
  const std::string read_scope = full_scope(cfg_.auth_scopes_read.front());
  if (token.empty()) {
    ++rejected_;
    ++rejected_by_reason_[static_cast<std::size_t>(Reason::Missing)];
    const bool malformed = !authorization.empty();
    out.challenge = AuthChallenge{401,
                                  malformed ? challenge_header("invalid_request", "use Authorization: Bearer <token>", read_scope)
                                            : challenge_header(nullptr, {}, read_scope),
                                  "Unauthorized: a bearer token from Microsoft Entra ID is required"};
    return out;
  }
  auto v = validator_->validate(token);
  if (!v.ok()) {
    ++rejected_;
    ++rejected_by_reason_[static_cast<std::size_t>(v.rejection.reason)];
    if (v.rejection.reason == Reason::KeysUnavailable) {
      out.challenge = AuthChallenge{503, {}, "Service unavailable: " + v.rejection.description};
    } else {
      out.challenge = AuthChallenge{401, challenge_header("invalid_token", v.rejection.description, {}),
                                    "Unauthorized: invalid bearer token (" + v.rejection.description + ")"};
    }
    return out;
  }
  auto caller = std::make_shared<mcp::Caller>();
  caller->tenant_id = v.token->tenant_id;
  caller->object_id = v.token->object_id;
  caller->display_name = v.token->name;
  caller->upn = v.token->username;
  caller->scopes = v.token->scopes;
  caller->assertion.assign(token);
  const bool can_write = has_any(*caller, cfg_.auth_scopes_write);
  const bool can_read = can_write || has_any(*caller, cfg_.auth_scopes_read);
  if (!can_read || (needs_write && !can_write)) {
    ++forbidden_;
    const std::string need = needs_write ? full_scope(cfg_.auth_scopes_write.front()) : read_scope;
    out.challenge = AuthChallenge{
        403, challenge_header("insufficient_scope", needs_write ? "this tool writes: it needs the write scope" : "the read scope is needed", need),
        "Forbidden: the token lacks the scope " + need};
    return out;
  }
  ++accepted_;
  out.caller = std::move(caller);
  return out;
}

Result<std::shared_ptr<db::Pool>> CallerAuth::pool_for(const mcp::Caller* caller) {
  if (!user_pools_) return Error::make(ErrorKind::Internal, "no per-user pools (AZURE_SQL_AUTH_TYPE is not on_behalf_of)");
  if (caller == nullptr || caller->object_id.empty()) {
    return Error::make(ErrorKind::Auth,
                       "this server signs in to the database as each caller (on_behalf_of), and the request has no "
                       "signed-in caller");
  }
  return user_pools_->pool_for(caller->tenant_id + "/" + caller->object_id, caller->assertion);
}

std::vector<observability::ExternalSample> CallerAuth::metric_samples() const {
  using Kind = observability::ExternalSample::Kind;
  std::vector<observability::ExternalSample> out;
  auto add = [&out](const char* name, Kind kind, const char* help, std::vector<std::pair<std::string, std::string>> labels,
                    std::uint64_t v) {
    out.push_back({name, help, kind, std::move(labels), static_cast<double>(v)});
  };
  const char* requests_help = "Bearer-authenticated requests by outcome (MCP_AUTH_MODE=entra)";
  add("azsql_auth_requests_total", Kind::Counter, requests_help, {{"outcome", "accepted"}}, accepted_.load());
  add("azsql_auth_requests_total", Kind::Counter, requests_help, {{"outcome", "rejected"}}, rejected_.load());
  add("azsql_auth_requests_total", Kind::Counter, requests_help, {{"outcome", "forbidden"}}, forbidden_.load());
  for (std::size_t i = 0; i < rejected_by_reason_.size(); ++i) {
    if (const auto n = rejected_by_reason_[i].load(); n > 0)
      add("azsql_auth_rejections_total", Kind::Counter, "Refused bearer tokens by reason",
          {{"reason", auth::to_string(static_cast<Reason>(i))}}, n);
  }
  if (!user_pools_) return out;
  const auto s = user_pools_->stats();
  add("azsql_user_pools", Kind::Gauge, "Per-user connection pools held (on_behalf_of)", {}, s.users);
  const char* conns_help = "Connections of the per-user pools by state";
  add("azsql_user_pool_connections", Kind::Gauge, conns_help, {{"state", "open"}}, s.open);
  add("azsql_user_pool_connections", Kind::Gauge, conns_help, {{"state", "in_use"}}, s.in_use);
  add("azsql_user_pools_evicted_total", Kind::Counter, "Per-user pools closed (idle, or to make room)", {}, s.evicted);
  add("azsql_user_pools_refused_total", Kind::Counter, "Callers refused because every per-user pool was busy", {},
      s.refused);
  const char* obo_help = "On-behalf-of token exchanges by outcome";
  add("azsql_obo_exchanges_total", Kind::Counter, obo_help, {{"outcome", "ok"}}, obo_->exchanges() - obo_->failed_exchanges());
  add("azsql_obo_exchanges_total", Kind::Counter, obo_help, {{"outcome", "error"}}, obo_->failed_exchanges());
  return out;
}

}  // namespace azsql::app
