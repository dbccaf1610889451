#pragma once
// Test shorthand for what a transport does with one message: Server::handle (the one entry point)
// with an Inbound holding `outbox` (null = the session outbox) and `closed` (null = never closed);
// the callback gets the reply's JSON. Transports parse the text themselves (malformed JSON → -32700,
// tested through the binary in tests/e2e); here the JSON text must be valid.
#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "mcp/server.hpp"

namespace azsql::mcp::testing {

using ReplyFn = std::function<void(std::optional<boost::json::value>)>;

inline Inbound inbound(std::shared_ptr<Outbox> outbox, const CancelToken* closed) {
  Inbound in;
  in.outbox = std::move(outbox);
  if (closed) in.closed = *closed;  // copies share the token's state
  return in;
}

inline Server::Respond respond(ReplyFn reply) {
  return [reply = std::move(reply)](Outgoing o) { reply(std::move(o.message)); };
}

inline void send(Server& server, const std::shared_ptr<Session>& session, boost::json::value message,
                 std::shared_ptr<Outbox> outbox, ReplyFn reply, const CancelToken* closed = nullptr) {
  server.handle(session, std::move(message), inbound(std::move(outbox), closed), respond(std::move(reply)));
}

inline void send_text(Server& server, const std::shared_ptr<Session>& session, std::string_view text,
                      std::shared_ptr<Outbox> outbox, ReplyFn reply, const CancelToken* closed = nullptr) {
  send(server, session, boost::json::parse(text), std::move(outbox), std::move(reply), closed);
}

inline void send_modern(Server& server, const std::shared_ptr<Session>& session, boost::json::value message,
                        std::shared_ptr<Outbox> outbox, ReplyFn reply, const CancelToken* closed = nullptr) {
  server.handle_modern(session, std::move(message), inbound(std::move(outbox), closed), respond(std::move(reply)));
}

}  // namespace azsql::mcp::testing
