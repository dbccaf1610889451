#include "db/tds/codec/tokens.hpp"

#include <algorithm>
#include <cstdio>

namespace azsql::db::tds {

namespace {

Parse parse_env(ByteView body, EnvChangeToken& e, std::string& err) {
  Reader r(body);
  if (!r.u8(e.type)) { err = "empty ENVCHANGE"; return Parse::Bad; }
  auto bvarbyte = [&](Bytes& o) {
    std::uint8_t n;
    ByteView v;
    if (!r.u8(n) || !r.view(n, v)) return false;
    o.assign(v.begin(), v.end());
    return true;
  };
  switch (e.type) {
    case env_type::Collation: case env_type::BeginTran: case env_type::CommitTran: case env_type::RollbackTran:
    case env_type::DefectTran: case env_type::ResetAck: case 11: case 17:
      if (!bvarbyte(e.new_bytes) || !bvarbyte(e.old_bytes)) { err = "malformed ENVCHANGE"; return Parse::Bad; }
      return Parse::Ok;
    case env_type::Routing: {
      std::uint16_t len, port;
      std::uint8_t protocol;
      if (!r.u16(len) || !r.u8(protocol) || !r.u16(port) || !r.us_varchar(e.routing_host)) {
        err = "malformed routing ENVCHANGE";
        return Parse::Bad;
      }
      if (protocol != 0) { err = "unsupported routing protocol"; return Parse::Bad; }
      e.routing_port = port;
      return Parse::Ok;
    }
    case env_type::Database: case env_type::Language: case env_type::CharSet: case env_type::PacketSize:
    case 5: case 6: case 13: case env_type::UserInstance:
      if (!r.b_varchar(e.new_value) || !r.b_varchar(e.old_value)) { err = "malformed ENVCHANGE"; return Parse::Bad; }
      return Parse::Ok;
    default:
      return Parse::Ok;  // unknown type: skipped by the outer length
  }
}

/// ERROR / INFO (§2.2.7.10, §2.2.7.13).
Parse parse_message(Reader& r, bool is_error, Token& out, std::string& err) {
  std::uint16_t len;
  ByteView body;
  if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
  MessageToken m;
  m.error = is_error;
  Reader b(body);
  std::uint32_t number;
  if (!b.u32(number) || !b.u8(m.state) || !b.u8(m.cls) || !b.us_varchar(m.message) || !b.b_varchar(m.server) ||
      !b.b_varchar(m.procedure) || !b.u32(m.line)) {
    err = "malformed ERROR/INFO token";
    return Parse::Bad;
  }
  m.number = static_cast<std::int32_t>(number);
  out = std::move(m);
  return Parse::Ok;
}

/// LOGINACK (§2.2.7.14).
Parse parse_loginack(Reader& r, Token& out, std::string& err) {
  std::uint16_t len;
  ByteView body;
  if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
  LoginAckToken a;
  Reader b(body);
  if (!b.u8(a.interface) || !b.u32be(a.tds_version) || !b.b_varchar(a.prog_name) || !b.u8(a.version[0]) ||
      !b.u8(a.version[1]) || !b.u8(a.version[2]) || !b.u8(a.version[3])) {
    err = "malformed LOGINACK token";
    return Parse::Bad;
  }
  out = std::move(a);
  return Parse::Ok;
}

/// FEATUREEXTACK (§2.2.7.11): feature id, 4-byte length, data; 0xFF ends the list.
Parse parse_featureextack(Reader& r, Token& out, std::string& err) {
  FeatureExtAckToken f;
  for (int guard = 0; guard < 256; ++guard) {
    std::uint8_t fid;
    if (!r.u8(fid)) return Parse::NeedMore;
    if (fid == 0xFF) {
      out = std::move(f);
      return Parse::Ok;
    }
    std::uint32_t len;
    ByteView data;
    if (!r.u32(len) || !r.view(len, data)) return Parse::NeedMore;
    f.features.push_back({fid, Bytes(data.begin(), data.end())});
  }
  err = "too many FEATUREEXTACK entries";
  return Parse::Bad;
}

}  // namespace

Parse TokenParser::parse(Reader& r, Token& out) {
  std::uint8_t id;
  if (!r.u8(id)) return Parse::NeedMore;
  auto bad = [&](const std::string& m) { error_ = m; return Parse::Bad; };
  switch (id) {
    case token_id::ColMetadata: {
      std::uint16_t count;
      if (!r.u16(count)) return Parse::NeedMore;
      auto cols = std::make_shared<std::vector<ColumnMeta>>();
      if (count != 0xFFFF) {
        cols->reserve(count);
        for (std::uint16_t i = 0; i < count; ++i) {
          ColumnMeta c;
          if (!r.u32(c.user_type) || !r.u16(c.flags)) return Parse::NeedMore;
          Parse p = read_type_info(r, c.type, &error_);
          if (p != Parse::Ok) return p;
          if (!r.b_varchar(c.name)) return Parse::NeedMore;
          cols->push_back(std::move(c));
        }
      }
      columns_ = cols;
      out = ColMetadataToken{std::move(cols)};
      return Parse::Ok;
    }
    case token_id::Row: case token_id::NbcRow:
      return start_row(r, id == token_id::NbcRow, out);
    case token_id::Done: case token_id::DoneProc: case token_id::DoneInProc: {
      DoneToken d;
      d.id = id;
      if (!r.u16(d.status) || !r.u16(d.cur_cmd) || !r.u64(d.row_count)) return Parse::NeedMore;
      out = d;
      return Parse::Ok;
    }
    case token_id::Error: case token_id::Info:
      return parse_message(r, id == token_id::Error, out, error_);
    case token_id::LoginAck:
      return parse_loginack(r, out, error_);
    case token_id::EnvChange: {
      std::uint16_t len;
      ByteView body;
      if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
      EnvChangeToken e;
      if (parse_env(body, e, error_) != Parse::Ok) return Parse::Bad;
      out = std::move(e);
      return Parse::Ok;
    }
    case token_id::FeatureExtAck:
      return parse_featureextack(r, out, error_);
    case token_id::ReturnStatus: {
      std::uint32_t v;
      if (!r.u32(v)) return Parse::NeedMore;
      out = ReturnStatusToken{static_cast<std::int32_t>(v)};
      return Parse::Ok;
    }
    case token_id::ReturnValue: {
      ReturnValueToken rv;
      std::uint32_t user_type;
      std::uint16_t flags;
      if (!r.u16(rv.ordinal) || !r.b_varchar(rv.name) || !r.u8(rv.status) || !r.u32(user_type) || !r.u16(flags))
        return Parse::NeedMore;
      Parse p = read_type_info(r, rv.type, &error_);
      if (p != Parse::Ok) return p;
      p = read_value(r, rv.type, rv.value, &error_, limits_.max_value_bytes);
      if (p != Parse::Ok) return p;
      out = std::move(rv);
      return Parse::Ok;
    }
    case token_id::Order: {
      std::uint16_t len;
      ByteView body;
      if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
      OrderToken o;
      Reader b(body);
      std::uint16_t c;
      while (b.u16(c)) o.columns.push_back(c);
      out = std::move(o);
      return Parse::Ok;
    }
    case token_id::TabName: case token_id::ColInfo: case token_id::Sspi: {
      std::uint16_t len;
      if (!r.u16(len) || !r.skip(len)) return Parse::NeedMore;
      out = SkippedToken{id};
      return Parse::Ok;
    }
    case token_id::FedAuthInfo: case token_id::SessionState: {
      std::uint32_t len;
      if (!r.u32(len) || !r.skip(len)) return Parse::NeedMore;
      out = SkippedToken{id};
      return Parse::Ok;
    }
    case token_id::Offset: {
      if (!r.skip(4)) return Parse::NeedMore;
      out = SkippedToken{id};
      return Parse::Ok;
    }
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "unknown token 0x%02X", id);
      return bad(buf);
    }
  }
}

Parse TokenParser::over_limit(const char* what, std::uint64_t n, std::size_t limit) {
  error_ = std::string(what) + " of " + std::to_string(n) + " bytes or more is over the limit of " +
           std::to_string(limit) + " bytes";
  return Parse::TooLarge;
}

Parse TokenParser::start_row(Reader& r, bool nbc, Token& out) {
  if (columns_->empty()) {
    error_ = "ROW without COLMETADATA";
    return Parse::Bad;
  }
  ByteView bitmap;
  if (nbc && !r.view((columns_->size() + 7) / 8, bitmap)) return Parse::NeedMore;
  row_ = PartialRow{};
  row_.active = true;
  row_.nbc = nbc;
  row_.null_bitmap.assign(bitmap.begin(), bitmap.end());
  row_.columns = columns_;
  row_.values.resize(columns_->size());
  committed_ = r.pos();
  return continue_row(r, out);
}

Parse TokenParser::continue_row(Reader& r, Token& out) {
  const auto& cols = *row_.columns;
  while (row_.col < cols.size()) {
    const std::size_t i = row_.col;
    if (row_.nbc && ((row_.null_bitmap[i / 8] >> (i % 8)) & 1)) {  // NULL
      ++row_.col;
      continue;
    }
    const TypeInfo& t = cols[i].type;
    if (row_.long_active || is_long_type(t)) {
      if (Parse p = read_long_value(r, t); p != Parse::Ok) return p;
      continue;
    }
    const std::size_t before = r.pos();
    if (Parse p = read_value(r, t, row_.values[i], &error_); p != Parse::Ok) return p;
    const std::size_t n = r.pos() - before;
    if (n > limits_.max_value_bytes) return over_limit("a value", n, limits_.max_value_bytes);
    row_.row_bytes += n;
    if (row_.row_bytes > limits_.max_row_bytes) return over_limit("a row", row_.row_bytes, limits_.max_row_bytes);
    committed_ = r.pos();
    ++row_.col;
  }
  out = RowToken{std::move(row_.values)};
  row_ = PartialRow{};
  return Parse::Ok;
}

Parse TokenParser::start_long_value(Reader& r, const TypeInfo& t) {
  Value& v = row_.values[row_.col];
  if (t.plp) {
    std::uint64_t total;
    if (!r.u64(total)) return Parse::NeedMore;
    if (total == kPlpNull) {
      v = Value::null();
      committed_ = r.pos();
      ++row_.col;
      return Parse::Ok;
    }
    if (total != kPlpUnknownLength && total > limits_.max_value_bytes)
      return over_limit("a value", total, limits_.max_value_bytes);
    row_.total = total;
    row_.chunk_left = 0;
    row_.single_body = false;
  } else {  // TEXT / NTEXT / IMAGE: text pointer, timestamp, 4-byte length, body
    std::uint8_t ptr_len;
    if (!r.u8(ptr_len)) return Parse::NeedMore;
    if (ptr_len == 0) {
      v = Value::null();
      committed_ = r.pos();
      ++row_.col;
      return Parse::Ok;
    }
    std::uint32_t n;
    if (!r.skip(ptr_len) || !r.skip(8) || !r.u32(n)) return Parse::NeedMore;
    if (n > limits_.max_value_bytes) return over_limit("a value", n, limits_.max_value_bytes);
    row_.total = n;
    row_.chunk_left = n;
    row_.single_body = true;
  }
  if (row_.row_bytes + (row_.total == kPlpUnknownLength ? 0 : row_.total) > limits_.max_row_bytes)
    return over_limit("a row", row_.row_bytes + row_.total, limits_.max_row_bytes);
  row_.long_active = true;
  row_.data.clear();
  // The declared length is the server's word: reserve at most 1 MiB up front, grow as data arrives.
  if (row_.total != kPlpUnknownLength) row_.data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(row_.total, 1u << 20)));
  committed_ = r.pos();
  return Parse::Ok;
}

Parse TokenParser::read_long_value(Reader& r, const TypeInfo& t) {
  if (!row_.long_active) {
    const std::size_t col = row_.col;
    if (Parse p = start_long_value(r, t); p != Parse::Ok || row_.col != col) return p;  // NULL done
  }
  for (;;) {
    if (row_.chunk_left == 0) {
      if (row_.single_body) break;
      std::uint32_t len;
      if (!r.u32(len)) return Parse::NeedMore;
      if (len == 0) break;  // PLP terminator
      const std::uint64_t have = row_.data.size() + static_cast<std::uint64_t>(len);
      if (have > limits_.max_value_bytes) return over_limit("a value", have, limits_.max_value_bytes);
      if (row_.row_bytes + have > limits_.max_row_bytes)
        return over_limit("a row", row_.row_bytes + have, limits_.max_row_bytes);
      if (row_.total != kPlpUnknownLength && have > row_.total) {
        error_ = "PLP chunk beyond the declared length";
        return Parse::Bad;
      }
      row_.chunk_left = len;
      committed_ = r.pos();
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(row_.chunk_left, r.remaining()));
    if (n == 0) return Parse::NeedMore;
    ByteView piece;
    r.view(n, piece);
    row_.data.insert(row_.data.end(), piece.begin(), piece.end());
    row_.chunk_left -= n;
    committed_ = r.pos();
  }
  if (!row_.single_body && row_.total != kPlpUnknownLength && row_.total != row_.data.size()) {
    error_ = "PLP length mismatch";
    return Parse::Bad;
  }
  if (decode_data(t, row_.data, row_.values[row_.col], &error_) != Parse::Ok) return Parse::Bad;
  row_.row_bytes += row_.data.size();
  row_.long_active = false;
  Bytes().swap(row_.data);  // give a large buffer back now, not at the next large value
  committed_ = r.pos();
  ++row_.col;
  return Parse::Ok;
}

TokenParser::Status TokenParser::next(ByteView buf, std::size_t& consumed, Token& out) {
  consumed = 0;
  committed_ = 0;
  Reader r(buf);
  const Parse p = row_.active ? continue_row(r, out) : parse(r, out);
  switch (p) {
    case Parse::Ok:
      consumed = r.pos();
      return Status::Parsed;
    case Parse::NeedMore:
      consumed = committed_;
      return Status::NeedMore;
    case Parse::TooLarge:
      row_ = PartialRow{};
      return Status::TooLarge;
    case Parse::Bad:
    default:
      row_ = PartialRow{};
      if (error_.empty()) error_ = "malformed token stream";
      return Status::Failed;
  }
}

}  // namespace azsql::db::tds
