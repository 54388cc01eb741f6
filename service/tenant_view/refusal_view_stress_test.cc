// Stress (label stress; run under TSan): six deciding threads decide through
// RunDecide with the view as the observer, into a small ring, while the
// folder folds, a reader asks Top and renders the metrics, and a table
// writer adds and removes the origin being asked about. At the end every
// refusal is folded or counted as dropped, and the tenants' window totals
// add up to what was folded.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/door/decision_id.h"
#include "service/door/run_path.h"
#include "service/tenant_view/refusal_view.h"

namespace corsd::tenant_view {
namespace {

using decision::testing::OwnedRequest;
using decision::testing::World;

TEST(RefusalViewStressTest, DecidersFolderAndReaderAtOnce) {
  World world;
  door::DecisionIds ids(door::DecisionIds::RandomPrefix());
  absl::StatusOr<std::unique_ptr<RefusalView>> created =
      RefusalView::Create({.top_k = 8,
                           .tenant_cap = 2,  // a third tenant shares
                           .tenant_rate = 20000,
                           .ring_records = 256,
                           .idle_poll = absl::Milliseconds(1)});
  ASSERT_TRUE(created.ok()) << created.status();
  RefusalView& view = **created;
  const door::DecisionDeps deps{.engine = &world.engine(),
                                .epochs = world.epochs(),
                                .ids = &ids,
                                .observer = &view,
                                .door = "decide"};

  constexpr int kThreads = 6;
  constexpr int kPerThread = 20000;
  std::atomic<uint64_t> refusals{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> deciders;
  for (int t = 0; t < kThreads; ++t) {
    deciders.emplace_back([&, t] {
      OwnedRequest flip;
      flip.origin = "https://flip.example.com";
      std::vector<OwnedRequest> evil(20);
      for (int i = 0; i < 20; ++i) {
        evil[i].origin = absl::StrCat("https://evil", t, "-", i, ".example");
      }
      const char* tenants[] = {"acme", "bare", "open", "nobody"};
      uint64_t refused = 0;
      for (int i = 0; i < kPerThread; ++i) {
        table::EpochManager::ReadGuard guard(world.epochs());
        decision::Decision d;
        const decision::Request r =
            i % 3 == 0 ? flip.View() : evil[i % 20].View();
        door::RunDecide(deps, door::TenantSources{.named = tenants[i % 4]}, r,
                        &d);
        if (door::IsRefusal(d.reason)) ++refused;
      }
      refusals.fetch_add(refused);
    });
  }
  std::thread reader([&] {
    std::string text;
    while (!stop.load()) {
      for (const char* tenant : {"acme", "bare", "open"}) {
        absl::StatusOr<TopAnswer> top = view.Top(tenant, false, 10);
        EXPECT_TRUE(top.ok()) << top.status();
        if (top.ok()) {
          for (const TopEntry& e : top->entries) {
            EXPECT_GE(e.count, e.error);
            EXPECT_FALSE(e.origin.empty());
          }
        }
      }
      EXPECT_TRUE(view.Top("", true, 10).ok());
      text.clear();
      view.RenderPrometheus(&text);
      EXPECT_FALSE(text.empty());
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  std::thread table_writer([&] {
    using K = table::Op::Kind;
    int version = 0;
    while (!stop.load()) {
      const K kind = ++version % 2 ? K::kAddOrigin : K::kRemoveOrigin;
      EXPECT_TRUE(world.table()
                      ->Apply({{kind, "acme", "https://flip.example.com"}})
                      .ok());
      world.epochs()->Reclaim();
    }
  });
  for (std::thread& t : deciders) t.join();
  stop.store(true);
  reader.join();
  table_writer.join();
  view.Flush();

  const RefusalViewStats stats = view.Stats();
  EXPECT_GT(stats.folded, 0u);
  EXPECT_EQ(stats.folded + stats.dropped_ring_full + stats.dropped_tenant_rate,
            refusals.load());
  // Every folded refusal is in exactly one tenant's window (the test runs
  // well inside one 15-minute window, at most two slices).
  uint64_t in_windows = 0;
  int shared = 0;
  for (const char* tenant : {"acme", "bare", "open"}) {
    absl::StatusOr<TopAnswer> top = view.Top(tenant, false, 1000);
    ASSERT_TRUE(top.ok());
    if (top->shared) ++shared;
    in_windows += top->window_refusals;
  }
  absl::StatusOr<TopAnswer> unknown = view.Top("", true, 1000);
  ASSERT_TRUE(unknown.ok());
  in_windows += unknown->window_refusals;
  // Two tenants have sketches of their own; a refusing third shares.
  EXPECT_LE(shared, 1);
  EXPECT_LE(view.Stats().tenants, 2u);
  // Exact, the shared sketch's too: a tenant refuses at most 6 x 20 + 1
  // distinct origins, fewer than the shared sketch's 16 x 8 counters.
  EXPECT_EQ(in_windows, stats.folded);
}

}  // namespace
}  // namespace corsd::tenant_view
