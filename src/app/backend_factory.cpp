#include "app/backend_factory.hpp"

namespace azsql::app {

Result<std::shared_ptr<db::Backend>> make_backend(const Config&) {
  return Error::make(ErrorKind::Internal, "backend wiring pending");
}

}  // namespace azsql::app
