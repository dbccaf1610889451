#include "tools/support.hpp"
#include "tools/tools.hpp"

namespace azsql::tools {

void register_all(mcp::Registry& registry, std::shared_ptr<db::Backend> backend, const ToolsConfig& config) {
  auto env = std::make_shared<detail::Env>(config.history_size);
  env->backend = std::move(backend);
  env->cfg = config;
  env->registry = &registry;

  registry.add_tool(detail::make_list_tables(env));
  registry.add_tool(detail::make_describe_table(env));
  registry.add_tool(detail::make_read_data(env));
  registry.add_tool(detail::make_insert_data(env));
  registry.add_tool(detail::make_update_data(env));
  registry.add_tool(detail::make_database_info(env));
  registry.add_tool(detail::make_list_available_tools(env));
  registry.add_tool(detail::make_health_check(env));
  registry.add_tool(detail::make_explain_query(env));
  registry.add_tool(detail::make_search_objects(env));
  for (auto& t : detail::make_insight_tools(env)) registry.add_tool(std::move(t));
  registry.add_resources(detail::make_resources(env));
  for (auto& p : detail::make_prompts(env)) registry.add_prompt(std::move(p));
  registry.set_completer(detail::make_completer(env));
}

}  // namespace azsql::tools
