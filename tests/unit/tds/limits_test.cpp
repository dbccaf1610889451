// Large values and the in-doubt COMMIT on a real connection to the independent Python TDS test server
// (tests/tds_server): varbinary(max)/nvarchar(max) values in 8,000-byte PLP chunks over many packets,
// the caps on one value and one row, and a connection that breaks while a COMMIT is in flight.
#include <gtest/gtest.h>

#include "db/pool.hpp"
#include "db/tds/connection.hpp"
#include "tds_server_fixture.hpp"

using namespace azsql;
using namespace azsql::db;
using namespace azsql::db::tds;
using tds_test::TdsServer;

namespace {

struct Collect : RowSink {
  std::vector<Row> rows;
  void columns(const std::vector<Column>&) override {}
  bool row(const Row& r) override {
    rows.push_back(r);
    return true;
  }
};

TdsOptions options(const TdsServer& s) {
  TdsOptions o;
  o.port = static_cast<std::uint16_t>(s.port);
  o.database = "demo";
  o.user = "sa";
  o.password = "Passw0rd!";
  o.ca_file = s.cert;
  o.connect_timeout = std::chrono::milliseconds(10000);
  o.retry.max_retries = 0;
  return o;
}

std::unique_ptr<TdsConnection> open(const TdsOptions& o) {
  auto c = connect(o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? std::move(c).value() : nullptr;
}

}  // namespace

TEST(TdsLimits, LargeValuesUnderTheCapArriveWhole) {
  TdsServer srv;
  auto o = options(srv);
  o.max_value_bytes = 4u << 20;
  auto c = open(o);
  ASSERT_TRUE(c);
  Collect s;
  // 3,000,000 zero bytes (varbinary(max)) and 1,500,000 characters (nvarchar(max), 3,000,000 bytes).
  auto r = c->execute("SELECT zeroblob(3000000) AS b, printf('%.*c', 1500000, 'x') AS t", {}, &s, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(s.rows.size(), 1u);
  EXPECT_EQ(s.rows[0][0].kind, Value::Kind::Binary);
  EXPECT_EQ(s.rows[0][0].s, std::string(3000000, '\0'));
  EXPECT_EQ(s.rows[0][1].s, std::string(1500000, 'x'));
  EXPECT_TRUE(c->healthy());
  Collect again;
  ASSERT_TRUE(c->execute("SELECT 7", {}, &again, {}).ok());
  EXPECT_EQ(again.rows.at(0)[0].i, 7);
}

TEST(TdsLimits, AValueOverTheCapFailsWithLimitAndClosesTheConnection) {
  TdsServer srv;
  auto o = options(srv);
  o.max_value_bytes = 1u << 20;
  Pool pool(connection_factory(o), 1);
  {
    auto pc = pool.acquire(std::chrono::milliseconds(5000));
    ASSERT_TRUE(pc.ok());
    Collect s;
    auto r = (*pc)->execute("SELECT 1 AS id, zeroblob(5000000) AS b", {}, &s, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Limit);
    EXPECT_TRUE(r.error().broken);
    EXPECT_NE(r.error().message.find("5000000"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("MCP_MAX_VALUE_BYTES=1048576"), std::string::npos) << r.error().message;
    EXPECT_TRUE(s.rows.empty());
    EXPECT_FALSE((*pc)->healthy());
  }
  EXPECT_EQ(pool.stats().discarded, 1u);
  auto pc = pool.acquire(std::chrono::milliseconds(5000));
  ASSERT_TRUE(pc.ok());
  Collect s;
  ASSERT_TRUE((*pc)->execute("SELECT TOP 3 id FROM big_table", {}, &s, {}).ok());
  EXPECT_EQ(s.rows.size(), 3u);
}

TEST(TdsLimits, ARowOverTheCapFails) {
  TdsServer srv;
  auto o = options(srv);
  o.max_value_bytes = 1u << 20;
  o.max_row_bytes = 1500000;
  auto c = open(o);
  ASSERT_TRUE(c);
  Collect s;
  auto r = c->execute("SELECT zeroblob(800000) AS a, zeroblob(800000) AS b", {}, &s, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Limit);
  EXPECT_NE(r.error().message.find("a row"), std::string::npos) << r.error().message;
  EXPECT_FALSE(c->healthy());
}

TEST(TdsLimits, CommitLostWithTheConnectionIsInDoubt) {
  for (const char* when : {"before", "after"}) {
    SCOPED_TRACE(when);
    TdsServer srv({"--drop-on-commit", when});
    auto c = open(options(srv));
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->begin().ok());
    auto w = c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'doubt')", {}, nullptr, {});
    ASSERT_TRUE(w.ok()) << w.error().message;
    auto s = c->commit();
    ASSERT_FALSE(s.ok());
    EXPECT_TRUE(s.error().in_doubt);
    EXPECT_TRUE(s.error().broken);
    EXPECT_NE(s.error().message.find("may or may not have been committed"), std::string::npos) << s.error().message;
    EXPECT_FALSE(c->healthy());
    // What happened on the server differs, which is why the caller is told to check.
    auto check = open(options(srv));
    ASSERT_TRUE(check);
    Collect rows;
    ASSERT_TRUE(check->execute("SELECT COUNT(*) FROM Region WHERE Region_Libelle = N'doubt'", {}, &rows, {}).ok());
    EXPECT_EQ(rows.rows.at(0)[0].i, std::string(when) == "after" ? 1 : 0);
  }
}

TEST(TdsLimits, ACommitTheServerRefusesOrABrokenWriteIsNotInDoubt) {
  TdsServer srv;
  auto c = open(options(srv));
  ASSERT_TRUE(c);
  // COMMIT without a transaction: the server answers 3902, a definite failure.
  auto s = c->commit();
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().in_doubt);
  EXPECT_EQ(s.error().code, 3902);

  TdsServer dropping({"--drop-after-rows", "5"});
  auto d = open(options(dropping));
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->begin().ok());
  Collect rows;
  auto r = d->execute("SELECT id FROM big_table", {}, &rows, {});
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().in_doubt);  // the transaction never reached COMMIT: rolled back with the session
  auto after = d->commit();
  ASSERT_FALSE(after.ok());
  EXPECT_FALSE(after.error().in_doubt);  // never sent: the connection was already broken
}
