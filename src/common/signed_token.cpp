#include "common/signed_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <span>
#include <stdexcept>

#include "common/base64.hpp"
#include "common/hex.hpp"

namespace azsql {

namespace bj = boost::json;

namespace {
std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

TokenSigner::TokenSigner() {
  if (RAND_bytes(key_, static_cast<int>(sizeof key_)) != 1) throw std::runtime_error("cannot seed a token key");
}

TokenSigner::~TokenSigner() { OPENSSL_cleanse(key_, sizeof key_); }

const TokenSigner& TokenSigner::process() {
  static const TokenSigner signer;
  return signer;
}

std::string TokenSigner::mac(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_, static_cast<int>(sizeof key_), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return hex::encode(std::span<const std::uint8_t>(out, len), hex::Case::Lower);
}

std::string TokenSigner::sign(bj::object payload, std::chrono::seconds ttl) const {
  std::array<unsigned char, 8> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  payload["exp"] = unix_now() + ttl.count();
  payload["n"] = hex::encode(nonce, hex::Case::Lower);
  const std::string body = base64::encode(bj::serialize(payload), base64::Alphabet::UrlSafe, base64::Padding::Unpadded);
  return body + "." + mac(body);
}

TokenSigner::Verified TokenSigner::verify(std::string_view token) const {
  Verified out;
  const auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return out;
  const std::string_view body = token.substr(0, dot);
  const std::string expected = mac(body);
  const std::string_view given = token.substr(dot + 1);
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0) return out;
  auto json_text = base64::decode(body, base64::Alphabet::UrlSafe, base64::PadRule::Forbidden);
  if (!json_text) return out;
  boost::system::error_code ec;
  bj::value v = bj::parse(*json_text, ec);
  if (ec || !v.is_object()) return out;
  const auto* exp = v.get_object().if_contains("exp");
  if (!exp || !exp->is_int64()) return out;
  if (exp->get_int64() < unix_now()) {
    out.status = Status::Expired;
    return out;
  }
  out.status = Status::Ok;
  out.payload = std::move(v.get_object());
  return out;
}

}  // namespace azsql
