#include "common/cancel.hpp"

#include <thread>

namespace azsql {

struct CancelToken::Registration::State {
  std::mutex mu;
  std::mutex run_mu;  // held while callbacks run, so a registration outlives its callback
  std::atomic<bool> cancelled{false};
  std::atomic<std::thread::id> runner{};   // the thread running the callbacks, while it does
  std::vector<std::function<void()>> fns;  // empty slot = unregistered
};

struct CancelToken::Shared : CancelToken::Registration::State {};

CancelToken::CancelToken() : s_(std::make_shared<Shared>()) {}

void CancelToken::cancel() const {
  std::vector<std::function<void()>> fns;
  std::lock_guard run(s_->run_mu);
  {
    std::lock_guard lock(s_->mu);
    if (s_->cancelled.exchange(true)) return;
    fns.swap(s_->fns);
  }
  s_->runner.store(std::this_thread::get_id());
  for (auto& fn : fns) {
    if (fn) fn();
  }
  s_->runner.store(std::thread::id{});
}

bool CancelToken::cancelled() const noexcept { return s_->cancelled.load(std::memory_order_acquire); }

CancelToken::Registration CancelToken::on_cancel(std::function<void()> fn) const {
  Registration r;
  {
    std::lock_guard lock(s_->mu);
    if (!s_->cancelled.load()) {
      s_->fns.push_back(std::move(fn));
      r.state_ = s_;
      r.slot_ = s_->fns.size() - 1;
      return r;
    }
  }
  fn();
  return r;
}

CancelToken::Registration::~Registration() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->mu);
    if (slot_ < state_->fns.size()) {
      state_->fns[slot_] = nullptr;
      return;
    }
  }
  // cancel() took the callbacks: wait until they have finished running — unless this thread is
  // the one running them (a callback dropped the last owner of a registration of the same
  // token, e.g. a closed stream ending a subscriptions/listen request): waiting would deadlock.
  if (state_->runner.load() == std::this_thread::get_id()) return;
  std::lock_guard run(state_->run_mu);
}

}  // namespace azsql
