// The 2026-07-28 Streamable HTTP header checks (basic/transports, "Standard headers" and "Custom
// Headers from Tool Parameters"): HTTP-only, so they live in the transport, not the protocol core.
#include "transport/http/modern_headers.hpp"

#include <cstdlib>

#include "common/base64.hpp"
#include "common/json_util.hpp"
#include "common/text.hpp"
#include "jsonrpc/message.hpp"

namespace azsql::transport::http {

namespace rpc = azsql::jsonrpc;
namespace errc = azsql::jsonrpc::code;
using text::iequals;

std::optional<std::string> decode_header_value(std::string_view v) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u > 0x7E)) return std::nullopt;
  }
  constexpr std::string_view kPrefix = "=?base64?", kSuffix = "?=";
  if (v.size() >= kPrefix.size() + kSuffix.size() && v.substr(0, kPrefix.size()) == kPrefix &&
      v.substr(v.size() - kSuffix.size()) == kSuffix)
    return base64::decode(v.substr(kPrefix.size(), v.size() - kPrefix.size() - kSuffix.size()),
                          base64::Alphabet::Standard, base64::PadRule::Required);
  return std::string(v);
}

std::optional<bj::value> check_modern_request(const bj::value& message, const ModernHeaders& headers) {
  if (rpc::classify(message) != rpc::MessageType::Request) return std::nullopt;
  const auto& o = message.get_object();
  const bj::value id = o.at("id");
  const std::string method(o.at("method").get_string());
  const bj::object* params = json::get_object(o, "params");
  const bj::object* meta = params ? json::get_object(*params, "_meta") : nullptr;
  auto error = [&](int code, std::string text, std::optional<bj::value> data = std::nullopt) {
    return std::optional<bj::value>(rpc::make_error(id, code, text, std::move(data)));
  };
  auto version = meta ? json::get_string(*meta, mcp::kMetaProtocolVersion) : std::nullopt;
  if (!version) return error(errc::kInvalidParams, "params._meta[\"io.modelcontextprotocol/protocolVersion\"] is required");
  if (!json::get_object(*meta, mcp::kMetaClientCapabilities))
    return error(errc::kInvalidParams,
                 "params._meta[\"io.modelcontextprotocol/clientCapabilities\"] is required (an object; {} for none)");
  if (!headers.protocol_version)
    return error(errc::kHeaderMismatch, "Header mismatch: the MCP-Protocol-Version header is required");
  if (*headers.protocol_version != *version)
    return error(errc::kHeaderMismatch, "Header mismatch: MCP-Protocol-Version '" + *headers.protocol_version +
                                            "' differs from params._meta protocolVersion '" + std::string(*version) + "'");
  if (*version != mcp::kModernVersion)
    return error(errc::kUnsupportedProtocolVersion, "Unsupported protocol version",
                 bj::object{{"supported", mcp::supported_versions()}, {"requested", *version}});
  if (!headers.method) return error(errc::kHeaderMismatch, "Header mismatch: the Mcp-Method header is required");
  if (*headers.method != method)
    return error(errc::kHeaderMismatch, "Header mismatch: Mcp-Method '" + *headers.method + "' differs from the body method '" +
                                            method + "'");
  std::optional<std::string_view> name;
  if (params && (method == "tools/call" || method == "prompts/get")) name = json::get_string(*params, "name");
  if (params && method == "resources/read") name = json::get_string(*params, "uri");
  // SEP-2663: the tasks methods name their task in Mcp-Name.
  if (params && (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel"))
    name = json::get_string(*params, "taskId");
  if (name) {
    if (!headers.name) return error(errc::kHeaderMismatch, "Header mismatch: the Mcp-Name header is required for " + method);
    auto decoded = decode_header_value(*headers.name);
    if (!decoded) return error(errc::kHeaderMismatch, "Header mismatch: the Mcp-Name header value is malformed");
    if (*decoded != *name) return error(errc::kHeaderMismatch, "Header mismatch: Mcp-Name differs from the request body");
  }
  return std::nullopt;
}

namespace {
struct HeaderParam {
  std::vector<std::string> path;  ///< chain of `properties` keys
  std::string header;             ///< x-mcp-header value
  std::string type;
};

void collect_header_params(const bj::object& schema, std::vector<std::string>& path, std::vector<HeaderParam>& out) {
  const bj::object* props = json::get_object(schema, "properties");
  if (!props) return;
  for (const auto& kv : *props) {
    if (!kv.value().is_object()) continue;
    const auto& def = kv.value().get_object();
    path.emplace_back(kv.key());
    if (auto h = json::get_string(def, "x-mcp-header"))
      out.push_back({path, std::string(*h), std::string(json::get_string(def, "type").value_or("string"))});
    collect_header_params(def, path, out);
    path.pop_back();
  }
}
}  // namespace

std::optional<bj::value> check_modern_params(const bj::value& message, const ModernHeaders& headers,
                                             const mcp::Registry& registry) {
  if (rpc::classify(message) != rpc::MessageType::Request) return std::nullopt;
  const auto& o = message.get_object();
  if (o.at("method") != "tools/call") return std::nullopt;
  const bj::object* params = json::get_object(o, "params");
  auto name = params ? json::get_string(*params, "name") : std::nullopt;
  const mcp::Tool* tool = name ? registry.find_tool(*name) : nullptr;
  if (!tool) return std::nullopt;
  std::vector<HeaderParam> annotated;
  std::vector<std::string> path;
  collect_header_params(tool->definition().input_schema, path, annotated);
  if (annotated.empty()) return std::nullopt;
  const bj::object* args = json::get_object(*params, "arguments");
  auto mismatch = [&](std::string text) {
    return std::optional<bj::value>(rpc::make_error(o.at("id"), errc::kHeaderMismatch, "Header mismatch: " + text));
  };
  for (const auto& p : annotated) {
    const bj::value* v = nullptr;
    const bj::object* cur = args;
    for (std::size_t i = 0; cur && i < p.path.size(); ++i) {
      v = cur->if_contains(p.path[i]);
      cur = (v && v->is_object()) ? &v->get_object() : nullptr;
      if (!v) break;
    }
    const std::string header = "Mcp-Param-" + p.header;
    const std::string* given = nullptr;
    for (const auto& [hn, hv] : headers.params) {
      if (iequals(hn, p.header)) given = &hv;
    }
    if (!v || v->is_null()) continue;  // no value in the body: the header is not expected
    if (!given) return mismatch("the " + header + " header is required when arguments carry the value");
    auto decoded = decode_header_value(*given);
    if (!decoded) return mismatch("the " + header + " header value is malformed (invalid characters or Base64)");
    bool same = false;
    if (v->is_string()) {
      same = *decoded == v->get_string();
    } else if (v->is_bool()) {
      same = *decoded == (v->get_bool() ? "true" : "false");
    } else if (v->is_number()) {
      char* end = nullptr;
      const double h = std::strtod(decoded->c_str(), &end);
      same = end && *end == '\0' && !decoded->empty() && h == v->to_number<double>();
    }
    if (!same) return mismatch("the " + header + " header does not match the request body");
  }
  return std::nullopt;
}

}  // namespace azsql::transport::http
