#pragma once
/// TDS data types (MS-TDS §2.2.5.4–§2.2.5.6): TYPE_INFO parsing, value decoding into db::Value,
/// collations (§2.2.5.1.2) and parameter encoding for RPC. Pure; never throws on wire input.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "db/tds/codec/wire.hpp"
#include "db/value.hpp"

namespace azsql::db::tds {

/// Type ids (§2.2.5.4.1–§2.2.5.4.3).
namespace type_id {
inline constexpr std::uint8_t Null = 0x1F, Int1 = 0x30, Bit = 0x32, Int2 = 0x34, Int4 = 0x38, DateTim4 = 0x3A,
                              Flt4 = 0x3B, Money = 0x3C, DateTime = 0x3D, Flt8 = 0x3E, Money4 = 0x7A, Int8 = 0x7F,
                              Guid = 0x24, IntN = 0x26, Decimal = 0x37, Numeric = 0x3F, BitN = 0x68,
                              DecimalN = 0x6A, NumericN = 0x6C, FltN = 0x6D, MoneyN = 0x6E, DateTimN = 0x6F,
                              DateN = 0x28, TimeN = 0x29, DateTime2N = 0x2A, DateTimeOffsetN = 0x2B, Char = 0x2F,
                              VarChar = 0x27, Binary = 0x2D, VarBinary = 0x25, BigVarBin = 0xA5, BigVarChr = 0xA7,
                              BigBinary = 0xAD, BigChar = 0xAF, NVarChar = 0xE7, NChar = 0xEF, Xml = 0xF1,
                              Udt = 0xF0, Text = 0x23, Image = 0x22, NText = 0x63, SsVariant = 0x62;
}

/// A 5-byte collation: LCID (20 bits), flags (8 bits), version (4 bits), sort id.
struct Collation {
  std::uint32_t info = 0;  ///< the first four bytes, little-endian
  std::uint8_t sort_id = 0;

  static Collation from_bytes(ByteView b5);
  std::uint32_t lcid() const { return info & 0xFFFFF; }
  std::uint8_t flags() const { return static_cast<std::uint8_t>((info >> 20) & 0xFF); }
  bool utf8() const { return (flags() & 0x40) != 0; }
  /// Windows code page of the collation: 65001 for UTF-8 collations, else from the sort id
  /// (SQL collations) or the LCID (Windows collations).
  int code_page() const;
  void write(Writer& w) const;
};

/// Decodes single-byte/multi-byte text in `code_page` into UTF-8 (CP1252 and UTF-8 built in,
/// others through iconv; undecodable bytes become U+FFFD).
std::string decode_code_page(ByteView bytes, int code_page);

/// TYPE_INFO of a column, parameter or sql_variant value.
struct TypeInfo {
  std::uint8_t type = 0;
  std::uint32_t max_length = 0;  ///< declared byte length (0xFFFF for (max) PLP types)
  std::uint8_t precision = 0;
  std::uint8_t scale = 0;
  bool has_collation = false;
  Collation collation;
  bool plp = false;         ///< value is PLP-encoded ((max) types, xml, large UDTs)
  std::string udt_name;     ///< UDT type name (schema.type)
};

/// Result of an incremental parse step: NeedMore means "the buffer ended first; call again with more";
/// TooLarge means a value or row is over its configured cap (ValueLimits).
enum class Parse { Ok, NeedMore, Bad, TooLarge };

/// Caps on the data one value and one row may carry, in bytes as the server sends them (UTF-16 for
/// nvarchar, the code page's bytes for varchar, raw bytes for varbinary). A hostile or broken server
/// cannot make the decoder buffer more than this. Defaults: unlimited.
struct ValueLimits {
  std::size_t max_value_bytes = static_cast<std::size_t>(-1);
  std::size_t max_row_bytes = static_cast<std::size_t>(-1);
};

/// PLP total length markers (MS-TDS §2.2.5.2.3).
inline constexpr std::uint64_t kPlpNull = 0xFFFFFFFFFFFFFFFFull, kPlpUnknownLength = 0xFFFFFFFFFFFFFFFEull;

/// Reads TYPE_INFO (after UserType/Flags). For TEXT/NTEXT/IMAGE also consumes the table name.
Parse read_type_info(Reader& r, TypeInfo& t, std::string* error);
/// Reads one value of type `t` (length prefix / PLP chunks / text pointer included) into `out`.
/// Returns TooLarge (with `error` set) as soon as the value's length is known to exceed
/// `max_bytes`. Not resumable: a caller that gets NeedMore calls again from the value's start
/// (TokenParser decodes row values with (max) types incrementally instead).
Parse read_value(Reader& r, const TypeInfo& t, Value& out, std::string* error,
                 std::size_t max_bytes = static_cast<std::size_t>(-1));
/// True for the types whose values can be long: PLP ((max), xml, large UDT) and TEXT/NTEXT/IMAGE.
bool is_long_type(const TypeInfo& t);
/// Decodes the data bytes of a non-NULL value of type `t` (no length prefix).
Parse decode_data(const TypeInfo& t, ByteView data, Value& out, std::string* error);

/// The SQL Server type name with length/precision/scale: "int", "nvarchar(50)", "decimal(10,2)".
std::string type_name(const TypeInfo& t);
/// How values of this type are represented in db::Value.
Value::Kind value_kind(const TypeInfo& t);

/// Calendar helpers (proleptic Gregorian).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d);

/// Exact decimal text of an unsigned 128-bit magnitude (given as two 64-bit halves), scaled.
std::string decimal_text(std::uint64_t hi, std::uint64_t lo, bool negative, int scale);

/// An RPC parameter encoded for the wire: its T-SQL declaration ("int", "nvarchar(4000)") and
/// TYPE_INFO + value bytes.
struct EncodedParam {
  std::string declaration;
  Bytes type_and_value;
};
/// Encodes a db::Value as an RPC parameter (§2.2.6.6). Text → NVARCHAR (PLP above 4000 chars),
/// Binary → VARBINARY (PLP above 8000 bytes), Int → INTN 4/8, Float → FLTN 8, Bool → BITN,
/// Decimal → DECIMALN, Date/Time/DateTime/DateTimeOffset → DATEN/TIMEN(7)/DATETIME2N(7)/
/// DATETIMEOFFSETN(7), Guid → GUID, Null → NVARCHAR NULL. Invalid text for a typed kind → InvalidInput.
Result<EncodedParam> encode_param(const Value& v, const Collation& collation);

/// Writes an NVARCHAR value with its TYPE_INFO (PLP above 4000 UTF-16 units).
void write_nvarchar(Writer& w, std::string_view utf8, const Collation& collation);

}  // namespace azsql::db::tds
