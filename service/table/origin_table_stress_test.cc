// One-writer / many-reader stress test for OriginTable. The writer applies
// batches that each add a group of entries (origins, a wildcard, an API host)
// for one tenant and remove an older group, plus filler batches that force
// growth and shrinking, and a tenant that is removed and re-added. Readers
// check that they see every group all or nothing (a torn batch fails), that
// the newest published group is fully visible, and that a tenant's entries
// never match another tenant. ASan catches use-after-free of retired roots.
// Bounded to about 6 s of wall time.
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/origin/origin.h"
#include "service/table/origin_table.h"

namespace corsd::table {
namespace {

constexpr int kGroupSize = 48;  // origins per group
constexpr int kWindow = 40;     // a group is removed kWindow batches later
constexpr int kTenants = 8;
constexpr int kChurnOrigins = 10;

std::string Tenant(uint64_t g) { return absl::StrCat("tenant", g % kTenants); }
std::string GroupOrigin(uint64_t g, int j) {
  return absl::StrCat("https://o", j, ".g", g, ".stress.test");
}
std::string GroupHost(uint64_t g) { return absl::StrCat("api.g", g, ".test"); }

void GroupOps(uint64_t g, bool add, std::vector<Op>* ops) {
  const std::string t = Tenant(g);
  for (int j = 0; j < kGroupSize; ++j) {
    ops->push_back({add ? Op::Kind::kAddOrigin : Op::Kind::kRemoveOrigin, t,
                    GroupOrigin(g, j)});
  }
  ops->push_back({add ? Op::Kind::kAddWildcard : Op::Kind::kRemoveWildcard, t,
                  absl::StrCat("https://*.w.g", g, ".stress.test")});
  ops->push_back({add ? Op::Kind::kAddApiHost : Op::Kind::kRemoveApiHost, t,
                  GroupHost(g)});
}

// Which of group g's kGroupSize + 2 entries the reader sees, looked up one
// call at a time starting at entry `first` (readers vary it, so a torn state
// shows as a non-monotone pattern whichever entries it splits). Checks
// isolation on the way. Must hold a guard.
std::vector<bool> SeeGroup(const OriginTable& table, uint64_t g, int first,
                           std::string* scratch, std::atomic<uint64_t>* bad) {
  const TenantId owner = table.FindTenant(Tenant(g));
  const TenantId other = table.FindTenant(Tenant(g + 1));
  std::vector<bool> seen;
  for (int k = 0; k < kGroupSize + 2; ++k) {
    // A stride coprime with kGroupSize + 2 (50) visits every entry once, in
    // an order that differs from the writer's.
    const int j = (first + 7 * k) % (kGroupSize + 2);
    if (j == kGroupSize) {
      *scratch = absl::StrCat("https://x.w.g", g, ".stress.test");
    } else if (j < kGroupSize) {
      *scratch = GroupOrigin(g, j);
    } else {
      seen.push_back(table.FindApiHost(GroupHost(g)) == owner &&
                     owner != kNoTenant);
      continue;
    }
    origin::OriginParts parts;
    if (origin::CheckOriginHeader(*scratch, &parts) !=
        origin::HeaderCheck::kCanonical) {
      bad->fetch_add(1);
      continue;
    }
    const Match want = j == kGroupSize ? Match::kWildcard : Match::kExact;
    seen.push_back(table.Lookup(owner, parts) == want);
    if (table.Lookup(other, parts) != Match::kNone) bad->fetch_add(1);
  }
  return seen;
}

bool AllOf(const std::vector<bool>& v, bool x) {
  for (bool b : v) {
    if (b != x) return false;
  }
  return true;
}
// Each lookup is its own linearization point, so while a group is being
// added a reader may see 0...0 1...1, while it is removed 1...1 0...0, but
// never an entry appear then another vanish (or the reverse) in one phase.
bool NonDecreasing(const std::vector<bool>& v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i - 1] && !v[i]) return false;
  }
  return true;
}
bool NonIncreasing(const std::vector<bool>& v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if (!v[i - 1] && v[i]) return false;
  }
  return true;
}

TEST(OriginTableStressTest, OneWriterManyReadersSeeWholeBatches) {
  EpochManager epochs;
  OriginTable table(&epochs);
  std::vector<Op> setup;
  for (int t = 0; t < kTenants; ++t) {
    setup.push_back({Op::Kind::kAddTenant, absl::StrCat("tenant", t), ""});
  }
  GroupOps(0, true, &setup);
  ASSERT_TRUE(table.Apply(setup).ok());

  // The writer stores `started` = g before Apply(batch g) and `published` =
  // g after it returns.
  std::atomic<uint64_t> started{0}, published{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, torn{0}, checks{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937_64 rng(r);
      std::string scratch;
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t p0 = published.load(std::memory_order_acquire);
        const uint64_t s0 = started.load(std::memory_order_acquire);
        EpochManager::ReadGuard guard(&epochs);
        const int first = static_cast<int>(rng() % (kGroupSize + 2));
        // A group whose add is done: present until its removal starts, then
        // only ever disappearing.
        const uint64_t g = p0 - std::min<uint64_t>(p0, rng() % (kWindow + 8));
        std::vector<bool> seen = SeeGroup(table, g, first, &scratch, &bad);
        uint64_t s1 = started.load(std::memory_order_acquire);
        if (!NonIncreasing(seen)) torn.fetch_add(1);
        if (g + kWindow > s1 && !AllOf(seen, true)) torn.fetch_add(1);
        // The group being added now (if any): only ever appearing.
        if (s0 > p0) {
          seen = SeeGroup(table, s0, first, &scratch, &bad);
          s1 = started.load(std::memory_order_acquire);
          if (s0 + kWindow > s1 && !NonDecreasing(seen)) torn.fetch_add(1);
        }
        // The churning tenant: an id found is live with all its origins
        // until removed; removal takes them all at once.
        const TenantId churn = table.FindTenant("churn");
        if (churn != kNoTenant) {
          std::vector<bool> churn_seen = {true};
          for (int k = 0; k < kChurnOrigins; ++k) {
            const int j = (first + k) % kChurnOrigins;
            scratch = absl::StrCat("https://c", j, ".churn.test");
            origin::OriginParts parts;
            origin::CheckOriginHeader(scratch, &parts);
            churn_seen.push_back(table.Lookup(churn, parts) == Match::kExact);
          }
          if (!NonIncreasing(churn_seen)) torn.fetch_add(1);
        }
        ++n;
      }
      checks.fetch_add(n);
    });
  }

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(5);
  uint64_t g = 0;
  uint64_t filler_round = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++g;
    std::vector<Op> ops;
    GroupOps(g, true, &ops);
    if (g >= kWindow) GroupOps(g - kWindow, false, &ops);
    if (g % 25 == 0) {
      // The churning tenant: removed with all its origins, or re-added.
      if ((g / 25) % 2 == 1) {
        ops.push_back({Op::Kind::kAddTenant, "churn", ""});
        for (int j = 0; j < kChurnOrigins; ++j) {
          ops.push_back({Op::Kind::kAddOrigin, "churn",
                         absl::StrCat("https://c", j, ".churn.test")});
        }
      } else {
        ops.push_back({Op::Kind::kRemoveTenant, "churn", ""});
      }
    }
    if (g % 100 == 50) {
      // Growth, then shrink and compaction 50 batches later.
      ++filler_round;
      for (int j = 0; j < 3000; ++j) {
        ops.push_back(
            {Op::Kind::kAddOrigin, "tenant0",
             absl::StrCat("https://f", j, ".r", filler_round, ".fill.test")});
      }
    } else if (g % 100 == 0 && filler_round > 0) {
      for (int j = 0; j < 3000; ++j) {
        ops.push_back(
            {Op::Kind::kRemoveOrigin, "tenant0",
             absl::StrCat("https://f", j, ".r", filler_round, ".fill.test")});
      }
    }
    started.store(g, std::memory_order_release);
    absl::StatusOr<ApplyResult> r = table.Apply(ops);
    ASSERT_TRUE(r.ok()) << r.status();
    published.store(g, std::memory_order_release);
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(g, 10u) << "writer made too little progress";
  EXPECT_GT(checks.load(), 100u);
  // The final state is exactly the last kWindow groups (plus fillers).
  EpochManager::ReadGuard guard(&epochs);
  std::string scratch;
  EXPECT_TRUE(AllOf(SeeGroup(table, g, 0, &scratch, &bad), true));
  if (g >= kWindow) {
    EXPECT_TRUE(AllOf(SeeGroup(table, g - kWindow, 0, &scratch, &bad), false));
  }
}

}  // namespace
}  // namespace corsd::table
