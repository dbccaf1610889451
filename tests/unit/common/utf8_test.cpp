#include "common/utf8.hpp"

#include <gtest/gtest.h>

using namespace azsql;

TEST(Utf8, ValidText) {
  EXPECT_TRUE(utf8::is_valid(""));
  EXPECT_TRUE(utf8::is_valid("plain ascii"));
  EXPECT_TRUE(utf8::is_valid("\xC3\xA9"));              // é
  EXPECT_TRUE(utf8::is_valid("\xE2\x82\xAC"));          // €
  EXPECT_TRUE(utf8::is_valid("\xF0\x9F\x98\x80"));      // U+1F600
  EXPECT_TRUE(utf8::is_valid("\xF4\x8F\xBF\xBF"));      // U+10FFFF
  EXPECT_TRUE(utf8::is_valid("\xED\x9F\xBF"));          // U+D7FF, just below the surrogates
  EXPECT_EQ(utf8::sequence_length("a\xF0\x9F\x98\x80", 1), 4u);
  EXPECT_EQ(utf8::sequence_length("a", 0), 1u);
}

TEST(Utf8, InvalidTextAndWhereItStarts) {
  EXPECT_EQ(utf8::first_invalid("ab\x80"), 2u);                 // lone continuation byte
  EXPECT_EQ(utf8::first_invalid("\xC0\xAF"), 0u);               // overlong '/'
  EXPECT_EQ(utf8::first_invalid("\xC1\xBF"), 0u);
  EXPECT_EQ(utf8::first_invalid("x\xE0\x9F\xBF"), 1u);          // overlong 3-byte
  EXPECT_EQ(utf8::first_invalid("\xED\xA0\x80"), 0u);           // surrogate U+D800
  EXPECT_EQ(utf8::first_invalid("\xF0\x8F\xBF\xBF"), 0u);       // overlong 4-byte
  EXPECT_EQ(utf8::first_invalid("\xF4\x90\x80\x80"), 0u);       // above U+10FFFF
  EXPECT_EQ(utf8::first_invalid("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(utf8::first_invalid("ok\xE2\x82"), 2u);             // truncated
  EXPECT_EQ(utf8::first_invalid("\xC3\xA9\xC3("), 2u);          // bad continuation
  EXPECT_EQ(utf8::first_invalid("\xE2\x82\xAC"), std::string_view::npos);
  EXPECT_FALSE(utf8::is_valid("\xFF"));
}

TEST(Utf8, RepairReplacesEachBadByte) {
  EXPECT_EQ(utf8::repair("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8::repair("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8::repair("\xC3\xA9"), "\xC3\xA9");
  EXPECT_TRUE(utf8::is_valid(utf8::repair("\xED\xA0\x80\xC0\xAF\xF4\x90")));
}
