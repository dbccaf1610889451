#pragma once
/// The 2026-07-28 multi-round-trip `requestState`: application state the server hands the client
/// with an InputRequiredResult and gets back on the retry. Signed (common/signed_token: HMAC-SHA256
/// with a per-process key, an expiry and a nonce) and bound to the method and its target (tool or
/// prompt name, resource URI), so a client can neither forge it nor replay it for another request.
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/signed_token.hpp"

namespace azsql::mcp {

namespace bj = boost::json;

class RequestStateSigner {
 public:
  /// A token carrying `app_state` for a retry of `method` on `target`, valid for `ttl`.
  std::string sign(const std::string& method, const std::string& target, const bj::value& app_state,
                   std::chrono::seconds ttl = std::chrono::minutes(10)) const;

  /// The application state inside a token we issued for this method and target, or nullopt when it
  /// was altered, expired or belongs to another request.
  std::optional<bj::value> verify(std::string_view token, const std::string& method, const std::string& target) const;

 private:
  TokenSigner signer_;
};

}  // namespace azsql::mcp
