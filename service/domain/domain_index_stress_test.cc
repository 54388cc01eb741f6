// One writer, many readers over DomainIndex: readers never see a host that
// is not a whole string of the set, always see the hosts that never change,
// and run under ThreadSanitizer in scripts/test.sh.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/domain/domain_index.h"

namespace corsd::domain {
namespace {

TEST(DomainIndexStressTest, OneWriterManyReaders) {
  table::EpochManager epochs;
  DomainIndex index(&epochs);
  // Stable hosts stay present throughout; flapping ones come and go.
  std::vector<DomainIndex::Change> stable;
  for (int i = 0; i < 512; ++i) {
    stable.push_back({"stable" + std::to_string(i) + ".example.com", true});
  }
  index.Apply(stable);
  std::atomic<bool> stop{false};
  std::atomic<int> missing{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      int i = r;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string host =
            "stable" + std::to_string(i % 512) + ".example.com";
        if (index.Lookup(host) != DomainIndex::Match::kExact) {
          missing.fetch_add(1, std::memory_order_relaxed);
        }
        (void)index.Lookup("flap" + std::to_string(i % 64) + ".example.com");
        (void)index.Lookup("x.wild" + std::to_string(i % 64) + ".example.com");
        ++i;
      }
    });
  }
  for (int round = 0; round < 2000; ++round) {
    const bool present = round % 2 == 0;
    std::vector<DomainIndex::Change> changes;
    for (int i = 0; i < 64; ++i) {
      changes.push_back({"flap" + std::to_string(i) + ".example.com", present});
      changes.push_back(
          {"*.wild" + std::to_string(i) + ".example.com", present});
    }
    index.Apply(changes);
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(missing.load(), 0);
  EXPECT_EQ(index.size(), 512u);
}

}  // namespace
}  // namespace corsd::domain
