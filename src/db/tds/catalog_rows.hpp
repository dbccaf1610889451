#pragma once
/// Internal helpers of the SQL Server backend's catalog and insight queries (tds_backend.cpp,
/// insights.cpp): collect small result sets and read their values leniently.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace azsql::db::tds::detail {

/// Collects every row of every result set (catalog results are small).
struct Rows : RowSink {
  std::vector<Column> cols;
  std::vector<Row> rows;
  void columns(const std::vector<Column>& c) override { cols = c; }
  bool row(const Row& r) override {
    rows.push_back(r);
    return true;
  }
};

inline std::string text(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Null: return {};
    case Value::Kind::Int: case Value::Kind::Bool: return std::to_string(v.i);
    case Value::Kind::Float: {
      char b[64];
      std::snprintf(b, sizeof b, "%.17g", v.f);
      return b;
    }
    default: return v.s;
  }
}

inline std::int64_t num(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Int: case Value::Kind::Bool: return v.i;
    case Value::Kind::Float: return static_cast<std::int64_t>(v.f);
    case Value::Kind::Null: return 0;
    default: return std::strtoll(v.s.c_str(), nullptr, 10);
  }
}

inline bool truthy(const Value& v) { return !v.is_null() && num(v) != 0; }

inline Value str_or_null(const std::optional<std::string>& s) { return s ? Value::text(*s) : Value::null(); }

inline Result<Rows> query(Connection& c, std::string_view sql, const Params& p, const ExecOptions& o) {
  Rows rows;
  auto r = c.execute(sql, p, &rows, o);
  if (!r.ok()) return std::move(r).error();
  return rows;
}

/// Each row of `rows` made into a T by `make(row)`; rows with fewer than `columns` values (which a
/// well-formed answer never has) are skipped. An error is passed on as is.
template <class T, class Make>
Result<std::vector<T>> rows_of(Result<Rows> rows, std::size_t columns, Make make) {
  if (!rows.ok()) return std::move(rows).error();
  std::vector<T> out;
  out.reserve(rows->rows.size());
  for (const auto& r : rows->rows) {
    if (r.size() >= columns) out.push_back(make(r));
  }
  return out;
}

/// 297/300/229/262: the login may not read a DMV (VIEW DATABASE STATE on Azure SQL).
inline bool permission_denied(const Error& e) {
  return e.kind == ErrorKind::Database && (e.code == 297 || e.code == 300 || e.code == 229 || e.code == 262);
}

inline double dbl(const Value& v) {
  switch (v.kind) {
    case Value::Kind::Int: case Value::Kind::Bool: return static_cast<double>(v.i);
    case Value::Kind::Float: return v.f;
    case Value::Kind::Null: return 0;
    default: return std::strtod(v.s.c_str(), nullptr);
  }
}

}  // namespace azsql::db::tds::detail
