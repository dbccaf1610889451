// Token endpoint responses (Entra v2, IMDS, App Service) and the shared client-credentials request.
#include <algorithm>
#include <cctype>
#include <ctime>

#include "auth/detail.hpp"
#include "common/json_util.hpp"

namespace azsql::auth::detail {

namespace {
using Clock = std::chrono::system_clock;

std::optional<std::int64_t> number_or_digits(const boost::json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  if (v->is_string()) {
    std::string_view s = v->as_string();
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

/// ISO 8601 "YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±hh:mm]" (UTC when no offset).
std::optional<Clock::time_point> parse_iso8601(std::string_view s) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char sep = 0;
  std::string str(s);
  int consumed = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec, &consumed) != 7 ||
      (sep != 'T' && sep != ' ')) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  }
  long offset = 0;
  if (!rest.empty() && (rest.front() == '+' || rest.front() == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (oh * 3600L + om * 60L) * (rest.front() == '-' ? -1 : 1);
  } else if (!rest.empty() && rest != "Z") {
    return std::nullopt;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return Clock::from_time_t(t - offset);
}

std::string first_line(std::string_view s, std::size_t max) {
  auto nl = s.find_first_of("\r\n");
  if (nl != std::string_view::npos) s = s.substr(0, nl);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::string out(s.substr(0, max));
  if (s.size() > max) out += "…";
  return out;
}

bool retriable_entra(long status) { return status == 408 || status == 429 || status >= 500; }
}  // namespace

std::optional<Clock::time_point> parse_epoch(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return Clock::time_point(std::chrono::seconds(n));
}

Result<AccessToken> parse_token_response(std::string_view body, std::string_view who, Clock::time_point now) {
  const std::string w(who);
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) {
    return Error::make(ErrorKind::Protocol, w + ": the token response is not a JSON object (" +
                                                std::to_string(body.size()) + " bytes)");
  }
  const auto& o = v.as_object();
  auto tok = json::get_string(o, "access_token");
  if (!tok || tok->empty()) return Error::make(ErrorKind::Protocol, w + ": the token response has no access_token");
  AccessToken t;
  t.token = std::string(*tok);
  std::optional<Clock::time_point> exp;
  if (const auto* e = o.if_contains("expires_on")) {
    if (auto n = number_or_digits(e)) {
      exp = Clock::time_point(std::chrono::seconds(*n));
    } else if (e->is_string()) {
      exp = parse_iso8601(e->as_string());
    }
  }
  if (!exp) {
    if (auto n = number_or_digits(o.if_contains("expires_in"))) exp = now + std::chrono::seconds(*n);
  }
  if (!exp) {
    return Error::make(ErrorKind::Protocol, w + ": the token response has no usable expires_on / expires_in");
  }
  if (*exp <= now) return Error::make(ErrorKind::Protocol, w + ": the token endpoint returned an already expired token");
  t.expires_on = *exp;
  if (auto n = number_or_digits(o.if_contains("refresh_in")); n && *n > 0) {
    auto r = now + std::chrono::seconds(*n);
    if (r < t.expires_on) t.refresh_on = r;
  }
  return t;
}

std::string describe_error_body(std::string_view body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "non-JSON body (" + std::to_string(body.size()) + " bytes)";
  const auto& o = v.as_object();
  std::string out;
  if (auto e = json::get_string(o, "error")) {
    out = std::string(*e);
    if (auto d = json::get_string(o, "error_description")) out += ": " + first_line(*d, 300);
  } else if (const auto* eo = json::get_object(o, "error")) {
    if (auto c = json::get_string(*eo, "code")) out = std::string(*c);
    if (auto m = json::get_string(*eo, "message")) out += (out.empty() ? "" : ": ") + first_line(*m, 300);
  } else if (auto m = json::get_string(o, "message")) {
    out = first_line(*m, 300);
  } else if (auto m2 = json::get_string(o, "Message")) {
    out = first_line(*m2, 300);
  }
  if (out.empty()) out = "no error description";
  return out;
}

Result<std::string> entra_token_url(const EntraOptions& o, std::string_view who) {
  const std::string w(who);
  if (o.tenant_id.empty()) return Error::make(ErrorKind::InvalidInput, w + ": AZURE_TENANT_ID is not set");
  if (o.client_id.empty()) return Error::make(ErrorKind::InvalidInput, w + ": AZURE_CLIENT_ID is not set");
  for (char c : o.tenant_id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return Error::make(ErrorKind::InvalidInput, w + ": AZURE_TENANT_ID has characters a tenant id cannot have");
    }
  }
  std::string authority = o.authority_host.empty() ? std::string(kDefaultAuthorityHost) : o.authority_host;
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  if (authority.find("://") == std::string::npos) authority = "https://" + authority;  // as azure-identity
  const bool https = authority.rfind("https://", 0) == 0;
  const bool http_loopback = authority.rfind("http://", 0) == 0 && is_loopback_url(authority);
  if (!https && !http_loopback) {
    return Error::make(ErrorKind::InvalidInput,
                       w + ": AZURE_AUTHORITY_HOST must be an https URL (plain http only for a loopback host)");
  }
  return authority + "/" + o.tenant_id + "/oauth2/v2.0/token";
}

Result<AccessToken> request_entra_token(const EntraOptions& o, std::string_view who, std::string_view scope,
                                        std::vector<std::pair<std::string, std::string>> fields,
                                        const std::string& token_url, const CancelToken& cancel,
                                        std::string_view grant_type) {
  const std::string w(who);
  std::vector<std::pair<std::string, std::string>> form{
      {"client_id", o.client_id}, {"scope", resource_to_scope(scope)}, {"grant_type", std::string(grant_type)}};
  for (auto& f : fields) form.push_back(std::move(f));
  HttpRequest req;
  req.method = "POST";
  req.url = token_url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  req.body = form_encode(form);
  req.timeouts = o.timeouts;
  const auto started = Clock::now();
  auto r = http_send_with_retry(req, o.retry, o.gone, retriable_entra, cancel);
  if (!r.ok()) {
    Error e = std::move(r).error();
    e.message = w + ": " + e.message;
    return e;
  }
  if (r->status == 200) return parse_token_response(r->body, who, started);
  Error e;
  e.kind = (r->status == 400 || r->status == 401 || r->status == 403) ? ErrorKind::Auth : ErrorKind::Unavailable;
  e.transient = retriable_entra(r->status);
  e.message = w + ": Entra ID refused the token request: HTTP " + std::to_string(r->status) + " " +
              describe_error_body(r->body);
  boost::system::error_code ec;
  auto v = boost::json::parse(r->body, ec);
  if (!ec && v.is_object()) {
    if (const auto* codes = json::get_array(v.as_object(), "error_codes"); codes && !codes->empty() && (*codes)[0].is_int64()) {
      e.code = static_cast<int>((*codes)[0].as_int64());
    }
  }
  return e;
}

}  // namespace azsql::auth::detail
