// IPv4 / IPv6 parsing and serialization (internal/ip_address.h): the URL
// standard's forms, and round trips over many addresses.
#include "service/origin/ip_address.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace corsd::origin::internal {
namespace {

std::string Ipv6Text(const Ipv6Pieces& pieces) {
  char text[kMaxIpv6TextBytes];
  return std::string(text, SerializeIpv6(pieces, text));
}

TEST(Ipv4Test, NumberForms) {
  uint32_t a = 0;
  ASSERT_EQ(ParseIpv4("127.1", &a), nullptr);
  EXPECT_EQ(a, 0x7f000001u);
  ASSERT_EQ(ParseIpv4("0x7F.0.0.1", &a), nullptr);
  EXPECT_EQ(a, 0x7f000001u);
  ASSERT_EQ(ParseIpv4("017700000001", &a), nullptr);
  EXPECT_EQ(a, 0x7f000001u);
  ASSERT_EQ(ParseIpv4("4294967295", &a), nullptr);
  EXPECT_EQ(a, 0xffffffffu);
  ASSERT_EQ(ParseIpv4("1.2.3.4.", &a), nullptr);
  EXPECT_EQ(a, 0x01020304u);
  EXPECT_NE(ParseIpv4("4294967296", &a), nullptr);
  EXPECT_NE(ParseIpv4("1.256.1", &a), nullptr);
  EXPECT_NE(ParseIpv4("1.2.3.4.5", &a), nullptr);
  EXPECT_NE(ParseIpv4("1..2", &a), nullptr);
  EXPECT_NE(ParseIpv4("08", &a), nullptr);
  EXPECT_NE(ParseIpv4("0x1g", &a), nullptr);
  EXPECT_NE(ParseIpv4("99999999999999999999999", &a), nullptr);
}

TEST(Ipv4Test, EndsInANumber) {
  EXPECT_TRUE(EndsInANumber("a.1"));
  EXPECT_TRUE(EndsInANumber("a.1."));
  EXPECT_TRUE(EndsInANumber("0x"));
  EXPECT_TRUE(EndsInANumber("a.0xff"));
  EXPECT_TRUE(EndsInANumber("09"));
  EXPECT_FALSE(EndsInANumber("a.0xg"));
  EXPECT_FALSE(EndsInANumber("1.a"));
  EXPECT_FALSE(EndsInANumber("."));
  EXPECT_FALSE(EndsInANumber("a.."));
  EXPECT_FALSE(EndsInANumber(""));
}

TEST(Ipv4Test, RoundTripsEveryByteValueInEveryPosition) {
  for (int position = 0; position < 4; ++position) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t address = 0x01020304u & ~(0xffu << (8 * position));
      const uint32_t value = address | (byte << (8 * position));
      const std::string text = SerializeIpv4(value);
      uint32_t parsed = 0;
      ASSERT_EQ(ParseIpv4(text, &parsed), nullptr) << text;
      EXPECT_EQ(parsed, value) << text;
    }
  }
}

TEST(Ipv6Test, SerializationCompressesFirstLongestZeroRun) {
  EXPECT_EQ(Ipv6Text({0, 0, 0, 0, 0, 0, 0, 0}), "::");
  EXPECT_EQ(Ipv6Text({0, 0, 0, 0, 0, 0, 0, 1}), "::1");
  EXPECT_EQ(Ipv6Text({1, 0, 0, 0, 0, 0, 0, 0}), "1::");
  EXPECT_EQ(Ipv6Text({1, 0, 0, 2, 0, 0, 0, 3}), "1:0:0:2::3");
  EXPECT_EQ(Ipv6Text({1, 0, 0, 2, 0, 0, 3, 4}), "1::2:0:0:3:4");
  EXPECT_EQ(Ipv6Text({1, 0, 2, 0, 3, 0, 4, 0}), "1:0:2:0:3:0:4:0");
  EXPECT_EQ(Ipv6Text({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
                      0xffff}),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(Ipv6Text({0xabcd, 0x0a, 0, 0, 0, 0, 0, 0x100}), "abcd:a::100");
}

TEST(Ipv6Test, ParseForms) {
  Ipv6Pieces p;
  ASSERT_EQ(ParseIpv6("::ffff:1.2.3.4", &p), nullptr);
  EXPECT_EQ(Ipv6Text(p), "::ffff:102:304");
  ASSERT_EQ(ParseIpv6("1:2:3:4:5:6:7:8", &p), nullptr);
  EXPECT_EQ(Ipv6Text(p), "1:2:3:4:5:6:7:8");
  ASSERT_EQ(ParseIpv6("0001:02::", &p), nullptr);
  EXPECT_EQ(Ipv6Text(p), "1:2::");
  for (const char* bad :
       {"", ":", ":1", "1:", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", "12345::", "::1.2.3", "::1.2.3.4.5", "::01.2.3.4",
        "::256.1.1.1", "1:2:3:4:5:6:7:1.2.3.4", "::g", "::1 "}) {
    EXPECT_NE(ParseIpv6(bad, &p), nullptr) << bad;
  }
}

TEST(Ipv6Test, RoundTripsRandomAddressesWithZeroRuns) {
  std::mt19937 rng(20261122);  // fixed seed: reproducible
  for (int i = 0; i < 20000; ++i) {
    Ipv6Pieces pieces;
    for (uint16_t& piece : pieces) {
      // Mostly zeros, so runs of every length and position occur.
      piece = rng() % 3 == 0 ? static_cast<uint16_t>(rng()) : 0;
    }
    const std::string text = Ipv6Text(pieces);
    Ipv6Pieces parsed;
    ASSERT_EQ(ParseIpv6(text, &parsed), nullptr) << text;
    EXPECT_EQ(parsed, pieces) << text;
    EXPECT_EQ(text.find(":::"), std::string::npos) << text;
    EXPECT_LE(text.size(), kMaxIpv6TextBytes);
  }
}

}  // namespace
}  // namespace corsd::origin::internal
