#pragma once
/// Per-session SSE event store for resumable Streamable HTTP streams (MCP 2025-11-25,
/// basic/transports "Resumability and Redelivery"). Event ids name their stream
/// ("<stream>_<seq>") so a `Last-Event-ID` only ever replays the stream it came from.
/// Bounded in memory by event count and bytes (oldest events are evicted first). Thread-safe.
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace azsql::transport::http {

struct StoredEvent {
  std::string id;    ///< "<stream>_<seq>"
  std::string data;  ///< one serialized JSON-RPC message
  std::uint64_t seq = 0;
};

/// A parsed event id.
struct EventId {
  std::string stream;
  std::uint64_t seq = 0;
};

/// Parses "<stream>_<seq>"; nullopt when malformed (never throws).
std::optional<EventId> parse_event_id(std::string_view id);

/// Per-session bounds. With HttpOptions::max_sessions they bound the whole store
/// (1,000 sessions × 1 MiB by default).
struct EventStoreLimits {
  std::size_t max_events = 256;
  std::size_t max_bytes = 1u << 20;
};

class EventStore {
 public:
  explicit EventStore(EventStoreLimits limits = {});

  /// Appends one event to `stream` and returns its id. `final` marks the stream finished (its
  /// response was sent). Events larger than the byte limit get an id but are not kept.
  std::string append(std::string_view stream, std::string data, bool final = false);
  /// Marks `stream` finished without an event (e.g. the request was cancelled).
  void finish(std::string_view stream);
  /// A fresh id on `stream` that carries no data (SSE priming event); nothing is stored.
  std::string prime(std::string_view stream);

  /// Events of `stream` with seq > `after_seq`, oldest first. `complete` is false when some of
  /// them were already evicted.
  std::vector<StoredEvent> after(std::string_view stream, std::uint64_t after_seq, bool* complete = nullptr) const;
  bool finished(std::string_view stream) const;
  /// The highest sequence number handed out so far.
  std::uint64_t last_seq() const;

  std::size_t size() const;
  std::size_t bytes() const;

 private:
  struct Entry {
    std::string stream;
    std::uint64_t seq;
    std::string data;
  };
  void evict_locked();
  EventStoreLimits limits_;
  mutable std::mutex mu_;
  std::deque<Entry> events_;
  std::size_t bytes_ = 0;
  std::uint64_t seq_ = 0;
  std::set<std::string, std::less<>> finished_;
  std::deque<std::string> finished_order_;  ///< bounds finished_
  std::vector<std::pair<std::string, std::uint64_t>> evicted_;  ///< per stream: highest evicted seq (small)
};

}  // namespace azsql::transport::http
