#pragma once
// The real SQLite as an independent oracle for the SQLite dialect: prepares (never runs) a
// statement against a small schema and reports whether SQLite sees one read-only statement.
#include <sqlite3.h>

#include <string>
#include <string_view>

#include "sql/classifier.hpp"

namespace azsql::sql::testing {

class SqliteOracle {
 public:
  SqliteOracle() {
    sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    sqlite3_exec(db_,
                 "CREATE TABLE t(a, b, c, d, e, id, x, y, name, flag);"
                 "CREATE TABLE u(a, b, c, id, x, flag);"
                 "CREATE TABLE Region(Region_Id INTEGER PRIMARY KEY, Region_Libelle TEXT);"
                 "CREATE TABLE Article(Article_Id INTEGER PRIMARY KEY, RegionId INTEGER, Name TEXT);",
                 nullptr, nullptr, nullptr);
  }
  ~SqliteOracle() { sqlite3_close(db_); }
  SqliteOracle(const SqliteOracle&) = delete;
  SqliteOracle& operator=(const SqliteOracle&) = delete;

  enum class Outcome { Error, ReadOnlySingle, Write, Multiple };

  /// Prepares the first statement of `sql`; Multiple when SQLite's tail holds another statement.
  Outcome prepare(std::string_view sql) const {
    sqlite3_stmt* st = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, &tail);
    if (rc != SQLITE_OK || st == nullptr) {
      sqlite3_finalize(st);
      return Outcome::Error;
    }
    const bool ro = sqlite3_stmt_readonly(st) != 0;
    sqlite3_finalize(st);
    const std::size_t used = static_cast<std::size_t>(tail - sql.data());
    const std::string_view rest = sql.substr(used);
    // The rest must be nothing SQLite would run: our own lexer must find no statement in it, and
    // SQLite must find none either.
    if (!rest.empty()) {
      sqlite3_stmt* next = nullptr;
      const int rc2 = sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &next, nullptr);
      const bool another = rc2 != SQLITE_OK || next != nullptr;
      sqlite3_finalize(next);
      if (another) return Outcome::Multiple;
    }
    return ro ? Outcome::ReadOnlySingle : Outcome::Write;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace azsql::sql::testing
