#pragma once
// Shared helpers for the SQLite driver tests: a scratch directory, sinks, file snapshots.
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace azsql::db::sqlite::testing {

/// A fresh directory under /tmp, removed with its content on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

/// Keeps every column header and row; stops after `limit` rows when limit > 0.
class Capture final : public RowSink {
 public:
  explicit Capture(std::size_t limit = 0) : limit_(limit) {}
  void columns(const std::vector<Column>& c) override {
    cols = c;
    ++column_calls;
  }
  bool row(const Row& r) override {
    rows.push_back(r);
    return limit_ == 0 || rows.size() < limit_;
  }
  std::vector<Column> cols;
  std::vector<Row> rows;
  int column_calls = 0;

 private:
  std::size_t limit_;
};

/// The full content of a file ("<missing>" when it does not exist).
std::string file_bytes(const std::string& path);

}  // namespace azsql::db::sqlite::testing
