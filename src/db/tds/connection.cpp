#include "db/tds/connection.hpp"
#include "db/tds/diagnosis.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <boost/asio.hpp>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "common/hex.hpp"
#include "db/tds/codec/login.hpp"
#include "db/tds/codec/packet.hpp"
#include "db/tds/codec/request.hpp"
#include "db/tds/codec/tokens.hpp"

namespace azsql::db::tds {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

bool is_transient_error(int n) noexcept {
  switch (n) {
    case 4060: case 4221: case 1205: case 1204: case 1222: case 10928: case 10929: case 40143: case 40197:
    case 40501: case 40540: case 40613: case 42108: case 42109: case 49918: case 49919: case 49920: case 233:
    case 10053: case 10054: case 10060:
      return true;
    default:
      return false;
  }
}

namespace {

using Tick = std::function<Status()>;

std::string openssl_error() {
  std::string s;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!s.empty()) s += "; ";
    s += buf;
  }
  return s.empty() ? "unknown TLS error" : s;
}

Error io_error(const std::string& what, bool broken = true) {
  Error e = Error::make(ErrorKind::Io, what);
  e.broken = broken;
  return e;
}

Error protocol_error(const std::string& what) {
  Error e = Error::make(ErrorKind::Protocol, "TDS protocol error: " + what);
  e.broken = true;
  return e;
}

bool is_ip_literal(const std::string& h) {
  boost::system::error_code ec;
  (void)asio::ip::make_address(h, ec);
  return !ec;
}

// ------------------------------------------------------------------ TLS client contexts

/// One SSL_CTX per (verification mode, CA file as it is now) for the whole process, shared by every
/// connection: a context per connection cost each pooled session its own certificate store, and with
/// a connection pool per user (on_behalf_of) idle sessions are what the process holds most of.
/// A context is immutable once built (OpenSSL allows SSL_new from several threads on one SSL_CTX).
/// The CA file's size and mtime are part of the key, so a replaced file is read again.
class TlsContexts {
 public:
  static SSL_CTX* acquire(bool trust, const std::string& ca_file, std::string& why) {
    static TlsContexts* const instance = new TlsContexts;  // never destroyed: connections may outlive exit()
    return instance->get(trust, ca_file, why);
  }

 private:
  SSL_CTX* get(bool trust, const std::string& ca_file, std::string& why) {
    const std::string key = trust ? "trust" : "verify:" + ca_file;
    std::string stamp;
    struct stat st {};
    if (!trust && !ca_file.empty() && ::stat(ca_file.c_str(), &st) == 0)
      stamp = std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    std::lock_guard lock(mu_);
    Entry& e = cache_[key];
    if (!e.ctx || e.stamp != stamp) {
      SSL_CTX* ctx = build(trust, ca_file, why);
      if (!ctx) return nullptr;
      if (e.ctx) SSL_CTX_free(e.ctx);  // connections still using the old one hold their own reference
      e = {ctx, stamp};
    }
    SSL_CTX_up_ref(e.ctx);  // the connection's reference, released with SSL_CTX_free
    return e.ctx;
  }

  static SSL_CTX* build(bool trust, const std::string& ca_file, std::string& why) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
      why = "cannot create TLS context: " + openssl_error();
      return nullptr;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, trust ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
    if (!trust) {
      const bool loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx) == 1
                                          : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) == 1;
      if (!loaded) {
        why = (ca_file.empty() ? "cannot load the system CA store: " : "cannot load the CA file: ") + openssl_error();
        SSL_CTX_free(ctx);
        return nullptr;
      }
    }
    return ctx;
  }

  struct Entry {
    SSL_CTX* ctx = nullptr;
    std::string stamp;  // the CA file's size and mtime when it was read
  };
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // one entry per mode and CA path: bounded by the configuration
};

SSL_CTX* shared_client_context(bool trust, const std::string& ca_file, std::string& why) {
  return TlsContexts::acquire(trust, ca_file, why);
}

// ------------------------------------------------------------------ Channel: socket + TLS + packets

class Channel {
 public:
  Channel() = default;
  ~Channel() {
    if (ssl_) SSL_free(ssl_);  // frees the BIOs too
    if (ctx_) SSL_CTX_free(ctx_);
    boost::system::error_code ec;
    sock_.close(ec);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// True when the peer has closed or reset the socket: a non-blocking peek sees EOF or a hard error.
  /// Only meaningful between requests (an idle TDS session receives nothing unsolicited; pending bytes
  /// such as a TLS session ticket count as alive).
  bool peer_closed() {
    if (!sock_.is_open()) return true;
    char b = 0;
    const ssize_t r = ::recv(sock_.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0) return true;
    if (r < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    return false;
  }

  Status connect(const std::string& host, std::uint16_t port, const Tick& tick) {
    bool done = false;
    boost::system::error_code ec;
    tcp::resolver::results_type results;
    tcp::resolver resolver(io_);
    resolver.async_resolve(host, std::to_string(port), [&](const boost::system::error_code& e, tcp::resolver::results_type r) {
      ec = e;
      results = std::move(r);
      done = true;
    });
    if (auto s = run_until(done, tick, [&] { resolver.cancel(); }); !s.ok()) return s;
    if (ec) return io_error("cannot resolve " + host + ": " + ec.message());
    done = false;
    asio::async_connect(sock_, results, [&](const boost::system::error_code& e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (auto s = run_until(done, tick, [&] { boost::system::error_code ig; sock_.close(ig); }); !s.ok()) return s;
    if (ec) return io_error("cannot connect to " + host + "," + std::to_string(port) + ": " + ec.message());
    sock_.set_option(tcp::no_delay(true), ec);
    return {};
  }

  /// Prepares TLS; `name` is checked against the certificate unless `trust`.
  Status tls_setup(const std::string& name, bool trust, const std::string& ca_file, bool alpn_tds8) {
    std::string why;
    ctx_ = shared_client_context(trust, ca_file, why);
    if (!ctx_) return tls_error(why);
    ssl_ = SSL_new(ctx_);
    if (!ssl_) return tls_error("cannot create TLS session: " + openssl_error());
    // An idle pooled session keeps no TLS record buffers (about 34 KiB each): see TlsContexts.
    SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
    if (!trust) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      const int ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
      if (ok != 1) return tls_error("cannot set the expected certificate name");
    }
    if (!is_ip_literal(name)) SSL_set_tlsext_host_name(ssl_, name.c_str());
    if (alpn_tds8) {
      static const unsigned char kAlpn[] = {7, 't', 'd', 's', '/', '8', '.', '0'};
      SSL_set_alpn_protos(ssl_, kAlpn, sizeof kAlpn);
    }
    return {};
  }

  /// TLS handshake directly on the socket (TDS 8.0 strict).
  Status tls_handshake_raw(const Tick& tick) {
    for (int guard = 0; guard < 1000; ++guard) {
      ERR_clear_error();
      const int r = SSL_do_handshake(ssl_);
      if (auto s = flush_tls_raw(tick); !s.ok()) return s;
      if (r == 1) {
        tls_active_ = true;
        return check_peer();
      }
      const int err = SSL_get_error(ssl_, r);
      if (err != SSL_ERROR_WANT_READ) return handshake_failure();
      Bytes raw;
      if (auto s = read_raw(raw, tick); !s.ok()) return s;
      BIO_write(rbio_, raw.data(), static_cast<int>(raw.size()));
    }
    return tls_error("TLS handshake did not finish");
  }

  /// TLS handshake carried in PRELOGIN packets (TDS 7.x).
  Status tls_handshake_prelogin(const Tick& tick) {
    for (int guard = 0; guard < 1000; ++guard) {
      ERR_clear_error();
      const int r = SSL_do_handshake(ssl_);
      Bytes out = drain_wbio();
      if (!out.empty()) {
        auto pkts = split_message(PacketType::PreLogin, out, packet_size_, 0, packet_id_);
        Bytes wire;
        for (auto& p : pkts) wire.insert(wire.end(), p.begin(), p.end());
        if (auto s = write_raw(wire, tick); !s.ok()) return s;
      }
      if (r == 1) {
        tls_active_ = true;
        return check_peer();
      }
      const int err = SSL_get_error(ssl_, r);
      if (err != SSL_ERROR_WANT_READ) return handshake_failure();
      PacketHeader h;
      Bytes payload;
      if (auto s = read_packet(h, payload, tick); !s.ok()) return s;  // TLS is not active yet: plain packets
      if (h.type != static_cast<std::uint8_t>(PacketType::PreLogin) &&
          h.type != static_cast<std::uint8_t>(PacketType::TabularResult))
        return protocol_error("unexpected packet type during the TLS handshake");
      BIO_write(rbio_, payload.data(), static_cast<int>(payload.size()));
    }
    return tls_error("TLS handshake did not finish");
  }

  void set_tls_active(bool on) { tls_active_ = on; }
  bool tls_active() const { return tls_active_; }
  void set_packet_size(std::size_t n) { packet_size_ = n; }
  std::size_t packet_size() const { return packet_size_; }

  Status send_message(PacketType type, ByteView payload, std::uint8_t first_status, const Tick& tick) {
    auto pkts = split_message(type, payload, packet_size_, first_status, packet_id_);
    Bytes wire;
    for (auto& p : pkts) {
      if (tls_active_) {
        ERR_clear_error();
        if (SSL_write(ssl_, p.data(), static_cast<int>(p.size())) <= 0)
          return tls_error("TLS write failed: " + openssl_error());
        Bytes enc = drain_wbio();
        wire.insert(wire.end(), enc.begin(), enc.end());
      } else {
        wire.insert(wire.end(), p.begin(), p.end());
      }
    }
    return write_raw(wire, tick);
  }

  /// Next packet of the server's stream (decrypted when TLS is on).
  Status read_packet(PacketHeader& h, Bytes& payload, const Tick& tick) {
    for (;;) {
      auto st = reader_.next(h, payload);
      if (st == PacketReader::Status::Packet) return {};
      if (st == PacketReader::Status::Error) return protocol_error("bad packet length");
      Bytes raw;
      if (auto s = read_raw(raw, tick); !s.ok()) return s;
      if (!tls_active_) {
        reader_.feed(raw);
        continue;
      }
      BIO_write(rbio_, raw.data(), static_cast<int>(raw.size()));
      std::uint8_t plain[16384];  // on the stack: an idle connection holds no read buffers
      for (;;) {
        ERR_clear_error();
        const int n = SSL_read(ssl_, plain, static_cast<int>(sizeof plain));
        if (n > 0) {
          reader_.feed(ByteView(plain, static_cast<std::size_t>(n)));
          continue;
        }
        const int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ) break;
        if (err == SSL_ERROR_ZERO_RETURN) return io_error("the server closed the TLS session");
        return tls_error("TLS read failed: " + openssl_error());
      }
      // TLS 1.3 may want to answer (key update): send whatever OpenSSL produced.
      Bytes out = drain_wbio();
      if (!out.empty())
        if (auto s = write_raw(out, tick); !s.ok()) return s;
    }
  }

  std::string peer_alpn() const {
    const unsigned char* p = nullptr;
    unsigned int n = 0;
    if (ssl_) SSL_get0_alpn_selected(ssl_, &p, &n);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }

 private:
  static Error tls_error(const std::string& m) {
    Error e = Error::make(ErrorKind::Tls, m);
    e.broken = true;
    return e;
  }

  Status handshake_failure() {
    const long v = SSL_get_verify_result(ssl_);
    if (v != X509_V_OK)
      return tls_error(std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(v));
    return tls_error("TLS handshake failed: " + openssl_error());
  }

  Status check_peer() {
    if (SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER) {
      const long v = SSL_get_verify_result(ssl_);
      if (v != X509_V_OK)
        return tls_error(std::string("TLS certificate verification failed: ") + X509_verify_cert_error_string(v));
    }
    return {};
  }

  Bytes drain_wbio() {
    Bytes out;
    char buf[16384];
    int n;
    while ((n = BIO_read(wbio_, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
    return out;
  }

  Status flush_tls_raw(const Tick& tick) {
    Bytes out = drain_wbio();
    if (out.empty()) return {};
    return write_raw(out, tick);
  }

  template <class OnAbort>
  Status run_until(bool& done, const Tick& tick, OnAbort abort) {
    while (!done) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(50));
      if (done) break;
      if (auto s = tick(); !s.ok()) {
        abort();
        io_.restart();
        io_.run();  // let the aborted handler finish
        return s;
      }
    }
    return {};
  }

  Status read_raw(Bytes& out, const Tick& tick) {
    bool done = false;
    boost::system::error_code ec;
    std::size_t n = 0;
    // On the stack, not a member: 64 KiB per pooled connection adds up with per-user pools. The read
    // completes (or is cancelled and its handler run) before this frame returns, see run_until.
    std::uint8_t chunk[65536];
    sock_.async_read_some(asio::buffer(chunk), [&](const boost::system::error_code& e, std::size_t k) {
      ec = e;
      n = k;
      done = true;
    });
    if (auto s = run_until(done, tick, [&] { boost::system::error_code ig; sock_.cancel(ig); }); !s.ok()) return s;
    if (ec) {
      if (ec == asio::error::eof) return io_error("the server closed the connection");
      return io_error("read from SQL Server failed: " + ec.message());
    }
    out.insert(out.end(), chunk, chunk + n);
    return {};
  }

  Status write_raw(ByteView data, const Tick& tick) {
    bool done = false;
    boost::system::error_code ec;
    asio::async_write(sock_, asio::buffer(data.data(), data.size()),
                      [&](const boost::system::error_code& e, std::size_t) {
                        ec = e;
                        done = true;
                      });
    if (auto s = run_until(done, tick, [&] { boost::system::error_code ig; sock_.cancel(ig); }); !s.ok()) return s;
    if (ec) return io_error("write to SQL Server failed: " + ec.message());
    return {};
  }

  asio::io_context io_{1};
  tcp::socket sock_{io_};
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;
  BIO* wbio_ = nullptr;
  bool tls_active_ = false;
  PacketReader reader_;
  std::uint8_t packet_id_ = 1;
  std::size_t packet_size_ = 4096;
};

// ------------------------------------------------------------------ response token stream

/// A value or row over ValueLimits: the rest of the response was not read, so the session is
/// closed rather than drained (draining would read the very bytes the cap is there to refuse).
Error too_large_error(const TokenParser& parser) {
  const auto& l = parser.limits();
  Error e = Error::make(ErrorKind::Limit,
                        "the result holds " + parser.error() + " (MCP_MAX_VALUE_BYTES=" +
                            std::to_string(l.max_value_bytes) + ", MCP_MAX_ROW_BYTES=" + std::to_string(l.max_row_bytes) +
                            "); select less of it, e.g. SUBSTRING(col, 1, n) or DATALENGTH(col), or raise the limit");
  e.broken = true;
  return e;
}

class Response {
 public:
  Response(Channel& ch, TokenParser& parser) : ch_(ch), parser_(parser) {}

  /// Next token; `end` is set when the message ended (EOM and everything consumed).
  Status next(Token& t, bool& end, const Tick& tick) {
    end = false;
    for (;;) {
      if (off_ < buf_.size()) {
        std::size_t used = 0;
        auto st = parser_.next(ByteView(buf_.data() + off_, buf_.size() - off_), used, t);
        off_ += used;  // NeedMore may have absorbed part of a row (a long value's chunks) too
        if (st == TokenParser::Status::Parsed) {
          if (off_ == buf_.size()) {
            buf_.clear();
            off_ = 0;
          }
          return {};
        }
        if (st == TokenParser::Status::Failed) return protocol_error(parser_.error());
        if (st == TokenParser::Status::TooLarge) return too_large_error(parser_);
        if (eom_) return protocol_error("message ended inside a token");
      } else if (eom_) {
        end = true;
        eom_ = false;  // the next call reads the next message
        return {};
      }
      PacketHeader h;
      Bytes payload;
      if (auto s = ch_.read_packet(h, payload, tick); !s.ok()) return s;
      if (h.type != static_cast<std::uint8_t>(PacketType::TabularResult))
        return protocol_error("unexpected packet type from the server");
      if (off_ > 0 && off_ > buf_.size() / 2) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(off_));
        off_ = 0;
      }
      buf_.insert(buf_.end(), payload.begin(), payload.end());
      eom_ = (h.status & kStatusEom) != 0;
    }
  }

 private:
  Channel& ch_;
  TokenParser& parser_;
  Bytes buf_;
  std::size_t off_ = 0;
  bool eom_ = false;
};

Error server_error(const MessageToken& m) {
  std::string text = m.message + " (SQL Server error " + std::to_string(m.number) + ", state " +
                     std::to_string(m.state) + ", class " + std::to_string(m.cls);
  if (!m.procedure.empty()) text += ", procedure " + m.procedure;
  if (m.line) text += ", line " + std::to_string(m.line);
  text += ")";
  Error e = Error::make(m.number == 18456 || m.number == 18452 ? ErrorKind::Auth : ErrorKind::Database, text, m.number);
  e.state = m.state;
  e.severity = m.cls;
  e.transient = is_transient_error(m.number);
  e.broken = m.cls >= 20;
  return e;
}

std::uint64_t descriptor_of(const Bytes& b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size() && i < 8; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
  return v;
}

}  // namespace

// ------------------------------------------------------------------ TdsConnection::Impl

struct TdsConnection::Impl {
  TdsOptions opts;
  std::unique_ptr<Channel> ch;
  TokenParser parser;
  SessionInfo info;
  Collation collation = Collation::from_bytes(std::array<std::uint8_t, 5>{0x09, 0x04, 0xD0, 0x00, 0x34});
  std::uint64_t tran = 0;  ///< current transaction descriptor (0 = none)
  bool broken = false;
  bool reset_pending = false;

  // Login outcome of one hop.
  struct Route {
    std::string host;
    std::uint16_t port = 0;
  };

  Tick deadline_tick(Clock::time_point deadline, const CancelToken& cancel) {
    return [deadline, cancel]() -> Status {
      if (cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "connection attempt cancelled");
      if (Clock::now() > deadline) {
        Error e = Error::make(ErrorKind::Timeout, "login timed out");
        e.transient = true;
        return e;
      }
      return {};
    };
  }

  /// One TCP connection + PRELOGIN + TLS + LOGIN7. Returns a Route when the server redirected.
  /// LOGIN7 (§2.2.6.4) for `host`: SQL authentication, or the FEDAUTH security token echoing the
  /// server's PRELOGIN answer (FEDAUTHREQUIRED, NONCE).
  Login7 login_record(const std::string& host, const std::string* token, const Prelogin& srv) const {
    Login7 l;
    l.packet_size = opts.packet_size;
    l.client_pid = static_cast<std::uint32_t>(::getpid());
    char hn[256] = {0};
    if (::gethostname(hn, sizeof hn - 1) == 0) l.host_name = hn;
    l.app_name = opts.app_name;
    l.server_name = host;
    l.library_name = "azsql-mcp";
    l.database = opts.database;
    l.read_only_intent = opts.read_only_intent;
    if (token) {
      FedAuthToken fa;
      fa.token = *token;
      fa.echo = srv.fedauth_required.value_or(0) != 0;
      fa.nonce = srv.nonce;
      l.fedauth = std::move(fa);
    } else {
      l.user_name = opts.user;
      l.password = opts.password;
    }
    return l;
  }

  Result<std::optional<Route>> login_once(const std::string& host, std::uint16_t port, const std::string* token,
                                          const CancelToken& cancel) {
    const auto deadline = Clock::now() + opts.connect_timeout;
    Tick tick = deadline_tick(deadline, cancel);
    ch = std::make_unique<Channel>();
    parser.reset();
    tran = 0;
    if (auto s = ch->connect(host, port, tick); !s.ok()) return s.error();
    const std::string cert_name = opts.hostname_in_certificate.empty() ? host : opts.hostname_in_certificate;
    const bool strict = opts.encrypt == EncryptMode::Strict;
    if (strict) {
      if (auto s = ch->tls_setup(cert_name, opts.trust_server_certificate, opts.ca_file, true); !s.ok()) return s.error();
      if (auto s = ch->tls_handshake_raw(tick); !s.ok()) return s.error();
    }
    // PRELOGIN
    Prelogin pre;
    pre.version = {1, 0, 0, 0, 0, 0};
    pre.encryption = strict ? Encryption::NotSup : (opts.encrypt == EncryptMode::Yes ? Encryption::On : Encryption::Off);
    pre.thread_id = static_cast<std::uint32_t>(::getpid());
    pre.mars = 0;
    if (token) pre.fedauth_required = 1;
    if (auto s = ch->send_message(PacketType::PreLogin, build_prelogin(pre), 0, tick); !s.ok()) return s.error();
    Bytes reply;
    for (;;) {
      PacketHeader h;
      Bytes payload;
      if (auto s = ch->read_packet(h, payload, tick); !s.ok()) {
        Error e = s.error();
        e.message = "during PRELOGIN: " + e.message;
        return e;
      }
      reply.insert(reply.end(), payload.begin(), payload.end());
      if (h.status & kStatusEom) break;
      if (reply.size() > 65536) return protocol_error("PRELOGIN reply too long");
    }
    auto srv = parse_prelogin(reply);
    if (!srv.ok()) {
      Error e = srv.error();
      e.broken = true;
      return e;
    }
    bool login_only = false;
    if (!strict) {
      const Encryption se = srv->encryption;
      bool tls = false;
      if (opts.encrypt == EncryptMode::Yes) {
        if (se == Encryption::NotSup || se == Encryption::Off)
          return Error::make(ErrorKind::Tls, "the server does not support encryption (Encrypt=yes requires it)");
        tls = true;
      } else {  // no
        if (se == Encryption::Req || se == Encryption::On) tls = true;
        else if (se == Encryption::Off) { tls = true; login_only = true; }
      }
      if (tls) {
        if (auto s = ch->tls_setup(cert_name, opts.trust_server_certificate, opts.ca_file, false); !s.ok())
          return s.error();
        if (auto s = ch->tls_handshake_prelogin(tick); !s.ok()) return s.error();
      }
      info.encrypted = tls && !login_only;
    } else {
      info.encrypted = true;
    }
    Bytes login = build_login7(login_record(host, token, *srv));
    auto sent = ch->send_message(PacketType::Login7, login, 0, tick);
    std::fill(login.begin(), login.end(), 0);
    if (!sent.ok()) return sent.error();
    if (login_only) ch->set_tls_active(false);
    // Login response.
    Response resp(*ch, parser);
    std::optional<MessageToken> err;
    std::optional<Route> route;
    bool acked = false, fedauth_acked = false;
    for (;;) {
      Token t;
      bool end = false;
      if (auto s = resp.next(t, end, tick); !s.ok()) return s.error();
      if (end) break;
      if (auto* m = std::get_if<MessageToken>(&t)) {
        if (m->error && !err) err = *m;
      } else if (auto* a = std::get_if<LoginAckToken>(&t)) {
        acked = true;
        info.server_program = a->prog_name;
        info.tds_version = a->tds_version;
      } else if (auto* e = std::get_if<EnvChangeToken>(&t)) {
        apply_env(*e);
        if (e->type == env_type::Routing) route = Route{e->routing_host, e->routing_port};
      } else if (auto* f = std::get_if<FeatureExtAckToken>(&t)) {
        for (const auto& feat : f->features) {
          if (feat.id == kFeatureFedAuth && token) fedauth_acked = true;
          else if (feat.id == kFeatureFedAuth) return protocol_error("FEATUREEXTACK for a feature not requested");
        }
      }
    }
    if (err) {
      Error e = server_error(*err);
      e.broken = true;
      return e;
    }
    if (!acked) return protocol_error("login response without LOGINACK");
    if (route) return std::optional<Route>(route);
    if (token && !fedauth_acked) return protocol_error("the server did not acknowledge the FEDAUTH feature");
    info.server_name = host;
    info.port = port;
    info.fedauth = token != nullptr;
    if (info.packet_size == 0) info.packet_size = opts.packet_size;
    ch->set_packet_size(std::clamp<std::size_t>(info.packet_size, kMinPacketSize, 32767));
    return std::optional<Route>();
  }

  void apply_env(const EnvChangeToken& e) {
    switch (e.type) {
      case env_type::Database: info.database = e.new_value; break;
      case env_type::PacketSize: {
        unsigned long n = 0;
        for (char c : e.new_value) if (c >= '0' && c <= '9') n = n * 10 + static_cast<unsigned long>(c - '0');
        if (n >= 512 && n <= 32767) {
          info.packet_size = static_cast<std::uint32_t>(n);
          if (ch) ch->set_packet_size(n);
        }
        break;
      }
      case env_type::Collation:
        if (e.new_bytes.size() == 5) {
          collation = Collation::from_bytes(e.new_bytes);
          info.collation_hex = hex::encode(e.new_bytes, hex::Case::Upper);
        }
        break;
      case env_type::BeginTran: tran = descriptor_of(e.new_bytes); break;
      case env_type::CommitTran: case env_type::RollbackTran: case env_type::DefectTran: tran = 0; break;
      case env_type::ResetAck: break;
      default: break;
    }
  }

  // ---------------------------------------------------------------- requests

  struct RunState {
    ExecSummary summary;
    std::optional<MessageToken> error;
    bool saw_commit = false;
    bool saw_rollback = false;
    bool sent = false;  ///< the whole request was handed to the network (the server may have run it)
    std::optional<Error> abort_reason;  ///< set when ATTENTION was sent for timeout/cancel
  };

  /// The error for a response that could not be read to its end (the session is broken).
  static Error read_failure(const Error& cause, const RunState& st) {
    if (st.abort_reason && st.abort_reason->kind == ErrorKind::Timeout && cause.kind == ErrorKind::Io) {
      Error e = *st.abort_reason;  // the timeout is the story; the lost connection is its ending
      e.broken = true;
      e.message += "; " + cause.message;
      return e;
    }
    Error e = cause;
    e.broken = true;
    if (e.kind == ErrorKind::Io) e.message = "connection to SQL Server lost: " + e.message;
    return e;
  }

  static std::vector<Column> result_columns(const std::vector<ColumnMeta>& meta) {
    std::vector<Column> cols;
    cols.reserve(meta.size());
    for (const auto& c : meta) {
      Column col;
      col.name = c.name;
      col.type = type_name(c.type);
      col.kind = value_kind(c.type);
      col.nullable = c.nullable();
      cols.push_back(std::move(col));
    }
    return cols;
  }

  /// Sends one request and processes its response (rows → sink), handling ATTENTION.
  Status run(PacketType type, ByteView payload, RowSink* sink, const ExecOptions& eo, RunState& st) {
    if (broken) return io_error("the connection is broken");
    const auto start = Clock::now();
    const bool has_timeout = eo.timeout.count() > 0;
    const auto stmt_deadline = start + eo.timeout;
    std::atomic<bool> cancelled{false};
    auto reg = eo.cancel.on_cancel([&cancelled] { cancelled.store(true); });
    bool attn_sent = false;
    Clock::time_point attn_deadline{};
    Tick send_tick = [&]() -> Status {
      if (has_timeout && Clock::now() > stmt_deadline + opts.attention_timeout)
        return io_error("timed out sending the request");
      return {};
    };
    std::uint8_t first = reset_pending ? kStatusResetConnection : 0;
    if (reset_pending) tran = 0;
    reset_pending = false;
    if (auto s = ch->send_message(type, payload, first, send_tick); !s.ok()) {
      broken = true;
      return s;
    }
    st.sent = true;
    auto send_attention = [&](Error reason) -> Status {
      attn_sent = true;
      attn_deadline = Clock::now() + opts.attention_timeout;
      if (!st.abort_reason) st.abort_reason = std::move(reason);
      auto s = ch->send_message(PacketType::Attention, {}, 0, [] { return Status{}; });
      if (!s.ok()) broken = true;
      return s;
    };
    Tick tick = [&]() -> Status {
      if (attn_sent) {
        if (Clock::now() > attn_deadline) {
          Error e = io_error("no acknowledgement of the cancel request from the server; connection dropped");
          return e;
        }
        return {};
      }
      if (cancelled.load() || eo.cancel.cancelled())
        return send_attention(Error::make(ErrorKind::Cancelled, "the statement was cancelled"));
      if (has_timeout && Clock::now() > stmt_deadline) {
        Error e = Error::make(ErrorKind::Timeout, "the statement exceeded the timeout of " +
                                                      std::to_string(eo.timeout.count() / 1000.0).substr(0, 5) +
                                                      " s and was cancelled");
        return send_attention(std::move(e));
      }
      return {};
    };
    Response resp(*ch, parser);
    parser.reset();
    bool done_final = false;
    bool in_result = false;
    for (std::uint64_t n_tokens = 1;; ++n_tokens) {
      // Rows may arrive faster than we wait on the socket: check the deadline and the cancel
      // flag between tokens too, not only while blocked on a read.
      if (!attn_sent && (n_tokens & 255) == 0) {
        if (auto s = tick(); !s.ok()) return s;
      }
      Token t;
      bool end = false;
      if (auto s = resp.next(t, end, tick); !s.ok()) {
        broken = true;
        return read_failure(s.error(), st);
      }
      if (end) {
        if (attn_sent) continue;  // keep reading: the ATTENTION acknowledgement follows
        if (done_final) break;
        // A message ended without a final DONE: treat as end of response.
        break;
      }
      if (auto* row = std::get_if<RowToken>(&t)) {
        if (attn_sent) continue;
        ++st.summary.rows_read;
        if (sink && !sink->row(row->values)) {
          st.summary.stopped_early = true;
          if (auto s = send_attention(Error::make(ErrorKind::Internal, "stopped early")); !s.ok()) return s;
        }
      } else if (auto* md = std::get_if<ColMetadataToken>(&t)) {
        if (attn_sent) continue;
        in_result = !md->columns->empty();
        if (sink && in_result) sink->columns(result_columns(*md->columns));
      } else if (auto* d = std::get_if<DoneToken>(&t)) {
        if (attn_sent) {
          if (d->status & kDoneAttn) break;  // acknowledged: the session is clean
          continue;
        }
        if ((d->status & kDoneCount) && !in_result && d->id != token_id::DoneProc) {
          st.summary.rows_affected = (st.summary.rows_affected < 0 ? 0 : st.summary.rows_affected) +
                                     static_cast<std::int64_t>(d->row_count);
        }
        in_result = false;  // every DONE kind ends the current result set
        if (!(d->status & kDoneMore) && d->id != token_id::DoneInProc) done_final = true;
      } else if (auto* m = std::get_if<MessageToken>(&t)) {
        if (m->error && m->cls > 10) {
          if (!st.error) st.error = *m;
        } else {
          st.summary.messages.push_back(m->message);
        }
      } else if (auto* e = std::get_if<EnvChangeToken>(&t)) {
        apply_env(*e);
        if (e->type == env_type::CommitTran) st.saw_commit = true;
        if (e->type == env_type::RollbackTran) st.saw_rollback = true;
      }
    }
    if (st.abort_reason && !st.summary.stopped_early) return *st.abort_reason;
    if (st.error) return server_error(*st.error);
    return {};
  }

  Status simple_batch(std::string_view sql) {
    RunState st;
    return simple_batch(sql, st);
  }

  Status simple_batch(std::string_view sql, RunState& st) {
    ExecOptions eo;
    eo.timeout = std::chrono::milliseconds(30000);
    Bytes b = build_sql_batch(sql, tran);
    return run(PacketType::SqlBatch, b, nullptr, eo, st);
  }

  Result<ExecSummary> exec_one(std::string_view sql, const Params& params, RowSink* sink, const ExecOptions& eo,
                               RunState& st) {
    Bytes payload;
    PacketType type = PacketType::SqlBatch;
    if (params.empty()) {
      payload = build_sql_batch(sql, tran);
    } else {
      bool positional = false;
      for (const auto& p : params) positional |= p.name.empty();
      std::string text = positional ? number_placeholders(sql) : std::string(sql);
      auto rpc = build_sp_executesql(text, params, tran, collation);
      if (!rpc.ok()) return rpc.error();
      payload = std::move(rpc).value();
      type = PacketType::Rpc;
    }
    if (auto s = run(type, payload, sink, eo, st); !s.ok()) return s.error();
    return st.summary;
  }
};

// ------------------------------------------------------------------ connect()

/// The catalogue's cause and fix appended to a connect failure (db/tds/diagnosis.hpp), so tool calls,
/// /health and the start-up log all say what to change.
static Error with_diagnosis(Error e, const TdsOptions& opts) {
  const std::string d = diagnosis_text(e, {opts.host, opts.database, static_cast<bool>(opts.access_token)});
  if (!d.empty()) e.message += ". " + d;
  return e;
}

Result<std::unique_ptr<TdsConnection>> connect(const TdsOptions& opts, const CancelToken& cancel) {
  auto impl = std::make_unique<TdsConnection::Impl>();
  impl->opts = opts;
  impl->parser.set_limits(ValueLimits{opts.max_value_bytes, opts.max_row_bytes});
  std::mt19937_64 rng(std::random_device{}());
  const int attempts = opts.retry.attempts();
  bool refreshed = false;
  std::optional<Error> last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    std::string host = opts.host;
    std::uint16_t port = opts.port;
    int hops = 0;
    bool retry_now = false;
    for (;;) {
      std::optional<std::string> token;
      if (opts.access_token) {
        auto t = opts.access_token(refreshed);
        if (!t.ok()) {
          Error e = t.error();
          if (e.kind != ErrorKind::Auth) e.kind = ErrorKind::Auth;
          return with_diagnosis(std::move(e), opts);
        }
        token = std::move(t).value();
      }
      auto r = impl->login_once(host, port, token ? &*token : nullptr, cancel);
      if (r.ok()) {
        if (r->has_value()) {
          if (++hops > opts.max_routing_hops)
            return Error::make(ErrorKind::Protocol, "too many routing redirects (more than " +
                                                        std::to_string(opts.max_routing_hops) + ")");
          host = (*r)->host;
          port = (*r)->port;
          continue;
        }
        impl->info.routing_hops = hops;
        impl->info.attempts = attempt;
        return std::make_unique<TdsConnection>(std::move(impl));
      }
      Error e = std::move(r).error();
      if (e.code == 18456 && token && !refreshed) {
        refreshed = true;  // an expired token: retry once with a fresh one
        retry_now = true;
      } else if (e.kind == ErrorKind::Cancelled) {
        return e;
      }
      last = std::move(e);
      break;
    }
    if (retry_now) {
      --attempt;  // the token refresh retry does not count as a transient retry
      if (attempt >= attempts) break;
      continue;
    }
    const bool network = last->kind == ErrorKind::Io || last->kind == ErrorKind::Timeout;
    if (!last->transient && !network) break;
    if (network && attempt >= 2) break;  // a refused or silent socket is retried once, server errors more
    if (attempt == attempts) break;
    const auto until = Clock::now() + opts.retry.delay(attempt - 1, rng());
    while (Clock::now() < until) {
      if (cancel.cancelled()) return Error::make(ErrorKind::Cancelled, "connection attempt cancelled");
      std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), std::chrono::milliseconds(50)));
    }
  }
  Error e = last ? *last : Error::make(ErrorKind::Unavailable, "cannot connect");
  e = with_diagnosis(std::move(e), opts);
  if (e.kind == ErrorKind::Io || e.kind == ErrorKind::Timeout) e.kind = ErrorKind::Unavailable;
  return e;
}

// ------------------------------------------------------------------ TdsConnection

TdsConnection::TdsConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TdsConnection::~TdsConnection() = default;

Result<ExecSummary> TdsConnection::execute(std::string_view sql, const Params& params, RowSink* sink,
                                           const ExecOptions& opts) {
  auto& I = *impl_;
  if (I.broken) return io_error("the connection is broken");
  if (!opts.read_only) {
    Impl::RunState st;
    return I.exec_one(sql, params, sink, opts, st);
  }
  // Read-only: SET XACT_ABORT ON; BEGIN TRAN (nested twice, so a single COMMIT inside only
  // decrements @@TRANCOUNT); <stmt>; ROLLBACK — always rolled back. A statement that still
  // manages to commit (ENVCHANGE 9) is reported as refused.
  const bool outer_tran = I.tran != 0;
  if (!outer_tran) {
    if (auto s = I.simple_batch("SET XACT_ABORT ON; BEGIN TRANSACTION; BEGIN TRANSACTION"); !s.ok()) return s.error();
    if (I.tran == 0) {
      I.broken = true;  // we cannot prove isolation: never reuse this session
      return Error::make(ErrorKind::Protocol, "the server did not report the read-only transaction");
    }
  } else {
    if (auto s = I.simple_batch("SAVE TRANSACTION azsql_ro"); !s.ok()) return s.error();
  }
  Impl::RunState st;
  auto r = I.exec_one(sql, params, sink, opts, st);
  Status rb;
  if (!I.broken) {
    if (!outer_tran) {
      if (I.tran != 0) rb = I.simple_batch("ROLLBACK TRANSACTION");
    } else {
      rb = I.simple_batch("ROLLBACK TRANSACTION azsql_ro");
    }
  }
  if (st.saw_commit || (!outer_tran && st.saw_rollback && r.ok())) {
    Error e = Error::make(ErrorKind::Refused,
                          "the statement ended the read-only transaction (COMMIT/ROLLBACK inside a read-only statement "
                          "is refused; whatever it did after that point was rolled back)");
    return e;
  }
  if (!r.ok()) return r;
  if (!rb.ok()) {
    I.broken = true;
    Error e = rb.error();
    e.broken = true;
    return e;
  }
  return r;
}

Status TdsConnection::begin() { return impl_->simple_batch("BEGIN TRANSACTION"); }
Status TdsConnection::commit() {
  Impl::RunState st;
  Status s = impl_->simple_batch("COMMIT TRANSACTION", st);
  if (s.ok() || !st.sent || st.error) return s;  // done, never sent, or the server said no
  if (st.saw_commit) return {};  // ENVCHANGE 9 (commit) arrived before the connection broke: committed
  // The COMMIT reached the network and no answer came back: the server may have committed and lost
  // only the reply, or never seen it. Nobody can tell from here.
  Error e = s.error();
  e.in_doubt = true;
  e.broken = true;
  e.message = "the COMMIT was sent but the connection broke before the server confirmed it, so the transaction "
              "may or may not have been committed (" + e.message + ")";
  return e;
}
Status TdsConnection::rollback() {
  if (impl_->tran == 0) return {};
  return impl_->simple_batch("ROLLBACK TRANSACTION");
}
bool TdsConnection::healthy() const {
  // The pool asks between requests: a session the server (or a gateway) closed while it sat idle is
  // dropped here instead of failing the next statement with "connection lost".
  if (!impl_->broken && (!impl_->ch || impl_->ch->peer_closed())) impl_->broken = true;
  return !impl_->broken;
}
void TdsConnection::reset() { impl_->reset_pending = true; }
const SessionInfo& TdsConnection::session() const { return impl_->info; }
bool TdsConnection::in_transaction() const { return impl_->tran != 0; }

std::function<Result<std::unique_ptr<Connection>>(const CancelToken&)> connection_factory(TdsOptions opts) {
  return [opts = std::move(opts)](const CancelToken& ct) -> Result<std::unique_ptr<Connection>> {
    auto c = connect(opts, ct);
    if (!c.ok()) return std::move(c).error();
    return std::unique_ptr<Connection>(std::move(c).value());
  };
}

}  // namespace azsql::db::tds
