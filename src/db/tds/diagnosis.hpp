#pragma once
/// The cause and fix of a failure to reach or log in to SQL Server / Azure SQL: one catalogue used by
/// the connection's error messages (so every tool call and /health carries it) and by
/// `azsql-mcp doctor`. Pure, never throws; never sees secrets (only error texts and settings).
#include <string>

#include "common/result.hpp"

namespace azsql::db::tds {

/// What the catalogue may name in a fix.
struct DiagnosisContext {
  std::string host;      ///< as configured (Azure: <server>.database.windows.net)
  std::string database;  ///< configured database ("" = the login's default)
  bool entra = false;    ///< an Entra token was used (FEDAUTH) rather than SQL authentication
};

struct Diagnosis {
  std::string check;  ///< short name of what failed: "firewall", "login", "database", "tls", ...
  std::string cause;  ///< what is wrong, in one sentence
  std::string fix;    ///< what to change, concretely
  bool transient = false;  ///< waiting and retrying is the fix
};

/// The catalogued diagnosis of `e` (a connect, TLS or login error), or an empty `check` when the
/// error is not one the catalogue knows. Server errors are matched by number (18456 with its state,
/// 40615 with the client address from its text, 40532, 4060, 18452, 40613 and other transient ones,
/// 33155 / "only authentication is enabled", 916), others by kind and text (DNS, refused or silent
/// TCP, a close during PRELOGIN, certificate name and trust failures, AADSTS codes, managed identity).
Diagnosis diagnose(const Error& e, const DiagnosisContext& ctx);

/// "Cause: …. Fix: …" for an error message, or "" when the catalogue does not know the error.
std::string diagnosis_text(const Error& e, const DiagnosisContext& ctx);

/// The T-SQL an Entra admin runs in the database to give `principal` read (and, with `write`, write)
/// access plus the catalog and plan permissions the tools use — as `azsql-mcp setup-identity` prints.
std::string create_user_statements(const std::string& principal, bool write);

}  // namespace azsql::db::tds
