#pragma once

namespace azsql {

/// The SQL dialect a backend speaks; decides lexing rules, quoting and catalog queries.
enum class Dialect { SQLite, TSql };

inline const char* to_string(Dialect d) noexcept { return d == Dialect::SQLite ? "sqlite" : "tsql"; }

}  // namespace azsql
