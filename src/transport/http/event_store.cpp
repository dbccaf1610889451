#include "transport/http/event_store.hpp"

#include <algorithm>
#include <charconv>

namespace azsql::transport::http {

std::optional<EventId> parse_event_id(std::string_view id) {
  auto us = id.rfind('_');
  if (us == std::string_view::npos || us == 0 || us + 1 >= id.size() || id.size() > 256) return std::nullopt;
  EventId out;
  auto digits = id.substr(us + 1);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.seq);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  out.stream = std::string(id.substr(0, us));
  return out;
}

EventStore::EventStore(EventStoreLimits limits) : limits_(limits) {}

namespace {
std::string make_id(std::string_view stream, std::uint64_t seq) {
  std::string id(stream);
  id += '_';
  id += std::to_string(seq);
  return id;
}
constexpr std::size_t kMaxFinishedRemembered = 1024;
}  // namespace

std::string EventStore::append(std::string_view stream, std::string data, bool final) {
  std::lock_guard lock(mu_);
  const std::uint64_t seq = ++seq_;
  if (data.size() <= limits_.max_bytes && limits_.max_events > 0) {
    bytes_ += data.size();
    events_.push_back(Entry{std::string(stream), seq, std::move(data)});
    evict_locked();
  } else {
    // Too large to keep: record it as evicted so a replay reports the gap.
    auto it = std::find_if(evicted_.begin(), evicted_.end(), [&](const auto& p) { return p.first == stream; });
    if (it == evicted_.end()) evicted_.emplace_back(std::string(stream), seq);
    else it->second = std::max(it->second, seq);
  }
  if (final && finished_.insert(std::string(stream)).second) {
    finished_order_.emplace_back(stream);
    if (finished_order_.size() > kMaxFinishedRemembered) {
      finished_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }
  return make_id(stream, seq);
}

void EventStore::finish(std::string_view stream) {
  std::lock_guard lock(mu_);
  if (finished_.insert(std::string(stream)).second) {
    finished_order_.emplace_back(stream);
    if (finished_order_.size() > kMaxFinishedRemembered) {
      finished_.erase(finished_order_.front());
      finished_order_.pop_front();
    }
  }
}

std::string EventStore::prime(std::string_view stream) {
  std::lock_guard lock(mu_);
  return make_id(stream, ++seq_);
}

void EventStore::evict_locked() {
  while (!events_.empty() && (events_.size() > limits_.max_events || bytes_ > limits_.max_bytes)) {
    Entry& e = events_.front();
    bytes_ -= e.data.size();
    auto it = std::find_if(evicted_.begin(), evicted_.end(), [&](const auto& p) { return p.first == e.stream; });
    if (it == evicted_.end()) {
      evicted_.emplace_back(e.stream, e.seq);
      if (evicted_.size() > 64) evicted_.erase(evicted_.begin());
    } else {
      it->second = std::max(it->second, e.seq);
    }
    events_.pop_front();
  }
}

std::vector<StoredEvent> EventStore::after(std::string_view stream, std::uint64_t after_seq, bool* complete) const {
  std::lock_guard lock(mu_);
  std::vector<StoredEvent> out;
  // Events are in seq order: skip the prefix at or before after_seq quickly.
  auto first = std::upper_bound(events_.begin(), events_.end(), after_seq,
                                [](std::uint64_t s, const Entry& e) { return s < e.seq; });
  for (auto it = first; it != events_.end(); ++it) {
    if (it->stream == stream) out.push_back(StoredEvent{make_id(stream, it->seq), it->data, it->seq});
  }
  if (complete) {
    *complete = true;
    for (const auto& [s, max_evicted] : evicted_) {
      if (s == stream && max_evicted > after_seq) *complete = false;
    }
  }
  return out;
}

bool EventStore::finished(std::string_view stream) const {
  std::lock_guard lock(mu_);
  return finished_.find(stream) != finished_.end();
}

std::uint64_t EventStore::last_seq() const {
  std::lock_guard lock(mu_);
  return seq_;
}

std::size_t EventStore::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::size_t EventStore::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace azsql::transport::http
