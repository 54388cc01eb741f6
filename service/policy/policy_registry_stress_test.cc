// Stress (label stress; run under TSan): readers Find and read policies
// while one writer replaces and removes them across many tenant ids; the
// second test makes many tenants share a few policies, so shared policies are
// replaced, removed and retired while readers hold them.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/policy/policy_registry.h"

namespace corsd::policy {
namespace {

TEST(PolicyRegistryStressTest, ReadersNeverSeeAPartialPolicy) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  constexpr table::TenantId kTenants = 3 * PolicyRegistry::kChunkSize;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      uint64_t n = 0;
      table::TenantId id = t;
      while (!stop.load(std::memory_order_relaxed)) {
        table::EpochManager::ReadGuard guard(&epochs);
        const CompiledPolicy* p = reg.Find(id);
        if (p != nullptr) {
          // Each version's max-age and its formatted value agree.
          const uint32_t age = p->source().max_age_seconds;
          if (p->defaults().max_age_value != std::to_string(age) ||
              age % 1000 != id % 1000) {
            bad.fetch_add(1, std::memory_order_relaxed);
          }
        }
        id = (id * 7 + 13) % kTenants;
        ++n;
      }
      reads.fetch_add(n, std::memory_order_relaxed);
    });
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t writes = 0;
  for (uint32_t round = 1; std::chrono::steady_clock::now() < deadline;
       ++round) {
    for (table::TenantId id = round % 5; id < kTenants; id += 97) {
      if ((id + round) % 11 == 0) {
        reg.Remove(id);
        continue;
      }
      Policy p;
      // Never 0 (0 omits Max-Age): 1000..80999, id % 1000 in the low digits.
      p.max_age_seconds = (round % 80) * 1000 + 1000 + id % 1000;
      ASSERT_TRUE(reg.Set(id, std::move(Validate(p)).value()).ok());
      ++writes;
    }
  }
  stop.store(true);
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(writes, 0u);
}

TEST(PolicyRegistryStressTest, SharedPoliciesRetireOnlyWhenUnused) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  constexpr table::TenantId kTenants = 2 * PolicyRegistry::kChunkSize;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0};
  std::atomic<uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      uint64_t n = 0;
      table::TenantId id = t;
      while (!stop.load(std::memory_order_relaxed)) {
        table::EpochManager::ReadGuard guard(&epochs);
        const CompiledPolicy* p = reg.Find(id);
        if (p != nullptr) {
          // A shared policy is one of this tenant's (id % 8 agrees).
          const uint32_t age = p->source().max_age_seconds;
          if (p->defaults().max_age_value != std::to_string(age) ||
              age % 8 != id % 8) {
            bad.fetch_add(1, std::memory_order_relaxed);
          }
        }
        id = (id * 7 + 13) % kTenants;
        ++n;
      }
      reads.fetch_add(n, std::memory_order_relaxed);
    });
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t writes = 0;
  for (uint32_t round = 1; std::chrono::steady_clock::now() < deadline;
       ++round) {
    for (table::TenantId id = round % 3; id < kTenants; id += 3) {
      if ((id + round) % 7 == 0) {
        reg.Remove(id);
        continue;
      }
      Policy p;
      // 4 versions x 8 residues: 32 distinct policies shared by all tenants.
      p.max_age_seconds = ((round + id / 64) % 4 + 1) * 1000 + id % 8;
      ASSERT_TRUE(reg.Set(id, std::move(Validate(p)).value()).ok());
      ++writes;
    }
    EXPECT_LE(reg.distinct_policies(), 32u);
  }
  stop.store(true);
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(writes, 0u);
}

}  // namespace
}  // namespace corsd::policy
