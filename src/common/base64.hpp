#pragma once
/// Base64 (RFC 4648) with the variant always spelled out by the caller: the alphabet (standard
/// §4 "+/" or URL-safe §5 "-_") and the padding rule. Decoding is strict: no whitespace, no
/// characters outside the alphabet, no data after padding, and the unused low bits of the last
/// character must be zero (canonical encoding, §3.5). Pure and thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace azsql::base64 {

enum class Alphabet {
  Standard,  ///< RFC 4648 §4: A–Z a–z 0–9 + /
  UrlSafe,   ///< RFC 4648 §5: A–Z a–z 0–9 - _
};

/// Padding written by encode().
enum class Padding {
  Padded,    ///< output length a multiple of 4, '=' fills the last group
  Unpadded,  ///< no '=' (as in JWT, RFC 7515 §2)
};

/// Padding accepted by decode().
enum class PadRule {
  Required,   ///< length a multiple of 4 with the right number of '='
  Forbidden,  ///< no '=' at all
  Optional,   ///< either of the above (but never a wrong number of '=')
};

/// Base64 of `bytes` appended to `out`.
void append(std::string_view bytes, std::string& out, Alphabet alphabet, Padding padding);
/// Base64 of `bytes`.
std::string encode(std::string_view bytes, Alphabet alphabet, Padding padding);
/// The bytes `text` encodes, or nullopt on any deviation from the alphabet and padding rule.
std::optional<std::string> decode(std::string_view text, Alphabet alphabet, PadRule padding);

}  // namespace azsql::base64
