#include "common/base64.hpp"

#include <gtest/gtest.h>

using namespace azsql::base64;

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648VectorsPadded) {
  const std::pair<const char*, const char*> v[] = {{"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},    {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [in, out] : v) {
    EXPECT_EQ(encode(in, Alphabet::Standard, Padding::Padded), out);
    EXPECT_EQ(decode(out, Alphabet::Standard, PadRule::Required), in);
    EXPECT_EQ(decode(out, Alphabet::Standard, PadRule::Optional), in);
  }
  EXPECT_EQ(encode("fo", Alphabet::UrlSafe, Padding::Unpadded), "Zm8");
  EXPECT_EQ(decode("Zm8", Alphabet::UrlSafe, PadRule::Forbidden), "fo");
  EXPECT_EQ(decode("Zm8", Alphabet::UrlSafe, PadRule::Optional), "fo");
}

TEST(Base64, AlphabetsDifferOnlyInTheLastTwoSymbols) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(encode(bytes, Alphabet::Standard, Padding::Padded), "+/+/");
  EXPECT_EQ(encode(bytes, Alphabet::UrlSafe, Padding::Padded), "-_-_");
  EXPECT_EQ(decode("+/+/", Alphabet::UrlSafe, PadRule::Optional), std::nullopt);
  EXPECT_EQ(decode("-_-_", Alphabet::Standard, PadRule::Optional), std::nullopt);
  EXPECT_EQ(decode("-_-_", Alphabet::UrlSafe, PadRule::Forbidden), bytes);
}

TEST(Base64, AppendKeepsWhatIsThere) {
  std::string out = "\"";
  append("hi", out, Alphabet::Standard, Padding::Padded);
  EXPECT_EQ(out, "\"aGk=");
}

TEST(Base64, PaddingRules) {
  EXPECT_EQ(decode("Zg", Alphabet::Standard, PadRule::Required), std::nullopt);
  EXPECT_EQ(decode("Zg==", Alphabet::Standard, PadRule::Forbidden), std::nullopt);
  EXPECT_EQ(decode("Zg=", Alphabet::Standard, PadRule::Optional), std::nullopt);    // short padding
  EXPECT_EQ(decode("Zm8==", Alphabet::Standard, PadRule::Optional), std::nullopt);  // extra padding
  EXPECT_EQ(decode("Zm9v=", Alphabet::Standard, PadRule::Optional), std::nullopt);
  EXPECT_EQ(decode("Zm9v====", Alphabet::Standard, PadRule::Optional), std::nullopt);
  EXPECT_EQ(decode("=", Alphabet::Standard, PadRule::Optional), std::nullopt);
  EXPECT_EQ(decode("====", Alphabet::Standard, PadRule::Optional), std::nullopt);
}

TEST(Base64, DecodeRejectsAnythingNonCanonical) {
  EXPECT_EQ(decode("Z", Alphabet::Standard, PadRule::Optional), std::nullopt);        // 6 bits
  EXPECT_EQ(decode("Zm9vY", Alphabet::Standard, PadRule::Optional), std::nullopt);    // 6 trailing bits
  EXPECT_EQ(decode("Zh==", Alphabet::Standard, PadRule::Required), std::nullopt);     // unused bits set
  EXPECT_EQ(decode("Zm9=", Alphabet::Standard, PadRule::Required), std::nullopt);     // unused bits set
  EXPECT_EQ(decode("Zm 9v", Alphabet::Standard, PadRule::Optional), std::nullopt);    // whitespace
  EXPECT_EQ(decode("Zm9v\n", Alphabet::Standard, PadRule::Optional), std::nullopt);
  EXPECT_EQ(decode("Zg==Zg==", Alphabet::Standard, PadRule::Required), std::nullopt); // data after padding
  EXPECT_EQ(decode("Z=g=", Alphabet::Standard, PadRule::Required), std::nullopt);
  EXPECT_EQ(decode("Zm9v*", Alphabet::Standard, PadRule::Optional), std::nullopt);
}

TEST(Base64, EveryByteRoundTripsInEveryVariant) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t len = 0; len <= all.size(); len += 37) {
    const std::string part = all.substr(0, len);
    for (auto a : {Alphabet::Standard, Alphabet::UrlSafe}) {
      EXPECT_EQ(decode(encode(part, a, Padding::Padded), a, PadRule::Required), part);
      EXPECT_EQ(decode(encode(part, a, Padding::Unpadded), a, PadRule::Forbidden), part);
    }
  }
}
