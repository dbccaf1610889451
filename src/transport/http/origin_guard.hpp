#pragma once
/// DNS-rebinding protection for the Streamable HTTP transport (MCP 2025-11-25, basic/transports,
/// "Security Warning"): the `Host` and `Origin` request headers are checked before anything else.
/// Pure functions, no I/O; thread-safe.
#include <string>
#include <string_view>
#include <vector>

namespace azsql::transport::http {

/// What the guard allows.
struct GuardPolicy {
  std::string bind_host = "127.0.0.1";       ///< the address the listener is bound to
  std::vector<std::string> allowed_origins;  ///< exact origins ("https://app.example.com"); "*" = any
  std::vector<std::string> allowed_hosts;    ///< extra `Host` names ("mcp.example.com"); "*" = any
};

/// The host part of a `Host` header value ("localhost:8000" → "localhost", "[::1]:80" → "::1"),
/// lower-cased. Empty when the value is malformed.
std::string host_of_host_header(std::string_view host_header);

/// True for "localhost", "127.0.0.0/8" literals and "::1".
bool is_loopback_host(std::string_view host);

/// A normalized origin "scheme://host[:port]" (lower case, default port dropped), or empty when
/// `origin` is not an http(s) origin.
std::string normalize_origin(std::string_view origin);

/// True when `host` is an IPv4 dotted quad or an IPv6 literal (no brackets).
bool is_ip_literal(std::string_view host);

/// `Host` check against DNS rebinding. Accepted: loopback names, the names in `allowed_hosts` ("*"
/// accepts any), and the hosts of the allowed origins. When the listener is bound to a non-loopback
/// address (a container on 0.0.0.0) IP-literal hosts are accepted too: a rebinding attack needs a
/// DNS name, and probes and port-published clients address the server by IP. Any other DNS name is
/// refused, so a name rebound to the server's address is refused on every bind. A missing or
/// malformed Host header (HTTP/1.0) is refused.
bool host_allowed(std::string_view host_header, const GuardPolicy& policy);

/// `Origin` check: absent (non-browser clients) is allowed; otherwise loopback origins and the
/// allow-list are. "null" and malformed origins are refused.
bool origin_allowed(std::string_view origin, bool origin_present, const GuardPolicy& policy);

}  // namespace azsql::transport::http
