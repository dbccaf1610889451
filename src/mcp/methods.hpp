#pragma once
/// The MCP method table: one entry per method with what it needs and its handler. Core::serve()
/// looks a request up here, checks the entry's requirements and runs the handler on the caller's
/// thread or on the worker pool. To add a method, see src/mcp/README.md.
#include <span>
#include <string_view>

#include "mcp/core.hpp"

namespace azsql::mcp::detail {

/// Where a handler runs: on the transport's thread that delivered the request (it must not block),
/// or on the worker pool (it may block on the database; it gets a CallCtx and its own cancel token).
enum class Runs { Caller, Worker };

/// Protocol eras a method belongs to (bit set).
inline constexpr unsigned kLegacyEra = 1u;  ///< 2024-11-05 … 2025-11-25
inline constexpr unsigned kModernEra = 2u;  ///< 2026-07-28
inline constexpr unsigned kBothEras = kLegacyEra | kModernEra;

inline constexpr unsigned era_bit(Era e) noexcept { return e == Era::Modern ? kModernEra : kLegacyEra; }

struct Method {
  std::string_view name;
  bool needs_initialize;  ///< 2025 era: refused (-32600) before initialize
  Runs runs;
  unsigned eras;
  /// Returns a result, a typed RpcError, or Deferred (it took Request::done and answers later).
  Outcome (*handler)(Request&);
};

// tasks/* (task_methods.cpp).
Outcome get_task(Request& rq);
Outcome update_task(Request& rq);
Outcome cancel_task(Request& rq);
Outcome list_tasks(Request& rq);
Outcome task_result(Request& rq);
/// A page of `all` under `key` with nextCursor (the list methods' pagination).
Outcome paginate(const Request& rq, bj::array all, const char* key);

/// The entry for `name`, or null.
const Method* find_method(std::string_view name) noexcept;
std::span<const Method> method_table() noexcept;

}  // namespace azsql::mcp::detail
