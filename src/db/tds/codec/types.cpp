#include "db/tds/codec/types.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "common/hex.hpp"

namespace azsql::db::tds {

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

// ---------------------------------------------------------------- collations / code pages

Collation Collation::from_bytes(ByteView b) {
  Collation c;
  if (b.size() >= 5) {
    c.info = static_cast<std::uint32_t>(b[0]) | (static_cast<std::uint32_t>(b[1]) << 8) |
             (static_cast<std::uint32_t>(b[2]) << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    c.sort_id = b[4];
  }
  return c;
}

void Collation::write(Writer& w) const {
  w.u32(info);
  w.u8(sort_id);
}

namespace {

int code_page_for_sort_id(std::uint8_t id) {
  switch (id) {
    case 30: case 31: case 32: case 33: case 34: return 437;
    case 40: case 41: case 42: case 43: case 44: case 49: case 55: case 56: case 57: case 58: case 59:
    case 60: case 61: return 850;
    case 80: case 81: case 82: case 83: case 84: case 85: case 86: case 87: case 88: case 89: case 90:
    case 91: case 92: case 93: case 94: case 95: case 96: return 1250;
    case 104: case 105: case 106: case 107: case 108: return 1251;
    case 112: case 113: case 114: case 120: case 121: case 122: case 124: return 1253;
    case 128: case 129: case 130: return 1254;
    case 136: case 137: case 138: return 1255;
    case 144: case 145: case 146: return 1256;
    case 152: case 153: case 154: case 155: case 156: case 157: case 158: case 159: case 160: return 1257;
    default: return 1252;  // 51–54, 71–75, 183–186 and other Latin1 SQL collations
  }
}

int code_page_for_lcid(std::uint32_t lcid) {
  switch (lcid & 0x3FF) {  // primary language id
    case 0x11: return 932;                         // Japanese
    case 0x12: return 949;                         // Korean
    case 0x04: return (lcid == 0x0404 || lcid == 0x0C04 || lcid == 0x1404) ? 950 : 936;  // Chinese
    case 0x05: case 0x0E: case 0x15: case 0x18: case 0x1A: case 0x1B: case 0x1C: case 0x24: return 1250;
    case 0x19: case 0x22: case 0x23: case 0x02: case 0x2F: case 0x3F: case 0x44: case 0x50: return 1251;
    case 0x08: return 1253;
    case 0x1F: case 0x2C: case 0x43: return 1254;
    case 0x0D: return 1255;
    case 0x01: case 0x20: case 0x29: return 1256;
    case 0x25: case 0x26: case 0x27: return 1257;
    case 0x2A: return 1258;
    case 0x1E: return 874;
    default: return 1252;
  }
}

// CP1252 0x80–0x9F (0 = undefined).
constexpr std::array<std::uint16_t, 32> kCp1252High = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

void append_latin(ByteView b, std::string& out) {
  for (auto c : b) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0xA0) {
      std::uint16_t u = kCp1252High[c - 0x80];
      append_utf8(u ? u : c, out);
    } else {
      append_utf8(c, out);
    }
  }
}

void append_utf8_validated(ByteView b, std::string& out) {
  std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  // Re-encode through UTF-16 helpers to replace invalid sequences.
  Bytes u16 = utf8_to_utf16le(s);
  utf16le_to_utf8(u16, out);
}

}  // namespace

int Collation::code_page() const {
  if (utf8()) return 65001;
  if (sort_id != 0) return code_page_for_sort_id(sort_id);
  return code_page_for_lcid(lcid());
}

std::string decode_code_page(ByteView bytes, int code_page) {
  std::string out;
  bool ascii = true;
  for (auto c : bytes) if (c >= 0x80) { ascii = false; break; }
  if (ascii) return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (code_page == 65001) {
    append_utf8_validated(bytes, out);
    return out;
  }
  if (code_page == 1252) {
    append_latin(bytes, out);
    return out;
  }
  char name[16];
  std::snprintf(name, sizeof name, "CP%d", code_page);
  iconv_t cd = iconv_open("UTF-8", name);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    append_latin(bytes, out);
    return out;
  }
  std::string src(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  char* in = src.data();
  std::size_t inleft = src.size();
  out.resize(src.size() * 4 + 16);
  char* o = out.data();
  std::size_t oleft = out.size();
  while (inleft > 0) {
    if (iconv(cd, &in, &inleft, &o, &oleft) == static_cast<std::size_t>(-1)) {
      if (oleft < 3) break;
      // Undecodable byte: U+FFFD, skip it.
      std::memcpy(o, "\xEF\xBF\xBD", 3);
      o += 3;
      oleft -= 3;
      ++in;
      --inleft;
    }
  }
  out.resize(out.size() - oleft);
  iconv_close(cd);
  return out;
}

// ---------------------------------------------------------------- calendar

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

namespace {

const std::int64_t kDay0001 = days_from_civil(1, 1, 1);
const std::int64_t kDay1900 = days_from_civil(1900, 1, 1);

constexpr std::int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

std::string fmt_date(std::int64_t unix_days) {
  std::int64_t y;
  unsigned m, d;
  civil_from_days(unix_days, y, m, d);
  char b[32];
  std::snprintf(b, sizeof b, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return b;
}

// Time of day from units of 10^-scale seconds.
std::string fmt_time(std::int64_t units, int scale) {
  const std::int64_t p = kPow10[scale];
  std::int64_t secs = units / p, frac = units % p;
  char b[48];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                static_cast<long long>((secs / 60) % 60), static_cast<long long>(secs % 60));
  std::string s = b;
  if (scale > 0) {
    std::string f = std::to_string(frac);
    s += '.';
    s.append(static_cast<std::size_t>(scale) - std::min(f.size(), static_cast<std::size_t>(scale)), '0');
    s += f;
  }
  return s;
}

std::int64_t le_uint(ByteView d) {
  std::uint64_t v = 0;
  for (std::size_t i = d.size(); i-- > 0;) v = (v << 8) | d[i];
  return static_cast<std::int64_t>(v);
}

template <class T>
T le(ByteView d) {
  std::uint64_t v = 0;
  for (std::size_t i = sizeof(T); i-- > 0;) v = (v << 8) | d[i];
  return static_cast<T>(v);
}

std::string u128_text(u128 v) {
  if (v == 0) return "0";
  char buf[48];
  int i = 47;
  buf[i] = 0;
  while (v > 0) {
    buf[--i] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  return std::string(buf + i);
}

std::string scaled_text(const std::string& digits, bool negative, int scale) {
  const auto sc = static_cast<std::size_t>(scale);
  std::string padded;
  if (digits.size() <= sc) padded.assign(sc - digits.size() + 1, '0');
  padded += digits;
  std::string out;
  out.reserve(padded.size() + 2);
  const bool zero = padded.find_first_not_of('0') == std::string::npos;
  if (negative && !zero) out.push_back('-');
  out.append(padded, 0, padded.size() - sc);
  if (sc > 0) {
    out.push_back('.');
    out.append(padded, padded.size() - sc, sc);
  }
  return out;
}

std::string money_text(std::int64_t v) {
  bool neg = v < 0;
  u128 mag = neg ? static_cast<u128>(-(static_cast<i128>(v))) : static_cast<u128>(v);
  return scaled_text(u128_text(mag), neg, 4);
}

bool is_char_type(std::uint8_t t) {
  using namespace type_id;
  return t == BigChar || t == BigVarChr || t == Char || t == VarChar || t == Text;
}
bool is_nchar_type(std::uint8_t t) {
  using namespace type_id;
  return t == NChar || t == NVarChar || t == NText;
}

bool set_err(std::string* e, const char* msg) {
  if (e) *e = msg;
  return false;
}

}  // namespace

std::string decimal_text(std::uint64_t hi, std::uint64_t lo, bool negative, int scale) {
  u128 v = (static_cast<u128>(hi) << 64) | lo;
  return scaled_text(u128_text(v), negative, scale);
}

// ---------------------------------------------------------------- TYPE_INFO

Parse read_type_info(Reader& r, TypeInfo& t, std::string* error) {
  using namespace type_id;
  t = TypeInfo{};
  if (!r.u8(t.type)) return Parse::NeedMore;
  auto bad = [&](const char* m) { set_err(error, m); return Parse::Bad; };
  switch (t.type) {
    case Null: t.max_length = 0; return Parse::Ok;
    case Int1: case Bit: t.max_length = 1; return Parse::Ok;
    case Int2: t.max_length = 2; return Parse::Ok;
    case Int4: case DateTim4: case Flt4: case Money4: t.max_length = 4; return Parse::Ok;
    case Money: case DateTime: case Flt8: case Int8: t.max_length = 8; return Parse::Ok;
    case Guid: case IntN: case BitN: case FltN: case MoneyN: case DateTimN: case Char: case VarChar: case Binary:
    case VarBinary: {
      std::uint8_t n;
      if (!r.u8(n)) return Parse::NeedMore;
      t.max_length = n;
      if (t.type == Char || t.type == VarChar) {
        ByteView c;
        if (!r.view(5, c)) return Parse::NeedMore;
        t.collation = Collation::from_bytes(c);
        t.has_collation = true;
      }
      return Parse::Ok;
    }
    case Decimal: case Numeric: case DecimalN: case NumericN: {
      std::uint8_t n;
      if (!r.u8(n) || !r.u8(t.precision) || !r.u8(t.scale)) return Parse::NeedMore;
      t.max_length = n;
      if (n > 17 || t.scale > 38) return bad("bad DECIMAL type info");
      return Parse::Ok;
    }
    case DateN: t.max_length = 3; return Parse::Ok;
    case TimeN: case DateTime2N: case DateTimeOffsetN:
      if (!r.u8(t.scale)) return Parse::NeedMore;
      if (t.scale > 7) return bad("bad time scale");
      return Parse::Ok;
    case BigVarBin: case BigVarChr: case BigBinary: case BigChar: case NVarChar: case NChar: {
      std::uint16_t n;
      if (!r.u16(n)) return Parse::NeedMore;
      t.max_length = n;
      t.plp = n == 0xFFFF && (t.type == BigVarBin || t.type == BigVarChr || t.type == NVarChar);
      if (n == 0xFFFF && !t.plp) return bad("bad length for fixed-length character/binary type");
      if (is_char_type(t.type) || is_nchar_type(t.type)) {
        ByteView c;
        if (!r.view(5, c)) return Parse::NeedMore;
        t.collation = Collation::from_bytes(c);
        t.has_collation = true;
      }
      return Parse::Ok;
    }
    case Xml: {
      t.plp = true;
      t.max_length = 0xFFFF;
      std::uint8_t schema;
      if (!r.u8(schema)) return Parse::NeedMore;
      if (schema) {
        std::string a, b, c;
        if (!r.b_varchar(a) || !r.b_varchar(b) || !r.us_varchar(c)) return Parse::NeedMore;
      }
      return Parse::Ok;
    }
    case Udt: {
      std::uint16_t n;
      if (!r.u16(n)) return Parse::NeedMore;
      t.max_length = n;
      t.plp = n == 0xFFFF;
      std::string db, schema, name, assembly;
      if (!r.b_varchar(db) || !r.b_varchar(schema) || !r.b_varchar(name) || !r.us_varchar(assembly)) return Parse::NeedMore;
      t.udt_name = schema.empty() ? name : schema + "." + name;
      return Parse::Ok;
    }
    case Text: case NText: case Image: {
      std::uint32_t n;
      if (!r.u32(n)) return Parse::NeedMore;
      t.max_length = n;
      if (t.type != Image) {
        ByteView c;
        if (!r.view(5, c)) return Parse::NeedMore;
        t.collation = Collation::from_bytes(c);
        t.has_collation = true;
      }
      std::uint8_t parts;
      if (!r.u8(parts)) return Parse::NeedMore;
      for (int i = 0; i < parts; ++i) {
        std::string part;
        if (!r.us_varchar(part)) return Parse::NeedMore;
      }
      return Parse::Ok;
    }
    case SsVariant: {
      std::uint32_t n;
      if (!r.u32(n)) return Parse::NeedMore;
      t.max_length = n;
      return Parse::Ok;
    }
    default:
      return bad("unsupported data type");
  }
}

// ---------------------------------------------------------------- values

namespace {

/// Integers, bit, float/real, money (§2.2.5.5.1).
Parse decode_number(const TypeInfo& t, ByteView d, Value& out, std::string* error) {
  using namespace type_id;
  auto bad = [&](const char* m) { set_err(error, m); return Parse::Bad; };
  const std::size_t n = d.size();
  switch (t.type) {
    case Int1: case Int2: case Int4: case Int8: case IntN:
      switch (n) {
        case 1: out = Value::integer(d[0]); return Parse::Ok;
        case 2: out = Value::integer(le<std::int16_t>(d)); return Parse::Ok;
        case 4: out = Value::integer(le<std::int32_t>(d)); return Parse::Ok;
        case 8: out = Value::integer(le<std::int64_t>(d)); return Parse::Ok;
        default: return bad("bad integer length");
      }
    case Bit: case BitN:
      if (n != 1) return bad("bad bit length");
      out = Value::boolean(d[0] != 0);
      return Parse::Ok;
    case Flt4: case Flt8: case FltN:
      if (n == 4) {
        auto bits = le<std::uint32_t>(d);
        float f;
        std::memcpy(&f, &bits, 4);
        out = Value::real(static_cast<double>(f));
      } else if (n == 8) {
        auto bits = le<std::uint64_t>(d);
        double f;
        std::memcpy(&f, &bits, 8);
        out = Value::real(f);
      } else {
        return bad("bad float length");
      }
      return Parse::Ok;
    case Money: case Money4: case MoneyN:
      if (n == 8) {
        std::uint64_t hi = le<std::uint32_t>(d.subspan(0, 4)), lo = le<std::uint32_t>(d.subspan(4, 4));
        out = Value::of(Value::Kind::Decimal, money_text(static_cast<std::int64_t>((hi << 32) | lo)));
      } else if (n == 4) {
        out = Value::of(Value::Kind::Decimal, money_text(le<std::int32_t>(d)));
      } else {
        return bad("bad money length");
      }
      return Parse::Ok;
    default:
      return bad("unsupported data type");
  }
}

/// datetime/smalldatetime, date, time, datetime2, datetimeoffset (§2.2.5.5.1.7–.10).
Parse decode_temporal(const TypeInfo& t, ByteView d, Value& out, std::string* error) {
  using namespace type_id;
  auto bad = [&](const char* m) { set_err(error, m); return Parse::Bad; };
  const std::size_t n = d.size();
  switch (t.type) {
    case DateTime: case DateTim4: case DateTimN:
      if (n == 8) {
        const std::int64_t days = le<std::int32_t>(d.subspan(0, 4));
        const std::int64_t ticks = le<std::uint32_t>(d.subspan(4, 4));
        if (ticks >= 25920000) return bad("bad datetime ticks");
        std::int64_t ms = (ticks * 10 + 1) / 3;  // 1/300 s → ms, rounded like SQL Server
        out = Value::of(Value::Kind::DateTime, fmt_date(kDay1900 + days) + "T" + fmt_time(ms, 3));
      } else if (n == 4) {
        const std::int64_t days = le<std::uint16_t>(d.subspan(0, 2));
        const std::int64_t mins = le<std::uint16_t>(d.subspan(2, 2));
        if (mins >= 1440) return bad("bad smalldatetime minutes");
        out = Value::of(Value::Kind::DateTime, fmt_date(kDay1900 + days) + "T" + fmt_time(mins * 60, 0));
      } else {
        return bad("bad datetime length");
      }
      return Parse::Ok;
    case DateN:
      if (n != 3) return bad("bad date length");
      out = Value::of(Value::Kind::Date, fmt_date(kDay0001 + le_uint(d)));
      return Parse::Ok;
    case TimeN: case DateTime2N: case DateTimeOffsetN: {
      const int scale = t.scale;
      const std::size_t tlen = scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
      const std::size_t need = tlen + (t.type == TimeN ? 0 : 3) + (t.type == DateTimeOffsetN ? 2 : 0);
      if (n != need) return bad("bad time length");
      std::int64_t units = le_uint(d.subspan(0, tlen));
      const std::int64_t per_day = 86400 * kPow10[scale];
      if (units >= per_day) return bad("bad time value");
      if (t.type == TimeN) {
        out = Value::of(Value::Kind::Time, fmt_time(units, scale));
        return Parse::Ok;
      }
      std::int64_t days = kDay0001 + le_uint(d.subspan(tlen, 3));
      std::string suffix;
      if (t.type == DateTimeOffsetN) {
        const std::int64_t off = le<std::int16_t>(d.subspan(tlen + 3, 2));
        if (off < -840 || off > 840) return bad("bad time zone offset");
        std::int64_t total = days * per_day + units + off * 60 * kPow10[scale];
        days = total >= 0 ? total / per_day : (total - per_day + 1) / per_day;
        units = total - days * per_day;
        char b[16];
        const std::int64_t a = off < 0 ? -off : off;
        std::snprintf(b, sizeof b, "%c%02lld:%02lld", off < 0 ? '-' : '+', static_cast<long long>(a / 60),
                      static_cast<long long>(a % 60));
        suffix = b;
      }
      out = Value::of(t.type == DateTimeOffsetN ? Value::Kind::DateTimeOffset : Value::Kind::DateTime,
                      fmt_date(days) + "T" + fmt_time(units, scale) + suffix);
      return Parse::Ok;
    }
    default:
      return bad("unsupported data type");
  }
}

/// sql_variant: base type, properties, then the value (§2.2.5.5.4).
Parse decode_sql_variant(ByteView d, Value& out, std::string* error) {
  using namespace type_id;
  auto bad = [&](const char* m) { set_err(error, m); return Parse::Bad; };
  Reader r(d);
  TypeInfo bt;
  std::uint8_t props;
  if (!r.u8(bt.type) || !r.u8(props)) return bad("short sql_variant");
  ByteView p;
  if (!r.view(props, p)) return bad("short sql_variant properties");
  switch (bt.type) {
    case TimeN: case DateTime2N: case DateTimeOffsetN:
      if (props != 1 || p[0] > 7) return bad("bad sql_variant time properties");
      bt.scale = p[0];
      break;
    case DecimalN: case NumericN:
      if (props != 2 || p[1] > 38) return bad("bad sql_variant decimal properties");
      bt.precision = p[0];
      bt.scale = p[1];
      break;
    case BigVarBin: case BigBinary:
      if (props != 2) return bad("bad sql_variant binary properties");
      break;
    case BigVarChr: case BigChar: case NVarChar: case NChar:
      if (props != 7) return bad("bad sql_variant character properties");
      bt.collation = Collation::from_bytes(p.subspan(0, 5));
      bt.has_collation = true;
      break;
    case Int1: case Int2: case Int4: case Int8: case Bit: case Flt4: case Flt8: case Money: case Money4:
    case DateTime: case DateTim4: case Guid: case DateN:
      break;
    default:
      return bad("unsupported sql_variant base type");
  }
  ByteView rest;
  r.view(r.remaining(), rest);
  return decode_data(bt, rest, out, error);
}

}  // namespace

Parse decode_data(const TypeInfo& t, ByteView d, Value& out, std::string* error) {
  using namespace type_id;
  auto bad = [&](const char* m) { set_err(error, m); return Parse::Bad; };
  const std::size_t n = d.size();
  switch (t.type) {
    case Int1: case Int2: case Int4: case Int8: case IntN: case Bit: case BitN: case Flt4: case Flt8: case FltN:
    case Money: case Money4: case MoneyN:
      return decode_number(t, d, out, error);
    case DateTime: case DateTim4: case DateTimN: case DateN: case TimeN: case DateTime2N: case DateTimeOffsetN:
      return decode_temporal(t, d, out, error);
    case Decimal: case Numeric: case DecimalN: case NumericN: {
      if (n < 2 || n > 17) return bad("bad decimal length");
      std::uint64_t lo = 0, hi = 0;
      for (std::size_t i = n - 1; i >= 1; --i) {
        const std::size_t k = i - 1;  // byte index of the magnitude
        if (k >= 8) hi = (hi << 8) | d[i]; else lo |= static_cast<std::uint64_t>(d[i]) << (8 * k);
      }
      out = Value::of(Value::Kind::Decimal, decimal_text(hi, lo, d[0] == 0, t.scale));
      return Parse::Ok;
    }
    case Guid: {
      if (n != 16) return bad("bad uniqueidentifier length");
      char b[40];
      std::snprintf(b, sizeof b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[3], d[2], d[1],
                    d[0], d[5], d[4], d[7], d[6], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
      out = Value::of(Value::Kind::Guid, b);
      return Parse::Ok;
    }
    case BigChar: case BigVarChr: case Char: case VarChar: case Text:
      out = Value::text(decode_code_page(d, t.collation.code_page()));
      return Parse::Ok;
    case NChar: case NVarChar: case NText: case Xml: {
      std::string s;
      ByteView v = d.subspan(0, n & ~static_cast<std::size_t>(1));
      if (t.type == Xml && v.size() >= 2 && v[0] == 0xFF && v[1] == 0xFE) v = v.subspan(2);
      utf16le_to_utf8(v, s);
      out = Value::text(std::move(s));
      return Parse::Ok;
    }
    case BigBinary: case BigVarBin: case Binary: case VarBinary: case Image: case Udt:
      out = Value::binary(std::string(reinterpret_cast<const char*>(d.data()), n));
      return Parse::Ok;
    case SsVariant:
      return decode_sql_variant(d, out, error);
    default:
      return bad("unsupported data type");
  }
}

bool is_long_type(const TypeInfo& t) {
  return t.plp || t.type == type_id::Text || t.type == type_id::NText || t.type == type_id::Image;
}

namespace {

Parse too_large(std::string* error, std::uint64_t n, std::size_t max_bytes) {
  const std::string m = "a value of " + std::to_string(n) + " bytes is over the limit of " +
                        std::to_string(max_bytes) + " bytes for one value";
  set_err(error, m.c_str());
  return Parse::TooLarge;
}

Parse read_plp(Reader& r, const TypeInfo& t, Value& out, std::string* error, std::size_t max_bytes) {
  std::uint64_t total;
  if (!r.u64(total)) return Parse::NeedMore;
  if (total == kPlpNull) { out = Value::null(); return Parse::Ok; }
  if (total != kPlpUnknownLength && total > max_bytes) return too_large(error, total, max_bytes);
  Bytes buf;
  for (;;) {
    std::uint32_t len;
    if (!r.u32(len)) return Parse::NeedMore;
    if (len == 0) break;
    if (buf.size() + len > max_bytes) return too_large(error, buf.size() + len, max_bytes);
    ByteView chunk;
    if (!r.view(len, chunk)) return Parse::NeedMore;
    buf.insert(buf.end(), chunk.begin(), chunk.end());
  }
  if (total != kPlpUnknownLength && total != buf.size()) {
    set_err(error, "PLP length mismatch");
    return Parse::Bad;
  }
  return decode_data(t, buf, out, error);
}

}  // namespace

Parse read_value(Reader& r, const TypeInfo& t, Value& out, std::string* error, std::size_t max_bytes) {
  using namespace type_id;
  auto bad = [&](const char* m) { set_err(error, m); return Parse::Bad; };
  ByteView data;
  if (t.plp) return read_plp(r, t, out, error, max_bytes);
  switch (t.type) {
    case Null: out = Value::null(); return Parse::Ok;
    case Int1: case Bit: case Int2: case Int4: case DateTim4: case Flt4: case Money4: case Money: case DateTime:
    case Flt8: case Int8:
      if (!r.view(t.max_length, data)) return Parse::NeedMore;
      return decode_data(t, data, out, error);
    case Guid: case IntN: case BitN: case FltN: case MoneyN: case DateTimN: case Char: case VarChar: case Binary:
    case VarBinary: case Decimal: case Numeric: case DecimalN: case NumericN: case DateN: case TimeN:
    case DateTime2N: case DateTimeOffsetN: {
      std::uint8_t n;
      if (!r.u8(n)) return Parse::NeedMore;
      if (n == 0 && t.type != Char && t.type != VarChar && t.type != Binary && t.type != VarBinary) {
        out = Value::null();
        return Parse::Ok;
      }
      if (!r.view(n, data)) return Parse::NeedMore;
      return decode_data(t, data, out, error);
    }
    case BigVarBin: case BigVarChr: case BigBinary: case BigChar: case NVarChar: case NChar: case Udt: {
      std::uint16_t n;
      if (!r.u16(n)) return Parse::NeedMore;
      if (n == 0xFFFF) { out = Value::null(); return Parse::Ok; }
      if (!r.view(n, data)) return Parse::NeedMore;
      return decode_data(t, data, out, error);
    }
    case Text: case NText: case Image: {
      std::uint8_t ptr_len;
      if (!r.u8(ptr_len)) return Parse::NeedMore;
      if (ptr_len == 0) { out = Value::null(); return Parse::Ok; }
      std::uint32_t n;
      if (!r.skip(ptr_len) || !r.skip(8) || !r.u32(n)) return Parse::NeedMore;
      if (n > max_bytes) return too_large(error, n, max_bytes);
      if (!r.view(n, data)) return Parse::NeedMore;
      return decode_data(t, data, out, error);
    }
    case SsVariant: {
      std::uint32_t n;
      if (!r.u32(n)) return Parse::NeedMore;
      if (n == 0) { out = Value::null(); return Parse::Ok; }
      if (n > 8016 + 2 + 7) return bad("sql_variant too long");
      if (!r.view(n, data)) return Parse::NeedMore;
      return decode_data(t, data, out, error);
    }
    default:
      return bad("unsupported data type");
  }
}

std::string type_name(const TypeInfo& t) {
  using namespace type_id;
  auto len = [&](const char* base, std::uint32_t n) {
    return std::string(base) + "(" + (n == 0xFFFF ? std::string("max") : std::to_string(n)) + ")";
  };
  switch (t.type) {
    case Null: return "null";
    case Int1: return "tinyint";
    case Int2: return "smallint";
    case Int4: return "int";
    case Int8: return "bigint";
    case IntN: return t.max_length == 1 ? "tinyint" : t.max_length == 2 ? "smallint" : t.max_length == 8 ? "bigint" : "int";
    case Bit: case BitN: return "bit";
    case Flt4: return "real";
    case Flt8: return "float";
    case FltN: return t.max_length == 4 ? "real" : "float";
    case Money: return "money";
    case Money4: return "smallmoney";
    case MoneyN: return t.max_length == 4 ? "smallmoney" : "money";
    case DateTime: return "datetime";
    case DateTim4: return "smalldatetime";
    case DateTimN: return t.max_length == 4 ? "smalldatetime" : "datetime";
    case Decimal: case DecimalN:
      return "decimal(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
    case Numeric: case NumericN:
      return "numeric(" + std::to_string(t.precision) + "," + std::to_string(t.scale) + ")";
    case Guid: return "uniqueidentifier";
    case DateN: return "date";
    case TimeN: return "time(" + std::to_string(t.scale) + ")";
    case DateTime2N: return "datetime2(" + std::to_string(t.scale) + ")";
    case DateTimeOffsetN: return "datetimeoffset(" + std::to_string(t.scale) + ")";
    case BigChar: case Char: return len("char", t.max_length);
    case BigVarChr: case VarChar: return len("varchar", t.max_length);
    case NChar: return len("nchar", t.max_length / 2);
    case NVarChar: return len("nvarchar", t.max_length == 0xFFFF ? 0xFFFF : t.max_length / 2);
    case BigBinary: case Binary: return len("binary", t.max_length);
    case BigVarBin: case VarBinary: return len("varbinary", t.max_length);
    case Text: return "text";
    case NText: return "ntext";
    case Image: return "image";
    case Xml: return "xml";
    case Udt: return t.udt_name.empty() ? "udt" : t.udt_name;
    case SsVariant: return "sql_variant";
    default: return "unknown";
  }
}

Value::Kind value_kind(const TypeInfo& t) {
  using namespace type_id;
  using K = Value::Kind;
  switch (t.type) {
    case Null: return K::Null;
    case Int1: case Int2: case Int4: case Int8: case IntN: return K::Int;
    case Bit: case BitN: return K::Bool;
    case Flt4: case Flt8: case FltN: return K::Float;
    case Money: case Money4: case MoneyN: case Decimal: case Numeric: case DecimalN: case NumericN: return K::Decimal;
    case DateTime: case DateTim4: case DateTimN: case DateTime2N: return K::DateTime;
    case DateN: return K::Date;
    case TimeN: return K::Time;
    case DateTimeOffsetN: return K::DateTimeOffset;
    case Guid: return K::Guid;
    case BigBinary: case BigVarBin: case Binary: case VarBinary: case Image: case Udt: return K::Binary;
    default: return K::Text;
  }
}

// ---------------------------------------------------------------- parameters

namespace {

bool parse_uint(std::string_view s, std::size_t& i, int digits, unsigned& out) {
  out = 0;
  for (int k = 0; k < digits; ++k, ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

bool parse_date(std::string_view s, std::size_t& i, std::int64_t& days) {
  unsigned y, m, d;
  if (!parse_uint(s, i, 4, y) || i >= s.size() || s[i++] != '-' || !parse_uint(s, i, 2, m) || i >= s.size() ||
      s[i++] != '-' || !parse_uint(s, i, 2, d))
    return false;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = days_from_civil(y, m, d) - kDay0001;
  std::int64_t yy;
  unsigned mm, dd;
  civil_from_days(days + kDay0001, yy, mm, dd);
  return mm == m && dd == d;  // rejects 2023-02-30
}

// hh:mm[:ss[.fffffff]] → 100 ns units.
bool parse_time(std::string_view s, std::size_t& i, std::int64_t& units) {
  unsigned h, mi, sec = 0;
  if (!parse_uint(s, i, 2, h) || i >= s.size() || s[i++] != ':' || !parse_uint(s, i, 2, mi)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!parse_uint(s, i, 2, sec)) return false;
  }
  if (h > 23 || mi > 59 || sec > 59) return false;
  std::int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 7) { frac = frac * 10 + (s[i] - '0'); ++n; }
      ++i;
    }
    if (n == 0) return false;
    while (n < 7) { frac *= 10; ++n; }
  }
  units = (static_cast<std::int64_t>(h) * 3600 + mi * 60 + sec) * 10000000 + frac;
  return true;
}

void put_le(Writer& w, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) w.u8(static_cast<std::uint8_t>(v >> (8 * i)));
}

Error invalid(const char* what, const std::string& v) {
  return Error::make(ErrorKind::InvalidInput, std::string("parameter value is not a valid ") + what + ": '" +
                                                  v.substr(0, 64) + "'");
}

void write_plp(Writer& w, ByteView data) {
  w.u64(data.size());
  std::size_t off = 0;
  while (off < data.size()) {
    const std::size_t n = std::min<std::size_t>(data.size() - off, 0x10000);
    w.u32(static_cast<std::uint32_t>(n));
    w.bytes(data.subspan(off, n));
    off += n;
  }
  w.u32(0);
}

}  // namespace

void write_nvarchar(Writer& w, std::string_view utf8, const Collation& collation) {
  Bytes u = utf8_to_utf16le(utf8);
  w.u8(type_id::NVarChar);
  if (u.size() <= 8000) {
    w.u16(8000);
    collation.write(w);
    w.u16(static_cast<std::uint16_t>(u.size()));
    w.bytes(u);
  } else {
    w.u16(0xFFFF);
    collation.write(w);
    write_plp(w, u);
  }
}

namespace {

/// DECIMALN(p,s) from exact decimal text: precision and scale as written (at most 38 digits).
Status encode_decimal(const Value& v, EncodedParam& p, Writer& w) {
  std::string_view s = v.s;
  std::size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  u128 mag = 0;
  int digits = 0, scale = 0;
  bool dot = false, any = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !dot) { dot = true; continue; }
    if (s[i] < '0' || s[i] > '9') return invalid("decimal", v.s);
    any = true;
    if (digits > 0 || s[i] != '0' || dot) ++digits;
    if (dot) ++scale;
    mag = mag * 10 + static_cast<unsigned>(s[i] - '0');
    if (digits > 38) return invalid("decimal (more than 38 digits)", v.s);
  }
  if (!any) return invalid("decimal", v.s);
  const int precision = std::max({digits, scale, 1});
  p.declaration = "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
  w.u8(type_id::DecimalN); w.u8(17);
  w.u8(static_cast<std::uint8_t>(precision)); w.u8(static_cast<std::uint8_t>(scale));
  w.u8(17);
  w.u8(neg && mag != 0 ? 0 : 1);
  w.u64(static_cast<std::uint64_t>(mag));
  w.u64(static_cast<std::uint64_t>(mag >> 64));
  return {};
}

/// DATETIME2N(7) / DATETIMEOFFSETN(7) from ISO 8601 text (offset Z or ±hh:mm).
Status encode_datetime(const Value& v, EncodedParam& p, Writer& w) {
  using K = Value::Kind;
  const bool dto = v.kind == K::DateTimeOffset;
  std::string_view s = v.s;
  std::size_t i = 0;
  std::int64_t days, units = 0;
  if (!parse_date(s, i, days)) return invalid(dto ? "datetimeoffset" : "datetime", v.s);
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    ++i;
    if (!parse_time(s, i, units)) return invalid(dto ? "datetimeoffset" : "datetime", v.s);
  }
  int offset = 0;
  if (dto) {
    if (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      const bool neg = s[i++] == '-';
      unsigned oh, om;
      if (!parse_uint(s, i, 2, oh) || i >= s.size() || s[i++] != ':' || !parse_uint(s, i, 2, om) || oh > 14 || om > 59)
        return invalid("datetimeoffset", v.s);
      offset = static_cast<int>(oh * 60 + om) * (neg ? -1 : 1);
    }
  }
  if (i != s.size()) return invalid(dto ? "datetimeoffset" : "datetime", v.s);
  if (dto) {
    const std::int64_t per_day = 864000000000LL;
    std::int64_t total = days * per_day + units - static_cast<std::int64_t>(offset) * 600000000LL;
    if (total < 0) return invalid("datetimeoffset (before 0001-01-01 UTC)", v.s);
    days = total / per_day;
    units = total % per_day;
  }
  p.declaration = dto ? "datetimeoffset(7)" : "datetime2(7)";
  w.u8(dto ? type_id::DateTimeOffsetN : type_id::DateTime2N);
  w.u8(7);
  w.u8(dto ? 10 : 8);
  put_le(w, static_cast<std::uint64_t>(units), 5);
  put_le(w, static_cast<std::uint64_t>(days), 3);
  if (dto) w.u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(offset)));
  return {};
}

/// GUID from canonical text (braces allowed), in the mixed-endian wire order.
Status encode_guid(const Value& v, EncodedParam& p, Writer& w) {
  std::array<std::uint8_t, 16> g{};
  std::size_t k = 0;
  std::string_view s = v.s;
  if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    if (i + 1 >= s.size() || k >= 16) return invalid("uniqueidentifier", v.s);
    const int a = hex::digit_value(s[i]), b = hex::digit_value(s[i + 1]);
    if (a < 0 || b < 0) return invalid("uniqueidentifier", v.s);
    g[k++] = static_cast<std::uint8_t>(a * 16 + b);
    ++i;
  }
  if (k != 16 || s.size() != 36) return invalid("uniqueidentifier", v.s);
  p.declaration = "uniqueidentifier";
  w.u8(type_id::Guid); w.u8(16); w.u8(16);
  const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
  for (int idx : order) w.u8(g[static_cast<std::size_t>(idx)]);
  return {};
}

}  // namespace

Result<EncodedParam> encode_param(const Value& v, const Collation& collation) {
  using K = Value::Kind;
  EncodedParam p;
  Writer w(p.type_and_value);
  switch (v.kind) {
    case K::Null:
      p.declaration = "nvarchar(4000)";
      w.u8(type_id::NVarChar);
      w.u16(8000);
      collation.write(w);
      w.u16(0xFFFF);
      break;
    case K::Bool:
      p.declaration = "bit";
      w.u8(type_id::BitN);
      w.u8(1);
      w.u8(1);
      w.u8(v.i ? 1 : 0);
      break;
    case K::Int:
      if (v.i >= INT32_MIN && v.i <= INT32_MAX) {
        p.declaration = "int";
        w.u8(type_id::IntN); w.u8(4); w.u8(4);
        w.u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(v.i)));
      } else {
        p.declaration = "bigint";
        w.u8(type_id::IntN); w.u8(8); w.u8(8);
        w.u64(static_cast<std::uint64_t>(v.i));
      }
      break;
    case K::Float: {
      p.declaration = "float";
      w.u8(type_id::FltN); w.u8(8); w.u8(8);
      std::uint64_t bits;
      std::memcpy(&bits, &v.f, 8);
      w.u64(bits);
      break;
    }
    case K::Decimal:
      if (auto s = encode_decimal(v, p, w); !s.ok()) return s.error();
      break;
    case K::Text: {
      const std::size_t units = utf16_units(v.s);
      p.declaration = units <= 4000 ? "nvarchar(4000)" : "nvarchar(max)";
      write_nvarchar(w, v.s, collation);
      break;
    }
    case K::Binary:
      w.u8(type_id::BigVarBin);
      if (v.s.size() <= 8000) {
        p.declaration = "varbinary(8000)";
        w.u16(8000);
        w.u16(static_cast<std::uint16_t>(v.s.size()));
        w.bytes(v.s);
      } else {
        p.declaration = "varbinary(max)";
        w.u16(0xFFFF);
        write_plp(w, ByteView(reinterpret_cast<const std::uint8_t*>(v.s.data()), v.s.size()));
      }
      break;
    case K::Date: {
      std::int64_t days;
      std::size_t i = 0;
      if (!parse_date(v.s, i, days) || i != v.s.size()) return invalid("date (YYYY-MM-DD)", v.s);
      p.declaration = "date";
      w.u8(type_id::DateN); w.u8(3);
      put_le(w, static_cast<std::uint64_t>(days), 3);
      break;
    }
    case K::Time: {
      std::int64_t units;
      std::size_t i = 0;
      if (!parse_time(v.s, i, units) || i != v.s.size()) return invalid("time (hh:mm:ss[.fffffff])", v.s);
      p.declaration = "time(7)";
      w.u8(type_id::TimeN); w.u8(7); w.u8(5);
      put_le(w, static_cast<std::uint64_t>(units), 5);
      break;
    }
    case K::DateTime: case K::DateTimeOffset:
      if (auto s = encode_datetime(v, p, w); !s.ok()) return s.error();
      break;
    case K::Guid:
      if (auto s = encode_guid(v, p, w); !s.ok()) return s.error();
      break;
  }
  return p;
}

}  // namespace azsql::db::tds
