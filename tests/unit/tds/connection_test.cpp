// The TDS connection against the independent Python TDS test server (tests/tds_server).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "db/pool.hpp"
#include "db/tds/connection.hpp"
#include "tds_server_fixture.hpp"

using namespace azsql;
using namespace azsql::db;
using namespace azsql::db::tds;
using tds_test::TdsServer;

namespace {

struct Collect : RowSink {
  std::vector<Column> cols;
  std::vector<Row> rows;
  std::size_t limit = SIZE_MAX;
  int result_sets = 0;
  void columns(const std::vector<Column>& c) override {
    cols = c;
    ++result_sets;
  }
  bool row(const Row& r) override {
    rows.push_back(r);
    return rows.size() < limit;
  }
};

TdsOptions base(const TdsServer& s) {
  TdsOptions o;
  o.host = "127.0.0.1";
  o.port = static_cast<std::uint16_t>(s.port);
  o.database = "demo";
  o.user = "sa";
  o.password = "Passw0rd!";
  o.encrypt = EncryptMode::Yes;
  o.ca_file = s.cert;
  o.connect_timeout = std::chrono::milliseconds(10000);
  o.retry.initial_delay = std::chrono::milliseconds(20);
  o.retry.max_delay = std::chrono::milliseconds(100);
  return o;
}

std::unique_ptr<TdsConnection> must_connect(const TdsOptions& o) {
  auto c = connect(o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  if (!c.ok()) return nullptr;
  return std::move(c).value();
}

Row one_row(Connection& c, const std::string& sql, const Params& p = {}) {
  Collect s;
  auto r = c.execute(sql, p, &s, {});
  EXPECT_TRUE(r.ok()) << sql << ": " << (r.ok() ? "" : r.error().message);
  if (s.rows.empty()) return {};
  return s.rows[0];
}

}  // namespace

TEST(TdsConnection, SqlLoginWithTlsTrustedByCaFile) {
  TdsServer srv;
  ASSERT_GT(srv.port, 0) << srv.line;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->session().encrypted);
  EXPECT_EQ(c->session().database, "demo");
  EXPECT_EQ(c->session().tds_version, 0x74000004u);
  auto r = one_row(*c, "SELECT CONNECTIONPROPERTY('tls_mode'), DB_NAME(), 1 + 1");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].s, "full");
  EXPECT_EQ(r[1].s, "demo");
  EXPECT_EQ(r[2].i, 2);
}

TEST(TdsConnection, BadPasswordIs18456) {
  TdsServer srv;
  auto o = base(srv);
  o.password = "wrong";
  auto c = connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, 18456);
  EXPECT_EQ(c.error().kind, ErrorKind::Auth);
  EXPECT_NE(c.error().message.find("Login failed"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().message.find("wrong"), std::string::npos);  // never echo the secret
}

TEST(TdsConnection, WrongCertificateNameIsRefused) {
  TdsServer srv;
  auto o = base(srv);
  o.hostname_in_certificate = "wrong.example.com";
  auto c = connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::Tls) << c.error().message;
  // Without the CA the self-signed certificate is not trusted either...
  o = base(srv);
  o.ca_file.clear();
  c = connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::Tls);
  // ...unless TrustServerCertificate is set; "localhost" matches the certificate's SAN.
  o.trust_server_certificate = true;
  EXPECT_TRUE(connect(o).ok());
  o = base(srv);
  o.host = "localhost";
  EXPECT_TRUE(connect(o).ok());
}

TEST(TdsConnection, LoginOnlyEncryptionWhenBothSidesSayOff) {
  TdsServer srv;
  auto o = base(srv);
  o.encrypt = EncryptMode::No;
  auto c = must_connect(o);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->session().encrypted);
  EXPECT_EQ(one_row(*c, "SELECT CONNECTIONPROPERTY('tls_mode')")[0].s, "login");
}

TEST(TdsConnection, StrictTds8) {
  TdsServer srv({"--encryption", "strict"});
  auto o = base(srv);
  o.encrypt = EncryptMode::Strict;
  auto c = must_connect(o);
  ASSERT_TRUE(c);
  auto r = one_row(*c, "SELECT CONNECTIONPROPERTY('tls_mode')");
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r[0].s.rfind("strict", 0), 0u) << r[0].s;
}

TEST(TdsConnection, FollowsRouting) {
  TdsServer srv({"--route-to", "self"});
  ASSERT_GT(srv.routing_port, 0) << srv.line;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session().routing_hops, 1);
  EXPECT_EQ(c->session().port, srv.routing_port);
  EXPECT_EQ(one_row(*c, "SELECT 42")[0].i, 42);
}

TEST(TdsConnection, RetriesTransientLoginErrors) {
  TdsServer srv({"--transient-login-errors", "2"});
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session().attempts, 3);
  // With a single attempt allowed, 40613 comes back marked transient.
  TdsServer srv2({"--transient-login-errors", "1"});
  auto o = base(srv2);
  o.retry.max_retries = 0;
  auto r = connect(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 40613);
  EXPECT_TRUE(r.error().transient);
}

TEST(TdsConnection, FedAuthTokenLoginAndRefreshOn18456) {
  TdsServer srv({"--accept-token", "good-token"});
  auto o = base(srv);
  o.user.clear();
  o.password.clear();
  int calls = 0;
  std::vector<bool> forced;
  o.access_token = [&](bool force) -> Result<std::string> {
    ++calls;
    forced.push_back(force);
    return std::string(force ? "good-token" : "expired-token");
  };
  auto c = must_connect(o);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->session().fedauth);
  EXPECT_EQ(forced, (std::vector<bool>{false, true}));
  EXPECT_EQ(one_row(*c, "SELECT CONNECTIONPROPERTY('auth_scheme')")[0].s, "FEDAUTH");
}

TEST(TdsConnection, BatchErrorsCarryNumberStateClass) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  Collect s;
  auto r = c->execute("SELECT * FROM no_such_table", {}, &s, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Database);
  EXPECT_EQ(r.error().code, 208);
  EXPECT_EQ(r.error().severity, 16);
  EXPECT_NE(r.error().message.find("no_such_table"), std::string::npos);
  EXPECT_TRUE(c->healthy());
  EXPECT_EQ(one_row(*c, "SELECT 1")[0].i, 1);
}

TEST(TdsConnection, RpcParametersOfEveryKind) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  std::string big(5000, 'x');
  big += "\xF0\x9F\x98\x80";
  Params p{{"@i", Value::integer(-7)},
           {"@b", Value::integer(1LL << 40)},
           {"@f", Value::real(2.5)},
           {"@d", Value::of(Value::Kind::Decimal, "12.3400")},
           {"@bit", Value::boolean(true)},
           {"@s", Value::text("h\xC3\xA9llo")},
           {"@big", Value::text(big)},
           {"@bin", Value::binary(std::string("\x01\x02\xFF", 3))},
           {"@dt", Value::of(Value::Kind::DateTime, "2024-01-15T13:45:30.1234567")},
           {"@g", Value::of(Value::Kind::Guid, "6f9619ff-8b86-d011-b42d-00c04fc964ff")},
           {"@n", Value::null()},
           {"@date", Value::of(Value::Kind::Date, "2024-02-29")}};
  auto r = one_row(*c, "SELECT @i, @b, @f, @d, @bit, @s, LEN(@big), @bin, @dt, @g, @n, @date", p);
  ASSERT_EQ(r.size(), 12u);
  EXPECT_EQ(r[0].i, -7);
  EXPECT_EQ(r[1].i, 1LL << 40);
  EXPECT_DOUBLE_EQ(r[2].f, 2.5);
  // The shim types expression columns from their values (decimal params come back as float).
  if (r[3].kind == Value::Kind::Float) {
    EXPECT_DOUBLE_EQ(r[3].f, 12.34);
  } else {
    EXPECT_EQ(r[3].s, "12.3400");
  }
  EXPECT_TRUE(r[4].i);
  EXPECT_EQ(r[5].s, "h\xC3\xA9llo");
  EXPECT_EQ(r[6].i, 5001);  // the shim's LEN counts code points (SQL Server would count 5002 UTF-16 units)
  EXPECT_EQ(r[7].s, std::string("\x01\x02\xFF", 3));
  ASSERT_GE(r[8].s.size(), 19u);
  EXPECT_EQ(r[8].s.substr(0, 10), "2024-01-15");
  EXPECT_EQ(r[8].s.substr(11, 8), "13:45:30");
  std::string g = r[9].s;
  for (auto& ch : g) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(g, "6f9619ff-8b86-d011-b42d-00c04fc964ff");
  EXPECT_TRUE(r[10].is_null());
  EXPECT_EQ(r[11].s, "2024-02-29");
  // Positional parameters become @P1…
  auto q = one_row(*c, "SELECT Region_Libelle FROM Region WHERE Region_Id = ?", {{"", Value::integer(1)}});
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].kind, Value::Kind::Text);
}

TEST(TdsConnection, StopEarlySendsAttentionAndStaysUsable) {
  TdsServer srv;
  auto o = base(srv);
  o.packet_size = 4096;
  auto c = must_connect(o);
  ASSERT_TRUE(c);
  Collect s;
  s.limit = 10;
  auto r = c->execute("SELECT id, label, amount FROM big_table", {}, &s, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->stopped_early);
  EXPECT_EQ(r->rows_read, 10);
  EXPECT_EQ(s.rows.size(), 10u);
  EXPECT_TRUE(c->healthy());
  EXPECT_EQ(one_row(*c, "SELECT COUNT(*) FROM big_table")[0].i, 100000);
}

TEST(TdsConnection, StatementTimeoutCancelsWithAttention) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  ExecOptions eo;
  eo.timeout = std::chrono::milliseconds(300);
  auto r = c->execute("WAITFOR DELAY '00:00:20'", {}, nullptr, eo);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
  EXPECT_TRUE(c->healthy());
  EXPECT_EQ(one_row(*c, "SELECT 5")[0].i, 5);
}

TEST(TdsConnection, CancelTokenCancelsWithAttention) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  ExecOptions eo;
  std::thread t([tok = eo.cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    tok.cancel();
  });
  auto r = c->execute("WAITFOR DELAY '00:00:20'", {}, nullptr, eo);
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Cancelled);
  EXPECT_TRUE(c->healthy());
  EXPECT_EQ(one_row(*c, "SELECT 6")[0].i, 6);
}

TEST(TdsConnection, DroppedConnectionIsBrokenAndPoolRecovers) {
  TdsServer srv({"--drop-after-rows", "50"});
  auto o = base(srv);
  Pool pool(connection_factory(o), 2);
  {
    auto pc = pool.acquire(std::chrono::milliseconds(5000));
    ASSERT_TRUE(pc.ok());
    Collect s;
    auto r = (*pc)->execute("SELECT id FROM big_table", {}, &s, {});
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.error().broken);
    EXPECT_EQ(r.error().kind, ErrorKind::Io);
    EXPECT_FALSE((*pc)->healthy());
  }
  EXPECT_EQ(pool.stats().discarded, 1u);
  auto pc = pool.acquire(std::chrono::milliseconds(5000));
  ASSERT_TRUE(pc.ok());
  Collect s;
  auto r = (*pc)->execute("SELECT TOP 5 id FROM big_table", {}, &s, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(s.rows.size(), 5u);
}

TEST(TdsConnection, ReadOnlyExecutionAlwaysRollsBack) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  const auto before = one_row(*c, "SELECT COUNT(*) FROM Region")[0].i;
  ExecOptions ro;
  ro.read_only = true;
  // A write slipped past the classifier changes nothing.
  auto r = c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'ro-test')", {}, nullptr, ro);
  EXPECT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(one_row(*c, "SELECT COUNT(*) FROM Region")[0].i, before);
  // The "COMMIT; escapes the read-only transaction" trick: the transaction is nested, so one
  // COMMIT does not persist anything.
  r = c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'ro-commit'); COMMIT", {}, nullptr, ro);
  EXPECT_FALSE(c->in_transaction());
  EXPECT_EQ(one_row(*c, "SELECT COUNT(*) FROM Region")[0].i, before);
  // Committing every level is detected (ENVCHANGE commit) and reported as a refusal.
  r = c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'ro-commit2'); COMMIT; COMMIT", {}, nullptr, ro);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Refused);
  EXPECT_FALSE(c->in_transaction());
  // Reads work and return rows.
  Collect s;
  r = c->execute("SELECT Region_Id FROM Region", {}, &s, ro);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(static_cast<std::int64_t>(s.rows.size()), before);
}

TEST(TdsConnection, ResetConnectionOnReuse) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->begin().ok());
  EXPECT_TRUE(c->in_transaction());
  ASSERT_TRUE(c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'reset-me')", {}, nullptr, {}).ok());
  c->reset();
  EXPECT_EQ(one_row(*c, "SELECT COUNT(*) FROM Region WHERE Region_Libelle = N'reset-me'")[0].i, 0);
  EXPECT_FALSE(c->in_transaction());
}

TEST(TdsConnection, TransactionsCommit) {
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  {
    Transaction t(*c);
    ASSERT_TRUE(t.begin().ok());
    auto r = c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'tx1')", {}, nullptr, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rows_affected, 1);
    ASSERT_TRUE(t.commit().ok());
  }
  {
    Transaction t(*c);
    ASSERT_TRUE(t.begin().ok());
    ASSERT_TRUE(c->execute("INSERT INTO Region (Region_Libelle) VALUES (N'tx2')", {}, nullptr, {}).ok());
  }  // rolled back
  EXPECT_EQ(one_row(*c, "SELECT COUNT(*) FROM Region WHERE Region_Libelle = N'tx1'")[0].i, 1);
  EXPECT_EQ(one_row(*c, "SELECT COUNT(*) FROM Region WHERE Region_Libelle = N'tx2'")[0].i, 0);
}

TEST(TdsConnection, FedAuthTokenIsSentAgainAfterRouting) {
  TdsServer srv({"--accept-token", "tok-123", "--route-to", "self"});
  ASSERT_GT(srv.routing_port, 0) << srv.line;
  auto o = base(srv);
  o.user.clear();
  o.password.clear();
  int calls = 0;
  o.access_token = [&](bool) -> Result<std::string> {
    ++calls;
    return std::string("tok-123");
  };
  auto c = must_connect(o);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->session().routing_hops, 1);
  EXPECT_EQ(calls, 2);  // one token per login: the gateway and the redirected server
  EXPECT_EQ(one_row(*c, "SELECT SUSER_SNAME()")[0].s, "tokenuser@example.com");
}

TEST(TdsConnection, TokenProviderFailureIsAnAuthError) {
  TdsServer srv({"--accept-token", "x"});
  auto o = base(srv);
  o.access_token = [](bool) -> Result<std::string> {
    return Error::make(ErrorKind::Unavailable, "no managed identity endpoint");
  };
  auto c = connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::Auth);
  EXPECT_NE(c.error().message.find("managed identity"), std::string::npos);
}

TEST(TdsConnection, RefusedPortIsUnavailable) {
  TdsOptions o;
  o.port = 1;  // nothing listens there
  o.user = "sa";
  o.retry.initial_delay = std::chrono::milliseconds(10);
  auto c = connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::Unavailable);
  EXPECT_NE(c.error().message.find("127.0.0.1,1"), std::string::npos) << c.error().message;
}

TEST(TdsConnection, StopOnTheLastRowStillGetsTheAttentionAck) {
  // The sink stops on the final row: the server may already have finished the response; the
  // ATTENTION is still acknowledged and the session stays usable.
  TdsServer srv;
  auto c = must_connect(base(srv));
  ASSERT_TRUE(c);
  for (int i = 0; i < 3; ++i) {
    Collect s;
    s.limit = 3;
    auto r = c->execute("SELECT TOP 3 Region_Id FROM Region", {}, &s, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(s.rows.size(), 3u);
    EXPECT_TRUE(c->healthy());
  }
  EXPECT_EQ(one_row(*c, "SELECT 9")[0].i, 9);
}

TEST(TdsConnection, WildcardCertificateNames) {
  char dir_template[] = "/tmp/azsql-tds-wild-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  ASSERT_NE(dir, nullptr);
  const std::string cert = std::string(dir) + "/cert.pem", key = std::string(dir) + "/key.pem";
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wildcard -addext "
                          "subjectAltName=DNS:*.example.test -keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  TdsServer srv({"--cert", cert, "--key", key});
  ASSERT_GT(srv.port, 0) << srv.line;
  auto o = base(srv);
  o.ca_file = cert;
  o.hostname_in_certificate = "db1.example.test";  // matches *.example.test
  EXPECT_TRUE(connect(o).ok());
  o.hostname_in_certificate = "a.db1.example.test";  // a wildcard covers one label only
  auto bad = connect(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::Tls);
  o.hostname_in_certificate = "example.test";
  EXPECT_FALSE(connect(o).ok());
  (void)std::system(("rm -rf " + std::string(dir)).c_str());
}

// TLS contexts are shared by every connection of the process (one per verification mode and CA file);
// replacing the CA file's contents must still take effect on the next connection, and a failed load must
// not be remembered.
TEST(TdsConnection, SharedTlsContextFollowsTheCaFile) {
  TdsServer srv;
  ASSERT_GT(srv.port, 0) << srv.line;
  char dir_template[] = "/tmp/azsql-tds-ca-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  ASSERT_NE(dir, nullptr);
  const std::string ca = std::string(dir) + "/ca.pem", other = std::string(dir) + "/other.pem";
  const std::string copy_cmd = "cp " + srv.cert + " " + ca;
  ASSERT_EQ(std::system(copy_cmd.c_str()), 0);
  auto o = base(srv);
  o.ca_file = ca;
  EXPECT_TRUE(connect(o).ok());
  EXPECT_TRUE(connect(o).ok());  // the second connection uses the cached context
  // Another self-signed certificate in the same file: the server's certificate is no longer trusted.
  const std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout " + std::string(dir) +
                          "/k.pem -out " + other + " >/dev/null 2>&1 && sleep 0.01 && cp " + other + " " + ca;
  ASSERT_EQ(std::system(gen.c_str()), 0);
  auto refused = connect(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Tls) << refused.error().message;
  // A file that cannot be loaded is an error every time, not a cached empty store.
  std::FILE* f = std::fopen(ca.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("not a certificate\n", f);
  std::fclose(f);
  for (int i = 0; i < 2; ++i) {
    auto bad = connect(o);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::Tls) << bad.error().message;
  }
  // And the right certificate again: trusted again.
  ASSERT_EQ(std::system(copy_cmd.c_str()), 0);
  EXPECT_TRUE(connect(o).ok());
  (void)std::system(("rm -rf " + std::string(dir)).c_str());
}

TEST(TdsConnection, PoolSharedByThreads) {
  TdsServer srv;
  auto o = base(srv);
  Pool pool(connection_factory(o), 2);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto pc = pool.acquire(std::chrono::milliseconds(20000));
        if (!pc.ok()) continue;
        Collect s;
        auto r = (*pc)->execute("SELECT @a + @b", {{"@a", Value::integer(t)}, {"@b", Value::integer(i)}}, &s, {});
        if (r.ok() && s.rows.size() == 1 && s.rows[0][0].i == t + i) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_LE(pool.stats().created, 2u);
  EXPECT_EQ(pool.stats().discarded, 0u);
}
