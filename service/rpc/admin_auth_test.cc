#include "service/rpc/admin_auth.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace corsd::rpc {
namespace {

TEST(ConstantTimeEqualsTest, EqualityOnly) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcabc"));  // cyclic read of b
  EXPECT_FALSE(ConstantTimeEquals("abcabc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "abc"));
}

TEST(AdminTokensTest, ParsesLinesSkippingBlanksAndComments) {
  absl::StatusOr<AdminTokens> t =
      AdminTokens::Parse("# ops team\n\n  tok-one  \r\n\ttok-two\n#x\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->size(), 2u);
  EXPECT_TRUE(t->Check("Bearer tok-one"));
  EXPECT_TRUE(t->Check("bearer tok-two"));
  EXPECT_TRUE(t->Check("BEARER   tok-two"));
  EXPECT_FALSE(t->Check("Bearer tok-thr"));
  EXPECT_FALSE(t->Check("Bearer tok-one "));
  EXPECT_FALSE(t->Check("Bearer "));
  EXPECT_FALSE(t->Check("Bearertok-one"));
  EXPECT_FALSE(t->Check("Basic tok-one"));
  EXPECT_FALSE(t->Check("tok-one"));
  EXPECT_FALSE(t->Check(""));
  EXPECT_FALSE(t->Check("Bearer # ops team"));
}

TEST(AdminTokensTest, EmptyFileIsRefused) {
  absl::StatusOr<AdminTokens> t = AdminTokens::Parse("# only a comment\n\n");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("no token"), std::string::npos);
}

TEST(AdminTokensTest, BadByteNamesTheLine) {
  absl::StatusOr<AdminTokens> t = AdminTokens::Parse("good\nbad token\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 2"), std::string::npos)
      << t.status();
}

TEST(AdminTokensTest, TooLongTokenIsRefused) {
  absl::StatusOr<AdminTokens> t =
      AdminTokens::Parse(std::string(kMaxTokenBytes + 1, 'a'));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("at most 4096"), std::string::npos);
}

TEST(AdminTokensTest, LoadFileReadsAndNamesMissingPath) {
  std::string path = testing::TempDir() + "/admin_auth_test_tokens_" +
                     std::to_string(getpid());
  {
    std::ofstream out(path);
    out << "s3cret\n";
  }
  absl::StatusOr<AdminTokens> t = AdminTokens::LoadFile(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->Check("Bearer s3cret"));
  std::remove(path.c_str());

  absl::StatusOr<AdminTokens> missing = AdminTokens::LoadFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace corsd::rpc
