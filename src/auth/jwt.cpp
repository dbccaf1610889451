// The RS256 client assertion of the certificate credential (OpenSSL EVP).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "auth/detail.hpp"
#include "common/base64.hpp"
#include "common/json_util.hpp"

namespace azsql::auth::detail {

namespace {
template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using P12Ptr = std::unique_ptr<PKCS12, Deleter<PKCS12, PKCS12_free>>;

std::string uuid4() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return {};
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}
/// JWS segments are base64url without padding (RFC 7515 §2).
std::string b64url(std::string_view bytes) {
  return base64::encode(bytes, base64::Alphabet::UrlSafe, base64::Padding::Unpadded);
}
}  // namespace

Result<std::string> make_client_assertion(const std::string& pem_path, const std::string& password,
                                          const std::string& client_id, const std::string& audience,
                                          std::chrono::system_clock::time_point now) {
  std::ifstream f(pem_path, std::ios::binary);
  if (!f) return Error::make(ErrorKind::InvalidInput, "cannot read the certificate file " + pem_path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string pem = ss.str();

  X509Ptr cert;
  PkeyPtr key;
  if (pem.find("-----BEGIN") == std::string::npos) {
    // PKCS#12 (.pfx / .p12)
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    P12Ptr p12(d2i_PKCS12_bio(bio.get(), nullptr));
    if (!p12) {
      ERR_clear_error();
      return Error::make(ErrorKind::InvalidInput, pem_path + " is neither PEM nor PKCS#12");
    }
    EVP_PKEY* k = nullptr;
    X509* c = nullptr;
    if (PKCS12_parse(p12.get(), password.c_str(), &k, &c, nullptr) != 1) {
      ERR_clear_error();
      return Error::make(ErrorKind::InvalidInput,
                         "cannot open the PKCS#12 file " + pem_path + " (wrong AZURE_CLIENT_CERTIFICATE_PASSWORD?)");
    }
    key.reset(k);
    cert.reset(c);
    if (!cert || !key) return Error::make(ErrorKind::InvalidInput, pem_path + " lacks a certificate or a private key");
  } else {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!cert) return Error::make(ErrorKind::InvalidInput, "no PEM certificate in " + pem_path);
    BioPtr bio2(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    // With a null callback OpenSSL uses `u` as the passphrase of an encrypted key.
    void* pass = password.empty() ? nullptr : const_cast<char*>(password.c_str());
    key.reset(PEM_read_bio_PrivateKey(bio2.get(), nullptr, nullptr, pass));
    ERR_clear_error();
    if (!key) {
      return Error::make(ErrorKind::InvalidInput, "no usable private key in " + pem_path +
                                                      " (missing, or wrong AZURE_CLIENT_CERTIFICATE_PASSWORD)");
    }
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return Error::make(ErrorKind::InvalidInput, "the private key in " + pem_path + " is not an RSA key (RS256 needs RSA)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Error::make(ErrorKind::InvalidInput, "the private key in " + pem_path + " does not match its certificate");
  }

  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int sha1_len = 0;
  if (X509_digest(cert.get(), EVP_sha1(), sha1, &sha1_len) != 1) {
    return Error::make(ErrorKind::Internal, "cannot compute the certificate thumbprint");
  }
  const std::string x5t = b64url(std::string_view(reinterpret_cast<const char*>(sha1), sha1_len));

  boost::json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", x5t}};
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const std::string jti = uuid4();
  if (jti.empty()) return Error::make(ErrorKind::Internal, "RAND_bytes failed");
  boost::json::object claims{{"aud", audience}, {"iss", client_id}, {"sub", client_id}, {"jti", jti},
                             {"nbf", secs},     {"iat", secs},      {"exp", secs + 600}};
  const std::string signing_input =
      b64url(json::dump(header)) + "." + b64url(json::dump(claims));

  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    ERR_clear_error();
    return Error::make(ErrorKind::Internal, "RS256 signing failed");
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    ERR_clear_error();
    return Error::make(ErrorKind::Internal, "RS256 signing failed");
  }
  sig.resize(sig_len);
  return signing_input + "." + b64url(sig);
}

}  // namespace azsql::auth::detail
