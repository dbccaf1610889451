#pragma once
/// gzip for large HTTP responses (MCP_ENABLE_COMPRESSION). Pure, zlib; thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace azsql::transport::http {

/// True when an `Accept-Encoding` value accepts gzip (q > 0).
bool accepts_gzip(std::string_view accept_encoding);

/// gzip-compresses `data`; nullopt if zlib fails.
std::optional<std::string> gzip_compress(std::string_view data, int level = 6);

/// Inflates a gzip stream, refusing output larger than `max_out` (for tests).
std::optional<std::string> gzip_decompress(std::string_view data, std::size_t max_out = 64u << 20);

}  // namespace azsql::transport::http
