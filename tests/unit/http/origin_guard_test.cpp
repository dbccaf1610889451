#include "transport/http/origin_guard.hpp"

#include <gtest/gtest.h>

using namespace azsql::transport::http;

TEST(OriginGuard, HostHeaderParsing) {
  EXPECT_EQ(host_of_host_header("localhost:8000"), "localhost");
  EXPECT_EQ(host_of_host_header("LOCALHOST"), "localhost");
  EXPECT_EQ(host_of_host_header("[::1]:8000"), "::1");
  EXPECT_EQ(host_of_host_header("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(host_of_host_header(""), "");
  EXPECT_EQ(host_of_host_header("evil.com:80:90"), "");
  EXPECT_EQ(host_of_host_header("a b"), "");
  EXPECT_EQ(host_of_host_header("[::1"), "");
}

TEST(OriginGuard, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0.256"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.com"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
}

TEST(OriginGuard, LoopbackBindRefusesRebindingHosts) {
  GuardPolicy p;  // bound to 127.0.0.1
  EXPECT_TRUE(host_allowed("127.0.0.1:8000", p));
  EXPECT_TRUE(host_allowed("localhost:8000", p));
  EXPECT_TRUE(host_allowed("[::1]:8000", p));
  EXPECT_FALSE(host_allowed("attacker.example:8000", p));
  EXPECT_FALSE(host_allowed("", p));
  p.allowed_origins = {"https://app.example.com"};
  EXPECT_TRUE(host_allowed("app.example.com", p));
  EXPECT_FALSE(host_allowed("other.example.com", p));
}

TEST(OriginGuard, NonLoopbackBindAcceptsIpLiteralsAndListedNamesOnly) {
  GuardPolicy p;
  p.bind_host = "0.0.0.0";  // a container: reached by IP (probes, published ports) or by loopback
  EXPECT_TRUE(host_allowed("10.0.3.7:8000", p));
  EXPECT_TRUE(host_allowed("[fd00::7]:8000", p));
  EXPECT_TRUE(host_allowed("localhost:8000", p));
  EXPECT_FALSE(host_allowed("myserver.internal:8000", p));  // a DNS name could be rebound
  EXPECT_FALSE(host_allowed("10.0.3.7.evil.example", p));
  EXPECT_FALSE(host_allowed("bad host", p));
  p.allowed_hosts = {"MyServer.Internal"};
  EXPECT_TRUE(host_allowed("myserver.internal:8000", p));
  EXPECT_FALSE(host_allowed("other.internal", p));
  p.allowed_hosts = {"*"};
  EXPECT_TRUE(host_allowed("other.internal", p));
  EXPECT_FALSE(host_allowed("", p));
}

TEST(OriginGuard, LoopbackBindRefusesNonLoopbackIpsUnlessListed) {
  GuardPolicy p;  // bound to 127.0.0.1: only loopback names and the lists
  EXPECT_FALSE(host_allowed("10.0.3.7:8000", p));
  p.allowed_hosts = {"10.0.3.7"};
  EXPECT_TRUE(host_allowed("10.0.3.7:8000", p));
}

TEST(OriginGuard, IpLiterals) {
  EXPECT_TRUE(is_ip_literal("192.168.1.20"));
  EXPECT_TRUE(is_ip_literal("fe80::1"));
  EXPECT_FALSE(is_ip_literal("256.1.1.1"));
  EXPECT_FALSE(is_ip_literal("1.2.3"));
  EXPECT_FALSE(is_ip_literal("example.com"));
  EXPECT_FALSE(is_ip_literal(""));
}

TEST(OriginGuard, OriginNormalization) {
  EXPECT_EQ(normalize_origin("HTTP://LocalHost:80"), "http://localhost");
  EXPECT_EQ(normalize_origin("https://a.example.com:443/"), "https://a.example.com");
  EXPECT_EQ(normalize_origin("http://[::1]:3000"), "http://[::1]:3000");
  EXPECT_EQ(normalize_origin("null"), "");
  EXPECT_EQ(normalize_origin("file://"), "");
  EXPECT_EQ(normalize_origin("http://user@evil.com"), "");
  EXPECT_EQ(normalize_origin("http://evil.com/path"), "");
}

TEST(OriginGuard, Origins) {
  GuardPolicy p;
  EXPECT_TRUE(origin_allowed("", false, p));  // no Origin: non-browser client
  EXPECT_TRUE(origin_allowed("http://localhost:6274", true, p));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:3000", true, p));
  EXPECT_FALSE(origin_allowed("https://evil.example", true, p));
  EXPECT_FALSE(origin_allowed("null", true, p));
  EXPECT_FALSE(origin_allowed("", true, p));
  p.allowed_origins = {"https://app.example.com"};
  EXPECT_TRUE(origin_allowed("https://APP.example.com", true, p));
  EXPECT_FALSE(origin_allowed("http://app.example.com", true, p));  // scheme matters
  p.allowed_origins = {"*"};
  EXPECT_TRUE(origin_allowed("https://anything.example", true, p));
  EXPECT_FALSE(origin_allowed("null", true, p));
}
