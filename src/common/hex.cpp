#include "common/hex.hpp"

namespace azsql::hex {

std::string encode(std::span<const std::uint8_t> bytes, Case c) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digit(b >> 4, c));
    out.push_back(digit(b, c));
  }
  return out;
}

std::string encode(std::string_view bytes, Case c) {
  return encode(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), c);
}

std::optional<std::string> decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int h = digit_value(text[i]), l = digit_value(text[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<char>(h * 16 + l));
  }
  return out;
}

}  // namespace azsql::hex
