#include "transport/http/session_store.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace azsql::transport::http;
using namespace std::chrono_literals;

TEST(SessionStore, IdsAreRandomHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = new_session_id();
    ASSERT_EQ(id.size(), 32u);
    for (char c : id) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    EXPECT_TRUE(valid_session_id_syntax(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SessionStore, IdSyntax) {
  EXPECT_FALSE(valid_session_id_syntax(""));
  EXPECT_FALSE(valid_session_id_syntax("a b"));
  EXPECT_FALSE(valid_session_id_syntax(std::string(129, 'a')));
  EXPECT_FALSE(valid_session_id_syntax("abc\x7f"));
  EXPECT_TRUE(valid_session_id_syntax("abc-DEF_123"));
}

TEST(SessionStore, CreateFindRemove) {
  SessionStore st(10, {});
  auto s = st.create();
  ASSERT_TRUE(s.ok());
  auto id = (*s)->id();
  EXPECT_EQ((*s)->mcp()->id(), id);
  EXPECT_EQ(st.find(id), *s);
  EXPECT_EQ(st.size(), 1u);
  EXPECT_EQ(st.find("unknown"), nullptr);
  auto removed = st.remove(id);
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->closed());
  EXPECT_EQ(st.find(id), nullptr);
  EXPECT_EQ(st.remove(id), nullptr);
}

TEST(SessionStore, LimitOnLiveSessions) {
  SessionStore st(2, {});
  ASSERT_TRUE(st.create().ok());
  ASSERT_TRUE(st.create().ok());
  auto third = st.create();
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().kind, azsql::ErrorKind::Limit);
}

TEST(SessionStore, IdleExpirySkipsSessionsInUse) {
  SessionStore st(10, {});
  auto a = *st.create();
  auto b = *st.create();
  const auto t0 = SteadyClock::now();
  a->touch(t0);
  b->touch(t0);
  b->begin_use();  // a request or stream is open on b
  auto gone = st.expire_idle(t0 + 10min, 5min);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], a);
  EXPECT_TRUE(a->closed());
  EXPECT_FALSE(b->closed());
  EXPECT_EQ(st.find(b->id()), b);
  // Recently active sessions stay.
  b->end_use(t0 + 10min);
  EXPECT_TRUE(st.expire_idle(t0 + 12min, 5min).empty());
  EXPECT_EQ(st.expire_idle(t0 + 16min, 5min).size(), 1u);
  EXPECT_EQ(st.size(), 0u);
}

TEST(HttpSession, WaitersAndGetStreamOwnership) {
  HttpSession s("x", {});
  int calls = 0;
  auto h = s.add_waiter([&] { ++calls; });
  s.notify();
  EXPECT_EQ(calls, 1);
  auto g1 = s.claim_get_stream();  // notifies
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(s.owns_get_stream(g1));
  auto g2 = s.claim_get_stream();
  EXPECT_FALSE(s.owns_get_stream(g1));
  EXPECT_TRUE(s.owns_get_stream(g2));
  s.remove_waiter(h);
  s.notify();
  EXPECT_EQ(calls, 3);
  EXPECT_NE(s.next_stream_name(), s.next_stream_name());
}

TEST(HttpSession, CloseCancelsAndWakes) {
  HttpSession s("x", {});
  int calls = 0;
  s.add_waiter([&] { ++calls; });
  s.close();
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(calls, 1);
  s.close();  // idempotent
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s.mcp()->outbox(), nullptr);
}

TEST(HttpSession, LiveStreams) {
  HttpSession s("x", {});
  EXPECT_FALSE(s.stream_live("p1"));
  s.stream_begun("p1");
  EXPECT_TRUE(s.stream_live("p1"));
  EXPECT_FALSE(s.stream_live("p2"));
  s.stream_ended("p1");
  EXPECT_FALSE(s.stream_live("p1"));
}
