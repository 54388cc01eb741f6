// The shape recorder under concurrency (runs under TSan in CI): many
// threads decide through the real door path (RunDecide with the recorder as
// the observer) over a handful of tenants and shapes while the background
// thread inserts and a reader takes snapshots. Afterwards every decision is
// either counted on its shape or counted as dropped, never both and never
// lost, and each tenant holds exactly the shapes it was sent.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/door/run_path.h"
#include "service/whatif/shape_recorder.h"

namespace corsd::whatif {
namespace {

using decision::testing::OwnedRequest;
using decision::testing::World;

TEST(ShapeRecorderStressTest, EveryDecisionCountedOrDropped) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20000;
  constexpr int kOrigins = 12;  // shapes per tenant sent
  World world;
  ShapeRecorderOptions options;
  options.shapes_per_tenant = 8;  // below kOrigins: the quota is exercised
  options.ring_records = 64;      // small: the full ring is exercised
  options.poll = absl::Milliseconds(1);
  absl::StatusOr<std::unique_ptr<ShapeRecorder>> made =
      ShapeRecorder::Create(options);
  ASSERT_TRUE(made.ok()) << made.status();
  ShapeRecorder& rec = **made;
  const door::DecisionDeps deps{.engine = &world.engine(),
                                .epochs = world.epochs(),
                                .observer = &rec,
                                .door = "decide"};
  const char* tenants[] = {"acme", "open", "bare", "nobody"};
  std::vector<OwnedRequest> requests(kOrigins);
  for (int i = 0; i < kOrigins; ++i) {
    requests[i].origin = absl::StrCat("https://o", i, ".example");
  }

  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      for (const char* t : tenants) {
        for (const RecordedShape& s : rec.Snapshot(t)) {
          EXPECT_GE(s.count, 1u);
          EXPECT_TRUE(s.shape.has_origin);
        }
      }
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> deciders;
  for (int t = 0; t < kThreads; ++t) {
    deciders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const decision::Request r = requests[(i * 7 + t) % kOrigins].View();
        table::EpochManager::ReadGuard guard(world.epochs());
        decision::Decision d;
        door::RunDecide(deps, door::TenantSources{.named = tenants[i % 4]}, r,
                        &d);
      }
    });
  }
  for (std::thread& th : deciders) th.join();
  stop.store(true);
  reader.join();
  rec.Flush();
  // How many shapes the burst got in depends on how often the ring was
  // full; one more pass, a shape at a time, fills every quota.
  for (const char* t : {"acme", "open", "bare"}) {
    for (const OwnedRequest& req : requests) {
      const decision::Request r = req.View();
      table::EpochManager::ReadGuard guard(world.epochs());
      decision::Decision d;
      door::RunDecide(deps, door::TenantSources{.named = t}, r, &d);
      rec.Flush();
    }
  }

  const uint64_t known = uint64_t{kThreads} * kPerThread * 3 / 4 + 3 * kOrigins;
  uint64_t counted = 0;
  for (const char* t : {"acme", "open", "bare"}) {
    const std::vector<RecordedShape> shapes = rec.Snapshot(t);
    EXPECT_EQ(shapes.size(), options.shapes_per_tenant) << t;
    std::map<std::string, int> seen;
    for (const RecordedShape& s : shapes) {
      counted += s.count;
      EXPECT_EQ(++seen[s.shape.origin], 1) << t << " " << s.shape.origin;
    }
  }
  EXPECT_TRUE(rec.Snapshot("nobody").empty());
  const ShapeRecorderStats stats = rec.Stats();
  EXPECT_EQ(stats.tenants, 3u);
  EXPECT_EQ(stats.shapes, 3 * options.shapes_per_tenant);
  EXPECT_EQ(
      stats.dropped_too_large + stats.dropped_tenant_cap + stats.dropped_memory,
      0u);
  EXPECT_GT(stats.dropped_tenant_full, 0u);
  EXPECT_EQ(counted + stats.Dropped(), known)
      << "counted " << counted << " ring_full " << stats.dropped_ring_full
      << " tenant_full " << stats.dropped_tenant_full;
}

}  // namespace
}  // namespace corsd::whatif
