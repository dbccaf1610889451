#include "mcp/request_state.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

#include "common/json_util.hpp"
#include "mcp/text_util.hpp"

namespace azsql::mcp {

namespace {
long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

RequestStateSigner::RequestStateSigner() {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1)
    throw std::runtime_error("cannot seed the requestState key");  // start-up failure
}

RequestStateSigner::~RequestStateSigner() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string RequestStateSigner::mac(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return hex_encode(out, len);
}

std::string RequestStateSigner::sign(const std::string& method, const std::string& target, const bj::value& app_state,
                                     long long ttl_s) const {
  std::array<unsigned char, 8> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  bj::object payload{{"m", method}, {"t", target}, {"s", app_state}, {"exp", now_s() + ttl_s},
                     {"n", hex_encode(nonce.data(), nonce.size())}};
  const std::string body = base64url_encode(bj::serialize(payload));
  return body + "." + mac(body);
}

std::optional<bj::value> RequestStateSigner::verify(std::string_view token, const std::string& method,
                                                    const std::string& target) const {
  const auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view body = token.substr(0, dot);
  const std::string expected = mac(body);
  const std::string_view given = token.substr(dot + 1);
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
    return std::nullopt;
  auto json_text = base64url_decode(body);
  if (!json_text) return std::nullopt;
  boost::system::error_code ec;
  bj::value v = bj::parse(*json_text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  if (json::get_string(o, "m").value_or("") != method || json::get_string(o, "t").value_or("") != target) return std::nullopt;
  const auto* exp = o.if_contains("exp");
  if (!exp || !exp->is_int64() || exp->get_int64() < now_s()) return std::nullopt;
  const auto* st = o.if_contains("s");
  return st ? *st : bj::value(nullptr);
}

}  // namespace azsql::mcp
