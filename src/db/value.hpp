#pragma once
/// Typed values as drivers produce them and as tools render them to JSON
/// (PRODUCT.md §4, "Result values in JSON").
#include <cstdint>
#include <string>
#include <vector>

namespace azsql::db {

/// A single SQL value. Temporal values, decimals and GUIDs are carried as their canonical
/// text (ISO 8601, exact decimal digits, lowercase GUID) so no precision is lost on the way to JSON.
struct Value {
  enum class Kind : std::uint8_t {
    Null,
    Bool,
    Int,             ///< i
    Float,           ///< f
    Decimal,         ///< s: exact decimal text, e.g. "-12.3400"
    Text,            ///< s: UTF-8
    Binary,          ///< s: raw bytes
    Date,            ///< s: "YYYY-MM-DD"
    Time,            ///< s: "hh:mm:ss[.fffffff]"
    DateTime,        ///< s: "YYYY-MM-DDThh:mm:ss[.fffffff]"
    DateTimeOffset,  ///< s: "YYYY-MM-DDThh:mm:ss[.fffffff]+hh:mm"
    Guid,            ///< s: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  };

  Kind kind = Kind::Null;
  std::int64_t i = 0;
  double f = 0.0;
  std::string s;

  static Value null() { return {}; }
  static Value boolean(bool b) { Value v; v.kind = Kind::Bool; v.i = b ? 1 : 0; return v; }
  static Value integer(std::int64_t n) { Value v; v.kind = Kind::Int; v.i = n; return v; }
  static Value real(double d) { Value v; v.kind = Kind::Float; v.f = d; return v; }
  static Value of(Kind k, std::string text) { Value v; v.kind = k; v.s = std::move(text); return v; }
  static Value text(std::string t) { return of(Kind::Text, std::move(t)); }
  static Value binary(std::string bytes) { return of(Kind::Binary, std::move(bytes)); }

  bool is_null() const noexcept { return kind == Kind::Null; }
};

const char* to_string(Value::Kind k) noexcept;

/// One column of a result set.
struct Column {
  std::string name;
  std::string type;  ///< the server's type name with length/precision, e.g. "nvarchar(50)", "INTEGER"
  Value::Kind kind = Value::Kind::Text;  ///< how values of this column are represented
  bool nullable = true;
};

using Row = std::vector<Value>;

/// A statement parameter. Named parameters (`@id`, `:id`) carry a name; positional ones (`?`) do not.
struct Param {
  std::string name;
  Value value;
};
using Params = std::vector<Param>;

}  // namespace azsql::db
