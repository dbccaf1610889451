#pragma once
#include <map>
#include <string>
#include <vector>

namespace azsql::app {

/// `azsql-mcp doctor [--json] [settings…]`: checks, step by step, what a tool call needs — the settings,
/// DNS, TCP, TLS and the certificate name, the Entra token for the configured auth type (never shown),
/// the login, access to the database, and the identity's rights (read, write, VIEW DATABASE STATE).
/// Each failure names its cause and fix (db/tds/diagnosis.hpp); when the login works but the identity
/// has no user in the database, prints the CREATE USER … FROM EXTERNAL PROVIDER and role statements.
/// Human output by default, one JSON object with --json. Returns 0 only when a tool call would work.
int doctor_main(const std::vector<std::string>& args, const std::map<std::string, std::string>& environment,
                std::string& out);

}  // namespace azsql::app
