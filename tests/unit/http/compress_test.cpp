#include "transport/http/compress.hpp"

#include <gtest/gtest.h>

using namespace azsql::transport::http;

TEST(Compress, AcceptEncoding) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("br, gzip;q=0.8, deflate"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("gzipx"));
}

TEST(Compress, GzipRoundTripAndShrinks) {
  std::string big;
  for (int i = 0; i < 2000; ++i) {
    big += R"({"id":)";
    big += std::to_string(i);
    big += R"(,"name":"row"},)";
  }
  auto z = gzip_compress(big);
  ASSERT_TRUE(z);
  EXPECT_LT(z->size(), big.size() / 4);
  ASSERT_GE(z->size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>((*z)[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>((*z)[1]), 0x8b);
  auto back = gzip_decompress(*z);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, big);
  EXPECT_FALSE(gzip_decompress("not gzip"));
  EXPECT_FALSE(gzip_decompress(*z, 100));  // output bound
}
