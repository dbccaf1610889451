#include "db/tds/codec/request.hpp"

namespace azsql::db::tds {

void write_all_headers(Writer& w, std::uint64_t transaction_descriptor) {
  w.u32(22);  // total length
  w.u32(18);  // header length
  w.u16(2);   // transaction descriptor
  w.u64(transaction_descriptor);
  w.u32(1);  // outstanding request count
}

Bytes build_sql_batch(std::string_view sql, std::uint64_t transaction_descriptor) {
  Bytes out;
  Writer w(out);
  write_all_headers(w, transaction_descriptor);
  w.bytes(utf8_to_utf16le(sql));
  return out;
}

std::string rpc_param_name(const Param& p, std::size_t index) {
  std::string_view n = p.name;
  if (!n.empty() && (n[0] == '@' || n[0] == ':' || n[0] == '$')) n.remove_prefix(1);
  std::string out(1, '@');
  if (n.empty()) {
    out += 'P';
    out += std::to_string(index);
  } else {
    out += n;
  }
  return out;
}

Result<Bytes> build_sp_executesql(std::string_view sql, const Params& params, std::uint64_t transaction_descriptor,
                                  const Collation& collation) {
  Bytes out;
  Writer w(out);
  write_all_headers(w, transaction_descriptor);
  w.u16(0xFFFF);
  w.u16(10);  // sp_executesql
  w.u16(0);   // option flags
  std::vector<EncodedParam> enc;
  enc.reserve(params.size());
  std::string decl;
  for (std::size_t i = 0; i < params.size(); ++i) {
    auto e = encode_param(params[i].value, collation);
    if (!e.ok()) {
      Error err = e.error();
      err.message = rpc_param_name(params[i], i + 1) + ": " + err.message;
      return err;
    }
    if (!decl.empty()) decl += ",";
    decl += rpc_param_name(params[i], i + 1) + " " + e->declaration;
    enc.push_back(std::move(e).value());
  }
  auto name = [&](std::string_view n) {
    Bytes u = utf8_to_utf16le(n);
    w.u8(static_cast<std::uint8_t>(u.size() / 2));
    w.bytes(u);
  };
  name("@stmt");
  w.u8(0);
  write_nvarchar(w, sql, collation);
  name("@params");
  w.u8(0);
  write_nvarchar(w, decl, collation);
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::string n = rpc_param_name(params[i], i + 1);
    if (utf16_units(n) > 128) return Error::make(ErrorKind::InvalidInput, "parameter name too long");
    name(n);
    w.u8(0);
    w.bytes(enc[i].type_and_value);
  }
  return out;
}

std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t n = 0;
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    auto copy_until = [&](std::string_view close, std::size_t from) {
      std::size_t end = sql.find(close, from);
      end = end == std::string_view::npos ? sql.size() : end + close.size();
      out.append(sql.substr(i, end - i));
      i = end;
    };
    if (c == '\'') {
      // '' escapes stay inside the literal: scan pairwise.
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == '\'') {
          if (j + 1 < sql.size() && sql[j + 1] == '\'') { j += 2; continue; }
          ++j;
          break;
        }
        ++j;
      }
      out.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '"') {
      copy_until("\"", i + 1);
    } else if (c == '[') {
      std::size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == ']') {
          if (j + 1 < sql.size() && sql[j + 1] == ']') { j += 2; continue; }
          ++j;
          break;
        }
        ++j;
      }
      out.append(sql.substr(i, j - i));
      i = j;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_until("\n", i + 2);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      copy_until("*/", i + 2);
    } else if (c == '?') {
      out += "@P";
      out += std::to_string(++n);
      ++i;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace azsql::db::tds
