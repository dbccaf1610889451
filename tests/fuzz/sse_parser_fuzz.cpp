// libFuzzer target: the SSE parser (transport/http/sse) over arbitrary bytes fed in arbitrary
// pieces, and the framing round trip: what format_sse_event writes, the parser reads back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/http/sse.hpp"

using namespace azsql::transport::http;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // First byte: the chunk size to feed with (1..256), so every split point gets exercised.
  const std::size_t chunk = static_cast<std::size_t>(data[0]) + 1;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Arbitrary bytes, fed whole and in pieces: never crashes, the same events either way, and a
  // small buffer limit is enforced.
  SseParser whole(4096), pieces(4096);
  const bool ok_whole = whole.feed(in);
  bool ok_pieces = true;
  for (std::size_t i = 0; i < in.size() && ok_pieces; i += chunk) ok_pieces = pieces.feed(in.substr(i, chunk));
  auto a = whole.take();
  auto b = pieces.take();
  if (ok_whole && ok_pieces) {
    check(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      check(a[i].id == b[i].id && a[i].data == b[i].data && a[i].retry_ms == b[i].retry_ms);
      check(a[i].data.size() <= 4096);
    }
  }

  // Round trip: an id without line breaks and any data (one JSON-RPC message per event in MCP;
  // data lines are split on \n, \r\n and \r) come back as written.
  const std::size_t cut = in.find('\n') == std::string_view::npos ? 0 : in.find('\n');
  std::string id(in.substr(0, cut));
  std::string payload(in.substr(cut));
  for (char& c : id) {
    if (c == '\r' || c == '\0') c = '_';
  }
  for (char& c : payload) {
    if (c == '\r' || c == '\n') c = ' ';  // a JSON text serialised on one line
  }
  SseParser p;
  check(p.feed(format_sse_event(id, payload, 1000)));
  auto evs = p.take();
  check(evs.size() == 1);
  check(evs[0].id == id && evs[0].data == payload && evs[0].retry_ms == 1000);
  return 0;
}
