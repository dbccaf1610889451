#pragma once
/// Bearer-token validation for the MCP endpoint (the OAuth 2.1 resource server side):
/// Microsoft Entra ID access tokens, JWT signed RS256, checked against the signing keys the tenant
/// publishes through OpenID discovery.
///
///   SigningKeys   an immutable set of RSA public keys by `kid` (parsed from a JWKS document)
///   JwksCache     discovery (`{authority}/{tenant}/v2.0/.well-known/openid-configuration` →
///                 `jwks_uri`) and the key set, fetched on a background thread: at start, every
///                 `refresh_interval`, and when a token names an unknown `kid` (at most once per
///                 `min_refetch_interval`). The request path never does network I/O for a known key.
///   JwtValidator  the checks: `alg` = RS256 only (none, HS*, ES*, PS* refused), signature (OpenSSL
///                 EVP), `iss` of the configured tenant (or of an allowed tenant), `tid` matching it,
///                 `aud` one of the configured audiences (RFC 8707: the app ID URI or client id),
///                 `exp`/`nbf` with a small skew, `oid` and `tid` present. A token that passed is
///                 remembered (bounded, exact-match on the whole token, until its `exp`) so a client
///                 reusing its token pays one hash lookup instead of an RSA verification.
///
/// Tokens are never logged and never appear in errors.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "auth/credentials.hpp"
#include "common/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace azsql::auth {

/// RSA public keys by key id. Immutable once built; shared between threads.
class SigningKeys {
 public:
  SigningKeys() = default;
  ~SigningKeys();
  SigningKeys(const SigningKeys&) = delete;
  SigningKeys& operator=(const SigningKeys&) = delete;

  /// Parses a JWKS document: keeps `kty`=RSA keys with a `kid`, `use` absent or "sig", `alg` absent
  /// or RS256, modulus ≥ 2048 bits. Other keys are skipped; a document with no usable key, or not
  /// JSON, is an error (Protocol).
  static Result<std::shared_ptr<const SigningKeys>> from_jwks(std::string_view json);

  EVP_PKEY* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }
  std::vector<std::string> kids() const;

 private:
  std::vector<std::pair<std::string, EVP_PKEY*>> keys_;
};

struct JwksOptions {
  std::string authority_host{kDefaultAuthorityHost};  ///< https, or http on loopback
  std::string tenant_id;
  std::chrono::seconds refresh_interval{std::chrono::hours(12)};
  /// An unknown `kid` triggers a refetch at most this often.
  std::chrono::milliseconds min_refetch_interval{std::chrono::seconds(60)};
  /// After a failed fetch while no keys are held, retry after this long.
  std::chrono::milliseconds retry_after_failure{std::chrono::seconds(5)};
  HttpTimeouts timeouts{std::chrono::milliseconds(5000), std::chrono::milliseconds(10000)};
  /// Called after each fetch attempt (ok, number of keys, error text). Must be thread-safe.
  std::function<void(bool ok, std::size_t keys, const std::string& error)> on_fetch;
};

/// The tenant's signing keys, kept fresh by one background thread.
class JwksCache {
 public:
  explicit JwksCache(JwksOptions options);
  ~JwksCache();
  JwksCache(const JwksCache&) = delete;
  JwksCache& operator=(const JwksCache&) = delete;

  /// Starts the background thread and waits up to `wait` for the first key set.
  /// Returns the first fetch's error when it failed within `wait` (the thread keeps retrying).
  Status start(std::chrono::milliseconds wait);
  /// The current keys (null before the first successful fetch). Lock-free for readers in effect
  /// (a mutex held for a shared_ptr copy).
  std::shared_ptr<const SigningKeys> keys() const;
  /// Called when a token names `kid` that keys() lacks: asks the thread for a refetch unless one
  /// happened within min_refetch_interval, and waits up to `wait` for a key set holding `kid`.
  /// Returns the newest keys (which may still lack it).
  std::shared_ptr<const SigningKeys> refetch_for(std::string_view kid, std::chrono::milliseconds wait);
  /// Successful fetches so far (each replaces the key set).
  std::uint64_t generation() const;
  /// `{authority}/{tenant}/v2.0/.well-known/openid-configuration`
  std::string discovery_url() const;

 private:
  Status fetch_once();
  void run();
  JwksOptions o_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const SigningKeys> keys_;
  std::uint64_t generation_ = 0;
  std::uint64_t attempts_ = 0;
  std::string last_error_;
  bool refetch_wanted_ = false;
  bool stop_ = false;
  std::chrono::steady_clock::time_point last_fetch_{};
  std::thread thread_;
};

/// The caller a valid token names.
struct VerifiedToken {
  std::string tenant_id;  ///< tid
  std::string object_id;  ///< oid
  std::string username;   ///< preferred_username, else upn, else unique_name, else ""
  std::string name;       ///< display name (`name`), may be empty
  std::vector<std::string> scopes;  ///< `scp` split on spaces, plus `roles`
  std::chrono::system_clock::time_point expires_on;
  bool has_scope(std::string_view s) const;
};

/// Why a token was refused. `code` is the OAuth error (RFC 6750 §3.1): invalid_token for every
/// token problem; `missing` when there was no token at all (then no error attribute is sent);
/// `keys_unavailable` when no signing keys could be fetched yet (a server problem → 503).
struct TokenRejection {
  enum class Reason {
    Missing, Malformed, Algorithm, UnknownKey, Signature, Expired, NotYetValid, Audience, Issuer, Tenant, Claims,
    KeysUnavailable
  };
  Reason reason = Reason::Malformed;
  std::string description;  ///< safe to send (error_description) and log: never the token
};
const char* to_string(TokenRejection::Reason r) noexcept;

struct ValidatorOptions {
  std::string authority_host{kDefaultAuthorityHost};
  std::string tenant_id;                     ///< the configured tenant (its issuer is always accepted)
  std::vector<std::string> allowed_tenants;  ///< further tenants whose tokens are accepted
  std::vector<std::string> audiences;        ///< accepted `aud` values (at least one)
  std::chrono::seconds clock_skew{120};
  /// How long a request naming an unknown kid may wait for a refetched key set.
  std::chrono::milliseconds unknown_kid_wait{3000};
  std::size_t remember_max = 4096;  ///< verified tokens kept (0 = verify every time)
  std::function<std::chrono::system_clock::time_point()> clock;  ///< tests; default system_clock
};

/// A validation outcome: the verified caller, or the rejection.
struct Validation {
  std::shared_ptr<const VerifiedToken> token;  ///< set when valid
  TokenRejection rejection;                    ///< meaningful when !token
  bool ok() const { return token != nullptr; }
};

/// Thread-safe. `keys` supplies the signing keys (JwksCache in the server; a fixed set in tests).
class JwtValidator {
 public:
  JwtValidator(ValidatorOptions options, std::shared_ptr<JwksCache> keys);
  /// Fixed keys (no discovery): tests and benchmarks.
  JwtValidator(ValidatorOptions options, std::shared_ptr<const SigningKeys> fixed_keys);
  ~JwtValidator();

  /// Validates the token (the text after "Bearer "). An empty token → Reason::Missing.
  Validation validate(std::string_view token);
  /// The issuers accepted for `tenant`: `{authority}/{tenant}/v2.0` and `https://sts.windows.net/{tenant}/`.
  std::vector<std::string> issuers_for(std::string_view tenant) const;
  /// `{authority}/{tenant}/v2.0` of the configured tenant (the authorization server to advertise).
  std::string issuer() const;
  std::size_t remembered() const;

 private:
  Validation verify(std::string_view token);
  std::chrono::system_clock::time_point now() const;
  ValidatorOptions o_;
  std::shared_ptr<JwksCache> cache_;
  std::shared_ptr<const SigningKeys> fixed_;
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const VerifiedToken>, TextHash, std::equal_to<>> remembered_;
};

}  // namespace azsql::auth
