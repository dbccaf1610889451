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
#include <vector>

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

/// The text rendering of a result for the model (issue 17: the same information as the JSON rows in about
/// half the tokens). One line of `name:type` fields, then one line per row, fields separated by `,`:
///   - NULL is the bare word `NULL`; booleans `true` / `false`; integers and floats as digits (integers
///     beyond ±2^53 too; non-finite floats `NaN`, `Infinity`, `-Infinity`); binary as base64;
///   - every other value (text, decimals, dates, times, GUIDs) as its text, bare — unless it is empty, is
///     `NULL`, has leading or trailing white space, contains `,`, `"`, a control character, or is not
///     valid UTF-8: then as a JSON string literal (`"Smith, Jane"`, `"two\nlines"`, `""`, `"NULL"`).
/// A field that starts with `"` is therefore always a JSON string, a bare field is read up to the next
/// `,`, and no row spans two lines. tests/e2e/text_table.mjs parses it back.
/// Returns how many bytes longer the value's JSON form (append_json) is than the field: 2 for the quotes of
/// a bare string, base64 or out-of-range number, plus one per backslash of bare text; 0 otherwise.
std::size_t append_text_field(const db::Value& v, std::string& out);

/// Appends `row` as one text-table line (fields joined by `,`, ending in `\n`); returns the bytes appended.
/// With `json_size`, also stores the size append_json_row would produce for the row, without encoding it.
std::size_t append_text_row(const db::Row& row, std::string& out, std::size_t* json_size = nullptr);

/// Appends the header line: `name:type` per column (quoted like a text field when needed), then `\n`.
void append_text_header(const std::vector<db::Column>& cols, std::string& out);

/// The JSON type a column's values take: "integer", "number", "string", "boolean" or "base64".
/// Int columns report "integer" although single values beyond ±2^53 are strings.
const char* json_type_of(db::Value::Kind k) noexcept;

}  // namespace azsql::tools
