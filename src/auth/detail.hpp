#pragma once
/// Internal helpers of src/auth (HTTP over libcurl, JWT, token response parsing, child
/// processes). Not part of the module's interface; tests may use them.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/credentials.hpp"

namespace azsql::auth::detail {

// ---- HTTP ------------------------------------------------------------------------------------
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  ///< sent for POST
  HttpTimeouts timeouts;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;  ///< Retry-After in seconds, if sent
};

/// One HTTP exchange (libcurl easy handle; proxies are bypassed for loopback and IMDS addresses).
/// Errors: Unavailable (connect failure, transient), Timeout, Cancelled, Io. Messages name the host,
/// never the query or body.
Result<HttpResponse> http_send(const HttpRequest& request, const CancelToken& cancel);

/// http_send with retries: retries transport failures and statuses for which `retriable(status)`
/// holds, per policy. The last response (retriable or not) is returned as a value.
Result<HttpResponse> http_send_with_retry(const HttpRequest& request, const RetryPolicy& policy, const GoneRetry& gone,
                                          bool (*retriable)(long status), const CancelToken& cancel);

/// Sleeps up to `d`, returning early (false) when cancelled.
bool cancellable_sleep(std::chrono::milliseconds d, const CancelToken& cancel);

/// application/x-www-form-urlencoded body.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
/// "host[:port]" of a URL (for error messages), or "" when unparsable.
std::string url_host(std::string_view url);
/// True when the URL's host is 127.0.0.0/8, ::1 or localhost.
bool is_loopback_url(std::string_view url);

// ---- JWT (base64url lives in common/base64.hpp) --------------------------------------------------

/// Client assertion for the certificate credential: reads the PEM file (certificate + private key),
/// signs RS256 with x5t. Errors: InvalidInput (file unreadable / no key / no certificate).
Result<std::string> make_client_assertion(const std::string& pem_path, const std::string& password,
                                          const std::string& client_id, const std::string& audience,
                                          std::chrono::system_clock::time_point now);

// ---- token responses ---------------------------------------------------------------------------
/// Parses an Entra / IMDS / App Service token response: access_token; expires_on (epoch seconds
/// as number or string, or a date) else expires_in; refresh_in. Never includes the body in errors.
Result<AccessToken> parse_token_response(std::string_view body, std::string_view who,
                                         std::chrono::system_clock::time_point now);
/// "invalid_client (AADSTS7000215): Invalid client secret provided." from an error body, or a
/// generic description when the body is not a JSON error. Bounded length, first line only.
std::string describe_error_body(std::string_view body);
/// Parses an epoch-seconds string.
std::optional<std::chrono::system_clock::time_point> parse_epoch(std::string_view s);

/// Shared POST to the Entra token endpoint: client_id, scope, grant_type (client credentials unless
/// given: the on-behalf-of credential sends the jwt-bearer grant) and `credential_fields`.
/// Error::code carries the first AADSTS number of a refusal.
Result<AccessToken> request_entra_token(const EntraOptions& o, std::string_view who, std::string_view scope,
                                        std::vector<std::pair<std::string, std::string>> credential_fields,
                                        const std::string& token_url, const CancelToken& cancel,
                                        std::string_view grant_type = "client_credentials");
/// `{authority}/{tenant}/oauth2/v2.0/token` after validating tenant and authority.
Result<std::string> entra_token_url(const EntraOptions& o, std::string_view who);

// ---- processes ---------------------------------------------------------------------------------
struct ProcessResult {
  int exit_code = -1;   ///< -1 when killed by a signal
  bool timed_out = false;
  std::string out, err;  ///< each capped at 1 MiB
};
/// Runs `path` with `args` (argv[1..]) without a shell, stdin from /dev/null, in working directory
/// "/" and its own process group; kills the group at the deadline or on cancel.
/// Errors: NotFound (exec failed: ENOENT/EACCES), Cancelled, Io.
Result<ProcessResult> run_process(const std::string& path, const std::vector<std::string>& args,
                                  std::chrono::milliseconds timeout, const CancelToken& cancel);
/// The first executable named `name` on the colon-separated `path_env`, or "".
std::string find_on_path(const std::string& name, const std::string& path_env);

}  // namespace azsql::auth::detail
