#include "tools/row_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/base64.hpp"
#include "common/hex.hpp"
#include "common/utf8.hpp"

namespace azsql::tools {

namespace bj = boost::json;

namespace {

bool is_plain_ascii(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return false;
  }
  return true;
}

void append_int(std::int64_t n, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, r.ptr);
}

bool safe_integer(std::int64_t n) noexcept { return n <= kMaxSafeJsonInteger && n >= -kMaxSafeJsonInteger; }

const char* non_finite_text(double d) noexcept {
  if (std::isnan(d)) return "NaN";
  return d > 0 ? "Infinity" : "-Infinity";
}

void append_escaped_valid(std::string_view s, std::string& out) {
  std::size_t run = 0;  // start of the pending unescaped run
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (u) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', hex::digit(u >> 4, hex::Case::Lower), hex::digit(u, hex::Case::Lower)};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  if (is_plain_ascii(s) || utf8::is_valid(s)) {
    append_escaped_valid(s, out);
  } else {
    append_escaped_valid(utf8::repair(s), out);
  }
  out.push_back('"');
}

void append_json(const db::Value& v, std::string& out) {
  using K = db::Value::Kind;
  switch (v.kind) {
    case K::Null: out.append("null"); return;
    case K::Bool: out.append(v.i ? "true" : "false"); return;
    case K::Int:
      if (safe_integer(v.i)) {
        append_int(v.i, out);
      } else {
        out.push_back('"');
        append_int(v.i, out);
        out.push_back('"');
      }
      return;
    case K::Float: {
      if (!std::isfinite(v.f)) {
        out.push_back('"');
        out.append(non_finite_text(v.f));
        out.push_back('"');
        return;
      }
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.f);
      out.append(buf, r.ptr);
      return;
    }
    case K::Binary:
      out.push_back('"');
      base64::append(v.s, out, base64::Alphabet::Standard, base64::Padding::Padded);
      out.push_back('"');
      return;
    case K::Decimal:
    case K::Text:
    case K::Date:
    case K::Time:
    case K::DateTime:
    case K::DateTimeOffset:
    case K::Guid: append_json_string(v.s, out); return;
  }
  out.append("null");
}

std::size_t append_json_row(const db::Row& row, std::string& out) {
  const std::size_t start = out.size();
  out.push_back('[');
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) out.push_back(',');
    append_json(row[i], out);
  }
  out.push_back(']');
  return out.size() - start;
}

bj::value to_json(const db::Value& v, const bj::storage_ptr& sp) {
  using K = db::Value::Kind;
  switch (v.kind) {
    case K::Null: return bj::value(nullptr, sp);
    case K::Bool: return bj::value(v.i != 0, sp);
    case K::Int: {
      if (safe_integer(v.i)) return bj::value(v.i, sp);
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.i);
      return bj::value(bj::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), sp);
    }
    case K::Float:
      if (!std::isfinite(v.f)) return bj::value(non_finite_text(v.f), sp);
      return bj::value(v.f, sp);
    case K::Binary: {
      std::string b64;
      b64.reserve((v.s.size() + 2) / 3 * 4);
      base64::append(v.s, b64, base64::Alphabet::Standard, base64::Padding::Padded);
      return bj::value(bj::string_view(b64), sp);
    }
    case K::Decimal:
    case K::Text:
    case K::Date:
    case K::Time:
    case K::DateTime:
    case K::DateTimeOffset:
    case K::Guid:
      if (is_plain_ascii(v.s) || utf8::is_valid(v.s)) return bj::value(bj::string_view(v.s), sp);
      return bj::value(bj::string_view(utf8::repair(v.s)), sp);
  }
  return bj::value(nullptr, sp);
}

bj::array to_json_row(const db::Row& row, const bj::storage_ptr& sp) {
  bj::array a(sp);
  a.reserve(row.size());
  for (const auto& v : row) a.push_back(to_json(v, sp));
  return a;
}

namespace {

/// A text field that must be a JSON string literal to read back unambiguously (see row_encoder.hpp).
bool needs_quotes(std::string_view s) noexcept {
  if (s.empty() || s == "NULL" || s.front() == ' ' || s.back() == ' ') return true;
  bool ascii = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == ',' || c == '"') return true;
    ascii = ascii && u < 0x80;
  }
  return !ascii && !utf8::is_valid(s);
}

/// Appends `s` bare or as a JSON string; returns how much longer its JSON string form is (see the header).
std::size_t append_text_string(std::string_view s, std::string& out) {
  if (needs_quotes(s)) {
    append_json_string(s, out);
    return 0;
  }
  out.append(s);
  return 2 + static_cast<std::size_t>(std::count(s.begin(), s.end(), '\\'));
}

}  // namespace

std::size_t append_text_field(const db::Value& v, std::string& out) {
  using K = db::Value::Kind;
  switch (v.kind) {
    case K::Null: out.append("NULL"); return 0;
    case K::Bool: out.append(v.i ? "true" : "false"); return 0;
    case K::Int: append_int(v.i, out); return safe_integer(v.i) ? 0 : 2;
    case K::Float: {
      if (!std::isfinite(v.f)) {
        out.append(non_finite_text(v.f));
        return 2;
      }
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.f);
      out.append(buf, r.ptr);
      return 0;
    }
    case K::Binary: base64::append(v.s, out, base64::Alphabet::Standard, base64::Padding::Padded); return 2;
    case K::Decimal:
    case K::Text:
    case K::Date:
    case K::Time:
    case K::DateTime:
    case K::DateTimeOffset:
    case K::Guid: return append_text_string(v.s, out);
  }
  out.append("NULL");
  return 0;
}

std::size_t append_text_row(const db::Row& row, std::string& out, std::size_t* json_size) {
  const std::size_t start = out.size();
  std::size_t extra = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) out.push_back(',');
    extra += append_text_field(row[i], out);
  }
  out.push_back('\n');
  const std::size_t n = out.size() - start;
  if (json_size) *json_size = n - 1 + 2 + extra;  // no newline; brackets; quotes and escapes
  return n;
}

void append_text_header(const std::vector<db::Column>& cols, std::string& out) {
  std::string field;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (i) out.push_back(',');
    field = cols[i].name;
    field += ':';
    field += cols[i].type.empty() ? json_type_of(cols[i].kind) : cols[i].type;
    append_text_string(field, out);
  }
  out.push_back('\n');
}

const char* json_type_of(db::Value::Kind k) noexcept {
  using K = db::Value::Kind;
  switch (k) {
    case K::Bool: return "boolean";
    case K::Int: return "integer";
    case K::Float: return "number";
    case K::Binary: return "base64";
    default: return "string";
  }
}

}  // namespace azsql::tools
