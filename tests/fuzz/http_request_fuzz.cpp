// libFuzzer target: the HTTP front of the MCP endpoint over raw bytes — Beast's request parser
// (request line, header fields, Content-Length and chunked bodies) with our header and body limits
// (transport/http/request_rules), then the rules we apply to a parsed request: Host/Origin checks,
// content negotiation, the bearer token, the JSON-RPC body, the protocol era, the 2026-07-28 header
// checks and Last-Event-ID. Invariants: no crash, the limits hold, errors carry the codes we send.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mcp/registry.hpp"
#include "transport/http/event_store.hpp"
#include "transport/http/modern_headers.hpp"
#include "transport/http/origin_guard.hpp"
#include "transport/http/request_rules.hpp"

using namespace azsql::transport::http;
namespace bhttp = boost::beast::http;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::size_t kMaxHeader = 2048;  // small limits so the fuzzer reaches them
constexpr std::size_t kMaxBody = 4096;

void apply_rules(const Request& req) {
  GuardPolicy guard;
  guard.bind_host = "127.0.0.1";
  if (auto h = req.find(bhttp::field::host); h != req.end()) (void)host_allowed(h->value(), guard);
  if (auto o = req.find(bhttp::field::origin); o != req.end()) (void)origin_allowed(o->value(), true, guard);
  if (auto a = req.find(bhttp::field::authorization); a != req.end()) {
    if (auto t = bearer_token(a->value())) check(t->size() < a->value().size());
  }
  if (auto ct = req.find(bhttp::field::content_type); ct != req.end()) check(media_type(ct->value()).size() <= ct->value().size());
  if (auto acc = req.find(bhttp::field::accept); acc != req.end()) {
    (void)accepts(acc->value(), "application/json");
    (void)accepts(acc->value(), "text/event-stream");
  }
  if (auto le = req.find(kLastEventHeader); le != req.end()) {
    if (auto id = parse_event_id(le->value())) check(!id->stream.empty());
  }
  if (auto pv = req.find(kVersionHeader); pv != req.end()) (void)supported_header_version(trim_ows(pv->value()));
  PostBody body = parse_post_body(req.body());
  check(body.error_code == 0 || body.error_code == -32700 || body.error_code == -32600);
  if (body.error_code != 0) return;
  const bool modern = is_modern_post(req, body.message);
  const ModernHeaders mh = modern_headers_of(req);
  if (modern) {
    static const azsql::mcp::Registry registry;  // no tools: the Mcp-Param-* path needs none to be safe
    if (auto bad = check_modern_request(body.message, mh)) {
      const auto code = bad->at("error").at("code").as_int64();
      check(code == -32602 || code == -32020 || code == -32022);
    }
    (void)check_modern_params(body.message, mh, registry);
  }
  if (mh.name) (void)decode_header_value(*mh.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // First byte: how many bytes arrive per read (1..64), like a slow or fragmented client.
  const std::size_t step = static_cast<std::size_t>(data[0] % 64) + 1;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  bhttp::request_parser<bhttp::string_body> parser;
  apply_limits(parser, kMaxHeader, kMaxBody);
  parser.eager(true);
  boost::beast::flat_buffer buf;
  std::size_t fed = 0;
  boost::beast::error_code ec;
  while (!parser.is_done()) {
    if (buf.size() == 0 || ec == bhttp::error::need_more) {
      if (fed >= in.size()) break;  // end of input before a complete request
      const std::size_t n = std::min(step, in.size() - fed);
      auto mb = buf.prepare(n);
      std::memcpy(mb.data(), in.data() + fed, n);
      buf.commit(n);
      fed += n;
    }
    ec = {};
    const std::size_t used = parser.put(buf.data(), ec);
    buf.consume(used);
    if (ec && ec != bhttp::error::need_more) break;  // 400 / 413 / 431: the connection ends
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit) return 0;
  if (!parser.is_done() || (ec && ec != bhttp::error::need_more)) return 0;
  const Request& req = parser.get();
  check(req.body().size() <= kMaxBody);
  apply_rules(req);
  return 0;
}
