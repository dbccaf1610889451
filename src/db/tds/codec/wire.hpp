#pragma once
/// Little helpers for reading and writing TDS wire data (MS-TDS §2.2.5.1 "byte order": little-endian
/// unless a field says otherwise). Pure: no I/O, never throws on malformed input.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace azsql::db::tds {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

/// Appends little/big-endian integers and strings to a byte vector. Not thread-safe.
class Writer {
 public:
  explicit Writer(Bytes& out) : b_(out) {}
  void u8(std::uint8_t v) { b_.push_back(v); }
  void u16(std::uint16_t v) { u8(static_cast<std::uint8_t>(v)); u8(static_cast<std::uint8_t>(v >> 8)); }
  void u16be(std::uint16_t v) { u8(static_cast<std::uint8_t>(v >> 8)); u8(static_cast<std::uint8_t>(v)); }
  void u32(std::uint32_t v) { for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i))); }
  void u32be(std::uint32_t v) { for (int i = 3; i >= 0; --i) u8(static_cast<std::uint8_t>(v >> (8 * i))); }
  void u64(std::uint64_t v) { for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i))); }
  void bytes(ByteView v) { b_.insert(b_.end(), v.begin(), v.end()); }
  void bytes(std::string_view v) { b_.insert(b_.end(), v.begin(), v.end()); }
  /// Overwrites a little-endian u16/u32 at `at` (for back-patched lengths).
  void put_u16(std::size_t at, std::uint16_t v) { b_[at] = static_cast<std::uint8_t>(v); b_[at + 1] = static_cast<std::uint8_t>(v >> 8); }
  void put_u32(std::size_t at, std::uint32_t v) { for (int i = 0; i < 4; ++i) b_[at + i] = static_cast<std::uint8_t>(v >> (8 * i)); }
  std::size_t size() const { return b_.size(); }
  Bytes& buffer() { return b_; }

 private:
  Bytes& b_;
};

/// Bounds-checked reader over a byte span. Every read returns false (and reads nothing) when
/// fewer bytes remain than requested, so a parser can report "need more bytes".
class Reader {
 public:
  explicit Reader(ByteView v) : v_(v) {}
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return v_.size() - pos_; }
  bool has(std::size_t n) const { return remaining() >= n; }
  bool u8(std::uint8_t& o) { if (!has(1)) return false; o = v_[pos_++]; return true; }
  bool u16(std::uint16_t& o) {
    if (!has(2)) return false;
    o = static_cast<std::uint16_t>(v_[pos_] | (v_[pos_ + 1] << 8));
    pos_ += 2;
    return true;
  }
  bool u16be(std::uint16_t& o) {
    if (!has(2)) return false;
    o = static_cast<std::uint16_t>((v_[pos_] << 8) | v_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(std::uint32_t& o) {
    if (!has(4)) return false;
    o = 0;
    for (int i = 3; i >= 0; --i) o = (o << 8) | v_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 4;
    return true;
  }
  bool u32be(std::uint32_t& o) {
    if (!has(4)) return false;
    o = 0;
    for (int i = 0; i < 4; ++i) o = (o << 8) | v_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 4;
    return true;
  }
  bool u64(std::uint64_t& o) {
    if (!has(8)) return false;
    o = 0;
    for (int i = 7; i >= 0; --i) o = (o << 8) | v_[pos_ + static_cast<std::size_t>(i)];
    pos_ += 8;
    return true;
  }
  bool skip(std::size_t n) { if (!has(n)) return false; pos_ += n; return true; }
  bool view(std::size_t n, ByteView& o) { if (!has(n)) return false; o = v_.subspan(pos_, n); pos_ += n; return true; }
  bool append(std::size_t n, std::string& o) {
    if (!has(n)) return false;
    o.append(reinterpret_cast<const char*>(v_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  /// A UTF-16LE string of `chars` code units, converted to UTF-8.
  bool utf16(std::size_t chars, std::string& o);
  /// B_VARCHAR (1-byte length in characters) / US_VARCHAR (2-byte length) strings.
  bool b_varchar(std::string& o) { std::uint8_t n; return u8(n) && utf16(n, o); }
  bool us_varchar(std::string& o) { std::uint16_t n; return u16(n) && utf16(n, o); }

 private:
  ByteView v_;
  std::size_t pos_ = 0;
};

/// UTF-8 → UTF-16LE bytes. Invalid sequences become U+FFFD.
Bytes utf8_to_utf16le(std::string_view s);
/// Number of UTF-16 code units of a UTF-8 string (what LOGIN7 and B_VARCHAR lengths count).
std::size_t utf16_units(std::string_view s);
/// UTF-16LE bytes → UTF-8 (unpaired surrogates become U+FFFD). Appends to `out`.
void utf16le_to_utf8(ByteView in, std::string& out);
/// Appends one code point as UTF-8.
void append_utf8(std::uint32_t cp, std::string& out);

}  // namespace azsql::db::tds
