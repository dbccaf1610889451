// JwtValidator: RS256 Entra access tokens (see jwt_validator.hpp).
#include "auth/jwt_validator.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>

#include "auth/detail.hpp"
#include "common/base64.hpp"
#include "common/json_util.hpp"

namespace azsql::auth {

namespace {
using Reason = TokenRejection::Reason;

Validation reject(Reason r, std::string description) {
  Validation v;
  v.rejection.reason = r;
  v.rejection.description = std::move(description);
  return v;
}

std::optional<boost::json::object> decode_object(std::string_view part) {
  auto bytes = base64::decode(part, base64::Alphabet::UrlSafe, base64::PadRule::Optional);
  if (!bytes) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*bytes, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

/// `aud` as a string or an array of strings (RFC 7519 §4.1.3): true when one of them is accepted.
bool audience_ok(const boost::json::object& claims, const std::vector<std::string>& accepted) {
  const auto* aud = claims.if_contains("aud");
  if (aud == nullptr) return false;
  auto match = [&](const boost::json::value& v) {
    return v.is_string() && std::find(accepted.begin(), accepted.end(), std::string_view(v.as_string())) != accepted.end();
  };
  if (aud->is_array()) return std::any_of(aud->as_array().begin(), aud->as_array().end(), match);
  return match(*aud);
}

void split_scopes(std::string_view s, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}
}  // namespace

const char* to_string(TokenRejection::Reason r) noexcept {
  switch (r) {
    case Reason::Missing: return "missing";
    case Reason::Malformed: return "malformed";
    case Reason::Algorithm: return "algorithm";
    case Reason::UnknownKey: return "unknown_key";
    case Reason::Signature: return "signature";
    case Reason::Expired: return "expired";
    case Reason::NotYetValid: return "not_yet_valid";
    case Reason::Audience: return "audience";
    case Reason::Issuer: return "issuer";
    case Reason::Tenant: return "tenant";
    case Reason::Claims: return "claims";
    case Reason::KeysUnavailable: return "keys_unavailable";
  }
  return "unknown";
}

bool VerifiedToken::has_scope(std::string_view s) const {
  return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
}

JwtValidator::JwtValidator(ValidatorOptions options, std::shared_ptr<JwksCache> keys)
    : o_(std::move(options)), cache_(std::move(keys)) {
  o_.authority_host = trim_slash(o_.authority_host);
}

JwtValidator::JwtValidator(ValidatorOptions options, std::shared_ptr<const SigningKeys> fixed_keys)
    : o_(std::move(options)), fixed_(std::move(fixed_keys)) {
  o_.authority_host = trim_slash(o_.authority_host);
}

JwtValidator::~JwtValidator() = default;

std::chrono::system_clock::time_point JwtValidator::now() const {
  return o_.clock ? o_.clock() : std::chrono::system_clock::now();
}

std::vector<std::string> JwtValidator::issuers_for(std::string_view tenant) const {
  const std::string t(tenant);
  return {o_.authority_host + "/" + t + "/v2.0", "https://sts.windows.net/" + t + "/"};
}

std::string JwtValidator::issuer() const { return o_.authority_host + "/" + o_.tenant_id + "/v2.0"; }

std::size_t JwtValidator::remembered() const {
  std::lock_guard lock(mu_);
  return remembered_.size();
}

Validation JwtValidator::validate(std::string_view token) {
  if (token.empty()) return reject(Reason::Missing, "no bearer token");
  if (o_.remember_max > 0) {
    std::shared_ptr<const VerifiedToken> hit;
    {
      std::lock_guard lock(mu_);
      if (auto it = remembered_.find(token); it != remembered_.end()) hit = it->second;
    }
    if (hit) {
      const auto t = now();
      if (t < hit->expires_on + o_.clock_skew) {
        Validation v;
        v.token = std::move(hit);
        return v;
      }
      // Expired: verify() says so with the right reason, and the entry is dropped below.
    }
  }
  Validation v = verify(token);
  if (o_.remember_max > 0) {
    std::lock_guard lock(mu_);
    if (!v.ok()) {
      if (auto it = remembered_.find(token); it != remembered_.end()) remembered_.erase(it);
    } else {
      if (remembered_.size() >= o_.remember_max) {
        const auto t = now();
        std::erase_if(remembered_, [&](const auto& kv) { return kv.second->expires_on + o_.clock_skew <= t; });
        if (remembered_.size() >= o_.remember_max) remembered_.clear();
      }
      remembered_.emplace(std::string(token), v.token);
    }
  }
  return v;
}

Validation JwtValidator::verify(std::string_view token) {
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos || token.size() > 16384) {
    return reject(Reason::Malformed, "the token is not a JWS compact serialization");
  }
  auto header = decode_object(token.substr(0, d1));
  auto claims = decode_object(token.substr(d1 + 1, d2 - d1 - 1));
  auto signature = base64::decode(token.substr(d2 + 1), base64::Alphabet::UrlSafe, base64::PadRule::Optional);
  if (!header || !claims || !signature) return reject(Reason::Malformed, "the token's header or payload is not base64url JSON");
  auto alg = json::get_string(*header, "alg");
  if (!alg || *alg != "RS256") return reject(Reason::Algorithm, "only RS256-signed tokens are accepted");
  auto kid = json::get_string(*header, "kid");
  if (!kid || kid->empty()) return reject(Reason::UnknownKey, "the token header has no kid");

  std::shared_ptr<const SigningKeys> keys = fixed_ ? fixed_ : cache_ ? cache_->keys() : nullptr;
  if (!keys && cache_) keys = cache_->refetch_for(*kid, o_.unknown_kid_wait);
  if (!keys) return reject(Reason::KeysUnavailable, "the issuer's signing keys are not available yet");
  EVP_PKEY* key = keys->find(*kid);
  if (key == nullptr && cache_) {
    keys = cache_->refetch_for(*kid, o_.unknown_kid_wait);
    key = keys ? keys->find(*kid) : nullptr;
  }
  if (key == nullptr) return reject(Reason::UnknownKey, "the token is signed with a key the issuer does not publish");
  if (!verify_rs256(key, token.substr(0, d2), *signature)) return reject(Reason::Signature, "the token signature is invalid");

  auto tid = json::get_string(*claims, "tid");
  auto oid = json::get_string(*claims, "oid");
  auto iss = json::get_string(*claims, "iss");
  if (!tid || tid->empty() || !oid || oid->empty()) return reject(Reason::Claims, "the token lacks the tid or oid claim");
  const bool tenant_ok = *tid == o_.tenant_id || std::find(o_.allowed_tenants.begin(), o_.allowed_tenants.end(),
                                                           std::string_view(*tid)) != o_.allowed_tenants.end();
  if (!tenant_ok) return reject(Reason::Tenant, "tokens of this tenant are not accepted");
  const auto accepted = issuers_for(*tid);
  if (!iss || std::find(accepted.begin(), accepted.end(), std::string_view(*iss)) == accepted.end()) {
    return reject(Reason::Issuer, "the token issuer is not the expected one");
  }
  if (!audience_ok(*claims, o_.audiences)) return reject(Reason::Audience, "the token is not meant for this server (aud)");
  auto exp = json::get_int(*claims, "exp");
  if (!exp) return reject(Reason::Claims, "the token has no exp claim");
  const auto t = now();
  const auto expires = std::chrono::system_clock::time_point(std::chrono::seconds(*exp));
  if (t >= expires + o_.clock_skew) return reject(Reason::Expired, "the token expired");
  if (auto nbf = json::get_int(*claims, "nbf");
      nbf && t + o_.clock_skew < std::chrono::system_clock::time_point(std::chrono::seconds(*nbf))) {
    return reject(Reason::NotYetValid, "the token is not valid yet (nbf)");
  }

  auto out = std::make_shared<VerifiedToken>();
  out->tenant_id = *tid;
  out->object_id = *oid;
  for (const char* k : {"preferred_username", "upn", "unique_name"}) {
    if (auto u = json::get_string(*claims, k); u && !u->empty()) {
      out->username = *u;
      break;
    }
  }
  if (auto n = json::get_string(*claims, "name")) out->name = *n;
  if (auto scp = json::get_string(*claims, "scp")) split_scopes(*scp, out->scopes);
  if (const auto* roles = json::get_array(*claims, "roles")) {
    for (const auto& r : *roles) {
      if (r.is_string()) out->scopes.emplace_back(r.as_string());
    }
  }
  out->expires_on = expires;
  Validation v;
  v.token = std::move(out);
  return v;
}

}  // namespace azsql::auth
