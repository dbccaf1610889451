#include "common/hex.hpp"

#include <gtest/gtest.h>

#include <array>

using namespace azsql;

TEST(Hex, EncodesBothCases) {
  const std::array<std::uint8_t, 4> b{0x00, 0x9F, 0xA0, 0xFF};
  EXPECT_EQ(hex::encode(b, hex::Case::Lower), "009fa0ff");
  EXPECT_EQ(hex::encode(b, hex::Case::Upper), "009FA0FF");
  EXPECT_EQ(hex::encode(std::string_view("\x01\xab", 2), hex::Case::Upper), "01AB");
  EXPECT_EQ(hex::encode(std::string_view(), hex::Case::Lower), "");
}

TEST(Hex, DigitValues) {
  EXPECT_EQ(hex::digit_value('0'), 0);
  EXPECT_EQ(hex::digit_value('9'), 9);
  EXPECT_EQ(hex::digit_value('a'), 10);
  EXPECT_EQ(hex::digit_value('F'), 15);
  EXPECT_EQ(hex::digit_value('g'), -1);
  EXPECT_EQ(hex::digit_value('/'), -1);
  EXPECT_EQ(hex::digit_value(':'), -1);
  EXPECT_EQ(hex::digit(0x1A, hex::Case::Lower), 'a');  // only the low nibble counts
}

TEST(Hex, DecodeIsStrict) {
  EXPECT_EQ(hex::decode("00fFa0"), std::string("\x00\xff\xa0", 3));
  EXPECT_EQ(hex::decode(""), "");
  EXPECT_EQ(hex::decode("abc"), std::nullopt);   // odd length
  EXPECT_EQ(hex::decode("0x00"), std::nullopt);  // no prefix
  EXPECT_EQ(hex::decode("00 1"), std::nullopt);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(hex::decode(hex::encode(all, hex::Case::Upper)), all);
}
