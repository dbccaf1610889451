// Test-only MCP server for the official conformance suite (@modelcontextprotocol/conformance).
// It is built on the same protocol core (azsql_mcp) and Streamable HTTP transport
// (azsql_transport_http) as azsql-mcp, and registers the fixture tools, resources, prompts and
// completions the suite's server scenarios call by name (test_simple_text, test_image_content, …).
//
// Usage: conformance_server [--port N] [--host H]
// Prints "LISTENING <port>" on stdout once bound; stops on SIGTERM/SIGINT or when stdin closes.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include "mcp/server.hpp"
#include "transport/http/http_server.hpp"

namespace {

namespace bj = boost::json;
using namespace azsql;
using namespace azsql::mcp;

// 1x1 red PNG and a minimal WAV, base64 (the suite only checks type, data and mimeType).
constexpr const char* kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
constexpr const char* kWav = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

Server* g_server = nullptr;  // for the list-changed trigger tools

/// A tool whose behaviour is a function.
class FnTool final : public Tool {
 public:
  using Fn = std::function<ToolResult(const bj::object&, CallContext&)>;
  FnTool(std::string name, std::string description, bj::object schema, Fn fn) : fn_(std::move(fn)) {
    def_.name = std::move(name);
    def_.description = std::move(description);
    def_.input_schema = std::move(schema);
  }
  const ToolDefinition& definition() const override { return def_; }
  ToolDefinition& definition() { return def_; }
  ToolResult call(const bj::object& args, CallContext& ctx) override { return fn_(args, ctx); }

 private:
  ToolDefinition def_;
  Fn fn_;
};

bj::object empty_schema() { return bj::object{{"type", "object"}, {"properties", bj::object{}}}; }

bj::object string_arg_schema(const char* name, const char* description) {
  return bj::object{{"type", "object"},
                    {"properties", bj::object{{name, bj::object{{"type", "string"}, {"description", description}}}}},
                    {"required", bj::array{name}}};
}

ToolResult text(std::string t) {
  ToolResult r;
  r.text = std::move(t);
  return r;
}

ToolResult content_only(bj::array blocks) {
  ToolResult r;
  r.content = std::move(blocks);
  return r;
}

bj::object image_block() { return bj::object{{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}; }

bj::object elicit_params(std::string message, bj::object properties, bj::array required) {
  return bj::object{{"message", std::move(message)},
                    {"requestedSchema", bj::object{{"type", "object"},
                                                   {"properties", std::move(properties)},
                                                   {"required", std::move(required)}}}};
}

bj::object sampling_params(std::string prompt, int max_tokens) {
  return bj::object{
      {"messages", bj::array{bj::object{{"role", "user"}, {"content", bj::object{{"type", "text"}, {"text", prompt}}}}}},
      {"maxTokens", max_tokens}};
}

std::string field(const bj::object& result, const char* outer, const char* inner) {
  const auto* o = result.if_contains(outer);
  if (!o || !o->is_object()) return "unknown";
  const auto* v = o->get_object().if_contains(inner);
  return v && v->is_string() ? std::string(v->get_string()) : "unknown";
}

/// The answer of an elicitation rendered for a tool result (2025 tools that ask synchronously).
ToolResult elicitation_summary(const char* prefix, const InputOutcome& out) {
  if (out.status != InputOutcome::Status::Answered)
    return text(std::string("Elicitation not supported or error: ") + (out.error.empty() ? "unsupported" : out.error));
  const auto* action = out.result.if_contains("action");
  const auto* content = out.result.if_contains("content");
  return text(std::string(prefix) + "action=" + (action && action->is_string() ? std::string(action->get_string()) : "") +
              ", content=" + (content ? bj::serialize(*content) : "{}"));
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

/// Sleeps `ms` unless the call is cancelled first (tasks/cancel, shutdown); false when cancelled.
bool sleep_unless_cancelled(CallContext& ctx, int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (ctx.cancel().cancelled()) return false;
    sleep_ms(20);
  }
  return !ctx.cancel().cancelled();
}

bj::object confirm_form(const std::string& message) {
  return elicit_params(message, bj::object{{"confirm", bj::object{{"type", "boolean"}}}}, bj::array{"confirm"});
}

/// The tasks extension's fixtures (SEP-2663 scenarios tasks-*): greet is synchronous; the others
/// can run as tasks (failing_job and test_tool_with_task only as tasks).
void add_task_tools(Registry& reg) {
  auto add = [&](std::string name, std::string description, bj::object schema, TaskSupport support,
                 FnTool::Fn fn) -> FnTool& {
    auto t = std::make_unique<FnTool>(std::move(name), std::move(description), std::move(schema), std::move(fn));
    t->definition().task_support = support;
    FnTool& ref = *t;
    reg.add_tool(std::move(t));
    return ref;
  };
  add("greet", "Greets someone (synchronous)", string_arg_schema("name", "Who to greet"), TaskSupport::Forbidden,
      [](const bj::object& a, CallContext&) { return text("Hello, " + std::string(a.at("name").as_string()) + "!"); });
  bj::object slow_schema{{"type", "object"},
                         {"properties", bj::object{{"seconds", bj::object{{"type", "number"}}},
                                                   {"label", bj::object{{"type", "string"}}}}}};
  add("slow_compute", "Sleeps `seconds`, then answers (a task when the client negotiated tasks)", slow_schema,
      TaskSupport::Optional, [](const bj::object& a, CallContext& ctx) {
        const auto* s = a.if_contains("seconds");
        const double secs = s && s->is_number() ? s->to_number<double>() : 1.0;
        if (!sleep_unless_cancelled(ctx, static_cast<int>(secs * 1000))) return ToolResult::error("cancelled");
        return text("computed after " + std::to_string(secs) + " s");
      });
  add("failing_job", "Fails with a tool error after about a second (only as a task)", empty_schema(),
      TaskSupport::Required, [](const bj::object&, CallContext& ctx) {
        sleep_unless_cancelled(ctx, 1000);
        return ToolResult::error("the job failed (as it always does)");
      });
  add("protocol_error_job", "Crashes into a protocol-level error", empty_schema(), TaskSupport::Optional,
      [](const bj::object&, CallContext&) -> ToolResult { throw std::runtime_error("protocol_error_job crashed"); });
  add("confirm_delete", "Asks the user to confirm, then deletes (pretend)",
      string_arg_schema("filename", "The file to delete"), TaskSupport::Optional,
      [](const bj::object& a, CallContext& ctx) {
        const std::string file(a.at("filename").as_string());
        auto out = ctx.request_input("confirm_delete", "elicitation/create", confirm_form("Delete " + file + "?"));
        if (out.status != InputOutcome::Status::Answered) return ToolResult::error("no confirmation: " + out.error);
        return text("Deleted " + file + " (confirmed)");
      });
  add("multi_input", "Asks two questions at once", empty_schema(), TaskSupport::Optional,
      [](const bj::object&, CallContext& ctx) {
        InputOutcome first, second;
        std::thread other([&] { second = ctx.request_input("second", "elicitation/create", confirm_form("Second?")); });
        first = ctx.request_input("first", "elicitation/create", confirm_form("First?"));
        other.join();
        const bool ok = first.status == InputOutcome::Status::Answered && second.status == InputOutcome::Status::Answered;
        return ok ? text("both answered") : ToolResult::error("an answer is missing");
      });
  auto& composed = add(
      "test_tool_with_task", "Asks for a name (multi-round-trip), then runs as a task", empty_schema(),
      TaskSupport::Required, [](const bj::object&, CallContext& ctx) {
        auto out = ctx.request_input("user_name", "elicitation/create",
                                     elicit_params("What is your name?", bj::object{{"name", bj::object{{"type", "string"}}}},
                                                   bj::array{"name"}));
        if (out.status != InputOutcome::Status::Answered) return text("input needed");
        const std::string name = field(out.result, "content", "name");
        if (!ctx.start_task()) return ToolResult::error("this tool runs only as a task");
        sleep_unless_cancelled(ctx, 200);
        return text("Hello, " + name + " (from the task)");
      });
  composed.definition().task_started_by_tool = true;
}

void add_tools(Registry& reg) {
  auto add = [&](std::string name, std::string description, bj::object schema, FnTool::Fn fn) {
    reg.add_tool(std::make_unique<FnTool>(std::move(name), std::move(description), std::move(schema), std::move(fn)));
  };

  add("test_simple_text", "Tests simple text content response", empty_schema(),
      [](const bj::object&, CallContext&) { return text("This is a simple text response for testing."); });
  add("test_image_content", "Tests image content response", empty_schema(),
      [](const bj::object&, CallContext&) { return content_only(bj::array{image_block()}); });
  add("test_audio_content", "Tests audio content response", empty_schema(), [](const bj::object&, CallContext&) {
    return content_only(bj::array{bj::object{{"type", "audio"}, {"data", kWav}, {"mimeType", "audio/wav"}}});
  });
  add("test_embedded_resource", "Tests embedded resource content response", empty_schema(),
      [](const bj::object&, CallContext&) {
        return content_only(bj::array{bj::object{
            {"type", "resource"},
            {"resource", bj::object{{"uri", "test://embedded-resource"},
                                    {"mimeType", "text/plain"},
                                    {"text", "This is an embedded resource content."}}}}});
      });
  add("test_multiple_content_types", "Tests response with multiple content types (text, image, resource)",
      empty_schema(), [](const bj::object&, CallContext&) {
        ToolResult r = text("Multiple content types test:");
        r.content.push_back(image_block());
        r.content.push_back(bj::object{{"type", "resource"},
                                       {"resource", bj::object{{"uri", "test://mixed-content-resource"},
                                                               {"mimeType", "application/json"},
                                                               {"text", R"({"test":"data","value":123})"}}}});
        return r;
      });
  add("test_tool_with_logging", "Tests tool that emits log messages during execution", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        ctx.log(LogLevel::Info, "conformance", bj::value("Tool execution started"));
        sleep_ms(50);
        ctx.log(LogLevel::Info, "conformance", bj::value("Tool processing data"));
        sleep_ms(50);
        ctx.log(LogLevel::Info, "conformance", bj::value("Tool execution completed"));
        return text("Tool with logging executed successfully");
      });
  add("test_tool_with_progress", "Tests tool that reports progress notifications", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        for (int step : {0, 50, 100}) {
          ctx.progress(step, 100, "Completed step " + std::to_string(step) + " of 100");
          if (step < 100) sleep_ms(50);
        }
        return text("Progress reported");
      });
  add("test_error_handling", "Tests error response handling", empty_schema(), [](const bj::object&, CallContext&) {
    return ToolResult::error("This tool intentionally returns an error for testing");
  });
  add("test_sampling", "Tests server-initiated sampling (LLM completion request)",
      string_arg_schema("prompt", "The prompt to send to the LLM"), [](const bj::object& args, CallContext& ctx) {
        auto out = ctx.request_input("sampling", "sampling/createMessage",
                                     sampling_params(std::string(args.at("prompt").as_string()), 100));
        if (out.status != InputOutcome::Status::Answered)
          return text("Sampling not supported or error: " + (out.error.empty() ? std::string("unsupported") : out.error));
        return text("LLM response: " + field(out.result, "content", "text"));
      });
  add("test_elicitation", "Tests server-initiated elicitation (user input request)",
      string_arg_schema("message", "The message to show the user"), [](const bj::object& args, CallContext& ctx) {
        auto out = ctx.request_input(
            "elicitation", "elicitation/create",
            elicit_params(std::string(args.at("message").as_string()),
                          bj::object{{"response", bj::object{{"type", "string"}, {"description", "User's response"}}}},
                          bj::array{"response"}));
        return elicitation_summary("User response: ", out);
      });
  add("test_elicitation_sep1034_defaults", "Tests elicitation with default values per SEP-1034", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        bj::object props{
            {"name", bj::object{{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
            {"age", bj::object{{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
            {"score", bj::object{{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
            {"status", bj::object{{"type", "string"},
                                  {"description", "User status"},
                                  {"enum", bj::array{"active", "inactive", "pending"}},
                                  {"default", "active"}}},
            {"verified", bj::object{{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}};
        auto out = ctx.request_input(
            "defaults", "elicitation/create",
            elicit_params("Please review and update the form fields with defaults", std::move(props), bj::array{}));
        return elicitation_summary("Elicitation completed: ", out);
      });
  add("test_elicitation_sep1330_enums", "Tests elicitation with enum schema improvements per SEP-1330", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        auto titled = [](const char* prefix) {
          bj::array a;
          const char* titles[] = {"First", "Second", "Third"};
          for (int i = 0; i < 3; ++i)
            a.push_back(bj::object{{"const", "value" + std::to_string(i + 1)}, {"title", std::string(titles[i]) + prefix}});
          return a;
        };
        bj::object props{
            {"untitledSingle", bj::object{{"type", "string"},
                                          {"description", "Select one option"},
                                          {"enum", bj::array{"option1", "option2", "option3"}}}},
            {"titledSingle",
             bj::object{{"type", "string"}, {"description", "Select one option with titles"}, {"oneOf", titled(" Option")}}},
            {"legacyEnum", bj::object{{"type", "string"},
                                      {"description", "Select one option (legacy)"},
                                      {"enum", bj::array{"opt1", "opt2", "opt3"}},
                                      {"enumNames", bj::array{"Option One", "Option Two", "Option Three"}}}},
            {"untitledMulti",
             bj::object{{"type", "array"},
                        {"description", "Select multiple options"},
                        {"minItems", 1},
                        {"maxItems", 3},
                        {"items", bj::object{{"type", "string"}, {"enum", bj::array{"option1", "option2", "option3"}}}}}},
            {"titledMulti", bj::object{{"type", "array"},
                                       {"description", "Select multiple options with titles"},
                                       {"minItems", 1},
                                       {"maxItems", 3},
                                       {"items", bj::object{{"anyOf", titled(" Choice")}}}}}};
        auto out = ctx.request_input("enums", "elicitation/create",
                                     elicit_params("Please select options from the enum fields", std::move(props), bj::array{}));
        return elicitation_summary("Elicitation completed: ", out);
      });

  // SEP-1613 / SEP-2106: a JSON Schema 2020-12 input schema that must come back unchanged.
  add("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
      bj::parse(R"({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"$anchor": "addressDef", "type": "object",
                              "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
        "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"},
                       "contactMethod": {"type": "string", "enum": ["phone", "email"]},
                       "phone": {"type": "string"}, "email": {"type": "string"}},
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false})")
          .as_object(),
      [](const bj::object& args, CallContext&) {
        return text("JSON Schema 2020-12 tool called with: " + bj::serialize(args));
      });

  // SEP-2243: a parameter mirrored into the Mcp-Param-Region header (x-mcp-header).
  add("test_custom_header", "Echoes a region that clients mirror into the Mcp-Param-Region header",
      bj::parse(R"({"type":"object","properties":{"region":{"type":"string","description":"Region",
                    "x-mcp-header":"Region"}},"required":["region"]})")
          .as_object(),
      [](const bj::object& args, CallContext&) { return text("region=" + std::string(args.at("region").as_string())); });

  // ---- 2026-07-28 fixtures (stateless era).
  add("test_missing_capability", "Test tool requiring sampling", empty_schema(), [](const bj::object&, CallContext& ctx) {
    if (!ctx.client_capabilities().contains("sampling")) {
      ToolResult r;
      r.missing_capability = "sampling";
      return r;
    }
    return text("Success");
  });
  add("test_input_required_result_elicitation", "MRTR: returns InputRequiredResult with elicitation request",
      empty_schema(), [](const bj::object&, CallContext& ctx) {
        auto out = ctx.request_input("user_name", "elicitation/create",
                                     elicit_params("What is your name?", bj::object{{"name", bj::object{{"type", "string"}}}},
                                                   bj::array{"name"}));
        if (out.status != InputOutcome::Status::Answered) return text("input needed");
        return text("Hello, " + field(out.result, "content", "name") + "!");
      });
  add("test_input_required_result_sampling", "MRTR: returns InputRequiredResult with sampling request", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        auto out = ctx.request_input("capital_question", "sampling/createMessage",
                                     sampling_params("What is the capital of France?", 100));
        if (out.status != InputOutcome::Status::Answered) return text("input needed");
        return text("Sampling result: " + field(out.result, "content", "text"));
      });
  add("test_input_required_result_list_roots", "MRTR: returns InputRequiredResult with roots/list request",
      empty_schema(), [](const bj::object&, CallContext& ctx) {
        auto out = ctx.request_input("client_roots", "roots/list", bj::object{});
        if (out.status != InputOutcome::Status::Answered) return text("input needed");
        const auto* roots = out.result.if_contains("roots");
        return text("Found " + std::to_string(roots && roots->is_array() ? roots->get_array().size() : 0) + " root(s)");
      });
  add("test_input_required_result_request_state", "MRTR: returns InputRequiredResult with requestState",
      empty_schema(), [](const bj::object&, CallContext& ctx) {
        const bool state_ok = ctx.round_state().is_object() && ctx.round_state().get_object().contains("kind") &&
                              ctx.round_state().at("kind") == "request-state";
        ctx.set_round_state(bj::object{{"kind", "request-state"}});
        auto out = ctx.request_input("confirm", "elicitation/create",
                                     elicit_params("Please confirm", bj::object{{"ok", bj::object{{"type", "boolean"}}}},
                                                   bj::array{"ok"}));
        if (out.status != InputOutcome::Status::Answered) return text("input needed");
        if (!state_ok) {
          // An answer without the state we issued: ask again.
          ctx.request_input("confirm_again", "elicitation/create",
                            elicit_params("Please confirm", bj::object{{"ok", bj::object{{"type", "boolean"}}}},
                                          bj::array{"ok"}));
          return text("input needed");
        }
        return text("state-ok: requestState validated");
      });
  add("test_input_required_result_multiple_inputs", "MRTR: returns InputRequiredResult with multiple input requests",
      empty_schema(), [](const bj::object&, CallContext& ctx) {
        ctx.set_round_state(bj::object{{"kind", "multiple-inputs"}});
        auto name = ctx.request_input("user_name", "elicitation/create",
                                      elicit_params("What is your name?", bj::object{{"name", bj::object{{"type", "string"}}}},
                                                    bj::array{"name"}));
        auto greeting = ctx.request_input("greeting", "sampling/createMessage", sampling_params("Generate a greeting", 50));
        auto roots = ctx.request_input("client_roots", "roots/list", bj::object{});
        using S = InputOutcome::Status;
        if (name.status != S::Answered || greeting.status != S::Answered || roots.status != S::Answered)
          return text("input needed");
        const auto* rs = roots.result.if_contains("roots");
        return text("Name: " + field(name.result, "content", "name") + "; Greeting: " +
                    field(greeting.result, "content", "text") + "; Roots: " +
                    std::to_string(rs && rs->is_array() ? rs->get_array().size() : 0));
      });
  add("test_input_required_result_multi_round", "MRTR: multi-round InputRequiredResult workflow", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        const bj::value& st = ctx.round_state();
        const std::int64_t round =
            st.is_object() && st.get_object().contains("round") && st.at("round").is_int64() ? st.at("round").as_int64() : 0;
        auto step1_params = [] {
          return elicit_params("Step 1: What is your name?", bj::object{{"name", bj::object{{"type", "string"}}}},
                               bj::array{"name"});
        };
        if (round == 1) {
          auto step1 = ctx.request_input("step1", "elicitation/create", step1_params());
          if (step1.status == InputOutcome::Status::Answered) {
            const std::string name = field(step1.result, "content", "name");
            ctx.set_round_state(bj::object{{"round", 2}, {"name", name}});
            ctx.request_input("step2", "elicitation/create",
                              elicit_params("Step 2: What is your favorite color?",
                                            bj::object{{"color", bj::object{{"type", "string"}}}}, bj::array{"color"}));
            return text("input needed");
          }
        }
        if (round == 2) {
          auto step2 = ctx.request_input("step2", "elicitation/create",
                                         elicit_params("Step 2: What is your favorite color?",
                                                       bj::object{{"color", bj::object{{"type", "string"}}}}, bj::array{"color"}));
          if (step2.status == InputOutcome::Status::Answered) {
            const auto* n = st.get_object().if_contains("name");
            return text("Multi-round complete for " + (n && n->is_string() ? std::string(n->get_string()) : "friend") +
                        " who likes " + field(step2.result, "content", "color"));
          }
          ctx.set_round_state(st);
          return text("input needed");
        }
        ctx.set_round_state(bj::object{{"round", 1}});
        if (round != 1) ctx.request_input("step1", "elicitation/create", step1_params());
        return text("input needed");
      });
  add("test_input_required_result_tampered_state", "MRTR: HMAC-signed requestState integrity test", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        const bool verified = ctx.round_state().is_object() && ctx.round_state().get_object().contains("kind");
        ctx.set_round_state(bj::object{{"kind", "tamper-test"}});
        auto out = ctx.request_input("confirm", "elicitation/create",
                                     elicit_params("Please confirm", bj::object{{"ok", bj::object{{"type", "boolean"}}}},
                                                   bj::array{"ok"}));
        if (out.status != InputOutcome::Status::Answered || !verified) {
          if (out.status == InputOutcome::Status::Answered)  // answer without our state: ask again
            ctx.request_input("confirm_again", "elicitation/create",
                              elicit_params("Please confirm", bj::object{{"ok", bj::object{{"type", "boolean"}}}},
                                            bj::array{"ok"}));
          return text("input needed");
        }
        return text("integrity-ok: state verified");
      });
  add("test_input_required_result_capabilities", "MRTR: respects client capabilities in inputRequests", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        ctx.set_round_state(bj::object{{"kind", "capabilities-test"}});
        auto e = ctx.request_input("elicit_input", "elicitation/create",
                                   elicit_params("Elicitation input", bj::object{{"value", bj::object{{"type", "string"}}}},
                                                 bj::array{"value"}));
        auto s = ctx.request_input("sample_input", "sampling/createMessage", sampling_params("Sample request", 50));
        using S = InputOutcome::Status;
        if (e.status == S::Pending || s.status == S::Pending) return text("input needed");
        if (e.status == S::Unsupported && s.status == S::Unsupported) return text("No supported capabilities declared");
        std::string got;
        if (e.status == S::Answered) got += "elicit_input";
        if (s.status == S::Answered) got += std::string(got.empty() ? "" : ",") + "sample_input";
        return text("capabilities-ok: received " + got);
      });
  add("test_streaming_elicitation", "Diagnostic tool validating response progress streams", empty_schema(),
      [](const bj::object&, CallContext& ctx) {
        ctx.progress(50, 100, "halfway");
        return text("Streaming complete");
      });
  add("test_logging_tool", "Diagnostic logging validator tool", empty_schema(), [](const bj::object&, CallContext& ctx) {
    ctx.log(LogLevel::Info, "conformance", bj::value("Diagnostic trace logging activated"));
    return text("Logging evaluated");
  });
  add("test_trigger_tool_change", "Announces a tool list change to listening clients", empty_schema(),
      [](const bj::object&, CallContext&) {
        if (g_server) g_server->notify_list_changed("tools");
        return text("Mutation triggered");
      });
  add("test_trigger_prompt_change", "Announces a prompt list change to listening clients", empty_schema(),
      [](const bj::object&, CallContext&) {
        if (g_server) g_server->notify_list_changed("prompts");
        return text("Mutation triggered");
      });
}

class FixtureResources final : public ResourceProvider {
 public:
  std::vector<ResourceDefinition> resources() override {
    return {
        {"test://static-text", "static-text", "Static Text Resource", "A static text resource for testing", "text/plain"},
        {"test://static-binary", "static-binary", "Static Binary Resource", "A static binary resource (image) for testing",
         "image/png"},
        {"test://watched-resource", "watched-resource", "Watched Resource", "A resource that can be subscribed to",
         "text/plain"},
    };
  }
  std::vector<ResourceTemplateDefinition> templates() override {
    return {{"test://template/{id}/data", "template", "Resource Template",
             "A resource template with parameter substitution", "application/json"}};
  }
  Result<std::vector<ResourceContents>> read(std::string_view uri, CallContext&) override {
    ResourceContents c;
    c.uri = std::string(uri);
    if (uri == "test://static-text") {
      c.mime_type = "text/plain";
      c.text = "This is the content of the static text resource.";
    } else if (uri == "test://static-binary") {
      c.mime_type = "image/png";
      c.blob = kPng;
    } else if (uri == "test://watched-resource") {
      c.mime_type = "text/plain";
      c.text = "Watched resource content";
    } else if (uri.rfind("test://template/", 0) == 0 && uri.size() > 21 && uri.substr(uri.size() - 5) == "/data") {
      const std::string id(uri.substr(16, uri.size() - 21));
      if (id.empty() || id.find('/') != std::string::npos) return Error{ErrorKind::NotFound, "no such resource"};
      c.mime_type = "application/json";
      c.text = bj::serialize(bj::object{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}});
    } else {
      return Error{ErrorKind::NotFound, "no such resource"};
    }
    return std::vector<ResourceContents>{std::move(c)};
  }
};

class FnPrompt final : public Prompt {
 public:
  using Fn = std::function<Result<PromptResult>(const std::map<std::string, std::string>&, CallContext&)>;
  FnPrompt(PromptDefinition def, Fn fn) : def_(std::move(def)), fn_(std::move(fn)) {}
  const PromptDefinition& definition() const override { return def_; }
  Result<PromptResult> get(const std::map<std::string, std::string>& args, CallContext& ctx) override {
    return fn_(args, ctx);
  }

 private:
  PromptDefinition def_;
  Fn fn_;
};

PromptMessage user_text(std::string t) { return PromptMessage{"user", std::move(t), {}}; }

void add_prompts(Registry& reg) {
  auto add = [&](PromptDefinition d, FnPrompt::Fn fn) { reg.add_prompt(std::make_unique<FnPrompt>(std::move(d), std::move(fn))); };
  add({"test_simple_prompt", "Simple Test Prompt", "A simple prompt without arguments", {}},
      [](const auto&, CallContext&) -> Result<PromptResult> {
        return PromptResult{"", {user_text("This is a simple prompt for testing.")}};
      });
  add({"test_prompt_with_arguments",
       "Prompt With Arguments",
       "A prompt with required arguments",
       {{"arg1", "First test argument", true}, {"arg2", "Second test argument", true}}},
      [](const std::map<std::string, std::string>& a, CallContext&) -> Result<PromptResult> {
        return PromptResult{"", {user_text("Prompt with arguments: arg1='" + a.at("arg1") + "', arg2='" + a.at("arg2") + "'")}};
      });
  add({"test_prompt_with_embedded_resource",
       "Prompt With Embedded Resource",
       "A prompt that includes an embedded resource",
       {{"resourceUri", "URI of the resource to embed", true}}},
      [](const std::map<std::string, std::string>& a, CallContext&) -> Result<PromptResult> {
        PromptMessage m{"user", "", bj::object{{"type", "resource"},
                                               {"resource", bj::object{{"uri", a.at("resourceUri")},
                                                                       {"mimeType", "text/plain"},
                                                                       {"text", "Embedded resource content for testing."}}}}};
        return PromptResult{"", {m, user_text("Please process the embedded resource above.")}};
      });
  add({"test_prompt_with_image", "Prompt With Image", "A prompt that includes image content", {}},
      [](const auto&, CallContext&) -> Result<PromptResult> {
        PromptMessage m{"user", "", image_block()};
        return PromptResult{"", {m, user_text("Please analyze the image above.")}};
      });
  add({"test_input_required_result_prompt", "", "MRTR: prompt that requires elicitation input", {}},
      [](const auto&, CallContext& ctx) -> Result<PromptResult> {
        auto out = ctx.request_input(
            "user_context", "elicitation/create",
            elicit_params("What context should the prompt use?", bj::object{{"context", bj::object{{"type", "string"}}}},
                          bj::array{"context"}));
        if (out.status != InputOutcome::Status::Answered) return PromptResult{"", {user_text("input needed")}};
        return PromptResult{"", {user_text("Prompt with context: " + field(out.result, "content", "context"))}};
      });
}

class EmptyCompleter final : public Completer {
 public:
  Result<CompletionResult> complete(const CompletionRequest& req, CallContext&) override {
    CompletionResult r;
    if (req.ref == "test_prompt_with_arguments") {
      for (const char* v : {"test-value-1", "test-value-2"}) {
        if (std::string_view(v).rfind(req.value, 0) == 0) r.values.emplace_back(v);
      }
    }
    r.total = static_cast<std::int64_t>(r.values.size());
    return r;
  }
};

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
  transport::http::HttpOptions http;
  http.port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) http.port = static_cast<std::uint16_t>(std::stoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--host") == 0) http.host = argv[i + 1];
  }
  auto reg = std::make_shared<Registry>();
  add_tools(*reg);
  add_task_tools(*reg);
  reg->add_resources(std::make_unique<FixtureResources>());
  add_prompts(*reg);
  reg->set_completer(std::make_unique<EmptyCompleter>());

  ServerOptions o;
  o.name = "azsql-mcp-conformance";
  o.title = "azsql-mcp conformance fixtures";
  o.version = "1.0.0";
  o.tools_list_changed = true;
  o.prompts_list_changed = true;
  o.input_timeout = std::chrono::seconds(30);
  o.worker_threads = 16;  // task fixtures park (slow_compute, input_required) while others run
  o.task_max_per_owner = 256;
  Server server(reg, o);
  g_server = &server;

  transport::http::HttpServer http_server(server, http);
  auto port = http_server.start();
  if (!port.ok()) {
    std::fprintf(stderr, "conformance_server: cannot listen: %s\n", port.error().message.c_str());
    return 1;
  }
  std::printf("LISTENING %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  // Bounded wait: ends on a signal (the ctest driver sends SIGTERM) or after one hour at most.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::hours(1);
  while (!g_stop.load() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  http_server.shutdown(std::chrono::seconds(2));
  server.shutdown(std::chrono::seconds(2));
  g_server = nullptr;
  return 0;
}
