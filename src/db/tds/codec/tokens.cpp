#include "db/tds/codec/tokens.hpp"

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
    case token_id::Row: case token_id::NbcRow: {
      const auto& cols = *columns_;
      if (cols.empty()) return bad("ROW without COLMETADATA");
      RowToken row;
      row.values.resize(cols.size());
      ByteView bitmap;
      if (id == token_id::NbcRow && !r.view((cols.size() + 7) / 8, bitmap)) return Parse::NeedMore;
      for (std::size_t i = 0; i < cols.size(); ++i) {
        if (id == token_id::NbcRow && (bitmap[i / 8] >> (i % 8)) & 1) continue;  // NULL
        Parse p = read_value(r, cols[i].type, row.values[i], &error_);
        if (p != Parse::Ok) return p;
      }
      out = std::move(row);
      return Parse::Ok;
    }
    case token_id::Done: case token_id::DoneProc: case token_id::DoneInProc: {
      DoneToken d;
      d.id = id;
      if (!r.u16(d.status) || !r.u16(d.cur_cmd) || !r.u64(d.row_count)) return Parse::NeedMore;
      out = d;
      return Parse::Ok;
    }
    case token_id::Error: case token_id::Info: {
      std::uint16_t len;
      ByteView body;
      if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
      MessageToken m;
      m.error = id == token_id::Error;
      Reader b(body);
      std::uint32_t number;
      if (!b.u32(number) || !b.u8(m.state) || !b.u8(m.cls) || !b.us_varchar(m.message) || !b.b_varchar(m.server) ||
          !b.b_varchar(m.procedure) || !b.u32(m.line))
        return bad("malformed ERROR/INFO token");
      m.number = static_cast<std::int32_t>(number);
      out = std::move(m);
      return Parse::Ok;
    }
    case token_id::LoginAck: {
      std::uint16_t len;
      ByteView body;
      if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
      LoginAckToken a;
      Reader b(body);
      if (!b.u8(a.interface) || !b.u32be(a.tds_version) || !b.b_varchar(a.prog_name) || !b.u8(a.version[0]) ||
          !b.u8(a.version[1]) || !b.u8(a.version[2]) || !b.u8(a.version[3]))
        return bad("malformed LOGINACK token");
      out = std::move(a);
      return Parse::Ok;
    }
    case token_id::EnvChange: {
      std::uint16_t len;
      ByteView body;
      if (!r.u16(len) || !r.view(len, body)) return Parse::NeedMore;
      EnvChangeToken e;
      if (parse_env(body, e, error_) != Parse::Ok) return Parse::Bad;
      out = std::move(e);
      return Parse::Ok;
    }
    case token_id::FeatureExtAck: {
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
      return bad("too many FEATUREEXTACK entries");
    }
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
      p = read_value(r, rv.type, rv.value, &error_);
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

TokenParser::Status TokenParser::next(ByteView buf, std::size_t& consumed, Token& out) {
  consumed = 0;
  Reader r(buf);
  switch (parse(r, out)) {
    case Parse::Ok:
      consumed = r.pos();
      return Status::Parsed;
    case Parse::NeedMore:
      return Status::NeedMore;
    case Parse::Bad:
    default:
      if (error_.empty()) error_ = "malformed token stream";
      return Status::Failed;
  }
}

}  // namespace azsql::db::tds
