// Stress test for EpochManager: one writer swaps a published object and
// retires the old one while readers dereference it under guards. A reader
// finding a destroyed object (canary) or ASan finding a use-after-free fails
// the test. Bounded to about 2 s of wall time.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/table/epoch.h"

namespace corsd::table {
namespace {

constexpr uint64_t kAlive = 0xA11CEA11CEA11CEull;
constexpr uint64_t kDead = 0xDEADDEADDEADDEADull;

struct Object {
  explicit Object(uint64_t v) : value(v) {}
  ~Object() { canary.store(kDead, std::memory_order_relaxed); }
  std::atomic<uint64_t> canary{kAlive};
  uint64_t value;
  uint64_t check = ~value;
};

TEST(EpochStressTest, ReadersNeverSeeFreedObjects) {
  EpochManager epochs;
  std::atomic<Object*> current{new Object(0)};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      uint64_t n = 0, last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        EpochManager::ReadGuard guard(&epochs);
        for (int i = 0; i < 16; ++i) {
          const Object* o = current.load(std::memory_order_acquire);
          if (o->canary.load(std::memory_order_relaxed) != kAlive ||
              o->check != ~o->value || o->value < last) {
            bad.fetch_add(1);
          }
          last = o->value;
          // A nested guard must not end the outer pin.
          EpochManager::ReadGuard inner(&epochs);
          ++n;
        }
      }
      reads.fetch_add(n);
    });
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t version = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    Object* old =
        current.exchange(new Object(++version), std::memory_order_acq_rel);
    epochs.RetireObject(old);
    if (version % 64 == 0)
      epochs.Synchronize();
    else
      epochs.Reclaim();
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  epochs.Synchronize();
  EXPECT_EQ(epochs.PendingForTest(), 0u);
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(version, 100u);
  delete current.load();
}

}  // namespace
}  // namespace corsd::table
