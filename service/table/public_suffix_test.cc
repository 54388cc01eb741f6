// Tests for public_suffix.h: which wildcard domains are refused (R2).
#include "service/table/public_suffix.h"

#include "gtest/gtest.h"

namespace corsd::table {
namespace {

TEST(PublicSuffixTest, KnownSuffixes) {
  EXPECT_TRUE(IsPublicSuffix("com"));
  EXPECT_TRUE(IsPublicSuffix("co.uk"));
  EXPECT_TRUE(IsPublicSuffix("github.io"));   // private section
  EXPECT_TRUE(IsPublicSuffix("com."));        // trailing dot ignored
  EXPECT_TRUE(IsPublicSuffix("unknowntld"));  // implicit "*" rule
}

TEST(PublicSuffixTest, RegistrableDomainsAreNot) {
  EXPECT_FALSE(IsPublicSuffix("example.com"));
  EXPECT_FALSE(IsPublicSuffix("example.co.uk"));
  EXPECT_FALSE(IsPublicSuffix("user.github.io"));
  EXPECT_FALSE(IsPublicSuffix(""));
}

TEST(PublicSuffixTest, CheckWildcardDomain) {
  EXPECT_TRUE(CheckWildcardDomain("example.com", "https://*.example.com").ok());
  EXPECT_TRUE(CheckWildcardDomain("app.example.com.", "x").ok());
  for (const char* domain : {"com", "github.io", "co.uk", "localhost"}) {
    const absl::Status st = CheckWildcardDomain(domain, "https://*.v");
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << domain;
    EXPECT_NE(st.message().find("https://*.v"), absl::string_view::npos)
        << st.message();
  }
}

}  // namespace
}  // namespace corsd::table
