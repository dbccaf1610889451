#pragma once
#include <string>
#include <vector>

namespace azsql::app {

/// `azsql-mcp setup-identity …`: prints the T-SQL an Entra admin runs to create a database user for a
/// managed identity (or service principal) with read-only or read-write rights, and the environment
/// to set. Returns the process exit code; writes to `out` / `err`.
int setup_identity_main(const std::vector<std::string>& args, std::string& out, std::string& err);

}  // namespace azsql::app
