#include "client/corsctl/lint.h"

#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

bool HasFinding(const std::vector<Finding>& findings, bool error,
                const std::string& rule, const std::string& text) {
  for (const Finding& f : findings) {
    if (f.error == error && f.rule == rule &&
        f.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(LintPolicyTest, EveryPolicyRule) {
  corsd::v1::Policy p;
  EXPECT_TRUE(LintPolicy(p).empty());
  p.set_public_origin(true);
  p.set_allow_credentials(true);
  p.set_max_age_seconds(90000);
  p.add_allowed_headers("*");
  p.add_allowed_methods("GET");
  std::vector<Finding> f = LintPolicy(p);
  EXPECT_TRUE(
      HasFinding(f, true, "R4", "public_origin with allow_credentials"));
  EXPECT_TRUE(HasFinding(f, true, "R10", "over 86400"));
  EXPECT_TRUE(HasFinding(f, false, "R8", "credentials"));
  EXPECT_TRUE(HasFinding(f, false, "R8", "never covers authorization"));
  EXPECT_TRUE(HasFinding(f, false, "R7", "always allowed"));
  corsd::v1::Policy q;
  q.set_max_age_seconds(8000);
  q.set_allow_null_origin(true);
  corsd::v1::RouteClass* route = q.add_routes();
  route->set_path_prefix("/api");
  route->mutable_policy()->set_allow_null_origin(true);
  route->mutable_policy()->set_allow_credentials(true);
  f = LintPolicy(q);
  EXPECT_TRUE(HasFinding(f, false, "R10", "over 7200"));
  EXPECT_TRUE(HasFinding(f, false, "R11", "sandboxed"));
  EXPECT_TRUE(HasFinding(f, true, "R11", "null origin never gets"));
  EXPECT_FALSE(HasFinding(f, false, "R13", "allow_cross_origin_websocket"));
}

TEST(LintPolicyTest, AllowCrossOriginWebsocketIsWarned) {
  corsd::v1::Policy p;
  p.set_enforce_websocket_origin(true);  // deprecated: no effect, no finding
  EXPECT_TRUE(LintPolicy(p).empty());
  p.set_allow_cross_origin_websocket(true);
  std::vector<Finding> f = LintPolicy(p);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(HasFinding(f, false, "R13", "allow_cross_origin_websocket"));
  EXPECT_EQ(f[0].where, "policy");
  corsd::v1::Policy q;
  corsd::v1::RouteClass* route = q.add_routes();
  route->set_path_prefix("/live");
  route->mutable_policy()->set_allow_cross_origin_websocket(true);
  f = LintPolicy(q);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "R13");
  EXPECT_EQ(f[0].where, "policy.routes[0] (/live)");
}

TEST(EntryLinterTest, EntriesAndCrossChecks) {
  corsd::v1::Policy production;
  production.set_production(true);
  EntryLinter linter;
  std::vector<Finding> f;
  linter.Add("t", &production, corsd::v1::ENTRY_KIND_ORIGIN,
             "http://localhost:3000", "a", &f);
  EXPECT_TRUE(HasFinding(f, true, "R16", "dev origin"));
  linter.Add("t", &production, corsd::v1::ENTRY_KIND_ORIGIN,
             "HTTPS://Shop.example.com", "b", &f);
  EXPECT_TRUE(HasFinding(f, true, "R2", "not canonical"));
  linter.Add("t", &production, corsd::v1::ENTRY_KIND_ORIGIN,
             "https://shop.example.com", "c", &f);
  EXPECT_TRUE(HasFinding(f, false, "R2", "duplicate entry"));
  linter.Add("t", &production, corsd::v1::ENTRY_KIND_ORIGIN,
             "http://plain.example.com", "d", &f);
  EXPECT_TRUE(HasFinding(f, false, "R2", "plaintext origin"));
  linter.Add("t", nullptr, corsd::v1::ENTRY_KIND_WILDCARD, "https://*.co.uk",
             "e", &f);
  EXPECT_TRUE(HasFinding(f, true, "R2", "public suffix"));
  linter.Add("t", nullptr, corsd::v1::ENTRY_KIND_WILDCARD,
             "https://*.example.com", "f", &f);
  linter.Add("t", nullptr, corsd::v1::ENTRY_KIND_ORIGIN, "https://a.com/x", "g",
             &f);
  EXPECT_TRUE(HasFinding(f, true, "R2", "is refused"));
  linter.Finish(&f);
  EXPECT_TRUE(HasFinding(f, false, "R2", "already covered by the wildcard"));
}

}  // namespace
}  // namespace corsd::corsctl
