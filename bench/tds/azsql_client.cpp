// Our TDS client for the decode-throughput comparison (bench/tds/compare_freetds.sh): logs in
// (login-only TLS, like FreeTDS's default), runs one query through TdsConnection::execute and
// reports rows, the same checksum as freetds_client.c and the CPU time (user + sys) of the query.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "db/tds/connection.hpp"

using namespace azsql;
using namespace azsql::db;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec) + static_cast<double>(u.ru_utime.tv_usec) / 1e6 +
         static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) / 1e6;
}

struct Sum : RowSink {
  long long rows = 0, sum = 0, text = 0;
  void columns(const std::vector<Column>&) override {}
  bool row(const Row& r) override {
    ++rows;
    for (const auto& v : r) {
      if (v.kind == Value::Kind::Int) sum += v.i;
      else if (v.kind == Value::Kind::Float) sum += static_cast<long long>(v.f);
      else if (v.kind == Value::Kind::Text) text += static_cast<long long>(v.s.size());
    }
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s host port query\n", argv[0]);
    return 2;
  }
  tds::TdsOptions o;
  o.host = argv[1];
  o.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  o.database = "demo";
  o.user = "sa";
  o.password = "Passw0rd!";
  o.encrypt = tds::EncryptMode::No;
  o.trust_server_certificate = true;  // local test server, like FreeTDS (which does not verify by default)
  o.packet_size = 4096;  // FreeTDS's default
  auto c = tds::connect(o);
  if (!c.ok()) {
    std::fprintf(stderr, "connect: %s\n", c.error().message.c_str());
    return 1;
  }
  Sum s;
  ExecOptions eo;
  eo.timeout = std::chrono::milliseconds(0);
  const double t0 = cpu_seconds();
  auto r = (*c)->execute(argv[3], {}, &s, eo);
  const double t1 = cpu_seconds();
  if (!r.ok()) {
    std::fprintf(stderr, "query: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("{\"client\":\"azsql-tds\",\"rows\":%lld,\"checksum\":%lld,\"text_bytes\":%lld,\"cpu_s\":%.4f}\n", s.rows,
              s.sum, s.text, t1 - t0);
  return 0;
}
