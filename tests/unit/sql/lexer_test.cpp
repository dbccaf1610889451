#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sql/lexer.hpp"

namespace azsql::sql {
namespace {

std::vector<std::string> texts(std::string_view sql, Dialect d) {
  LexResult r = lex(sql, d);
  EXPECT_EQ(r.error_rule, "") << r.error;
  std::vector<std::string> out;
  for (const Token& t : r.tokens) out.emplace_back(sql.substr(t.begin, t.end - t.begin));
  return out;
}

using V = std::vector<std::string>;

TEST(Lexer, CommentsProduceNoTokens) {
  EXPECT_EQ(texts("SELECT 1 -- DELETE\n, 2 /* x */", Dialect::TSql), (V{"SELECT", "1", ",", "2"}));
  EXPECT_EQ(texts("/* a /* nested */ still */ SELECT", Dialect::TSql), (V{"SELECT"}));
  // SQLite comments do not nest: the first */ ends it.
  EXPECT_EQ(texts("/* a /* b */ DELETE */", Dialect::SQLite), (V{"DELETE", "*", "/"}));
  EXPECT_EQ(texts("SELECT 1 --x\r\nSELECT", Dialect::TSql), (V{"SELECT", "1", "SELECT"}));
}

TEST(Lexer, StringsAndQuotedNames) {
  EXPECT_EQ(texts("SELECT 'it''s; DELETE', N'x', X'0A'", Dialect::SQLite),
            (V{"SELECT", "'it''s; DELETE'", ",", "N", "'x'", ",", "X", "'0A'"}));
  EXPECT_EQ(texts("SELECT [a]]'b] FROM \"q\"\"x\"", Dialect::TSql),
            (V{"SELECT", "[a]]'b]", "FROM", "\"q\"\"x\""}));
  // SQLite: ']' ends a bracketed name, no escape.
  EXPECT_EQ(texts("SELECT [a]]", Dialect::SQLite), (V{"SELECT", "[a]", "]"}));
  EXPECT_EQ(texts("SELECT `a``b`", Dialect::SQLite), (V{"SELECT", "`a``b`"}));
}

TEST(Lexer, VariablesNumbersWords) {
  EXPECT_EQ(texts("SELECT @x, @@ROWCOUNT, #t, $action, $1.5, 0x1F, 1.5e3, .5", Dialect::TSql),
            (V{"SELECT", "@x", ",", "@@ROWCOUNT", ",", "#t", ",", "$action", ",", "$1.5", ",", "0x1F", ",",
               "1.5e3", ",", ".5"}));
  EXPECT_EQ(texts("SELECT ?, ?12, :a, @b, $c", Dialect::SQLite),
            (V{"SELECT", "?", ",", "?12", ",", ":a", ",", "@b", ",", "$c"}));
  LexResult r = lex("SELECT @x", Dialect::TSql);
  ASSERT_EQ(r.tokens.size(), 2u);
  EXPECT_EQ(r.tokens[1].kind, TokenKind::Variable);
  // Non-ASCII bytes are identifier characters: a Cyrillic look-alike is one word.
  EXPECT_EQ(texts("\xD0\x85" "ELECT 1", Dialect::TSql), (V{"\xD0\x85" "ELECT", "1"}));
}

TEST(Lexer, RefusesWhatEnginesMightReadDifferently) {
  struct Case { const char* sql; Dialect d; const char* rule; };
  const Case cases[] = {
      {"SELECT 'abc", Dialect::TSql, "lex_error"},
      {"SELECT [abc", Dialect::TSql, "lex_error"},
      {"SELECT \"abc", Dialect::SQLite, "lex_error"},
      {"SELECT 1 /* open", Dialect::SQLite, "lex_error"},
      {"SELECT 1 /* /* */", Dialect::TSql, "lex_error"},
      {"SELECT `a`", Dialect::TSql, "lex_error"},
      {"SELECT 1DELETE FROM t", Dialect::TSql, "lex_error"},
      {"SELECT 1\vFROM t", Dialect::TSql, "unusual_whitespace"},
      {"SELECT 1\fFROM t", Dialect::SQLite, "unusual_whitespace"},
      {"SELECT\xC2\xA0" "1", Dialect::TSql, "unusual_whitespace"},
      {"SELECT 1\xE2\x80\xA8" "DELETE FROM t", Dialect::TSql, "unusual_whitespace"},
      {"SELECT 1 -- x\rDELETE FROM t", Dialect::TSql, "unusual_whitespace"},
      {"SELECT 1 -- x\xE2\x80\xA8" "DELETE FROM t", Dialect::SQLite, "unusual_whitespace"},
      {"\xEF\xBB\xBFSELECT 1", Dialect::SQLite, "unusual_whitespace"},
      {"SELECT 1\x01", Dialect::SQLite, "lex_error"},
  };
  for (const Case& c : cases) {
    LexResult r = lex(c.sql, c.d);
    EXPECT_EQ(r.error_rule, c.rule) << c.sql;
    EXPECT_TRUE(r.tokens.empty());
    EXPECT_FALSE(r.error.empty());
  }
  for (const char* bad : {"SELECT '\xC0\xA7'", "SELECT '\xED\xA0\x80'", "SELECT '\xE2\x80'", "SELECT '\xF5\x80\x80\x80'",
                          "SELECT '\x80'", "SELECT 1 \xEF\xBC\x9B DELETE", "SELECT \xE2\x80\x99x\xE2\x80\x99"}) {
    LexResult r = lex(bad, Dialect::TSql);
    EXPECT_EQ(r.error_rule, "lex_error") << bad;
  }
  // Valid multi-byte UTF-8 (2, 3 and 4 bytes) is fine, and look-alikes inside strings too.
  EXPECT_EQ(lex("SELECT '\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80\xE2\x80\x99'", Dialect::SQLite).error_rule, "");
  const std::string with_nul("SELECT 'a\0b'", 12);
  EXPECT_EQ(lex(with_nul, Dialect::SQLite).error_rule, "lex_error");
}

TEST(Lexer, OddCharactersInsideStringsAreFine) {
  EXPECT_EQ(texts("SELECT 'a\xC2\xA0" "b\vc' /* \xE2\x80\xA8 */", Dialect::TSql).size(), 2u);
}

// Lenient reading (schema text SQLite already stored): what strict mode refuses is read the way
// SQLite reads it, and nothing is refused.
std::vector<std::string> lenient(std::string_view sql, Dialect d) {
  LexResult r = lex(sql, d, {.lenient = true});
  EXPECT_EQ(r.error_rule, "") << sql;
  std::vector<std::string> out;
  for (const Token& t : r.tokens) out.emplace_back(sql.substr(t.begin, t.end - t.begin));
  return out;
}

TEST(Lexer, LenientModeReadsWhatStrictModeRefuses) {
  EXPECT_EQ(lenient("SELECT 'abc", Dialect::SQLite), (V{"SELECT", "'abc"}));     // runs to the end
  EXPECT_EQ(lenient("CREATE TABLE [t", Dialect::SQLite), (V{"CREATE", "TABLE", "[t"}));
  EXPECT_EQ(lenient("SELECT 1 /* open", Dialect::SQLite), (V{"SELECT", "1"}));
  EXPECT_EQ(lenient("SELECT 1DELETE FROM t", Dialect::SQLite), (V{"SELECT", "1", "DELETE", "FROM", "t"}));
  EXPECT_EQ(lenient("SELECT 1\vFROM\ft", Dialect::SQLite), (V{"SELECT", "1", "FROM", "t"}));
  EXPECT_EQ(lenient("SELECT 1\x01", Dialect::SQLite), (V{"SELECT", "1", "\x01"}));
  // Bytes >= 0x80 are name characters to SQLite, unusual spaces and invalid UTF-8 included.
  EXPECT_EQ(lenient("SELECT\xC2\xA0" "1 x", Dialect::SQLite), (V{"SELECT\xC2\xA0" "1", "x"}));
  EXPECT_EQ(lenient("SELECT '\x80', a\xFF", Dialect::SQLite), (V{"SELECT", "'\x80'", ",", "a\xFF"}));
  const std::string with_nul("SELECT 'a\0b'", 12);
  EXPECT_EQ(lenient(with_nul, Dialect::SQLite).size(), 2u);
  // Strict mode still refuses all of these.
  EXPECT_EQ(lex("SELECT 'abc", Dialect::SQLite).error_rule, "lex_error");
}

TEST(Lexer, MaxTokensStopsEarly) {
  LexResult r = lex("SELECT a, b FROM t", Dialect::SQLite, {.max_tokens = 2});
  ASSERT_EQ(r.tokens.size(), 2u);
  EXPECT_EQ(r.tokens[1].begin, 7u);
  // What lies beyond the last token read is not looked at.
  EXPECT_EQ(lex("SELECT 'abc", Dialect::TSql, {.max_tokens = 1}).error_rule, "");
}

TEST(Lexer, NextTokenAtSkipsWhitespaceCommentsAndOptionallySemicolons) {
  EXPECT_EQ(next_token_at("  -- x\n  SELECT", 0, Dialect::SQLite, false), 9u);
  EXPECT_EQ(next_token_at(";; /* c */ ;x", 0, Dialect::SQLite, true), 12u);
  EXPECT_EQ(next_token_at(";x", 0, Dialect::SQLite, false), 0u);
  EXPECT_EQ(next_token_at("a  b", 1, Dialect::SQLite, false), 3u);
  EXPECT_EQ(next_token_at(" ; /* open", 0, Dialect::SQLite, true), 10u);  // nothing left
  EXPECT_EQ(next_token_at("abc", 3, Dialect::SQLite, true), 3u);
  EXPECT_EQ(next_token_at("/* a /* b */ x */", 0, Dialect::TSql, false), 17u);  // T-SQL comments nest
}

}  // namespace
}  // namespace azsql::sql
