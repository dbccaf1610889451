#pragma once
/// TEMPORARY: the two text helpers of the 2026-07-28 HTTP header checks, moved here from server.cpp
/// unchanged until the shared ones in src/common (issue 11: base64 with explicit variants,
/// case-insensitive compare) land; then transport/http uses those and this file goes. (base64url
/// and hex of the signed requestState come from common/signed_token.)
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace azsql::mcp {

/// Strict standard Base64 (RFC 4648 §4, padding required); nullopt on any deviation.
std::optional<std::string> base64_decode_strict(std::string_view in);
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace azsql::mcp
