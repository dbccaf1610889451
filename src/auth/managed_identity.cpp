// Managed identity: IMDS (VMs, VM scale sets, AKS nodes) and the App Service style endpoint
// (App Service, Functions, Container Apps).
#include "auth/detail.hpp"
#include "common/text.hpp"

namespace azsql::auth {

namespace {
using Clock = std::chrono::system_clock;

bool retriable_mi(long status) {
  return status == 404 || status == 408 || status == 410 || status == 429 || status >= 500;
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}
}  // namespace

ManagedIdentityOptions ManagedIdentityOptions::from_environment(const EnvLookup& env) {
  ManagedIdentityOptions o;
  auto get = [&](const char* n) { return env ? env(n).value_or("") : std::string(); };
  if (auto v = get("AZSQL_IMDS_ENDPOINT"); !v.empty()) {
    o.imds_endpoint = v;
  } else if (auto p = get("AZURE_POD_IDENTITY_AUTHORITY_HOST"); !p.empty()) {
    o.imds_endpoint = p;
  }
  o.identity_endpoint = get("IDENTITY_ENDPOINT");
  o.identity_header = get("IDENTITY_HEADER");
  o.unsupported_source = unsupported_managed_identity_source(o.identity_endpoint, o.identity_header,
                                                             get("IDENTITY_SERVER_THUMBPRINT"), get("IMDS_ENDPOINT"),
                                                             get("MSI_ENDPOINT"));
  return o;
}

std::string unsupported_managed_identity_source(const std::string& identity_endpoint,
                                                const std::string& identity_header,
                                                const std::string& identity_server_thumbprint,
                                                const std::string& arc_imds_endpoint, const std::string& msi_endpoint) {
  if (!identity_endpoint.empty()) {
    if (!identity_header.empty()) return identity_server_thumbprint.empty() ? "" : "Service Fabric";
    if (!arc_imds_endpoint.empty()) return "Azure Arc";
  }
  if (!msi_endpoint.empty()) return "Cloud Shell / Azure ML";
  return "";
}

namespace {

/// A managed identity endpoint must be https, or plain http to a loopback host (App Service, Functions and
/// Container Apps serve theirs on localhost) or to the link-local IMDS address: a token request to any other
/// plain-http host could be read or answered by the network (as for AZURE_AUTHORITY_HOST).
Status check_endpoint_url(const std::string& url, const std::string& who, const char* setting) {
  if (url.rfind("https://", 0) == 0) return {};
  if (url.rfind("http://", 0) == 0) {
    std::string host = detail::url_host(url);
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
      host = host.substr(0, colon);
    if (detail::is_loopback_url(url) || host == "169.254.169.254") return {};
  }
  return Error::make(ErrorKind::InvalidInput,
                     who + ": " + setting + " must be an https URL (plain http only for a loopback host or the "
                     "IMDS address 169.254.169.254)");
}

}  // namespace

ManagedIdentityCredential::ManagedIdentityCredential(ManagedIdentityOptions options) : o_(std::move(options)) {}

std::string ManagedIdentityCredential::source() const {
  return (!o_.identity_endpoint.empty() && !o_.identity_header.empty()) ? "App Service" : "IMDS";
}

Result<AccessToken> ManagedIdentityCredential::get_token(std::string_view scope_or_resource, const CancelToken& cancel) {
  const std::string who = name();
  const int selectors = !o_.client_id.empty() + !o_.object_id.empty() + !o_.resource_id.empty();
  if (selectors > 1) {
    return Error::make(ErrorKind::InvalidInput,
                       who + ": set at most one of client id, object id and resource id of a user-assigned identity");
  }
  if (!o_.unsupported_source.empty()) {
    return Error::make(ErrorKind::Unavailable, who + ": the " + o_.unsupported_source +
                                                   " managed identity source is not supported by this server");
  }
  const bool app_service = source() == "App Service";
  if (auto bad = app_service ? check_endpoint_url(o_.identity_endpoint, who, "IDENTITY_ENDPOINT")
                 : o_.imds_endpoint.empty() ? Status{}
                                            : check_endpoint_url(o_.imds_endpoint, who, "AZSQL_IMDS_ENDPOINT");
      !bad.ok())
    return bad.error();
  const std::string resource = scope_to_resource(scope_or_resource);
  detail::HttpRequest req;
  req.timeouts = o_.timeouts;
  std::string url;
  if (app_service) {
    url = o_.identity_endpoint + (o_.identity_endpoint.find('?') == std::string::npos ? "?" : "&") +
          "api-version=2019-08-01&resource=" + text::percent_encode(resource);
    if (!o_.client_id.empty()) url += "&client_id=" + text::percent_encode(o_.client_id);
    if (!o_.object_id.empty()) url += "&object_id=" + text::percent_encode(o_.object_id);
    if (!o_.resource_id.empty()) url += "&mi_res_id=" + text::percent_encode(o_.resource_id);
    req.headers = {{"X-IDENTITY-HEADER", o_.identity_header}};
  } else {
    url = trim_slash(o_.imds_endpoint.empty() ? std::string(kDefaultImdsEndpoint) : o_.imds_endpoint) +
          "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + text::percent_encode(resource);
    if (!o_.client_id.empty()) url += "&client_id=" + text::percent_encode(o_.client_id);
    if (!o_.object_id.empty()) url += "&object_id=" + text::percent_encode(o_.object_id);
    if (!o_.resource_id.empty()) url += "&msi_res_id=" + text::percent_encode(o_.resource_id);
    req.headers = {{"Metadata", "true"}};
  }
  req.url = url;
  const std::string endpoint = app_service ? "the App Service identity endpoint" : "IMDS";
  const auto started = Clock::now();

  std::optional<Result<detail::HttpResponse>> first;
  if (!app_service && o_.probe_imds && !probed_.load()) {
    // DefaultAzureCredential: one quick request, no retries; unreachable → Unavailable.
    detail::HttpRequest probe = req;
    probe.timeouts.connect = std::min(probe.timeouts.connect, o_.probe_timeout);
    probe.timeouts.total = o_.probe_timeout;
    auto r = detail::http_send(probe, cancel);
    if (!r.ok()) {
      if (r.error().kind == ErrorKind::Cancelled) return std::move(r).error();
      return Error::make(ErrorKind::Unavailable, who + ": IMDS at " + detail::url_host(url) +
                                                     " did not answer within " +
                                                     std::to_string(o_.probe_timeout.count()) + " ms (" +
                                                     r.error().message + ")");
    }
    probed_.store(true);
    if (!retriable_mi(r->status)) first = std::move(r);
  }
  Result<detail::HttpResponse> r = first ? std::move(*first) : detail::http_send_with_retry(req, o_.retry, o_.gone, retriable_mi, cancel);
  if (!r.ok()) {
    Error e = std::move(r).error();
    if (e.kind != ErrorKind::Cancelled) {
      e.message = who + ": " + endpoint + " request failed: " + e.message;
      if (e.kind == ErrorKind::Timeout || e.kind == ErrorKind::Io) e.kind = ErrorKind::Unavailable;
    }
    return e;
  }
  const long status = r->status;
  if (status == 200) return detail::parse_token_response(r->body, who, started);
  const std::string desc = detail::describe_error_body(r->body);
  Error e;
  e.code = static_cast<int>(status);
  if (status == 400 && !app_service) {
    // IMDS answers 400 invalid_request "Identity not found" when no (matching) identity is assigned.
    e.kind = ErrorKind::Unavailable;
    const bool user_assigned = selectors > 0;
    e.message = who + ": " +
                (user_assigned ? std::string("the requested user-assigned identity is not assigned to this resource")
                               : std::string("no managed identity is assigned to this resource")) +
                " (IMDS HTTP 400: " + desc + ")";
    return e;
  }
  e.kind = (status == 400 || status == 401 || status == 403) ? ErrorKind::Auth : ErrorKind::Unavailable;
  e.transient = retriable_mi(status);
  e.message = who + ": " + endpoint + " answered HTTP " + std::to_string(status) + ": " + desc;
  return e;
}

}  // namespace azsql::auth
