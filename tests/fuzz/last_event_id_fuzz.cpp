// libFuzzer target: Last-Event-ID handling (transport/http/event_store): parsing an arbitrary
// header value and replaying from it against a bounded store; ids we hand out parse back to
// themselves, and a replay only returns later events of the named stream.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "transport/http/event_store.hpp"

using namespace azsql::transport::http;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  EventStore store(EventStoreLimits{8, 512});
  // A few streams with events, some evicted by the small limits.
  const char* streams[] = {"g", "p1", "p2"};
  for (std::size_t i = 0; i < 12; ++i) {
    const std::string id = store.append(streams[i % 3], std::string(i * 7 % 90, 'x'), i == 10);
    auto parsed = parse_event_id(id);
    check(parsed.has_value() && parsed->stream == streams[i % 3]);
  }
  auto id = parse_event_id(in);
  if (!id) return 0;
  check(!id->stream.empty());
  bool complete = true;
  auto evs = store.after(id->stream, id->seq, &complete);
  std::uint64_t last = id->seq;
  for (const auto& e : evs) {
    check(e.seq > last);
    last = e.seq;
    auto again = parse_event_id(e.id);
    check(again && again->stream == id->stream && again->seq == e.seq);
  }
  (void)store.finished(id->stream);
  return 0;
}
