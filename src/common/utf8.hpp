#pragma once
/// UTF-8 validation and repair (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above
/// U+10FFFF). Pure and thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace azsql::utf8 {

/// Length (1–4) of the valid UTF-8 sequence starting at s[i], or 0 if none starts there.
/// Precondition: i < s.size().
std::size_t sequence_length(std::string_view s, std::size_t i) noexcept;
/// Offset of the first byte that does not begin a valid sequence, or std::string_view::npos.
std::size_t first_invalid(std::string_view s) noexcept;
/// True when all of `s` is valid UTF-8.
bool is_valid(std::string_view s) noexcept;
/// `s` with every byte that does not begin a valid sequence replaced by U+FFFD.
std::string repair(std::string_view s);

}  // namespace azsql::utf8
