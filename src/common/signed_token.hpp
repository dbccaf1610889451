#pragma once
/// Integrity-protected, expiring tokens the server hands to clients and must trust when they come
/// back (2026-07-28 requestState, read_data cursors): base64url(JSON payload) "." hex(HMAC-SHA256).
/// The key is random per process, so a token never outlives the process that issued it.
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace azsql {

class TokenSigner {
 public:
  /// A signer with a fresh random key (throws when the system RNG fails — a start-up failure).
  TokenSigner();
  ~TokenSigner();
  TokenSigner(const TokenSigner&) = delete;
  TokenSigner& operator=(const TokenSigner&) = delete;

  /// The process-wide signer.
  static const TokenSigner& process();

  /// Signs `payload` plus "exp" (now + ttl, unix seconds) and a random nonce.
  std::string sign(boost::json::object payload, std::chrono::seconds ttl) const;

  enum class Status { Ok, Invalid, Expired };
  struct Verified {
    Status status = Status::Invalid;
    boost::json::object payload;  ///< set when Ok
  };
  /// Checks the MAC first (constant time), then the expiry.
  Verified verify(std::string_view token) const;

 private:
  std::string mac(std::string_view data) const;
  unsigned char key_[32];
};

}  // namespace azsql
