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
};

/// The host part of a `Host` header value ("localhost:8000" → "localhost", "[::1]:80" → "::1"),
/// lower-cased. Empty when the value is malformed.
std::string host_of_host_header(std::string_view host_header);

/// True for "localhost", "127.0.0.0/8" literals and "::1".
bool is_loopback_host(std::string_view host);

/// A normalized origin "scheme://host[:port]" (lower case, default port dropped), or empty when
/// `origin` is not an http(s) origin.
std::string normalize_origin(std::string_view origin);

/// `Host` check: when the listener is bound to a loopback address, only loopback host names (and
/// the hosts of the allowed origins) are accepted, so a DNS name rebound to 127.0.0.1 is refused.
/// A missing Host header (HTTP/1.0) is refused. Servers bound to other addresses accept any host.
bool host_allowed(std::string_view host_header, const GuardPolicy& policy);

/// `Origin` check: absent (non-browser clients) is allowed; otherwise loopback origins and the
/// allow-list are. "null" and malformed origins are refused.
bool origin_allowed(std::string_view origin, bool origin_present, const GuardPolicy& policy);

}  // namespace azsql::transport::http
