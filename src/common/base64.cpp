#include "common/base64.hpp"

#include <cstdint>

namespace azsql::base64 {

namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int value_of(char c, Alphabet a) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (a == Alphabet::Standard) {
    if (c == '+') return 62;
    if (c == '/') return 63;
  } else {
    if (c == '-') return 62;
    if (c == '_') return 63;
  }
  return -1;
}

}  // namespace

void append(std::string_view bytes, std::string& out, Alphabet alphabet, Padding padding) {
  const char* table = alphabet == Alphabet::Standard ? kStandard : kUrlSafe;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  out.reserve(out.size() + (n + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    const char quad[4] = {table[(v >> 18) & 63], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
    out.append(quad, 4);
  }
  if (i == n) return;
  const bool two = i + 1 < n;
  std::uint32_t v = std::uint32_t{p[i]} << 16;
  if (two) v |= std::uint32_t{p[i + 1]} << 8;
  out.push_back(table[(v >> 18) & 63]);
  out.push_back(table[(v >> 12) & 63]);
  if (two) out.push_back(table[(v >> 6) & 63]);
  if (padding == Padding::Padded) out.append(two ? "=" : "==");
}

std::string encode(std::string_view bytes, Alphabet alphabet, Padding padding) {
  std::string out;
  append(bytes, out, alphabet, padding);
  return out;
}

std::optional<std::string> decode(std::string_view text, Alphabet alphabet, PadRule padding) {
  std::size_t pad = 0;
  while (pad < text.size() && pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
  if (pad > 0 && padding == PadRule::Forbidden) return std::nullopt;
  if (pad == 0 && padding == PadRule::Required && !text.empty() && text.size() % 4 != 0) return std::nullopt;
  if (pad > 0 && text.size() % 4 != 0) return std::nullopt;  // '=' only completes a group of four
  const std::string_view body = text.substr(0, text.size() - pad);
  const std::size_t tail = body.size() % 4;
  if (tail == 1) return std::nullopt;                     // one character carries no whole byte
  if (pad > 0 && pad != 4 - tail) return std::nullopt;    // "xx=" or "xxx==": wrong padding
  std::string out;
  out.reserve(body.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    const int v = value_of(c, alphabet);
    if (v < 0) return std::nullopt;  // also a '=' inside the data
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if ((acc & ((1U << bits) - 1)) != 0) return std::nullopt;  // non-canonical: unused bits set
  return out;
}

}  // namespace azsql::base64
