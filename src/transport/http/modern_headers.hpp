#pragma once
/// The 2026-07-28 Streamable HTTP request headers and their checks against the JSON-RPC body
/// (basic/transports). A failed check is answered with HTTP 400 and the returned error response.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mcp/registry.hpp"
#include "mcp/server.hpp"

namespace azsql::transport::http {

namespace bj = boost::json;

/// The 2026-07-28 request headers, already trimmed of surrounding whitespace; nullopt = absent.
struct ModernHeaders {
  std::optional<std::string> protocol_version;  ///< MCP-Protocol-Version
  std::optional<std::string> method;            ///< Mcp-Method
  std::optional<std::string> name;              ///< Mcp-Name
  /// Mcp-Param-{Name} headers as (Name, value), for tool parameters annotated with `x-mcp-header`.
  std::vector<std::pair<std::string, std::string>> params;
};

/// A header value as the client meant it: the Base64 sentinel form `=?base64?…?=` decoded
/// (basic/transports, "Value Encoding"); nullopt when the sentinel holds invalid Base64 or the
/// value has characters a header may not carry.
std::optional<std::string> decode_header_value(std::string_view v);

/// Checks a 2026-07-28 request before dispatch, in the order the spec gives: required `_meta` fields
/// (-32602), MCP-Protocol-Version present and equal to the body's (-32020), a supported version
/// (-32022), Mcp-Method / Mcp-Name equal to the body (-32020). Returns the error response, or nullopt.
std::optional<bj::value> check_modern_request(const bj::value& message, const ModernHeaders& headers);

/// Checks the Mcp-Param-{Name} headers of a tools/call against its arguments, for the tool
/// parameters annotated with `x-mcp-header`: a value in the body needs its header, Base64 sentinel
/// values are decoded strictly, and the decoded value must equal the body's (numbers numerically).
/// Returns the -32020 error response, or nullopt.
std::optional<bj::value> check_modern_params(const bj::value& message, const ModernHeaders& headers,
                                             const mcp::Registry& registry);

}  // namespace azsql::transport::http
