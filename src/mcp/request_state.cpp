#include "mcp/request_state.hpp"

#include "common/json_util.hpp"

namespace azsql::mcp {

std::string RequestStateSigner::sign(const std::string& method, const std::string& target, const bj::value& app_state,
                                     std::chrono::seconds ttl) const {
  return signer_.sign(bj::object{{"m", method}, {"t", target}, {"s", app_state}}, ttl);
}

std::optional<bj::value> RequestStateSigner::verify(std::string_view token, const std::string& method,
                                                    const std::string& target) const {
  auto v = signer_.verify(token);
  if (v.status != TokenSigner::Status::Ok) return std::nullopt;
  const auto& o = v.payload;
  if (json::get_string(o, "m").value_or("") != method || json::get_string(o, "t").value_or("") != target) return std::nullopt;
  const auto* st = o.if_contains("s");
  return st ? *st : bj::value(nullptr);
}

}  // namespace azsql::mcp
