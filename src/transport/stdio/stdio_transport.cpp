#include "transport/stdio/stdio_transport.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>

#include "jsonrpc/errors.hpp"
#include "jsonrpc/message.hpp"

namespace azsql::transport {

namespace bj = boost::json;

/// Serializes whole lines onto the output fd; counts replies still owed.
class StdioTransport::Writer final : public mcp::Outbox {
 public:
  explicit Writer(int fd) : fd_(fd) {}

  void send(const bj::value& message) override { write_line(bj::serialize(message)); }

  void write_line(std::string line) {
    line.push_back('\n');
    std::lock_guard lock(mu_);
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0 && !broken_) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        broken_ = true;  // the client went away; drop further output
        break;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }

  void begin() {
    std::lock_guard lock(pending_mu_);
    ++pending_;
  }
  void end() {
    std::lock_guard lock(pending_mu_);
    if (--pending_ == 0) pending_cv_.notify_all();
  }
  void wait_idle(std::chrono::milliseconds d) {
    std::unique_lock lock(pending_mu_);
    pending_cv_.wait_for(lock, d, [this] { return pending_ == 0; });
  }

 private:
  int fd_;
  std::mutex mu_;
  bool broken_ = false;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::size_t pending_ = 0;
};

StdioTransport::StdioTransport(mcp::Server& server, int in_fd, int out_fd, StdioOptions options)
    : server_(server),
      in_fd_(in_fd),
      writer_(std::make_shared<Writer>(out_fd)),
      session_(std::make_shared<mcp::Session>("stdio")),
      options_(options) {
  session_->set_outbox(writer_);
}

StdioTransport::~StdioTransport() { session_->set_outbox(nullptr); }

void StdioTransport::stop() { stop_ = true; }

void StdioTransport::run(std::chrono::milliseconds drain) {
  std::string buf;
  bool skipping = false;  // inside an over-long line
  char chunk[65536];
  auto dispatch = [this](std::string_view text) {
    // Skip blank lines (some clients send a trailing newline).
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;
    auto message = jsonrpc::parse(text);
    if (!message) {
      writer_->send(jsonrpc::make_error(nullptr, jsonrpc::code::kParseError, "Parse error: the message is not valid JSON"));
      return;
    }
    // The same entry point as HTTP: notifications go to the session outbox (stdout), every request
    // of the message shares the transport's closed token, and there is no authenticated caller.
    mcp::Inbound in;
    in.closed = closed_;
    writer_->begin();
    server_.handle(session_, std::move(*message), std::move(in), [w = writer_](mcp::Outgoing reply) {
      if (reply.message) w->send(*reply.message);
      w->end();
    });
  };
  while (!stop_) {
    pollfd pfd{in_fd_, POLLIN, 0};
    int pr = ::poll(&pfd, 1, 200);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;
    ssize_t n = ::read(in_fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) break;  // EOF: the client closed stdin
    std::string_view data(chunk, static_cast<std::size_t>(n));
    while (!data.empty()) {
      auto nl = data.find('\n');
      std::string_view part = data.substr(0, nl);
      if (!skipping) {
        if (buf.size() + part.size() > options_.max_line_bytes) {
          skipping = true;
          buf.clear();
          writer_->send(jsonrpc::make_error(nullptr, -32600, "Invalid Request: message exceeds the size limit"));
        } else {
          buf.append(part);
        }
      }
      if (nl == std::string_view::npos) break;
      if (!skipping) dispatch(buf);
      buf.clear();
      skipping = false;
      data.remove_prefix(nl + 1);
    }
  }
  if (!buf.empty() && !skipping) dispatch(buf);
  writer_->wait_idle(drain);
  closed_.cancel();  // input ended and the drain time is over: what still runs is cancelled
  session_->cancel_all();
  writer_->wait_idle(std::chrono::milliseconds(2000));
}

}  // namespace azsql::transport
