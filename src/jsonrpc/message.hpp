#pragma once
/// JSON-RPC 2.0 message helpers (no I/O). https://www.jsonrpc.org/specification
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "jsonrpc/errors.hpp"

namespace azsql::jsonrpc {

namespace bj = boost::json;

enum class MessageType { Request, Notification, Response, Invalid };

/// What kind of message `v` is. Invalid: not an object, wrong/missing "jsonrpc", bad id or method types.
MessageType classify(const bj::value& v) noexcept;

/// A request id is a string or an integer (JSON-RPC allows numbers; MCP forbids null).
bool is_valid_id(const bj::value& id) noexcept;

bj::object make_result(const bj::value& id, bj::value result);
bj::object make_error(const bj::value& id, int code, std::string_view message, std::optional<bj::value> data = std::nullopt);
bj::object make_notification(std::string_view method, bj::object params);
bj::object make_request(const bj::value& id, std::string_view method, bj::object params);

/// Parses one JSON text. On failure returns nullopt and fills `error`.
std::optional<bj::value> parse(std::string_view text, std::string* error = nullptr);

}  // namespace azsql::jsonrpc
