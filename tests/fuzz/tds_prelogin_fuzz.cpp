// libFuzzer target: PRELOGIN parsing (server replies) and type-info/value decoding of RPC-style
// TYPE_INFO + value bytes must never crash or over-read.
#include <cstddef>
#include <cstdint>

#include "db/tds/codec/login.hpp"
#include "db/tds/codec/types.hpp"

using namespace azsql::db::tds;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  auto p = parse_prelogin(in);
  if (p.ok()) {
    // Whatever parses must survive a rebuild + reparse with the same encryption answer.
    auto again = parse_prelogin(build_prelogin(*p));
    if (!again.ok() || again->encryption != p->encryption) __builtin_trap();
  }
  Reader r(in);
  TypeInfo t;
  std::string err;
  if (read_type_info(r, t, &err) == Parse::Ok) {
    azsql::db::Value v;
    (void)read_value(r, t, v, &err);
    (void)type_name(t);
  }
  return 0;
}
