#include "db/tds/codec/login.hpp"

#include <vector>

namespace azsql::db::tds {

Bytes build_prelogin(const Prelogin& p) {
  struct Opt {
    PreloginOption id;
    Bytes data;
  };
  std::vector<Opt> opts;
  opts.push_back({PreloginOption::Version, Bytes(p.version.begin(), p.version.end())});
  opts.push_back({PreloginOption::Encryption, Bytes{static_cast<std::uint8_t>(p.encryption)}});
  {
    Bytes inst(p.instance.begin(), p.instance.end());
    inst.push_back(0);
    opts.push_back({PreloginOption::InstOpt, std::move(inst)});
  }
  if (p.thread_id) {
    Bytes t;
    Writer(t).u32(*p.thread_id);
    opts.push_back({PreloginOption::ThreadId, std::move(t)});
  }
  if (p.mars) opts.push_back({PreloginOption::Mars, Bytes{*p.mars}});
  if (p.fedauth_required) opts.push_back({PreloginOption::FedAuthRequired, Bytes{*p.fedauth_required}});
  if (p.nonce) opts.push_back({PreloginOption::NonceOpt, Bytes(p.nonce->begin(), p.nonce->end())});

  Bytes out;
  Writer w(out);
  std::size_t off = opts.size() * 5 + 1;
  for (const auto& o : opts) {
    w.u8(static_cast<std::uint8_t>(o.id));
    w.u16be(static_cast<std::uint16_t>(off));
    w.u16be(static_cast<std::uint16_t>(o.data.size()));
    off += o.data.size();
  }
  w.u8(static_cast<std::uint8_t>(PreloginOption::Terminator));
  for (const auto& o : opts) w.bytes(o.data);
  return out;
}

Result<Prelogin> parse_prelogin(ByteView payload) {
  auto bad = [](const char* why) { return Error::make(ErrorKind::Protocol, std::string("malformed PRELOGIN: ") + why); };
  Prelogin p;
  Reader r(payload);
  bool seen_version = false;
  for (int guard = 0; guard < 256; ++guard) {
    std::uint8_t id;
    if (!r.u8(id)) return bad("no terminator");
    if (id == static_cast<std::uint8_t>(PreloginOption::Terminator)) {
      if (!seen_version) return bad("no VERSION option");
      return p;
    }
    std::uint16_t off, len;
    if (!r.u16be(off) || !r.u16be(len)) return bad("truncated option table");
    if (static_cast<std::size_t>(off) + len > payload.size()) return bad("option outside the message");
    ByteView d = payload.subspan(off, len);
    switch (static_cast<PreloginOption>(id)) {
      case PreloginOption::Version:
        if (len < 6) return bad("short VERSION");
        for (int i = 0; i < 6; ++i) p.version[static_cast<std::size_t>(i)] = d[static_cast<std::size_t>(i)];
        seen_version = true;
        break;
      case PreloginOption::Encryption:
        if (len < 1) return bad("short ENCRYPTION");
        // 0x80 is ENCRYPT_CLIENT_CERT, combined with one of OFF/ON/NOT_SUP/REQ.
        if ((d[0] & 0x7F) > 3) return bad("unknown ENCRYPTION value");
        p.encryption = static_cast<Encryption>(d[0] & 0x7F);
        break;
      case PreloginOption::InstOpt:
        p.instance.assign(d.begin(), d.end());
        while (!p.instance.empty() && p.instance.back() == '\0') p.instance.pop_back();
        break;
      case PreloginOption::ThreadId:
        if (len >= 4) p.thread_id = static_cast<std::uint32_t>(d[0] | (d[1] << 8) | (d[2] << 16)) | (static_cast<std::uint32_t>(d[3]) << 24);
        break;
      case PreloginOption::Mars:
        if (len >= 1) p.mars = d[0];
        break;
      case PreloginOption::FedAuthRequired:
        if (len >= 1) p.fedauth_required = d[0];
        break;
      case PreloginOption::NonceOpt:
        if (len != 32) return bad("NONCEOPT is not 32 bytes");
        p.nonce.emplace();
        for (std::size_t i = 0; i < 32; ++i) (*p.nonce)[i] = d[i];
        break;
      default:
        break;  // TRACEID and unknown options are ignored
    }
  }
  return bad("too many options");
}

Bytes obfuscate_password(std::string_view password) {
  Bytes b = utf8_to_utf16le(password);
  for (auto& c : b) c = static_cast<std::uint8_t>((((c << 4) & 0xF0) | (c >> 4)) ^ 0xA5);
  return b;
}

Bytes build_login7(const Login7& l) {
  constexpr std::size_t kFixed = 94;
  Bytes out(kFixed, 0);
  Writer w(out);
  // Variable part: strings in the order of the offset table.
  struct Field {
    std::size_t table_at;  // position of the (offset, length) pair
    Bytes data;
    std::uint16_t count;  // characters (UTF-16 units) or bytes
  };
  auto text = [](const std::string& s) { return utf8_to_utf16le(s); };
  const bool features = l.fedauth.has_value();

  Bytes feature_block;
  if (features) {
    Writer f(feature_block);
    const auto& fa = *l.fedauth;
    Bytes tok = utf8_to_utf16le(fa.token);
    f.u8(kFeatureFedAuth);
    const std::uint32_t data_len = 1 + 4 + static_cast<std::uint32_t>(tok.size()) + (fa.nonce ? 32u : 0u);
    f.u32(data_len);
    f.u8(static_cast<std::uint8_t>((kFedAuthLibrarySecurityToken << 1) | (fa.echo ? 1 : 0)));
    f.u32(static_cast<std::uint32_t>(tok.size()));
    f.bytes(tok);
    if (fa.nonce) f.bytes(ByteView(fa.nonce->data(), fa.nonce->size()));
    f.u8(kFeatureTerminator);
  }

  std::size_t off = kFixed;
  auto put_pair = [&](std::size_t at, std::size_t offset, std::size_t count) {
    w.put_u16(at, static_cast<std::uint16_t>(offset));
    w.put_u16(at + 2, static_cast<std::uint16_t>(count));
  };
  auto add_text = [&](std::size_t at, const Bytes& data, bool always_offset = true) {
    (void)always_offset;
    put_pair(at, off, data.size() / 2);
    w.bytes(data);
    off += data.size();
  };
  add_text(36, text(l.host_name));
  add_text(40, l.fedauth ? Bytes{} : text(l.user_name));
  add_text(44, l.fedauth ? Bytes{} : obfuscate_password(l.password));
  add_text(48, text(l.app_name));
  add_text(52, text(l.server_name));
  // ibExtension / cbExtension: points at a DWORD holding the FeatureExt offset.
  std::size_t ext_dword_at = 0;
  if (features) {
    put_pair(56, off, 4);
    ext_dword_at = off;
    w.u32(0);
    off += 4;
  } else {
    put_pair(56, off, 0);
  }
  add_text(60, text(l.library_name));
  add_text(64, text(l.language));
  add_text(68, text(l.database));
  for (std::size_t i = 0; i < 6; ++i) out[72 + i] = l.client_id[i];
  put_pair(78, off, 0);  // SSPI
  put_pair(82, off, 0);  // attach db file
  put_pair(86, off, 0);  // change password
  w.put_u32(90, 0);      // cbSSPILong
  if (features) {
    w.put_u32(ext_dword_at, static_cast<std::uint32_t>(off));
    w.bytes(feature_block);
    off += feature_block.size();
  }
  // Fixed part.
  w.put_u32(0, static_cast<std::uint32_t>(out.size()));
  w.put_u32(4, l.tds_version);
  w.put_u32(8, l.packet_size);
  w.put_u32(12, l.client_prog_version);
  w.put_u32(16, l.client_pid);
  w.put_u32(20, l.connection_id);
  out[24] = l.option_flags1;
  out[25] = l.option_flags2;
  out[26] = static_cast<std::uint8_t>(l.type_flags | (l.read_only_intent ? 0x20 : 0));
  out[27] = static_cast<std::uint8_t>(l.option_flags3 | (features ? 0x10 : 0));
  w.put_u32(28, static_cast<std::uint32_t>(l.client_time_zone));
  w.put_u32(32, l.client_lcid);
  return out;
}

}  // namespace azsql::db::tds
