#pragma once
/// How a failed MCP request is told to the client. Handlers return an `RpcError` that names the
/// kind of failure (`Fault`); `map_fault()` — the only place that knows codes — turns it into the
/// JSON-RPC code and the HTTP status for the request's protocol era.
#include <boost/json.hpp>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "jsonrpc/errors.hpp"

namespace azsql::mcp {

namespace bj = boost::json;

/// The JSON-RPC codes (kept under this name for existing users: mcp::errc::kInvalidParams).
namespace errc = jsonrpc::code;

/// Why a request failed, as the protocol core classifies it.
enum class Fault {
  ParseError,          ///< the message is not JSON
  InvalidRequest,      ///< not a JSON-RPC request, or not allowed now (before initialize, in a batch)
  MethodNotFound,      ///< unknown method, or not part of the request's protocol era
  InvalidParams,       ///< params missing or malformed; unknown tool/prompt
  ResourceNotFound,    ///< resources/read of an unknown URI
  Busy,                ///< too many requests in flight, shutting down, a configured limit
  HeaderMismatch,      ///< 2026-07-28 HTTP: the Mcp-* headers disagree with the body
  MissingCapability,   ///< 2026-07-28: the client lacks a capability the call needs
  UnsupportedVersion,  ///< 2026-07-28: a protocol version this server does not speak
  Unavailable,         ///< a dependency (the database, Entra ID) failed or timed out
  Internal,            ///< a bug (an exception escaped a handler)
};

/// The protocol eras: 2024-11-05 … 2025-11-25 (initialize, sessions) and 2026-07-28 (stateless).
enum class Era { Legacy, Modern };

struct WireError {
  int code;              ///< JSON-RPC error code
  unsigned http_status;  ///< status of an HTTP response that carries only this error
};

/// The one table from a failure kind to its JSON-RPC code and HTTP status. In the 2025 revisions
/// every JSON-RPC response travels with HTTP 200; 2026-07-28 gives some errors their own status
/// (basic/transports: 404 for an unknown method, 400 for header and version errors).
WireError map_fault(Fault fault, Era era) noexcept;

/// The failure kind of a domain error (a provider's or driver's Result): bad input → InvalidParams,
/// a database/network/identity failure → Unavailable (never InvalidParams), a limit → Busy.
Fault fault_of(ErrorKind kind) noexcept;

/// A failed request as a handler reports it.
struct RpcError {
  Fault fault = Fault::Internal;
  std::string message;
  std::optional<bj::value> data;

  RpcError() = default;
  RpcError(Fault f, std::string m, std::optional<bj::value> d = std::nullopt)
      : fault(f), message(std::move(m)), data(std::move(d)) {}
  /// From a domain error: its kind decides the fault, `context` prefixes the message.
  static RpcError from(const Error& e, std::string_view context = {});

  /// The JSON-RPC error object for `era`.
  jsonrpc::ErrorObject wire(Era era) const;
};

}  // namespace azsql::mcp
