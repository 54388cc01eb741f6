// Many producers and one consumer on a small ring (so it is full often and
// every cell goes round many laps): every record a producer published is
// read exactly once, in each producer's order, whole (no torn record); a
// producer that finds the ring full retries until it has published its
// share. Run under ThreadSanitizer in CI.
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/door/bounded_ring.h"

namespace corsd::door {
namespace {

struct Item {
  uint32_t producer = 0;
  uint32_t seq = 0;
  uint64_t check = 0;  // a function of the other two: a torn record fails it
};

uint64_t Check(uint32_t producer, uint32_t seq) {
  return (uint64_t{producer} << 32 | seq) * 0x9E3779B97F4A7C15ull;
}

TEST(BoundedRingStressTest, ManyProducersOneConsumerLoseAndDuplicateNothing) {
  constexpr int kProducers = 6;
  constexpr uint32_t kPerProducer = 20000;
  BoundedRing<Item> ring(64);
  std::atomic<int> running{kProducers};
  std::vector<uint64_t> published(kProducers, 0);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      uint32_t seq = 0;
      while (seq < kPerProducer) {
        uint64_t pos = 0;
        Item* item = ring.TryClaim(&pos);
        if (item == nullptr) {  // full: observers drop, this test retries
          std::this_thread::yield();
          continue;
        }
        item->producer = static_cast<uint32_t>(p);
        item->seq = seq;
        item->check = Check(static_cast<uint32_t>(p), seq);
        ring.Publish(pos);
        ++seq;
      }
      published[p] = seq;
      // Release: `published[p]` before the consumer's last drain.
      running.fetch_sub(1, std::memory_order_release);
    });
  }
  std::vector<uint32_t> next(kProducers, 0);
  uint64_t read = 0;
  bool ok = true;
  for (;;) {
    // Acquire: pairs with the producers' release, so their final counts
    // are visible once the drain after this load finds the ring empty.
    const bool done = running.load(std::memory_order_acquire) == 0;
    while (const Item* item = ring.Front()) {
      if (item->producer >= kProducers ||
          item->check != Check(item->producer, item->seq) ||
          item->seq != next[item->producer]) {
        ok = false;  // torn, foreign, lost or duplicated
      } else {
        ++next[item->producer];
      }
      ring.Pop();
      ++read;
    }
    if (done) break;
    std::this_thread::yield();
  }
  for (std::thread& t : producers) t.join();
  EXPECT_TRUE(ok);
  uint64_t total = 0;
  for (int p = 0; p < kProducers; ++p) {
    EXPECT_EQ(next[p], published[p]) << "producer " << p;
    total += published[p];
  }
  EXPECT_EQ(total, uint64_t{kProducers} * kPerProducer);
  EXPECT_EQ(read, total);
  EXPECT_EQ(ring.claimed(), total);  // a refused claim takes no position
}

}  // namespace
}  // namespace corsd::door
