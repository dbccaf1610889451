// libFuzzer target: the TDS token-stream parser (incremental) and value decoding must never crash,
// over-read or loop on arbitrary server bytes. The first byte picks the split point used to feed
// the buffer in two pieces, so "need more bytes" paths are exercised too (a row absorbs what it can
// of a long value and resumes), and the second byte picks small value/row caps half of the time.
#include <cstddef>
#include <cstdint>

#include "db/tds/codec/packet.hpp"
#include "db/tds/codec/tokens.hpp"

using namespace azsql::db::tds;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t split = data[0] % (size);
  ValueLimits limits;
  if (data[1] & 1) limits = ValueLimits{static_cast<std::size_t>(data[1]) * 4, static_cast<std::size_t>(data[1]) * 8};
  ByteView all(data + 2, size - 2);
  TokenParser p(limits);
  std::size_t off = 0, avail = split < all.size() ? split : all.size();
  for (int guard = 0; guard < 100000 && off < all.size(); ++guard) {
    std::size_t used = 0;
    Token t;
    auto st = p.next(all.subspan(off, avail - off), used, t);
    if (st == TokenParser::Status::Parsed) {
      if (used == 0) __builtin_trap();  // a token always consumes bytes
      off += used;
      if (off > avail) __builtin_trap();
    } else if (st == TokenParser::Status::NeedMore) {
      off += used;  // absorbed into a partial row
      if (off > avail) __builtin_trap();
      if (avail == all.size()) break;
      avail = all.size();
    } else {
      break;
    }
  }
  // The same bytes as a packet stream.
  PacketReader r;
  r.feed(all);
  PacketHeader h;
  Bytes payload;
  for (int guard = 0; guard < 10000 && r.next(h, payload) == PacketReader::Status::Packet; ++guard) {
  }
  return 0;
}
