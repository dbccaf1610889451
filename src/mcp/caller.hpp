#pragma once
/// Who is calling, as the transport authenticated them (issue 12: per-user identity).
///
/// A transport that validates a user's bearer token (HTTP with Entra ID) fills one `Caller` per
/// request and passes it in `Inbound::caller`; the core hands it to handlers through
/// `CallContext::caller()` and to observers through `ClientInfo::caller`. Unauthenticated
/// transports (stdio, HTTP without auth or with the static MCP_AUTH_TOKEN) pass none.
#include <string>
#include <vector>

namespace azsql::mcp {

struct Caller {
  std::string tenant_id;     ///< `tid`
  std::string object_id;     ///< `oid`: the user's (or app's) object id in the tenant
  std::string display_name;  ///< `name`
  std::string upn;           ///< `upn` / `preferred_username`
  std::vector<std::string> scopes;  ///< granted delegated scopes (`scp`) and app roles (`roles`)
  /// The raw bearer assertion, kept for the on-behalf-of exchange. A secret: never log it, never put
  /// it in an error, an audit line or a tool result. Use `describe()` for logs.
  std::string assertion;

  /// A loggable label: upn, else display name, else object id (never the assertion).
  std::string describe() const {
    if (!upn.empty()) return upn;
    if (!display_name.empty()) return display_name;
    return object_id;
  }
  bool has_scope(const std::string& s) const {
    for (const auto& g : scopes) {
      if (g == s) return true;
    }
    return false;
  }
};

}  // namespace azsql::mcp
