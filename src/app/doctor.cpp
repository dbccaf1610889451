#include "app/doctor.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>

#include <boost/json.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "app/backend_factory.hpp"
#include "app/config.hpp"
#include "db/tds/connection.hpp"
#include "db/tds/diagnosis.hpp"

namespace azsql::app {
namespace {

namespace bj = boost::json;
namespace tds = db::tds;

struct Step {
  std::string name;
  std::string status;  ///< ok | warn | fail | skip
  std::string detail;
  std::string cause, fix;
  std::string statements;  ///< T-SQL to run (no user in the database)
};

class Report {
 public:
  void ok(std::string name, std::string detail) { steps_.push_back({std::move(name), "ok", std::move(detail), {}, {}, {}}); }
  void warn(std::string name, std::string detail, std::string fix) {
    steps_.push_back({std::move(name), "warn", std::move(detail), {}, std::move(fix), {}});
  }
  void fail(std::string name, std::string detail, std::string cause, std::string fix, std::string statements = {}) {
    steps_.push_back({std::move(name), "fail", std::move(detail), std::move(cause), std::move(fix), std::move(statements)});
  }
  /// A failure described by the catalogue (its cause and fix), or by the error text alone.
  void fail_with(const std::string& name, const Error& e, const tds::DiagnosisContext& ctx) {
    const auto d = tds::diagnose(e, ctx);
    fail(d.check.empty() ? name : d.check, e.message, d.cause, d.fix);
  }
  bool failed() const {
    for (const auto& s : steps_) {
      if (s.status == "fail") return true;
    }
    return false;
  }
  std::string text(const std::string& target) const;
  std::string json(const std::string& target) const;

 private:
  std::vector<Step> steps_;
};

std::string Report::text(const std::string& target) const {
  std::string o = "azsql-mcp doctor: " + target + "\n";
  for (const auto& s : steps_) {
    const std::string tag = s.status == "ok" ? "[ok]  " : s.status == "warn" ? "[warn]" : s.status == "fail" ? "[FAIL]" : "[skip]";
    std::string name = s.name;
    name.resize(std::max<std::size_t>(name.size(), 9), ' ');
    o += "  " + tag + " " + name + " " + s.detail + "\n";
    if (!s.cause.empty()) o += "         cause: " + s.cause + "\n";
    if (!s.fix.empty()) o += "         fix:   " + s.fix + "\n";
    if (!s.statements.empty()) {
      o += "         run in the database as its Microsoft Entra admin:\n";
      std::size_t a = 0;
      while (a < s.statements.size()) {
        const auto b = s.statements.find('\n', a);
        o += "           " + s.statements.substr(a, b - a) + "\n";
        if (b == std::string::npos) break;
        a = b + 1;
      }
    }
  }
  o += failed() ? "Result: a tool call would fail (see the first [FAIL] above).\n" : "Result: a tool call would work.\n";
  return o;
}

std::string Report::json(const std::string& target) const {
  bj::array checks;
  for (const auto& s : steps_) {
    bj::object c{{"name", s.name}, {"status", s.status}, {"detail", s.detail}};
    if (!s.cause.empty()) c["cause"] = s.cause;
    if (!s.fix.empty()) c["fix"] = s.fix;
    if (!s.statements.empty()) c["statements"] = s.statements;
    checks.push_back(std::move(c));
  }
  return bj::serialize(bj::object{{"ok", !failed()}, {"target", target}, {"checks", std::move(checks)}}) + "\n";
}

/// Addresses of `host` (numeric), or the resolver's error text.
Result<std::vector<std::string>> resolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Error::make(ErrorKind::Io, "cannot resolve " + host + ": " + ::gai_strerror(rc));
  std::vector<std::string> out;
  for (addrinfo* p = res; p; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* a = p->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
                                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
    if (::inet_ntop(p->ai_family, a, buf, sizeof buf)) {
      std::string s(buf);
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  ::freeaddrinfo(res);
  return out;
}

/// A plain TCP connect to host:port within `timeout`.
Result<void> tcp_connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
    return Error::make(ErrorKind::Io, "cannot resolve " + host);
  std::string last = "no address";
  for (addrinfo* p = res; p; p = p->ai_next) {
    const int fd = ::socket(p->ai_family, p->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, p->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, p->ai_addr, p->ai_addrlen);
    int err = rc == 0 ? 0 : errno;
    if (rc != 0 && err == EINPROGRESS) {
      pollfd pfd{fd, POLLOUT, 0};
      rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
      socklen_t len = sizeof err;
      if (rc == 0) err = ETIMEDOUT;
      else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    }
    ::close(fd);
    if (err == 0) {
      ::freeaddrinfo(res);
      return {};
    }
    last = std::strerror(err);
  }
  ::freeaddrinfo(res);
  Error e = Error::make(ErrorKind::Io, "cannot connect to " + host + "," + std::to_string(port) + ": " + last);
  if (last == std::strerror(ETIMEDOUT)) e.kind = ErrorKind::Timeout;
  return e;
}

/// Collects the first row of a result as text.
class FirstRow final : public db::RowSink {
 public:
  void columns(const std::vector<db::Column>&) override {}
  bool row(const db::Row& r) override {
    if (values.empty()) {
      for (const auto& v : r) values.push_back(v.is_null() ? "" : v.kind == db::Value::Kind::Int || v.kind == db::Value::Kind::Bool ? std::to_string(v.i) : v.s);
    }
    return true;
  }
  std::vector<std::string> values;
};

Result<std::vector<std::string>> first_row(tds::TdsConnection& c, const std::string& sql) {
  FirstRow sink;
  db::ExecOptions o;
  o.timeout = std::chrono::seconds(15);
  o.read_only = true;
  auto r = c.execute(sql, {}, &sink, o);
  if (!r.ok()) return std::move(r).error();
  return sink.values;
}

/// Rights of the logged-in identity in the database: read, write, VIEW DATABASE STATE.
void check_rights(tds::TdsConnection& c, const Config& cfg, Report& rep) {
  auto r = first_row(c, "SELECT SUSER_SNAME(), DB_NAME(), HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'SELECT'), "
                        "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'INSERT'), IS_ROLEMEMBER('db_owner')");
  if (!r.ok() || r->size() < 5) {
    rep.warn("rights", "could not read the identity's permissions: " + (r.ok() ? std::string("no row") : r.error().message),
             "GRANT VIEW DEFINITION to the identity");
    return;
  }
  const auto& v = *r;
  const std::string user = "[" + v[0] + "]";
  if (v[2] != "1") {
    rep.fail("read", v[0] + " cannot SELECT in " + v[1], "the identity has no read permission in the database",
             "ALTER ROLE db_datareader ADD MEMBER " + user + ";");
  } else {
    rep.ok("read", v[0] + " can SELECT in " + v[1]);
  }
  if (v[3] == "1") rep.ok("write", std::string("can INSERT/UPDATE/DELETE") + (cfg.read_only ? " (unused: MCP_READ_ONLY is on)" : ""));
  else if (cfg.read_only) rep.ok("write", "no write permission (as MCP_READ_ONLY needs)");
  else rep.warn("write", "no write permission: insert_data and update_data will fail",
                "ALTER ROLE db_datawriter ADD MEMBER " + user + "; (or set MCP_READ_ONLY=true)");
  auto dmv = first_row(c, "SELECT TOP (1) 1 FROM sys.dm_db_partition_stats");
  if (dmv.ok()) rep.ok("view_state", "VIEW DATABASE STATE granted (row counts, sizes)");
  else rep.warn("view_state", "no VIEW DATABASE STATE: " + dmv.error().message,
                "GRANT VIEW DATABASE STATE TO " + user + "; (row counts in list_tables, database_info sizes)");
  if (v[4] == "1") rep.warn("owner", v[0] + " is db_owner: far more than the tools need",
                            "use a user with db_datareader (and db_datawriter) instead");
}

/// TLS, login and database access, with the no-user-in-database case told apart through master.
std::unique_ptr<tds::TdsConnection> check_login(tds::TdsOptions o, const Config& cfg, Report& rep) {
  const tds::DiagnosisContext ctx{o.host, o.database, static_cast<bool>(o.access_token)};
  o.retry.max_retries = 0;  // report the first answer; the server retries transient errors itself
  auto c = tds::connect(o);
  if (c.ok()) {
    const auto& s = (*c)->session();
    rep.ok("tls", s.encrypted ? "encrypted; certificate checked for '" +
                                    (o.hostname_in_certificate.empty() ? o.host : o.hostname_in_certificate) + "'"
                              : "login packet encrypted only (AZURE_SQL_ENCRYPT=no, loopback)");
    rep.ok("login", std::string(s.fedauth ? "Entra token accepted" : "SQL login accepted") + " by " + s.server_program);
    rep.ok("database", "opened " + s.database);
    return std::move(c).value();
  }
  const Error e = c.error();
  const auto d = tds::diagnose(e, ctx);
  if ((e.code == 18456 || e.code == 916) && o.access_token && !o.database.empty() && o.database != "master") {
    auto m = o;
    m.database = "master";
    auto mc = tds::connect(m);
    if (mc.ok()) {
      auto who = first_row(**mc, "SELECT SUSER_SNAME()");
      const std::string name = who.ok() && !who->empty() && !(*who)[0].empty() ? (*who)[0] : "<identity name>";
      rep.ok("tls", "encrypted");
      rep.ok("login", "Entra token accepted (login to master works as " + name + ")");
      rep.fail("database", e.message, "the login succeeded but " + name + " has no user in database '" + o.database + "'",
               "connect to database '" + o.database + "' (not master) as its Microsoft Entra admin and run the statements below",
               tds::create_user_statements(name, !cfg.read_only));
      return nullptr;
    }
  }
  // The catalogue's check names the step (firewall, server, availability, database, login); PRELOGIN is TLS's.
  const std::string step = d.check.empty() ? "login" : d.check == "prelogin" ? "tls" : d.check;
  if (step == "database") rep.ok("login", "accepted");
  rep.fail(step, e.message, d.cause.empty() ? "the connection failed" : d.cause, d.fix);
  return nullptr;
}

int sqlite_doctor(const Config& cfg, bool as_json, std::string& out) {
  Report rep;
  rep.ok("settings", std::string("embedded SQLite database ") + cfg.sqlite_path + (cfg.sqlite_demo ? " (demo)" : ""));
  auto b = make_backend(cfg);
  if (!b.ok()) {
    rep.fail("database", b.error().message, "the SQLite file cannot be opened", "check SQLITE_PATH and its permissions");
  } else if (auto c = (*b)->pool().acquire(std::chrono::seconds(10)); !c.ok()) {
    rep.fail("database", c.error().message, "the SQLite file cannot be opened", "check SQLITE_PATH and its permissions");
  } else {
    rep.ok("database", (*b)->describe());
  }
  out = as_json ? rep.json("sqlite " + cfg.sqlite_path) : rep.text("SQLite " + cfg.sqlite_path);
  return rep.failed() ? 1 : 0;
}

}  // namespace

int doctor_main(const std::vector<std::string>& args, const std::map<std::string, std::string>& environment,
                std::string& out) {
  bool as_json = false;
  std::vector<const char*> argv{"azsql-mcp"};
  for (const auto& a : args) {
    if (a == "--json") as_json = true;
    else argv.push_back(a.c_str());
  }
  Report rep;
  auto parsed = parse_config(static_cast<int>(argv.size()), argv.data(), environment);
  if (parsed.exit_now) {
    out = "azsql-mcp doctor [--json] [any server option]: checks the configured database connection step by step.\n" + parsed.out;
    return 0;
  }
  if (!parsed.config) {
    rep.fail("settings", parsed.error, "a setting is invalid", "correct it (azsql-mcp --help lists every setting)");
    out = as_json ? rep.json("") : rep.text("(invalid settings)");
    return 1;
  }
  const Config& cfg = *parsed.config;
  if (cfg.azure_sql_server.empty() && cfg.connection_string.empty()) return sqlite_doctor(cfg, as_json, out);
  auto opts = sqlserver_options(cfg);
  if (!opts.ok()) {
    rep.fail("settings", opts.error().message, "a setting is invalid", "correct it (azsql-mcp --help lists every setting)");
    out = as_json ? rep.json("") : rep.text("(invalid settings)");
    return 1;
  }
  auto& o = opts->connection;
  const std::string target = o.host + "," + std::to_string(o.port) + (o.database.empty() ? "" : "/" + o.database);
  const tds::DiagnosisContext ctx{o.host, o.database, static_cast<bool>(o.access_token)};
  rep.ok("settings", "SQL Server " + target + ", auth " + (o.access_token ? cfg.auth_type : std::string("sql")));
  std::optional<std::string> token;
  if (o.access_token) {
    auto t = o.access_token(false);
    if (!t.ok()) {
      Error e = t.error();
      e.kind = ErrorKind::Auth;
      rep.fail_with("token", e, ctx);
    } else {
      token = std::move(*t);
      rep.ok("token", "Entra token acquired for " + cfg.auth_type + " (" + std::to_string(token->size()) + " characters, not shown)");
      o.access_token = [tok = *token](bool) -> Result<std::string> { return tok; };
    }
  }
  if (!rep.failed()) {
    auto addrs = resolve(o.host);
    if (!addrs.ok()) rep.fail_with("dns", addrs.error(), ctx);
    else {
      std::string list;
      for (const auto& a : *addrs) list += (list.empty() ? "" : ", ") + a;
      rep.ok("dns", o.host + " -> " + list);
    }
  }
  if (!rep.failed()) {
    auto t = tcp_connect(o.host, o.port, std::min<std::chrono::milliseconds>(o.connect_timeout, std::chrono::seconds(15)));
    if (!t.ok()) rep.fail_with("tcp", t.error(), ctx);
    else rep.ok("tcp", "port " + std::to_string(o.port) + " accepts connections");
  }
  if (!rep.failed()) {
    if (auto c = check_login(o, cfg, rep)) check_rights(*c, cfg, rep);
  }
  out = as_json ? rep.json(target) : rep.text(target);
  return rep.failed() ? 1 : 0;
}

}  // namespace azsql::app
