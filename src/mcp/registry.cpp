#include "mcp/registry.hpp"

namespace azsql::mcp {

namespace {
constexpr const char* kLevels[] = {"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};
}

const char* to_string(LogLevel l) noexcept { return kLevels[static_cast<int>(l)]; }

std::optional<LogLevel> parse_log_level(std::string_view s) noexcept {
  for (int i = 0; i < 8; ++i) {
    if (s == kLevels[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

void Registry::add_tool(std::unique_ptr<Tool> t) { tools_.push_back(std::move(t)); }
void Registry::add_prompt(std::unique_ptr<Prompt> p) { prompts_.push_back(std::move(p)); }
void Registry::add_resources(std::unique_ptr<ResourceProvider> r) { resources_.push_back(std::move(r)); }
void Registry::set_completer(std::unique_ptr<Completer> c) { completer_ = std::move(c); }

Tool* Registry::find_tool(std::string_view name) const {
  for (const auto& t : tools_) {
    if (t->definition().name == name) return t.get();
  }
  return nullptr;
}

Prompt* Registry::find_prompt(std::string_view name) const {
  for (const auto& p : prompts_) {
    if (p->definition().name == name) return p.get();
  }
  return nullptr;
}

}  // namespace azsql::mcp

namespace azsql::mcp {

InputOutcome CallContext::request_input(std::string_view, std::string_view, bj::object) { return {}; }

const bj::value& CallContext::round_state() const {
  static const bj::value null_value;
  return null_value;
}

void CallContext::set_round_state(bj::value) {}

Confirmation CallContext::confirm(std::string_view key, std::string_view message) {
  bj::object schema{{"type", "object"},
                    {"properties", bj::object{{"confirm", bj::object{{"type", "boolean"},
                                                                     {"title", "Confirm"},
                                                                     {"description", "Proceed?"}}}}},
                    {"required", bj::array{"confirm"}}};
  auto out = request_input(key, "elicitation/create",
                           bj::object{{"message", message}, {"requestedSchema", std::move(schema)}});
  switch (out.status) {
    case InputOutcome::Status::Pending:
      return Confirmation::Pending;
    case InputOutcome::Status::Unsupported:
      return Confirmation::Unsupported;
    case InputOutcome::Status::Failed:
      return Confirmation::Declined;
    case InputOutcome::Status::Answered:
      break;
  }
  const auto* action = out.result.if_contains("action");
  if (!action || !action->is_string() || action->get_string() != "accept") return Confirmation::Declined;
  const auto* content = out.result.if_contains("content");
  if (content && content->is_object()) {
    const auto* c = content->get_object().if_contains("confirm");
    if (c && c->is_bool() && !c->get_bool()) return Confirmation::Declined;
  }
  return Confirmation::Accepted;
}

}  // namespace azsql::mcp
