#include "transport/http/request_rules.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/text.hpp"
#include "jsonrpc/message.hpp"
#include "mcp/server.hpp"

namespace azsql::transport::http {

void apply_limits(bhttp::request_parser<bhttp::string_body>& parser, std::size_t max_header_bytes,
                  std::size_t max_body_bytes) {
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(max_header_bytes, UINT32_MAX)));
  parser.body_limit(max_body_bytes);
}

std::string media_type(std::string_view v) {
  auto semi = v.find(';');
  return text::to_lower(trim_ows(v.substr(0, semi)));
}

bool accepts(std::string_view accept, std::string_view type) {
  const std::string major(type.substr(0, type.find('/')));
  std::size_t i = 0;
  while (i < accept.size()) {
    std::size_t comma = accept.find(',', i);
    std::string_view item = accept.substr(i, comma == std::string_view::npos ? std::string_view::npos : comma - i);
    i = comma == std::string_view::npos ? accept.size() : comma + 1;
    std::string mt = media_type(item);
    bool match = mt == type || mt == "*/*" || mt == major + "/*";
    if (!match) continue;
    auto q = item.find("q=");
    if (q != std::string_view::npos) {
      std::string qv(item.substr(q + 2));
      if (std::strtod(qv.c_str(), nullptr) <= 0.0) continue;
    }
    return true;
  }
  return false;
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

std::optional<std::string_view> bearer_token(std::string_view v) {
  if (v.size() <= 7 || !text::istarts_with(v, "bearer ")) return std::nullopt;
  std::string_view tok = v.substr(7);
  while (!tok.empty() && tok.front() == ' ') tok.remove_prefix(1);
  return tok;
}

bool supported_header_version(std::string_view v) { return mcp::is_supported_version(v) || v == mcp::kModernVersion; }

PostBody parse_post_body(std::string_view body) {
  PostBody out;
  boost::system::error_code ec;
  out.message = bj::parse(body, ec);
  if (ec) {
    out.error_code = jsonrpc::code::kParseError;
    out.error = "Parse error: the body is not valid JSON";
    return out;
  }
  const bool invalid = out.message.is_object() ? jsonrpc::classify(out.message) == jsonrpc::MessageType::Invalid
                                               : !out.message.is_array() || out.message.get_array().empty();
  if (invalid) {
    out.error_code = jsonrpc::code::kInvalidRequest;
    out.error = "Invalid Request: not a JSON-RPC 2.0 message";
    if (out.message.is_object()) {
      const auto& o = out.message.get_object();
      if (auto it = o.find("id"); it != o.end() && jsonrpc::is_valid_id(it->value())) out.error_id = it->value();
    }
  }
  return out;
}

bool is_modern_post(const Request& req, const bj::value& msg) {
  if (!msg.is_object()) return false;
  if (mcp::Server::modern_version(msg).has_value()) return true;
  const auto pvh = req.find(kVersionHeader);
  const bool has_sid = req.find(kSessionHeader) != req.end();
  const auto& o = msg.get_object();
  const bool has_meta = o.contains("params") && o.at("params").is_object() && o.at("params").get_object().contains("_meta");
  const bool legacy_header = pvh != req.end() && mcp::is_supported_version(trim_ows(pvh->value()));
  return !mcp::Server::is_initialize(msg) && !has_sid && (pvh != req.end() || has_meta) && !(!has_meta && legacy_header);
}

ModernHeaders modern_headers_of(const Request& req) {
  ModernHeaders mh;
  auto header = [&](std::string_view name) -> std::optional<std::string> {
    auto h = req.find(name);
    if (h == req.end()) return std::nullopt;
    return std::string(trim_ows(h->value()));
  };
  mh.protocol_version = header(kVersionHeader);
  mh.method = header("Mcp-Method");
  mh.name = header("Mcp-Name");
  for (const auto& f : req) {
    const std::string_view n = f.name_string();
    if (n.size() > 10 && text::istarts_with(n, "Mcp-Param-"))
      mh.params.emplace_back(std::string(n.substr(10)), std::string(trim_ows(f.value())));
  }
  return mh;
}

}  // namespace azsql::transport::http
