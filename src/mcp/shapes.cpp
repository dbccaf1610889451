#include "mcp/shapes.hpp"

#include "common/json_util.hpp"
#include "mcp/core.hpp"

namespace azsql::mcp {

bj::array supported_versions() {
  bj::array a;
  a.push_back(bj::string(kModernVersion));
  for (const char* v : kProtocolVersions) a.push_back(bj::string(v));
  return a;
}

namespace detail {

bj::object tool_json(const ToolDefinition& d, const std::string& version) {
  bj::object t;
  t["name"] = d.name;
  if (at_least(version, "2025-06-18") && !d.title.empty()) t["title"] = d.title;
  t["description"] = d.description;
  t["inputSchema"] = d.input_schema;
  if (at_least(version, "2025-06-18") && !d.output_schema.empty()) t["outputSchema"] = d.output_schema;
  if (at_least(version, "2025-03-26")) {
    bj::object a;
    if (!d.title.empty()) a["title"] = d.title;
    if (d.annotations.read_only) a["readOnlyHint"] = *d.annotations.read_only;
    if (d.annotations.destructive) a["destructiveHint"] = *d.annotations.destructive;
    if (d.annotations.idempotent) a["idempotentHint"] = *d.annotations.idempotent;
    if (d.annotations.open_world) a["openWorldHint"] = *d.annotations.open_world;
    t["annotations"] = std::move(a);
  }
  if (at_least(version, "2025-11-25") && version < std::string_view(kModernVersion) &&
      d.task_support != TaskSupport::Forbidden)
    t["execution"] = bj::object{{"taskSupport", d.task_support == TaskSupport::Required ? "required" : "optional"}};
  return t;
}

bj::object resource_json(const ResourceDefinition& r, const std::string& version) {
  bj::object o{{"uri", r.uri}, {"name", r.name}};
  if (at_least(version, "2025-06-18") && !r.title.empty()) o["title"] = r.title;
  if (!r.description.empty()) o["description"] = r.description;
  if (!r.mime_type.empty()) o["mimeType"] = r.mime_type;
  return o;
}

bj::object resource_template_json(const ResourceTemplateDefinition& r, const std::string& version) {
  bj::object o{{"uriTemplate", r.uri_template}, {"name", r.name}};
  if (at_least(version, "2025-06-18") && !r.title.empty()) o["title"] = r.title;
  if (!r.description.empty()) o["description"] = r.description;
  if (!r.mime_type.empty()) o["mimeType"] = r.mime_type;
  return o;
}

bj::object prompt_json(const PromptDefinition& d, const std::string& version) {
  bj::object o{{"name", d.name}};
  if (at_least(version, "2025-06-18") && !d.title.empty()) o["title"] = d.title;
  if (!d.description.empty()) o["description"] = d.description;
  bj::array args;
  for (const auto& a : d.arguments) {
    bj::object ao{{"name", a.name}, {"required", a.required}};
    if (!a.description.empty()) ao["description"] = a.description;
    args.push_back(std::move(ao));
  }
  o["arguments"] = std::move(args);
  return o;
}

bj::object server_capabilities(const std::string& version, const ServerOptions& o, bool tasks) {
  bj::object caps;
  caps["tools"] = bj::object{{"listChanged", o.tools_list_changed}};
  caps["resources"] = bj::object{{"subscribe", true}, {"listChanged", o.resources_list_changed}};
  caps["prompts"] = bj::object{{"listChanged", o.prompts_list_changed}};
  caps["logging"] = bj::object{};
  if (at_least(version, "2025-03-26")) caps["completions"] = bj::object{};
  if (tasks && version == std::string_view(kModernVersion)) {
    caps["extensions"] = bj::object{{kTasksExtension, bj::object{}}};
  } else if (tasks && at_least(version, "2025-11-25")) {
    caps["tasks"] = bj::object{{"list", bj::object{}},
                               {"cancel", bj::object{}},
                               {"requests", bj::object{{"tools", bj::object{{"call", bj::object{}}}}}}};
  }
  return caps;
}

bj::object initialize_result(const std::string& version, const ServerOptions& o, bool tasks) {
  bj::object info;
  info["name"] = o.name;
  if (at_least(version, "2025-06-18")) info["title"] = o.title;
  info["version"] = o.version;
  bj::object result;
  result["protocolVersion"] = version;
  result["capabilities"] = server_capabilities(version, o, tasks);
  result["serverInfo"] = std::move(info);
  if (!o.instructions.empty()) result["instructions"] = o.instructions;
  return result;
}

bj::object tool_result_json(ToolResult r, const ToolDefinition& def, bool structured) {
  bj::object out;
  bj::array content;
  if (!r.text.empty() || r.content.empty()) content.push_back(bj::object{{"type", "text"}, {"text", r.text}});
  for (auto& c : r.content) content.push_back(std::move(c));
  out["content"] = std::move(content);
  if (structured && !r.structured.empty() && (!r.is_error || !def.output_schema.empty()))
    out["structuredContent"] = std::move(r.structured);
  out["isError"] = r.is_error;
  return out;
}

namespace {
/// Cache hints (CacheableResult) per method; nullopt = not a cacheable result.
std::optional<std::pair<std::int64_t, const char*>> cache_hint(std::string_view method, std::string_view uri) {
  if (method == "tools/list" || method == "prompts/list" || method == "resources/list" ||
      method == "resources/templates/list" || method == "server/discover")
    return std::make_pair(std::int64_t{3600000}, "public");
  if (method == "resources/read") {
    if (uri.rfind("database://status", 0) == 0) return std::make_pair(std::int64_t{0}, "private");
    return std::make_pair(std::int64_t{60000}, "private");
  }
  return std::nullopt;
}
}  // namespace

void shape_modern_result(const Request& rq, bj::object& result) {
  if (!result.contains("resultType")) result["resultType"] = "complete";
  const bool complete = result["resultType"] == "complete";
  const auto uri = json::get_string(rq.params, "uri").value_or("");
  if (auto hint = complete ? cache_hint(rq.method, uri) : std::nullopt) {
    result["ttlMs"] = hint->first;
    result["cacheScope"] = hint->second;
  }
  bj::object& m = result["_meta"].emplace_object();
  m[kMetaServerInfo] = rq.core.server_info();
}

}  // namespace detail
}  // namespace azsql::mcp
