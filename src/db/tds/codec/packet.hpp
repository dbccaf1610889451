#pragma once
/// TDS packet framing (MS-TDS §2.2.3.1): an 8-byte header — type, status, big-endian length
/// (header included), SPID, packet id, window — followed by up to packet_size - 8 payload bytes.
#include <cstdint>
#include <optional>
#include <vector>

#include "db/tds/codec/wire.hpp"

namespace azsql::db::tds {

/// Packet types (MS-TDS §2.2.3.1.1).
enum class PacketType : std::uint8_t {
  SqlBatch = 0x01,
  Rpc = 0x03,
  TabularResult = 0x04,
  Attention = 0x06,
  FedAuthToken = 0x08,
  TransactionManager = 0x0E,
  Login7 = 0x10,
  PreLogin = 0x12,
};

/// Status bits (MS-TDS §2.2.3.1.2).
inline constexpr std::uint8_t kStatusEom = 0x01;
inline constexpr std::uint8_t kStatusIgnore = 0x02;
inline constexpr std::uint8_t kStatusResetConnection = 0x08;
inline constexpr std::uint8_t kStatusResetConnectionSkipTran = 0x10;

inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kMinPacketSize = 512;
inline constexpr std::size_t kMaxPacketSize = 32767;

struct PacketHeader {
  std::uint8_t type = 0;
  std::uint8_t status = 0;
  std::uint16_t length = 0;  ///< whole packet, header included
  std::uint16_t spid = 0;
  std::uint8_t packet_id = 0;
  std::uint8_t window = 0;
};

/// Parses the 8-byte header; nullopt when fewer than 8 bytes are given.
std::optional<PacketHeader> parse_header(ByteView b);

/// Splits one message into packets of at most `packet_size` bytes (header included). The first
/// packet carries `first_status` (e.g. RESETCONNECTION); the last one EOM. Packet ids count from
/// `packet_id` (wrapping at 256) and the counter is advanced. An empty payload gives one packet.
std::vector<Bytes> split_message(PacketType type, ByteView payload, std::size_t packet_size,
                                 std::uint8_t first_status, std::uint8_t& packet_id);

/// Reassembles packets from a byte stream fed in arbitrary pieces. Not thread-safe.
class PacketReader {
 public:
  enum class Status { Packet, NeedMore, Error };
  /// Appends received bytes.
  void feed(ByteView b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  /// Pops one complete packet (header + payload). Error on a length < 8 or > `max_size`.
  Status next(PacketHeader& h, Bytes& payload, std::size_t max_size = 65535);
  std::size_t buffered() const { return buf_.size() - off_; }

 private:
  Bytes buf_;
  std::size_t off_ = 0;
};

}  // namespace azsql::db::tds
