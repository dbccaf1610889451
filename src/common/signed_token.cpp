#include "common/signed_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace azsql {

namespace bj = boost::json;

namespace {
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
    out += kB64Url[(v >> 6) & 63];
    out += kB64Url[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
    if (i + 1 < in.size()) out += kB64Url[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string hex_encode(const unsigned char* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += d[p[i] >> 4];
    out += d[p[i] & 15];
  }
  return out;
}

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
  return hex_encode(out, len);
}

std::string TokenSigner::sign(bj::object payload, std::chrono::seconds ttl) const {
  std::array<unsigned char, 8> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  payload["exp"] = unix_now() + ttl.count();
  payload["n"] = hex_encode(nonce.data(), nonce.size());
  const std::string body = base64url_encode(bj::serialize(payload));
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
  auto json_text = base64url_decode(body);
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
