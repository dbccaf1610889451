#include "transport/http/sse.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace azsql::transport::http {

std::string format_sse_event(std::string_view id, std::string_view data, std::optional<int> retry_ms) {
  std::string out;
  append_sse_event(out, id, data, retry_ms);
  return out;
}

void append_sse_event(std::string& out, std::string_view id, std::string_view data, std::optional<int> retry_ms) {
  out.reserve(out.size() + data.size() + id.size() + 32);
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  if (retry_ms) {
    out += "retry: ";
    out += std::to_string(*retry_ms);
    out += '\n';
  }
  // Each line of the payload is its own data: field; CR, LF and CRLF all end a line.
  // The next CR and the next LF are found with memchr and remembered until passed: linear, and
  // fast on a multi-megabyte JSON payload, which has no raw line break at all (find_first_of
  // called memchr on the two-character set once per payload byte).
  constexpr auto npos = std::string_view::npos;
  auto next = [&data](char c, std::size_t from) {
    if (from >= data.size()) return npos;
    const void* p = std::memchr(data.data() + from, c, data.size() - from);
    return p ? static_cast<std::size_t>(static_cast<const char*>(p) - data.data()) : npos;
  };
  std::size_t next_lf = next('\n', 0), next_cr = next('\r', 0);
  std::size_t i = 0;
  do {
    if (next_lf != npos && next_lf < i) next_lf = next('\n', i);
    if (next_cr != npos && next_cr < i) next_cr = next('\r', i);
    std::size_t end = std::min(next_lf, next_cr);
    out += "data: ";
    out += data.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    out += '\n';
    if (end == std::string_view::npos) break;
    i = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  } while (i < data.size());
  out += '\n';
}

std::string format_sse_comment(std::string_view text) {
  std::string out = ": ";
  out += text;
  out += "\n\n";
  return out;
}

bool SseParser::feed(std::string_view bytes) {
  if (failed_) return false;
  for (char c : bytes) {
    if (c == '\n' || c == '\r') {
      // Treat CR, LF and CRLF as one line end: an LF right after a CR ends nothing new.
      if (c == '\n' && last_was_cr_) {
        last_was_cr_ = false;
        continue;
      }
      last_was_cr_ = (c == '\r');
      line(partial_);
      partial_.clear();
    } else {
      last_was_cr_ = false;
      partial_.push_back(c);
      if (partial_.size() + cur_.data.size() > max_buffer_) {
        failed_ = true;
        return false;
      }
    }
  }
  return true;
}

void SseParser::line(std::string_view l) {
  if (l.empty()) {
    if (has_data_) {
      if (!cur_.data.empty() && cur_.data.back() == '\n') cur_.data.pop_back();
      ready_.push_back(std::move(cur_));
    } else if (!cur_.id.empty() || cur_.retry_ms) {
      ready_.push_back(std::move(cur_));  // an id-only (priming) event
    }
    cur_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (l.front() == ':') return;  // comment
  auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    cur_.data.append(value);
    cur_.data.push_back('\n');
    has_data_ = true;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) cur_.id = std::string(value);
  } else if (field == "event") {
    cur_.event = std::string(value);
  } else if (field == "retry") {
    int v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec == std::errc() && p == value.data() + value.size() && !value.empty()) cur_.retry_ms = v;
  }
}

std::vector<SseEvent> SseParser::take() {
  std::vector<SseEvent> out;
  out.swap(ready_);
  return out;
}

}  // namespace azsql::transport::http
