// The HTTP door's request codec: the nginx (X-Original-*) and forward-auth
// (X-Forwarded-*) header contracts, byte-for-byte values, limits, and the
// errors that name the header.
#include "service/http/forward_auth.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace corsd::http {
namespace {

// A request with owned header strings; Received() views them.
struct Owned {
  std::string method = "GET";
  std::string target = "/auth";
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<HeaderField> fields;

  Owned& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  ReceivedRequest Received() {
    fields.clear();
    for (const auto& [n, v] : headers) fields.push_back({n, v});
    return {.method = method, .target = target, .headers = fields};
  }
};

Owned NginxAuth() {
  Owned r;
  r.Set("Host", "corsd.internal:8080")
      .Set("X-Original-Method", "PUT")
      .Set("X-Original-URI", "/api/v1/items?page=2")
      .Set("X-Original-Host", "api.example.com")
      .Set("X-Original-Scheme", "https")
      .Set("Origin", "https://shop.customer.com");
  return r;
}

ForwardAuthOptions AuthOptions() {
  return {.tenant_header = "X-Corsd-Tenant",
          .require_original_method = true,
          .max_header_value_bytes = 8192};
}

absl::Status Parse(Owned& r, OriginalRequest* o,
                   ForwardAuthOptions options = AuthOptions()) {
  return ParseOriginalRequest(r.Received(), options, o);
}

TEST(ForwardAuthTest, ReadsTheNginxContract) {
  Owned r = NginxAuth();
  r.Set("x-corsd-tenant", "acme")  // any case
      .Set("Access-Control-Request-Headers", "x-a")
      .Set("Access-Control-Request-Headers", "x-b, x-c");
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o).ok());
  EXPECT_EQ(o.tenant_header, "acme");
  EXPECT_EQ(o.request.method, "PUT");
  EXPECT_EQ(o.request.path, "/api/v1/items?page=2");
  EXPECT_EQ(o.request.host, "api.example.com");
  EXPECT_EQ(o.request.scheme, "https");
  ASSERT_TRUE(o.request.has_origin);
  EXPECT_EQ(o.request.origin, "https://shop.customer.com");
  EXPECT_FALSE(o.request.has_access_control_request_method);
  ASSERT_TRUE(o.request.has_access_control_request_headers);
  EXPECT_EQ(o.request.access_control_request_headers, "x-a,x-b, x-c");
  EXPECT_FALSE(o.request.has_access_control_request_private_network);
  EXPECT_FALSE(o.request.credentials);
}

TEST(ForwardAuthTest, ReadsTheForwardAuthContractOfCaddyAndTraefik) {
  Owned r;
  r.Set("Host", "corsd:7702")
      .Set("X-Forwarded-Method", "DELETE")
      .Set("X-Forwarded-Uri", "/v1/items/7")
      .Set("X-Forwarded-Host", "api.example.com")
      .Set("X-Forwarded-Proto", "https")
      .Set("X-Forwarded-For", "203.0.113.9")
      .Set("Origin", "https://shop.customer.com");
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o).ok());
  EXPECT_EQ(o.request.method, "DELETE");
  EXPECT_EQ(o.request.path, "/v1/items/7");
  EXPECT_EQ(o.request.host, "api.example.com");
  EXPECT_EQ(o.request.scheme, "https");
}

TEST(ForwardAuthTest, TraefikReplacedPathIsThePathOfAProxiedPreflight) {
  Owned r;
  r.method = "OPTIONS";
  r.target = "/preflight/acme";
  r.Set("Host", "api.example.com").Set("X-Replaced-Path", "/v1/items");
  ForwardAuthOptions options = AuthOptions();
  options.require_original_method = false;
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o, options).ok());
  EXPECT_EQ(o.request.path, "/v1/items");
  r.Set("X-Forwarded-Uri", "/v2/items");
  OriginalRequest forwarded;
  ASSERT_TRUE(Parse(r, &forwarded, options).ok());
  EXPECT_EQ(forwarded.request.path, "/v2/items");
}

TEST(ForwardAuthTest, OriginalNamesWinOverForwardedOnes) {
  Owned r = NginxAuth();
  r.Set("X-Forwarded-Method", "GET")
      .Set("X-Forwarded-Uri", "/other")
      .Set("X-Forwarded-Host", "other.example")
      .Set("X-Forwarded-Proto", "http");
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o).ok());
  EXPECT_EQ(o.request.method, "PUT");
  EXPECT_EQ(o.request.path, "/api/v1/items?page=2");
  EXPECT_EQ(o.request.host, "api.example.com");
  EXPECT_EQ(o.request.scheme, "https");
}

TEST(ForwardAuthTest, DefaultsWhenGatewayHeadersAreAbsent) {
  Owned r;
  r.method = "OPTIONS";
  r.target = "/preflight";
  r.Set("Host", "api.example.com");
  ForwardAuthOptions options = AuthOptions();
  options.require_original_method = false;
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o, options).ok());
  EXPECT_EQ(o.request.method, "OPTIONS");
  EXPECT_EQ(o.request.path, "/preflight");
  EXPECT_EQ(o.request.host, "api.example.com");
  EXPECT_EQ(o.request.scheme, "http");
  EXPECT_EQ(o.tenant_header, "");
  EXPECT_FALSE(o.request.has_origin);
}

// Values reach the decision exactly as sent: no percent-decoding, no case
// change, no trimming of inner bytes.
TEST(ForwardAuthTest, ValuesAreKeptByteForByte) {
  const std::vector<std::string> origins = {
      "https://app%2Eexample.com", "HTTPS://APP.EXAMPLE.COM",
      "https://app.example.com ", "https://app.example.com:443",
      "https://app.example.com/"};
  for (const std::string& origin : origins) {
    Owned r = NginxAuth();
    r.headers[5].second = origin;
    r.Set("X-Original-URI", "/a%2Fb/../c");
    OriginalRequest o;
    ASSERT_TRUE(Parse(r, &o).ok()) << origin;
    EXPECT_EQ(o.request.origin, origin);
    EXPECT_EQ(o.request.path, "/api/v1/items?page=2,/a%2Fb/../c")
        << "a repeated X-Original-URI is joined, never decoded";
  }
}

TEST(ForwardAuthTest, MissingMethodOnAuthIsAnError) {
  Owned r;
  r.Set("Host", "x");
  OriginalRequest o;
  const absl::Status s = Parse(r, &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "X-Original-Method")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "X-Forwarded-Method")) << s;
}

struct BadCase {
  std::string name;
  std::string header;
  std::string value;
  std::string expect;  // in the message
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
};

class ForwardAuthBadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ForwardAuthBadTest, RefusesNamingTheHeader) {
  const BadCase& c = GetParam();
  Owned r = NginxAuth();
  for (auto& [n, v] : r.headers) {
    if (n == c.header) v = c.value;
  }
  bool found = false;
  for (auto& [n, v] : r.headers) found = found || n == c.header;
  if (!found) r.Set(c.header, c.value);
  OriginalRequest o;
  const absl::Status s = Parse(r, &o);
  EXPECT_EQ(s.code(), c.code) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), c.header)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), c.expect)) << s;
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ForwardAuthBadTest,
    ::testing::Values(
        BadCase{"EmptyMethod", "X-Original-Method", "", "HTTP method"},
        BadCase{"MethodWithSpace", "X-Original-Method", "GE T", "token"},
        BadCase{"LongMethod", "X-Original-Method", std::string(33, 'A'),
                "1 to 32"},
        BadCase{"Scheme", "X-Original-Scheme", "ftp", "\"http\" or \"https\""},
        BadCase{"Credentials", "X-Corsd-Credentials", "yes", "\"0\" or \"1\""},
        BadCase{"OriginCR", "Origin", "https://a.example\r", "\\x0d"},
        BadCase{"OriginLF", "Origin", "https://a.example\nX: y",
                "no CR, LF or NUL"},
        BadCase{"OriginNUL", "Origin", std::string("https://a\0b", 11),
                "\\x00"},
        BadCase{"TenantNUL", "X-Corsd-Tenant", std::string("ac\0me", 5),
                "\\x00"},
        BadCase{"OriginTooLong", "Origin", std::string(9000, 'o'),
                "9000 bytes; expected at most 8192",
                absl::StatusCode::kResourceExhausted}),
    [](const auto& info) { return info.param.name; });

TEST(ForwardAuthTest, ForwardedMethodIsValidatedWhenItDecides) {
  Owned r;
  r.Set("X-Forwarded-Method", "G(T");
  OriginalRequest o;
  const absl::Status s = Parse(r, &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "X-Forwarded-Method")) << s;
}

TEST(ForwardAuthTest, ForwardedProtoIsValidated) {
  Owned r;
  r.Set("X-Forwarded-Method", "GET").Set("X-Forwarded-Proto", "https, http");
  OriginalRequest o;
  const absl::Status s = Parse(r, &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "X-Forwarded-Proto")) << s;
}

TEST(ForwardAuthTest, RepeatedHeadersAreLimitedAfterJoining) {
  Owned r = NginxAuth();
  for (int i = 0; i < 3; ++i) {
    r.Set("Access-Control-Request-Headers", std::string(3000, 'x'));
  }
  OriginalRequest o;
  const absl::Status s = Parse(r, &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(s.message(), "Access-Control-Request-Headers"))
      << s;
}

TEST(ForwardAuthTest, TooManyHeaders) {
  Owned r = NginxAuth();
  for (int i = 0; i < 20; ++i) r.Set("X-Filler", "1");
  ForwardAuthOptions options = AuthOptions();
  options.max_headers = 16;
  OriginalRequest o;
  const absl::Status s = Parse(r, &o, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(s.message(), "26 headers; expected at most 16"))
      << s;
}

TEST(ForwardAuthTest, HeaderBlockIsBoundedAsAWhole) {
  Owned r = NginxAuth();
  for (int i = 0; i < 10; ++i) r.Set("X-Filler", std::string(1000, 'f'));
  ForwardAuthOptions options = AuthOptions();
  options.max_header_block_bytes = 8000;
  OriginalRequest o;
  const absl::Status s = Parse(r, &o, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(s.message(), "request header block is ")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "expected at most 8000")) << s;
}

TEST(ForwardAuthTest, RepeatedOriginIsJoinedLikeEnvoy) {
  Owned r = NginxAuth();
  r.Set("origin", "https://evil.com");
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o).ok());
  EXPECT_EQ(o.request.origin, "https://shop.customer.com,https://evil.com");
}

TEST(ForwardAuthTest, Credentials) {
  struct C {
    std::vector<std::pair<std::string, std::string>> add;
    bool want;
  };
  const std::vector<C> cases = {
      {{}, false},
      {{{"Cookie", "session=1"}}, true},
      {{{"Authorization", "Bearer x"}}, true},
      {{{"Cookie", "session=1"}, {"X-Corsd-Credentials", "0"}}, false},
      {{{"X-Corsd-Credentials", "1"}}, true},
  };
  for (const C& c : cases) {
    Owned r = NginxAuth();
    for (const auto& [n, v] : c.add) r.Set(n, v);
    OriginalRequest o;
    ASSERT_TRUE(Parse(r, &o).ok());
    EXPECT_EQ(o.request.credentials, c.want) << c.add.size();
  }
}

TEST(ForwardAuthTest, UpgradeFromOriginalHeadersFirst) {
  Owned r = NginxAuth();
  r.Set("Connection", "close")
      .Set("X-Original-Upgrade", "websocket")
      .Set("X-Original-Connection", "Upgrade");
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o).ok());
  EXPECT_EQ(o.request.upgrade, "websocket");
  EXPECT_EQ(o.request.connection, "Upgrade");

  Owned direct = NginxAuth();
  direct.Set("Upgrade", "websocket").Set("Connection", "upgrade");
  OriginalRequest d;
  ASSERT_TRUE(Parse(direct, &d).ok());
  EXPECT_EQ(d.request.upgrade, "websocket");
  EXPECT_EQ(d.request.connection, "upgrade");
}

TEST(ForwardAuthTest, NoTenantHeaderConfigured) {
  Owned r = NginxAuth();
  r.Set("X-Corsd-Tenant", "acme");
  ForwardAuthOptions options = AuthOptions();
  options.tenant_header = "";
  OriginalRequest o;
  ASSERT_TRUE(Parse(r, &o, options).ok());
  EXPECT_EQ(o.tenant_header, "");
}

}  // namespace
}  // namespace corsd::http
