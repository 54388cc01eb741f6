// CheckOriginHeader: accepts canonical serializations with the right parts,
// refuses every other spelling, classifies the rest, and agrees with the
// full parse (kCanonical <=> CanonicalizeOrigin(v) == v) on a large corpus.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

struct Accepted {
  const char* value;
  Scheme scheme;
  const char* host;
  uint16_t port;
};

void PrintTo(const Accepted& a, std::ostream* os) { *os << a.value; }

class HeaderAcceptTest : public ::testing::TestWithParam<Accepted> {};

TEST_P(HeaderAcceptTest, CanonicalWithParts) {
  const Accepted& a = GetParam();
  OriginParts parts;
  ASSERT_EQ(CheckOriginHeader(a.value, &parts), HeaderCheck::kCanonical);
  EXPECT_EQ(parts.scheme, a.scheme);
  EXPECT_EQ(parts.host, a.host);
  EXPECT_EQ(parts.port, a.port);
  EXPECT_EQ(parts.serialized, a.value);
  // Views into the input, not copies.
  EXPECT_EQ(parts.serialized.data(), absl::string_view(a.value).data());
  // And the full parse agrees.
  absl::StatusOr<std::string> full = CanonicalizeOrigin(a.value);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(*full, a.value);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, HeaderAcceptTest,
    ::testing::Values(
        Accepted{"https://shop.customer-name.com", Scheme::kHttps,
                 "shop.customer-name.com", 0},
        Accepted{"http://a.com", Scheme::kHttp, "a.com", 0},
        Accepted{"ws://a.com:8080", Scheme::kWs, "a.com", 8080},
        Accepted{"wss://a.com:80", Scheme::kWss, "a.com", 80},
        Accepted{"ftp://a.com:2121", Scheme::kFtp, "a.com", 2121},
        Accepted{"https://a.com:1", Scheme::kHttps, "a.com", 1},
        Accepted{"https://a.com:65535", Scheme::kHttps, "a.com", 65535},
        Accepted{"http://a.com:443", Scheme::kHttp, "a.com", 443},
        Accepted{"https://example.com.", Scheme::kHttps, "example.com.", 0},
        Accepted{"https://xn--bcher-kva.de", Scheme::kHttps, "xn--bcher-kva.de",
                 0},
        Accepted{"https://xn--a.com", Scheme::kHttps, "xn--a.com", 0},
        Accepted{"https://my_app.example.com", Scheme::kHttps,
                 "my_app.example.com", 0},
        Accepted{"https://localhost:3000", Scheme::kHttps, "localhost", 3000},
        Accepted{"http://127.0.0.1:8080", Scheme::kHttp, "127.0.0.1", 8080},
        Accepted{"http://0.0.0.0", Scheme::kHttp, "0.0.0.0", 0},
        Accepted{"http://255.255.255.255", Scheme::kHttp, "255.255.255.255", 0},
        Accepted{"http://[::1]", Scheme::kHttp, "[::1]", 0},
        Accepted{"http://[::1]:8080", Scheme::kHttp, "[::1]", 8080},
        Accepted{"http://[2001:db8::ff00:42:8329]", Scheme::kHttp,
                 "[2001:db8::ff00:42:8329]", 0},
        Accepted{"http://[1:0:2:0:3:0:4:0]", Scheme::kHttp, "[1:0:2:0:3:0:4:0]",
                 0},
        Accepted{"http://a.0xg", Scheme::kHttp, "a.0xg", 0},
        Accepted{"http://1.2.3.a", Scheme::kHttp, "1.2.3.a", 0}));

class HeaderRejectTest : public ::testing::TestWithParam<const char*> {};

TEST_P(HeaderRejectTest, NotCanonical) {
  OriginParts parts;
  EXPECT_EQ(CheckOriginHeader(GetParam(), &parts), HeaderCheck::kNotCanonical);
}

// Every non-canonical spelling of a canonical origin.
INSTANTIATE_TEST_SUITE_P(
    Spellings, HeaderRejectTest,
    ::testing::Values(
        "HTTPS://shop.example.com", "Https://shop.example.com",
        "https://Shop.example.com", "https://shop.example.COM",
        "https://shop.example.com:443", "http://a.com:80", "ws://a.com:80",
        "wss://a.com:443", "ftp://a.com:21", "https://a.com:0443",
        "https://a.com:08443", "https://a.com:", "https://a.com/",
        "https://a.com/x", "https://a.com?", "https://a.com#",
        "https://u@a.com", "https://@a.com", "https://u:p@a.com",
        " https://a.com", "https://a.com ", "https://a.com\t",
        "https://a\t.com", "https://%61.com", "https://a%2ecom",
        "https://bücher.de", "https://a.com\\", "https:a.com", "https:/a.com",
        "https:///a.com", "https://", "https://:8443", "http://127.1",
        "http://127.0.0.1.", "http://127.000.0.1", "http://0x7f.0.0.1",
        "http://2130706433", "http://256.0.0.1", "http://1.2.3.4.5",
        "http://01.2.3.4", "http://a.1", "http://0x", "http://[0:0::1]",
        "http://[::0001]", "http://[::A]", "http://[0:0:0:0:0:0:0:1]",
        "http://[::ffff:1.2.3.4]", "http://[::1", "http://[::1]x",
        "http://[::1]:80", "https://a.com:0", "https://a.com:65536",
        "https://a.com:99999", "https://a.com:123456", "https://a<b.com",
        "https://a^b.com", "https://a|b.com", "https://a]b.com",
        "https://a\x7f.com", "blob:https://a.com", "https://a.com:80:80"));

TEST(HeaderCheckTest, Classification) {
  OriginParts parts;
  EXPECT_EQ(CheckOriginHeader("", &parts), HeaderCheck::kEmpty);
  EXPECT_EQ(CheckOriginHeader("null", &parts), HeaderCheck::kNull);
  EXPECT_EQ(CheckOriginHeader("NULL", &parts), HeaderCheck::kNotCanonical);
  EXPECT_EQ(CheckOriginHeader("null ", &parts), HeaderCheck::kNotCanonical);
  EXPECT_EQ(CheckOriginHeader("file://x", &parts),
            HeaderCheck::kUnsupportedScheme);
  EXPECT_EQ(CheckOriginHeader("chrome-extension://abc", &parts),
            HeaderCheck::kUnsupportedScheme);
  EXPECT_EQ(CheckOriginHeader("moz-extension://abc", &parts),
            HeaderCheck::kUnsupportedScheme);
  EXPECT_EQ(CheckOriginHeader("HTTP://a.com", &parts),
            HeaderCheck::kNotCanonical);
  EXPECT_EQ(CheckOriginHeader("data:x", &parts), HeaderCheck::kNotCanonical);
}

TEST(HeaderCheckTest, LengthBoundary) {
  OriginParts parts;
  const std::string prefix = "https://";
  const std::string at_limit =
      prefix + std::string(kMaxOriginBytes - prefix.size() - 4, 'a') + ".com";
  ASSERT_EQ(at_limit.size(), kMaxOriginBytes);
  EXPECT_EQ(CheckOriginHeader(at_limit, &parts), HeaderCheck::kCanonical);
  EXPECT_EQ(CheckOriginHeader(at_limit + "m", &parts), HeaderCheck::kTooLong);
}

// The contract, both ways: on a corpus of canonical origins and their
// one-byte mutations (replace, insert, delete), kCanonical holds exactly
// when the full parse gives the value back, except an explicit port 0,
// which the header check refuses by contract.
TEST(HeaderCheckTest, AgreesWithFullParseOnMutations) {
  const std::vector<std::string> seeds = {
      "https://shop.customer-name.com",
      "http://a.com:8080",
      "ws://x.y.z:1",
      "wss://example.com.",
      "ftp://f.com:2121",
      "http://127.0.0.1",
      "http://10.0.0.255:65535",
      "http://[::1]",
      "http://[1:0:0:2::3]:8080",
      "https://xn--bcher-kva.de",
      "https://a_b.c-d.e",
      "http://1.2.3.a",
      "https://a.com:443",
      "null",
  };
  const std::string alphabet =
      std::string("aAzZ09x.-_:/?#@[]%\\ \t\n\x7f\x01\xc3\xbc") + '\0';
  std::vector<std::string> corpus = seeds;
  for (const std::string& seed : seeds) {
    for (size_t i = 0; i <= seed.size(); ++i) {
      if (i < seed.size())
        corpus.push_back(seed.substr(0, i) + seed.substr(i + 1));
      for (char c : alphabet) {
        corpus.push_back(seed.substr(0, i) + c + seed.substr(i));
        if (i < seed.size()) {
          std::string replaced = seed;
          replaced[i] = c;
          corpus.push_back(replaced);
        }
      }
    }
  }
  int canonical = 0;
  for (const std::string& v : corpus) {
    OriginParts parts;
    const bool header = CheckOriginHeader(v, &parts) == HeaderCheck::kCanonical;
    absl::StatusOr<std::string> full = CanonicalizeOrigin(v);
    const bool port0 = v.size() >= 2 && v.substr(v.size() - 2) == ":0";
    const bool expected = full.ok() && *full == v && v != "null" && !port0;
    EXPECT_EQ(header, expected)
        << "value \"" << v << "\" full parse "
        << (full.ok() ? *full : full.status().ToString());
    canonical += header;
  }
  EXPECT_GT(canonical, 500);  // the corpus does exercise acceptance
}

}  // namespace
}  // namespace corsd::origin
