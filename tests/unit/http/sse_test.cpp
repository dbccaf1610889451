#include "transport/http/sse.hpp"

#include <gtest/gtest.h>

using namespace azsql::transport::http;

TEST(Sse, FormatsOneEvent) {
  EXPECT_EQ(format_sse_event("g_1", R"({"a":1})"), "id: g_1\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(format_sse_event("p1_2", "", 2000), "id: p1_2\nretry: 2000\ndata: \n\n");
  EXPECT_EQ(format_sse_event("", "x"), "data: x\n\n");
  EXPECT_EQ(format_sse_comment("keep-alive"), ": keep-alive\n\n");
}

TEST(Sse, MultiLineDataBecomesSeveralDataFields) {
  EXPECT_EQ(format_sse_event("i_1", "a\nb\r\nc\rd"), "id: i_1\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(Sse, RoundTripThroughParserInArbitraryChunks) {
  std::string wire = format_sse_event("p1_1", "", 1500) + format_sse_comment("hi") +
                     format_sse_event("p1_2", R"({"jsonrpc":"2.0","method":"x"})") + format_sse_event("p1_3", "l1\nl2");
  for (std::size_t chunk = 1; chunk <= wire.size(); chunk += 7) {
    SseParser p;
    for (std::size_t i = 0; i < wire.size(); i += chunk) ASSERT_TRUE(p.feed(std::string_view(wire).substr(i, chunk)));
    auto evs = p.take();
    ASSERT_EQ(evs.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(evs[0].id, "p1_1");
    EXPECT_EQ(evs[0].data, "");
    EXPECT_EQ(evs[0].retry_ms, 1500);
    EXPECT_EQ(evs[1].id, "p1_2");
    EXPECT_EQ(evs[1].data, R"({"jsonrpc":"2.0","method":"x"})");
    EXPECT_EQ(evs[2].data, "l1\nl2");
  }
}

TEST(Sse, ParserHandlesCrLfAndIncompleteEvents) {
  SseParser p;
  ASSERT_TRUE(p.feed("id: a_1\r\ndata: x\r\n\r\ndata: partial"));
  auto evs = p.take();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].id, "a_1");
  EXPECT_EQ(evs[0].data, "x");
  EXPECT_TRUE(p.take().empty());
  ASSERT_TRUE(p.feed("\n\n"));
  evs = p.take();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].data, "partial");
}

TEST(Sse, ParserBoundsItsBuffer) {
  SseParser p(64);
  EXPECT_FALSE(p.feed("data: " + std::string(100, 'x')));
  EXPECT_FALSE(p.feed("\n\n"));  // stays failed
}
