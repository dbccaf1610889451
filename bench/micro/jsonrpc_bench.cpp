// JSON-RPC hot path: parsing a tools/call request and serializing a tool result (Boost.JSON via
// src/jsonrpc), for a 1-row and a 100-row result.
#include <benchmark/benchmark.h>

#include <string>

#include "jsonrpc/message.hpp"

namespace bj = boost::json;
using namespace azsql;

namespace {

const std::string kRequest =
    R"({"jsonrpc":"2.0","id":12345,"method":"tools/call","params":{"name":"read_data","arguments":)"
    R"({"query":"SELECT * FROM t WHERE id = 48213","limit":100},"_meta":{"progressToken":"p-1"}}})";

bj::object row(int i) {
  bj::object r;
  r["id"] = i;
  r["name"] = "charlie item " + std::to_string(i);
  r["price"] = 151.7 + i;
  r["created"] = "2024-03-03T02:02:14Z";
  return r;
}

bj::value tool_result(int rows) {
  bj::array a;
  for (int i = 0; i < rows; ++i) a.push_back(row(i + 1));
  bj::object structured;
  structured["columns"] = bj::array{"id", "name", "price", "created"};
  structured["rows"] = std::move(a);
  structured["row_count"] = rows;
  structured["truncated"] = false;
  bj::object res;
  res["content"] = bj::array{bj::object{{"type", "text"}, {"text", bj::serialize(structured)}}};
  res["structuredContent"] = std::move(structured);
  res["isError"] = false;
  return res;
}

void BM_ParseToolsCall(benchmark::State& state) {
  for (auto _ : state) {
    auto v = jsonrpc::parse(kRequest);
    benchmark::DoNotOptimize(jsonrpc::classify(*v));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kRequest.size()));
}
BENCHMARK(BM_ParseToolsCall);

void BM_SerializeResult(benchmark::State& state) {
  const bj::value result = tool_result(static_cast<int>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    bj::object msg = jsonrpc::make_result(bj::value(12345), result);
    std::string s = bj::serialize(msg);
    bytes += s.size();
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_SerializeResult)->Arg(1)->Arg(100);

void BM_BuildAndSerializeRows(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  for (auto _ : state) {
    bj::object msg = jsonrpc::make_result(bj::value(1), tool_result(rows));
    std::string s = bj::serialize(msg);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_BuildAndSerializeRows)->Arg(1)->Arg(100)->Arg(10000);

}  // namespace
