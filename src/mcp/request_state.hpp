#pragma once
/// The 2026-07-28 multi-round-trip `requestState`: application state the server hands the client
/// with an InputRequiredResult and gets back on the retry. We sign it so a client cannot forge or
/// replay it for another request: base64url(JSON payload) "." hex(HMAC-SHA256(key, payload)), the
/// payload naming the method, its target (tool/prompt name or URI), an expiry and a nonce. The key
/// is random per process (a restart invalidates outstanding states, which then fail closed).
#include <array>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace azsql::mcp {

namespace bj = boost::json;

class RequestStateSigner {
 public:
  /// Draws the key; throws std::runtime_error when the system has no randomness (start-up failure).
  RequestStateSigner();
  ~RequestStateSigner();
  RequestStateSigner(const RequestStateSigner&) = delete;
  RequestStateSigner& operator=(const RequestStateSigner&) = delete;

  /// A token carrying `app_state` for a retry of `method` on `target`, valid for `ttl_s` seconds.
  std::string sign(const std::string& method, const std::string& target, const bj::value& app_state,
                   long long ttl_s = 600) const;

  /// The application state inside a token we issued for this method and target, or nullopt when it
  /// was altered, expired or belongs to another request.
  std::optional<bj::value> verify(std::string_view token, const std::string& method, const std::string& target) const;

 private:
  std::string mac(std::string_view data) const;
  std::array<unsigned char, 32> key_{};
};

}  // namespace azsql::mcp
