#pragma once
/// The HTTP-level rules of the MCP endpoint that need no socket: our parser limits, content
/// negotiation, the JSON-RPC body of a POST, the protocol era a POST belongs to and the
/// 2026-07-28 headers. Pure functions over a parsed request (fuzzed by tests/fuzz/http_request_fuzz).
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "transport/http/modern_headers.hpp"

namespace azsql::transport::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;

inline constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
inline constexpr std::string_view kVersionHeader = "MCP-Protocol-Version";
inline constexpr std::string_view kLastEventHeader = "Last-Event-ID";

/// A request parser with our limits: headers beyond `max_header_bytes` fail with
/// bhttp::error::header_limit (→ 431), a body beyond `max_body_bytes` with body_limit (→ 413).
/// Beast also rejects malformed request lines, header fields and chunked framing (→ 400).
void apply_limits(bhttp::request_parser<bhttp::string_body>& parser, std::size_t max_header_bytes,
                  std::size_t max_body_bytes);

/// The media type of a Content-Type value without parameters, lower case.
std::string media_type(std::string_view v);
/// Whether an Accept header value accepts `type` ("application/json"), honouring wildcards and q=0.
bool accepts(std::string_view accept, std::string_view type);
/// A header value without surrounding optional whitespace (RFC 9110 §5.5).
std::string_view trim_ows(std::string_view v);
/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive), or nullopt.
std::optional<std::string_view> bearer_token(std::string_view authorization);
/// A protocol version this server accepts in MCP-Protocol-Version (either era).
bool supported_header_version(std::string_view v);

/// The JSON-RPC message of a POST body, or the error to answer with HTTP 400.
struct PostBody {
  bj::value message;
  int error_code = 0;  ///< -32700 (not JSON) or -32600 (not JSON-RPC); 0 = fine
  std::string error;
  bj::value error_id = nullptr;  ///< the request id, when the invalid message has a usable one
};
PostBody parse_post_body(std::string_view body);

/// Whether a POST is a 2026-07-28 request: it carries the `_meta` protocol version, or — without a
/// session — names a version in MCP-Protocol-Version or carries `_meta`, unless it is plain legacy
/// traffic (no `_meta`, a 2025-era header).
bool is_modern_post(const Request& req, const bj::value& message);

/// The 2026-07-28 headers of a request (trimmed).
ModernHeaders modern_headers_of(const Request& req);

}  // namespace azsql::transport::http
