// Every column of the test server's types_demo decoded to the exact values of
// tests/tds_server/types_demo.json (written independently of our client).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "db/tds/connection.hpp"
#include "tds_server_fixture.hpp"

using namespace azsql;
using namespace azsql::db;
using namespace azsql::db::tds;

namespace {

struct Collect : RowSink {
  std::vector<Column> cols;
  std::vector<Row> rows;
  void columns(const std::vector<Column>& c) override { cols = c; }
  bool row(const Row& r) override {
    rows.push_back(r);
    return true;
  }
};

std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "-1.5" == "-1.5000": compare exact decimal text after trimming trailing fractional zeros.
std::string norm_decimal(std::string s) {
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

// Our ISO 8601 text → the JSON's "YYYY-MM-DD hh:mm:ss[.f] [+hh:mm]" form.
std::string json_temporal(std::string s) {
  if (s.size() > 10 && s[10] == 'T') s[10] = ' ';
  if (s.size() > 6) {
    const char c = s[s.size() - 6];
    if ((c == '+' || c == '-') && s[s.size() - 3] == ':' && s.size() > 19) s.insert(s.size() - 6, " ");
  }
  return s;
}

void check(const std::string& col, const std::string& type, const boost::json::value& want, const Value& got) {
  SCOPED_TRACE(col + " (" + type + ")");
  if (want.is_null()) {
    EXPECT_TRUE(got.is_null()) << "got kind " << to_string(got.kind) << " '" << got.s << "'";
    return;
  }
  ASSERT_FALSE(got.is_null());
  if (want.is_object()) {
    const auto& o = want.as_object();
    if (o.contains("repeat")) {
      std::string unit(o.at("repeat").as_string().c_str());
      std::string s;
      for (std::int64_t i = 0; i < o.at("count").as_int64(); ++i) s += unit;
      EXPECT_EQ(got.s, s);
    } else if (o.contains("hex")) {
      EXPECT_EQ(got.kind, Value::Kind::Binary);
      EXPECT_EQ(got.s, unhex(std::string(o.at("hex").as_string().c_str())));
    } else if (o.contains("hex_repeat")) {
      std::string unit = unhex(std::string(o.at("hex_repeat").as_string().c_str())), s;
      for (std::int64_t i = 0; i < o.at("count").as_int64(); ++i) s += unit;
      EXPECT_EQ(got.s, s);
    } else if (o.contains("int")) {
      EXPECT_EQ(got.kind, Value::Kind::Int);
      EXPECT_EQ(got.i, o.at("int").as_int64());
    } else {
      ADD_FAILURE() << "unknown expectation " << boost::json::serialize(want);
    }
    return;
  }
  if (want.is_bool()) {
    EXPECT_EQ(got.kind, Value::Kind::Bool);
    EXPECT_EQ(got.i != 0, want.as_bool());
  } else if (want.is_int64() || want.is_uint64()) {
    EXPECT_EQ(got.kind, Value::Kind::Int);
    EXPECT_EQ(got.i, want.to_number<std::int64_t>());
  } else if (want.is_double()) {
    EXPECT_EQ(got.kind, Value::Kind::Float);
    EXPECT_DOUBLE_EQ(got.f, want.as_double());  // Boost 1.81 JSON number parsing is not always correctly rounded
  } else if (want.is_string()) {
    std::string w(want.as_string().c_str());
    switch (got.kind) {
      case Value::Kind::Int: EXPECT_EQ(std::to_string(got.i), w); break;
      case Value::Kind::Decimal: EXPECT_EQ(norm_decimal(got.s), norm_decimal(w)); break;
      case Value::Kind::Guid: EXPECT_EQ(got.s, lower(w)); break;
      case Value::Kind::DateTime: case Value::Kind::DateTimeOffset: case Value::Kind::Date: case Value::Kind::Time:
        EXPECT_EQ(json_temporal(got.s), w);
        break;
      default: EXPECT_EQ(got.s, w); break;
    }
  }
}

}  // namespace

TEST(TdsTypesDemo, EveryTypeDecodesToTheExpectedValues) {
  std::ifstream f(std::string(AZSQL_SOURCE_DIR) + "/tests/tds_server/types_demo.json");
  std::stringstream ss;
  ss << f.rdbuf();
  auto doc = boost::json::parse(ss.str()).as_object();
  const auto& cols = doc.at("columns").as_array();
  const auto& rows = doc.at("rows").as_array();

  for (std::uint32_t packet : {4096u, 512u}) {  // 512: every PLP value spans many packets
    SCOPED_TRACE("packet size " + std::to_string(packet));
    tds_test::TdsServer srv;
    TdsOptions o;
    o.port = static_cast<std::uint16_t>(srv.port);
    o.database = "demo";
    o.user = "sa";
    o.password = "Passw0rd!";
    o.ca_file = srv.cert;
    o.packet_size = packet;
    auto c = connect(o);
    ASSERT_TRUE(c.ok()) << c.error().message;
    Collect sink;
    auto r = (*c)->execute("SELECT * FROM types_demo ORDER BY id", {}, &sink, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(sink.cols.size(), cols.size());
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto& cj = cols[i].as_object();
      EXPECT_EQ(sink.cols[i].name, std::string(cj.at("name").as_string().c_str()));
      EXPECT_EQ(sink.cols[i].type, std::string(cj.at("type").as_string().c_str())) << sink.cols[i].name;
    }
    ASSERT_EQ(sink.rows.size(), rows.size());
    for (std::size_t ri = 0; ri < rows.size(); ++ri) {
      const auto& rj = rows[ri].as_object();
      for (std::size_t ci = 0; ci < cols.size(); ++ci) {
        std::string name(cols[ci].as_object().at("name").as_string().c_str());
        std::string type(cols[ci].as_object().at("type").as_string().c_str());
        SCOPED_TRACE("row " + std::to_string(ri + 1));
        check(name, type, rj.at(name), sink.rows[ri][ci]);
      }
    }
  }
}
