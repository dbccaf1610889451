#include "db/tds/codec/packet.hpp"

#include <algorithm>

namespace azsql::db::tds {

std::optional<PacketHeader> parse_header(ByteView b) {
  if (b.size() < kHeaderSize) return std::nullopt;
  PacketHeader h;
  h.type = b[0];
  h.status = b[1];
  h.length = static_cast<std::uint16_t>((b[2] << 8) | b[3]);
  h.spid = static_cast<std::uint16_t>((b[4] << 8) | b[5]);
  h.packet_id = b[6];
  h.window = b[7];
  return h;
}

std::vector<Bytes> split_message(PacketType type, ByteView payload, std::size_t packet_size,
                                 std::uint8_t first_status, std::uint8_t& packet_id) {
  packet_size = std::clamp(packet_size, kMinPacketSize, kMaxPacketSize);
  const std::size_t chunk = packet_size - kHeaderSize;
  std::vector<Bytes> out;
  std::size_t off = 0;
  bool first = true;
  do {
    const std::size_t n = std::min(chunk, payload.size() - off);
    const bool last = off + n >= payload.size();
    Bytes p;
    p.reserve(kHeaderSize + n);
    Writer w(p);
    w.u8(static_cast<std::uint8_t>(type));
    w.u8(static_cast<std::uint8_t>((first ? first_status : 0) | (last ? kStatusEom : 0)));
    w.u16be(static_cast<std::uint16_t>(kHeaderSize + n));
    w.u16be(0);
    w.u8(packet_id++);
    w.u8(0);
    w.bytes(payload.subspan(off, n));
    out.push_back(std::move(p));
    off += n;
    first = false;
  } while (off < payload.size());
  return out;
}

PacketReader::Status PacketReader::next(PacketHeader& h, Bytes& payload, std::size_t max_size) {
  ByteView avail(buf_.data() + off_, buf_.size() - off_);
  auto hdr = parse_header(avail);
  if (!hdr) return Status::NeedMore;
  if (hdr->length < kHeaderSize || hdr->length > max_size) return Status::Error;
  if (avail.size() < hdr->length) return Status::NeedMore;
  h = *hdr;
  payload.assign(avail.begin() + kHeaderSize, avail.begin() + hdr->length);
  off_ += hdr->length;
  if (off_ == buf_.size()) {
    buf_.clear();
    off_ = 0;
  } else if (off_ > 65536) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(off_));
    off_ = 0;
  }
  return Status::Packet;
}

}  // namespace azsql::db::tds
