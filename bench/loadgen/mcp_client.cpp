#include "mcp_client.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cerrno>

namespace azsql::bench {
namespace http = boost::beast::http;
namespace bj = boost::json;
using tcp = boost::asio::ip::tcp;

namespace {

std::string excerpt(std::string_view s, std::size_t n = 300) {
  return std::string(s.substr(0, n)) + (s.size() > n ? "..." : "");
}

std::string request_text(std::int64_t id, std::string_view method, std::string_view params) {
  std::string b;
  b.reserve(64 + method.size() + params.size());
  b += R"({"jsonrpc":"2.0","id":)";
  b += std::to_string(id);
  b += R"(,"method":")";
  b += method;
  b += '"';
  if (!params.empty()) {
    b += R"(,"params":)";
    b += params;
  }
  b += '}';
  return b;
}

std::string initialize_params(std::string_view version) {
  return std::string(R"({"protocolVersion":")") + std::string(version) +
         R"(","capabilities":{},"clientInfo":{"name":"azsql-loadgen","version":"1.0"}})";
}

/// True when `json` is a JSON-RPC response carrying id `id`.
bool is_response_for(std::string_view json, std::int64_t id) {
  boost::system::error_code ec;
  bj::value v = bj::parse(json, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.get_object();
  auto it = o.find("id");
  if (it == o.end() || o.contains("method")) return false;
  const auto& idv = it->value();
  if (idv.is_int64()) return idv.get_int64() == id;
  if (idv.is_uint64()) return static_cast<std::int64_t>(idv.get_uint64()) == id;
  if (idv.is_double()) return idv.get_double() == static_cast<double>(id);
  return false;
}

}  // namespace

bool result_ok(std::string_view json, std::string* why) {
  boost::system::error_code ec;
  bj::value v = bj::parse(json, ec);
  if (ec || !v.is_object()) {
    if (why) *why = "unparsable response: " + excerpt(json);
    return false;
  }
  const auto& o = v.get_object();
  if (auto e = o.find("error"); e != o.end()) {
    if (why) *why = "JSON-RPC error: " + bj::serialize(e->value()).substr(0, 300);
    return false;
  }
  auto r = o.find("result");
  if (r == o.end() || !r->value().is_object()) {
    if (why) *why = "no result: " + excerpt(json);
    return false;
  }
  const auto& res = r->value().get_object();
  if (auto ie = res.find("isError"); ie != res.end() && ie->value().is_bool() && ie->value().get_bool()) {
    if (why) *why = "tool error: " + excerpt(json);
    return false;
  }
  return true;
}

std::optional<std::string> sse_find_response(std::string_view body, std::size_t& pos, std::int64_t id,
                                             std::size_t* scan) {
  while (pos < body.size()) {
    // An event ends at a blank line: "\n\n" (or with CRs). The search resumes where the last
    // call found the event incomplete, so reading a large event piece by piece stays linear.
    std::size_t end = std::string_view::npos, next = 0;
    const std::size_t from = scan ? std::max(pos, *scan) : pos;
    for (std::size_t i = from; i + 1 < body.size(); ++i) {
      if (body[i] != '\n') continue;
      std::size_t j = i + 1;
      if (j < body.size() && body[j] == '\r') ++j;
      if (j < body.size() && body[j] == '\n') {
        end = i;
        next = j + 1;
        break;
      }
    }
    if (end == std::string_view::npos) {  // incomplete event: read more
      // A terminator ("\n\r\n" at most) may straddle the end of what has arrived.
      if (scan) *scan = body.size() >= 2 ? body.size() - 2 : 0;
      return std::nullopt;
    }
    std::string data;
    std::string_view ev = body.substr(pos, end - pos);
    pos = next;
    while (!ev.empty()) {
      auto nl = ev.find('\n');
      std::string_view line = ev.substr(0, nl);
      ev = nl == std::string_view::npos ? std::string_view{} : ev.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.rfind("data:", 0) == 0) {
        line.remove_prefix(5);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (!data.empty()) data += '\n';
        data += line;
      }
    }
    if (!data.empty() && is_response_for(data, id)) return data;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- HTTP

HttpClient::HttpClient(std::string host, unsigned short port, std::string target, std::string protocol_version)
    : sock_(ioc_),
      host_header_(host + ":" + std::to_string(port)),
      target_(std::move(target)),
      protocol_version_(std::move(protocol_version)),
      endpoint_(boost::asio::ip::make_address(host), port) {}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() {
  boost::system::error_code ec;
  if (connected_) {
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
  }
  connected_ = false;
  reused_ = false;
  buf_.clear();
}

bool HttpClient::connect(std::string* why) {
  close();
  boost::system::error_code ec;
  sock_.connect(endpoint_, ec);
  if (ec) {
    if (why) *why = "connect: " + ec.message();
    sock_.close(ec);
    return false;
  }
  sock_.set_option(tcp::no_delay(true), ec);
  connected_ = true;
  return true;
}

bool HttpClient::handshake(std::string* why) {
  if (!connected_ && !connect(why)) return false;
  session_.clear();
  Reply r = post(request_text(0, "initialize", initialize_params(protocol_version_)), std::int64_t{0}, false);
  if (!r.ok) {
    if (why) *why = "initialize: " + r.error;
    return false;
  }
  if (!result_ok(r.json, why)) return false;
  Reply n = post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", std::nullopt, false);
  if (!n.ok) {
    if (why) *why = "notifications/initialized: " + n.error;
    return false;
  }
  return true;
}

void HttpClient::end_session() {
  if (session_.empty()) return;
  std::string why;
  if (!connected_ && !connect(&why)) return;
  http::request<http::empty_body> req{http::verb::delete_, target_, 11};
  req.set(http::field::host, host_header_);
  req.set("Mcp-Session-Id", session_);
  req.set("MCP-Protocol-Version", protocol_version_);
  req.keep_alive(false);
  boost::system::error_code ec;
  http::write(sock_, req, ec);
  http::response<http::string_body> res;
  if (!ec) http::read(sock_, buf_, res, ec);
  session_.clear();
  close();
}

Reply HttpClient::request(std::string_view method, std::string_view params_json) {
  const std::int64_t id = next_id_++;
  return post(request_text(id, method, params_json), id, true);
}

Reply HttpClient::post(const std::string& body, std::optional<std::int64_t> id, bool retry) {
  Reply out;
  std::string why;
  if (!connected_ && !connect(&why)) {
    out.error = why;
    return out;
  }
  const bool was_reused = reused_;
  http::request<http::string_body> req{http::verb::post, target_, 11};
  req.set(http::field::host, host_header_);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "application/json, text/event-stream");
  req.set(http::field::user_agent, "azsql-loadgen");
  if (!session_.empty()) req.set("Mcp-Session-Id", session_);
  if (id && *id != 0) req.set("MCP-Protocol-Version", protocol_version_);
  req.keep_alive(true);
  req.body() = body;
  req.prepare_payload();

  boost::system::error_code ec;
  http::write(sock_, req, ec);
  http::response_parser<http::string_body> p;
  p.body_limit(1ull << 30);
  if (!ec) http::read_header(sock_, buf_, p, ec);
  if (ec) {
    close();
    // A keep-alive connection the server closed while idle: reconnect once and resend.
    if (retry && was_reused) {
      ++reconnects_;
      return post(body, id, false);
    }
    out.error = "http: " + ec.message();
    return out;
  }
  reused_ = true;
  auto& res = p.get();
  const unsigned status = res.result_int();
  if (auto sid = res.find("Mcp-Session-Id"); sid != res.end() && session_.empty()) session_ = std::string(sid->value());
  const std::string_view ctype = res[http::field::content_type];
  bool must_close = false;
  if (ctype.find("text/event-stream") != std::string_view::npos && id) {
    std::size_t pos = 0, scan = 0;
    for (;;) {
      if (auto m = sse_find_response(p.get().body(), pos, *id, &scan)) {
        out.json = std::move(*m);
        must_close = !p.is_done();  // the server keeps the stream open: drop this connection
        break;
      }
      if (p.is_done()) break;
      http::read_some(sock_, buf_, p, ec);
      if (ec) break;
    }
  } else {
    if (!p.is_done()) http::read(sock_, buf_, p, ec);
    if (id && !ec) out.json = p.get().body();
  }
  out.bytes = p.get().body().size();
  if (ec) {
    close();
    out.error = "http read: " + ec.message();
    return out;
  }
  if (!p.get().keep_alive() || must_close) close();
  if (!id) {
    out.ok = status == 202 || status == 200 || status == 204;
    if (!out.ok) out.error = "status " + std::to_string(status);
    return out;
  }
  if (status != 200) {
    out.error = "status " + std::to_string(status) + ": " + excerpt(p.get().body());
    return out;
  }
  if (out.json.empty()) {
    out.error = "no response with id " + std::to_string(*id) + " (content-type " + std::string(ctype) + ")";
    return out;
  }
  out.ok = true;
  return out;
}

// ---------------------------------------------------------------- stdio

bool StdioClient::write_all(const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(in_, s.data() + off, s.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::string> StdioClient::read_line(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (auto nl = rbuf_.find('\n'); nl != std::string::npos) {
      std::string line = rbuf_.substr(0, nl);
      rbuf_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{out_, POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr <= 0) {
      if (pr < 0 && errno == EINTR) continue;
      return std::nullopt;
    }
    char tmp[65536];
    ssize_t n = ::read(out_, tmp, sizeof tmp);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return std::nullopt;
    }
    rbuf_.append(tmp, static_cast<std::size_t>(n));
  }
}

bool StdioClient::handshake(std::string_view protocol_version, std::string* why) {
  Reply r = request("initialize", initialize_params(protocol_version));
  if (!r.ok) {
    if (why) *why = "initialize: " + r.error;
    return false;
  }
  if (!result_ok(r.json, why)) return false;
  return write_all(std::string(R"({"jsonrpc":"2.0","method":"notifications/initialized"})") + "\n");
}

Reply StdioClient::request(std::string_view method, std::string_view params_json, std::chrono::milliseconds timeout) {
  Reply out;
  const std::int64_t id = next_id_++;
  if (!write_all(request_text(id, method, params_json) + "\n")) {
    out.error = "write to server stdin failed";
    return out;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto line = read_line(deadline);
    if (!line) {
      out.error = "no response (timeout or EOF)";
      return out;
    }
    if (line->empty() || line->front() != '{') continue;
    if (is_response_for(*line, id)) {
      out.bytes = line->size();
      out.json = std::move(*line);
      out.ok = true;
      return out;
    }
  }
}

}  // namespace azsql::bench
