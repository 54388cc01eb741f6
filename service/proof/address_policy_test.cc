// The SSRF rule as a table: the first, last and a middle address of every
// refused range with the range it is refused by, the public neighbours just
// outside them, and public addresses of both families.
#include "service/proof/address_policy.h"

#include <arpa/inet.h>

#include <ostream>
#include <string>

#include "gtest/gtest.h"

namespace corsd::proof {
namespace {

// "192.0.2.1" or "2001:db8::1" as an IpAddress; fails the test when it is
// neither.
dns::IpAddress Parse(const std::string& text) {
  dns::IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) return a;
  a.v6 = true;
  EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), a.bytes.data()), 1) << text;
  return a;
}

struct Case {
  std::string address;
  std::string range;  // "" when public
};

std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.address;
}

class AddressPolicyTest : public testing::TestWithParam<Case> {};

TEST_P(AddressPolicyTest, Judges) {
  const Case& c = GetParam();
  std::string range = "(untouched)";
  const bool public_address = IsPublicAddress(Parse(c.address), &range);
  if (c.range.empty()) {
    EXPECT_TRUE(public_address) << "refused as " << range;
    EXPECT_EQ(range, "(untouched)");
  } else {
    EXPECT_FALSE(public_address);
    EXPECT_EQ(range, c.range);
  }
  // The range is optional.
  EXPECT_EQ(IsPublicAddress(Parse(c.address), nullptr), public_address);
}

INSTANTIATE_TEST_SUITE_P(
    V4Refused, AddressPolicyTest,
    testing::Values(Case{"0.0.0.0", "unspecified 0.0.0.0/8"},
                    Case{"0.255.255.255", "unspecified 0.0.0.0/8"},
                    Case{"10.0.0.0", "private 10.0.0.0/8"},
                    Case{"10.1.2.3", "private 10.0.0.0/8"},
                    Case{"10.255.255.255", "private 10.0.0.0/8"},
                    Case{"100.64.0.0", "CGNAT 100.64.0.0/10"},
                    Case{"100.127.255.255", "CGNAT 100.64.0.0/10"},
                    Case{"127.0.0.1", "loopback 127.0.0.0/8"},
                    Case{"127.255.255.254", "loopback 127.0.0.0/8"},
                    Case{"169.254.169.254", "link-local 169.254.0.0/16"},
                    Case{"169.254.0.0", "link-local 169.254.0.0/16"},
                    Case{"172.16.0.0", "private 172.16.0.0/12"},
                    Case{"172.31.255.255", "private 172.16.0.0/12"},
                    Case{"192.0.0.8", "IETF protocol assignments 192.0.0.0/24"},
                    Case{"192.0.2.1", "documentation 192.0.2.0/24"},
                    Case{"192.168.0.1", "private 192.168.0.0/16"},
                    Case{"192.168.255.255", "private 192.168.0.0/16"},
                    Case{"198.18.0.0", "benchmark 198.18.0.0/15"},
                    Case{"198.19.255.255", "benchmark 198.18.0.0/15"},
                    Case{"198.51.100.7", "documentation 198.51.100.0/24"},
                    Case{"203.0.113.200", "documentation 203.0.113.0/24"},
                    Case{"224.0.0.1", "multicast 224.0.0.0/4"},
                    Case{"239.255.255.255", "multicast 224.0.0.0/4"},
                    Case{"240.0.0.1", "reserved and broadcast 240.0.0.0/4"},
                    Case{"255.255.255.255",
                         "reserved and broadcast 240.0.0.0/4"}));

INSTANTIATE_TEST_SUITE_P(
    V4Public, AddressPolicyTest,
    testing::Values(Case{"8.8.8.8", ""}, Case{"1.1.1.1", ""},
                    Case{"1.0.0.0", ""}, Case{"9.255.255.255", ""},
                    Case{"11.0.0.0", ""}, Case{"100.63.255.255", ""},
                    Case{"100.128.0.0", ""}, Case{"126.255.255.255", ""},
                    Case{"128.0.0.0", ""}, Case{"169.253.255.255", ""},
                    Case{"169.255.0.0", ""}, Case{"172.15.255.255", ""},
                    Case{"172.32.0.0", ""}, Case{"192.0.1.255", ""},
                    Case{"192.0.3.0", ""}, Case{"192.167.255.255", ""},
                    Case{"192.169.0.0", ""}, Case{"198.17.255.255", ""},
                    Case{"198.20.0.0", ""}, Case{"198.51.99.255", ""},
                    Case{"198.51.101.0", ""}, Case{"203.0.112.255", ""},
                    Case{"203.0.114.0", ""}, Case{"223.255.255.255", ""}));

INSTANTIATE_TEST_SUITE_P(
    V6Refused, AddressPolicyTest,
    testing::Values(
        Case{"::", "unspecified ::"}, Case{"::1", "loopback ::1"},
        Case{"fc00::", "unique local fc00::/7"},
        Case{"fd12:3456::1", "unique local fc00::/7"},
        Case{"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
             "unique local fc00::/7"},
        Case{"fe80::1", "link-local fe80::/10"},
        Case{"febf:ffff::1", "link-local fe80::/10"},
        Case{"ff02::1", "multicast ff00::/8"},
        Case{"ff0e::101", "multicast ff00::/8"},
        Case{"2001:db8::1", "documentation 2001:db8::/32"},
        Case{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
             "documentation 2001:db8::/32"},
        Case{"2001::1", "Teredo 2001::/32"},
        // IPv4 carried in IPv6, judged by the IPv4 address.
        Case{"::ffff:127.0.0.1",
             "IPv4-mapped ::ffff:0:0/96 carrying loopback 127.0.0.0/8"},
        Case{"::ffff:10.0.0.1",
             "IPv4-mapped ::ffff:0:0/96 carrying private 10.0.0.0/8"},
        Case{"::ffff:169.254.169.254",
             "IPv4-mapped ::ffff:0:0/96 carrying link-local 169.254.0.0/16"},
        Case{"64:ff9b::7f00:1",
             "NAT64 64:ff9b::/96 carrying loopback 127.0.0.0/8"},
        Case{"64:ff9b::c0a8:101",
             "NAT64 64:ff9b::/96 carrying private 192.168.0.0/16"},
        Case{"2002:7f00:1::", "6to4 2002::/16 carrying loopback 127.0.0.0/8"},
        Case{"2002:a00:1::1", "6to4 2002::/16 carrying private 10.0.0.0/8"},
        // Outside global unicast.
        Case{"fec0::1", "outside global unicast 2000::/3"},
        Case{"100::1", "outside global unicast 2000::/3"},
        Case{"::127.0.0.1", "outside global unicast 2000::/3"},
        Case{"::8.8.8.8", "outside global unicast 2000::/3"},
        Case{"64:ff9b:1::1", "outside global unicast 2000::/3"},
        Case{"4000::1", "outside global unicast 2000::/3"},
        Case{"1fff:ffff::1", "outside global unicast 2000::/3"}));

INSTANTIATE_TEST_SUITE_P(
    V6Public, AddressPolicyTest,
    testing::Values(Case{"2606:4700::1111", ""},
                    Case{"2001:4860:4860::8888", ""},
                    Case{"2a00:1450:4001::1", ""}, Case{"2000::1", ""},
                    Case{"3fff:ffff::1", ""}, Case{"2001:1::1", ""},
                    Case{"2001:db7:ffff::1", ""}, Case{"2001:db9::1", ""},
                    Case{"::ffff:8.8.8.8", ""}, Case{"64:ff9b::101:101", ""},
                    Case{"2002:808:808::1", ""}));

}  // namespace
}  // namespace corsd::proof
