#pragma once
/// ADO.NET-style connection strings (`Server=tcp:host,1433;Database=…;User Id=…;Password=…;
/// Encrypt=…;TrustServerCertificate=…;HostNameInCertificate=…;Connect Timeout=…;
/// Authentication=…;Application Intent=…`). Pure; errors never contain the password.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace azsql::db::tds {

/// The settings a connection string can carry; unset fields were not in the string.
struct ConnectionStringSettings {
  std::optional<std::string> host;
  std::optional<std::uint16_t> port;
  std::optional<std::string> database;
  std::optional<std::string> user;      ///< User Id (the client id for managed identity / service principal)
  std::optional<std::string> password;  ///< Password (the client secret for service principal)
  std::optional<std::string> encrypt;   ///< "yes" | "strict" | "no"
  std::optional<bool> trust_server_certificate;
  std::optional<std::string> hostname_in_certificate;
  std::optional<int> connect_timeout_s;
  std::optional<std::string> auth_type;  ///< our AZURE_SQL_AUTH_TYPE names: sql, managed_identity, ...
  std::optional<bool> read_only_intent;
  std::optional<std::string> application_name;
};

/// Parses `key=value;…` (keys case- and space-insensitive, values optionally quoted with ', " or {}).
/// Unknown keys are ignored; bad values give an InvalidInput error naming the key.
Result<ConnectionStringSettings> parse_connection_string(std::string_view s);

/// Splits "tcp:host,port", "host,port", "host" (default port 1433). Named instances ("host\inst")
/// are refused (no SQL Browser support).
Status parse_server(std::string_view server, std::string& host, std::uint16_t& port);

}  // namespace azsql::db::tds
