#include "domain/throttle/client_address.h"

#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace mneme::domain::throttle {
namespace {

std::string Canonical(std::string_view text) {
  Result<IpAddress> ip = IpAddress::Parse(text);
  return ip ? ip->ToString() : "invalid";
}

std::vector<Cidr> Ranges(const std::vector<std::string>& texts) {
  std::vector<Cidr> out;
  for (const std::string& text : texts) {
    Result<Cidr> cidr = Cidr::Parse(text);
    EXPECT_TRUE(cidr.has_value()) << text;
    if (cidr) {
      out.push_back(*cidr);
    }
  }
  return out;
}

TEST(IpAddressTest, ParsesToCanonicalText) {
  EXPECT_EQ(Canonical("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(Canonical("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(Canonical("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(Canonical("2001:0db8::0001"), "2001:db8::1");
  EXPECT_EQ(Canonical("::"), "::");
  EXPECT_EQ(Canonical("::1"), "::1");
  EXPECT_EQ(Canonical("1::"), "1::");
  EXPECT_EQ(Canonical("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  EXPECT_EQ(Canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  EXPECT_EQ(Canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");  // no :: for one group
  EXPECT_EQ(Canonical("::ffff:192.0.2.1"), "192.0.2.1");                  // dual-stack peer
  EXPECT_EQ(Canonical("::ffff:c000:0201"), "192.0.2.1");
  EXPECT_EQ(Canonical("64:ff9b::192.0.2.1"), "64:ff9b::c000:201");
}

TEST(IpAddressTest, RejectsWhatIsNotABareAddress) {
  for (const char* bad : {"", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4 ",
                          "1::2::3", ":::", ":1::", "1::2:", "12345::", "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7", "fe80::1%eth0", "::1.2.3.4.5",
                          "1.2.3.4::", "g::1", "unknown", "[::1]", "1.2.3.4:80"}) {
    EXPECT_THAT(IpAddress::Parse(bad), testing::HasCode(Code::kInvalidArgument)) << bad;
  }
}

TEST(CidrTest, ParsesRangesAndHosts) {
  Result<Cidr> ten = Cidr::Parse("10.0.0.0/8");
  ASSERT_THAT(ten, testing::IsOk());
  EXPECT_TRUE(ten->Contains("10.255.1.2"));
  EXPECT_TRUE(ten->Contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(ten->Contains("11.0.0.1"));
  EXPECT_FALSE(ten->Contains("::a00:1"));
  EXPECT_FALSE(ten->Contains("not an ip"));

  Result<Cidr> host = Cidr::Parse("127.0.0.1");
  ASSERT_THAT(host, testing::IsOk());
  EXPECT_EQ(host->ToString(), "127.0.0.1/32");
  EXPECT_TRUE(host->Contains("127.0.0.1"));
  EXPECT_FALSE(host->Contains("127.0.0.2"));

  Result<Cidr> loopback6 = Cidr::Parse("::1/128");
  ASSERT_THAT(loopback6, testing::IsOk());
  EXPECT_TRUE(loopback6->Contains("0:0::1"));
  EXPECT_FALSE(loopback6->Contains("::2"));
  EXPECT_EQ(Cidr::Parse("::1")->ToString(), "::1/128");

  EXPECT_EQ(Cidr::Parse("10.1.2.3/8")->ToString(), "10.0.0.0/8");  // host bits cleared
  EXPECT_EQ(Cidr::Parse("fd12:3456::1/8")->ToString(), "fd00::/8");
  EXPECT_EQ(Cidr::Parse("172.16.0.0/12")->Contains("172.31.255.255"), true);
  EXPECT_EQ(Cidr::Parse("172.16.0.0/12")->Contains("172.32.0.0"), false);
  EXPECT_EQ(Cidr::Parse("::ffff:10.0.0.0/104")->ToString(), "10.0.0.0/8");
  EXPECT_TRUE(Cidr::Parse("::/0")->Contains("192.0.2.1"));
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains("192.0.2.1"));
  EXPECT_FALSE(Cidr::Parse("0.0.0.0/0")->Contains("2001:db8::1"));

  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08",
                          "x/8", "/8", "10.0.0.0/8/8", ""}) {
    EXPECT_THAT(Cidr::Parse(bad), testing::HasCode(Code::kInvalidArgument)) << bad;
  }
}

// Checklist 22: X-Forwarded-For from an untrusted client is ignored.
TEST(ClientAddressTest, ForwardedForFromUntrustedClientIsIgnored) {
  std::vector<Cidr> trusted = Ranges({"10.0.0.0/8"});
  EXPECT_EQ(ClientAddress("203.0.113.7", "1.2.3.4", trusted), "203.0.113.7");
  EXPECT_EQ(ClientAddress("203.0.113.7", "10.0.0.1", trusted), "203.0.113.7");
  EXPECT_EQ(ClientAddress("203.0.113.7", "1.2.3.4", {}), "203.0.113.7");  // no proxies configured
}

TEST(ClientAddressTest, TrustedProxyChainIsHonoured) {
  std::vector<Cidr> trusted = Ranges({"10.0.0.0/8", "fd00::/8"});
  EXPECT_EQ(ClientAddress("10.0.0.2", "198.51.100.9", trusted), "198.51.100.9");
  EXPECT_EQ(ClientAddress("10.0.0.2", "198.51.100.9, 10.0.0.5", trusted), "198.51.100.9");
  EXPECT_EQ(ClientAddress("fd00::2", "2001:db8::9,fd00::7,10.0.0.5", trusted), "2001:db8::9");
  // The client prepended a spoofed hop; only what the proxies appended counts.
  EXPECT_EQ(ClientAddress("10.0.0.2", "6.6.6.6, 198.51.100.9, 10.0.0.5", trusted), "198.51.100.9");
  EXPECT_EQ(ClientAddress("10.0.0.2", "10.9.9.9, 198.51.100.9", trusted), "198.51.100.9");
  // A dual-stack socket reports the proxy as an IPv4-mapped address.
  EXPECT_EQ(ClientAddress("::ffff:10.0.0.2", "198.51.100.9", trusted), "198.51.100.9");
}

TEST(ClientAddressTest, EdgeCasesOfTheWalk) {
  std::vector<Cidr> trusted = Ranges({"10.0.0.0/8"});
  // Nothing forwarded, or only trusted hops: the leftmost trusted hop.
  EXPECT_EQ(ClientAddress("10.0.0.2", "", trusted), "10.0.0.2");
  EXPECT_EQ(ClientAddress("10.0.0.2", "10.0.0.3, 10.0.0.4", trusted), "10.0.0.3");
  // Garbage ends the walk at the trusted hop that handed it over.
  EXPECT_EQ(ClientAddress("10.0.0.2", "unknown", trusted), "10.0.0.2");
  EXPECT_EQ(ClientAddress("10.0.0.2", "6.6.6.6, garbage, 10.0.0.5", trusted), "10.0.0.5");
  EXPECT_EQ(ClientAddress("10.0.0.2", "6.6.6.6, 01.2.3.4", trusted), "10.0.0.2");
  // Empty entries carry no claim.
  EXPECT_EQ(ClientAddress("10.0.0.2", "198.51.100.9,, ,", trusted), "198.51.100.9");
  // Ports and brackets, as some proxies write them; results are canonical.
  EXPECT_EQ(ClientAddress("10.0.0.2", "198.51.100.9:5555", trusted), "198.51.100.9");
  EXPECT_EQ(ClientAddress("10.0.0.2", "[2001:DB8::0:9]:443", trusted), "2001:db8::9");
  EXPECT_EQ(ClientAddress("10.0.0.2", "[2001:db8::9]", trusted), "2001:db8::9");
  EXPECT_EQ(ClientAddress("10.0.0.2", "[198.51.100.9]", trusted), "10.0.0.2");
  EXPECT_EQ(ClientAddress("10.0.0.2", "198.51.100.9:http", trusted), "10.0.0.2");
  EXPECT_EQ(ClientAddress("2001:0db8::1", "", trusted), "2001:db8::1");
  // Not an IP peer (a unix socket): as given.
  EXPECT_EQ(ClientAddress("", "198.51.100.9", trusted), "");
}

TEST(ClientAddressTest, RateLimitKeyGroupsAnIpv6Subscriber) {
  EXPECT_EQ(RateLimitKey("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(RateLimitKey("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimitKey("2001:db8:1:2::ffff"), RateLimitKey("2001:db8:1:2:aaaa::1"));
  EXPECT_EQ(RateLimitKey("::1"), "::/64");
  EXPECT_EQ(RateLimitKey("not-an-ip"), "not-an-ip");
}

}  // namespace
}  // namespace mneme::domain::throttle
