// Byte-fixture tests for the pure TDS codec (MS-TDS §4 examples where the spec gives them).
#include <gtest/gtest.h>

#include <cstring>

#include "db/tds/codec/login.hpp"
#include "db/tds/codec/packet.hpp"
#include "db/tds/codec/request.hpp"
#include "db/tds/codec/tokens.hpp"
#include "db/tds/codec/types.hpp"

using namespace azsql;
using namespace azsql::db;
using namespace azsql::db::tds;

namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  int hi = -1;
  for (char c : h) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (hi < 0) hi = v;
    else { out.push_back(static_cast<std::uint8_t>(hi * 16 + v)); hi = -1; }
  }
  return out;
}

Bytes u16s(std::string_view s) { return utf8_to_utf16le(s); }

void b_varchar(Writer& w, std::string_view s) {
  Bytes u = u16s(s);
  w.u8(static_cast<std::uint8_t>(u.size() / 2));
  w.bytes(u);
}
void us_varchar(Writer& w, std::string_view s) {
  Bytes u = u16s(s);
  w.u16(static_cast<std::uint16_t>(u.size() / 2));
  w.bytes(u);
}

// Parses every token of `buf`, feeding the parser `step` bytes at a time (0 = all at once). NeedMore
// may absorb bytes (a row resumes where it stopped); the caller drops them.
std::vector<Token> parse_all(const Bytes& buf, std::size_t step = 0) {
  TokenParser p;
  std::vector<Token> out;
  std::size_t off = 0, avail = step ? std::min(step, buf.size()) : buf.size();
  for (int guard = 0; guard < 100000; ++guard) {
    if (off == buf.size()) break;
    std::size_t used = 0;
    Token t;
    auto st = p.next(ByteView(buf.data() + off, avail - off), used, t);
    if (st == TokenParser::Status::Parsed) {
      off += used;
      out.push_back(std::move(t));
    } else if (st == TokenParser::Status::NeedMore) {
      EXPECT_LE(off + used, avail);
      off += used;
      if (avail == buf.size()) { ADD_FAILURE() << "NeedMore at end of buffer"; break; }
      avail = std::min(buf.size(), avail + (step ? step : buf.size()));
    } else {
      ADD_FAILURE() << "parse error: " << p.error();
      break;
    }
  }
  return out;
}

const Collation kLatin1 = Collation::from_bytes(hex("09 04 D0 00 34"));

}  // namespace

// ------------------------------------------------------------------ packets

TEST(TdsPacket, SplitsAndReassemblesAcrossPackets) {
  Bytes payload(1500);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::SqlBatch, payload, 512, kStatusResetConnection, id);
  ASSERT_EQ(pkts.size(), 3u);  // 504 + 504 + 492
  EXPECT_EQ(pkts[0][1], kStatusResetConnection);
  EXPECT_EQ(pkts[1][1], 0);
  EXPECT_EQ(pkts[2][1], kStatusEom);
  EXPECT_EQ(pkts[0][2], 0x02);
  EXPECT_EQ(pkts[0][3], 0x00);  // 512 big-endian
  EXPECT_EQ(pkts[1][6], 2);
  EXPECT_EQ(id, 4);
  // Feed the stream in odd-sized pieces.
  Bytes stream;
  for (auto& p : pkts) stream.insert(stream.end(), p.begin(), p.end());
  PacketReader r;
  Bytes got;
  PacketHeader h;
  Bytes pl;
  for (std::size_t off = 0; off < stream.size(); off += 37) {
    r.feed(ByteView(stream.data() + off, std::min<std::size_t>(37, stream.size() - off)));
    while (r.next(h, pl) == PacketReader::Status::Packet) got.insert(got.end(), pl.begin(), pl.end());
  }
  EXPECT_EQ(got, payload);
  EXPECT_EQ(h.status & kStatusEom, kStatusEom);
}

TEST(TdsPacket, RejectsImpossibleLength) {
  PacketReader r;
  Bytes bad = hex("04 01 00 04 00 00 01 00");
  r.feed(bad);
  PacketHeader h;
  Bytes pl;
  EXPECT_EQ(r.next(h, pl), PacketReader::Status::Error);
}

TEST(TdsPacket, EmptyMessageIsOnePacket) {
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::Attention, {}, 4096, 0, id);
  ASSERT_EQ(pkts.size(), 1u);
  EXPECT_EQ(pkts[0], hex("06 01 00 08 00 00 01 00"));
}

// ------------------------------------------------------------------ PRELOGIN

TEST(TdsPrelogin, BuildsSpecExample41) {
  // MS-TDS §4.1 Pre-Login Request.
  Prelogin p;
  p.version = {0x09, 0, 0, 0, 0, 0};
  p.encryption = Encryption::On;
  p.thread_id = 0x0DB8;
  p.mars = 1;
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::PreLogin, build_prelogin(p), 4096, 0, id);
  ASSERT_EQ(pkts.size(), 1u);
  EXPECT_EQ(pkts[0], hex("12 01 00 2F 00 00 01 00 00 00 1A 00 06 01 00 20 00 01 02 00 21 00 01 03 00 22 00 04 04 00 26 "
                         "00 01 FF 09 00 00 00 00 00 01 00 B8 0D 00 00 01"));
}

TEST(TdsPrelogin, ParsesServerReplyWithFedAuthAndNonce) {
  Prelogin s;
  s.version = {16, 0, 0x10, 0x00, 0, 0};
  s.encryption = Encryption::Req;
  s.fedauth_required = 1;
  s.nonce.emplace();
  for (std::size_t i = 0; i < 32; ++i) (*s.nonce)[i] = static_cast<std::uint8_t>(i);
  auto r = parse_prelogin(build_prelogin(s));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->encryption, Encryption::Req);
  EXPECT_EQ(r->version[0], 16);
  ASSERT_TRUE(r->fedauth_required.has_value());
  EXPECT_EQ(*r->fedauth_required, 1);
  ASSERT_TRUE(r->nonce.has_value());
  EXPECT_EQ((*r->nonce)[31], 31);
}

TEST(TdsPrelogin, RejectsMalformed) {
  EXPECT_FALSE(parse_prelogin(hex("00 00 06 00 06")).ok());              // no terminator
  EXPECT_FALSE(parse_prelogin(hex("00 00 40 00 06 FF 01 02")).ok());     // option outside message
  EXPECT_FALSE(parse_prelogin(hex("01 00 06 00 01 FF 00")).ok());        // no VERSION
  EXPECT_FALSE(parse_prelogin(Bytes{}).ok());
  EXPECT_FALSE(parse_prelogin(hex("00 00 0B 00 06 01 00 11 00 01 FF 10 00 00 00 00 00 09")).ok());  // ENCRYPTION 9
  auto cc = parse_prelogin(hex("00 00 0B 00 06 01 00 11 00 01 FF 10 00 00 00 00 00 83"));  // CLIENT_CERT | REQ
  ASSERT_TRUE(cc.ok());
  EXPECT_EQ(cc->encryption, Encryption::Req);
}

// ------------------------------------------------------------------ LOGIN7

TEST(TdsLogin7, PasswordObfuscation) {
  EXPECT_EQ(obfuscate_password("secret"), hex("92 a5 f3 a5 93 a5 82 a5 f3 a5 e2 a5"));
}

TEST(TdsLogin7, BuildsSpecExample42) {
  // MS-TDS §4.2 Login Request (TDS 7.2 client "OSQL-32", host skostov1, user sa, no password).
  Login7 l;
  l.tds_version = 0x72090002;
  l.packet_size = 4096;
  l.client_prog_version = 0x07000000;
  l.client_pid = 0x100;
  l.client_lcid = 0x409;
  l.host_name = "skostov1";
  l.user_name = "sa";
  l.app_name = "OSQL-32";
  l.library_name = "ODBC";
  l.client_id = {0x00, 0x50, 0x8B, 0xE2, 0xB7, 0x8F};
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::Login7, build_login7(l), 4096, 0, id);
  ASSERT_EQ(pkts.size(), 1u);
  EXPECT_EQ(pkts[0], hex("10 01 00 90 00 00 01 00 88 00 00 00 02 00 09 72 "
                         "00 10 00 00 00 00 00 07 00 01 00 00 00 00 00 00 "
                         "E0 03 00 00 00 00 00 00 09 04 00 00 5E 00 08 00 "
                         "6E 00 02 00 72 00 00 00 72 00 07 00 80 00 00 00 "
                         "80 00 00 00 80 00 04 00 88 00 00 00 88 00 00 00 "
                         "00 50 8B E2 B7 8F 88 00 00 00 88 00 00 00 88 00 "
                         "00 00 00 00 00 00 73 00 6B 00 6F 00 73 00 74 00 "
                         "6F 00 76 00 31 00 73 00 61 00 4F 00 53 00 51 00 "
                         "4C 00 2D 00 33 00 32 00 4F 00 44 00 42 00 43 00"));
}

TEST(TdsLogin7, FedAuthFeatureExtension) {
  Login7 l;
  l.host_name = "h";
  l.user_name = "ignored";
  l.password = "ignored";
  l.fedauth = FedAuthToken{"tok", true, std::nullopt};
  Bytes b = build_login7(l);
  EXPECT_EQ(b[27] & 0x10, 0x10);  // fExtension
  // No user name or password with a token.
  EXPECT_EQ(b[42] | (b[43] << 8), 0);
  EXPECT_EQ(b[46] | (b[47] << 8), 0);
  const std::size_t ib_ext = b[56] | (b[57] << 8);
  EXPECT_EQ(b[58] | (b[59] << 8), 4);
  const std::size_t fe = b[ib_ext] | (b[ib_ext + 1] << 8) | (b[ib_ext + 2] << 16);
  Bytes expect = hex("02 0B 00 00 00 03 06 00 00 00 74 00 6F 00 6B 00 FF");  // id, len 11, (1<<1)|echo, token
  ASSERT_EQ(b.size(), fe + expect.size());
  EXPECT_EQ(Bytes(b.begin() + static_cast<std::ptrdiff_t>(fe), b.end()), expect);
  EXPECT_EQ(b[0] | (b[1] << 8), static_cast<int>(b.size()));

  // With a nonce, 32 bytes follow the token and the echo bit is clear when the server said 0.
  std::array<std::uint8_t, 32> nonce{};
  nonce.fill(0xAB);
  l.fedauth = FedAuthToken{"t", false, nonce};
  b = build_login7(l);
  const std::size_t ib2 = b[56] | (b[57] << 8);
  const std::size_t fe2 = b[ib2] | (b[ib2 + 1] << 8);
  EXPECT_EQ(b[fe2], 0x02);
  EXPECT_EQ(b[fe2 + 1], 1 + 4 + 2 + 32);
  EXPECT_EQ(b[fe2 + 5], 0x02);
  EXPECT_EQ(b[fe2 + 5 + 1 + 4 + 2], 0xAB);
  EXPECT_EQ(b.back(), 0xFF);
}

TEST(TdsLogin7, ReadOnlyIntentAndUtf16Lengths) {
  Login7 l;
  l.read_only_intent = true;
  l.host_name = "h\xF0\x9F\x98\x80";  // one emoji = 2 UTF-16 units
  Bytes b = build_login7(l);
  EXPECT_EQ(b[26] & 0x20, 0x20);
  EXPECT_EQ(b[38] | (b[39] << 8), 3);
}

// ------------------------------------------------------------------ requests

TEST(TdsRequest, SqlBatchSpecExample) {
  // MS-TDS §4.6-style SQLBatch: ALL_HEADERS (transaction descriptor 0, 1 request) + UTF-16 text.
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::SqlBatch, build_sql_batch("SET QUOTED_IDENTIFIER OFF", 0), 4096, 0, id);
  ASSERT_EQ(pkts.size(), 1u);
  Bytes expect = hex("01 01 00 50 00 00 01 00 16 00 00 00 12 00 00 00 02 00 00 00 00 00 00 00 00 00 01 00 00 00");
  Bytes text = u16s("SET QUOTED_IDENTIFIER OFF");
  expect.insert(expect.end(), text.begin(), text.end());
  EXPECT_EQ(pkts[0], expect);
}

TEST(TdsRequest, SpExecuteSqlLayout) {
  Params ps{{"@id", Value::integer(7)}, {"name", Value::text("x")}, {"", Value::null()}};
  auto r = build_sp_executesql("SELECT @id, @name, @P3", ps, 0x1122334455667788ull, kLatin1);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Bytes& b = *r;
  EXPECT_EQ(Bytes(b.begin() + 10, b.begin() + 18), hex("88 77 66 55 44 33 22 11"));
  EXPECT_EQ(Bytes(b.begin() + 22, b.begin() + 28), hex("FF FF 0A 00 00 00"));
  Reader rd(ByteView(b).subspan(28));
  std::string name;
  ASSERT_TRUE(rd.b_varchar(name));
  EXPECT_EQ(name, "@stmt");
  std::uint8_t status;
  ASSERT_TRUE(rd.u8(status));
  TypeInfo t;
  ASSERT_EQ(read_type_info(rd, t, nullptr), Parse::Ok);
  EXPECT_EQ(t.type, type_id::NVarChar);
  Value v;
  ASSERT_EQ(read_value(rd, t, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "SELECT @id, @name, @P3");
  name.clear();
  ASSERT_TRUE(rd.b_varchar(name));
  EXPECT_EQ(name, "@params");
  ASSERT_TRUE(rd.u8(status));
  ASSERT_EQ(read_type_info(rd, t, nullptr), Parse::Ok);
  ASSERT_EQ(read_value(rd, t, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "@id int,@name nvarchar(4000),@P3 nvarchar(4000)");
  name.clear();
  ASSERT_TRUE(rd.b_varchar(name));
  EXPECT_EQ(name, "@id");
  ASSERT_TRUE(rd.u8(status));
  ASSERT_EQ(read_type_info(rd, t, nullptr), Parse::Ok);
  ASSERT_EQ(read_value(rd, t, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.kind, Value::Kind::Int);
  EXPECT_EQ(v.i, 7);
}

TEST(TdsRequest, LongStatementUsesPlp) {
  std::string sql = "SELECT '" + std::string(5000, 'a') + "'";
  auto r = build_sp_executesql(sql, {{"@a", Value::integer(1)}}, 0, kLatin1);
  ASSERT_TRUE(r.ok());
  Reader rd(ByteView(*r).subspan(28));
  std::string name;
  std::uint8_t st;
  TypeInfo t;
  Value v;
  ASSERT_TRUE(rd.b_varchar(name) && rd.u8(st));
  ASSERT_EQ(read_type_info(rd, t, nullptr), Parse::Ok);
  EXPECT_TRUE(t.plp);
  ASSERT_EQ(read_value(rd, t, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, sql);
}

TEST(TdsRequest, ParameterRoundTrips) {
  struct Case {
    Value in;
    const char* decl;
    Value::Kind kind;
    const char* text;
  };
  const Case cases[] = {
      {Value::integer(-5), "int", Value::Kind::Int, nullptr},
      {Value::integer(1LL << 40), "bigint", Value::Kind::Int, nullptr},
      {Value::boolean(true), "bit", Value::Kind::Bool, nullptr},
      {Value::of(Value::Kind::Decimal, "-12.3400"), "decimal(6,4)", Value::Kind::Decimal, "-12.3400"},
      {Value::of(Value::Kind::Decimal, "99999999999999999999999999999999999999"), "decimal(38,0)", Value::Kind::Decimal,
       "99999999999999999999999999999999999999"},
      {Value::of(Value::Kind::Date, "2024-02-29"), "date", Value::Kind::Date, "2024-02-29"},
      {Value::of(Value::Kind::Time, "13:45:30.1234567"), "time(7)", Value::Kind::Time, "13:45:30.1234567"},
      {Value::of(Value::Kind::DateTime, "2024-01-15 13:45:30.5"), "datetime2(7)", Value::Kind::DateTime,
       "2024-01-15T13:45:30.5000000"},
      {Value::of(Value::Kind::DateTimeOffset, "2024-01-01T01:00:00-03:30"), "datetimeoffset(7)",
       Value::Kind::DateTimeOffset, "2024-01-01T01:00:00.0000000-03:30"},
      {Value::of(Value::Kind::Guid, "6F9619FF-8B86-D011-B42D-00C04FC964FF"), "uniqueidentifier", Value::Kind::Guid,
       "6f9619ff-8b86-d011-b42d-00c04fc964ff"},
      {Value::text("h\xC3\xA9llo \xF0\x9F\x98\x80"), "nvarchar(4000)", Value::Kind::Text, "h\xC3\xA9llo \xF0\x9F\x98\x80"},
      {Value::binary(std::string("\x00\x01\xFF", 3)), "varbinary(8000)", Value::Kind::Binary, nullptr},
      {Value::binary(std::string(9000, 'z')), "varbinary(max)", Value::Kind::Binary, nullptr},
  };
  for (const auto& c : cases) {
    auto e = encode_param(c.in, kLatin1);
    ASSERT_TRUE(e.ok()) << c.decl;
    EXPECT_EQ(e->declaration, c.decl);
    Reader rd(e->type_and_value);
    TypeInfo t;
    ASSERT_EQ(read_type_info(rd, t, nullptr), Parse::Ok) << c.decl;
    Value v;
    std::string err;
    ASSERT_EQ(read_value(rd, t, v, &err), Parse::Ok) << c.decl << ": " << err;
    EXPECT_EQ(rd.remaining(), 0u) << c.decl;
    EXPECT_EQ(v.kind, c.kind) << c.decl;
    if (c.text) {
      EXPECT_EQ(v.s, c.text) << c.decl;
    }
    if (c.kind == Value::Kind::Int || c.kind == Value::Kind::Bool) {
      EXPECT_EQ(v.i, c.in.i) << c.decl;
    }
    if (c.kind == Value::Kind::Binary) {
      EXPECT_EQ(v.s, c.in.s) << c.decl;
    }
  }
  EXPECT_FALSE(encode_param(Value::of(Value::Kind::Date, "2023-02-30"), kLatin1).ok());
  EXPECT_FALSE(encode_param(Value::of(Value::Kind::Guid, "not-a-guid"), kLatin1).ok());
  EXPECT_FALSE(encode_param(Value::of(Value::Kind::Decimal, "1e5"), kLatin1).ok());
}

TEST(TdsRequest, NumbersPositionalPlaceholders) {
  EXPECT_EQ(number_placeholders("SELECT * FROM t WHERE a = ? AND b = '?' AND [c?] = ? -- ?\n/* ? */"),
            "SELECT * FROM t WHERE a = @P1 AND b = '?' AND [c?] = @P2 -- ?\n/* ? */");
  EXPECT_EQ(number_placeholders("SELECT 'it''s ?', ?"), "SELECT 'it''s ?', @P1");
}

// ------------------------------------------------------------------ types

TEST(TdsTypes, DecodesFixedAndScaledTypes) {
  auto dec = [](std::uint8_t type, std::string_view data_hex, std::uint8_t scale = 0, std::uint8_t precision = 0) {
    TypeInfo t;
    t.type = type;
    t.scale = scale;
    t.precision = precision;
    Value v;
    std::string err;
    Bytes d = hex(data_hex);
    EXPECT_EQ(decode_data(t, d, v, &err), Parse::Ok) << err;
    return v;
  };
  using namespace type_id;
  EXPECT_EQ(dec(IntN, "FF").i, 255);
  EXPECT_EQ(dec(IntN, "00 80").i, -32768);
  EXPECT_EQ(dec(Int8, "00 00 00 00 00 00 00 80").i, INT64_MIN);
  EXPECT_EQ(dec(Money, "00 00 00 80 00 00 00 00").s, "-922337203685477.5808");
  EXPECT_EQ(dec(Money, "FF FF FF 7F FF FF FF FF").s, "922337203685477.5807");
  EXPECT_EQ(dec(Money4, "68 C5 FF FF").s, "-1.5000");
  EXPECT_EQ(dec(DecimalN, "01 39 30 00 00", 2, 9).s, "123.45");
  EXPECT_EQ(dec(DecimalN, "00 01 00 00 00", 2, 9).s, "-0.01");
  EXPECT_EQ(dec(DecimalN, "01 FF FF FF FF 3F 22 8A 09 7A C4 86 5A A8 4C 3B 4B", 10, 38).s,
            "9999999999999999999999999999.9999999999");
  // datetime 9999-12-31 23:59:59.997 = days 2958463, ticks 25919999.
  EXPECT_EQ(dec(DateTime, "7F 24 2D 00 FF 81 8B 01").s, "9999-12-31T23:59:59.997");
  EXPECT_EQ(dec(DateTim4, "00 00 00 00").s, "1900-01-01T00:00:00");
  EXPECT_EQ(dec(DateN, "00 00 00").s, "0001-01-01");
  EXPECT_EQ(dec(DateN, "DA B9 37").s, "9999-12-31");
  EXPECT_EQ(dec(TimeN, "FF BF 69 2A C9", 7).s, "23:59:59.9999999");
  EXPECT_EQ(dec(TimeN, "00 00 00", 0).s, "00:00:00");
  // datetimeoffset: UTC 2024-03-01 07:59:59.9999999 with -08:00 → local 2024-02-29 23:59:59.9999999-08:00.
  {
    std::int64_t days = days_from_civil(2024, 3, 1) - days_from_civil(1, 1, 1);
    std::int64_t units = (7 * 3600 + 59 * 60 + 59) * 10000000LL + 9999999;
    Bytes d;
    Writer w(d);
    for (int i = 0; i < 5; ++i) w.u8(static_cast<std::uint8_t>(units >> (8 * i)));
    for (int i = 0; i < 3; ++i) w.u8(static_cast<std::uint8_t>(days >> (8 * i)));
    w.u16(static_cast<std::uint16_t>(-480));
    TypeInfo t;
    t.type = DateTimeOffsetN;
    t.scale = 7;
    Value v;
    ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
    EXPECT_EQ(v.s, "2024-02-29T23:59:59.9999999-08:00");
    EXPECT_EQ(v.kind, Value::Kind::DateTimeOffset);
  }
  EXPECT_EQ(dec(Guid, "67 45 23 01 AB 89 EF CD 01 23 45 67 89 AB CD EF").s, "01234567-89ab-cdef-0123-456789abcdef");
  EXPECT_EQ(dec(Flt4, "00 00 00 3F").f, 0.5);
  EXPECT_TRUE(dec(BitN, "01").i);
}

TEST(TdsTypes, CharacterDataThroughCollations) {
  TypeInfo t;
  t.type = type_id::BigVarChr;
  t.collation = kLatin1;  // SQL_Latin1_General_CP1_CI_AS → 1252
  EXPECT_EQ(t.collation.code_page(), 1252);
  Value v;
  Bytes d = hex("6E 61 EF 76 65 20 80");  // "naïve €" in CP1252
  ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "na\xC3\xAFve \xE2\x82\xAC");
  // A UTF-8 collation (flag bit 0x40 of the collation flags: byte 3 bit 2).
  t.collation = Collation::from_bytes(hex("09 04 00 04 00"));
  EXPECT_TRUE(t.collation.utf8());
  EXPECT_EQ(t.collation.code_page(), 65001);
  d = hex("C3 A9 E2 82 AC");
  ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "\xC3\xA9\xE2\x82\xAC");
  // Windows collation by LCID: Cyrillic (0x419) → 1251 via iconv.
  t.collation = Collation::from_bytes(hex("19 04 D0 00 00"));
  EXPECT_EQ(t.collation.code_page(), 1251);
  d = hex("CF F0 E8");
  ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "\xD0\x9F\xD1\x80\xD0\xB8");  // "При"
}

TEST(TdsTypes, SqlVariant) {
  TypeInfo t;
  t.type = type_id::SsVariant;
  Value v;
  Bytes d = hex("38 00 2A 00 00 00");  // int 42
  ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.kind, Value::Kind::Int);
  EXPECT_EQ(v.i, 42);
  d = hex("E7 07 09 04 D0 00 34 08 00 68 00 69 00");  // nvarchar 'hi'
  ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "hi");
  d = hex("6A 02 05 02 01 39 30 00 00");  // decimal(5,2) 123.45
  ASSERT_EQ(decode_data(t, d, v, nullptr), Parse::Ok);
  EXPECT_EQ(v.s, "123.45");
  d = hex("E7 01 00");
  EXPECT_EQ(decode_data(t, d, v, nullptr), Parse::Bad);
}

TEST(TdsTypes, TypeNames) {
  TypeInfo t;
  t.type = type_id::NVarChar;
  t.max_length = 100;
  EXPECT_EQ(type_name(t), "nvarchar(50)");
  t.max_length = 0xFFFF;
  EXPECT_EQ(type_name(t), "nvarchar(max)");
  t.type = type_id::DecimalN;
  t.precision = 10;
  t.scale = 2;
  EXPECT_EQ(type_name(t), "decimal(10,2)");
  t.type = type_id::IntN;
  t.max_length = 8;
  EXPECT_EQ(type_name(t), "bigint");
  EXPECT_EQ(value_kind(t), Value::Kind::Int);
}

// ------------------------------------------------------------------ token stream

namespace {

Bytes sample_response() {
  Bytes b;
  Writer w(b);
  // COLMETADATA: id int NOT NULL, name nvarchar(20) NULL, big nvarchar(max) NULL, n decimal(9,2)
  w.u8(token_id::ColMetadata);
  w.u16(4);
  w.u32(0); w.u16(0x0000); w.u8(type_id::IntN); w.u8(4); b_varchar(w, "id");
  w.u32(0); w.u16(0x0001); w.u8(type_id::NVarChar); w.u16(40); kLatin1.write(w); b_varchar(w, "name");
  w.u32(0); w.u16(0x0001); w.u8(type_id::NVarChar); w.u16(0xFFFF); kLatin1.write(w); b_varchar(w, "big");
  w.u32(0); w.u16(0x0001); w.u8(type_id::DecimalN); w.u8(5); w.u8(9); w.u8(2); b_varchar(w, "n");
  // TABNAME/COLINFO are skipped.
  w.u8(token_id::TabName); w.u16(3); w.u8(1); w.u8(0); w.u8(0);
  // ROW 1: 1, 'ab', PLP 'xyz' in two chunks, 123.45
  w.u8(token_id::Row);
  w.u8(4); w.u32(1);
  w.u16(4); w.bytes(u16s("ab"));
  w.u64(6); w.u32(2); w.bytes(u16s("x")); w.u32(4); w.bytes(u16s("yz")); w.u32(0);
  w.u8(5); w.u8(1); w.u32(12345);
  // NBCROW 2: 2, NULL, NULL, NULL (bitmap 0b1110)
  w.u8(token_id::NbcRow); w.u8(0x0E); w.u8(4); w.u32(2);
  // INFO
  w.u8(token_id::Info);
  {
    Bytes body;
    Writer bw(body);
    bw.u32(5701); bw.u8(2); bw.u8(0); us_varchar(bw, "Changed database context to 'demo'."); b_varchar(bw, "srv");
    b_varchar(bw, ""); bw.u32(1);
    w.u16(static_cast<std::uint16_t>(body.size()));
    w.bytes(body);
  }
  // ENVCHANGE routing
  w.u8(token_id::EnvChange);
  {
    Bytes body;
    Writer bw(body);
    bw.u8(env_type::Routing);
    Bytes host = u16s("replica.local");
    bw.u16(static_cast<std::uint16_t>(5 + host.size()));
    bw.u8(0); bw.u16(11001); bw.u16(static_cast<std::uint16_t>(host.size() / 2)); bw.bytes(host);
    bw.u16(0);
    w.u16(static_cast<std::uint16_t>(body.size()));
    w.bytes(body);
  }
  // ENVCHANGE begin transaction
  w.u8(token_id::EnvChange);
  w.u16(11); w.u8(env_type::BeginTran); w.u8(8); w.u64(0x0102030405060708ull); w.u8(0);
  // ORDER, RETURNSTATUS, FEATUREEXTACK, LOGINACK
  w.u8(token_id::Order); w.u16(2); w.u16(1);
  w.u8(token_id::ReturnStatus); w.u32(static_cast<std::uint32_t>(-4));
  w.u8(token_id::FeatureExtAck); w.u8(0x02); w.u32(0); w.u8(0xFF);
  w.u8(token_id::LoginAck);
  {
    Bytes body;
    Writer bw(body);
    bw.u8(1); bw.u32be(0x74000004); b_varchar(bw, "Microsoft SQL Server"); bw.u8(16); bw.u8(0); bw.u8(0x10); bw.u8(0);
    w.u16(static_cast<std::uint16_t>(body.size()));
    w.bytes(body);
  }
  // ERROR then DONE(ERROR|COUNT)
  w.u8(token_id::Error);
  {
    Bytes body;
    Writer bw(body);
    bw.u32(208); bw.u8(1); bw.u8(16); us_varchar(bw, "Invalid object name 'nope'."); b_varchar(bw, "srv");
    b_varchar(bw, "proc"); bw.u32(3);
    w.u16(static_cast<std::uint16_t>(body.size()));
    w.bytes(body);
  }
  w.u8(token_id::Done); w.u16(kDoneCount | kDoneError); w.u16(0xC1); w.u64(2);
  return b;
}

void check_sample(const std::vector<Token>& toks) {
  ASSERT_EQ(toks.size(), 13u);
  const auto& md = std::get<ColMetadataToken>(toks[0]);
  ASSERT_EQ(md.columns->size(), 4u);
  EXPECT_EQ((*md.columns)[1].name, "name");
  EXPECT_FALSE((*md.columns)[0].nullable());
  EXPECT_TRUE((*md.columns)[2].type.plp);
  EXPECT_TRUE(std::holds_alternative<SkippedToken>(toks[1]));
  const auto& r1 = std::get<RowToken>(toks[2]).values;
  EXPECT_EQ(r1[0].i, 1);
  EXPECT_EQ(r1[1].s, "ab");
  EXPECT_EQ(r1[2].s, "xyz");
  EXPECT_EQ(r1[3].s, "123.45");
  const auto& r2 = std::get<RowToken>(toks[3]).values;
  EXPECT_EQ(r2[0].i, 2);
  EXPECT_TRUE(r2[1].is_null() && r2[2].is_null() && r2[3].is_null());
  EXPECT_EQ(std::get<MessageToken>(toks[4]).number, 5701);
  EXPECT_FALSE(std::get<MessageToken>(toks[4]).error);
  const auto& route = std::get<EnvChangeToken>(toks[5]);
  EXPECT_EQ(route.type, env_type::Routing);
  EXPECT_EQ(route.routing_port, 11001);
  EXPECT_EQ(route.routing_host, "replica.local");
  EXPECT_EQ(std::get<EnvChangeToken>(toks[6]).new_bytes.size(), 8u);
  EXPECT_EQ(std::get<OrderToken>(toks[7]).columns, std::vector<std::uint16_t>{1});
  EXPECT_EQ(std::get<ReturnStatusToken>(toks[8]).value, -4);
  EXPECT_EQ(std::get<FeatureExtAckToken>(toks[9]).features.at(0).id, 0x02);
  EXPECT_EQ(std::get<LoginAckToken>(toks[10]).tds_version, 0x74000004u);
  EXPECT_EQ(std::get<LoginAckToken>(toks[10]).prog_name, "Microsoft SQL Server");
  const auto& err = std::get<MessageToken>(toks[11]);
  EXPECT_TRUE(err.error);
  EXPECT_EQ(err.number, 208);
  EXPECT_EQ(err.cls, 16);
  EXPECT_EQ(err.procedure, "proc");
  EXPECT_EQ(err.line, 3u);
  const auto& done = std::get<DoneToken>(toks[12]);
  EXPECT_EQ(done.status, kDoneCount | kDoneError);
  EXPECT_EQ(done.row_count, 2u);
}

}  // namespace

TEST(TdsTokens, ParsesWholeBuffer) { check_sample(parse_all(sample_response())); }

TEST(TdsTokens, ParsesIncrementallyByteByByte) { check_sample(parse_all(sample_response(), 1)); }

TEST(TdsTokens, ParsesIncrementallyInOddChunks) { check_sample(parse_all(sample_response(), 13)); }

TEST(TdsTokens, RejectsGarbage) {
  TokenParser p;
  Bytes b = hex("42 00 00");
  std::size_t used;
  Token t;
  EXPECT_EQ(p.next(b, used, t), TokenParser::Status::Failed);
  b = hex("D1 00");  // ROW without metadata
  TokenParser p2;
  EXPECT_EQ(p2.next(b, used, t), TokenParser::Status::Failed);
}

TEST(TdsTokens, TruncatedInputNeverOverreads) {
  Bytes full = sample_response();
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    TokenParser p;
    std::size_t off = 0;
    for (int guard = 0; guard < 64; ++guard) {
      std::size_t used;
      Token t;
      auto st = p.next(ByteView(full.data() + off, cut - off), used, t);
      if (st != TokenParser::Status::Parsed) {
        EXPECT_EQ(st, TokenParser::Status::NeedMore) << "cut at " << cut;
        break;
      }
      off += used;
    }
  }
}

TEST(TdsRequest, SqlBatchSpecExample46) {
  // MS-TDS §4.6 SQL Batch Client Request, byte for byte.
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::SqlBatch, build_sql_batch("\nselect 'foo' as 'bar'\n        ", 0), 4096, 0, id);
  ASSERT_EQ(pkts.size(), 1u);
  EXPECT_EQ(pkts[0], hex("01 01 00 5C 00 00 01 00 16 00 00 00 12 00 00 00 02 00 00 00 00 00 00 00 00 00 01 00 00 00 "
                         "0A 00 73 00 65 00 6C 00 65 00 63 00 74 00 20 00 27 00 66 00 6F 00 6F 00 27 00 20 00 61 00 "
                         "73 00 20 00 27 00 62 00 61 00 72 00 27 00 0A 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 "
                         "20 00"));
}

TEST(TdsRequest, RpcAllHeadersMatchSpecExample48) {
  // MS-TDS §4.8 RPC Client Request: the packet header type and ALL_HEADERS are the same for our
  // sp_executesql (which then uses the procedure id form 0xFFFF 0x000A instead of a name).
  const Bytes spec = hex("03 01 00 2F 00 00 01 00 16 00 00 00 12 00 00 00 02 00 00 00 00 00 00 00 00 00 01 00 00 00 "
                         "04 00 66 00 6F 00 6F 00 33 00 00 00 00 02 26 02 00");
  auto rpc = build_sp_executesql("SELECT 1", {}, 0, kLatin1);
  ASSERT_TRUE(rpc.ok());
  std::uint8_t id = 1;
  auto pkts = split_message(PacketType::Rpc, *rpc, 4096, 0, id);
  ASSERT_EQ(pkts.size(), 1u);
  EXPECT_EQ(pkts[0][0], spec[0]);
  EXPECT_EQ(pkts[0][1], spec[1]);
  EXPECT_EQ(Bytes(pkts[0].begin() + 8, pkts[0].begin() + 30), Bytes(spec.begin() + 8, spec.begin() + 30));
  // The spec's parameter (unnamed, fDefaultValue, INTN(2) with no value) is valid TYPE_INFO + value for our reader.
  Reader r(ByteView(spec).subspan(44));
  TypeInfo t;
  ASSERT_EQ(read_type_info(r, t, nullptr), Parse::Ok);
  EXPECT_EQ(t.type, type_id::IntN);
  Value v;
  ASSERT_EQ(read_value(r, t, v, nullptr), Parse::Ok);
  EXPECT_TRUE(v.is_null());
}
