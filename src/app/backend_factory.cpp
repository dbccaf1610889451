#include "app/backend_factory.hpp"

namespace azsql::app {

Result<std::shared_ptr<db::Backend>> make_backend(const Config&) {
  return Error::make(ErrorKind::Internal, "backend wiring pending");
}

int run_http(const Config&, mcp::Server&, const std::shared_ptr<db::Backend>&,
             const std::function<void(const std::string&)>&) {
  return 1;
}

}  // namespace azsql::app
