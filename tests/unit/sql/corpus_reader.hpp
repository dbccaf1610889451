#pragma once
// Reads tests/data/sql_corpus.tsv (format documented at the top of that file). Shared by the
// classifier's corpus test and the T-SQL translator's test (tests/unit/db_sqlite).
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace azsql::sql::corpus {

struct Case {
  int line = 0;
  std::string id, tool, dialect, expect, rule, sql;
};

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes the sql column (one left-to-right pass); nullopt on a malformed escape.
inline std::optional<std::string> decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char e = s[i + 1];
    switch (e) {
      case 'n': out.push_back('\n'); ++i; break;
      case 'r': out.push_back('\r'); ++i; break;
      case 't': out.push_back('\t'); ++i; break;
      case 'v': out.push_back('\v'); ++i; break;
      case 'f': out.push_back('\f'); ++i; break;
      case '\\': out.push_back('\\'); ++i; break;
      case 'x': {
        if (i + 3 >= s.size() || hex_value(s[i + 2]) < 0 || hex_value(s[i + 3]) < 0) return std::nullopt;
        out.push_back(static_cast<char>(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3])));
        i += 3;
        break;
      }
      case 'R': {  // \R{N}{text}
        const std::size_t open1 = i + 2;
        const std::size_t close1 = s.find('}', open1);
        if (open1 >= s.size() || s[open1] != '{' || close1 == std::string::npos) return std::nullopt;
        const std::size_t open2 = close1 + 1;
        const std::size_t close2 = s.find('}', open2 + 1);
        if (open2 >= s.size() || s[open2] != '{' || close2 == std::string::npos) return std::nullopt;
        const unsigned long n = std::stoul(s.substr(open1 + 1, close1 - open1 - 1));
        const std::string text = s.substr(open2 + 1, close2 - open2 - 1);
        for (unsigned long k = 0; k < n; ++k) out += text;
        i = close2;
        break;
      }
      default: out.push_back('\\'); break;  // literal backslash
    }
  }
  return out;
}

inline std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> cols;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    if (tab == std::string::npos) {
      cols.push_back(line.substr(start));
      return cols;
    }
    cols.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

inline std::vector<Case> load_corpus() {
  std::ifstream in(std::string(AZSQL_SOURCE_DIR) + "/tests/data/sql_corpus.tsv", std::ios::binary);
  EXPECT_TRUE(in.good()) << "tests/data/sql_corpus.tsv not found";
  std::vector<Case> cases;
  std::string line;
  int n = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const auto cols = split_tabs(line);
    if (!header) {
      header = true;
      EXPECT_EQ(line, "id\ttool\tdialect\texpect\trule\tsql");
      continue;
    }
    EXPECT_EQ(cols.size(), 6u) << "line " << n;
    if (cols.size() != 6) continue;
    cases.push_back({n, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]});
  }
  return cases;
}

}  // namespace azsql::sql::corpus
