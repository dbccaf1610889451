#include <gtest/gtest.h>

#include "db/tds/connection_string.hpp"

using namespace azsql;
using namespace azsql::db::tds;

TEST(TdsConnectionString, ParsesAdoNetForm) {
  auto r = parse_connection_string(
      "Server=tcp:myserver.database.windows.net,1433;Initial Catalog=mydb;Persist Security Info=False;"
      "User ID=app;Password='p;a''ss';MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;"
      "Connection Timeout=30;Application Intent=ReadOnly;HostNameInCertificate=*.database.windows.net");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r->host, "myserver.database.windows.net");
  EXPECT_EQ(*r->port, 1433);
  EXPECT_EQ(*r->database, "mydb");
  EXPECT_EQ(*r->user, "app");
  EXPECT_EQ(*r->password, "p;a'ss");
  EXPECT_EQ(*r->encrypt, "yes");
  EXPECT_FALSE(*r->trust_server_certificate);
  EXPECT_EQ(*r->connect_timeout_s, 30);
  EXPECT_TRUE(*r->read_only_intent);
  EXPECT_EQ(*r->hostname_in_certificate, "*.database.windows.net");
  EXPECT_FALSE(r->auth_type.has_value());
}

TEST(TdsConnectionString, AuthenticationKinds) {
  auto r = parse_connection_string("Server=h;Authentication=Active Directory Managed Identity;User Id=cid;Encrypt=strict");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->auth_type, "managed_identity");
  EXPECT_EQ(*r->encrypt, "strict");
  EXPECT_EQ(*r->port, 1433);
  r = parse_connection_string("Data Source=h,14330;Authentication=ActiveDirectoryDefault");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->auth_type, "default_credential");
  EXPECT_EQ(*r->port, 14330);
  r = parse_connection_string("Server=h;Authentication=Active Directory Access Token");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->auth_type, "access_token");
  auto bad = parse_connection_string("Server=h;Authentication=Active Directory Interactive");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Authentication"), std::string::npos);
}

TEST(TdsConnectionString, RejectsBadValuesWithoutEchoingSecrets) {
  auto r = parse_connection_string("Server=h,99999;Password=hunter2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
  EXPECT_FALSE(parse_connection_string("Server=host\\SQLEXPRESS").ok());
  EXPECT_FALSE(parse_connection_string("Encrypt=maybe").ok());
  EXPECT_FALSE(parse_connection_string("Password='unterminated").ok());
  EXPECT_FALSE(parse_connection_string("just text").ok());
}

TEST(TdsConnectionString, ServerForms) {
  std::string h;
  std::uint16_t p;
  ASSERT_TRUE(parse_server("tcp:db.example.com,11001", h, p).ok());
  EXPECT_EQ(h, "db.example.com");
  EXPECT_EQ(p, 11001);
  ASSERT_TRUE(parse_server("127.0.0.1", h, p).ok());
  EXPECT_EQ(p, 1433);
  ASSERT_TRUE(parse_server("[::1],1444", h, p).ok());
  EXPECT_EQ(h, "::1");
  EXPECT_EQ(p, 1444);
  ASSERT_TRUE(parse_server("(local)", h, p).ok());
  EXPECT_EQ(h, "127.0.0.1");
}
