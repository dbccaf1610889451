// Azure CLI credential: `az account get-access-token` as a child process (no shell).
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "auth/detail.hpp"
#include "common/json_util.hpp"

namespace azsql::auth {

namespace {
using Clock = std::chrono::system_clock;

bool safe_arg(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' && c != ':' && c != '/') {
      return false;
    }
  }
  return true;
}

/// "2023-10-31 21:59:10.000000" in the machine's local time zone.
std::optional<Clock::time_point> parse_local(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (std::sscanf(std::string(s).c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return Clock::from_time_t(t);
}

std::string first_line(std::string_view s) {
  while (!s.empty() && (s.front() == '\n' || s.front() == '\r' || s.front() == ' ')) s.remove_prefix(1);
  auto nl = s.find_first_of("\r\n");
  if (nl != std::string_view::npos) s = s.substr(0, nl);
  return std::string(s.substr(0, 300));
}
}  // namespace

AzureCliCredential::AzureCliCredential(AzureCliOptions options) : o_(std::move(options)) {}

Result<AccessToken> AzureCliCredential::get_token(std::string_view scope_or_resource, const CancelToken& cancel) {
  const std::string who = name();
  const std::string resource = scope_to_resource(scope_or_resource);
  if (!safe_arg(resource)) return Error::make(ErrorKind::InvalidInput, who + ": the resource has characters not allowed");
  if (!o_.tenant_id.empty() && !safe_arg(o_.tenant_id)) {
    return Error::make(ErrorKind::InvalidInput, who + ": the tenant id has characters not allowed");
  }
  std::string path_env = o_.path_env;
  if (path_env.empty()) {
    const char* p = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
    path_env = p ? p : "/usr/local/bin:/usr/bin:/bin";
  }
  const std::string az = detail::find_on_path(o_.az_path.empty() ? std::string("az") : o_.az_path, path_env);
  if (az.empty()) {
    return Error::make(ErrorKind::Unavailable,
                       who + ": Azure CLI not found" + (o_.az_path.empty() ? std::string(" on PATH") : " at " + o_.az_path));
  }
  std::vector<std::string> args{"account", "get-access-token", "--output", "json", "--resource", resource};
  if (!o_.tenant_id.empty()) {
    args.emplace_back("--tenant");
    args.push_back(o_.tenant_id);
  }
  const auto started = Clock::now();
  auto run = detail::run_process(az, args, o_.timeout, cancel);
  if (!run.ok()) {
    Error e = std::move(run).error();
    if (e.kind == ErrorKind::NotFound) e.kind = ErrorKind::Unavailable;
    if (e.kind != ErrorKind::Cancelled) e.message = who + ": " + e.message;
    return e;
  }
  const auto& pr = *run;
  if (pr.timed_out) {
    return Error::make(ErrorKind::Unavailable,
                       who + ": `az account get-access-token` did not finish within " + std::to_string(o_.timeout.count()) + " ms");
  }
  if (pr.exit_code != 0) {
    if (pr.err.find("az login") != std::string::npos || pr.err.find("az account set") != std::string::npos) {
      return Error::make(ErrorKind::Unavailable, who + ": not logged in; run 'az login' to set up an account");
    }
    if (pr.exit_code == 127) return Error::make(ErrorKind::Unavailable, who + ": Azure CLI not installed");
    std::string msg = first_line(pr.err);
    return Error::make(ErrorKind::Auth, who + ": `az account get-access-token` exited with " +
                                            std::to_string(pr.exit_code) + (msg.empty() ? "" : ": " + msg));
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(pr.out, ec);
  if (ec || !v.is_object()) {
    return Error::make(ErrorKind::Protocol, who + ": `az account get-access-token` printed no JSON object (" +
                                                std::to_string(pr.out.size()) + " bytes)");
  }
  const auto& o = v.as_object();
  auto tok = json::get_string(o, "accessToken");
  if (!tok || tok->empty()) return Error::make(ErrorKind::Protocol, who + ": the Azure CLI output has no accessToken");
  std::optional<Clock::time_point> exp;
  if (auto e = json::get_int(o, "expires_on")) {
    exp = Clock::time_point(std::chrono::seconds(*e));
  } else if (auto es = json::get_string(o, "expires_on")) {
    exp = detail::parse_epoch(*es);
  }
  if (!exp) {
    if (auto s = json::get_string(o, "expiresOn")) exp = parse_local(*s);
  }
  if (!exp) return Error::make(ErrorKind::Protocol, who + ": the Azure CLI output has no usable expires_on / expiresOn");
  if (*exp <= started) return Error::make(ErrorKind::Auth, who + ": the Azure CLI returned an expired token; run 'az login'");
  return AccessToken{std::string(*tok), *exp, std::nullopt};
}

}  // namespace azsql::auth
