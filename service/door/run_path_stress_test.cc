// Stress (label stress; run under TSan): deciding threads run RunDecide with
// one shared DecisionIds and one observer while a writer adds and removes
// the origin they ask about. Every id must be issued once (no two threads
// get the same one), every decision reaches the observer exactly once with
// the id RunDecide returned, and the observer reads the event's views only
// inside the call (TSan / ASan catch a read of reclaimed memory).
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/door/decision_id.h"
#include "service/door/decision_observer.h"
#include "service/door/run_path.h"

namespace corsd::door {
namespace {

using decision::testing::OwnedRequest;
using decision::testing::World;

// Stores each event's id in a preallocated slot claimed with fetch_add (no
// lock, no allocation, as the observer contract asks) and reads every view
// of the event while the call lasts.
class SlotObserver : public DecisionObserver {
 public:
  explicit SlotObserver(size_t capacity)
      : ids_(new std::atomic<uint64_t>[capacity]), capacity_(capacity) {}

  void OnDecision(const DecisionEvent& e) override {
    // Touch every view: a reclaimed one is a TSan/ASan report.
    size_t bytes = e.door.size() + e.tenant.size() + e.request.origin.size();
    for (const decision::ResponseHeader& h : e.decision.Headers()) {
      bytes += h.name.size() + h.value.size();
    }
    bytes_.fetch_add(bytes, std::memory_order_relaxed);  // a plain total
    // Relaxed: the slot index only has to be unique; the values are read
    // after every thread is joined (join orders them).
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i < capacity_) ids_[i].store(e.id, std::memory_order_relaxed);
  }

  size_t count() const { return next_.load(std::memory_order_relaxed); }
  uint64_t id(size_t i) const {
    return ids_[i].load(std::memory_order_relaxed);
  }

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> ids_;
  const size_t capacity_;
  std::atomic<size_t> next_{0};
  std::atomic<size_t> bytes_{0};
};

TEST(RunPathStressTest, IdsAreUniqueAndEveryDecisionIsObservedOnce) {
  World world;
  DecisionIds ids(DecisionIds::RandomPrefix());
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20000;
  SlotObserver observer(kThreads * kPerThread);
  const DecisionDeps deps{.engine = &world.engine(),
                          .epochs = world.epochs(),
                          .ids = &ids,
                          .observer = &observer,
                          .door = "decide"};
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint64_t>> returned(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      OwnedRequest owned;
      owned.origin = "https://flip.example.com";
      const decision::Request request = owned.View();
      returned[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        table::EpochManager::ReadGuard guard(world.epochs());
        decision::Decision d;
        returned[t].push_back(
            RunDecide(deps, TenantSources{.named = "acme"}, request, &d).id);
      }
    });
  }
  std::thread writer([&] {
    using K = table::Op::Kind;
    int version = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const K kind = ++version % 2 ? K::kAddOrigin : K::kRemoveOrigin;
      ASSERT_TRUE(world.table()
                      ->Apply({{kind, "acme", "https://flip.example.com"}})
                      .ok());
      world.epochs()->Reclaim();
    }
  });
  for (std::thread& t : threads) t.join();
  stop.store(true, std::memory_order_relaxed);
  writer.join();

  ASSERT_EQ(observer.count(), static_cast<size_t>(kThreads * kPerThread));
  std::set<uint64_t> from_doors;
  for (const auto& v : returned) {
    for (const uint64_t id : v) {
      EXPECT_NE(id, 0u);
      EXPECT_TRUE(from_doors.insert(id).second) << "id issued twice: " << id;
    }
  }
  std::set<uint64_t> observed;
  for (size_t i = 0; i < observer.count(); ++i) {
    EXPECT_TRUE(observed.insert(observer.id(i)).second);
  }
  EXPECT_EQ(observed, from_doors);
}

}  // namespace
}  // namespace corsd::door
