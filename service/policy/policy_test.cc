// Policy validation: each refusal names the field and says why; compiled
// header values are formatted once, as the engine sends them.
#include "service/policy/policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Refusal {
  std::string name;
  Policy policy;
  std::string field;   // the message starts with it
  std::string reason;  // and contains this
};

Policy With(void (*edit)(Policy&)) {
  Policy p;
  edit(p);
  return p;
}

std::vector<Refusal> Refusals() {
  return {
      {"R4_public_with_credentials", With([](Policy& p) {
         p.public_origin = true;
         p.allow_credentials = true;
       }),
       "public_origin:", "cannot be combined with allow_credentials"},
      {"R11_null_with_credentials", With([](Policy& p) {
         p.allow_null_origin = true;
         p.allow_credentials = true;
       }),
       "allow_null_origin:", "R11"},
      {"R10_max_age_above_86400",
       With([](Policy& p) { p.max_age_seconds = 86401; }),
       "max_age_seconds:", "86401 is above the 86400"},
      {"R7_method_not_token", With([](Policy& p) {
         p.allowed_methods = {"PUT", "GE T"};
       }),
       "allowed_methods[1]:", "\"GE T\" is not an HTTP token"},
      {"R7_method_star", With([](Policy& p) { p.allowed_methods = {"*"}; }),
       "allowed_methods[0]:", "\"*\" is not supported"},
      {"R7_method_forbidden",
       With([](Policy& p) { p.allowed_methods = {"TRACE"}; }),
       "allowed_methods[0]:", "forbidden by the Fetch standard"},
      {"R7_method_normalized_lowercase",
       With([](Policy& p) { p.allowed_methods = {"delete"}; }),
       "allowed_methods[0]:", "expected \"DELETE\""},
      {"R7_too_many_methods", With([](Policy& p) {
         for (int i = 0; i < 33; ++i)
           p.allowed_methods.push_back("M" + std::to_string(i));
       }),
       "allowed_methods:", "33 entries; expected at most 32"},
      {"R8_header_not_token", With([](Policy& p) {
         p.allowed_headers = {"x-ok", "x:bad"};
       }),
       "allowed_headers[1]:", "\"x:bad\" is not an HTTP token"},
      {"R8_header_empty", With([](Policy& p) { p.allowed_headers = {""}; }),
       "allowed_headers[0]:", "is not an HTTP token"},
      {"R8_header_too_long",
       With([](Policy& p) { p.allowed_headers = {std::string(257, 'x')}; }),
       "allowed_headers[0]:", "257 bytes; expected at most 256"},
      {"R8_too_many_headers", With([](Policy& p) {
         for (int i = 0; i < 129; ++i)
           p.allowed_headers.push_back("x-" + std::to_string(i));
       }),
       "allowed_headers:", "129 entries; expected at most 128"},
      {"R9_exposed_not_token",
       With([](Policy& p) { p.exposed_headers = {"x y"}; }),
       "exposed_headers[0]:", "is not an HTTP token"},
      {"R9_too_many_exposed", With([](Policy& p) {
         for (int i = 0; i < 129; ++i)
           p.exposed_headers.push_back("x-" + std::to_string(i));
       }),
       "exposed_headers:", "expected at most 128"},
      {"ROUTE_prefix_without_slash", With([](Policy& p) {
         p.routes = {{"api", Policy{}}};
       }),
       "routes[0].path_prefix:", "must start with \"/\""},
      {"ROUTE_prefix_empty", With([](Policy& p) {
         p.routes = {{"", Policy{}}};
       }),
       "routes[0].path_prefix:", "must start with \"/\""},
      {"ROUTE_prefix_with_query", With([](Policy& p) {
         p.routes = {{"/a?b", Policy{}}};
       }),
       "routes[0].path_prefix:", "expected a path only"},
      {"ROUTE_prefix_too_long", With([](Policy& p) {
         p.routes = {{"/" + std::string(1024, 'a'), Policy{}}};
       }),
       "routes[0].path_prefix:", "1025 bytes; expected at most 1024"},
      {"ROUTE_prefix_repeated", With([](Policy& p) {
         p.routes = {{"/a", Policy{}}, {"/b", Policy{}}, {"/a", Policy{}}};
       }),
       "routes[2].path_prefix:", "repeats an earlier class"},
      {"ROUTE_nested", With([](Policy& p) {
         Policy inner;
         inner.routes = {{"/x", Policy{}}};
         p.routes = {{"/a", inner}};
       }),
       "routes[0].policy.routes:", "nested routes are refused"},
      {"ROUTE_class_rules_checked", With([](Policy& p) {
         Policy inner;
         inner.public_origin = true;
         inner.allow_credentials = true;
         p.routes = {{"/a", inner}};
       }),
       "routes[0].policy.public_origin:", "allow_credentials"},
      {"ROUTE_too_many", With([](Policy& p) {
         for (int i = 0; i < 65; ++i)
           p.routes.push_back({"/r" + std::to_string(i), Policy{}});
       }),
       "routes:", "65 classes; expected at most 64"},
  };
}

class RefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusalTest, NamesTheField) {
  const Refusal& r = GetParam();
  auto compiled = Validate(r.policy);
  ASSERT_FALSE(compiled.ok());
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(compiled.status().message()), StartsWith(r.field));
  EXPECT_THAT(std::string(compiled.status().message()), HasSubstr(r.reason));
}

INSTANTIATE_TEST_SUITE_P(Validate, RefusalTest, ::testing::ValuesIn(Refusals()),
                         [](const auto& info) { return info.param.name; });

TEST(ValidateTest, DefaultPolicyIsValidAndMinimal) {
  auto c = Validate(Policy{});
  ASSERT_TRUE(c.ok()) << c.status();
  const CompiledRules& r = (*c)->defaults();
  EXPECT_EQ(r.allow_methods_value, "GET, HEAD, POST");
  EXPECT_EQ(r.allow_headers_value,
            "accept, accept-language, content-language, content-type, range");
  EXPECT_EQ(r.expose_headers_value, "");
  EXPECT_EQ(r.max_age_value, "");
  EXPECT_TRUE((*c)->warnings().empty());
  EXPECT_TRUE(r.MethodAllowed("GET"));
  EXPECT_TRUE(r.MethodAllowed("POST"));
  EXPECT_FALSE(r.MethodAllowed("get"));
  EXPECT_FALSE(r.MethodAllowed("PUT"));
}

TEST(ValidateTest, PrecomputesHeaderValues) {
  Policy p;
  p.allowed_methods = {"PUT", "GET", "PATCH", "PUT"};
  p.allowed_headers = {"X-Request-ID", "Content-Type", "x-request-id"};
  p.exposed_headers = {"X-Request-ID", "RateLimit-Remaining"};
  p.max_age_seconds = 7200;
  auto c = Validate(p);
  ASSERT_TRUE(c.ok()) << c.status();
  const CompiledRules& r = (*c)->defaults();
  EXPECT_EQ(r.allow_methods_value, "GET, HEAD, POST, PUT, PATCH");
  EXPECT_EQ(r.allow_headers_value,
            "x-request-id, content-type, accept, accept-language, "
            "content-language, range");
  EXPECT_EQ(r.expose_headers_value, "x-request-id, ratelimit-remaining");
  EXPECT_EQ(r.max_age_value, "7200");
  EXPECT_TRUE(r.HeaderListed("x-request-id"));
  EXPECT_FALSE(r.HeaderListed("X-Request-ID"));  // callers lowercase first
  ASSERT_EQ((*c)->warnings().size(), 1u);        // the duplicate header
  EXPECT_THAT((*c)->warnings()[0], StartsWith("allowed_headers[2]:"));
  EXPECT_EQ((*c)->source(), p);
}

// Each limit: the value at the limit is accepted, one past it is refused.
TEST(ValidateTest, LimitsAreExact) {
  auto fill = [](size_t n, const std::string& stem) {
    std::vector<std::string> v;
    for (size_t i = 0; i < n; ++i) v.push_back(stem + std::to_string(i));
    return v;
  };
  Policy p;
  p.allowed_methods = fill(kMaxMethods, "M");
  p.allowed_headers = fill(kMaxAllowedHeaders, "x-h");
  p.exposed_headers = fill(kMaxExposedHeaders, "x-e");
  for (size_t i = 0; i < kMaxRoutes; ++i) {
    p.routes.push_back({"/r" + std::to_string(i), Policy{}});
  }
  p.routes[0].path_prefix = "/" + std::string(kMaxPathPrefixBytes - 1, 'a');
  p.max_age_seconds = kMaxAgeWarnSeconds;
  auto at = Validate(p);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_TRUE((*at)->warnings().empty());
  EXPECT_EQ((*at)->routes().size(), kMaxRoutes);

  Policy q = p;
  q.max_age_seconds = kMaxAgeWarnSeconds + 1;
  auto warned = Validate(q);
  ASSERT_TRUE(warned.ok()) << warned.status();
  EXPECT_EQ((*warned)->warnings().size(), 1u);
  q.max_age_seconds = kMaxAgeLimitSeconds;
  EXPECT_TRUE(Validate(q).ok());
  q.max_age_seconds = kMaxAgeLimitSeconds + 1;
  EXPECT_FALSE(Validate(q).ok());

  q = p;
  q.allowed_methods.push_back("EXTRA");
  EXPECT_FALSE(Validate(q).ok());
  q = p;
  q.allowed_headers.push_back("x-extra");
  EXPECT_FALSE(Validate(q).ok());
  q = p;
  q.exposed_headers.push_back("x-extra");
  EXPECT_FALSE(Validate(q).ok());
  q = p;
  q.routes.push_back({"/extra", Policy{}});
  EXPECT_FALSE(Validate(q).ok());
  q = p;
  q.routes[0].path_prefix += "a";
  EXPECT_FALSE(Validate(q).ok());
  q = p;
  q.allowed_headers[0] = std::string(kMaxTokenBytes, 'x');
  EXPECT_TRUE(Validate(q).ok());
  q.allowed_headers[0] += "x";
  EXPECT_FALSE(Validate(q).ok());
}

TEST(ValidateTest, R8_StarWithCredentialsIsAnsweredLiterally) {
  Policy p;
  p.allowed_headers = {"*", "Authorization"};
  p.allow_credentials = true;
  auto c = Validate(p);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE((*c)->defaults().any_header);
  EXPECT_EQ((*c)->defaults().allow_headers_value,
            "*, authorization, accept, accept-language, content-language, "
            "content-type, range");
}

TEST(ValidateTest, R10_MaxAgeAbove7200IsAWarning) {
  Policy p;
  p.max_age_seconds = 86400;
  auto c = Validate(p);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ((*c)->warnings().size(), 1u);
  EXPECT_THAT((*c)->warnings()[0],
              StartsWith("max_age_seconds: 86400 is above Chromium's 7200"));
}

TEST(ValidateTest, R7_LowercaseMethodOutsideTheNormalizedSetIsAWarning) {
  Policy p;
  p.allowed_methods = {"patch"};
  auto c = Validate(p);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE((*c)->defaults().MethodAllowed("patch"));
  EXPECT_FALSE((*c)->defaults().MethodAllowed("PATCH"));
  ASSERT_EQ((*c)->warnings().size(), 1u);
  EXPECT_THAT((*c)->warnings()[0], HasSubstr("does not allow \"PATCH\""));
}

TEST(ValidateTest, RoutesLongestPrefixWins) {
  Policy p;
  Policy a, ab;
  a.max_age_seconds = 1;
  ab.max_age_seconds = 2;
  p.routes = {{"/a", a}, {"/a/b", ab}};
  auto c = Validate(p);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->ForPath("/a/b/c").path_prefix, "/a/b");
  EXPECT_EQ((*c)->ForPath("/a/bc").path_prefix, "/a/b");  // byte prefix
  EXPECT_EQ((*c)->ForPath("/a/x").path_prefix, "/a");
  EXPECT_EQ((*c)->ForPath("/a?/a/b").path_prefix, "/a");
  EXPECT_EQ((*c)->ForPath("/b").path_prefix, "");
  EXPECT_EQ((*c)->ForPath("").path_prefix, "");
  EXPECT_EQ((*c)->ForPath("/a/b").max_age_value, "2");
}

TEST(TokenTest, HttpTokens) {
  EXPECT_TRUE(IsHttpToken("x-request-id"));
  EXPECT_TRUE(IsHttpToken("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(IsHttpToken(""));
  EXPECT_FALSE(IsHttpToken("a b"));
  EXPECT_FALSE(IsHttpToken("a:b"));
  EXPECT_FALSE(IsHttpToken("a\"b"));
  EXPECT_FALSE(IsHttpToken("caf\xc3\xa9"));
  EXPECT_TRUE(IsSafelistedHeaderName("content-type"));
  EXPECT_FALSE(IsSafelistedHeaderName("Content-Type"));
  EXPECT_FALSE(IsSafelistedHeaderName("authorization"));
}

Policy Production(bool allow_dev) {
  Policy p;
  p.production = true;
  p.allow_dev_origins = allow_dev;
  return p;
}

TEST(DevOriginTest, R16_ProductionRefusesDevOrigins) {
  for (absl::string_view o :
       {"http://localhost:3000", "http://127.0.0.1", "http://[::1]:8080",
        "https://10.1.2.3", "https://192.168.0.10", "http://app.localhost"}) {
    absl::Status s = ValidateOriginForTenant(Production(false), o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << o;
    EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(o))) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("R16"));
    EXPECT_TRUE(ValidateOriginForTenant(Production(true), o).ok()) << o;
    EXPECT_TRUE(ValidateOriginForTenant(Policy{}, o).ok()) << o;
  }
  EXPECT_TRUE(
      ValidateOriginForTenant(Production(false), "https://app.example.com")
          .ok());
}

TEST(DevOriginTest, R16_NonCanonicalInputIsRefused) {
  absl::Status s =
      ValidateOriginForTenant(Production(false), "https://App.example.com");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not a canonical"));
}

TEST(DevOriginTest, R16_Wildcards) {
  origin::Wildcard w;
  w.scheme = origin::Scheme::kHttp;
  w.domain = "localhost";
  absl::Status s = ValidateWildcardForTenant(Production(false), w);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("http://*.localhost"));
  w.domain = "example.com";
  EXPECT_TRUE(ValidateWildcardForTenant(Production(false), w).ok());
}

}  // namespace
}  // namespace corsd::policy
