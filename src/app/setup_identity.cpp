#include "app/setup_identity.hpp"

#include <CLI/CLI.hpp>

namespace azsql::app {

namespace {

std::string bracket(const std::string& name) {
  std::string s = "[";
  for (char c : name) {
    s.push_back(c);
    if (c == ']') s.push_back(']');
  }
  return s + "]";
}

bool printable(const std::string& s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return !s.empty();
}

}  // namespace

int setup_identity_main(const std::vector<std::string>& args, std::string& out, std::string& err) {
  CLI::App cli{"Print the T-SQL that grants an Entra managed identity (or service principal) access to the "
               "database, and the environment azsql-mcp needs to use it.",
               "azsql-mcp setup-identity"};
  std::string identity, client_id, server, database, auth = "managed_identity";
  bool read_write = false;
  cli.add_option("--identity-name", identity,
                 "display name of the managed identity / app registration (as shown in Entra ID)")
      ->required();
  cli.add_option("--client-id", client_id, "client id of a user-assigned managed identity (omit for system-assigned)");
  cli.add_option("--server", server, "Azure SQL server, e.g. myserver.database.windows.net");
  cli.add_option("--database", database, "database name");
  cli.add_option("--auth-type", auth, "managed_identity | workload_identity | service_principal")
      ->check(CLI::IsMember({"managed_identity", "workload_identity", "service_principal"}));
  cli.add_flag("--read-write", read_write, "grant db_datawriter too (default: read-only)");
  std::vector<const char*> argv{"setup-identity"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    out = cli.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    err = std::string("azsql-mcp setup-identity: ") + e.what() + "\n";
    return 2;
  }
  if (!printable(identity)) {
    err = "azsql-mcp setup-identity: --identity-name must be a non-empty name without control characters\n";
    return 2;
  }
  const std::string user = bracket(identity);
  out += "-- 1. Connect to " + (database.empty() ? std::string("the database") : "database " + bracket(database)) +
         (server.empty() ? std::string() : " on " + server) +
         " as its Microsoft Entra admin (not master) and run:\n";
  out += "CREATE USER " + user + " FROM EXTERNAL PROVIDER;\n";
  out += "ALTER ROLE db_datareader ADD MEMBER " + user + ";\n";
  if (read_write) out += "ALTER ROLE db_datawriter ADD MEMBER " + user + ";\n";
  out += "GRANT VIEW DEFINITION TO " + user + ";      -- describe_table, search_objects\n";
  out += "GRANT VIEW DATABASE STATE TO " + user + ";  -- row counts, database_info\n";
  out += "GRANT SHOWPLAN TO " + user + ";             -- explain_query\n";
  out += "-- Do not add the identity to db_owner: azsql-mcp warns at start-up when the login holds more than it needs.\n\n";
  out += "# 2. Environment for azsql-mcp (the host must have this identity assigned):\n";
  out += "AZURE_SQL_SERVER=" + (server.empty() ? std::string("<server>.database.windows.net") : server) + "\n";
  out += "AZURE_SQL_DATABASE=" + (database.empty() ? std::string("<database>") : database) + "\n";
  out += "AZURE_SQL_AUTH_TYPE=" + auth + "\n";
  if (auth == "managed_identity" && !client_id.empty()) out += "AZURE_MANAGED_IDENTITY_CLIENT_ID=" + client_id + "\n";
  if (auth == "workload_identity") out += "# AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are set by AKS workload identity\n";
  if (auth == "service_principal")
    out += "AZURE_TENANT_ID=<tenant id>\nAZURE_CLIENT_ID=" + (client_id.empty() ? std::string("<app client id>") : client_id) +
           "\nAZURE_CLIENT_SECRET=<secret>   # or AZURE_CLIENT_CERTIFICATE_PATH=<pem with key>\n";
  out += std::string("MCP_READ_ONLY=") + (read_write ? "false" : "true") + "\n";
  return 0;
}

}  // namespace azsql::app
