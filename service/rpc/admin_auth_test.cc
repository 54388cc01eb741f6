#include "service/rpc/admin_auth.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

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

TEST(AdminTokensTest, BareTokenHasEveryTenantAndAFingerprintId) {
  absl::StatusOr<AdminTokens> t = AdminTokens::Parse("s3cret\n");
  ASSERT_TRUE(t.ok()) << t.status();
  std::optional<AdminIdentity> who = t->Authenticate("Bearer s3cret");
  ASSERT_TRUE(who.has_value());
  EXPECT_TRUE(who->all_tenants);
  EXPECT_TRUE(who->Allows("any-tenant"));
  EXPECT_EQ(who->ScopeText(), "every tenant");
  // The id is the fingerprint, which never holds the token.
  EXPECT_EQ(who->id, TokenFingerprint("s3cret"));
  EXPECT_EQ(who->id.size(), 7u + 12u);
  EXPECT_EQ(TokenFingerprint("abc"), "sha256:ba7816bf8f01");
  EXPECT_EQ(who->id.find("s3cret"), std::string::npos);
}

TEST(AdminTokensTest, IdAndTenantScope) {
  absl::StatusOr<AdminTokens> t = AdminTokens::Parse(
      "tok-a id=ci-shop tenants=shop-eu,shop\n"
      "tok-b\ttenants=blog\tid=blog-bot\n"
      "tok-c id=ops tenants=*\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 3u);
  std::optional<AdminIdentity> a = t->Authenticate("Bearer tok-a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, "ci-shop");
  EXPECT_FALSE(a->all_tenants);
  EXPECT_EQ(a->tenants, (std::vector<std::string>{"shop", "shop-eu"}));
  EXPECT_TRUE(a->Allows("shop"));
  EXPECT_TRUE(a->Allows("shop-eu"));
  EXPECT_FALSE(a->Allows("blog"));
  EXPECT_FALSE(a->Allows("shop-e"));
  EXPECT_FALSE(a->Allows(""));
  EXPECT_EQ(a->ScopeText(), "tenants shop, shop-eu");
  std::optional<AdminIdentity> b = t->Authenticate("bearer tok-b");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->id, "blog-bot");
  EXPECT_EQ(b->ScopeText(), "tenant blog");
  EXPECT_FALSE(b->Allows("shop"));
  std::optional<AdminIdentity> c = t->Authenticate("Bearer tok-c");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->id, "ops");
  EXPECT_TRUE(c->all_tenants);
  EXPECT_FALSE(t->Authenticate("Bearer tok-a id=ci-shop").has_value());
  EXPECT_FALSE(t->Authenticate("Bearer ci-shop").has_value());
}

TEST(AdminTokensTest, LongScopeTextIsBounded) {
  std::string line = "tok tenants=";
  for (int i = 0; i < 25; ++i) line += (i ? ",t" : "t") + std::to_string(i);
  absl::StatusOr<AdminTokens> t = AdminTokens::Parse(line);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::string text = t->identity(0).ScopeText();
  EXPECT_NE(text.find(" and 15 more"), std::string::npos) << text;
}

// Each malformed file: the error names the line and the field at fault.
TEST(AdminTokensTest, MalformedLinesNameLineAndField) {
  struct Case {
    const char* file;
    const char* want;
  };
  const Case cases[] = {
      {"ok\ntok id=a id=b\n", "line 2: id= given twice"},
      {"tok tenants=a tenants=b\n", "line 1: tenants= given twice"},
      {"tok color=red\n", "line 1: key \"color\" is unknown"},
      {"tok tenants=\n", "line 1: tenants= is empty"},
      {"tok tenants=a,,b\n", "line 1: tenants= item 2 is empty"},
      {"tok tenants=Shop\n", "line 1: tenants= item 1: tenant id \"Shop\""},
      {"tok tenants=-x\n", "line 1: tenants= item 1: tenant id \"-x\""},
      {"tok id=\n", "line 1: id= \"\": expected 1..64"},
      {"tok id=a/b\n", "line 1: id= \"a/b\": expected 1..64"},
      {"a id=x\nb id=x\n", "line 2: id=\"x\" repeats"},
      {"a\n#\na tenants=shop\n", "line 3: token repeats"},
      {"a id=sha256:ca978112ca1b\nb\nc\n", ""},  // ids differ: fine
      {"tok stray\n", "line 1: field without '='"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AdminTokens> t = AdminTokens::Parse(c.file);
    if (std::string(c.want).empty()) {
      EXPECT_TRUE(t.ok()) << c.file << ": " << t.status();
      continue;
    }
    ASSERT_FALSE(t.ok()) << c.file;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.want), std::string::npos)
        << c.file << " -> " << t.status().message();
  }
  // The fingerprint of "a" as an explicit id of another token collides.
  absl::StatusOr<AdminTokens> collide =
      AdminTokens::Parse("b id=" + TokenFingerprint("a") + "\na\n");
  ASSERT_FALSE(collide.ok());
  EXPECT_NE(collide.status().message().find("line 2"), std::string::npos);
}

TEST(AdminTokensTest, ScopeSizeIsBounded) {
  std::string line = "tok tenants=";
  for (size_t i = 0; i <= kMaxScopeTenants; ++i) {
    line += (i ? ",t" : "t") + std::to_string(i);
  }
  absl::StatusOr<AdminTokens> t = AdminTokens::Parse(line);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("more than 1000 tenants"),
            std::string::npos);
}

TEST(AdminTokenStoreTest, ReloadSwapsWholeOrKeepsOld) {
  const std::string path =
      testing::TempDir() + "/admin_auth_test_store_" + std::to_string(getpid());
  const auto write = [&](const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  };
  write("old-token id=old\n");
  absl::StatusOr<AdminTokens> first = AdminTokens::LoadFile(path);
  ASSERT_TRUE(first.ok()) << first.status();
  AdminTokenStore store(*std::move(first), path);
  std::shared_ptr<const AdminTokens> held = store.Current();

  write("new-token id=new tenants=shop\n");
  ASSERT_TRUE(store.ReloadFile().ok());
  EXPECT_FALSE(store.Current()->Check("Bearer old-token"));
  EXPECT_TRUE(store.Current()->Check("Bearer new-token"));
  // A caller still holding the old set keeps a valid object.
  EXPECT_TRUE(held->Check("Bearer old-token"));

  // A broken file: the error names the file and the line; the tokens stay.
  write("good-token\nbad-token tenants=Shop\n");
  absl::Status s = store.ReloadFile();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(path), std::string::npos) << s;
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s;
  EXPECT_NE(s.message().find("old tokens kept"), std::string::npos) << s;
  EXPECT_TRUE(store.Current()->Check("Bearer new-token"));
  EXPECT_FALSE(store.Current()->Check("Bearer good-token"));

  std::remove(path.c_str());
  s = store.ReloadFile();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.Current()->Check("Bearer new-token"));

  AdminTokenStore no_path(*AdminTokens::Parse("x"));
  EXPECT_EQ(no_path.ReloadFile().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace corsd::rpc
