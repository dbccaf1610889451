#include <gtest/gtest.h>

#include "sql/identifier.hpp"

namespace azsql::sql {
namespace {

TEST(ParseQualifiedName, BareNameAndSchema) {
  auto p = parse_qualified_name("Region", Dialect::SQLite);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->schema, "");
  EXPECT_EQ(p->name, "Region");
  p = parse_qualified_name("dbo.Article", Dialect::TSql);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->schema, "dbo");
  EXPECT_EQ(p->name, "Article");
  p = parse_qualified_name("  dbo.Article\n", Dialect::TSql);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "Article");
}

TEST(ParseQualifiedName, BracketsAndQuotesWithEscapes) {
  auto p = parse_qualified_name("[my schema].[a]]b]", Dialect::TSql);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->schema, "my schema");
  EXPECT_EQ(p->name, "a]b");
  p = parse_qualified_name("\"sch\"\"x\".\"t.1\"", Dialect::SQLite);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->schema, "sch\"x");
  EXPECT_EQ(p->name, "t.1");
  p = parse_qualified_name("[dbo].\"T\"", Dialect::TSql);  // mixed
  ASSERT_TRUE(p);
  EXPECT_EQ(p->schema, "dbo");
  EXPECT_EQ(p->name, "T");
  p = parse_qualified_name("`a``b`", Dialect::SQLite);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "a`b");
  p = parse_qualified_name("main.[x y]", Dialect::SQLite);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->schema, "main");
  EXPECT_EQ(p->name, "x y");
}

TEST(ParseQualifiedName, RejectsMalformed) {
  for (const char* bad : {"", "   ", "a.b.c", "[a].[b].[c]", "a.", ".a", "a..b", "[a", "\"a", "a b",
                          "a;DROP TABLE t", "a--", "[]", "\"\"", "a.[]", "[a]x", "t)", "a\tb"}) {
    EXPECT_FALSE(parse_qualified_name(bad, Dialect::TSql)) << bad;
    EXPECT_FALSE(parse_qualified_name(bad, Dialect::SQLite)) << bad;
  }
  // SQLite brackets have no escape: [a]]b] is [a] followed by garbage.
  EXPECT_FALSE(parse_qualified_name("[a]]b]", Dialect::SQLite));
  // T-SQL has no backtick quoting.
  EXPECT_FALSE(parse_qualified_name("`a`", Dialect::TSql));
  // Control characters inside quotes.
  EXPECT_FALSE(parse_qualified_name(std::string_view("[a\0b]", 5), Dialect::TSql));
  EXPECT_FALSE(parse_qualified_name("\"a\nb\"", Dialect::SQLite));
  // Invalid UTF-8 (it could not be quoted safely).
  EXPECT_FALSE(parse_qualified_name("\xE1", Dialect::SQLite));
  EXPECT_FALSE(parse_qualified_name("[a\xC0\xA7]", Dialect::TSql));
  EXPECT_TRUE(parse_qualified_name("\xC3\xA9t\xC3\xA9", Dialect::TSql));
  // Over-long T-SQL name (129 characters).
  EXPECT_FALSE(parse_qualified_name(std::string(129, 'x'), Dialect::TSql));
  EXPECT_TRUE(parse_qualified_name(std::string(128, 'x'), Dialect::TSql));
}

TEST(QuoteIdentifier, EscapesTheClosingQuote) {
  EXPECT_EQ(quote_identifier("Region", Dialect::TSql), "[Region]");
  EXPECT_EQ(quote_identifier("na]me", Dialect::TSql), "[na]]me]");
  EXPECT_EQ(quote_identifier("x]; DROP TABLE t --", Dialect::TSql), "[x]]; DROP TABLE t --]");
  EXPECT_EQ(quote_identifier("Region", Dialect::SQLite), "\"Region\"");
  EXPECT_EQ(quote_identifier("na\"me", Dialect::SQLite), "\"na\"\"me\"");
  EXPECT_EQ(quote_identifier("", Dialect::SQLite), "\"\"");
}

TEST(QuoteIdentifier, RoundTripsThroughParse) {
  for (const char* name : {"plain", "with space", "a]b", "a\"b", "a.b", "[x]", "Ωmega", "'q'"}) {
    for (Dialect d : {Dialect::TSql, Dialect::SQLite}) {
      const std::string q = quote_identifier(name, d);
      auto p = parse_qualified_name(q, d);
      ASSERT_TRUE(p) << q;
      EXPECT_EQ(p->name, name) << q;
      auto p2 = parse_qualified_name(quote_identifier("s.1", d) + "." + q, d);
      ASSERT_TRUE(p2) << q;
      EXPECT_EQ(p2->schema, "s.1");
      EXPECT_EQ(p2->name, name);
    }
  }
}

}  // namespace
}  // namespace azsql::sql
