#include "mcp/errors.hpp"

namespace azsql::mcp {

WireError map_fault(Fault fault, Era era) noexcept {
  const bool modern = era == Era::Modern;
  switch (fault) {
    case Fault::ParseError:
      return {errc::kParseError, modern ? 400u : 200u};
    case Fault::InvalidRequest:
      return {errc::kInvalidRequest, modern ? 400u : 200u};
    case Fault::MethodNotFound:
      return {errc::kMethodNotFound, modern ? 404u : 200u};
    case Fault::InvalidParams:
      return {errc::kInvalidParams, 200};
    case Fault::ResourceNotFound:  // 2026-07-28 folds "resource not found" into invalid params
      return {modern ? errc::kInvalidParams : errc::kResourceNotFound, 200};
    case Fault::Busy:
      return {errc::kServerBusy, 200};
    case Fault::HeaderMismatch:
      return {errc::kHeaderMismatch, 400};
    case Fault::MissingCapability:
      return {errc::kMissingClientCapability, 400};
    case Fault::UnsupportedVersion:
      return {errc::kUnsupportedProtocolVersion, 400};
    case Fault::Unavailable:
    case Fault::Internal:
      return {errc::kInternalError, 200};
  }
  return {errc::kInternalError, 200};
}

Fault fault_of(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidInput:
    case ErrorKind::NotFound:
    case ErrorKind::Refused:
      return Fault::InvalidParams;
    case ErrorKind::Limit:
      return Fault::Busy;
    case ErrorKind::Database:
    case ErrorKind::Timeout:
    case ErrorKind::Cancelled:
    case ErrorKind::Io:
    case ErrorKind::Protocol:
    case ErrorKind::Tls:
    case ErrorKind::Auth:
    case ErrorKind::Unavailable:
      return Fault::Unavailable;
    case ErrorKind::Internal:
      return Fault::Internal;
  }
  return Fault::Internal;
}

RpcError RpcError::from(const Error& e, std::string_view context) {
  std::string m = context.empty() ? e.message : std::string(context) + ": " + e.message;
  return RpcError(fault_of(e.kind), std::move(m));
}

jsonrpc::ErrorObject RpcError::wire(Era era) const { return {map_fault(fault, era).code, message, data}; }

}  // namespace azsql::mcp
