// SigningKeys (JWKS → OpenSSL RSA public keys) and JwksCache (OpenID discovery on a background thread).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "auth/detail.hpp"
#include "auth/jwt_validator.hpp"
#include "common/base64.hpp"
#include "common/json_util.hpp"

namespace azsql::auth {

namespace {
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

/// An RSA public key from the base64url modulus and exponent of a JWK; null when unusable.
EVP_PKEY* rsa_from_jwk(std::string_view n64, std::string_view e64) {
  auto n = base64::decode(n64, base64::Alphabet::UrlSafe, base64::PadRule::Optional);
  auto e = base64::decode(e64, base64::Alphabet::UrlSafe, base64::PadRule::Optional);
  if (!n || !e || n->empty() || e->empty() || e->size() > 8) return nullptr;
  BnPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr), BN_free);
  BnPtr be(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr), BN_free);
  if (!bn || !be || BN_num_bits(bn.get()) < 2048 || BN_num_bits(bn.get()) > 8192) return nullptr;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr) return nullptr;
  EVP_PKEY* key = nullptr;
  OSSL_PARAM* params = nullptr;
  EVP_PKEY_CTX* ctx = nullptr;
  if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be.get()) == 1 &&
      (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr &&
      (ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr)) != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  ERR_clear_error();
  return key;
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}
}  // namespace

SigningKeys::~SigningKeys() {
  for (auto& [kid, key] : keys_) EVP_PKEY_free(key);
}

Result<std::shared_ptr<const SigningKeys>> SigningKeys::from_jwks(std::string_view text) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(text, ec);
  if (ec || !doc.is_object()) return Error::make(ErrorKind::Protocol, "the JWKS document is not a JSON object");
  const auto* arr = json::get_array(doc.as_object(), "keys");
  if (arr == nullptr) return Error::make(ErrorKind::Protocol, "the JWKS document has no \"keys\" array");
  auto set = std::make_shared<SigningKeys>();
  for (const auto& v : *arr) {
    if (!v.is_object()) continue;
    const auto& k = v.as_object();
    auto kty = json::get_string(k, "kty");
    auto kid = json::get_string(k, "kid");
    auto use = json::get_string(k, "use");
    auto alg = json::get_string(k, "alg");
    auto n = json::get_string(k, "n");
    auto e = json::get_string(k, "e");
    if (!kty || *kty != "RSA" || !kid || kid->empty() || !n || !e) continue;
    if (use && *use != "sig") continue;
    if (alg && *alg != "RS256") continue;
    if (set->find(*kid) != nullptr) continue;
    if (EVP_PKEY* key = rsa_from_jwk(*n, *e)) set->keys_.emplace_back(std::string(*kid), key);
  }
  if (set->keys_.empty()) return Error::make(ErrorKind::Protocol, "the JWKS document has no usable RS256 signing key");
  return std::shared_ptr<const SigningKeys>(std::move(set));
}

EVP_PKEY* SigningKeys::find(std::string_view kid) const {
  for (const auto& [k, key] : keys_) {
    if (k == kid) return key;
  }
  return nullptr;
}

std::vector<std::string> SigningKeys::kids() const {
  std::vector<std::string> out;
  for (const auto& [k, key] : keys_) out.push_back(k);
  return out;
}

// ---------------------------------------------------------------------------------------------
JwksCache::JwksCache(JwksOptions options) : o_(std::move(options)) {
  o_.authority_host = trim_slash(o_.authority_host);
}

JwksCache::~JwksCache() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string JwksCache::discovery_url() const {
  return o_.authority_host + "/" + o_.tenant_id + "/v2.0/.well-known/openid-configuration";
}

Status JwksCache::fetch_once() {
  CancelToken cancel;
  detail::HttpRequest req;
  req.url = discovery_url();
  req.headers = {{"Accept", "application/json"}};
  req.timeouts = o_.timeouts;
  auto r = detail::http_send(req, cancel);
  if (!r.ok()) return Error::make(ErrorKind::Unavailable, "OpenID discovery: " + r.error().message);
  if (r->status != 200) {
    return Error::make(ErrorKind::Unavailable,
                       "OpenID discovery at " + detail::url_host(req.url) + " answered HTTP " + std::to_string(r->status));
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(r->body, ec);
  std::optional<std::string_view> jwks_uri;
  if (!ec && doc.is_object()) jwks_uri = json::get_string(doc.as_object(), "jwks_uri");
  if (!jwks_uri) return Error::make(ErrorKind::Protocol, "the OpenID discovery document has no jwks_uri");
  const std::string uri(*jwks_uri);
  if (uri.rfind("https://", 0) != 0 && !(uri.rfind("http://", 0) == 0 && detail::is_loopback_url(uri))) {
    return Error::make(ErrorKind::Protocol, "the jwks_uri of the OpenID discovery document is not https");
  }
  req.url = uri;
  auto k = detail::http_send(req, cancel);
  if (!k.ok()) return Error::make(ErrorKind::Unavailable, "JWKS: " + k.error().message);
  if (k->status != 200) {
    return Error::make(ErrorKind::Unavailable, "JWKS at " + detail::url_host(uri) + " answered HTTP " + std::to_string(k->status));
  }
  auto keys = SigningKeys::from_jwks(k->body);
  if (!keys.ok()) return std::move(keys).error();
  std::lock_guard lock(mu_);
  keys_ = std::move(*keys);
  ++generation_;
  return {};
}

void JwksCache::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    Status st = fetch_once();
    lock.lock();
    ++attempts_;
    last_fetch_ = std::chrono::steady_clock::now();
    refetch_wanted_ = false;
    last_error_ = st.ok() ? std::string{} : st.error().message;
    const std::size_t n = keys_ ? keys_->size() : 0;
    cv_.notify_all();
    if (o_.on_fetch) {
      lock.unlock();
      o_.on_fetch(st.ok(), n, st.ok() ? std::string{} : st.error().message);
      lock.lock();
    }
    const auto wait = keys_ ? std::chrono::duration_cast<std::chrono::milliseconds>(o_.refresh_interval)
                            : o_.retry_after_failure;
    cv_.wait_for(lock, wait, [&] { return stop_ || refetch_wanted_; });
  }
}

Status JwksCache::start(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  cv_.wait_for(lock, wait, [&] { return attempts_ > 0; });
  if (keys_) return {};
  if (attempts_ == 0) return Error::make(ErrorKind::Timeout, "no answer from OpenID discovery at " + discovery_url());
  return Error::make(ErrorKind::Unavailable, last_error_);
}

std::shared_ptr<const SigningKeys> JwksCache::keys() const {
  std::lock_guard lock(mu_);
  return keys_;
}

std::uint64_t JwksCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::shared_ptr<const SigningKeys> JwksCache::refetch_for(std::string_view kid, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!refetch_wanted_ && now - last_fetch_ < o_.min_refetch_interval) return keys_;
  refetch_wanted_ = true;
  const auto target = attempts_ + 1;
  cv_.notify_all();
  cv_.wait_for(lock, wait, [&] { return stop_ || attempts_ >= target || (keys_ && keys_->find(kid)); });
  return keys_;
}

}  // namespace azsql::auth
