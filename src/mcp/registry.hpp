#pragma once
/// What a server offers: tools, resources, prompts and completions. The protocol core
/// (mcp/server.hpp) serves whatever is registered here; src/tools/ fills it.
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "mcp/caller.hpp"

namespace azsql::mcp {

namespace bj = boost::json;

enum class LogLevel { Debug, Info, Notice, Warning, Error, Critical, Alert, Emergency };
const char* to_string(LogLevel l) noexcept;
std::optional<LogLevel> parse_log_level(std::string_view s) noexcept;

/// Who is calling (for audit logs and limits).
struct ClientInfo {
  std::string session_id;
  std::string name;
  std::string version;
  std::string protocol_version;
  /// The authenticated user of this request (null when the transport did not authenticate one).
  /// Observers (audit) may record `caller->describe()`, tenant and object id; never the assertion.
  std::shared_ptr<const Caller> caller;
};

/// The client's answer to a server-to-client request (elicitation/create, sampling/createMessage,
/// roots/list), see CallContext::request_input().
struct InputOutcome {
  enum class Status {
    Answered,     ///< `result` holds the client's result (ElicitResult, CreateMessageResult, ListRootsResult)
    Pending,      ///< 2026-07-28: asked through InputRequiredResult; return promptly, the client retries
    Unsupported,  ///< the client did not declare the capability the method needs (or the era has no way to ask)
    Failed,       ///< the client answered with an error, the request timed out or was cancelled
  };
  Status status = Status::Unsupported;
  bj::object result;
  std::string error;  ///< why, when Failed
};

/// Outcome of CallContext::confirm().
enum class Confirmation { Accepted, Declined, Unsupported, Pending };

/// Per-call services the core hands to a tool, resource or prompt. Thread-safe.
class CallContext {
 public:
  virtual ~CallContext() = default;
  /// Cancelled by notifications/cancelled, a closed stream, or shutdown.
  virtual const CancelToken& cancel() const = 0;
  /// Sends notifications/progress if the client sent a progress token; otherwise a no-op.
  virtual void progress(double progress, std::optional<double> total, std::string_view message) = 0;
  /// Sends notifications/message if `level` passes the session's logging/setLevel.
  virtual void log(LogLevel level, std::string_view logger, bj::value data) = 0;
  /// Tells subscribers these resources changed (schema changed after a write).
  virtual void resources_updated(const std::vector<std::string>& uris) = 0;
  virtual const ClientInfo& client() const = 0;
  /// The authenticated user, or null when unauthenticated (stdio, HTTP without per-user auth).
  const Caller* caller() const { return client().caller.get(); }

  /// Asks the client for input. `key` names the request across rounds (the 2026-07-28
  /// `inputRequests` key); `method` is elicitation/create, sampling/createMessage or roots/list.
  /// - 2025 revisions: sends the request (on the request's stream) and blocks this worker thread
  ///   until the client answers, the call is cancelled or the wait times out.
  /// - 2026-07-28 (multi-round-trip requests): returns the retry's `inputResponses[key]` when
  ///   present; otherwise records the request and returns Pending. The caller should then return
  ///   promptly (any result); the core answers with an InputRequiredResult instead.
  /// Unsupported when the client did not declare the needed capability. The default (for fakes
  /// and contexts without a client) is Unsupported.
  virtual InputOutcome request_input(std::string_view key, std::string_view method, bj::object params);

  /// Asks the user a yes/no question through elicitation (request_input with a boolean form).
  Confirmation confirm(std::string_view key, std::string_view message);

  /// Application state carried between rounds of a multi-round-trip request (2026-07-28
  /// `requestState`, integrity-protected by the core with a per-process HMAC). Null on the first
  /// round and in the 2025 revisions.
  virtual const bj::value& round_state() const;
  /// Sets the state returned by round_state() on the client's next retry.
  virtual void set_round_state(bj::value state);
  /// The capabilities the client declared (initialize, or the request's `_meta` in 2026-07-28).
  virtual bj::object client_capabilities() const { return {}; }

  /// Turns this tools/call into a task when the client negotiated tasks (the 2026-07-28 tasks
  /// extension, or a 2025-11-25 task-augmented request): the request is answered now with a
  /// CreateTaskResult and the rest of the call — its result, its request_input() (then parked as
  /// input_required until tasks/update) — belongs to the task; cancel() is then cancelled by
  /// tasks/cancel and no longer by the request's stream. True when the call is (now) a task. For
  /// tools with ToolDefinition::task_started_by_tool; the core starts the others' tasks itself.
  virtual bool start_task() { return false; }
  /// The task this call runs as (empty when it runs as a plain request).
  virtual std::string task_id() const { return {}; }
};

/// Whether a tool can run as a task (MCP 2025-11-25 `execution.taskSupport`, the tasks extension).
enum class TaskSupport { Forbidden, Optional, Required };

struct ToolAnnotations {
  std::optional<bool> read_only;
  std::optional<bool> destructive;
  std::optional<bool> idempotent;
  std::optional<bool> open_world;
};

struct ToolDefinition {
  std::string name;
  std::string title;
  std::string description;
  bj::object input_schema;   ///< JSON Schema (type object)
  bj::object output_schema;  ///< JSON Schema (type object) of structuredContent; empty = none
  ToolAnnotations annotations;
  bool writes = false;  ///< hidden and refused when the server is read-only
  /// Optional/Required: a client that negotiated tasks gets a task (CreateTaskResult, then
  /// tasks/get); Required refuses clients that did not (-32021 in 2026-07-28).
  TaskSupport task_support = TaskSupport::Forbidden;
  /// The tool first gathers input in multi-round-trip rounds and calls CallContext::start_task()
  /// itself on the final round (SEP-2663 MRTR → task composition); otherwise the core starts the task.
  bool task_started_by_tool = false;
};

/// A tool's outcome. A failure of the tool's work is a result with is_error (PRODUCT.md §6).
struct ToolResult {
  bj::object structured;  ///< structuredContent; must match output_schema when not an error
  std::string text;       ///< compact rendering for the text content block (omitted when empty and `content` is not)
  bool is_error = false;
  /// Further MCP content blocks after the text block (image, audio, embedded resource, resource_link).
  bj::array content;
  /// Set when the call cannot proceed because the client lacks a capability (e.g. "sampling"):
  /// 2026-07-28 answers MissingRequiredClientCapabilityError (-32021); older revisions a tool error.
  std::string missing_capability;

  static ToolResult error(std::string message, bj::object structured = {}) {
    ToolResult r;
    r.text = std::move(message);
    r.structured = std::move(structured);
    r.is_error = true;
    return r;
  }
};

class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolDefinition& definition() const = 0;
  /// Arguments have already been validated against input_schema. Runs on a worker thread.
  virtual ToolResult call(const bj::object& arguments, CallContext& ctx) = 0;
};

struct ResourceDefinition {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
};

struct ResourceTemplateDefinition {
  std::string uri_template;  ///< RFC 6570, e.g. "database://tables/{table}"
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
};

struct ResourceContents {
  std::string uri;
  std::string mime_type;
  std::string text;
  std::string blob;  ///< base64; when set, sent as BlobResourceContents instead of `text`
};

class ResourceProvider {
 public:
  virtual ~ResourceProvider() = default;
  virtual std::vector<ResourceDefinition> resources() = 0;
  virtual std::vector<ResourceTemplateDefinition> templates() = 0;
  /// ErrorKind::NotFound for an unknown URI (→ -32002). Runs on a worker thread.
  virtual Result<std::vector<ResourceContents>> read(std::string_view uri, CallContext& ctx) = 0;
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct PromptDefinition {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
};

struct PromptMessage {
  std::string role;  ///< "user" or "assistant"
  std::string text;
  bj::object content;  ///< a full content block (image, embedded resource, …); when set, replaces `text`
};

struct PromptResult {
  std::string description;
  std::vector<PromptMessage> messages;
};

class Prompt {
 public:
  virtual ~Prompt() = default;
  virtual const PromptDefinition& definition() const = 0;
  /// Required arguments are checked by the core. ErrorKind::InvalidInput → -32602.
  virtual Result<PromptResult> get(const std::map<std::string, std::string>& args, CallContext& ctx) = 0;
};

/// completion/complete. `ref_type` is "ref/prompt" or "ref/resource"; `ref` the prompt name or URI template.
struct CompletionRequest {
  std::string ref_type;
  std::string ref;
  std::string argument;
  std::string value;
  std::map<std::string, std::string> context;
};

struct CompletionResult {
  std::vector<std::string> values;  ///< at most 100
  std::optional<std::int64_t> total;
  bool has_more = false;
};

class Completer {
 public:
  virtual ~Completer() = default;
  virtual Result<CompletionResult> complete(const CompletionRequest& req, CallContext& ctx) = 0;
};

/// Everything a server offers. Filled once at start-up, then read-only (thread-safe to read).
class Registry {
 public:
  void add_tool(std::unique_ptr<Tool> t);
  void add_prompt(std::unique_ptr<Prompt> p);
  void add_resources(std::unique_ptr<ResourceProvider> r);
  void set_completer(std::unique_ptr<Completer> c);

  const std::vector<std::unique_ptr<Tool>>& tools() const { return tools_; }
  const std::vector<std::unique_ptr<Prompt>>& prompts() const { return prompts_; }
  const std::vector<std::unique_ptr<ResourceProvider>>& resource_providers() const { return resources_; }
  Completer* completer() const { return completer_.get(); }
  Tool* find_tool(std::string_view name) const;
  Prompt* find_prompt(std::string_view name) const;

 private:
  std::vector<std::unique_ptr<Tool>> tools_;
  std::vector<std::unique_ptr<Prompt>> prompts_;
  std::vector<std::unique_ptr<ResourceProvider>> resources_;
  std::unique_ptr<Completer> completer_;
};

}  // namespace azsql::mcp
