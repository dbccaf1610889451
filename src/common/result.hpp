#pragma once
/// Error and Result types shared by every module. Wire parsers and drivers return
/// Result<T>; exceptions are reserved for start-up failures and bugs.
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace azsql {

/// What went wrong, at the granularity a caller can act on.
enum class ErrorKind {
  InvalidInput,  ///< the caller's input is malformed or not allowed
  NotFound,      ///< a named object does not exist
  Refused,       ///< a safety rule refused the request
  Database,      ///< the database reported an error (see Error::code)
  Timeout,       ///< a deadline passed
  Cancelled,     ///< the caller cancelled
  Limit,         ///< a configured limit was hit
  Io,            ///< network or file I/O failed
  Protocol,      ///< the peer broke the wire protocol
  Tls,           ///< TLS handshake or certificate failure
  Auth,          ///< authentication failed or a credential could not be acquired
  Unavailable,   ///< a dependency is not reachable right now
  Internal,      ///< a bug
};

const char* to_string(ErrorKind kind) noexcept;

/// One error type for the whole program (in the spirit of tiberius' error kinds).
struct Error {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;
  int code = 0;             ///< server error number (SQL Server / SQLite), 0 if none
  int state = 0;            ///< server error state
  int severity = 0;         ///< server error class
  bool transient = false;   ///< retrying later may succeed
  bool broken = false;      ///< the connection that produced it must not be reused
  bool in_doubt = false;    ///< a COMMIT was in flight when the connection broke: it may or may not
                            ///< have been applied (distinct from a failure that applied nothing)

  static Error make(ErrorKind k, std::string msg, int code = 0) {
    Error e;
    e.kind = k;
    e.message = std::move(msg);
    e.code = code;
    return e;
  }
};

/// A value or an Error. Small on purpose: C++20 has no std::expected.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { assert(!ok_); return err_; }
  Error&& error() && { assert(!ok_); return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace azsql
