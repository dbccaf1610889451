// Read-only enforcement without any classifier (PRODUCT.md §5): whatever text arrives with
// ExecOptions::read_only, nothing may change in the database file or next to it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "db/sqlite/sqlite_connection.hpp"
#include "test_util.hpp"

namespace azsql::db::sqlite {
namespace {

using testing::Capture;
using testing::file_bytes;
using testing::TempDir;

class ReadOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = SqliteConnection::open(dir.path("ro.db"));
    ASSERT_TRUE(c.ok());
    conn = std::move(c).value();
    for (const char* sql : {"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)", "INSERT INTO t (v) VALUES ('a'), ('b')",
                            "CREATE TABLE log (msg TEXT)", "CREATE INDEX ix_t_v ON t (v)",
                            "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('x'); END"}) {
      ASSERT_TRUE(conn->execute(sql, {}, nullptr, {}).ok()) << sql;
    }
    // Fold the WAL into the main file so the snapshot covers everything on disk.
    ASSERT_EQ(sqlite3_wal_checkpoint_v2(conn->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr),
              SQLITE_OK);
  }

  std::string snapshot() const {
    return file_bytes(dir.path("ro.db")) + "|" + file_bytes(dir.path("ro.db-wal")) + "|" +
           file_bytes(dir.path("other.db")) + "|" + file_bytes(dir.path("copy.db"));
  }

  Result<ExecSummary> ro(std::string_view sql) {
    ExecOptions o;
    o.read_only = true;
    return conn->execute(sql, {}, nullptr, o);
  }

  TempDir dir;
  std::unique_ptr<SqliteConnection> conn;
};

TEST_F(ReadOnlyTest, RefusesEveryWriteAndChangesNoByte) {
  const std::string before = snapshot();
  const std::string other = dir.path("other.db");
  const std::string copy = dir.path("copy.db");
  const std::vector<std::string> attempts = {
      "INSERT INTO t (v) VALUES ('evil')",
      "DELETE FROM t",
      "UPDATE t SET v = 'evil'",
      "WITH doomed AS (SELECT id FROM t) DELETE FROM t WHERE id IN (SELECT id FROM doomed)",
      "REPLACE INTO t (id, v) VALUES (1, 'evil')",
      "INSERT INTO t (v) SELECT v FROM t RETURNING id",
      "PRAGMA user_version = 7",
      "PRAGMA query_only = OFF",
      "PRAGMA journal_mode = DELETE",
      "PRAGMA wal_checkpoint",
      "PRAGMA writable_schema = ON",
      "ATTACH '" + other + "' AS o",
      "ATTACH DATABASE ':memory:' AS m",
      "DETACH main",
      "SELECT 1; DELETE FROM t",
      "SELECT * FROM t; DROP TABLE t",
      "DROP TABLE t",
      "CREATE TABLE x (a)",
      "CREATE TEMP TABLE x (a)",
      "CREATE INDEX ix ON t (v)",
      "DROP INDEX ix_t_v",
      "ALTER TABLE t ADD COLUMN w",
      "BEGIN",
      "BEGIN IMMEDIATE",
      "COMMIT",
      "SAVEPOINT s",
      "VACUUM",
      "VACUUM INTO '" + copy + "'",
      "REINDEX",
      "ANALYZE",
      "SELECT load_extension('/tmp/nothing.so')",
  };
  for (const auto& sql : attempts) {
    auto r = ro(sql);
    ASSERT_FALSE(r.ok()) << "read-only mode ran: " << sql;
    EXPECT_EQ(r.error().kind, ErrorKind::Refused) << sql << " → " << to_string(r.error().kind) << ": "
                                                  << r.error().message;
  }
  EXPECT_EQ(ro("INSERT INTO t (v) VALUES ('x')").error().message, "statement is not read-only");
  EXPECT_FALSE(std::filesystem::exists(other));
  EXPECT_FALSE(std::filesystem::exists(copy));

  // Reads still work in the same mode, including introspection PRAGMAs.
  ExecOptions o;
  o.read_only = true;
  Capture cap;
  ASSERT_TRUE(conn->execute("SELECT count(*) FROM t", {}, &cap, o).ok());
  EXPECT_EQ(cap.rows.at(0).at(0).i, 2);
  EXPECT_TRUE(conn->execute("PRAGMA table_info(t)", {}, nullptr, o).ok());
  EXPECT_TRUE(conn->execute("SELECT * FROM pragma_index_list('t')", {}, nullptr, o).ok());
  EXPECT_TRUE(conn->execute("PRAGMA user_version", {}, nullptr, o).ok());
  EXPECT_TRUE(conn->execute("EXPLAIN QUERY PLAN SELECT * FROM t WHERE id = 1", {}, nullptr, o).ok());

  EXPECT_EQ(snapshot(), before) << "the database files changed";

  // The same connection writes again once the call is not read-only.
  auto w = conn->execute("INSERT INTO t (v) VALUES ('ok')", {}, nullptr, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->rows_affected, 1);
}

TEST_F(ReadOnlyTest, CachedWriteStatementIsNotReusedForReadOnlyCalls) {
  // Prepared (and cached) in write mode first; the read-only call must still go through the checks.
  ASSERT_TRUE(conn->execute("PRAGMA user_version = 3", {}, nullptr, {}).ok());
  auto again = ro("PRAGMA user_version = 3");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::Refused);
  const std::string path = dir.path("other.db");
  auto attached = conn->execute("ATTACH '" + path + "' AS o", {}, nullptr, {});
  ASSERT_TRUE(attached.ok()) << attached.error().message;
  ASSERT_TRUE(conn->execute("DETACH o", {}, nullptr, {}).ok());
  auto ro_attach = ro("ATTACH '" + path + "' AS o");
  ASSERT_FALSE(ro_attach.ok());
  EXPECT_EQ(ro_attach.error().kind, ErrorKind::Refused);
}

TEST_F(ReadOnlyTest, QueryOnlyIsOnDuringReadOnlyCalls) {
  ExecOptions o;
  o.read_only = true;
  Capture cap;
  ASSERT_TRUE(conn->execute("SELECT query_only FROM pragma_query_only()", {}, &cap, o).ok());
  EXPECT_EQ(cap.rows.at(0).at(0).i, 1);
  Capture cap2;
  ASSERT_TRUE(conn->execute("SELECT query_only FROM pragma_query_only()", {}, &cap2, {}).ok());
  EXPECT_EQ(cap2.rows.at(0).at(0).i, 0);
}

TEST_F(ReadOnlyTest, ReadOnlyCallsDoNotFireTriggersOrLeaveTransactions) {
  const std::string before = snapshot();
  for (int i = 0; i < 3; ++i) {
    auto r = ro("INSERT INTO t (v) VALUES ('via trigger')");
    ASSERT_FALSE(r.ok());
  }
  EXPECT_NE(sqlite3_get_autocommit(conn->handle()), 0);
  EXPECT_EQ(snapshot(), before);
}

}  // namespace
}  // namespace azsql::db::sqlite

namespace azsql::db::sqlite {
namespace {

TEST(SqliteJournalMode, WithoutWalTheFileKeepsItsJournalModeAndBytes) {
  testing::TempDir dir;
  const std::string path = dir.path("rollback.db");
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "PRAGMA journal_mode=DELETE; CREATE TABLE t (a); INSERT INTO t VALUES (1);", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  const std::string before = testing::file_bytes(path);
  ASSERT_EQ(before[18], 1);  // header: legacy (rollback journal) read/write versions
  {
    OpenOptions o;
    o.wal = false;
    auto c = SqliteConnection::open(path, o);
    ASSERT_TRUE(c.ok());
    ExecOptions ro;
    ro.read_only = true;
    testing::Capture cap;
    ASSERT_TRUE((*c)->execute("SELECT a, (SELECT journal_mode FROM pragma_journal_mode()) FROM t", {}, &cap, ro).ok());
    EXPECT_EQ(cap.rows.at(0).at(1).s, "delete");
  }
  EXPECT_EQ(testing::file_bytes(path), before);
  {
    auto c = SqliteConnection::open(path);  // default: switches the file to WAL
    ASSERT_TRUE(c.ok());
  }
  EXPECT_EQ(testing::file_bytes(path)[18], 2);
}

}  // namespace
}  // namespace azsql::db::sqlite
