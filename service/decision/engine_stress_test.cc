// Stress (label stress; run under TSan): reader threads Decide and read the
// decision while a writer swaps the tenant's policy and adds / removes its
// origins. Every decision must be one of the consistent outcomes: the views
// it returns must stay readable (TSan / ASan catch a use after free), and
// the headers must come from one policy version, never a mix.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/decision/engine.h"
#include "service/decision/testing/fixture.h"

namespace corsd::decision {
namespace {

using testing::World;

policy::Policy Version(int v) {
  policy::Policy p = testing::AcmePolicy();
  p.exposed_headers = {v % 2 ? "x-odd" : "x-even"};
  p.max_age_seconds = v % 2 ? 111 : 222;
  return p;
}

TEST(EngineStressTest, ReadersDecideWhileWriterSwapsPoliciesAndOrigins) {
  World w;
  w.SetPolicy("acme", Version(0));
  constexpr auto kDuration = std::chrono::seconds(3);
  constexpr int kReaders = 3;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> decisions{0};
  std::atomic<uint64_t> failures{0};

  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      testing::OwnedRequest actual;
      actual.origin = "https://flip.example.com";
      testing::OwnedRequest pre = actual;
      pre.method = "OPTIONS";
      pre.acrm = "PUT";
      pre.acrh = "x-request-id";
      const Request a = actual.View();
      const Request p = pre.View();
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        table::EpochManager::ReadGuard guard(w.epochs());
        Decision d;
        w.engine().Decide("acme", (n + t) % 2 ? a : p, &d);
        bool ok = false;
        if (d.reason == Reason::kR2OriginAllowed) {
          ok =
              d.header_count == 4 && d.headers[0].value == *actual.origin &&
              (d.headers[2].value == "x-odd" || d.headers[2].value == "x-even");
        } else if (d.reason == Reason::kR6PreflightAllowed) {
          ok = d.header_count == 6 &&
               (d.headers[4].value == "111" || d.headers[4].value == "222");
        } else if (d.reason == Reason::kR2OriginNotAllowed) {
          ok = d.header_count == 1 && d.headers[0].name == "vary";
        }
        if (!ok) failures.fetch_add(1, std::memory_order_relaxed);
        ++n;
      }
      decisions.fetch_add(n, std::memory_order_relaxed);
    });
  }

  using K = table::Op::Kind;
  const auto deadline = std::chrono::steady_clock::now() + kDuration;
  int version = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++version;
    w.SetPolicy("acme", Version(version));
    const K kind = version % 2 ? K::kAddOrigin : K::kRemoveOrigin;
    ASSERT_TRUE(
        w.table()->Apply({{kind, "acme", "https://flip.example.com"}}).ok());
    w.epochs()->Reclaim();
  }
  stop.store(true);
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(decisions.load(), 0u);
  EXPECT_GT(version, 10);
}

}  // namespace
}  // namespace corsd::decision
