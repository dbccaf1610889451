#pragma once
/// A small JSON Schema validator for the subset our tool input schemas use: type (incl. arrays
/// of types), properties, required, additionalProperties (bool or schema), enum, const,
/// minimum/maximum, minLength/maxLength, items, minItems/maxItems, anyOf/oneOf.
#include <boost/json.hpp>
#include <string>

namespace azsql::mcp {

/// Returns an empty string when `value` satisfies `schema`, else the first violation as a
/// sentence naming the path, e.g. "arguments.limit must be an integer".
std::string validate_schema(const boost::json::value& value, const boost::json::object& schema,
                            const std::string& path = "arguments");

}  // namespace azsql::mcp
