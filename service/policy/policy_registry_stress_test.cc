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

// Three readers that Find policies across [0, tenants) until Stop(), and
// count every policy whose max-age disagrees with its formatted value or
// whose max-age % modulus differs from the tenant id % modulus (the writers
// encode that residue, so a torn or foreign policy is caught).
class Readers {
 public:
  Readers(table::EpochManager* epochs, const PolicyRegistry* reg,
          table::TenantId tenants, uint32_t modulus) {
    for (int t = 0; t < 3; ++t) {
      threads_.emplace_back([=, this] {
        uint64_t n = 0;
        table::TenantId id = t;
        while (!stop_.load(std::memory_order_relaxed)) {
          table::EpochManager::ReadGuard guard(epochs);
          const CompiledPolicy* p = reg->Find(id);
          if (p != nullptr) {
            const uint32_t age = p->source().max_age_seconds;
            if (p->defaults().max_age_value != std::to_string(age) ||
                age % modulus != id % modulus) {
              bad_.fetch_add(1, std::memory_order_relaxed);
            }
          }
          id = (id * 7 + 13) % tenants;
          ++n;
        }
        reads_.fetch_add(n, std::memory_order_relaxed);
      });
    }
  }
  // Stops and joins the readers.
  void Stop() {
    stop_.store(true);
    for (std::thread& r : threads_) r.join();
    threads_.clear();
  }
  ~Readers() { Stop(); }
  uint64_t bad() const { return bad_.load(); }
  uint64_t reads() const { return reads_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bad_{0};
  std::atomic<uint64_t> reads_{0};
  std::vector<std::thread> threads_;
};

TEST(PolicyRegistryStressTest, ReadersNeverSeeAPartialPolicy) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  constexpr table::TenantId kTenants = 3 * PolicyRegistry::kChunkSize;
  Readers readers(&epochs, &reg, kTenants, 1000);
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
  readers.Stop();
  EXPECT_EQ(readers.bad(), 0u);
  EXPECT_GT(readers.reads(), 0u);
  EXPECT_GT(writes, 0u);
}

TEST(PolicyRegistryStressTest, SharedPoliciesRetireOnlyWhenUnused) {
  table::EpochManager epochs;
  PolicyRegistry reg(&epochs);
  constexpr table::TenantId kTenants = 2 * PolicyRegistry::kChunkSize;
  Readers readers(&epochs, &reg, kTenants, 8);
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
  readers.Stop();
  EXPECT_EQ(readers.bad(), 0u);
  EXPECT_GT(readers.reads(), 0u);
  EXPECT_GT(writes, 0u);
}

}  // namespace
}  // namespace corsd::policy
