#include "app/backend_factory.hpp"

namespace azsql::app {

int run_http(const Config&, mcp::Server&, const std::shared_ptr<db::Backend>&,
             const std::function<void(const std::string&)>&) {
  return 1;
}

}  // namespace azsql::app
