#include "sql/lexer.hpp"

#include <algorithm>
#include <cstdio>

#include "common/hex.hpp"
#include "common/utf8.hpp"

namespace azsql::sql {
namespace {

bool is_ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/// Length of an unusual whitespace / invisible format character (UTF-8) at `i`, 0 if none.
/// Covers NEL, NBSP, soft hyphen, U+1680, U+180E, U+2000–U+200F, U+2028–U+202F, U+205F–U+206F,
/// U+3000 and U+FEFF.
std::size_t odd_space_len(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  const unsigned b0 = at(0), b1 = at(1), b2 = at(2);
  if (b0 == 0xC2 && (b1 == 0x85 || b1 == 0xA0 || b1 == 0xAD)) return 2;
  if (b0 == 0xE1 && b1 == 0x9A && b2 == 0x80) return 3;
  if (b0 == 0xE1 && b1 == 0xA0 && b2 == 0x8E) return 3;
  if (b0 == 0xE2 && b1 == 0x80 && ((b2 >= 0x80 && b2 <= 0x8F) || (b2 >= 0xA8 && b2 <= 0xAF))) return 3;
  if (b0 == 0xE2 && b1 == 0x81 && b2 >= 0x9F && b2 <= 0xAF) return 3;
  if (b0 == 0xE3 && b1 == 0x80 && b2 == 0x80) return 3;
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return 3;
  return 0;
}

/// A line break other than LF / CRLF (lone CR, VT, FF, NEL, U+2028, U+2029): one engine may end a
/// `--` comment there and another not, so such a character inside a line comment is refused.
std::size_t odd_line_break_len(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == '\r') return (i + 1 < s.size() && s[i + 1] == '\n') ? 0 : 1;
  if (c == '\v' || c == '\f') return 1;
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) return 2;
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
    const auto b2 = static_cast<unsigned char>(s[i + 2]);
    if (b2 == 0xA8 || b2 == 0xA9) return 3;
  }
  return 0;
}

/// The code point of the (valid) UTF-8 sequence at `i`.
unsigned decode_at(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) & 0x3Fu : 0u; };
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return b0;
  if (b0 < 0xC0) return 0;  // a continuation byte: not the start of a character
  if (b0 < 0xE0) return ((b0 & 0x1Fu) << 6) | b(1);
  if (b0 < 0xF0) return ((b0 & 0x0Fu) << 12) | (b(1) << 6) | b(2);
  return ((b0 & 0x07u) << 18) | (b(1) << 12) | (b(2) << 6) | b(3);
}

std::string code_point_label(std::string_view s, std::size_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", decode_at(s, i));
  return buf;
}

/// `before` + "U+XXXX" + `after`, built by appending (GCC 12 -Wrestrict misfires on operator+ chains).
std::string about_char(const char* before, std::string_view s, std::size_t i, const char* after) {
  std::string m(before);
  m.append(code_point_label(s, i));
  m.append(after);
  return m;
}

/// Length of a look-alike of a quote, bracket, parenthesis or semicolon (UTF-8) at `i`, 0 if none:
/// modifier-letter primes and apostrophes U+02B9–U+02BC, U+02C8, Greek question mark U+037E, Arabic
/// semicolon U+061B, curly quotes U+2018–U+201F, primes U+2032–U+2037, U+204F, small form variants
/// U+FE50–U+FE6B (except the small dollar, a currency sign), fullwidth punctuation U+FF01–U+FF0F,
/// U+FF1A–U+FF20, U+FF3B–U+FF40, U+FF5B–U+FF5E. Outside strings they are syntax errors at best;
/// refusing them costs nothing and rules out an engine that folds them into ASCII punctuation.
std::size_t lookalike_len(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0xC0) return 0;
  const unsigned cp = decode_at(s, i);
  const bool hit = (cp >= 0x2B9 && cp <= 0x2BC) || cp == 0x2C8 || cp == 0x37E || cp == 0x61B ||
                   (cp >= 0x2018 && cp <= 0x201F) || (cp >= 0x2032 && cp <= 0x2037) || cp == 0x204F ||
                   (cp >= 0xFE50 && cp <= 0xFE6B && cp != 0xFE69) || (cp >= 0xFF01 && cp <= 0xFF0F && cp != 0xFF04) ||
                   (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF5E);
  if (!hit) return 0;
  return b0 < 0xE0 ? 2 : (b0 < 0xF0 ? 3 : 4);
}

/// Unicode currency symbols (category Sc, besides '$'). SQL Server reads them as money literals
/// (`SELECT €` is money 0), so outside strings they could end a word we take for one name.
bool is_currency(unsigned cp) {
  return (cp >= 0xA2 && cp <= 0xA5) || cp == 0x58F || cp == 0x60B || cp == 0x7FE || cp == 0x7FF ||
         cp == 0x9F2 || cp == 0x9F3 || cp == 0x9FB || cp == 0xAF1 || cp == 0xBF9 || cp == 0xE3F ||
         cp == 0x17DB || (cp >= 0x20A0 && cp <= 0x20CF) || cp == 0xA838 || cp == 0xFDFC || cp == 0xFE69 ||
         cp == 0xFF04 || cp == 0xFFE0 || cp == 0xFFE1 || cp == 0xFFE5 || cp == 0xFFE6 || cp == 0x1E2FF ||
         cp == 0x1ECB0;
}

/// T-SQL pseudo-columns spelled with a leading '$'.
bool known_pseudo_column(std::string_view w) {
  static constexpr std::string_view kNames[] = {"$action", "$identity", "$rowguid", "$node_id", "$edge_id",
                                                "$from_id", "$to_id", "$partition", "$graph_id"};
  for (const std::string_view n : kNames) {
    if (n.size() != w.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < n.size() && same; ++k) {
      char ch = w[k];
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      same = ch == n[k];
    }
    if (same) return true;
  }
  return false;
}

class Lexer {
 public:
  Lexer(std::string_view s, Dialect d, const LexOptions& o)
      : s_(s), tsql_(d == Dialect::TSql), lenient_(o.lenient), max_tokens_(o.max_tokens) {}

  LexResult run() {
    LexResult r;
    // A lenient decoder on the way to the server could read an overlong sequence as a quote
    // that we never saw, so invalid UTF-8 anywhere is refused.
    if (const std::size_t bad = lenient_ ? std::string_view::npos : utf8::first_invalid(s_);
        bad != std::string_view::npos) {
      fail(r, "lex_error", bad, "invalid UTF-8; send the statement as UTF-8 text");
      return r;
    }
    r.tokens.reserve(std::min(s_.size() / 4 + 4, max_tokens_));
    std::size_t i = 0;
    const std::size_t n = s_.size();
    while (i < n && r.error_rule.empty() && r.tokens.size() < max_tokens_) {
      const auto c = static_cast<unsigned char>(s_[i]);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if ((c == '\v' || c == '\f') && lenient_) {
        ++i;  // whitespace to SQLite
      } else if ((c < 0x20 || c == 0x7F) && lenient_) {
        r.tokens.push_back({TokenKind::Punct, i, i + 1});
        ++i;
      } else if (c == '\v' || c == '\f') {
        fail(r, "unusual_whitespace", i,
             std::string("a ") + (c == '\v' ? "vertical tab" : "form feed") +
                 " outside a string; use plain spaces and newlines");
      } else if (c < 0x20 || c == 0x7F) {
        fail(r, "lex_error", i, "a control character outside a string; remove it");
      } else if (!lenient_ && c >= 0x80 && odd_space_len(s_, i) != 0) {
        fail(r, "unusual_whitespace", i,
             about_char("the invisible or unusual whitespace character ", s_, i, " outside a string; replace it with a plain space"));
      } else if (!lenient_ && tsql_ && c >= 0x80 && is_currency(decode_at(s_, i))) {
        fail(r, "lex_error", i,
             about_char("the currency sign ", s_, i, " outside a string (SQL Server reads it as a money literal); quote the name or remove it"));
      } else if (!lenient_ && c >= 0x80 && lookalike_len(s_, i) != 0) {
        fail(r, "lex_error", i,
             about_char("the character ", s_, i, " looks like a quote, bracket or semicolon; outside strings use the ASCII character"));
      } else if (c == '-' && i + 1 < n && s_[i + 1] == '-') {
        i = line_comment(r, i);
      } else if (c == '/' && i + 1 < n && s_[i + 1] == '*') {
        i = block_comment(r, i);
      } else if (c == '\'') {
        i = quoted(r, i, '\'', '\'', TokenKind::String, "string literal");
      } else if (c == '"') {
        i = quoted(r, i, '"', '"', TokenKind::QuotedIdent, "double-quoted identifier");
      } else if (c == '[') {
        // T-SQL escapes ']' as ']]'; SQLite ends the name at the first ']'.
        i = quoted(r, i, '[', tsql_ ? ']' : '\0', TokenKind::QuotedIdent, "bracketed identifier");
      } else if (c == '`') {
        if (tsql_ && !lenient_) {
          fail(r, "lex_error", i, "T-SQL has no backtick quoting; use [brackets] for identifiers");
        } else {
          i = quoted(r, i, '`', '`', TokenKind::QuotedIdent, "backtick identifier");
        }
      } else if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(static_cast<unsigned char>(s_[i + 1])))) {
        i = number(r, i, i);
      } else if (tsql_ && c == '$' && i + 1 < n &&
                 (is_digit(static_cast<unsigned char>(s_[i + 1])) || s_[i + 1] == '.')) {
        i = number(r, i, i + 1);  // money literal
      } else if (c == '@' || (!tsql_ && (c == ':' || c == '$' || c == '#'))) {
        std::size_t j = i + 1;
        if (tsql_ && j < n && s_[j] == '@') ++j;
        const std::size_t name_begin = j;
        j = ident_tail(j);
        if (j == name_begin) {
          r.tokens.push_back({TokenKind::Punct, i, i + 1});
          ++i;
        } else {
          r.tokens.push_back({TokenKind::Variable, i, j});
          i = j;
        }
      } else if (!tsql_ && c == '?') {
        std::size_t j = i + 1;
        while (j < n && is_digit(static_cast<unsigned char>(s_[j]))) ++j;
        r.tokens.push_back({TokenKind::Variable, i, j});
        i = j;
      } else if (is_ascii_letter(c) || c == '_' || c >= 0x80 || (tsql_ && (c == '#' || c == '$'))) {
        const std::size_t j = ident_tail(i + 1);
        if (c == '$' && j == i + 1) {  // a bare '$' (money 0); what follows is lexed on its own
          odd_found_ = false;
          r.tokens.push_back({TokenKind::Punct, i, j});
          i = j;
          continue;
        }
        if (c == '$' && !lenient_ && !odd_found_ && !known_pseudo_column(s_.substr(i, j - i))) {
          // SQL Server reads a bare `$` as the money literal 0: `$DELETE` might be `$` then DELETE.
          fail(r, "lex_error", i,
               "'" + std::string(s_.substr(i, j - i)) +
                   "' is not a known $ pseudo-column ($action, $identity, $rowguid, ...); put a space after $");
          i = j;
          continue;
        }
        if (r.error_rule.empty()) r.tokens.push_back({TokenKind::Word, i, j});
        i = j;
        if (odd_found_) {
          if (tsql_ && is_currency(decode_at(s_, odd_at_))) {
            fail(r, "lex_error", odd_at_,
                 about_char("the currency sign ", s_, odd_at_, " inside a name (SQL Server reads it as a money literal); quote the name"));
          } else if (lookalike_len(s_, odd_at_) != 0) {
            fail(r, "lex_error", odd_at_,
                 about_char("the character ", s_, odd_at_, " looks like a quote, bracket or semicolon; outside strings use the ASCII character"));
          } else {
            fail(r, "unusual_whitespace", odd_at_,
                 about_char("the invisible or unusual whitespace character ", s_, odd_at_, " inside a name; replace it with a plain space or quote the name"));
          }
        }
      } else {
        TokenKind k = TokenKind::Punct;
        if (c == '(') k = TokenKind::LParen;
        else if (c == ')') k = TokenKind::RParen;
        else if (c == ';') k = TokenKind::Semicolon;
        else if (c == '.') k = TokenKind::Dot;
        else if (c == ',') k = TokenKind::Comma;
        r.tokens.push_back({k, i, i + 1});
        ++i;
      }
    }
    if (!r.error_rule.empty()) r.tokens.clear();
    return r;
  }

 private:
  bool ident_char(std::size_t j) const {
    const auto c = static_cast<unsigned char>(s_[j]);
    if (is_ascii_letter(c) || is_digit(c) || c == '_' || c == '$') return true;
    if (c >= 0x80) return true;
    return tsql_ && (c == '@' || c == '#');
  }

  /// End of an identifier's remaining characters starting at `j`; notes an odd space inside.
  std::size_t ident_tail(std::size_t j) {
    while (j < s_.size() && ident_char(j)) {
      if (!lenient_ && static_cast<unsigned char>(s_[j]) >= 0x80 &&
          (odd_space_len(s_, j) != 0 || lookalike_len(s_, j) != 0 || (tsql_ && is_currency(decode_at(s_, j))))) {
        odd_found_ = true;
        odd_at_ = j;
        return j;
      }
      ++j;
    }
    return j;
  }

  static void fail(LexResult& r, const char* rule, std::size_t at, std::string why) {
    r.error_rule = rule;
    r.error_offset = at;
    r.error = "cannot read the statement at byte " + std::to_string(at) + ": " + std::move(why);
  }

  std::size_t line_comment(LexResult& r, std::size_t i) {
    std::size_t j = i + 2;
    while (j < s_.size() && s_[j] != '\n') {
      if (s_[j] == '\0' && !lenient_) {
        fail(r, "lex_error", j, "a NUL character; remove it");
        return s_.size();
      }
      if (!lenient_ && odd_line_break_len(s_, j) != 0) {
        fail(r, "unusual_whitespace", j,
             about_char("an unusual line break (", s_, j, ") inside a -- comment; end comments with a plain newline or use /* */"));
        return s_.size();
      }
      ++j;
    }
    return j;
  }

  std::size_t block_comment(LexResult& r, std::size_t i) {
    std::size_t depth = 1;
    std::size_t j = i + 2;
    while (j < s_.size()) {
      if (s_[j] == '\0' && !lenient_) {
        fail(r, "lex_error", j, "a NUL character; remove it");
        return s_.size();
      }
      if (tsql_ && s_[j] == '/' && j + 1 < s_.size() && s_[j + 1] == '*') {
        ++depth;  // T-SQL block comments nest
        j += 2;
      } else if (s_[j] == '*' && j + 1 < s_.size() && s_[j + 1] == '/') {
        j += 2;
        if (--depth == 0) return j;
      } else {
        ++j;
      }
    }
    if (lenient_) return s_.size();  // SQLite: a comment may run to the end of the input
    fail(r, "lex_error", i,
         tsql_ ? "unterminated /* comment (T-SQL comments nest: every /* needs its own */)"
               : "unterminated /* comment; close it with */");
    return s_.size();
  }

  /// Quoted token from `open` to `close`; a doubled `close` is an escape unless close_escape is '\0'.
  std::size_t quoted(LexResult& r, std::size_t i, char open, char close_escape, TokenKind kind,
                     const char* what) {
    const char close = open == '[' ? ']' : open;
    std::size_t j = i + 1;
    while (j < s_.size()) {
      if (s_[j] == '\0' && !lenient_) {
        fail(r, "lex_error", j, "a NUL character; remove it");
        return s_.size();
      }
      if (s_[j] == close) {
        if (close_escape != '\0' && j + 1 < s_.size() && s_[j + 1] == close_escape) {
          j += 2;
          continue;
        }
        r.tokens.push_back({kind, i, j + 1});
        return j + 1;
      }
      ++j;
    }
    if (lenient_) {
      r.tokens.push_back({kind, i, s_.size()});
      return s_.size();
    }
    fail(r, "lex_error", i, std::string("unterminated ") + what + "; close it (double the quote to escape it)");
    return s_.size();
  }

  std::size_t number(LexResult& r, std::size_t start, std::size_t i) {
    const std::size_t n = s_.size();
    std::size_t j = i;
    const auto dig = [&](std::size_t k) { return k < n && is_digit(static_cast<unsigned char>(s_[k])); };
    if (s_[j] == '0' && j + 1 < n && (s_[j + 1] == 'x' || s_[j + 1] == 'X')) {
      j += 2;
      while (j < n && hex::digit_value(s_[j]) >= 0) ++j;
      if (!tsql_ && j == i + 2) j = i + 1;  // SQLite needs a digit after 0x; let the glue check refuse
    } else {
      while (dig(j)) ++j;
      if (j < n && s_[j] == '.') {
        ++j;
        while (dig(j)) ++j;
      }
      if (j < n && (s_[j] == 'e' || s_[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < n && (s_[k] == '+' || s_[k] == '-')) ++k;
        if (dig(k)) {
          j = k;
          while (dig(j)) ++j;
        }
      }
    }
    if (!lenient_ && j < n && ident_char(j) && odd_space_len(s_, j) == 0 && lookalike_len(s_, j) == 0) {
      fail(r, "lex_error", start,
           "a number directly followed by a letter; put a space between a number and the next word");
      return n;
    }
    r.tokens.push_back({TokenKind::Number, start, j});
    return j;
  }

  std::string_view s_;
  bool tsql_;
  bool lenient_;
  std::size_t max_tokens_;
  bool odd_found_ = false;
  std::size_t odd_at_ = 0;
};

}  // namespace

LexResult lex(std::string_view sql, Dialect dialect, const LexOptions& options) {
  return Lexer(sql, dialect, options).run();
}

std::size_t next_token_at(std::string_view sql, std::size_t pos, Dialect dialect, bool semicolons) {
  const LexOptions one{.lenient = true, .max_tokens = 1};
  while (pos < sql.size()) {
    const LexResult r = lex(sql.substr(pos), dialect, one);
    if (r.tokens.empty()) break;
    const Token& t = r.tokens.front();
    if (!semicolons || t.kind != TokenKind::Semicolon) return pos + t.begin;
    pos += t.end;
  }
  return sql.size();
}

std::string unquote_identifier(std::string_view t, Dialect dialect) {
  if (t.size() < 2) return std::string(t);
  const char open = t.front();
  char close = open;
  if (open == '[') close = ']';
  else if (open != '"' && open != '`' && open != '\'') return std::string(t);
  const bool escapes = open != '[' || dialect == Dialect::TSql;
  std::string out;
  out.reserve(t.size());
  for (std::size_t i = 1; i + 1 < t.size(); ++i) {
    out.push_back(t[i]);
    if (escapes && t[i] == close && i + 2 < t.size() && t[i + 1] == close) ++i;
  }
  return out;
}

}  // namespace azsql::sql
