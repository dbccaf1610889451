#include "auth/credentials.hpp"

#include "common/timestamp.hpp"

namespace azsql::auth {

StaticTokenCredential::StaticTokenCredential(std::string token) : token_(std::move(token)) {
  while (!token_.empty() && (token_.back() == '\n' || token_.back() == '\r' || token_.back() == ' ')) token_.pop_back();
}

Result<AccessToken> StaticTokenCredential::get_token(std::string_view, const CancelToken&) {
  if (token_.empty()) return Error::make(ErrorKind::InvalidInput, name() + ": AZURE_SQL_ACCESS_TOKEN is empty");
  const auto now = std::chrono::system_clock::now();
  if (auto exp = jwt_expiry(token_)) {
    if (*exp <= now) {
      return Error::make(ErrorKind::Auth, name() + ": the access token in AZURE_SQL_ACCESS_TOKEN expired at " +
                                              timestamp::utc_seconds(*exp) + "; supply a new one");
    }
    return AccessToken{token_, *exp, std::nullopt};
  }
  return AccessToken{token_, now + std::chrono::hours(1), std::nullopt};
}

}  // namespace azsql::auth
