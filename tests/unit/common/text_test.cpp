#include "common/text.hpp"

#include <gtest/gtest.h>

using namespace azsql::text;

TEST(Text, CaseFoldingTouchesOnlyAsciiLetters) {
  EXPECT_EQ(to_lower("SELECT Name_1 FROM [Dbo]"), "select name_1 from [dbo]");
  EXPECT_EQ(to_upper("select name_1 @x"), "SELECT NAME_1 @X");
  // UTF-8 bytes (É = C3 89, é = C3 A9) and punctuation pass through unchanged.
  EXPECT_EQ(to_lower("\xC3\x89T\xC3\xA9"), "\xC3\x89t\xC3\xA9");
  EXPECT_EQ(to_upper("\xC3\xA9t\xC3\xA9"), "\xC3\xA9T\xC3\xA9");
  EXPECT_EQ(to_lower('@'), '@');
  EXPECT_EQ(to_lower('['), '[');  // the byte after 'Z'
  EXPECT_EQ(to_upper('`'), '`');  // the byte before 'a'
  EXPECT_EQ(to_upper('{'), '{');
}

TEST(Text, CaseInsensitiveEquality) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("abc", "ab"));
  EXPECT_FALSE(iequals("[", "{"));  // 0x5B vs 0x7B differ by the case bit but are not letters
  EXPECT_FALSE(iequals("\xC3\x89", "\xC3\xA9"));  // É vs é: not ASCII, compared as bytes
  EXPECT_TRUE(istarts_with("Bearer abc", "bearer "));
  EXPECT_FALSE(istarts_with("Bear", "bearer"));
}

TEST(Text, CaseInsensitiveOrdering) {
  EXPECT_EQ(icompare("ABC", "abc"), 0);
  EXPECT_LT(icompare("abc", "ABD"), 0);
  EXPECT_GT(icompare("b", "A"), 0);
  EXPECT_LT(icompare("ab", "ABC"), 0);
  EXPECT_GT(icompare("abc", "AB"), 0);
  EXPECT_GT(icompare("\xC3", "a"), 0);  // bytes compare unsigned
}

TEST(Text, CaseInsensitiveContainment) {
  EXPECT_TRUE(icontains("application/OpenMetrics-Text; version=1.0.0", "openmetrics-text"));
  EXPECT_TRUE(icontains("abc", ""));
  EXPECT_FALSE(icontains("ab", "abc"));
  EXPECT_FALSE(icontains("text/plain", "text/html"));
}

TEST(Text, EditDistanceCountsEditsAndTranspositions) {
  EXPECT_EQ(edit_distance("SELEC", "select"), 1u);  // one deletion, case ignored
  EXPECT_EQ(edit_distance("FRM", "from"), 1u);
  EXPECT_EQ(edit_distance("slecet", "select"), 2u);  // a transposition counts once
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance(std::string(300, 'a'), "a"), 300u);  // over 256 bytes: not compared
}

TEST(Text, TrimRemovesAsciiWhitespaceOnly) {
  EXPECT_EQ(trim("  \t\r\n x y \v\f"), "x y");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // NBSP is not ASCII whitespace
}

TEST(Text, PercentEncodingRoundTrips) {
  EXPECT_EQ(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
  EXPECT_EQ(percent_encode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
  EXPECT_EQ(percent_decode("a%20b%2fc%3Fd"), "a b/c?d");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%4"), std::nullopt);
  EXPECT_EQ(percent_decode("%4G"), std::nullopt);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(percent_decode(percent_encode(all)), all);
}
