// ParseWildcard, Wildcard::Serialize and CanonicalizeHost.
#include <string>

#include "gtest/gtest.h"
#include "service/origin/origin.h"

namespace corsd::origin {
namespace {

struct WildcardCase {
  const char* input;
  const char* serialized;  // nullptr: refused
  const char* message_part;
};

void PrintTo(const WildcardCase& c, std::ostream* os) { *os << c.input; }

class ParseWildcardTest : public ::testing::TestWithParam<WildcardCase> {};

TEST_P(ParseWildcardTest, Parses) {
  const WildcardCase& c = GetParam();
  absl::StatusOr<Wildcard> got = ParseWildcard(c.input);
  if (c.serialized != nullptr) {
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->Serialize(), c.serialized);
    // Serialize() is a fixed point of ParseWildcard.
    absl::StatusOr<Wildcard> again = ParseWildcard(got->Serialize());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->Serialize(), c.serialized);
  } else {
    ASSERT_FALSE(got.ok()) << "got " << got->Serialize();
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(c.message_part), std::string::npos)
        << got.status().message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseWildcardTest,
    ::testing::Values(
        WildcardCase{"https://*.example.com", "https://*.example.com", ""},
        WildcardCase{"HTTPS://*.Example.COM:443", "https://*.example.com", ""},
        WildcardCase{"https://*.example.com:8443", "https://*.example.com:8443",
                     ""},
        WildcardCase{"http://*.example.com:80", "http://*.example.com", ""},
        WildcardCase{"wss://*.example.com", "wss://*.example.com", ""},
        WildcardCase{"https://*.bücher.de", "https://*.xn--bcher-kva.de", ""},
        WildcardCase{"https://*.example.com.", "https://*.example.com.", ""},
        WildcardCase{"https://*.example.com/", "https://*.example.com", ""},
        WildcardCase{"  https://*.a.com  ", "https://*.a.com", ""},
        WildcardCase{"https://example.com", nullptr, "://*."},
        WildcardCase{"https://*example.com", nullptr, "://*."},
        WildcardCase{"https://a.*.example.com", nullptr, "://*."},
        WildcardCase{"*.example.com", nullptr, "://*."},
        WildcardCase{"file://*.example.com", nullptr, "scheme"},
        WildcardCase{"blob://*.example.com", nullptr, "scheme"},
        WildcardCase{"https://*.", nullptr, "not valid"},
        WildcardCase{"https://*.1.2.3.4", nullptr, "IPv4"},
        WildcardCase{"https://*.0x7f.1", nullptr, "IPv4"},
        WildcardCase{"https://*.[::1]", nullptr, "IPv6"},
        WildcardCase{"https://*..com", nullptr, "empty"},
        WildcardCase{"https://*.a.com@evil.com", nullptr, "userinfo"},
        WildcardCase{"https://*.a.com/x", nullptr, "path"},
        WildcardCase{"https://*.a.com?x", nullptr, "query"},
        WildcardCase{"https://*.a.com#x", nullptr, "fragment"},
        WildcardCase{"https://*.a.com:0", nullptr, "port 0"},
        WildcardCase{"https://*.a.com:65536", nullptr, "port"},
        WildcardCase{"https://*.a b.com", nullptr, "U+0020"}));

TEST(WildcardTest, Fields) {
  absl::StatusOr<Wildcard> w = ParseWildcard("wss://*.Example.com:8443");
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->scheme, Scheme::kWss);
  EXPECT_EQ(w->domain, "example.com");
  EXPECT_EQ(w->port, 8443);
}

struct HostCase {
  const char* input;
  const char* want;  // nullptr: refused
};

void PrintTo(const HostCase& c, std::ostream* os) { *os << c.input; }

class CanonicalizeHostTest : public ::testing::TestWithParam<HostCase> {};

TEST_P(CanonicalizeHostTest, Host) {
  const HostCase& c = GetParam();
  absl::StatusOr<std::string> got = CanonicalizeHost(c.input);
  if (c.want != nullptr) {
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  } else {
    EXPECT_FALSE(got.ok()) << "got " << *got;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CanonicalizeHostTest,
    ::testing::Values(
        HostCase{"api.example.com", "api.example.com"},
        HostCase{"API.Example.com:443", "api.example.com"},
        HostCase{"api.example.com:8443", "api.example.com"},
        HostCase{"bücher.de", "xn--bcher-kva.de"},
        HostCase{"127.1", "127.0.0.1"}, HostCase{"127.1:80", "127.0.0.1"},
        HostCase{"[0::1]", "[::1]"}, HostCase{"[0::1]:8080", "[::1]"},
        HostCase{"example.com.", "example.com."},
        HostCase{"a.com:65535", "a.com"}, HostCase{"a.com:65536", nullptr},
        HostCase{"a.com:", nullptr}, HostCase{"a.com:x", nullptr},
        HostCase{"", nullptr}, HostCase{":80", nullptr},
        HostCase{"a b.com", nullptr}, HostCase{"a/b", nullptr},
        HostCase{"a@b", nullptr}, HostCase{"[::1", nullptr},
        HostCase{"[::1]x", nullptr}, HostCase{"::1", nullptr},
        HostCase{"256.1.1.1", nullptr}));

}  // namespace
}  // namespace corsd::origin
