// CanonicalizeOrigin / CanonicalizeAdminOrigin: every canonicalization fact
// of PRODUCT.md as a table, boundaries as TEST_P, admin refusals.
#include "service/origin/origin.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd::origin {
namespace {

struct Case {
  const char* input;
  const char* want;  // nullptr: must be an error
};

void PrintTo(const Case& c, std::ostream* os) { *os << '"' << c.input << '"'; }

class CanonicalizeFactTest : public ::testing::TestWithParam<Case> {};

TEST_P(CanonicalizeFactTest, GivesTheStandardsOrigin) {
  const Case& c = GetParam();
  absl::StatusOr<std::string> got = CanonicalizeOrigin(c.input);
  if (c.want == nullptr) {
    EXPECT_FALSE(got.ok()) << "got " << *got;
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    }
  } else {
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

// Tuple schemes; blob takes the inner origin; every other scheme is "null".
INSTANTIATE_TEST_SUITE_P(
    Schemes, CanonicalizeFactTest,
    ::testing::Values(
        Case{"http://a.com", "http://a.com"},
        Case{"https://a.com", "https://a.com"},
        Case{"ws://a.com", "ws://a.com"}, Case{"wss://a.com", "wss://a.com"},
        Case{"ftp://a.com", "ftp://a.com"}, Case{"file:///etc/passwd", "null"},
        Case{"file://host/x", "null"}, Case{"data:text/plain,x", "null"},
        Case{"javascript:alert(1)", "null"}, Case{"mailto:a@b.com", "null"},
        Case{"chrome-extension://abc", "null"},
        Case{"blob:https://a.com/uuid", "https://a.com"},
        Case{"blob:http://a.com:8080/x", "http://a.com:8080"},
        Case{"blob:ws://a.com/x", "null"},
        Case{"blob:blob:https://a.com/", "null"}, Case{"blob:", "null"},
        Case{"a.com", nullptr}, Case{"//a.com", nullptr}, Case{"", nullptr}));

// Lowercasing, default ports, port range, leading zeros.
INSTANTIATE_TEST_SUITE_P(
    CaseAndPorts, CanonicalizeFactTest,
    ::testing::Values(Case{"HTTPS://EXAMPLE.COM", "https://example.com"},
                      Case{"HtTp://ExAmPlE.cOm", "http://example.com"},
                      Case{"http://a.com:80", "http://a.com"},
                      Case{"https://a.com:443", "https://a.com"},
                      Case{"ws://a.com:80", "ws://a.com"},
                      Case{"wss://a.com:443", "wss://a.com"},
                      Case{"ftp://a.com:21", "ftp://a.com"},
                      Case{"http://a.com:443", "http://a.com:443"},
                      Case{"https://a.com:80", "https://a.com:80"},
                      Case{"https://a.com:0443", "https://a.com"},
                      Case{"https://a.com:00000000000000008443",
                           "https://a.com:8443"},
                      Case{"https://a.com:", "https://a.com"},
                      Case{"https://a.com:65536", nullptr},
                      Case{"https://a.com:99999", nullptr},
                      Case{"https://a.com:-1", nullptr},
                      Case{"https://a.com:8a", nullptr}));

// Whitespace: C0 and space trimmed at the ends; tab, LF, CR removed inside.
INSTANTIATE_TEST_SUITE_P(
    Whitespace, CanonicalizeFactTest,
    ::testing::Values(Case{"  https://a.com  ", "https://a.com"},
                      Case{"\x01\x1fhttps://a.com\x00", "https://a.com"},
                      Case{"ht\ttps://a.\nco\rm", "https://a.com"},
                      Case{"https://a.com:8\t443", "https://a.com:8443"},
                      Case{"https://a b.com", nullptr},
                      Case{"https://a\x01.com", nullptr}));

// Domains: percent-decoding, UTS 46 non-transitional, forbidden points.
INSTANTIATE_TEST_SUITE_P(
    Domains, CanonicalizeFactTest,
    ::testing::Values(
        Case{"https://bücher.de", "https://xn--bcher-kva.de"},
        Case{"https://BÜCHER.de", "https://xn--bcher-kva.de"},
        Case{"https://faß.de", "https://xn--fa-hia.de"},
        Case{"https://%62%C3%BCcher.de", "https://xn--bcher-kva.de"},
        Case{"https://xn--bcher-kva.de", "https://xn--bcher-kva.de"},
        Case{"https://ex%41mple.com", "https://example.com"},
        Case{"https://a%2Fb.com", nullptr}, Case{"https://a%00.com", nullptr},
        Case{"https://a<b.com", nullptr}, Case{"https://a^b.com", nullptr},
        Case{"https://a|b.com", nullptr}, Case{"https://a%25.com", nullptr},
        Case{"https://\xEF\xBF\xBD.com", nullptr},
        Case{"https://a_b.com", "https://a_b.com"}, Case{"https://", nullptr},
        Case{"https:///a.com", "https://a.com"},
        Case{"https:a.com", "https://a.com"},
        Case{"https:\\\\a.com\\x", "https://a.com"}));

// IPv4 number forms and IPv6 compression.
INSTANTIATE_TEST_SUITE_P(
    IpAddresses, CanonicalizeFactTest,
    ::testing::Values(
        Case{"http://127.1", "http://127.0.0.1"},
        Case{"http://0x7f.1", "http://127.0.0.1"},
        Case{"http://2130706433", "http://127.0.0.1"},
        Case{"http://0177.0.0.1", "http://127.0.0.1"},
        Case{"http://127.0.0.1.", "http://127.0.0.1"},
        Case{"http://0x", "http://0.0.0.0"},
        Case{"http://255.255.255.255", "http://255.255.255.255"},
        Case{"http://256.0.0.1", nullptr}, Case{"http://1.2.3.4.5", nullptr},
        Case{"http://4294967296", nullptr}, Case{"http://1.2.65536", nullptr},
        Case{"http://1.2.65535", "http://1.2.255.255"},
        Case{"http://a.1", nullptr}, Case{"http://09", nullptr},
        Case{"http://1.0x", "http://1.0.0.0"},
        Case{"http://a.0xg", "http://a.0xg"},
        Case{"http://[0:0::1]", "http://[::1]"},
        Case{"http://[0:0:0:0:0:0:0:1]", "http://[::1]"},
        Case{"http://[::]", "http://[::]"},
        Case{"http://[1:0:0:2:0:0:0:3]", "http://[1:0:0:2::3]"},
        Case{"http://[1:0:0:2:0:0:3:4]", "http://[1::2:0:0:3:4]"},
        Case{"http://[1:0:2:0:3:0:4:0]", "http://[1:0:2:0:3:0:4:0]"},
        Case{"http://[ABCD::]", "http://[abcd::]"},
        Case{"http://[::ffff:1.2.3.4]", "http://[::ffff:102:304]"},
        Case{"http://[::1]:8080", "http://[::1]:8080"},
        Case{"http://[::1", nullptr}, Case{"http://[1:::2]", nullptr},
        Case{"http://[1:2:3:4:5:6:7:8:9]", nullptr},
        Case{"http://[::1.2.3.256]", nullptr}, Case{"http://[:1]", nullptr},
        Case{"http://[1:]", nullptr}));

// Trailing dot kept; userinfo, path, query, fragment dropped.
INSTANTIATE_TEST_SUITE_P(
    Parts, CanonicalizeFactTest,
    ::testing::Values(
        Case{"https://example.com.", "https://example.com."},
        Case{"https://example.com./x", "https://example.com."},
        Case{"https://app.example.com@evil.com", "https://evil.com"},
        Case{"https://u:p@a.com:8443/p?q#f", "https://a.com:8443"},
        Case{"https://a.com/path?q=1#frag", "https://a.com"},
        Case{"https://a.com?x", "https://a.com"},
        Case{"https://a.com#x", "https://a.com"},
        Case{"https://@a.com", "https://a.com"}, Case{"https://u@", nullptr},
        Case{"https://:443", nullptr}));

TEST(CanonicalizeOriginTest, InputLengthLimit) {
  const std::string host(8192 - 12, 'a');
  EXPECT_TRUE(CanonicalizeOrigin(absl::StrCat("https://", host, ".com")).ok());
  absl::StatusOr<std::string> too_long =
      CanonicalizeOrigin(absl::StrCat("https://", host, ".coma"));
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("8192"), std::string::npos);
}

TEST(CanonicalizeOriginTest, InvalidUtf8IsAnError) {
  EXPECT_FALSE(CanonicalizeOrigin("https://a\xff.com").ok());
  EXPECT_FALSE(CanonicalizeOrigin("https://a\xc3.com").ok());
}

TEST(CanonicalizeOriginTest, ErrorsNameThePartAndValue) {
  absl::StatusOr<std::string> port = CanonicalizeOrigin("https://a.com:99999");
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.status().message(),
            "port \"99999\" is out of range (0-65535)");
  absl::StatusOr<std::string> host = CanonicalizeOrigin("https://ex ample.com");
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.status().message(),
            "host \"ex ample.com\" contains forbidden code point U+0020");
}

class PortBoundaryTest
    : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(PortBoundaryTest, Port) {
  const auto& [port, want] = GetParam();
  absl::StatusOr<std::string> got =
      CanonicalizeOrigin(absl::StrCat("http://a.com:", port));
  if (want == nullptr) {
    EXPECT_FALSE(got.ok()) << port;
  } else {
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, PortBoundaryTest,
    ::testing::Values(std::make_pair("0", "http://a.com:0"),
                      std::make_pair("1", "http://a.com:1"),
                      std::make_pair("79", "http://a.com:79"),
                      std::make_pair("80", "http://a.com"),
                      std::make_pair("81", "http://a.com:81"),
                      std::make_pair("65535", "http://a.com:65535"),
                      std::make_pair("065535", "http://a.com:65535"),
                      std::make_pair("65536", nullptr),
                      std::make_pair("4294967376", nullptr)));

class Ipv4PartTest : public ::testing::TestWithParam<int> {};

TEST_P(Ipv4PartTest, EachPartUpTo255) {
  const int v = GetParam();
  for (int position = 0; position < 3; ++position) {
    std::string parts[4] = {"1", "2", "3", "4"};
    parts[position] = absl::StrCat(v);
    const std::string host =
        absl::StrCat(parts[0], ".", parts[1], ".", parts[2], ".", parts[3]);
    absl::StatusOr<std::string> got = CanonicalizeOrigin("http://" + host);
    if (v <= 255) {
      ASSERT_TRUE(got.ok()) << host << ": " << got.status();
      EXPECT_EQ(*got, "http://" + host);
    } else {
      EXPECT_FALSE(got.ok()) << host;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Boundaries, Ipv4PartTest,
                         ::testing::Values(0, 1, 254, 255, 256, 999));

struct AdminCase {
  const char* input;
  const char* want;          // nullptr: refused
  const char* message_part;  // for refusals: a substring of the message
};

void PrintTo(const AdminCase& c, std::ostream* os) {
  *os << '"' << c.input << '"';
}

class AdminOriginTest : public ::testing::TestWithParam<AdminCase> {};

TEST_P(AdminOriginTest, AcceptsOriginsRefusesTheRest) {
  const AdminCase& c = GetParam();
  absl::StatusOr<std::string> got = CanonicalizeAdminOrigin(c.input);
  if (c.want != nullptr) {
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  } else {
    ASSERT_FALSE(got.ok()) << "got " << *got;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(c.message_part), std::string::npos)
        << got.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, AdminOriginTest,
    ::testing::Values(AdminCase{"https://Shop.Example.com:443",
                                "https://shop.example.com", nullptr},
                      AdminCase{"https://shop.example.com/",
                                "https://shop.example.com", nullptr},
                      AdminCase{"https://a.com/x/..", "https://a.com", nullptr},
                      AdminCase{"https://a.com@evil.com", nullptr, "userinfo"},
                      AdminCase{"https://user:pw@a.com", nullptr, "userinfo"},
                      AdminCase{"https://:@a.com", nullptr, "userinfo"},
                      AdminCase{"https://a.com/app", nullptr, "path"},
                      AdminCase{"https://a.com//", nullptr, "path"},
                      AdminCase{"https://a.com?x=1", nullptr, "query"},
                      AdminCase{"https://a.com/?", nullptr, "query"},
                      AdminCase{"https://a.com#top", nullptr, "fragment"},
                      AdminCase{"file:///x", nullptr, "opaque"},
                      AdminCase{"data:text/html,hi", nullptr, "opaque"},
                      AdminCase{"null", nullptr, "scheme"},
                      AdminCase{"blob:https://a.com/x", nullptr, "blob"},
                      AdminCase{"https://a.com:0", nullptr, "port 0"},
                      AdminCase{"https://a.com:65536", nullptr, "port"},
                      AdminCase{"https://a b.com", nullptr, "U+0020"}));

TEST(SchemeTest, NamesAndDefaultPorts) {
  EXPECT_EQ(SchemeName(Scheme::kHttp), "http");
  EXPECT_EQ(SchemeName(Scheme::kHttps), "https");
  EXPECT_EQ(SchemeName(Scheme::kWs), "ws");
  EXPECT_EQ(SchemeName(Scheme::kWss), "wss");
  EXPECT_EQ(SchemeName(Scheme::kFtp), "ftp");
  EXPECT_EQ(DefaultPort(Scheme::kHttp), 80);
  EXPECT_EQ(DefaultPort(Scheme::kHttps), 443);
  EXPECT_EQ(DefaultPort(Scheme::kWs), 80);
  EXPECT_EQ(DefaultPort(Scheme::kWss), 443);
  EXPECT_EQ(DefaultPort(Scheme::kFtp), 21);
}

TEST(SchemeTest, HeaderCheckNames) {
  EXPECT_EQ(HeaderCheckName(HeaderCheck::kCanonical), "canonical");
  EXPECT_EQ(HeaderCheckName(HeaderCheck::kNull), "null");
  EXPECT_EQ(HeaderCheckName(HeaderCheck::kEmpty), "empty");
  EXPECT_EQ(HeaderCheckName(HeaderCheck::kTooLong), "too_long");
  EXPECT_EQ(HeaderCheckName(HeaderCheck::kUnsupportedScheme),
            "unsupported_scheme");
  EXPECT_EQ(HeaderCheckName(HeaderCheck::kNotCanonical), "not_canonical");
}

}  // namespace
}  // namespace corsd::origin
