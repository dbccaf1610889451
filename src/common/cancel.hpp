#pragma once
/// Cooperative cancellation shared between the protocol layer (notifications/cancelled,
/// a closed stream, shutdown) and drivers (sqlite3_interrupt, TDS ATTENTION).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace azsql {

/// A cancellation flag with callbacks. Thread-safe; copies share state.
class CancelToken {
 public:
  CancelToken();

  /// Requests cancellation; runs registered callbacks once, on the calling thread.
  void cancel() const;
  bool cancelled() const noexcept;

  /// Registration that unregisters on destruction. If already cancelled, fn runs now.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&&) noexcept = default;
    Registration& operator=(Registration&&) noexcept = default;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration();

   private:
    friend class CancelToken;
    struct State;
    std::shared_ptr<State> state_;
    std::size_t slot_ = 0;
  };

  /// Calls fn (from whichever thread cancels) while the registration is alive.
  Registration on_cancel(std::function<void()> fn) const;

 private:
  struct Shared;
  std::shared_ptr<Shared> s_;
  friend class Registration;
};

}  // namespace azsql
