#include "transport/http/event_store.hpp"

#include <gtest/gtest.h>

using namespace azsql::transport::http;

TEST(EventStore, IdsNameTheirStream) {
  EventStore s;
  auto a = s.append("g", "one");
  auto b = s.append("p1", "two");
  auto pa = parse_event_id(a);
  auto pb = parse_event_id(b);
  ASSERT_TRUE(pa && pb);
  EXPECT_EQ(pa->stream, "g");
  EXPECT_EQ(pb->stream, "p1");
  EXPECT_LT(pa->seq, pb->seq);
  EXPECT_NE(a, b);
}

TEST(EventStore, ParseRejectsMalformedIds) {
  EXPECT_FALSE(parse_event_id(""));
  EXPECT_FALSE(parse_event_id("g"));
  EXPECT_FALSE(parse_event_id("_5"));
  EXPECT_FALSE(parse_event_id("g_"));
  EXPECT_FALSE(parse_event_id("g_5x"));
  EXPECT_FALSE(parse_event_id("g_-5"));
  EXPECT_FALSE(parse_event_id("g_99999999999999999999999"));
  auto ok = parse_event_id("p_1_7");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->stream, "p_1");
  EXPECT_EQ(ok->seq, 7u);
}

TEST(EventStore, ReplaysOnlyTheNamedStreamAfterTheId) {
  EventStore s;
  auto g1 = s.append("g", "g1");
  s.append("p1", "p1a");
  s.append("g", "g2");
  s.append("g", "g3");
  auto from = parse_event_id(g1);
  bool complete = false;
  auto evs = s.after("g", from->seq, &complete);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].data, "g2");
  EXPECT_EQ(evs[1].data, "g3");
  EXPECT_TRUE(complete);
  EXPECT_TRUE(s.after("g", evs[1].seq).empty());
  EXPECT_TRUE(s.after("nope", 0).empty());
}

TEST(EventStore, BoundedByCountOldestFirst) {
  EventStore s({3, 1 << 20});
  for (int i = 0; i < 10; ++i) {
    std::string data(1, 'e');
    data += std::to_string(i);
    s.append("g", data);
  }
  EXPECT_EQ(s.size(), 3u);
  bool complete = true;
  auto evs = s.after("g", 0, &complete);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs.front().data, "e7");
  EXPECT_FALSE(complete);  // e0..e6 were evicted
  EXPECT_TRUE(s.after("g", evs[0].seq - 1, &complete).size() == 3 && complete);
}

TEST(EventStore, BoundedByBytes) {
  EventStore s({1000, 100});
  for (int i = 0; i < 10; ++i) s.append("g", std::string(30, 'x'));
  EXPECT_LE(s.bytes(), 100u);
  EXPECT_EQ(s.size(), 3u);
  // An event larger than the whole budget gets an id but is not kept.
  auto id = s.append("p9", std::string(500, 'y'), true);
  EXPECT_TRUE(parse_event_id(id).has_value());
  EXPECT_LE(s.bytes(), 100u);
  bool complete = true;
  EXPECT_TRUE(s.after("p9", 0, &complete).empty());
  EXPECT_FALSE(complete);
  EXPECT_TRUE(s.finished("p9"));
}

TEST(EventStore, FinishAndPrime) {
  EventStore s;
  auto prime = s.prime("p1");
  auto pp = parse_event_id(prime);
  ASSERT_TRUE(pp);
  EXPECT_EQ(s.size(), 0u);  // priming stores nothing
  s.append("p1", "progress");
  EXPECT_FALSE(s.finished("p1"));
  s.append("p1", "response", true);
  EXPECT_TRUE(s.finished("p1"));
  auto evs = s.after("p1", pp->seq);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[1].data, "response");
  s.finish("p2");
  EXPECT_TRUE(s.finished("p2"));
  EXPECT_GE(s.last_seq(), 3u);
}
