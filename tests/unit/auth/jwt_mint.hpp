#pragma once
// Test-only token minting: RSA keys generated with OpenSSL, JWKS documents, RS256/HS256/none tokens.
// Used by the validator tests and bench/micro/jwt_bench.cpp.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

#include "auth/detail.hpp"
#include "b64url.hpp"

namespace azsql::auth::testing {

struct TestKey {
  std::string kid;
  EVP_PKEY* pkey = nullptr;
  explicit TestKey(std::string k, int bits = 2048) : kid(std::move(k)), pkey(EVP_RSA_gen(bits)) {
    if (pkey == nullptr) throw std::runtime_error("EVP_RSA_gen failed");
  }
  ~TestKey() { EVP_PKEY_free(pkey); }
  TestKey(const TestKey&) = delete;
  TestKey& operator=(const TestKey&) = delete;

  static std::string bn64(EVP_PKEY* k, const char* name) {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(k, name, &bn);
    std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return b64url(bytes);
  }
  boost::json::object jwk() const {
    return {{"kty", "RSA"}, {"use", "sig"}, {"kid", kid}, {"n", bn64(pkey, OSSL_PKEY_PARAM_RSA_N)},
            {"e", bn64(pkey, OSSL_PKEY_PARAM_RSA_E)}};
  }
  /// DER SubjectPublicKeyInfo (what an attacker would use as an HMAC secret).
  std::string public_der() const {
    unsigned char* buf = nullptr;
    int n = i2d_PUBKEY(pkey, &buf);
    std::string s(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
    OPENSSL_free(buf);
    return s;
  }
};

inline std::string jwks(std::initializer_list<const TestKey*> keys) {
  boost::json::array a;
  for (const auto* k : keys) a.push_back(k->jwk());
  return boost::json::serialize(boost::json::object{{"keys", a}});
}

inline std::string sign_rs256(EVP_PKEY* key, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

inline std::string mint(const boost::json::object& header, const boost::json::object& claims, const TestKey* key,
                        const std::string& hmac_secret = {}) {
  const std::string input = b64url(boost::json::serialize(header)) + "." +
                            b64url(boost::json::serialize(claims));
  std::string sig;
  if (key != nullptr) {
    sig = sign_rs256(key->pkey, input);
  } else if (!hmac_secret.empty()) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), hmac_secret.data(), static_cast<int>(hmac_secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &n);
    sig.assign(reinterpret_cast<char*>(mac), n);
  }
  return input + "." + b64url(sig);
}

inline std::int64_t epoch_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Claims of a typical Entra v2 user access token.
inline boost::json::object user_claims(const std::string& tenant, const std::string& aud, const std::string& oid,
                                       const std::string& scp = "Sql.Read") {
  const auto now = epoch_now();
  return {{"aud", aud},
          {"iss", "https://login.microsoftonline.com/" + tenant + "/v2.0"},
          {"iat", now},
          {"nbf", now},
          {"exp", now + 3600},
          {"tid", tenant},
          {"oid", oid},
          {"sub", "sub-" + oid},
          {"preferred_username", oid + "@example.test"},
          {"name", "User " + oid},
          {"scp", scp},
          {"ver", "2.0"}};
}

}  // namespace azsql::auth::testing
