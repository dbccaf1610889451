#include "db/tds/diagnosis.hpp"

#include "common/text.hpp"

namespace azsql::db::tds {
namespace {

bool has(const std::string& text, const char* needle) { return text::icontains(text, needle); }

/// The text between `open` and the next `close` after `marker`, or "".
std::string between(const std::string& text, const std::string& marker, char open, char close) {
  auto m = text.find(marker);
  if (m == std::string::npos) return {};
  auto a = text.find(open, m + marker.size());
  if (a == std::string::npos) return {};
  auto b = text.find(close, a + 1);
  if (b == std::string::npos || b - a > 64) return {};
  return text.substr(a + 1, b - a - 1);
}

/// "myserver" from "myserver.database.windows.net" (the logical server name Azure tools want).
std::string server_name(const std::string& host) {
  if (host.find_first_not_of("0123456789.:[]") == std::string::npos) return "<server>";  // an address, not a name
  const auto dot = host.find('.');
  return dot == std::string::npos ? host : host.substr(0, dot);
}

Diagnosis make(const char* check, std::string cause, std::string fix, bool transient = false) {
  return Diagnosis{check, std::move(cause), std::move(fix), transient};
}

Diagnosis server_error(const Error& e, const DiagnosisContext& c) {
  const std::string& m = e.message;
  const std::string db = c.database.empty() ? std::string("the database") : "database '" + c.database + "'";
  switch (e.code) {
    case 40615: {
      std::string ip = between(m, "IP address", '\'', '\'');
      if (ip.empty()) ip = "<client address>";
      return make("firewall",
                  "the server's firewall does not allow this client: it sees the connection coming from " + ip,
                  "add a firewall rule for " + ip + ": az sql server firewall-rule create --resource-group <group> "
                  "--server " + server_name(c.host) + " --name azsql-mcp --start-ip-address " + ip +
                  " --end-ip-address " + ip + " (or Networking > Add client IP in the portal; a rule takes up to "
                  "five minutes to apply)");
    }
    case 40532:
      return make("server", "the server refused the login because the server name does not match: '" + c.host +
                                "' is not the server the login (or a user@server suffix in the user name) names",
                  "set AZURE_SQL_SERVER to <server>.database.windows.net exactly as shown in the portal, and drop or "
                  "correct any @server suffix in AZURE_SQL_USERNAME");
    case 4060:
      return make("database", "the login worked but " + db + " cannot be opened: it does not exist under that name, or "
                              "this login has no access to it",
                  "check AZURE_SQL_DATABASE (the name as listed by SELECT name FROM sys.databases in master); if it "
                  "exists, create a user for this login in it");
    case 18452:
      return make("login", "the server refused integrated (Windows) authentication from this client",
                  "use SQL authentication (AZURE_SQL_AUTH_TYPE=sql) or an Entra identity (managed_identity, "
                  "default_credential, service_principal)");
    case 33155:
      return make("login", "the server accepts only Microsoft Entra authentication (Entra-only); SQL logins are refused",
                  "use an Entra identity: AZURE_SQL_AUTH_TYPE=managed_identity (or default_credential / "
                  "service_principal), and create its user in the database (azsql-mcp setup-identity prints the T-SQL)");
    case 916:
      return make("database", "the login has no user in " + db,
                  "as the database's Entra admin, create a user for this identity in " + db +
                  " (azsql-mcp doctor and setup-identity print the CREATE USER ... FROM EXTERNAL PROVIDER statements)");
    case 18456:
      if (has(m, "only authentication is enabled"))
        return server_error(Error::make(ErrorKind::Auth, m, 33155), c);
      if (c.entra)
        return make("login", "the server refused the Entra token: the identity has no user in " + db +
                                 " (the usual cause), or the token is for another tenant",
                    "as the database's Entra admin run CREATE USER [<identity name>] FROM EXTERNAL PROVIDER and grant "
                    "roles (azsql-mcp doctor prints the exact statements); check AZURE_TENANT_ID");
      return make("login", "SQL authentication failed (state " + std::to_string(e.state) +
                               "): the user name or password is not accepted, or the login does not exist on this server",
                  "check AZURE_SQL_USERNAME / AZURE_SQL_PASSWORD; for a contained database user set AZURE_SQL_DATABASE "
                  "to its database; an Entra-only server refuses every SQL login");
    case 40613: case 40197: case 40501: case 49918: case 49919: case 49920: case 4221: case 40540:
      return make("availability",
                  "the database is temporarily unavailable (error " + std::to_string(e.code) +
                      ": a serverless database resuming from auto-pause, a failover, or throttling)",
                  "wait and retry: azsql-mcp keeps retrying in the background (a paused serverless database "
                  "resumes within about a minute)",
                  true);
    default:
      return {};
  }
}

Diagnosis credential_error(const Error& e) {
  const std::string& m = e.message;
  if (has(m, "must be an https URL"))
    return make("token", "a token endpoint is configured with plain http to a host that is neither loopback nor "
                         "the IMDS address: the token request could be read or answered by the network",
                "use an https endpoint (plain http only for localhost / 127.0.0.1 or 169.254.169.254), or unset it");
  if (has(m, "AADSTS700016"))
    return make("token", "Entra does not know the application (client id) in this tenant (AADSTS700016)",
                "check AZURE_CLIENT_ID / AZURE_MANAGED_IDENTITY_CLIENT_ID and AZURE_TENANT_ID");
  if (has(m, "AADSTS7000215") || has(m, "AADSTS7000222"))
    return make("token", "the client secret is not valid or has expired (AADSTS7000215/7000222)",
                "create a new secret for the app registration and set AZURE_CLIENT_SECRET");
  if (has(m, "AADSTS50012") || has(m, "AADSTS50027"))
    return make("token", "Entra could not read the client assertion (AADSTS50012/50027): the federated token file "
                         "does not hold a token, or the certificate could not sign one",
                "for workload identity check that AZURE_FEDERATED_TOKEN_FILE is the projected service-account token; "
                "for a certificate check AZURE_CLIENT_CERTIFICATE_PATH (PEM with the private key)");
  if (has(m, "AADSTS700027"))
    return make("token", "the certificate is not registered on the app registration, or the assertion's signature is invalid (AADSTS700027)",
                "upload the certificate's public key to the app registration (Certificates & secrets), or set "
                "AZURE_CLIENT_CERTIFICATE_PATH to the registered certificate with its private key");
  if (has(m, "AADSTS70021") || has(m, "AADSTS700213") || has(m, "AADSTS700024"))
    return make("token", "the federated token was refused: no matching federated credential, or it expired",
                "check the app's federated credential (issuer, subject) and AZURE_FEDERATED_TOKEN_FILE");
  if (has(m, "AADSTS90002") || has(m, "AADSTS900023"))
    return make("token", "the tenant does not exist (AADSTS90002)", "check AZURE_TENANT_ID");
  if (has(m, "AADSTS53003"))
    return make("token", "a Conditional Access policy blocked the sign-in (AADSTS53003)",
                "ask the tenant admin to exempt this identity or use a managed identity");
  if (has(m, "AADSTS"))
    return make("token", "Entra refused to issue a token", "read the AADSTS code in the message and check the credential settings");
  if (has(m, "managed identity") || has(m, "IMDS") || has(m, "identity endpoint"))
    return make("token", "no managed identity token: the host has no managed identity, or not the one configured",
                "assign a managed identity to the host (VM, App Service, container) or set "
                "AZURE_MANAGED_IDENTITY_CLIENT_ID to the user-assigned identity's client id");
  return make("token", "no Entra token could be acquired", "check the credential settings for AZURE_SQL_AUTH_TYPE");
}

}  // namespace

Diagnosis diagnose(const Error& e, const DiagnosisContext& c) {
  if (e.code != 0) {
    Diagnosis d = server_error(e, c);
    if (!d.check.empty()) return d;
  }
  const std::string& m = e.message;
  // A credential's failure: no code, or the HTTP status / AADSTS number of Entra's answer.
  if (e.kind == ErrorKind::Auth && (e.code == 0 || has(m, "AADSTS") || has(m, "Credential:")))
    return credential_error(e);
  if (has(m, "cannot resolve"))
    return make("dns", "the server name '" + c.host + "' does not resolve",
                "check the spelling of AZURE_SQL_SERVER (<server>.database.windows.net); with a private endpoint, "
                "check that this host uses the private DNS zone");
  if (has(m, "during PRELOGIN") && (has(m, "closed") || has(m, "reset") || has(m, "end of file")))
    return make("prelogin", "the server closed the connection during PRELOGIN, before any login: the port is not a "
                            "SQL Server endpoint, or the server insists on TDS 8.0 strict encryption",
                "check the port (Azure SQL: 1433); if the server requires strict encryption set AZURE_SQL_ENCRYPT=strict");
  if (has(m, "hostname mismatch") || has(m, "certificate name"))
    return make("tls", "the server's certificate does not name '" + c.host + "'",
                "connect with the name the certificate holds (Azure SQL: <server>.database.windows.net), or set "
                "AZURE_SQL_HOSTNAME_IN_CERTIFICATE to it");
  if (has(m, "certificate verification failed") || has(m, "CA file"))
    return make("tls", "the server's certificate is not trusted by this host",
                "install the issuing CA in the system store or set AZURE_SQL_CA_FILE; AZURE_SQL_TRUST_SERVER_CERTIFICATE=yes "
                "only for testing");
  if (has(m, "connection refused"))
    return make("tcp", "nothing accepts connections at " + c.host + ": the server is down, or the host or port is not the right one",
                "check AZURE_SQL_SERVER and the port (host,port); azsql-mcp keeps retrying in the background", true);
  if (e.kind == ErrorKind::Timeout || has(m, "timed out") || has(m, "deadline"))
    return make("tcp", "no answer from " + c.host + " within the connection timeout: a firewall or network security "
                       "group drops the traffic, or the host is not the right one",
                "check outbound TCP 1433 from this host (and 11000-11999 for Azure SQL redirect connections)", true);
  return {};
}

std::string diagnosis_text(const Error& e, const DiagnosisContext& ctx) {
  const Diagnosis d = diagnose(e, ctx);
  if (d.check.empty()) return {};
  return "Cause: " + d.cause + ". Fix: " + d.fix + ".";
}

std::string create_user_statements(const std::string& principal, bool write) {
  std::string user = "[";
  for (char ch : principal) {
    user.push_back(ch);
    if (ch == ']') user.push_back(']');
  }
  user += "]";
  std::string s = "CREATE USER " + user + " FROM EXTERNAL PROVIDER;\n";
  s += "ALTER ROLE db_datareader ADD MEMBER " + user + ";\n";
  if (write) s += "ALTER ROLE db_datawriter ADD MEMBER " + user + ";\n";
  s += "GRANT VIEW DEFINITION TO " + user + ";\n";
  s += "GRANT VIEW DATABASE STATE TO " + user + ";\n";
  s += "GRANT SHOWPLAN TO " + user + ";\n";
  return s;
}

}  // namespace azsql::db::tds
