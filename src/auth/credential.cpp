#include "auth/credential.hpp"

#include <cstdlib>

#include "auth/detail.hpp"
#include "common/base64.hpp"
#include "common/json_util.hpp"

namespace azsql::auth {

namespace {
constexpr std::string_view kDefaultSuffix = "/.default";
}

std::string scope_to_resource(std::string_view s) {
  if (s.size() >= kDefaultSuffix.size() && s.substr(s.size() - kDefaultSuffix.size()) == kDefaultSuffix) {
    return std::string(s.substr(0, s.size() - kDefaultSuffix.size() + 1));  // keep the trailing '/'
  }
  return std::string(s);
}

std::string resource_to_scope(std::string_view s) {
  if (s.size() >= kDefaultSuffix.size() && s.substr(s.size() - kDefaultSuffix.size()) == kDefaultSuffix) {
    return std::string(s);
  }
  std::string out(s);
  if (out.empty() || out.back() != '/') out += '/';
  return out + ".default";
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

EnvLookup map_environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::optional<std::chrono::system_clock::time_point> jwt_expiry(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  // JWS segments are unpadded base64url (RFC 7515 §2); padding is tolerated.
  auto payload = base64::decode(token.substr(first + 1, second - first - 1), base64::Alphabet::UrlSafe,
                                base64::PadRule::Optional);
  if (!payload) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto exp = json::get_int(v.as_object(), "exp");
  if (!exp || *exp <= 0) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(*exp));
}

}  // namespace azsql::auth
