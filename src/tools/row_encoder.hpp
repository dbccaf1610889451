#pragma once
/// Row → JSON encoding for query results (PRODUCT.md §4 "Result values in JSON"):
/// integers as numbers (beyond ±2^53 as strings), decimals as exact strings, floats as numbers
/// (non-finite as the strings "NaN" / "Infinity" / "-Infinity"), bit as booleans, temporal values and
/// GUIDs as their ISO 8601 / canonical text, binary as base64, NULL as null. Text that is not valid
/// UTF-8 is repaired with U+FFFD so the output is always valid JSON.
///
/// Two targets with identical output: JSON text appended to a caller-owned buffer (no allocation once
/// the buffer has grown) and Boost.JSON values allocated from a caller-chosen storage.
/// All functions are pure and thread-safe.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "db/value.hpp"

namespace azsql::tools {

/// Largest integer a JSON number carries exactly in an IEEE double (2^53).
inline constexpr std::int64_t kMaxSafeJsonInteger = std::int64_t{1} << 53;

/// Appends `v` as JSON text to `out`.
void append_json(const db::Value& v, std::string& out);

/// Appends `row` as a JSON array (`[1,"a",null]`) to `out`; returns the number of bytes appended.
std::size_t append_json_row(const db::Row& row, std::string& out);

/// `v` as a Boost.JSON value whose strings live in `sp`.
boost::json::value to_json(const db::Value& v, const boost::json::storage_ptr& sp = {});

/// `row` as a Boost.JSON array whose storage is `sp`.
boost::json::array to_json_row(const db::Row& row, const boost::json::storage_ptr& sp = {});

/// Appends `s` as a quoted, escaped JSON string (invalid UTF-8 repaired) to `out`.
void append_json_string(std::string_view s, std::string& out);

/// Standard base64 (RFC 4648 §4, with padding) of `bytes`, appended to `out`.
void append_base64(std::string_view bytes, std::string& out);

/// The JSON type a column's values take: "integer", "number", "string", "boolean" or "base64".
/// Int columns report "integer" although single values beyond ±2^53 are strings.
const char* json_type_of(db::Value::Kind k) noexcept;

}  // namespace azsql::tools
