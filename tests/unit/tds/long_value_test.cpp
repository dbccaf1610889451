// Long values (PLP (max) types, TEXT/NTEXT/IMAGE) decode incrementally: a ROW resumes where it
// stopped, whatever the split of the byte stream, and the caps on one value / one row hold.
#include <gtest/gtest.h>

#include <random>

#include "db/tds/codec/tokens.hpp"
#include "db/tds/codec/types.hpp"

using namespace azsql;
using namespace azsql::db;
using namespace azsql::db::tds;

namespace {

const Collation kLatin1 = Collation::from_bytes(std::array<std::uint8_t, 5>{0x09, 0x04, 0xD0, 0x00, 0x34});

void b_varchar(Writer& w, std::string_view s) {
  Bytes u = utf8_to_utf16le(s);
  w.u8(static_cast<std::uint8_t>(u.size() / 2));
  w.bytes(u);
}

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed) & 0xFF);
  return s;
}

void plp(Writer& w, ByteView data, std::size_t chunk, bool known_length = true) {
  w.u64(known_length ? data.size() : kPlpUnknownLength);
  for (std::size_t off = 0; off < data.size(); off += chunk) {
    const std::size_t n = std::min(chunk, data.size() - off);
    w.u32(static_cast<std::uint32_t>(n));
    w.bytes(data.subspan(off, n));
  }
  w.u32(0);
}

ByteView view(const std::string& s) { return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

/// COLMETADATA (id int, blob varbinary(max), doc nvarchar(max), img image, tail int), then rows:
/// row 1 with every value, an NBCROW with blob and img NULL, a ROW with PLP NULL, and DONE.
struct Sample {
  Bytes stream;
  std::string blob, doc_utf8, img;
};

Sample long_sample(std::size_t blob_size, std::size_t chunk) {
  Sample s;
  s.blob = pattern(blob_size, 7);
  s.doc_utf8 = std::string(blob_size / 4, 'x') + "caf\xC3\xA9";
  s.img = pattern(blob_size / 2 + 3, 11);
  Writer w(s.stream);
  w.u8(token_id::ColMetadata);
  w.u16(5);
  w.u32(0); w.u16(0); w.u8(type_id::IntN); w.u8(4); b_varchar(w, "id");
  w.u32(0); w.u16(1); w.u8(type_id::BigVarBin); w.u16(0xFFFF); b_varchar(w, "blob");
  w.u32(0); w.u16(1); w.u8(type_id::NVarChar); w.u16(0xFFFF); kLatin1.write(w); b_varchar(w, "doc");
  w.u32(0); w.u16(1); w.u8(type_id::Image); w.u32(0x7FFFFFFF);
  w.u8(1); w.u16(3); w.bytes(utf8_to_utf16le("img")); b_varchar(w, "img");  // table name parts
  w.u32(0); w.u16(1); w.u8(type_id::IntN); w.u8(4); b_varchar(w, "tail");
  const Bytes doc16 = utf8_to_utf16le(s.doc_utf8);
  // ROW 1
  w.u8(token_id::Row);
  w.u8(4); w.u32(1);
  plp(w, view(s.blob), chunk);
  plp(w, doc16, chunk + 1, false);  // unknown total length
  w.u8(16); for (int i = 0; i < 16; ++i) w.u8(0xAB); for (int i = 0; i < 8; ++i) w.u8(0);  // text ptr + timestamp
  w.u32(static_cast<std::uint32_t>(s.img.size())); w.bytes(view(s.img));
  w.u8(4); w.u32(99);
  // NBCROW 2: blob and img NULL (bits 1 and 3)
  w.u8(token_id::NbcRow); w.u8(0x0A);
  w.u8(4); w.u32(2);
  plp(w, doc16, chunk);
  w.u8(4); w.u32(98);
  // ROW 3: PLP NULL, empty PLP, TEXTPTR NULL
  w.u8(token_id::Row);
  w.u8(4); w.u32(3);
  w.u64(kPlpNull);
  w.u64(0); w.u32(0);
  w.u8(0);
  w.u8(0);  // tail NULL (INTN length 0)
  w.u8(token_id::Done); w.u16(kDoneCount); w.u16(0xC1); w.u64(3);
  return s;
}

struct Feed {
  std::vector<Token> tokens;
  TokenParser::Status last = TokenParser::Status::Parsed;
  std::string error;
  std::size_t max_held = 0;  ///< most bytes the caller had to keep unconsumed
};

/// Feeds `stream` in pieces whose sizes come from `next_piece`, dropping whatever the parser
/// consumes (as TdsConnection's Response does).
template <class F>
Feed feed(const Bytes& stream, F next_piece, ValueLimits limits = {}) {
  TokenParser p(limits);
  Feed f;
  std::size_t off = 0, avail = 0;
  for (int guard = 0; guard < 10'000'000; ++guard) {
    std::size_t used = 0;
    Token t;
    const auto st = p.next(ByteView(stream.data() + off, avail - off), used, t);
    EXPECT_LE(off + used, avail);
    off += used;
    f.max_held = std::max(f.max_held, avail - off);
    f.last = st;
    if (st == TokenParser::Status::Parsed) {
      f.tokens.push_back(std::move(t));
      if (off == stream.size()) break;
    } else if (st == TokenParser::Status::NeedMore) {
      if (avail == stream.size()) break;
      avail = std::min(stream.size(), avail + std::max<std::size_t>(1, next_piece()));
    } else {
      f.error = p.error();
      break;
    }
  }
  return f;
}

void check_long_sample(const Sample& s, const Feed& f) {
  ASSERT_EQ(f.last, TokenParser::Status::Parsed) << f.error;
  ASSERT_EQ(f.tokens.size(), 5u);
  const auto& r1 = std::get<RowToken>(f.tokens[1]).values;
  EXPECT_EQ(r1[0].i, 1);
  EXPECT_EQ(r1[1].kind, Value::Kind::Binary);
  EXPECT_EQ(r1[1].s, s.blob);
  EXPECT_EQ(r1[2].s, s.doc_utf8);
  EXPECT_EQ(r1[3].s, s.img);
  EXPECT_EQ(r1[4].i, 99);
  const auto& r2 = std::get<RowToken>(f.tokens[2]).values;
  EXPECT_EQ(r2[0].i, 2);
  EXPECT_TRUE(r2[1].is_null());
  EXPECT_EQ(r2[2].s, s.doc_utf8);
  EXPECT_TRUE(r2[3].is_null());
  EXPECT_EQ(r2[4].i, 98);
  const auto& r3 = std::get<RowToken>(f.tokens[3]).values;
  EXPECT_TRUE(r3[1].is_null());
  EXPECT_FALSE(r3[2].is_null());
  EXPECT_EQ(r3[2].s, "");
  EXPECT_TRUE(r3[3].is_null());
  EXPECT_TRUE(r3[4].is_null());
  EXPECT_EQ(std::get<DoneToken>(f.tokens[4]).row_count, 3u);
}

}  // namespace

TEST(TdsLongValues, WholeBuffer) {
  const Sample s = long_sample(50'000, 4000);
  check_long_sample(s, feed(s.stream, [&] { return s.stream.size(); }));
}

TEST(TdsLongValues, OneByteAtATimeNeverHoldsMoreThanAHeader) {
  const Sample s = long_sample(20'000, 777);
  const Feed f = feed(s.stream, [] { return std::size_t{1}; });
  check_long_sample(s, f);
  // Inside a row the parser absorbs every byte it is given except a partial header or a short
  // value; the most the caller ever holds is the small COLMETADATA token (about 100 bytes), where a
  // decoder that restarted the row would hold a whole 20,000-byte value.
  EXPECT_LT(f.max_held, 160u);
}

TEST(TdsLongValues, RandomSplitsGiveTheSameRows) {
  const Sample s = long_sample(60'000, 8000);
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::size_t> piece(1, seed % 2 ? 50 : 9000);
    const Feed f = feed(s.stream, [&] { return piece(rng); });
    SCOPED_TRACE(seed);
    check_long_sample(s, f);
    EXPECT_LT(f.max_held, 9000u + 64u);
  }
}

TEST(TdsLongValues, ValueCapRefusesADeclaredLengthBeforeItsData) {
  const Sample s = long_sample(50'000, 4000);
  // Only the tokens up to the first PLP length are given: the declared 50,000 bytes are refused
  // right away, before any of the data arrives.
  TokenParser p(ValueLimits{10'000, 1'000'000});
  std::size_t used = 0;
  Token t;
  ASSERT_EQ(p.next(s.stream, used, t), TokenParser::Status::Parsed);  // COLMETADATA
  const std::size_t row_start = used;
  const std::size_t header = 1 + 5 + 8;  // ROW id, INTN 4, PLP total
  ASSERT_EQ(p.next(ByteView(s.stream.data() + row_start, header), used, t), TokenParser::Status::TooLarge);
  EXPECT_NE(p.error().find("50000"), std::string::npos) << p.error();
  EXPECT_NE(p.error().find("10000"), std::string::npos) << p.error();
}

TEST(TdsLongValues, ValueCapHoldsForUnknownLengthChunksAndTextBodies) {
  Bytes b;
  Writer w(b);
  w.u8(token_id::ColMetadata); w.u16(1);
  w.u32(0); w.u16(1); w.u8(type_id::BigVarBin); w.u16(0xFFFF); b_varchar(w, "blob");
  const std::string big = pattern(5000, 3);
  w.u8(token_id::Row);
  plp(w, view(big), 1000, false);
  const Feed over = feed(b, [] { return std::size_t{100}; }, ValueLimits{4999, 1'000'000});
  EXPECT_EQ(over.last, TokenParser::Status::TooLarge);
  EXPECT_LT(over.max_held, 200u);
  const Feed exact = feed(b, [] { return std::size_t{100}; }, ValueLimits{5000, 5000});
  ASSERT_EQ(exact.last, TokenParser::Status::Parsed) << exact.error;
  EXPECT_EQ(std::get<RowToken>(exact.tokens.at(1)).values[0].s, big);

  // An IMAGE body of 4,003 bytes against a 4,002-byte cap: refused from its length, before the body.
  Bytes t;
  Writer tw(t);
  tw.u8(token_id::ColMetadata); tw.u16(1);
  tw.u32(0); tw.u16(1); tw.u8(type_id::Image); tw.u32(0x7FFFFFFF);
  tw.u8(1); tw.u16(3); tw.bytes(utf8_to_utf16le("img")); b_varchar(tw, "img");
  tw.u8(token_id::Row);
  tw.u8(16); for (int i = 0; i < 16; ++i) tw.u8(0xAB); for (int i = 0; i < 8; ++i) tw.u8(0);
  tw.u32(4003);
  const std::size_t header_end = t.size();
  for (int i = 0; i < 4003; ++i) tw.u8(static_cast<std::uint8_t>(i));
  const Feed img = feed(Bytes(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(header_end)),
                        [] { return std::size_t{7}; }, ValueLimits{4002, 1'000'000});
  EXPECT_EQ(img.last, TokenParser::Status::TooLarge);
  EXPECT_NE(img.error.find("4003"), std::string::npos) << img.error;
  const Feed img_ok = feed(t, [] { return std::size_t{500}; }, ValueLimits{4003, 1'000'000});
  ASSERT_EQ(img_ok.last, TokenParser::Status::Parsed) << img_ok.error;
  EXPECT_EQ(std::get<RowToken>(img_ok.tokens.at(1)).values[0].s.size(), 4003u);
}

TEST(TdsLongValues, RowCapCountsEveryValueOfTheRow) {
  const Sample s = long_sample(10'000, 4000);
  // Each value fits under the value cap; together row 1 holds ~10,000 + 5,000 + 5,003 bytes.
  const Feed over = feed(s.stream, [] { return std::size_t{333}; }, ValueLimits{12'000, 15'000});
  EXPECT_EQ(over.last, TokenParser::Status::TooLarge);
  EXPECT_NE(over.error.find("row"), std::string::npos) << over.error;
  const Feed fits = feed(s.stream, [] { return std::size_t{333}; }, ValueLimits{12'000, 40'000});
  check_long_sample(s, fits);
}

TEST(TdsLongValues, MalformedChunkingFails) {
  Bytes b;
  Writer w(b);
  w.u8(token_id::ColMetadata); w.u16(1);
  w.u32(0); w.u16(1); w.u8(type_id::BigVarBin); w.u16(0xFFFF); b_varchar(w, "blob");
  Bytes more = b, less = b;
  Writer wm(more), wl(less);
  // Declared 4 bytes, chunk of 6.
  wm.u8(token_id::Row); wm.u64(4); wm.u32(6); for (int i = 0; i < 6; ++i) wm.u8(1); wm.u32(0);
  // Declared 10 bytes, 4 sent.
  wl.u8(token_id::Row); wl.u64(10); wl.u32(4); for (int i = 0; i < 4; ++i) wl.u8(1); wl.u32(0);
  for (const Bytes* s : {&more, &less}) {
    const Feed f = feed(*s, [] { return std::size_t{3}; });
    EXPECT_EQ(f.last, TokenParser::Status::Failed);
    EXPECT_NE(f.error.find("PLP"), std::string::npos) << f.error;
  }
}

TEST(TdsLongValues, ResetForgetsAHalfReadRow) {
  const Sample s = long_sample(5'000, 1000);
  TokenParser p;
  std::size_t used = 0, off = 0;
  Token t;
  ASSERT_EQ(p.next(s.stream, used, t), TokenParser::Status::Parsed);
  off = used;
  ASSERT_EQ(p.next(ByteView(s.stream.data() + off, 3000), used, t), TokenParser::Status::NeedMore);
  EXPECT_GT(used, 2900u);  // the PLP data was absorbed
  p.reset();
  // After reset a ROW needs new metadata: the parser does not continue the old row.
  const Bytes row = {token_id::Row, 4, 1, 0, 0, 0};
  EXPECT_EQ(p.next(row, used, t), TokenParser::Status::Failed);
}
