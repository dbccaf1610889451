// TDS token decoding throughput: a wide 10,000-row result (int, bigint, nvarchar(50), float,
// decimal(18,4), datetime2(7), uniqueidentifier, nvarchar(max) PLP, nullable int via NBCROW)
// parsed incrementally from 4,088-byte packet payloads, as the connection does; and results whose
// rows carry one large varbinary(max) / nvarchar(max) value (1, 4, 10 MiB in 8,000-byte PLP chunks,
// 8,184-byte packet payloads): the time per MiB must stay flat as the value grows (linear decoding).
#include <benchmark/benchmark.h>

#include <cstring>

#include "db/tds/codec/tokens.hpp"

using namespace azsql::db;
using namespace azsql::db::tds;

namespace {

void bvarchar(Writer& w, std::string_view s) {
  Bytes u = utf8_to_utf16le(s);
  w.u8(static_cast<std::uint8_t>(u.size() / 2));
  w.bytes(u);
}

Bytes wide_result(int rows) {
  Bytes b;
  Writer w(b);
  const Collation coll = Collation::from_bytes(std::array<std::uint8_t, 5>{0x09, 0x04, 0xD0, 0x00, 0x34});
  w.u8(token_id::ColMetadata);
  w.u16(9);
  auto col = [&](std::uint16_t flags) { w.u32(0); w.u16(flags); };
  col(0); w.u8(type_id::IntN); w.u8(4); bvarchar(w, "id");
  col(1); w.u8(type_id::IntN); w.u8(8); bvarchar(w, "big");
  col(1); w.u8(type_id::NVarChar); w.u16(100); coll.write(w); bvarchar(w, "label");
  col(1); w.u8(type_id::FltN); w.u8(8); bvarchar(w, "amount");
  col(1); w.u8(type_id::DecimalN); w.u8(9); w.u8(18); w.u8(4); bvarchar(w, "price");
  col(1); w.u8(type_id::DateTime2N); w.u8(7); bvarchar(w, "created");
  col(1); w.u8(type_id::Guid); w.u8(16); bvarchar(w, "guid");
  col(1); w.u8(type_id::NVarChar); w.u16(0xFFFF); coll.write(w); bvarchar(w, "notes");
  col(1); w.u8(type_id::IntN); w.u8(4); bvarchar(w, "maybe");
  const Bytes label = utf8_to_utf16le("label for row, café");
  const Bytes notes = utf8_to_utf16le("some longer notes text in a (max) column");
  for (int i = 0; i < rows; ++i) {
    const bool nbc = i % 2 == 1;
    w.u8(nbc ? token_id::NbcRow : token_id::Row);
    if (nbc) { w.u8(0); w.u8(0x01); }  // column 9 (index 8) NULL
    w.u8(4); w.u32(static_cast<std::uint32_t>(i));
    w.u8(8); w.u64(static_cast<std::uint64_t>(i) * 1000003ull);
    w.u16(static_cast<std::uint16_t>(label.size())); w.bytes(label);
    double d = i * 1.25;
    std::uint64_t bits;
    std::memcpy(&bits, &d, 8);
    w.u8(8); w.u64(bits);
    w.u8(9); w.u8(1); w.u64(static_cast<std::uint64_t>(i) * 12345ull);
    w.u8(8); for (int k = 0; k < 5; ++k) w.u8(static_cast<std::uint8_t>(i >> (8 * k))); w.u8(0x10); w.u8(0x2B); w.u8(0x0B);
    w.u8(16); for (int k = 0; k < 16; ++k) w.u8(static_cast<std::uint8_t>(i + k));
    w.u64(notes.size()); w.u32(static_cast<std::uint32_t>(notes.size())); w.bytes(notes); w.u32(0);
    if (!nbc) { w.u8(4); w.u32(7); }
  }
  w.u8(token_id::Done); w.u16(kDoneCount); w.u16(0xC1); w.u64(static_cast<std::uint64_t>(rows));
  return b;
}

/// COLMETADATA with one varbinary(max) or nvarchar(max) column, `rows` rows each holding a value of
/// `bytes` bytes in 8,000-byte PLP chunks, and a final DONE.
Bytes large_plp_result(std::size_t bytes, int rows, bool text) {
  Bytes b;
  Writer w(b);
  w.u8(token_id::ColMetadata);
  w.u16(1);
  w.u32(0);
  w.u16(1);
  if (text) {
    w.u8(type_id::NVarChar);
    w.u16(0xFFFF);
    Collation::from_bytes(std::array<std::uint8_t, 5>{0x09, 0x04, 0xD0, 0x00, 0x34}).write(w);
  } else {
    w.u8(type_id::BigVarBin);
    w.u16(0xFFFF);
  }
  bvarchar(w, "payload");
  Bytes value(bytes);
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<std::uint8_t>(text ? (i % 2 ? 0 : 'a' + i % 26) : i * 31);
  for (int r = 0; r < rows; ++r) {
    w.u8(token_id::Row);
    w.u64(value.size());
    for (std::size_t off = 0; off < value.size(); off += 8000) {
      const std::size_t n = std::min<std::size_t>(8000, value.size() - off);
      w.u32(static_cast<std::uint32_t>(n));
      w.bytes(ByteView(value.data() + off, n));
    }
    w.u32(0);
  }
  w.u8(token_id::Done); w.u16(kDoneCount); w.u16(0xC1); w.u64(static_cast<std::uint64_t>(rows));
  return b;
}

/// Feeds `stream` in packet payloads of `packet` bytes the way TdsConnection's Response does
/// (append, parse, drop what the parser consumed); returns the number of rows decoded.
std::size_t decode_stream(const Bytes& stream, std::size_t packet, benchmark::State& state) {
  TokenParser p;
  Bytes buf;
  std::size_t off = 0, fed = 0, decoded = 0;
  for (;;) {
    std::size_t used = 0;
    Token t;
    auto st = p.next(ByteView(buf.data() + off, buf.size() - off), used, t);
    off += used;  // NeedMore may absorb bytes into the parser's partial value
    if (st == TokenParser::Status::Parsed) {
      if (std::holds_alternative<RowToken>(t)) ++decoded;
      if (std::holds_alternative<DoneToken>(t)) break;
    } else if (st == TokenParser::Status::NeedMore) {
      if (fed == stream.size()) break;
      const std::size_t n = std::min<std::size_t>(packet, stream.size() - fed);
      if (off > 0 && off > buf.size() / 2) {
        buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(off));
        off = 0;
      }
      buf.insert(buf.end(), stream.begin() + static_cast<std::ptrdiff_t>(fed),
                 stream.begin() + static_cast<std::ptrdiff_t>(fed + n));
      fed += n;
    } else {
      state.SkipWithError(("parse error: " + p.error()).c_str());
      break;
    }
  }
  return decoded;
}

void BM_TdsDecodeWideResult(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const Bytes stream = wide_result(rows);
  std::size_t decoded = 0;
  for (auto _ : state) {
    decoded = decode_stream(stream, 4088, state);
    benchmark::DoNotOptimize(decoded);
  }
  if (decoded != static_cast<std::size_t>(rows)) state.SkipWithError("wrong row count");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * rows);
}
BENCHMARK(BM_TdsDecodeWideResult)->Arg(10000)->Unit(benchmark::kMillisecond);

void large_value(benchmark::State& state, bool text) {
  const std::size_t mib = static_cast<std::size_t>(state.range(0));
  const Bytes stream = large_plp_result(mib << 20, 1, text);
  for (auto _ : state) {
    const std::size_t decoded = decode_stream(stream, 8184, state);
    if (decoded != 1) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
  state.counters["time_per_MiB"] = benchmark::Counter(
      static_cast<double>(mib), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_TdsDecodeLargeVarbinaryMax(benchmark::State& state) { large_value(state, false); }
void BM_TdsDecodeLargeNvarcharMax(benchmark::State& state) { large_value(state, true); }
BENCHMARK(BM_TdsDecodeLargeVarbinaryMax)->Arg(1)->Arg(4)->Arg(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TdsDecodeLargeNvarcharMax)->Arg(1)->Arg(4)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace


