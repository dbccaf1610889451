#pragma once
/// Hexadecimal (base16, RFC 4648 §8) encoding and strict decoding. Pure and thread-safe.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace azsql::hex {

/// Letter case of the digits a–f on output; decoding accepts both.
enum class Case { Lower, Upper };

/// The hex digit of a nibble (0–15; higher bits are ignored).
constexpr char digit(unsigned nibble, Case c) noexcept {
  return (c == Case::Lower ? "0123456789abcdef" : "0123456789ABCDEF")[nibble & 15U];
}

/// The value 0–15 of a hex digit (either case), -1 if `c` is not one.
constexpr int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Two digits per byte of `bytes`, most significant nibble first.
std::string encode(std::span<const std::uint8_t> bytes, Case c);
/// Two digits per byte of `bytes` (a byte string held in a std::string/string_view).
std::string encode(std::string_view bytes, Case c);

/// The bytes of `text`: an even number of hex digits (either case), nothing else; nullopt otherwise.
std::optional<std::string> decode(std::string_view text);

}  // namespace azsql::hex
