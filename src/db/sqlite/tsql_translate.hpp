#pragma once
/// T-SQL on the embedded SQLite database: rewrites the T-SQL that models (and the product description)
/// write into SQLite SQL. Pure, never throws, linear in the input apart from bounded recursion per
/// parenthesis level (depth is limited by the classifier to sql::kMaxNestingDepth).
///
/// Called by the tools only AFTER the statement classifier accepted the original text (in the SQLite
/// dialect, which is how SQLite itself will read it); the tools then judge the translation again with
/// the same rule. The translator reads the text with the same lexer as the classifier (sql/lexer.hpp,
/// SQLite dialect), so it sees the same tokens, strings and comments the classifier saw.
///
/// The subset (kTsqlSubset): `TOP n` / `TOP (n)` in a SELECT (also in subqueries; not with PERCENT,
/// WITH TIES or UNION), `[bracketed]` names (native in SQLite), `N'…'`, `dbo.` / `[dbo].` prefixes,
/// GETDATE() / GETUTCDATE() / SYSDATETIME() / SYSUTCDATETIME(), ISNULL, LEN, CHARINDEX, CONCAT,
/// NEWID(), COUNT_BIG, DATEADD / DATEDIFF / DATEPART (year, quarter, month, day, week (DATEADD), hour,
/// minute, second), YEAR / MONTH / DAY, `OFFSET n ROWS [FETCH NEXT m ROWS ONLY]`, CAST / TRY_CAST /
/// CONVERT(type, x) to T-SQL types (NVARCHAR(n), NVARCHAR(MAX), DECIMAL(p,s), DATETIME2, BIT, …),
/// `WITH (NOLOCK)`, and the catalog views sys.tables, sys.views, sys.objects, sys.columns, sys.schemas,
/// INFORMATION_SCHEMA.TABLES and INFORMATION_SCHEMA.COLUMNS. Plain SQLite text comes back unchanged.
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace azsql::db::sqlite {

/// One line naming the T-SQL the embedded database accepts (errors, tool descriptions, database_info).
extern const char* const kTsqlSubset;

/// The SQLite text for `sql`. Byte-identical when nothing needed translating (or the text does not
/// lex: the classifier has refused it already). ErrorKind::InvalidInput when the statement uses T-SQL
/// beyond the subset (CROSS APPLY, PIVOT, FOR XML, FORMAT(), TOP … PERCENT, a sys.* view not
/// emulated, …): the message names the construct and the subset. Thread-safe.
Result<std::string> translate_tsql(std::string_view sql);

}  // namespace azsql::db::sqlite
