#pragma once
/// JSON-RPC 2.0 error codes (the specification's reserved range plus the MCP ones, PRODUCT.md §6)
/// and a typed error that handlers return instead of building error objects by hand.
#include <boost/json.hpp>
#include <optional>
#include <string>

namespace azsql::jsonrpc {

namespace bj = boost::json;

/// Error codes. -32768..-32000 is reserved by JSON-RPC; MCP uses part of the server range.
namespace code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerBusy = -32000;           ///< our own: too many requests in flight, shutting down
inline constexpr int kUnauthorized = -32001;         ///< our own (HTTP 401 bodies): missing or bad bearer token
inline constexpr int kResourceNotFound = -32002;     ///< MCP, 2025 revisions only (2026-07-28 uses -32602)
inline constexpr int kHeaderMismatch = -32020;       ///< MCP 2026-07-28 Streamable HTTP
inline constexpr int kMissingClientCapability = -32021;  ///< MCP 2026-07-28
inline constexpr int kUnsupportedProtocolVersion = -32022;  ///< MCP 2026-07-28
}  // namespace code

/// A JSON-RPC error object as a value (code, message, optional data).
struct ErrorObject {
  int code = code::kInternalError;
  std::string message;
  std::optional<bj::value> data;
};

/// The error response for request `id`.
bj::object make_error(const bj::value& id, const ErrorObject& e);

}  // namespace azsql::jsonrpc
