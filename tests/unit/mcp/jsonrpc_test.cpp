#include <gtest/gtest.h>

#include "jsonrpc/message.hpp"

namespace azsql::jsonrpc {
namespace {
namespace bj = boost::json;

TEST(JsonRpc, Classifies) {
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","id":1,"method":"x"})")), MessageType::Request);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","method":"x"})")), MessageType::Notification);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})")), MessageType::Response);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"1.0","id":1,"method":"x"})")), MessageType::Invalid);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","id":null,"method":"x"})")), MessageType::Invalid);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","id":1.5,"method":"x"})")), MessageType::Invalid);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","id":1,"method":7})")), MessageType::Invalid);
  EXPECT_EQ(classify(bj::parse(R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})")), MessageType::Invalid);
  EXPECT_EQ(classify(bj::parse(R"([1])")), MessageType::Invalid);
}

TEST(JsonRpc, ParseRejectsGarbageAndDeepNesting) {
  std::string err;
  EXPECT_FALSE(parse("{", &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(parse(std::string(1000, '[') + std::string(1000, ']')));
  EXPECT_TRUE(parse(R"({"a":[1,2,{"b":null}]})"));
}

TEST(JsonRpc, BuildsErrors) {
  auto e = make_error(bj::value(7), -32601, "nope", bj::value("d"));
  EXPECT_EQ(bj::serialize(e), R"({"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"nope","data":"d"}})");
}

}  // namespace
}  // namespace azsql::jsonrpc
