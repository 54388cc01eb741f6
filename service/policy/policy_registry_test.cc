// PolicyRegistry: Set / Find / Remove, replacement, limits.
#include "service/policy/policy_registry.h"

#include "gtest/gtest.h"

namespace corsd::policy {
namespace {

std::unique_ptr<const CompiledPolicy> Make(uint32_t max_age) {
  Policy p;
  p.max_age_seconds = max_age;
  return std::move(Validate(p)).value();
}

TEST(PolicyRegistryTest, SetFindReplaceRemove) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  table::EpochManager::ReadGuard guard(&epochs);
  EXPECT_EQ(reg.Find(7), nullptr);
  ASSERT_TRUE(reg.Set(7, Make(10)).ok());
  ASSERT_NE(reg.Find(7), nullptr);
  EXPECT_EQ(reg.Find(7)->source().max_age_seconds, 10u);
  EXPECT_EQ(reg.Find(6), nullptr);
  EXPECT_EQ(reg.size(), 1u);
  const CompiledPolicy* old = reg.Find(7);
  ASSERT_TRUE(reg.Set(7, Make(20)).ok());
  EXPECT_EQ(reg.Find(7)->source().max_age_seconds, 20u);
  // The old policy stays readable while this guard is held.
  EXPECT_EQ(old->source().max_age_seconds, 10u);
  EXPECT_EQ(reg.size(), 1u);
  EXPECT_TRUE(reg.Remove(7));
  EXPECT_FALSE(reg.Remove(7));
  EXPECT_EQ(reg.Find(7), nullptr);
  EXPECT_EQ(reg.size(), 0u);
}

TEST(PolicyRegistryTest, GrowsAcrossChunks) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  const table::TenantId ids[] = {0, PolicyRegistry::kChunkSize - 1,
                                 PolicyRegistry::kChunkSize,
                                 PolicyRegistry::kMaxTenants - 1};
  for (table::TenantId id : ids) ASSERT_TRUE(reg.Set(id, Make(id % 1000)).ok());
  table::EpochManager::ReadGuard guard(&epochs);
  for (table::TenantId id : ids) {
    ASSERT_NE(reg.Find(id), nullptr) << id;
    EXPECT_EQ(reg.Find(id)->source().max_age_seconds, id % 1000);
  }
  EXPECT_EQ(reg.size(), 4u);
}

TEST(PolicyRegistryTest, EqualPoliciesShareOneCompiledPolicy) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  ASSERT_TRUE(reg.Set(1, Make(600)).ok());
  ASSERT_TRUE(reg.Set(2, Make(600)).ok());
  ASSERT_TRUE(reg.Set(3, Make(30)).ok());
  EXPECT_EQ(reg.size(), 3u);
  EXPECT_EQ(reg.distinct_policies(), 2u);
  {
    table::EpochManager::ReadGuard guard(&epochs);
    ASSERT_NE(reg.Find(1), nullptr);
    EXPECT_EQ(reg.Find(1), reg.Find(2));
    EXPECT_NE(reg.Find(1), reg.Find(3));
  }
  // Re-setting an equal policy keeps the shared one.
  ASSERT_TRUE(reg.Set(1, Make(600)).ok());
  EXPECT_EQ(reg.distinct_policies(), 2u);
  // Changing one tenant does not change the other.
  ASSERT_TRUE(reg.Set(1, Make(900)).ok());
  EXPECT_EQ(reg.distinct_policies(), 3u);
  {
    table::EpochManager::ReadGuard guard(&epochs);
    EXPECT_EQ(reg.Find(1)->source().max_age_seconds, 900u);
    EXPECT_EQ(reg.Find(2)->source().max_age_seconds, 600u);
  }
  // Tenant 1 now shares tenant 2's again; removing one keeps the other's.
  ASSERT_TRUE(reg.Set(1, Make(600)).ok());
  EXPECT_EQ(reg.distinct_policies(), 2u);
  EXPECT_TRUE(reg.Remove(2));
  EXPECT_EQ(reg.distinct_policies(), 2u);
  epochs.Reclaim();
  {
    table::EpochManager::ReadGuard guard(&epochs);
    EXPECT_EQ(reg.Find(2), nullptr);
    ASSERT_NE(reg.Find(1), nullptr);
    EXPECT_EQ(reg.Find(1)->source().max_age_seconds, 600u);
  }
  EXPECT_TRUE(reg.Remove(1));
  EXPECT_TRUE(reg.Remove(3));
  EXPECT_EQ(reg.size(), 0u);
  EXPECT_EQ(reg.distinct_policies(), 0u);
}

TEST(PolicyRegistryTest, RefusesBadIdsAndNull) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  absl::Status s = reg.Set(table::kNoTenant, Make(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("4294967295"), std::string::npos) << s;
  s = reg.Set(PolicyRegistry::kMaxTenants, Make(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = reg.Set(3, nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tenant id 3"), std::string::npos) << s;
  table::EpochManager::ReadGuard guard(&epochs);
  EXPECT_EQ(reg.Find(table::kNoTenant), nullptr);
  EXPECT_FALSE(reg.Remove(table::kNoTenant));
}

}  // namespace
}  // namespace corsd::policy
