// The MCP method table and its handlers. Each handler gets the Request (params, session, era,
// caller, and on the worker pool its CallCtx with the cancel token) and returns an Outcome; the
// core builds the reply (Core::finish) and maps errors (map_fault), so no handler builds JSON-RPC
// envelopes or picks error codes.
#include "mcp/methods.hpp"

#include <algorithm>

#include "common/json_util.hpp"
#include "mcp/schema_validate.hpp"
#include "mcp/shapes.hpp"

namespace azsql::mcp::detail {

namespace {

// ---------------------------------------------------------------- pagination

std::string encode_cursor(std::size_t offset) {
  std::string c(1, 'o');  // (not "o" + to_string: GCC 12 -O3 reports a false -Wrestrict there)
  c += std::to_string(offset);
  return c;
}

std::optional<std::size_t> decode_cursor(const bj::object& params) {
  auto c = json::get_string(params, "cursor");
  if (!c) return params.contains("cursor") ? std::nullopt : std::optional<std::size_t>(0);
  if (c->size() < 2 || (*c)[0] != 'o') return std::nullopt;
  std::size_t n = 0;
  for (char ch : c->substr(1)) {
    if (ch < '0' || ch > '9' || n > 100000000) return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(ch - '0');
  }
  return n;
}

}  // namespace

Outcome paginate(const Request& rq, bj::array all, const char* key) {
  auto offset = decode_cursor(rq.params);
  if (!offset || *offset > all.size()) return RpcError(Fault::InvalidParams, "invalid pagination cursor");
  const std::size_t page = std::max<std::size_t>(1, rq.options().page_size);
  bj::array items;
  for (std::size_t i = *offset; i < all.size() && i < *offset + page; ++i) items.push_back(std::move(all[i]));
  bj::object result;
  result[key] = std::move(items);
  if (*offset + page < all.size()) result["nextCursor"] = encode_cursor(*offset + page);
  return bj::value(std::move(result));
}

namespace {

bool tool_visible(const Request& rq, const Tool& t) { return !(rq.options().read_only && t.definition().writes); }

// ---------------------------------------------------------------- lifecycle

Outcome ping(Request&) { return bj::value(bj::object{}); }

Outcome initialize(Request& rq) {
  auto& st = rq.session->state();
  if (st.init_seen.exchange(true)) return RpcError(Fault::InvalidRequest, "session is already initialized");
  auto requested = json::get_string(rq.params, "protocolVersion");
  if (!requested) {
    st.init_seen = false;
    return RpcError(Fault::InvalidParams, "initialize requires params.protocolVersion (a string)");
  }
  const std::string version = is_supported_version(*requested) ? std::string(*requested) : kProtocolVersions[0];
  {
    std::lock_guard lock(st.mu);
    st.protocol_version = version;
    st.client.protocol_version = version;
    st.client.session_id = rq.session->id();
    if (const auto* ci = json::get_object(rq.params, "clientInfo")) {
      st.client.name = std::string(json::get_string(*ci, "name").value_or(""));
      st.client.version = std::string(json::get_string(*ci, "version").value_or(""));
    }
    if (const auto* caps = json::get_object(rq.params, "capabilities")) st.client_caps = *caps;
  }
  st.initialized = true;
  return bj::value(initialize_result(version, rq.options(), offers_tasks(rq.registry())));
}

Outcome set_log_level(Request& rq) {
  auto level = json::get_string(rq.params, "level");
  auto parsed = level ? parse_log_level(*level) : std::nullopt;
  if (!parsed)
    return RpcError(Fault::InvalidParams,
                    "params.level must be one of debug, info, notice, warning, error, critical, alert, emergency");
  auto& st = rq.session->state();
  std::lock_guard lock(st.mu);
  st.log_level = parsed;
  return bj::value(bj::object{});
}

Outcome discover(Request& rq) {
  bj::object r;
  r["supportedVersions"] = supported_versions();
  r["capabilities"] = server_capabilities(kModernVersion, rq.options(), offers_tasks(rq.registry()));
  if (!rq.options().instructions.empty()) r["instructions"] = rq.options().instructions;
  return bj::value(std::move(r));
}

// ---------------------------------------------------------------- tools

Outcome list_tools(Request& rq) {
  bj::array all;
  for (const auto& t : rq.registry().tools()) {
    if (tool_visible(rq, *t)) all.push_back(tool_json(t->definition(), rq.version));
  }
  return paginate(rq, std::move(all), "tools");
}

/// Runs the tool (arguments validated first; an exception is a tool error the model can read, and
/// sets `crashed`: a task then fails with an internal error).
ToolResult run_tool(Request& rq, Tool& tool, const bj::object& args, bool& crashed) {
  const auto& def = tool.definition();
  auto problem = validate_schema(args, def.input_schema);
  if (!problem.empty()) return ToolResult::error("Invalid arguments for " + def.name + ": " + problem + ".");
  crashed = true;
  try {
    auto r = tool.call(args, *rq.ctx);
    crashed = false;
    return r;
  } catch (const std::exception& e) {
    rq.core.caught("tools/call " + def.name, e.what());
  } catch (...) {
    rq.core.caught("tools/call " + def.name, "a non-standard exception");
  }
  return ToolResult::error("internal error in tool " + def.name + "; the request was not completed");
}

/// Whether this tools/call starts as a task; an error when the tool runs only as a task and the
/// client did not negotiate tasks.
std::variant<bool, RpcError> starts_as_task(const Request& rq, const ToolDefinition& def) {
  if (def.task_support == TaskSupport::Forbidden) return false;
  if (tasks_negotiated(rq)) return !def.task_started_by_tool;
  if (def.task_support == TaskSupport::Optional) return false;
  if (rq.era == Era::Modern)
    return RpcError(Fault::MissingCapability,
                    "Missing required client capability: tool '" + def.name + "' runs only as a task (extension " +
                        kTasksExtension + ")",
                    bj::object{{"requiredCapabilities",
                                bj::object{{"extensions", bj::object{{kTasksExtension, bj::object{}}}}}}});
  return RpcError(Fault::MethodNotFound,
                  "tool '" + def.name + "' runs only as a task: call it with params.task (MCP 2025-11-25 tasks)");
}

/// The arguments of a tools/call, or the -32602 to answer.
std::variant<bj::object, RpcError> tool_arguments(const Request& rq) {
  auto it = rq.params.find("arguments");
  if (it == rq.params.end() || it->value().is_null()) return bj::object{};
  if (!it->value().is_object()) return RpcError(Fault::InvalidParams, "tools/call params.arguments must be an object");
  return it->value().get_object();
}

Outcome call_tool(Request& rq) {
  auto name = json::get_string(rq.params, "name");
  if (!name) return RpcError(Fault::InvalidParams, "tools/call requires params.name (a string)");
  Tool* tool = rq.registry().find_tool(*name);
  if (!tool) return RpcError(Fault::InvalidParams, "Unknown tool: " + std::string(*name));
  if (!tool_visible(rq, *tool))
    return RpcError(Fault::InvalidParams,
                    "tool '" + std::string(*name) + "' is disabled: the server runs in read-only mode (MCP_READ_ONLY)");
  auto parsed = tool_arguments(rq);
  if (auto* e = std::get_if<RpcError>(&parsed)) return std::move(*e);
  const bj::object& args = std::get<bj::object>(parsed);
  const auto& def = tool->definition();
  rq.event.tool = def.name;
  auto as_task = starts_as_task(rq, def);
  if (auto* e = std::get_if<RpcError>(&as_task)) return std::move(*e);
  if (std::get<bool>(as_task)) {
    if (auto e = begin_task(rq)) return std::move(*e);
  }
  const auto t0 = std::chrono::steady_clock::now();
  bool crashed = false;
  ToolResult r = run_tool(rq, *tool, args, crashed);
  if (r.is_error) rq.event.outcome = "tool_error";
  if (auto obs = rq.server().observer()) {
    obs->on_tool_call(rq.ctx->client(), def, args, r,
                      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
  }
  const bool in_task = !rq.ctx->task_id().empty();
  if (in_task && crashed) {
    settle_task(rq, RpcError(Fault::Internal, "internal error in tool " + def.name + "; the task did not complete"));
    return Deferred{};
  }
  if (!r.missing_capability.empty()) {
    if (rq.era == Era::Modern) {
      RpcError e(Fault::MissingCapability, "Missing required client capability: " + r.missing_capability,
                 bj::object{{"requiredCapabilities", bj::object{{r.missing_capability, bj::object{}}}}});
      if (!in_task) return e;
      settle_task(rq, std::move(e));
      return Deferred{};
    }
    r = ToolResult::error(def.name + " needs the client capability '" + r.missing_capability +
                          "', which this client did not declare");
  }
  bj::object result = tool_result_json(std::move(r), def, at_least(rq.version, "2025-06-18"));
  if (!in_task) return bj::value(std::move(result));
  settle_task(rq, std::move(result));
  return Deferred{};
}

// ---------------------------------------------------------------- resources

Outcome list_resources(Request& rq) {
  bj::array all;
  for (const auto& p : rq.registry().resource_providers()) {
    for (const auto& r : p->resources()) all.push_back(resource_json(r, rq.version));
  }
  return paginate(rq, std::move(all), "resources");
}

Outcome list_resource_templates(Request& rq) {
  bj::array all;
  for (const auto& p : rq.registry().resource_providers()) {
    for (const auto& r : p->templates()) all.push_back(resource_template_json(r, rq.version));
  }
  return paginate(rq, std::move(all), "resourceTemplates");
}

Outcome read_resource(Request& rq) {
  auto uri_param = json::get_string(rq.params, "uri");
  rq.event.client = rq.ctx->client();  // audited (observers' on_request)
  if (!uri_param) return RpcError(Fault::InvalidParams, "resources/read requires params.uri (a string)");
  const std::string uri(*uri_param);
  rq.event.target = uri;
  for (const auto& p : rq.registry().resource_providers()) {
    auto r = p->read(uri, *rq.ctx);
    if (!r.ok()) {
      if (r.error().kind == ErrorKind::NotFound) continue;  // another provider may know it
      if (r.error().kind == ErrorKind::InvalidInput) return RpcError(Fault::InvalidParams, r.error().message);
      return RpcError::from(r.error(), "could not read " + uri);
    }
    bj::array contents;
    for (const auto& c : *r) {
      bj::object o{{"uri", c.uri}};
      if (!c.blob.empty())
        o["blob"] = c.blob;
      else
        o["text"] = c.text;
      if (!c.mime_type.empty()) o["mimeType"] = c.mime_type;
      contents.push_back(std::move(o));
    }
    return bj::value(bj::object{{"contents", std::move(contents)}});
  }
  return RpcError(Fault::ResourceNotFound, "Resource not found: " + uri, bj::object{{"uri", uri}});
}

Outcome subscribe(Request& rq) {
  auto uri = json::get_string(rq.params, "uri");
  if (!uri) return RpcError(Fault::InvalidParams, rq.method + " requires params.uri (a string)");
  auto& st = rq.session->state();
  std::lock_guard lock(st.mu);
  if (rq.method == "resources/subscribe")
    st.subscriptions.insert(std::string(*uri));
  else
    st.subscriptions.erase(std::string(*uri));
  return bj::value(bj::object{});
}

// ---------------------------------------------------------------- prompts and completion

Outcome list_prompts(Request& rq) {
  bj::array all;
  for (const auto& p : rq.registry().prompts()) all.push_back(prompt_json(p->definition(), rq.version));
  return paginate(rq, std::move(all), "prompts");
}

Outcome get_prompt(Request& rq) {
  auto name = json::get_string(rq.params, "name");
  rq.event.client = rq.ctx->client();  // audited (observers' on_request)
  if (!name) return RpcError(Fault::InvalidParams, "prompts/get requires params.name (a string)");
  rq.event.target = std::string(*name);
  if (const auto* a = json::get_object(rq.params, "arguments")) rq.event.arguments = *a;
  Prompt* prompt = rq.registry().find_prompt(*name);
  if (!prompt) return RpcError(Fault::InvalidParams, "Unknown prompt: " + std::string(*name));
  std::map<std::string, std::string> args;
  if (const auto* a = json::get_object(rq.params, "arguments")) {
    for (const auto& kv : *a) {
      if (!kv.value().is_string())
        return RpcError(Fault::InvalidParams, "prompt argument '" + std::string(kv.key()) + "' must be a string");
      args[std::string(kv.key())] = std::string(kv.value().get_string());
    }
  }
  for (const auto& a : prompt->definition().arguments) {
    if (a.required && (args.find(a.name) == args.end() || args[a.name].empty()))
      return RpcError(Fault::InvalidParams, "prompt '" + std::string(*name) + "' requires argument '" + a.name + "'");
  }
  auto r = prompt->get(args, *rq.ctx);
  if (!r.ok()) return RpcError::from(r.error());
  bj::object out;
  if (!r->description.empty()) out["description"] = r->description;
  bj::array msgs;
  for (const auto& m : r->messages) {
    msgs.push_back(bj::object{{"role", m.role},
                              {"content", m.content.empty() ? bj::object{{"type", "text"}, {"text", m.text}} : m.content}});
  }
  out["messages"] = std::move(msgs);
  return bj::value(std::move(out));
}

/// The completion/complete params as a CompletionRequest, or the -32602 to answer.
std::variant<CompletionRequest, RpcError> completion_request(const Request& rq) {
  const auto* ref = json::get_object(rq.params, "ref");
  const auto* arg = json::get_object(rq.params, "argument");
  if (!ref || !arg) return RpcError(Fault::InvalidParams, "completion/complete requires params.ref and params.argument");
  CompletionRequest req;
  req.ref_type = std::string(json::get_string(*ref, "type").value_or(""));
  if (req.ref_type == "ref/prompt") {
    req.ref = std::string(json::get_string(*ref, "name").value_or(""));
    if (!rq.registry().find_prompt(req.ref)) return RpcError(Fault::InvalidParams, "Unknown prompt: " + req.ref);
  } else if (req.ref_type == "ref/resource") {
    req.ref = std::string(json::get_string(*ref, "uri").value_or(""));
  } else {
    return RpcError(Fault::InvalidParams, "params.ref.type must be ref/prompt or ref/resource");
  }
  auto arg_name = json::get_string(*arg, "name");
  auto arg_value = json::get_string(*arg, "value");
  if (!arg_name || !arg_value) return RpcError(Fault::InvalidParams, "params.argument needs name and value strings");
  req.argument = std::string(*arg_name);
  req.value = std::string(*arg_value);
  if (const auto* c = json::get_object(rq.params, "context")) {
    if (const auto* ca = json::get_object(*c, "arguments")) {
      for (const auto& kv : *ca) {
        if (kv.value().is_string()) req.context[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    }
  }
  return req;
}

Outcome complete(Request& rq) {
  auto parsed = completion_request(rq);
  if (auto* e = std::get_if<RpcError>(&parsed)) return std::move(*e);
  CompletionResult cr;
  if (Completer* completer = rq.registry().completer()) {
    auto r = completer->complete(std::get<CompletionRequest>(parsed), *rq.ctx);
    // The completer's own kind decides: bad input is -32602, a database outage is not.
    if (!r.ok()) return RpcError::from(r.error());
    cr = std::move(*r);
  }
  bj::array values;
  for (std::size_t i = 0; i < cr.values.size() && i < 100; ++i) values.push_back(bj::string(cr.values[i]));
  bj::object c{{"values", std::move(values)}, {"hasMore", cr.has_more || cr.values.size() > 100}};
  if (cr.total) c["total"] = *cr.total;
  return bj::value(bj::object{{"completion", std::move(c)}});
}

// ---------------------------------------------------------------- the table

constexpr Method kMethods[] = {
    // name                        initialize?  runs on         eras         handler
    {"ping",                       false,       Runs::Caller,   kLegacyEra,  ping},
    {"initialize",                 false,       Runs::Caller,   kLegacyEra,  initialize},
    {"logging/setLevel",           true,        Runs::Caller,   kLegacyEra,  set_log_level},
    {"tools/list",                 true,        Runs::Caller,   kBothEras,   list_tools},
    {"tools/call",                 true,        Runs::Worker,   kBothEras,   call_tool},
    {"resources/list",             true,        Runs::Caller,   kBothEras,   list_resources},
    {"resources/templates/list",   true,        Runs::Caller,   kBothEras,   list_resource_templates},
    {"resources/read",             true,        Runs::Worker,   kBothEras,   read_resource},
    {"resources/subscribe",        true,        Runs::Caller,   kLegacyEra,  subscribe},
    {"resources/unsubscribe",      true,        Runs::Caller,   kLegacyEra,  subscribe},
    {"prompts/list",               true,        Runs::Caller,   kBothEras,   list_prompts},
    {"prompts/get",                true,        Runs::Worker,   kBothEras,   get_prompt},
    {"completion/complete",        true,        Runs::Worker,   kBothEras,   complete},
    {"server/discover",            false,       Runs::Caller,   kModernEra,  discover},
    {"subscriptions/listen",       false,       Runs::Caller,   kModernEra,  listen},
    {"tasks/get",                  true,        Runs::Caller,   kBothEras,   get_task},
    {"tasks/update",               true,        Runs::Caller,   kModernEra,  update_task},
    {"tasks/cancel",               true,        Runs::Caller,   kBothEras,   cancel_task},
    {"tasks/list",                 true,        Runs::Caller,   kLegacyEra,  list_tasks},
    {"tasks/result",               true,        Runs::Worker,   kLegacyEra,  task_result},
};

}  // namespace

const Method* find_method(std::string_view name) noexcept {
  for (const auto& m : kMethods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::span<const Method> method_table() noexcept { return kMethods; }

}  // namespace azsql::mcp::detail
