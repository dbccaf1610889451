#include "tools/row_encoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace azsql::tools {
namespace {

namespace bj = boost::json;
using db::Value;

std::string enc(const Value& v) {
  std::string s;
  append_json(v, s);
  return s;
}

TEST(RowEncoder, IntegersAreNumbersUpTo2Pow53AndStringsBeyond) {
  EXPECT_EQ(enc(Value::integer(42)), "42");
  EXPECT_EQ(enc(Value::integer(-7)), "-7");
  EXPECT_EQ(enc(Value::integer(9007199254740992LL)), "9007199254740992");
  EXPECT_EQ(enc(Value::integer(9007199254740993LL)), "\"9007199254740993\"");
  EXPECT_EQ(enc(Value::integer(-9007199254740993LL)), "\"-9007199254740993\"");
  EXPECT_EQ(enc(Value::integer(std::numeric_limits<std::int64_t>::min())), "\"-9223372036854775808\"");
  EXPECT_TRUE(to_json(Value::integer(9007199254740993LL)).is_string());
  EXPECT_TRUE(to_json(Value::integer(12)).is_int64());
}

TEST(RowEncoder, DecimalsBoolsNullsAndTemporalValues) {
  EXPECT_EQ(enc(Value::of(Value::Kind::Decimal, "-12.3400")), "\"-12.3400\"");
  EXPECT_EQ(enc(Value::boolean(true)), "true");
  EXPECT_EQ(enc(Value::boolean(false)), "false");
  EXPECT_EQ(enc(Value::null()), "null");
  EXPECT_EQ(enc(Value::of(Value::Kind::DateTimeOffset, "2024-01-02T03:04:05.1234567+01:00")),
            "\"2024-01-02T03:04:05.1234567+01:00\"");
  EXPECT_EQ(enc(Value::of(Value::Kind::Guid, "6f9619ff-8b86-d011-b42d-00c04fc964ff")),
            "\"6f9619ff-8b86-d011-b42d-00c04fc964ff\"");
}

TEST(RowEncoder, FloatsRoundTripAndNonFiniteBecomeStrings) {
  EXPECT_EQ(enc(Value::real(1.5)), "1.5");
  EXPECT_EQ(enc(Value::real(0.1)), "0.1");
  EXPECT_EQ(bj::parse(enc(Value::real(1e300))).as_double(), 1e300);
  EXPECT_EQ(enc(Value::real(std::nan(""))), "\"NaN\"");
  EXPECT_EQ(enc(Value::real(-std::numeric_limits<double>::infinity())), "\"-Infinity\"");
}

TEST(RowEncoder, BinaryIsBase64PerRfc4648) {
  EXPECT_EQ(enc(Value::binary("")), "\"\"");
  EXPECT_EQ(enc(Value::binary("f")), "\"Zg==\"");
  EXPECT_EQ(enc(Value::binary("fo")), "\"Zm8=\"");
  EXPECT_EQ(enc(Value::binary("foo")), "\"Zm9v\"");
  EXPECT_EQ(enc(Value::binary("foobar")), "\"Zm9vYmFy\"");
  EXPECT_EQ(enc(Value::binary(std::string("\x00\xff\xfe", 3))), "\"AP/+\"");
  EXPECT_EQ(to_json(Value::binary("foob")).as_string(), "Zm9vYg==");
}

TEST(RowEncoder, StringsAreEscapedAndInvalidUtf8Repaired) {
  EXPECT_EQ(enc(Value::text("a\"b\\c\n\t\x01")), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  EXPECT_EQ(enc(Value::text("caf\xc3\xa9")), "\"caf\xc3\xa9\"");
  // A lone continuation byte and a truncated sequence become U+FFFD; the output parses as JSON.
  const std::string bad = enc(Value::text("a\x80" "b\xe2\x82"));
  EXPECT_EQ(bad, "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_NO_THROW((void)bj::parse(bad));
  EXPECT_EQ(to_json(Value::text("x\xff")).as_string(), "x\xEF\xBF\xBD");
  // Surrogates encoded in UTF-8 (CESU) are not valid UTF-8.
  EXPECT_EQ(enc(Value::text("\xed\xa0\x80")), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(RowEncoder, TextAndDomEncodingsAgree) {
  db::Row row{Value::integer(1), Value::text("Nord \"est\""), Value::null(), Value::real(2.25),
              Value::binary("\x01\x02"), Value::boolean(true), Value::integer(1LL << 60),
              Value::of(Value::Kind::Decimal, "10.00"), Value::text("\xc3\x28")};
  std::string text;
  const std::size_t n = append_json_row(row, text);
  EXPECT_EQ(n, text.size());
  EXPECT_EQ(bj::parse(text), bj::value(to_json_row(row)));
}

TEST(RowEncoder, AppendsWithoutTouchingExistingContent) {
  std::string buf = "prefix:";
  append_json_row({Value::integer(5)}, buf);
  append_json_row({}, buf);
  EXPECT_EQ(buf, "prefix:[5][]");
  EXPECT_STREQ(json_type_of(Value::Kind::Int), "integer");
  EXPECT_STREQ(json_type_of(Value::Kind::Binary), "base64");
  EXPECT_STREQ(json_type_of(Value::Kind::Decimal), "string");
}


// ---------------------------------------------------------------- text table (the model-facing rendering)

std::string field(const Value& v) {
  std::string out;
  append_text_field(v, out);
  return out;
}

TEST(RowText, ScalarsAreBareAndNullIsTheWordNull) {
  EXPECT_EQ(field(Value::null()), "NULL");
  EXPECT_EQ(field(Value::boolean(true)), "true");
  EXPECT_EQ(field(Value::integer(-42)), "-42");
  EXPECT_EQ(field(Value::integer(1LL << 60)), "1152921504606846976");  // no quotes beyond 2^53 in text
  EXPECT_EQ(field(Value::real(2.25)), "2.25");
  EXPECT_EQ(field(Value::real(std::numeric_limits<double>::infinity())), "Infinity");
  EXPECT_EQ(field(Value::binary(std::string("\x00\xff", 2))), "AP8=");
  EXPECT_EQ(field(Value::of(Value::Kind::Decimal, "-12.3400")), "-12.3400");
  EXPECT_EQ(field(Value::of(Value::Kind::DateTime, "2024-01-02T03:04:05.1234567")), "2024-01-02T03:04:05.1234567");
  EXPECT_EQ(field(Value::text("Nord-Est")), "Nord-Est");
  EXPECT_EQ(field(Value::text("back\\slash 'single' caf\xc3\xa9")), "back\\slash 'single' caf\xc3\xa9");
}

TEST(RowText, AmbiguousTextIsAJsonString) {
  EXPECT_EQ(field(Value::text("")), "\"\"");
  EXPECT_EQ(field(Value::text("NULL")), "\"NULL\"");
  EXPECT_EQ(field(Value::text("null")), "null");  // only the exact marker is ambiguous
  EXPECT_EQ(field(Value::text("a,b")), "\"a,b\"");
  EXPECT_EQ(field(Value::text("say \"hi\"")), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(field(Value::text("two\nlines")), "\"two\\nlines\"");
  EXPECT_EQ(field(Value::text(" lead")), "\" lead\"");
  EXPECT_EQ(field(Value::text("trail ")), "\"trail \"");
  EXPECT_EQ(field(Value::text("tab\there")), "\"tab\\there\"");
  EXPECT_EQ(field(Value::text("x\xff")), "\"x\xEF\xBF\xBD\"");  // invalid UTF-8: repaired, quoted
}

TEST(RowText, RowsAreOneLineAndTheHeaderCarriesTypes) {
  std::string out = "p:";
  const std::size_t n = append_text_row({Value::integer(1), Value::text("a\nb"), Value::null()}, out);
  EXPECT_EQ(out, "p:1,\"a\\nb\",NULL\n");
  EXPECT_EQ(n, out.size() - 2);
  std::vector<db::Column> cols(3);
  cols[0].name = "id";
  cols[0].type = "int";
  cols[1].name = "amount";
  cols[1].type = "decimal(10,2)";  // a comma: the field is quoted
  cols[2].name = "expr";
  cols[2].kind = Value::Kind::Float;  // no declared type: the JSON type
  std::string h;
  append_text_header(cols, h);
  EXPECT_EQ(h, "id:int,\"amount:decimal(10,2)\",expr:number\n");
}


TEST(RowText, ReportsTheJsonSizeOfTheRowWithoutEncodingIt) {
  const std::vector<db::Row> rows{
      {},
      {Value::null(), Value::boolean(false), Value::integer(7), Value::integer(1LL << 60), Value::integer(-(1LL << 60))},
      {Value::real(0.1), Value::real(std::nan("")), Value::real(-std::numeric_limits<double>::infinity())},
      {Value::binary(std::string("\x00\x01\x02", 3)), Value::binary(""), Value::of(Value::Kind::Decimal, "-1.50")},
      {Value::text("plain"), Value::text("back\\slash\\\\"), Value::text(""), Value::text("NULL"), Value::text("a,b")},
      {Value::text("q\"uote\n"), Value::text(" pad "), Value::text("x\xff\\"), Value::text("caf\xc3\xa9\\"),
       Value::of(Value::Kind::Guid, "01234567-89ab-cdef-0123-456789abcdef"),
       Value::of(Value::Kind::DateTimeOffset, "2024-01-02T03:04:05.1234567+01:00")},
  };
  for (const auto& row : rows) {
    std::string text, json;
    std::size_t json_size = 0;
    append_text_row(row, text, &json_size);
    EXPECT_EQ(json_size, append_json_row(row, json)) << json;
  }
}

}  // namespace
}  // namespace azsql::tools
