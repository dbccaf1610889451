#pragma once
/// Version shaping in one place: every field whose presence depends on the protocol revision
/// (`title`, `outputSchema`, annotations, `structuredContent`, `completions`, 2026-07-28's
/// resultType / cache hints / server _meta) is decided here, so each message validates against
/// its revision's schema (tested with ajv against ../shared/mcp-schema).
#include <boost/json.hpp>
#include <string>

#include "mcp/registry.hpp"
#include "mcp/server.hpp"

namespace azsql::mcp::detail {

struct Request;

bj::object tool_json(const ToolDefinition& d, const std::string& version);
bj::object resource_json(const ResourceDefinition& r, const std::string& version);
bj::object resource_template_json(const ResourceTemplateDefinition& r, const std::string& version);
bj::object prompt_json(const PromptDefinition& d, const std::string& version);
/// `tasks`: some tool can run as a task (2025-11-25 `tasks`, 2026-07-28 the tasks extension).
bj::object server_capabilities(const std::string& version, const ServerOptions& o, bool tasks);
/// The initialize result for a negotiated `version`.
bj::object initialize_result(const std::string& version, const ServerOptions& o, bool tasks);
/// A CallToolResult; `structured` = the revision has structuredContent (2025-06-18+).
bj::object tool_result_json(ToolResult r, const ToolDefinition& def, bool structured);

/// 2026-07-28: every result says resultType ("complete" unless a handler set another), cacheable
/// results carry ttlMs/cacheScope, and `_meta` names the server.
void shape_modern_result(const Request& rq, bj::object& result);

}  // namespace azsql::mcp::detail
