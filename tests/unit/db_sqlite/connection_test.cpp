#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "db/sqlite/sqlite_connection.hpp"
#include "test_util.hpp"

namespace azsql::db::sqlite {
namespace {

using testing::Capture;
using testing::TempDir;
using namespace std::chrono_literals;

std::unique_ptr<SqliteConnection> open_or_die(const std::string& path, OpenOptions o = {}) {
  auto c = SqliteConnection::open(path, o);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return c.ok() ? std::move(c).value() : nullptr;
}

ExecSummary run(Connection& c, std::string_view sql, const Params& params = {}, RowSink* sink = nullptr,
                ExecOptions o = {}) {
  auto r = c.execute(sql, params, sink, o);
  EXPECT_TRUE(r.ok()) << sql << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : ExecSummary{};
}

Param pos(Value v) { return Param{"", std::move(v)}; }
Param named(std::string n, Value v) { return Param{std::move(n), std::move(v)}; }

constexpr const char* kEndless =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conn = open_or_die(dir.path("t.db"));
    ASSERT_NE(conn, nullptr);
  }
  TempDir dir;
  std::unique_ptr<SqliteConnection> conn;
};

TEST_F(ConnectionTest, OpensInWalWithForeignKeysOn) {
  Capture cap;
  run(*conn, "SELECT (SELECT journal_mode FROM pragma_journal_mode()), (SELECT foreign_keys FROM pragma_foreign_keys())",
      {}, &cap);
  ASSERT_EQ(cap.rows.size(), 1u);
  EXPECT_EQ(cap.rows[0][0].s, "wal");
  EXPECT_EQ(cap.rows[0][1].i, 1);
}

TEST_F(ConnectionTest, BindsEveryValueKind) {
  run(*conn, "CREATE TABLE v (k TEXT, x)");
  const std::string blob("a\0b\xff", 4);
  const std::vector<std::pair<const char*, Value>> cases = {
      {"null", Value::null()},
      {"bool", Value::boolean(true)},
      {"int", Value::integer(-9007199254740993LL)},
      {"float", Value::real(2.5)},
      {"text", Value::text("héllo 'quoted'")},
      {"binary", Value::binary(blob)},
      {"decimal", Value::of(Value::Kind::Decimal, "12.3400")},
      {"date", Value::of(Value::Kind::Date, "2024-02-29")},
      {"time", Value::of(Value::Kind::Time, "23:59:58.1234567")},
      {"datetime", Value::of(Value::Kind::DateTime, "2024-02-29T23:59:58")},
      {"dto", Value::of(Value::Kind::DateTimeOffset, "2024-02-29T23:59:58+01:00")},
      {"guid", Value::of(Value::Kind::Guid, "6f9619ff-8b86-d011-b42d-00c04fc964ff")},
  };
  for (const auto& [k, v] : cases) run(*conn, "INSERT INTO v VALUES (?, ?)", {pos(Value::text(k)), pos(v)});

  Capture cap;
  run(*conn, "SELECT k, typeof(x), x FROM v ORDER BY rowid", {}, &cap);
  ASSERT_EQ(cap.rows.size(), cases.size());
  auto row = [&](std::size_t i) -> const Row& { return cap.rows[i]; };
  EXPECT_EQ(row(0)[1].s, "null");
  EXPECT_TRUE(row(0)[2].is_null());
  EXPECT_EQ(row(1)[1].s, "integer");
  EXPECT_EQ(row(1)[2].i, 1);
  EXPECT_EQ(row(2)[2].kind, Value::Kind::Int);
  EXPECT_EQ(row(2)[2].i, -9007199254740993LL);
  EXPECT_EQ(row(3)[2].kind, Value::Kind::Float);
  EXPECT_DOUBLE_EQ(row(3)[2].f, 2.5);
  EXPECT_EQ(row(4)[2].s, "héllo 'quoted'");
  EXPECT_EQ(row(5)[1].s, "blob");
  EXPECT_EQ(row(5)[2].kind, Value::Kind::Binary);
  EXPECT_EQ(row(5)[2].s, blob);
  for (std::size_t i = 6; i < cases.size(); ++i) {
    EXPECT_EQ(row(i)[1].s, "text") << cases[i].first;
    EXPECT_EQ(row(i)[2].s, cases[i].second.s) << cases[i].first;
  }
}

TEST_F(ConnectionTest, BindsNamedAndPositionalParameters) {
  Capture cap;
  run(*conn, "SELECT :a, @b, $c, ?", {named("a", Value::integer(1)), named("@b", Value::integer(2)),
                                      named("c", Value::integer(3)), pos(Value::integer(4))},
      &cap);
  ASSERT_EQ(cap.rows.size(), 1u);
  EXPECT_EQ(cap.rows[0][0].i, 1);
  EXPECT_EQ(cap.rows[0][1].i, 2);
  EXPECT_EQ(cap.rows[0][2].i, 3);
  EXPECT_EQ(cap.rows[0][3].i, 4);

  // A named parameter used twice is one slot; the given prefix need not match the one in the SQL.
  Capture twice;
  run(*conn, "SELECT :id + :id", {named("@id", Value::integer(21))}, &twice);
  EXPECT_EQ(twice.rows.at(0).at(0).i, 42);

  // Numbered parameters.
  Capture numbered;
  run(*conn, "SELECT ?2, ?1", {pos(Value::text("first")), pos(Value::text("second"))}, &numbered);
  EXPECT_EQ(numbered.rows.at(0).at(0).s, "second");

  auto missing = conn->execute("SELECT ?, ?", {pos(Value::integer(1))}, nullptr, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::InvalidInput);
  auto extra = conn->execute("SELECT ?", {pos(Value::integer(1)), pos(Value::integer(2))}, nullptr, {});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().kind, ErrorKind::InvalidInput);
  auto unknown = conn->execute("SELECT :a", {named("zzz", Value::integer(1))}, nullptr, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::InvalidInput);
  EXPECT_NE(unknown.error().message.find("zzz"), std::string::npos);
}

TEST_F(ConnectionTest, ReportsTypedColumns) {
  run(*conn,
      "CREATE TABLE typed (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, r REAL, t VARCHAR(20), b BLOB, "
      "flag BOOLEAN, d DATETIME, price DECIMAL(10,2))");
  run(*conn, "INSERT INTO typed VALUES (1, 7, 1.5, 'x', x'00ff', 1, '2024-05-01 10:00:00', 12.5)");
  run(*conn, "INSERT INTO typed VALUES (2, 8, NULL, NULL, NULL, 0, NULL, 3)");
  Capture cap;
  run(*conn, "SELECT id, n, r, t, b, flag, d, price, n * 2 AS twice, 'lit' AS lit, NULL AS nada FROM typed "
             "ORDER BY id",
      {}, &cap);
  ASSERT_EQ(cap.column_calls, 1);
  ASSERT_EQ(cap.cols.size(), 11u);
  const auto& c = cap.cols;
  EXPECT_EQ(c[0].name, "id");
  EXPECT_EQ(c[0].type, "INTEGER");
  EXPECT_EQ(c[0].kind, Value::Kind::Int);
  EXPECT_FALSE(c[0].nullable);  // INTEGER PRIMARY KEY is the rowid
  EXPECT_FALSE(c[1].nullable);
  EXPECT_TRUE(c[2].nullable);
  EXPECT_EQ(c[2].kind, Value::Kind::Float);
  EXPECT_EQ(c[3].type, "VARCHAR(20)");
  EXPECT_EQ(c[3].kind, Value::Kind::Text);
  EXPECT_EQ(c[4].kind, Value::Kind::Binary);
  EXPECT_EQ(c[5].type, "BOOLEAN");
  EXPECT_EQ(c[5].kind, Value::Kind::Bool);
  EXPECT_EQ(c[6].type, "DATETIME");
  EXPECT_EQ(c[6].kind, Value::Kind::Text);
  EXPECT_EQ(c[7].type, "DECIMAL(10,2)");
  EXPECT_EQ(c[8].name, "twice");
  EXPECT_EQ(c[8].type, "INTEGER");  // no declared type: typed from the first row
  EXPECT_EQ(c[8].kind, Value::Kind::Int);
  EXPECT_EQ(c[9].type, "TEXT");

  ASSERT_EQ(cap.rows.size(), 2u);
  const Row& r0 = cap.rows[0];
  EXPECT_EQ(r0[5].kind, Value::Kind::Bool);
  EXPECT_EQ(r0[5].i, 1);
  EXPECT_EQ(cap.rows[1][5].kind, Value::Kind::Bool);
  EXPECT_EQ(cap.rows[1][5].i, 0);
  EXPECT_EQ(r0[6].kind, Value::Kind::Text);
  EXPECT_EQ(r0[6].s, "2024-05-01 10:00:00");
  EXPECT_EQ(r0[7].kind, Value::Kind::Float);
  EXPECT_EQ(cap.rows[1][7].kind, Value::Kind::Int);  // per value: NUMERIC stores 3 as an integer
  EXPECT_EQ(r0[4].s, std::string("\x00\xff", 2));
  EXPECT_TRUE(cap.rows[1][2].is_null());
  EXPECT_TRUE(r0[10].is_null());
}

TEST_F(ConnectionTest, EmptyResultStillReportsColumns) {
  run(*conn, "CREATE TABLE e (a INTEGER, b TEXT)");
  Capture cap;
  const auto s = run(*conn, "SELECT a, b FROM e", {}, &cap);
  EXPECT_EQ(cap.column_calls, 1);
  ASSERT_EQ(cap.cols.size(), 2u);
  EXPECT_EQ(cap.cols[1].type, "TEXT");
  EXPECT_EQ(s.rows_read, 0);
  EXPECT_EQ(s.rows_affected, -1);
}

TEST_F(ConnectionTest, StopsReadingWhenTheSinkSaysSo) {
  Capture cap(25);
  const auto s = run(*conn,
                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c",
                     {}, &cap);
  EXPECT_TRUE(s.stopped_early);
  EXPECT_EQ(s.rows_read, 25);
  EXPECT_EQ(cap.rows.size(), 25u);
  EXPECT_EQ(cap.rows.back()[0].i, 25);
  // The statement was reset, not drained: the same (cached) statement runs again from the start.
  Capture again(3);
  run(*conn, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c", {},
      &again);
  EXPECT_EQ(again.rows.front()[0].i, 1);
  // Without a limit the full result is there: 100,000 rows.
  Capture all;
  const auto full = run(
      *conn, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x FROM c", {},
      &all);
  EXPECT_FALSE(full.stopped_early);
  EXPECT_EQ(full.rows_read, 100000);
}

TEST_F(ConnectionTest, TimeoutInterruptsAndTheConnectionStaysUsable) {
  ExecOptions o;
  o.timeout = 150ms;
  auto r = conn->execute(kEndless, {}, nullptr, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout);
  EXPECT_TRUE(conn->healthy());
  Capture cap;
  run(*conn, "SELECT 1 + 1", {}, &cap);
  EXPECT_EQ(cap.rows.at(0).at(0).i, 2);
  // Same in read-only mode.
  o.read_only = true;
  auto ro = conn->execute(kEndless, {}, nullptr, o);
  ASSERT_FALSE(ro.ok());
  EXPECT_EQ(ro.error().kind, ErrorKind::Timeout);
  run(*conn, "CREATE TABLE after_timeout (a)");
}

TEST_F(ConnectionTest, CancelFromAnotherThread) {
  ExecOptions o;
  o.timeout = 60s;  // safety net only: the cancel below must end the statement
  std::thread canceller([token = o.cancel] {
    std::this_thread::sleep_for(100ms);
    token.cancel();
  });
  auto r = conn->execute(kEndless, {}, nullptr, o);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Cancelled);
  Capture cap;
  run(*conn, "SELECT 'still alive'", {}, &cap);
  EXPECT_EQ(cap.rows.at(0).at(0).s, "still alive");

  // A token cancelled before the call refuses to start.
  ExecOptions pre;
  pre.cancel.cancel();
  auto r2 = conn->execute("SELECT 1", {}, nullptr, pre);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, ErrorKind::Cancelled);
}

TEST_F(ConnectionTest, BusyWaitRespectsTheStatementTimeout) {
  run(*conn, "CREATE TABLE w (a)");
  auto other = open_or_die(dir.path("t.db"));
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->begin().ok());
  run(*other, "INSERT INTO w VALUES (1)");
  ExecOptions o;
  o.timeout = 200ms;  // shorter than the 5 s busy timeout
  auto r = conn->execute("INSERT INTO w VALUES (2)", {}, nullptr, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout) << r.error().code << " " << r.error().message;
  ASSERT_TRUE(other->commit().ok());
  const auto s = run(*conn, "INSERT INTO w VALUES (3)");
  EXPECT_EQ(s.rows_affected, 1);
}

TEST(SqliteLocks, SchemaLoadWaitRespectsTheStatementTimeout) {
  // Rollback-journal mode: an EXCLUSIVE lock blocks even the schema read of a fresh connection,
  // which happens while the statement is prepared.
  TempDir dir;
  OpenOptions no_wal;
  no_wal.wal = false;
  auto owner = open_or_die(dir.path("x.db"), no_wal);
  ASSERT_NE(owner, nullptr);
  run(*owner, "CREATE TABLE w (a)");
  auto fresh = open_or_die(dir.path("x.db"), no_wal);
  ASSERT_NE(fresh, nullptr);
  ASSERT_TRUE(owner->execute("BEGIN EXCLUSIVE", {}, nullptr, {}).ok());
  run(*owner, "INSERT INTO w VALUES (1)");
  ExecOptions o;
  o.timeout = 200ms;
  o.read_only = true;
  auto r = fresh->execute("SELECT * FROM w", {}, nullptr, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Timeout) << r.error().message;
  ASSERT_TRUE(owner->commit().ok());
  Capture cap;
  run(*fresh, "SELECT count(*) FROM w", {}, &cap, o);
  EXPECT_EQ(cap.rows.at(0).at(0).i, 1);
}

TEST_F(ConnectionTest, RowsAffectedAndLastInsertId) {
  const auto create = run(*conn, "CREATE TABLE r (id INTEGER PRIMARY KEY, v TEXT)");
  EXPECT_EQ(create.rows_affected, 0);
  EXPECT_FALSE(create.last_insert_id.has_value());
  const auto ins = run(*conn, "INSERT INTO r (v) VALUES ('a'), ('b'), ('c')");
  EXPECT_EQ(ins.rows_affected, 3);
  EXPECT_EQ(ins.last_insert_id.value_or(-1), 3);
  const auto upd = run(*conn, "UPDATE r SET v = 'x' WHERE id >= 2");
  EXPECT_EQ(upd.rows_affected, 2);
  EXPECT_FALSE(upd.last_insert_id.has_value());
  const auto none = run(*conn, "DELETE FROM r WHERE id = 99");
  EXPECT_EQ(none.rows_affected, 0);
  const auto sel = run(*conn, "SELECT * FROM r");
  EXPECT_EQ(sel.rows_affected, -1);
  EXPECT_EQ(sel.rows_read, 3);
  Capture ret;
  const auto returning = run(*conn, "INSERT INTO r (v) VALUES ('d') RETURNING id", {}, &ret);
  EXPECT_EQ(ret.rows.at(0).at(0).i, 4);
  EXPECT_EQ(returning.rows_affected, 1);
  EXPECT_EQ(returning.last_insert_id.value_or(-1), 4);
}

TEST_F(ConnectionTest, RefusesASecondStatementInAnyMode) {
  run(*conn, "CREATE TABLE s (a)");
  auto r = conn->execute("INSERT INTO s VALUES (1); INSERT INTO s VALUES (2)", {}, nullptr, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::Refused);
  Capture cap;
  run(*conn, "SELECT count(*) FROM s", {}, &cap);
  EXPECT_EQ(cap.rows.at(0).at(0).i, 0);  // nothing ran, not even the first statement
  // Trailing semicolons and comments are not a second statement.
  run(*conn, "INSERT INTO s VALUES (1); -- done\n ; /* really */");
  auto empty = conn->execute(" -- nothing\n ;; ", {}, nullptr, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().kind, ErrorKind::InvalidInput);
}

TEST_F(ConnectionTest, DatabaseErrorsCarryTheExtendedCode) {
  auto syntax = conn->execute("SELEC 1", {}, nullptr, {});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().kind, ErrorKind::Database);
  EXPECT_EQ(syntax.error().code, SQLITE_ERROR);
  EXPECT_NE(syntax.error().message.find("syntax error"), std::string::npos);

  run(*conn, "CREATE TABLE p (id INTEGER PRIMARY KEY, u TEXT UNIQUE)");
  run(*conn, "CREATE TABLE ch (pid INTEGER REFERENCES p(id))");
  run(*conn, "INSERT INTO p VALUES (1, 'x')");
  auto dup = conn->execute("INSERT INTO p VALUES (2, 'x')", {}, nullptr, {});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, SQLITE_CONSTRAINT_UNIQUE);
  auto fk = conn->execute("INSERT INTO ch VALUES (42)", {}, nullptr, {});
  ASSERT_FALSE(fk.ok());
  EXPECT_EQ(fk.error().code, SQLITE_CONSTRAINT_FOREIGNKEY);
  EXPECT_TRUE(conn->healthy());
}

TEST_F(ConnectionTest, TransactionsCommitAndRollBack) {
  run(*conn, "CREATE TABLE tx (a)");
  ASSERT_TRUE(conn->begin().ok());
  run(*conn, "INSERT INTO tx VALUES (1)");
  ASSERT_TRUE(conn->rollback().ok());
  {
    Transaction t(*conn);
    ASSERT_TRUE(t.begin().ok());
    run(*conn, "INSERT INTO tx VALUES (2)");
    ASSERT_TRUE(t.commit().ok());
  }
  {
    Transaction t(*conn);
    ASSERT_TRUE(t.begin().ok());
    run(*conn, "INSERT INTO tx VALUES (3)");
  }  // rolled back by the destructor
  Capture cap;
  run(*conn, "SELECT group_concat(a) FROM tx", {}, &cap);
  EXPECT_EQ(cap.rows.at(0).at(0).s, "2");
  // reset() ends a transaction a borrower left open.
  ASSERT_TRUE(conn->begin().ok());
  conn->reset();
  EXPECT_NE(sqlite3_get_autocommit(conn->handle()), 0);
}

TEST_F(ConnectionTest, ReadOnlyCallInsideAWriteTransaction) {
  run(*conn, "CREATE TABLE mix (a)");
  ASSERT_TRUE(conn->begin().ok());
  run(*conn, "INSERT INTO mix VALUES (1)");
  ExecOptions ro;
  ro.read_only = true;
  Capture seen;
  run(*conn, "SELECT count(*) FROM mix", {}, &seen, ro);  // sees its own transaction's row
  EXPECT_EQ(seen.rows.at(0).at(0).i, 1);
  auto refused = conn->execute("INSERT INTO mix VALUES (2)", {}, nullptr, ro);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::Refused);
  run(*conn, "INSERT INTO mix VALUES (3)");  // write mode again, same transaction
  ASSERT_TRUE(conn->commit().ok());
  Capture after;
  run(*conn, "SELECT group_concat(a) FROM mix", {}, &after);
  EXPECT_EQ(after.rows.at(0).at(0).s, "1,3");
}

TEST_F(ConnectionTest, StatementCacheIsBoundedAndSurvivesSchemaChanges) {
  run(*conn, "CREATE TABLE c (a INTEGER)");
  run(*conn, "INSERT INTO c VALUES (1)");
  const auto before = conn->cached_statements();
  for (int i = 0; i < 5; ++i) run(*conn, "SELECT * FROM c");
  EXPECT_EQ(conn->cached_statements(), before + 1);
  for (int i = 0; i < 200; ++i) run(*conn, "SELECT " + std::to_string(i));
  EXPECT_LE(conn->cached_statements(), 64u);
  Capture one;
  run(*conn, "SELECT * FROM c", {}, &one);
  EXPECT_EQ(one.cols.size(), 1u);
  // The cached SELECT * sees a column added later (SQLite re-prepares; the column facts follow).
  run(*conn, "ALTER TABLE c ADD COLUMN b TEXT DEFAULT 'new'");
  Capture two;
  run(*conn, "SELECT * FROM c", {}, &two);
  ASSERT_EQ(two.cols.size(), 2u);
  EXPECT_EQ(two.cols[1].name, "b");
  EXPECT_EQ(two.rows.at(0).at(1).s, "new");
}

TEST_F(ConnectionTest, LongStatementsRunButAreNotCached) {
  run(*conn, "CREATE TABLE big_insert (a INTEGER)");
  const auto cached_before = conn->cached_statements();
  for (int round = 0; round < 3; ++round) {
    std::string sql = "INSERT INTO big_insert VALUES (0)";
    for (int i = 1; i < 4000; ++i) sql += ", (" + std::to_string(i) + ")";
    ASSERT_GT(sql.size(), 16u * 1024);
    const auto s = run(*conn, sql);
    EXPECT_EQ(s.rows_affected, 4000);
  }
  EXPECT_EQ(conn->cached_statements(), cached_before);
  Capture cap;
  run(*conn, "SELECT count(*), sum(a) FROM big_insert", {}, &cap);
  EXPECT_EQ(cap.rows.at(0).at(0).i, 12000);
  EXPECT_EQ(cap.rows.at(0).at(1).i, 3 * (3999 * 4000 / 2));
}

TEST(SqliteOpen, ReportsUnopenableFiles) {
  OpenOptions o;
  o.create_if_missing = false;
  auto missing = SqliteConnection::open("/nonexistent-dir/x.db", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::Io);
  TempDir dir;
  {
    std::FILE* f = std::fopen(dir.path("junk.db").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is definitely not a database file, it is just text padding padding padding padding", f);
    std::fclose(f);
  }
  auto junk = SqliteConnection::open(dir.path("junk.db"));
  if (junk.ok()) {
    auto r = (*junk)->execute("SELECT count(*) FROM sqlite_schema", {}, nullptr, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code & 0xff, SQLITE_NOTADB);
  } else {
    EXPECT_EQ(junk.error().code & 0xff, SQLITE_NOTADB);
  }
}

}  // namespace
}  // namespace azsql::db::sqlite
