// Several databases behind one server (AZURE_SQL_DATABASES): each tool and prompt gains an optional
// `database` argument, resources get database-named URIs (database://<db>/schema, …), and each call runs
// on the chosen database's own backend and pool. Decorators around the single-database tools, so the
// tools themselves only ask Env::db() for "the call's database".
#include "tools/support.hpp"

namespace azsql::tools::detail {

namespace {

thread_local const Database* t_current = nullptr;

/// Selects the call's database for the lifetime of the scope (tools run on one worker thread per call).
class DatabaseScope {
 public:
  explicit DatabaseScope(const Database* d) : prev_(t_current) { t_current = d; }
  ~DatabaseScope() { t_current = prev_; }
  DatabaseScope(const DatabaseScope&) = delete;
  DatabaseScope& operator=(const DatabaseScope&) = delete;

 private:
  const Database* prev_;
};

std::string names_text(const Env& env) {
  std::string s;
  for (std::size_t i = 0; i < env.databases.size(); ++i) {
    if (i) s += ", ";
    s += env.databases[i].name;
    if (i == 0) s += " (default)";
  }
  return s;
}

std::string outside_list(const Env& env, std::string_view name) {
  std::string names;
  for (const auto& d : env.databases) names += (names.empty() ? "" : ", ") + d.name;
  return "database '" + std::string(name) + "' is not in the allow-list (AZURE_SQL_DATABASES): " + names;
}

class DatabaseTool final : public mcp::Tool {
 public:
  DatabaseTool(std::unique_ptr<mcp::Tool> inner, std::shared_ptr<Env> env)
      : inner_(std::move(inner)), env_(std::move(env)), def_(inner_->definition()) {
    auto& props = def_.input_schema["properties"];
    if (!props.is_object()) props = bj::object{};
    props.as_object()["database"] = bj::object{{"type", "string"}, {"description", "Database: " + names_text(*env_)}};
  }
  const mcp::ToolDefinition& definition() const override { return def_; }

  mcp::ToolResult call(const bj::object& arguments, mcp::CallContext& ctx) override {
    const auto* v = arguments.if_contains("database");
    if (!v || v->is_null()) return inner_->call(arguments, ctx);
    const Database* d = v->is_string() ? env_->find_database(v->get_string()) : nullptr;
    if (!d) {
      auto r = invalid(def_.name + ": " + outside_list(*env_, v->is_string() ? std::string_view(v->get_string()) : ""));
      env_->ring.record(def_.name, false, r.text);
      return r;
    }
    bj::object args = arguments;
    args.erase("database");
    DatabaseScope scope(d);
    return inner_->call(args, ctx);
  }

 private:
  std::unique_ptr<mcp::Tool> inner_;
  std::shared_ptr<Env> env_;
  mcp::ToolDefinition def_;
};

class DatabasePrompt final : public mcp::Prompt {
 public:
  DatabasePrompt(std::unique_ptr<mcp::Prompt> inner, std::shared_ptr<Env> env)
      : inner_(std::move(inner)), env_(std::move(env)), def_(inner_->definition()) {
    def_.arguments.push_back({"database", "Database: " + names_text(*env_), false});
  }
  const mcp::PromptDefinition& definition() const override { return def_; }

  Result<mcp::PromptResult> get(const std::map<std::string, std::string>& args, mcp::CallContext& ctx) override {
    auto it = args.find("database");
    if (it == args.end() || it->second.empty()) return inner_->get(args, ctx);
    const Database* d = env_->find_database(it->second);
    if (!d) return Error::make(ErrorKind::InvalidInput, outside_list(*env_, it->second));
    auto rest = args;
    rest.erase("database");
    DatabaseScope scope(d);
    auto r = inner_->get(rest, ctx);
    if (r.ok() && !r->messages.empty() && r->messages[0].content.empty())
      r->messages[0].text = "Database: " + d->name + "\n\n" + r->messages[0].text;
    return r;
  }

 private:
  std::unique_ptr<mcp::Prompt> inner_;
  std::shared_ptr<Env> env_;
  mcp::PromptDefinition def_;
};

constexpr std::string_view kScheme = "database://";

class DatabaseResources final : public mcp::ResourceProvider {
 public:
  DatabaseResources(std::unique_ptr<mcp::ResourceProvider> inner, std::shared_ptr<Env> env)
      : inner_(std::move(inner)), env_(std::move(env)) {}

  /// The default database's resources under their usual URIs, then every database's under database://<db>/….
  std::vector<mcp::ResourceDefinition> resources() override {
    auto base = inner_->resources();
    std::vector<mcp::ResourceDefinition> out = base;
    for (const auto& d : env_->databases) {
      for (const auto& r : base) {
        auto n = r;
        n.uri = std::string(kScheme) + d.name + "/" + r.uri.substr(kScheme.size());
        n.name = d.name + "/" + r.name;
        n.title = r.title + " (" + d.name + ")";
        out.push_back(std::move(n));
      }
    }
    return out;
  }

  std::vector<mcp::ResourceTemplateDefinition> templates() override {
    auto out = inner_->templates();
    for (const auto& t : inner_->templates()) {
      auto n = t;
      n.uri_template = std::string(kScheme) + "{database}/" + t.uri_template.substr(kScheme.size());
      n.name = "database_" + t.name;
      n.title = t.title + " (any database)";
      n.description = t.description + " {database}: " + names_text(*env_) + ".";
      out.push_back(std::move(n));
    }
    return out;
  }

  /// database://<db>/<rest> (when <db> is a configured name) reads database://<rest> on that database.
  Result<std::vector<mcp::ResourceContents>> read(std::string_view uri, mcp::CallContext& ctx) override {
    if (uri.substr(0, kScheme.size()) == kScheme) {
      const auto rest = uri.substr(kScheme.size());
      const auto slash = rest.find('/');
      if (slash != std::string_view::npos) {
        if (const Database* d = env_->find_database(rest.substr(0, slash))) {
          DatabaseScope scope(d);
          auto r = inner_->read(std::string(kScheme) + std::string(rest.substr(slash + 1)), ctx);
          if (r.ok())
            for (auto& c : *r) c.uri = std::string(uri);
          return r;
        }
      }
    }
    return inner_->read(uri, ctx);
  }

 private:
  std::unique_ptr<mcp::ResourceProvider> inner_;
  std::shared_ptr<Env> env_;
};

/// Completion with several databases: `database` (prompts' argument, the `{database}` of
/// database://{database}/tables/{table}) completes from the allow-list; `table` completes against the
/// database named in the request's context (else the default).
class DatabaseCompleter final : public mcp::Completer {
 public:
  DatabaseCompleter(std::unique_ptr<mcp::Completer> inner, std::shared_ptr<Env> env)
      : inner_(std::move(inner)), env_(std::move(env)) {}

  Result<mcp::CompletionResult> complete(const mcp::CompletionRequest& req, mcp::CallContext& ctx) override {
    static const std::string kTemplate = std::string(kScheme) + "{database}/tables/{table}";
    const bool db_template = req.ref_type == "ref/resource" && req.ref == kTemplate;
    if (req.argument == "database" && (db_template || req.ref_type == "ref/prompt")) {
      mcp::CompletionResult r;
      for (const auto& d : env_->databases) {
        if (istarts_with(d.name, req.value)) r.values.push_back(d.name);
      }
      r.total = static_cast<std::int64_t>(r.values.size());
      return r;
    }
    mcp::CompletionRequest inner = req;
    if (db_template) inner.ref = std::string(kScheme) + "tables/{table}";
    const Database* d = nullptr;
    if (auto it = req.context.find("database"); it != req.context.end()) d = env_->find_database(it->second);
    DatabaseScope scope(d ? d : t_current);
    return inner_->complete(inner, ctx);
  }

 private:
  std::unique_ptr<mcp::Completer> inner_;
  std::shared_ptr<Env> env_;
};

}  // namespace

db::Backend& Env::db() const { return t_current ? *t_current->backend : *backend; }

std::string Env::database_name() const {
  if (t_current) return t_current->name;
  return databases.empty() ? std::string() : databases.front().name;
}

const Database* Env::find_database(std::string_view name) const {
  for (const auto& d : databases)
    if (iequals(d.name, name)) return &d;
  return nullptr;
}

std::vector<std::string> Env::changed_uris(const std::optional<std::string>& table) const {
  std::vector<std::string> uris;
  const auto add = [&](const std::string& prefix) {
    uris.push_back(prefix + "tables");
    if (table) uris.push_back(prefix + "tables/" + percent_encode(*table));
  };
  const auto name = database_name();
  if (databases.size() <= 1 || iequals(name, databases.front().name)) add(std::string(kScheme));
  if (databases.size() > 1) add(std::string(kScheme) + name + "/");
  return uris;
}

std::unique_ptr<mcp::Tool> for_databases(std::unique_ptr<mcp::Tool> t, const std::shared_ptr<Env>& env) {
  if (env->databases.size() <= 1) return t;
  return std::make_unique<DatabaseTool>(std::move(t), env);
}

std::unique_ptr<mcp::Prompt> for_databases(std::unique_ptr<mcp::Prompt> p, const std::shared_ptr<Env>& env) {
  if (env->databases.size() <= 1) return p;
  return std::make_unique<DatabasePrompt>(std::move(p), env);
}

std::unique_ptr<mcp::ResourceProvider> for_databases(std::unique_ptr<mcp::ResourceProvider> r,
                                                     const std::shared_ptr<Env>& env) {
  if (env->databases.size() <= 1) return r;
  return std::make_unique<DatabaseResources>(std::move(r), env);
}

std::unique_ptr<mcp::Completer> for_databases(std::unique_ptr<mcp::Completer> c, const std::shared_ptr<Env>& env) {
  if (env->databases.size() <= 1) return c;
  return std::make_unique<DatabaseCompleter>(std::move(c), env);
}

}  // namespace azsql::tools::detail
