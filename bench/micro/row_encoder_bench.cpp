// Row → JSON encoding and the text-table rendering (src/tools/row_encoder.*): the per-row cost of
// read_data, on rows shaped like the benchmark table t (id, name, price, created) and on a wide mixed row.
#include <benchmark/benchmark.h>

#include <cstdio>

#include "tools/row_encoder.hpp"

using namespace azsql;

namespace {

std::vector<db::Row> bench_rows(std::size_t n) {
  static const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett"};
  std::vector<db::Row> rows;
  rows.reserve(n);
  for (std::size_t i = 1; i <= n; ++i) {
    char created[32];
    std::snprintf(created, sizeof created, "2024-%02zu-%02zuT%02zu:%02zu:%02zuZ", 1 + i % 12, 1 + i % 28, i % 24, i % 60,
                  (i * 7) % 60);
    rows.push_back({db::Value::integer(static_cast<std::int64_t>(i)),
                    db::Value::text(std::string(words[i % 10]) + " item " + std::to_string(i)),
                    db::Value::real(static_cast<double>(i % 1000) + 0.35), db::Value::text(created)});
  }
  return rows;
}

using Append = void (*)(const db::Row&, std::string&);
void json_row(const db::Row& r, std::string& out) { tools::append_json_row(r, out); }
// The model-facing text line read_data writes beside the JSON rows (issue 17).
void text_row(const db::Row& r, std::string& out) { tools::append_text_row(r, out); }

/// 10,000 rows shaped like the benchmark table t per iteration.
void BM_AppendRows(benchmark::State& state, Append append) {
  const auto rows = bench_rows(10000);
  std::string out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    for (const auto& r : rows) append(r, out);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

/// One wide row of mixed types (64-bit integer, decimal, bool, NULL, binary, datetimeoffset, text
/// with quotes, a line break and UTF-8) per iteration.
void BM_AppendMixed(benchmark::State& state, Append append) {
  const db::Row row{db::Value::integer(1LL << 60), db::Value::of(db::Value::Kind::Decimal, "12345.6789"),
                    db::Value::boolean(true), db::Value::null(), db::Value::binary(std::string(64, '\x7f')),
                    db::Value::of(db::Value::Kind::DateTimeOffset, "2024-01-02T03:04:05.1234567+01:00"),
                    db::Value::text("a \"quoted\" line\nwith caf\xc3\xa9")};
  std::string out;
  for (auto _ : state) {
    out.clear();
    append(row, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// The names docs/BENCHMARKS.md reports.
[[maybe_unused]] const bool kRegistered = [] {
  benchmark::RegisterBenchmark("BM_AppendJsonRow", BM_AppendRows, &json_row)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_AppendTextRow", BM_AppendRows, &text_row)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_AppendJsonMixed", BM_AppendMixed, &json_row);
  benchmark::RegisterBenchmark("BM_AppendTextMixed", BM_AppendMixed, &text_row);
  return true;
}();

void BM_ToJsonRowDom(benchmark::State& state) {
  const auto rows = bench_rows(10000);
  for (auto _ : state) {
    boost::json::array a;
    a.reserve(rows.size());
    for (const auto& r : rows) a.push_back(tools::to_json_row(r));
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows.size()));
}
BENCHMARK(BM_ToJsonRowDom)->Unit(benchmark::kMicrosecond);

}  // namespace
