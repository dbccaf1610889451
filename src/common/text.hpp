#pragma once
/// ASCII text helpers shared by every module: case folding, case-insensitive comparison,
/// whitespace trimming and URL percent-encoding. Locale-independent: only A–Z/a–z fold, bytes
/// >= 0x80 (UTF-8) are left alone. All functions are pure and thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace azsql::text {

/// `c` lower-cased if it is an ASCII capital letter, unchanged otherwise.
constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
/// `c` upper-cased if it is an ASCII small letter, unchanged otherwise.
constexpr char to_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

/// A copy of `s` with ASCII letters lower-cased.
std::string to_lower(std::string_view s);
/// A copy of `s` with ASCII letters upper-cased.
std::string to_upper(std::string_view s);

/// True when `a` and `b` are equal ignoring ASCII letter case.
bool iequals(std::string_view a, std::string_view b) noexcept;
/// True when `s` begins with `prefix`, ignoring ASCII letter case.
bool istarts_with(std::string_view s, std::string_view prefix) noexcept;
/// Three-way comparison ignoring ASCII letter case: <0, 0, >0 as in std::string_view::compare.
int icompare(std::string_view a, std::string_view b) noexcept;
/// True when `needle` occurs in `s`, ignoring ASCII letter case (an empty needle always does).
bool icontains(std::string_view s, std::string_view needle) noexcept;
/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring ASCII
/// letter case. Inputs longer than 256 bytes give max(size) without comparing.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// True for the ASCII whitespace characters space, \t, \n, \v, \f, \r.
constexpr bool is_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }
/// `s` without leading and trailing ASCII whitespace (is_space); a view into `s`.
std::string_view trim(std::string_view s) noexcept;

/// RFC 3986 §2.1 percent-encoding: every byte except the unreserved set (ALPHA DIGIT - . _ ~)
/// becomes %XX with upper-case hex digits.
std::string percent_encode(std::string_view s);
/// Inverse of percent_encode: %XX (either case) decoded, other bytes copied; nullopt when a
/// '%' is not followed by two hex digits. '+' is not treated as a space.
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace azsql::text
