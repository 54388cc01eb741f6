#include "service/http/forward_auth.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace corsd::http {
namespace {

httplib::Request AuthRequest() {
  httplib::Request r;
  r.method = "GET";
  r.target = "/auth";
  r.path = "/auth";
  r.set_header("Host", "corsd.internal:8080");
  r.set_header("X-Original-Method", "PUT");
  r.set_header("X-Original-URI", "/api/v1/items?page=2");
  r.set_header("X-Original-Host", "api.example.com");
  r.set_header("X-Original-Scheme", "https");
  r.set_header("Origin", "https://shop.customer.com");
  return r;
}

ForwardAuthOptions AuthOptions() {
  return {.tenant_header = "X-Corsd-Tenant",
          .require_original_method = true,
          .max_header_value_bytes = 8192};
}

TEST(ForwardAuthTest, ReadsTheOriginalRequest) {
  httplib::Request r = AuthRequest();
  r.set_header("x-corsd-tenant", "acme");  // any case
  r.set_header("Access-Control-Request-Headers", "x-a");
  r.set_header("Access-Control-Request-Headers", "x-b, x-c");
  OriginalRequest o;
  ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
  EXPECT_EQ(o.tenant, "acme");
  EXPECT_EQ(o.method, "PUT");
  EXPECT_EQ(o.path, "/api/v1/items?page=2");
  EXPECT_EQ(o.host, "api.example.com");
  EXPECT_EQ(o.scheme, "https");
  ASSERT_TRUE(o.origin.has_value());
  EXPECT_EQ(*o.origin, "https://shop.customer.com");
  EXPECT_FALSE(o.access_control_request_method.has_value());
  ASSERT_TRUE(o.access_control_request_headers.has_value());
  EXPECT_EQ(*o.access_control_request_headers, "x-a,x-b, x-c");
  EXPECT_FALSE(o.access_control_request_private_network.has_value());
  EXPECT_FALSE(o.credentials);
}

TEST(ForwardAuthTest, DefaultsWhenGatewayHeadersAreAbsent) {
  httplib::Request r;
  r.method = "OPTIONS";
  r.target = "/preflight";
  r.set_header("Host", "api.example.com");
  ForwardAuthOptions options = AuthOptions();
  options.require_original_method = false;
  OriginalRequest o;
  ASSERT_TRUE(ParseOriginalRequest(r, options, &o).ok());
  EXPECT_EQ(o.method, "OPTIONS");
  EXPECT_EQ(o.path, "/preflight");
  EXPECT_EQ(o.host, "api.example.com");
  EXPECT_EQ(o.scheme, "http");
  EXPECT_EQ(o.tenant, "");
  EXPECT_FALSE(o.origin.has_value());
}

TEST(ForwardAuthTest, MissingOriginalMethodOnAuthIsAnError) {
  httplib::Request r = AuthRequest();
  r.headers.erase("X-Original-Method");
  OriginalRequest o;
  const absl::Status s = ParseOriginalRequest(r, AuthOptions(), &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "X-Original-Method")) << s;
}

TEST(ForwardAuthTest, RefusesBadValuesNamingTheHeader) {
  struct Case {
    const char* header;
    std::string value;
    const char* expect;
  };
  const Case cases[] = {
      {"X-Original-Method", "GE T", "X-Original-Method"},
      {"X-Original-Method", std::string(40, 'A'), "1 to 32"},
      {"X-Original-Scheme", "ftp", "\"http\" or \"https\""},
      {"X-Corsd-Credentials", "yes", "\"0\" or \"1\""},
      {"Origin", std::string(9000, 'a'), "header Origin is 9000 bytes"},
  };
  for (const Case& c : cases) {
    httplib::Request r = AuthRequest();
    r.headers.erase(c.header);
    r.set_header(c.header, c.value);
    OriginalRequest o;
    const absl::Status s = ParseOriginalRequest(r, AuthOptions(), &o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.header;
    EXPECT_TRUE(absl::StrContains(s.message(), c.expect))
        << c.header << ": " << s;
  }
}

TEST(ForwardAuthTest, RepeatedHeadersAreLimitedAfterJoining) {
  httplib::Request r = AuthRequest();
  for (int i = 0; i < 3; ++i) {
    r.set_header("Access-Control-Request-Headers", std::string(3000, 'x'));
  }
  OriginalRequest o;
  const absl::Status s = ParseOriginalRequest(r, AuthOptions(), &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "Access-Control-Request-Headers"))
      << s;
}

TEST(ForwardAuthTest, RepeatedOriginIsJoinedLikeEnvoy) {
  httplib::Request r = AuthRequest();
  r.set_header("Origin", "https://evil.com");
  OriginalRequest o;
  ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
  EXPECT_EQ(*o.origin, "https://shop.customer.com,https://evil.com");
}

TEST(ForwardAuthTest, Credentials) {
  {
    httplib::Request r = AuthRequest();
    r.set_header("Cookie", "session=1");
    OriginalRequest o;
    ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
    EXPECT_TRUE(o.credentials);
  }
  {
    httplib::Request r = AuthRequest();
    r.set_header("Authorization", "Bearer x");
    OriginalRequest o;
    ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
    EXPECT_TRUE(o.credentials);
  }
  {
    // The explicit header wins over the presence of a cookie.
    httplib::Request r = AuthRequest();
    r.set_header("Cookie", "session=1");
    r.set_header("X-Corsd-Credentials", "0");
    OriginalRequest o;
    ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
    EXPECT_FALSE(o.credentials);
  }
  {
    httplib::Request r = AuthRequest();
    r.set_header("X-Corsd-Credentials", "1");
    OriginalRequest o;
    ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
    EXPECT_TRUE(o.credentials);
  }
}

TEST(ForwardAuthTest, UpgradeFromOriginalHeadersFirst) {
  httplib::Request r = AuthRequest();
  r.set_header("Connection", "close");
  r.set_header("X-Original-Upgrade", "websocket");
  r.set_header("X-Original-Connection", "Upgrade");
  OriginalRequest o;
  ASSERT_TRUE(ParseOriginalRequest(r, AuthOptions(), &o).ok());
  EXPECT_EQ(o.upgrade, "websocket");
  EXPECT_EQ(o.connection, "Upgrade");

  httplib::Request direct = AuthRequest();
  direct.set_header("Upgrade", "websocket");
  direct.set_header("Connection", "upgrade");
  OriginalRequest d;
  ASSERT_TRUE(ParseOriginalRequest(direct, AuthOptions(), &d).ok());
  EXPECT_EQ(d.upgrade, "websocket");
  EXPECT_EQ(d.connection, "upgrade");
}

TEST(ForwardAuthTest, NoTenantHeaderConfigured) {
  httplib::Request r = AuthRequest();
  r.set_header("X-Corsd-Tenant", "acme");
  ForwardAuthOptions options = AuthOptions();
  options.tenant_header.clear();
  OriginalRequest o;
  ASSERT_TRUE(ParseOriginalRequest(r, options, &o).ok());
  EXPECT_EQ(o.tenant, "");
}

}  // namespace
}  // namespace corsd::http
