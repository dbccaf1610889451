#include "common/result.hpp"

namespace azsql {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidInput: return "invalid_input";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::Refused: return "refused";
    case ErrorKind::Database: return "database";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Limit: return "limit";
    case ErrorKind::Io: return "io";
    case ErrorKind::Protocol: return "protocol";
    case ErrorKind::Tls: return "tls";
    case ErrorKind::Auth: return "auth";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::Internal: return "internal";
  }
  return "internal";
}

}  // namespace azsql
