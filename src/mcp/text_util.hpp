#pragma once
/// TEMPORARY: the MCP core's text helpers, moved here from server.cpp unchanged until the shared
/// ones in src/common (issue 11: base64 with explicit variants, hex, case-insensitive compare) land;
/// then every caller switches to those and this file goes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace azsql::mcp {

std::string hex_encode(const unsigned char* p, std::size_t n);
/// RFC 4648 §5 without padding.
std::string base64url_encode(std::string_view in);
std::optional<std::string> base64url_decode(std::string_view in);
/// Strict standard Base64 (RFC 4648 §4, padding required); nullopt on any deviation.
std::optional<std::string> base64_decode_strict(std::string_view in);
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace azsql::mcp
