#include "sql/identifier.hpp"

#include <vector>

#include "common/utf8.hpp"
#include "sql/lexer.hpp"

namespace azsql::sql {
namespace {

bool bare_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c == '#' || c == '@' || c >= 0x80;
}

/// Number of code points (UTF-8 lead bytes) in `s`.
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char ch : s) {
    if ((static_cast<unsigned char>(ch) & 0xC0u) != 0x80u) ++n;
  }
  return n;
}

bool acceptable_part(std::string_view part, Dialect dialect) {
  if (part.empty()) return false;
  for (const char ch : part) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return false;  // NUL, newlines and other control characters
  }
  // SQL Server names are at most 128 characters; SQLite has no limit, keep it sane.
  return dialect == Dialect::TSql ? code_points(part) <= 128 : part.size() <= 1024;
}

}  // namespace

std::optional<ParsedName> parse_qualified_name(std::string_view text, Dialect dialect) {
  // Surrounding ASCII whitespace is ignored; inside, only the name syntax is accepted.
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' || text.front() == '\r'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text.empty() || text.size() > 8192 || !utf8::is_valid(text)) return std::nullopt;

  std::vector<std::string> parts;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (true) {
    if (parts.size() == 2) return std::nullopt;  // a third part
    std::string part;
    if (i >= n) return std::nullopt;
    const char c = text[i];
    char close = 0;
    bool escapes = true;
    if (c == '[') {
      close = ']';
      escapes = dialect == Dialect::TSql;  // SQLite ends a [name] at the first ']'
    } else if (c == '"') {
      close = '"';
    } else if (c == '`' && dialect == Dialect::SQLite) {
      close = '`';
    }
    if (close != 0) {
      std::size_t j = i + 1;
      bool closed = false;
      while (j < n) {
        if (text[j] == close) {
          if (escapes && j + 1 < n && text[j + 1] == close) {
            part.push_back(close);
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        part.push_back(text[j]);
        ++j;
      }
      if (!closed) return std::nullopt;
      i = j;
    } else {
      std::size_t j = i;
      while (j < n && bare_char(static_cast<unsigned char>(text[j]))) ++j;
      part.assign(text.substr(i, j - i));
      i = j;
    }
    if (!acceptable_part(part, dialect)) return std::nullopt;
    parts.push_back(std::move(part));
    if (i == n) break;
    if (text[i] != '.') return std::nullopt;
    ++i;
  }
  ParsedName out;
  if (parts.size() == 1) {
    out.name = std::move(parts[0]);
  } else {
    out.schema = std::move(parts[0]);
    out.name = std::move(parts[1]);
  }
  return out;
}

std::string quote_identifier(std::string_view name, Dialect dialect) {
  const char open = dialect == Dialect::TSql ? '[' : '"';
  const char close = dialect == Dialect::TSql ? ']' : '"';
  std::string out;
  out.reserve(name.size() + 4);
  out.push_back(open);
  for (const char c : name) {
    out.push_back(c);
    if (c == close) out.push_back(close);
  }
  out.push_back(close);
  return out;
}

}  // namespace azsql::sql
