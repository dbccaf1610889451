#pragma once
/// Client requests: ALL_HEADERS (MS-TDS §2.2.5.3), SQLBatch (§2.2.6.7) and RPC `sp_executesql`
/// (§2.2.6.6, procedure id 10) with typed parameters.
#include <cstdint>
#include <string_view>

#include "common/result.hpp"
#include "db/tds/codec/types.hpp"
#include "db/value.hpp"

namespace azsql::db::tds {

/// ALL_HEADERS with the transaction descriptor header (type 2): descriptor, outstanding requests 1.
void write_all_headers(Writer& w, std::uint64_t transaction_descriptor);

/// SQLBatch payload: ALL_HEADERS + the statement text in UTF-16LE.
Bytes build_sql_batch(std::string_view sql, std::uint64_t transaction_descriptor);

/// RPC payload calling sp_executesql (id 10): @stmt, @params (declarations), then each parameter.
/// Parameter names come from `params` ("@id", ":id" or "id"); unnamed ones are @P1, @P2, … .
Result<Bytes> build_sp_executesql(std::string_view sql, const Params& params, std::uint64_t transaction_descriptor,
                                  const Collation& collation);

/// The RPC parameter name for `p` at 1-based position `index` (always with a leading '@').
std::string rpc_param_name(const Param& p, std::size_t index);

/// Replaces `?` placeholders outside string literals, quoted/bracketed identifiers and comments
/// with @P1, @P2, … (for callers that use positional parameters). Text without `?` is unchanged.
std::string number_placeholders(std::string_view sql);

}  // namespace azsql::db::tds
