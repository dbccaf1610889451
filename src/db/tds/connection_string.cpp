#include "db/tds/connection_string.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/text.hpp"

namespace azsql::db::tds {

namespace {

std::string norm_key(std::string_view k) {
  std::string out;
  for (char c : k)
    if (!text::is_space(c)) out.push_back(text::to_lower(c));
  return out;
}

Error bad(const std::string& key, const std::string& what) {
  return Error::make(ErrorKind::InvalidInput, "invalid connection string: " + key + " " + what);
}

std::optional<bool> boolean(const std::string& v) {
  const std::string l = text::to_lower(v);
  if (l == "true" || l == "yes" || l == "1") return true;
  if (l == "false" || l == "no" || l == "0") return false;
  return std::nullopt;
}

}  // namespace

Status parse_server(std::string_view server, std::string& host, std::uint16_t& port) {
  std::string s(text::trim(server));
  if (text::istarts_with(s, "tcp:")) s = s.substr(4);
  port = 1433;
  const auto comma = s.rfind(',');
  if (comma != std::string::npos) {
    const std::string p(text::trim(std::string_view(s).substr(comma + 1)));
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size() || v == 0 || v > 65535)
      return Error::make(ErrorKind::InvalidInput, "invalid server '" + s + "': the port must be 1-65535");
    port = static_cast<std::uint16_t>(v);
    s = text::trim(std::string_view(s).substr(0, comma));
  }
  if (s.find('\\') != std::string::npos)
    return Error::make(ErrorKind::InvalidInput,
                       "invalid server '" + s + "': named instances are not supported, give host,port instead");
  if (s == "(local)" || s == ".") s = "127.0.0.1";
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);  // [IPv6]
  if (s.empty()) return Error::make(ErrorKind::InvalidInput, "invalid server: empty host name");
  host = s;
  return {};
}

Result<ConnectionStringSettings> parse_connection_string(std::string_view s) {
  ConnectionStringSettings out;
  std::size_t i = 0;
  while (i < s.size()) {
    // key
    const auto eq = s.find('=', i);
    if (eq == std::string_view::npos) {
      if (text::trim(s.substr(i)).empty()) break;
      return Error::make(ErrorKind::InvalidInput, "invalid connection string: expected key=value pairs separated by ';'");
    }
    const std::string key = norm_key(s.substr(i, eq - i));
    i = eq + 1;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string value;
    if (i < s.size() && (s[i] == '\'' || s[i] == '"' || s[i] == '{')) {
      const char close = s[i] == '{' ? '}' : s[i];
      ++i;
      for (;;) {
        if (i >= s.size()) return bad(key, "has an unterminated quoted value");
        if (s[i] == close) {
          if (i + 1 < s.size() && s[i + 1] == close) {  // doubled quote = literal
            value.push_back(close);
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value.push_back(s[i++]);
      }
      while (i < s.size() && s[i] != ';') ++i;
    } else {
      const auto semi = s.find(';', i);
      const auto end = semi == std::string_view::npos ? s.size() : semi;
      value = text::trim(s.substr(i, end - i));
      i = end;
    }
    if (i < s.size() && s[i] == ';') ++i;
    if (key.empty()) continue;

    if (key == "server" || key == "datasource" || key == "address" || key == "addr" || key == "networkaddress") {
      std::string host;
      std::uint16_t port;
      if (auto st = parse_server(value, host, port); !st.ok()) return st.error();
      out.host = host;
      out.port = port;
    } else if (key == "database" || key == "initialcatalog") {
      out.database = value;
    } else if (key == "userid" || key == "uid" || key == "user" || key == "username") {
      out.user = value;
    } else if (key == "password" || key == "pwd") {
      out.password = value;
    } else if (key == "encrypt") {
      const std::string l = text::to_lower(value);
      if (l == "strict") out.encrypt = "strict";
      else if (l == "true" || l == "yes" || l == "mandatory") out.encrypt = "yes";
      else if (l == "false" || l == "no" || l == "optional") out.encrypt = "no";
      else return bad("Encrypt", "must be true, false, strict, mandatory or optional (got '" + value + "')");
    } else if (key == "trustservercertificate") {
      auto b = boolean(value);
      if (!b) return bad("TrustServerCertificate", "must be true or false");
      out.trust_server_certificate = *b;
    } else if (key == "hostnameincertificate") {
      out.hostname_in_certificate = value;
    } else if (key == "connecttimeout" || key == "connectiontimeout" || key == "timeout") {
      int v = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || ptr != value.data() + value.size() || v < 0 || v > 3600)
        return bad("Connect Timeout", "must be a number of seconds (0-3600)");
      out.connect_timeout_s = v == 0 ? 3600 : v;
    } else if (key == "authentication") {
      const std::string l = norm_key(value);
      if (l == "sqlpassword") out.auth_type = "sql";
      else if (l == "activedirectorymanagedidentity" || l == "activedirectorymsi") out.auth_type = "managed_identity";
      else if (l == "activedirectorydefault") out.auth_type = "default_credential";
      else if (l == "activedirectoryserviceprincipal") out.auth_type = "service_principal";
      else if (l == "activedirectoryworkloadidentity") out.auth_type = "workload_identity";
      else if (l == "activedirectoryazcli" || l == "azurecli") out.auth_type = "azure_cli";
      else if (l == "activedirectoryaccesstoken" || l == "accesstoken") out.auth_type = "access_token";  // AZURE_SQL_ACCESS_TOKEN
      else
        return bad("Authentication", "'" + value +
                                         "' is not supported (use Sql Password, Active Directory Managed Identity, "
                                         "Active Directory Default, Active Directory Service Principal, Active "
                                         "Directory Workload Identity or Active Directory Access Token)");
    } else if (key == "applicationintent") {
      const std::string l = text::to_lower(value);
      if (l == "readonly") out.read_only_intent = true;
      else if (l == "readwrite") out.read_only_intent = false;
      else return bad("Application Intent", "must be ReadOnly or ReadWrite");
    } else if (key == "applicationname" || key == "app") {
      out.application_name = value;
    }
    // Other keys (MultipleActiveResultSets, Persist Security Info, Pooling, …) are accepted and ignored.
  }
  return out;
}

}  // namespace azsql::db::tds
