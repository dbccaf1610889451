#pragma once
/// Small helpers over Boost.JSON used across modules.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace azsql::json {

namespace bj = boost::json;

/// The string member `key` of `o`, or nullopt when absent or not a string.
std::optional<std::string_view> get_string(const bj::object& o, std::string_view key);
/// The integer member `key` (accepts integral doubles), or nullopt.
std::optional<std::int64_t> get_int(const bj::object& o, std::string_view key);
std::optional<bool> get_bool(const bj::object& o, std::string_view key);
const bj::object* get_object(const bj::object& o, std::string_view key);
const bj::array* get_array(const bj::object& o, std::string_view key);

/// Serializes compactly (one line, no trailing newline).
std::string dump(const bj::value& v);

}  // namespace azsql::json
