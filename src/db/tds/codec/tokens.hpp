#pragma once
/// Token stream of a TDS response (MS-TDS §2.2.7), parsed incrementally: `TokenParser::next`
/// either returns one complete token or reports that the buffer ended first, without consuming.
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "db/tds/codec/types.hpp"
#include "db/value.hpp"

namespace azsql::db::tds {

namespace token_id {
inline constexpr std::uint8_t ColMetadata = 0x81, Row = 0xD1, NbcRow = 0xD2, Order = 0xA9, Done = 0xFD,
                              DoneProc = 0xFE, DoneInProc = 0xFF, Error = 0xAA, Info = 0xAB, LoginAck = 0xAD,
                              EnvChange = 0xE3, FeatureExtAck = 0xAE, ReturnStatus = 0x79, ReturnValue = 0xAC,
                              TabName = 0xA4, ColInfo = 0xA5, Sspi = 0xED, FedAuthInfo = 0xEE,
                              SessionState = 0xE4, Offset = 0x78;
}

/// DONE status bits (§2.2.7.6).
inline constexpr std::uint16_t kDoneMore = 0x1, kDoneError = 0x2, kDoneInXact = 0x4, kDoneCount = 0x10,
                               kDoneAttn = 0x20, kDoneSrvError = 0x100;

/// ENVCHANGE types (§2.2.7.9).
namespace env_type {
inline constexpr std::uint8_t Database = 1, Language = 2, CharSet = 3, PacketSize = 4, Collation = 7,
                              BeginTran = 8, CommitTran = 9, RollbackTran = 10, DefectTran = 12,
                              ResetAck = 18, UserInstance = 19, Routing = 20;
}

struct ColumnMeta {
  std::string name;
  std::uint32_t user_type = 0;
  std::uint16_t flags = 0;
  TypeInfo type;
  bool nullable() const { return (flags & 0x01) != 0; }
  bool identity() const { return (flags & 0x10) != 0; }
};

struct ColMetadataToken {
  std::shared_ptr<const std::vector<ColumnMeta>> columns;  ///< empty vector for "no metadata" (0xFFFF)
};
struct RowToken {
  Row values;
};
struct DoneToken {
  std::uint8_t id = token_id::Done;
  std::uint16_t status = 0;
  std::uint16_t cur_cmd = 0;
  std::uint64_t row_count = 0;
};
struct MessageToken {
  bool error = false;  ///< ERROR (0xAA) vs INFO (0xAB)
  std::int32_t number = 0;
  std::uint8_t state = 0;
  std::uint8_t cls = 0;
  std::string message, server, procedure;
  std::uint32_t line = 0;
};
struct LoginAckToken {
  std::uint8_t interface = 0;
  std::uint32_t tds_version = 0;  ///< as sent (big-endian on the wire), e.g. 0x74000004
  std::string prog_name;
  std::uint8_t version[4]{};
};
struct EnvChangeToken {
  std::uint8_t type = 0;
  std::string new_value, old_value;  ///< text for string types
  Bytes new_bytes, old_bytes;        ///< raw bytes for binary types (collation, transactions)
  std::uint16_t routing_port = 0;    ///< type 20
  std::string routing_host;          ///< type 20
};
struct FeatureExtAckToken {
  struct Feature {
    std::uint8_t id = 0;
    Bytes data;
  };
  std::vector<Feature> features;
};
struct ReturnStatusToken {
  std::int32_t value = 0;
};
struct ReturnValueToken {
  std::uint16_t ordinal = 0;
  std::string name;
  std::uint8_t status = 0;
  TypeInfo type;
  Value value;
};
struct OrderToken {
  std::vector<std::uint16_t> columns;
};
/// TABNAME, COLINFO, SSPI, FEDAUTHINFO, SESSIONSTATE, OFFSET: skipped by length.
struct SkippedToken {
  std::uint8_t id = 0;
};

using Token = std::variant<ColMetadataToken, RowToken, DoneToken, MessageToken, LoginAckToken, EnvChangeToken,
                           FeatureExtAckToken, ReturnStatusToken, ReturnValueToken, OrderToken, SkippedToken>;

/// Incremental token parser. Keeps the current COLMETADATA to decode rows. Not thread-safe.
///
/// ROW and NBCROW tokens resume where they stopped: each complete column value, and each PLP chunk
/// (or piece of one) of a (max)/TEXT value, is absorbed into the parser as it arrives, so a large
/// value costs time linear in its size and is never re-read. Other tokens are small and are parsed
/// whole (NeedMore consumes nothing for them).
class TokenParser {
 public:
  enum class Status {
    Parsed,    ///< `out` holds one token; `consumed` bytes were used
    NeedMore,  ///< the buffer ended inside a token; `consumed` bytes (maybe 0) were absorbed
    Failed,    ///< malformed stream; error() says why; the stream cannot be resumed
    TooLarge,  ///< a value or row is over its ValueLimits cap; error() says which; cannot be resumed
  };
  TokenParser() = default;
  explicit TokenParser(ValueLimits limits) : limits_(limits) {}
  /// Parses from the start of `buf`. The caller drops the first `consumed` bytes (whatever the
  /// status) and calls again with the rest followed by more bytes.
  Status next(ByteView buf, std::size_t& consumed, Token& out);
  const std::string& error() const { return error_; }
  const std::vector<ColumnMeta>& columns() const { return *columns_; }
  void set_limits(ValueLimits limits) { limits_ = limits; }
  const ValueLimits& limits() const { return limits_; }
  /// Forgets the current result set metadata and any half-read row (new request).
  void reset() {
    columns_ = std::make_shared<const std::vector<ColumnMeta>>();
    row_ = PartialRow{};
  }

 private:
  /// A ROW/NBCROW token being decoded across calls.
  struct PartialRow {
    bool active = false;
    bool nbc = false;
    Bytes null_bitmap;
    std::shared_ptr<const std::vector<ColumnMeta>> columns;
    Row values;
    std::size_t col = 0;         ///< next column to read
    std::size_t row_bytes = 0;   ///< data bytes of the complete values so far
    // A long value (PLP or TEXT/NTEXT/IMAGE) of column `col` in progress:
    bool long_active = false;
    bool single_body = false;    ///< TEXT/NTEXT/IMAGE: one body of `total` bytes, no terminator
    std::uint64_t total = 0;     ///< declared length (kPlpUnknownLength when unknown)
    std::uint64_t chunk_left = 0;
    Bytes data;
  };

  Parse parse(Reader& r, Token& out);
  Parse start_row(Reader& r, bool nbc, Token& out);
  Parse continue_row(Reader& r, Token& out);
  Parse start_long_value(Reader& r, const TypeInfo& t);
  Parse read_long_value(Reader& r, const TypeInfo& t);
  Parse over_limit(const char* what, std::uint64_t n, std::size_t limit);

  std::shared_ptr<const std::vector<ColumnMeta>> columns_ = std::make_shared<const std::vector<ColumnMeta>>();
  std::string error_;
  ValueLimits limits_;
  PartialRow row_;
  std::size_t committed_ = 0;  ///< bytes of the current buffer absorbed into row_
};

}  // namespace azsql::db::tds
