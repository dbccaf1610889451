#pragma once
// base64url without padding, as JWS segments and JWK members are written (RFC 7515 §2).
#include <string>
#include <string_view>

#include "common/base64.hpp"

namespace azsql::auth::testing {

inline std::string b64url(std::string_view s) {
  return base64::encode(s, base64::Alphabet::UrlSafe, base64::Padding::Unpadded);
}

}  // namespace azsql::auth::testing
