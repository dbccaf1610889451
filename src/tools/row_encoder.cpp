#include "tools/row_encoder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace azsql::tools {

namespace bj = boost::json;

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (RFC 3629: no
/// overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_seq_len(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t left = s.size() - i;
  auto cont = [&](std::size_t k) { return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;
    if (b0 == 0xF4 && b1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

bool is_plain_ascii(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return false;
  }
  return true;
}

/// `s` with invalid UTF-8 sequences replaced by U+FFFD (only called when s is not plain ASCII).
std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x80) {
      out.push_back(s[i]);
      ++i;
      continue;
    }
    const std::size_t n = utf8_seq_len(s, i);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_seq_len(s, i);
    if (n == 0) return false;
    i += n;
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
        const char esc[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  if (is_plain_ascii(s) || valid_utf8(s)) {
    append_escaped_valid(s, out);
  } else {
    append_escaped_valid(repair_utf8(s), out);
  }
  out.push_back('"');
}

void append_base64(std::string_view bytes, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::size_t start = out.size();
  out.resize(start + (n + 2) / 3 * 4);
  char* w = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    *w++ = kB64[(v >> 18) & 63];
    *w++ = kB64[(v >> 12) & 63];
    *w++ = kB64[(v >> 6) & 63];
    *w++ = kB64[v & 63];
  }
  if (i < n) {
    std::uint32_t v = std::uint32_t{p[i]} << 16;
    if (i + 1 < n) v |= std::uint32_t{p[i + 1]} << 8;
    *w++ = kB64[(v >> 18) & 63];
    *w++ = kB64[(v >> 12) & 63];
    *w++ = i + 1 < n ? kB64[(v >> 6) & 63] : '=';
    *w++ = '=';
  }
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
      append_base64(v.s, out);
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
      append_base64(v.s, b64);
      return bj::value(bj::string_view(b64), sp);
    }
    case K::Decimal:
    case K::Text:
    case K::Date:
    case K::Time:
    case K::DateTime:
    case K::DateTimeOffset:
    case K::Guid:
      if (is_plain_ascii(v.s) || valid_utf8(v.s)) return bj::value(bj::string_view(v.s), sp);
      return bj::value(bj::string_view(repair_utf8(v.s)), sp);
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
  return !ascii && !valid_utf8(s);
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
    case K::Binary: append_base64(v.s, out); return 2;
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
