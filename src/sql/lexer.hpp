#pragma once
/// Tokenizer shared by the statement classifier (T-SQL and SQLite). Internal to the sql module
/// but public so tests and the fuzz target can check it. Pure, never throws, linear time.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/dialect.hpp"

namespace azsql::sql {

/// What a token is. Comments and whitespace produce no tokens.
enum class TokenKind {
  Word,         ///< unquoted identifier or keyword (T-SQL `#tmp`, `$action` included)
  QuotedIdent,  ///< `[a]`, `"a"`, SQLite `` `a` ``
  String,       ///< `'...'` (an `N`/`X` prefix is a separate Word token)
  Number,       ///< 12, 1.5e3, 0x1F, T-SQL money `$1.50`
  Variable,     ///< T-SQL `@x` / `@@x`; SQLite `?`, `?12`, `:x`, `@x`, `$x`, `#x`
  LParen,
  RParen,
  Semicolon,
  Dot,
  Comma,
  Punct,        ///< any other single character (operators)
};

/// One token: a byte range [begin, end) of the input.
struct Token {
  TokenKind kind = TokenKind::Punct;
  std::size_t begin = 0;
  std::size_t end = 0;
};

/// The tokens of an input, or the first lexing problem.
struct LexResult {
  std::vector<Token> tokens;
  std::string error_rule;     ///< empty when lexing succeeded; "lex_error" or "unusual_whitespace"
  std::string error;          ///< what is wrong and what to change, for a model
  std::size_t error_offset = 0;
};

/// How lex() reads text.
struct LexOptions {
  /// Never refuse: text the engine has already accepted (SQLite's stored CREATE TABLE/INDEX text,
  /// a statement tail) is read the way SQLite reads it instead. Unterminated strings, quoted names
  /// and block comments run to the end of the input; bytes >= 0x80 (valid UTF-8 or not, unusual
  /// spaces and look-alikes included) are name characters; vertical tab and form feed are
  /// whitespace; other control characters are Punct tokens; a number glued to a word is two tokens.
  /// error_rule stays empty. For reading schema text, never for deciding whether to run a statement.
  bool lenient = false;
  /// Stop after this many tokens (the rest of the input is not read, so its errors are not seen).
  std::size_t max_tokens = static_cast<std::size_t>(-1);
};

/// Splits `sql` into tokens for `dialect`. Refuses (error_rule set) unterminated strings, comments and
/// quoted identifiers, NUL/control characters, a number glued to a word (`1DELETE`), T-SQL backticks,
/// unusual whitespace or invisible format characters outside strings and comments (vertical tab,
/// form feed, NBSP, U+2028, zero-width and bidi controls, BOM) and look-alikes of quotes, brackets
/// and semicolons outside strings: the server might split tokens or end a `--` comment where we
/// would not. Invalid UTF-8 anywhere is refused (a lenient decoder could turn an overlong sequence
/// into a quote). Thread-safe (no shared state).
LexResult lex(std::string_view sql, Dialect dialect, const LexOptions& options = {});

/// Position of the first token at or after `pos` (whitespace and comments skipped; also `;` when
/// `semicolons`), read leniently; sql.size() when none is left.
std::size_t next_token_at(std::string_view sql, std::size_t pos, Dialect dialect, bool semicolons);

/// The text of a quoted identifier token without its quotes, escapes undone. A single-quoted
/// string token is unquoted the same way (SQLite accepts 'name' where a name is expected).
std::string unquote_identifier(std::string_view token_text, Dialect dialect);

}  // namespace azsql::sql
