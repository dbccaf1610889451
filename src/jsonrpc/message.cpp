#include "jsonrpc/message.hpp"

namespace azsql::jsonrpc {

bool is_valid_id(const bj::value& id) noexcept { return id.is_string() || id.is_int64() || id.is_uint64(); }

MessageType classify(const bj::value& v) noexcept {
  if (!v.is_object()) return MessageType::Invalid;
  const auto& o = v.get_object();
  auto jr = o.find("jsonrpc");
  if (jr == o.end() || !jr->value().is_string() || jr->value().get_string() != "2.0") return MessageType::Invalid;
  auto m = o.find("method");
  auto id = o.find("id");
  if (m != o.end()) {
    if (!m->value().is_string()) return MessageType::Invalid;
    if (auto p = o.find("params"); p != o.end() && !p->value().is_object() && !p->value().is_array())
      return MessageType::Invalid;
    if (id == o.end()) return MessageType::Notification;
    return is_valid_id(id->value()) ? MessageType::Request : MessageType::Invalid;
  }
  if (id != o.end() && (o.contains("result") || o.contains("error"))) return MessageType::Response;
  return MessageType::Invalid;
}

bj::object make_result(const bj::value& id, bj::value result) {
  bj::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["result"] = std::move(result);
  return o;
}

bj::object make_error(const bj::value& id, int code, std::string_view message, std::optional<bj::value> data) {
  bj::object err;
  err["code"] = code;
  err["message"] = message;
  if (data) err["data"] = std::move(*data);
  bj::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["error"] = std::move(err);
  return o;
}

bj::object make_error(const bj::value& id, const ErrorObject& e) { return make_error(id, e.code, e.message, e.data); }

bj::object make_notification(std::string_view method, bj::object params) {
  bj::object o;
  o["jsonrpc"] = "2.0";
  o["method"] = method;
  o["params"] = std::move(params);
  return o;
}

bj::object make_request(const bj::value& id, std::string_view method, bj::object params) {
  bj::object o;
  o["jsonrpc"] = "2.0";
  o["id"] = id;
  o["method"] = method;
  o["params"] = std::move(params);
  return o;
}

std::optional<bj::value> parse(std::string_view text, std::string* error) {
  boost::system::error_code ec;
  bj::parse_options opts;
  opts.max_depth = 64;
  bj::value v = bj::parse(text, ec, {}, opts);
  if (ec) {
    if (error) *error = ec.message();
    return std::nullopt;
  }
  return v;
}

}  // namespace azsql::jsonrpc
