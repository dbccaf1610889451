#include "mcp/elicitation.hpp"

#include <openssl/rand.h>

#include <array>

#include "common/hex.hpp"
#include "common/json_util.hpp"

namespace azsql::mcp {

const char* capability_for(std::string_view method) noexcept {
  if (method == "elicitation/create") return "elicitation";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "roots/list") return "roots";
  return nullptr;
}

Elicitation::Elicitation() {
  std::array<unsigned char, 6> r{};
  RAND_bytes(r.data(), static_cast<int>(r.size()));
  prefix_ = "azsql-" + hex::encode(r, hex::Case::Lower) + "-";
}

InputOutcome Elicitation::ask(const std::string& session_id, std::string_view method, bj::object params,
                              const std::function<void(const bj::object&)>& send, const CancelToken& token,
                              std::chrono::milliseconds timeout) {
  InputOutcome out;
  auto p = std::make_shared<Pending>();
  p->session_id = session_id;
  const std::string id = prefix_ + std::to_string(next_.fetch_add(1));
  {
    std::lock_guard lock(mu_);
    pending_[id] = p;
  }
  auto wake = token.on_cancel([p] {
    std::lock_guard lock(p->mu);
    p->cv.notify_all();
  });
  send(bj::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(p->mu);
  p->cv.wait_until(lock, deadline, [&] { return p->done || token.cancelled(); });
  if (!p->done) {
    lock.unlock();
    std::lock_guard plock(mu_);
    pending_.erase(id);
    out.status = InputOutcome::Status::Failed;
    out.error = token.cancelled() ? "the request was cancelled" : "the client did not answer in time";
    return out;
  }
  if (p->ok) {
    out.status = InputOutcome::Status::Answered;
    out.result = std::move(p->result);
  } else {
    out.status = InputOutcome::Status::Failed;
    out.error = p->error;
  }
  return out;
}

void Elicitation::on_response(const std::string& session_id, const bj::object& msg) {
  const auto* id = msg.if_contains("id");
  if (!id || !id->is_string()) return;
  std::shared_ptr<Pending> p;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(std::string(id->get_string()));
    if (it == pending_.end() || it->second->session_id != session_id) return;
    p = it->second;
    pending_.erase(it);
  }
  std::lock_guard lock(p->mu);
  if (const auto* r = msg.if_contains("result"); r && r->is_object()) {
    p->ok = true;
    p->result = r->get_object();
  } else {
    p->error = "the client answered with an error";
    if (const auto* e = msg.if_contains("error"); e && e->is_object()) {
      if (auto m = json::get_string(e->get_object(), "message")) p->error += ": " + std::string(*m);
    }
  }
  p->done = true;
  p->cv.notify_all();
}

}  // namespace azsql::mcp
