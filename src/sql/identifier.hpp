#pragma once
/// Identifier parsing and quoting. Identifiers from the model are never spliced into SQL
/// unquoted: they go through quote_identifier() or travel as parameters.
#include <optional>
#include <string>
#include <string_view>

#include "common/dialect.hpp"

namespace azsql::sql {

struct ParsedName {
  std::string schema;  ///< empty when not given
  std::string name;
};

/// Parses `name`, `schema.name`, `[schema].[name]`, `"schema"."name"` (and mixes; T-SQL
/// `[a]]b]` escapes; SQLite also `` `a` ``, and `[a]` without escapes). Surrounding ASCII whitespace
/// is ignored. nullopt for empty or malformed input, more than two parts, invalid UTF-8, control
/// characters, or a T-SQL part longer than 128 characters.
std::optional<ParsedName> parse_qualified_name(std::string_view text, Dialect dialect);

/// `[na]]me]` (T-SQL) or `"na""me"` (SQLite).
std::string quote_identifier(std::string_view name, Dialect dialect);

}  // namespace azsql::sql
