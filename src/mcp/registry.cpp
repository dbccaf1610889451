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
