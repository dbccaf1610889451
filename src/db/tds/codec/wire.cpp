#include "db/tds/codec/wire.hpp"

namespace azsql::db::tds {

void append_utf8(std::uint32_t cp, std::string& out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {
// Decodes one code point from UTF-8 at s[i]; advances i. Invalid → U+FFFD (one byte consumed).
std::uint32_t next_cp(std::string_view s, std::size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) { ++i; return c; }
  int n = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
  else { ++i; return 0xFFFD; }
  if (i + static_cast<std::size_t>(n) >= s.size()) { ++i; return 0xFFFD; }
  for (int k = 1; k <= n; ++k) {
    auto d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((d & 0xC0) != 0x80) { ++i; return 0xFFFD; }
    cp = (cp << 6) | (d & 0x3F);
  }
  i += static_cast<std::size_t>(n) + 1;
  static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  return cp;
}
}  // namespace

Bytes utf8_to_utf16le(std::string_view s) {
  Bytes out;
  out.reserve(s.size() * 2);
  Writer w(out);
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = next_cp(s, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      w.u16(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      w.u16(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      w.u16(static_cast<std::uint16_t>(cp));
    }
  }
  return out;
}

std::size_t utf16_units(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) n += next_cp(s, i) >= 0x10000 ? 2 : 1;
  return n;
}

void utf16le_to_utf8(ByteView in, std::string& out) {
  out.reserve(out.size() + in.size());
  std::size_t n = in.size() / 2;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u = static_cast<std::uint32_t>(in[2 * i] | (in[2 * i + 1] << 8));
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
      std::uint32_t l = static_cast<std::uint32_t>(in[2 * i + 2] | (in[2 * i + 3] << 8));
      if (l >= 0xDC00 && l <= 0xDFFF) {
        append_utf8(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00), out);
        ++i;
        continue;
      }
    }
    append_utf8(u, out);  // lone surrogates → U+FFFD inside append_utf8
  }
}

bool Reader::utf16(std::size_t chars, std::string& o) {
  ByteView v;
  if (!view(chars * 2, v)) return false;
  utf16le_to_utf8(v, o);
  return true;
}

}  // namespace azsql::db::tds
