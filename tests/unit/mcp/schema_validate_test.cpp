#include <gtest/gtest.h>

#include "mcp/schema_validate.hpp"

namespace azsql::mcp {
namespace {
namespace bj = boost::json;

bj::object schema() {
  return bj::parse(R"({"type":"object","additionalProperties":false,"required":["query"],
    "properties":{"query":{"type":"string","minLength":1,"maxLength":10},
                  "limit":{"type":"integer","minimum":1,"maximum":100},
                  "mode":{"type":"string","enum":["a","b"]},
                  "parameters":{"anyOf":[{"type":"array","maxItems":2},{"type":"object"}]}}})").as_object();
}

TEST(SchemaValidate, AcceptsValid) {
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","limit":5,"mode":"a","parameters":[1,2]})"), schema()), "");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","limit":5.0})"), schema()), "");
}

TEST(SchemaValidate, ReportsFirstViolationWithPath) {
  EXPECT_EQ(validate_schema(bj::parse(R"({})"), schema()), "arguments.query is required");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":1})"), schema()), "arguments.query must be a string");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","limit":0})"), schema()), "arguments.limit must be at least 1");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","limit":1.5})"), schema()), "arguments.limit must be an integer");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":""})"), schema()), "arguments.query must have at least 1 characters");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","mode":"c"})"), schema()), R"(arguments.mode must be one of "a", "b")");
  EXPECT_NE(validate_schema(bj::parse(R"({"query":"x","extra":1})"), schema()).find("unknown property 'extra'"),
            std::string::npos);
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","parameters":[1,2,3]})"), schema()),
            "arguments.parameters must have at most 2 items");
  EXPECT_EQ(validate_schema(bj::parse(R"({"query":"x","parameters":"s"})"), schema()),
            "arguments.parameters must be an array");
}

}  // namespace
}  // namespace azsql::mcp
