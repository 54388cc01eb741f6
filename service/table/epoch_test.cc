// Unit tests for EpochManager: retirement waits for guards open at the time,
// nesting, Synchronize, destructor.
#include "service/table/epoch.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace corsd::table {
namespace {

TEST(EpochTest, ReclaimWithoutReadersRunsEverything) {
  EpochManager epochs;
  int freed = 0;
  epochs.Retire([&] { ++freed; });
  epochs.Retire([&] { ++freed; });
  EXPECT_EQ(epochs.PendingForTest(), 2u);
  EXPECT_EQ(epochs.Reclaim(), 2u);
  EXPECT_EQ(freed, 2);
  EXPECT_EQ(epochs.Reclaim(), 0u);
}

TEST(EpochTest, OpenGuardDelaysReclaimUntilClosed) {
  EpochManager epochs;
  int freed = 0;
  {
    EpochManager::ReadGuard guard(&epochs);
    epochs.Retire([&] { ++freed; });
    EXPECT_EQ(epochs.Reclaim(), 0u);
    EXPECT_EQ(freed, 0);
  }
  EXPECT_EQ(epochs.Reclaim(), 1u);
  EXPECT_EQ(freed, 1);
}

TEST(EpochTest, GuardOpenedAfterRetireDoesNotDelay) {
  EpochManager epochs;
  int freed = 0;
  epochs.Retire([&] { ++freed; });
  EpochManager::ReadGuard guard(&epochs);
  EXPECT_EQ(epochs.Reclaim(), 1u);
  EXPECT_EQ(freed, 1);
}

TEST(EpochTest, NestedGuardsKeepThePinUntilTheOutermostCloses) {
  EpochManager epochs;
  int freed = 0;
  {
    EpochManager::ReadGuard outer(&epochs);
    epochs.Retire([&] { ++freed; });
    { EpochManager::ReadGuard inner(&epochs); }
    EXPECT_EQ(epochs.Reclaim(), 0u);  // outer still open
  }
  EXPECT_EQ(epochs.Reclaim(), 1u);
}

TEST(EpochTest, GuardOnAnotherThreadDelaysAndSynchronizeWaits) {
  EpochManager epochs;
  std::atomic<bool> entered{false}, release{false};
  std::atomic<int> freed{0};
  std::thread reader([&] {
    EpochManager::ReadGuard guard(&epochs);
    entered.store(true);
    while (!release.load()) std::this_thread::yield();
  });
  while (!entered.load()) std::this_thread::yield();
  epochs.Retire([&] { freed.fetch_add(1); });
  EXPECT_EQ(epochs.Reclaim(), 0u);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release.store(true);
  });
  epochs.Synchronize();  // returns only once the reader's guard closed
  EXPECT_TRUE(release.load());
  EXPECT_EQ(freed.load(), 1);
  reader.join();
  releaser.join();
}

TEST(EpochTest, TwoManagersOnOneThreadAreIndependent) {
  EpochManager a, b;
  int freed = 0;
  EpochManager::ReadGuard guard_a(&a);
  b.Retire([&] { ++freed; });
  EXPECT_EQ(b.Reclaim(), 1u);  // a's guard does not pin b
  a.Retire([&] { ++freed; });
  EXPECT_EQ(a.Reclaim(), 0u);
  EXPECT_EQ(freed, 1);
}

TEST(EpochTest, DestructorRunsWhatIsLeft) {
  int freed = 0;
  {
    EpochManager epochs;
    epochs.RetireObject(new int(7));
    epochs.Retire([&] { ++freed; });
  }
  EXPECT_EQ(freed, 1);
}

TEST(EpochTest, ManyThreadsRegisterAndSlotsAreReused) {
  EpochManager epochs;
  for (int round = 0; round < 3; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 100; ++t) {  // more than one slot block
      threads.emplace_back([&] { EpochManager::ReadGuard guard(&epochs); });
    }
    for (auto& t : threads) t.join();
  }
  int freed = 0;
  epochs.Retire([&] { ++freed; });
  epochs.Synchronize();  // exited threads left their slots inactive
  EXPECT_EQ(freed, 1);
}

}  // namespace
}  // namespace corsd::table
