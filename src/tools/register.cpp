#include "tools/support.hpp"
#include "tools/tools.hpp"

namespace azsql::tools {

void register_all(mcp::Registry& registry, std::shared_ptr<db::Backend> backend, const ToolsConfig& config) {
  register_all(registry, std::vector<Database>{Database{"", std::move(backend)}}, config);
}

void register_all(mcp::Registry& registry, std::vector<Database> databases, const ToolsConfig& config) {
  auto env = std::make_shared<detail::Env>(config.history_size);
  env->backend = databases.front().backend;
  env->databases = std::move(databases);
  env->cfg = config;
  env->registry = &registry;

  registry.add_tool(detail::for_databases(detail::make_list_tables(env), env));
  registry.add_tool(detail::for_databases(detail::make_describe_table(env), env));
  registry.add_tool(detail::for_databases(detail::make_read_data(env), env));
  registry.add_tool(detail::for_databases(detail::make_insert_data(env), env));
  registry.add_tool(detail::for_databases(detail::make_update_data(env), env));
  registry.add_tool(detail::for_databases(detail::make_database_info(env), env));
  registry.add_tool(detail::for_databases(detail::make_list_available_tools(env), env));
  registry.add_tool(detail::for_databases(detail::make_health_check(env), env));
  registry.add_tool(detail::for_databases(detail::make_explain_query(env), env));
  registry.add_tool(detail::for_databases(detail::make_search_objects(env), env));
  for (auto& t : detail::make_insight_tools(env)) registry.add_tool(detail::for_databases(std::move(t), env));
  registry.add_resources(detail::for_databases(detail::make_resources(env), env));
  for (auto& p : detail::make_prompts(env)) registry.add_prompt(detail::for_databases(std::move(p), env));
  registry.set_completer(detail::for_databases(detail::make_completer(env), env));
}

}  // namespace azsql::tools
