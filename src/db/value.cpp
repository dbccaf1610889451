#include "db/value.hpp"

namespace azsql::db {

const char* to_string(Value::Kind k) noexcept {
  switch (k) {
    case Value::Kind::Null: return "null";
    case Value::Kind::Bool: return "bool";
    case Value::Kind::Int: return "int";
    case Value::Kind::Float: return "float";
    case Value::Kind::Decimal: return "decimal";
    case Value::Kind::Text: return "text";
    case Value::Kind::Binary: return "binary";
    case Value::Kind::Date: return "date";
    case Value::Kind::Time: return "time";
    case Value::Kind::DateTime: return "datetime";
    case Value::Kind::DateTimeOffset: return "datetimeoffset";
    case Value::Kind::Guid: return "guid";
  }
  return "text";
}

}  // namespace azsql::db
