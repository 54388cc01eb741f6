#include "service/door/bounded_ring.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace corsd::door {
namespace {

struct Item {
  uint64_t value = 0;
};

TEST(BoundedRingTest, CapacityIsAPowerOfTwoOfAtLeastTwo) {
  EXPECT_EQ(BoundedRing<Item>(0).capacity(), 2u);
  EXPECT_EQ(BoundedRing<Item>(2).capacity(), 2u);
  EXPECT_EQ(BoundedRing<Item>(5).capacity(), 8u);
  EXPECT_EQ(BoundedRing<Item>(1024).capacity(), 1024u);
}

TEST(BoundedRingTest, EmptyRingHasNoFront) {
  BoundedRing<Item> ring(4);
  EXPECT_EQ(ring.Front(), nullptr);
  EXPECT_EQ(ring.claimed(), 0u);
  EXPECT_EQ(ring.read_position(), 0u);
}

TEST(BoundedRingTest, DeliversInClaimOrderAcrossLaps) {
  BoundedRing<Item> ring(4);
  uint64_t next = 0;
  for (int lap = 0; lap < 5; ++lap) {
    for (int i = 0; i < 3; ++i) {
      uint64_t pos = 0;
      Item* item = ring.TryClaim(&pos);
      ASSERT_NE(item, nullptr);
      EXPECT_EQ(pos, ring.claimed() - 1);
      item->value = pos * 10;
      ring.Publish(pos);
    }
    for (int i = 0; i < 3; ++i) {
      const Item* item = ring.Front();
      ASSERT_NE(item, nullptr);
      EXPECT_EQ(item->value, next * 10);
      ring.Pop();
      ++next;
    }
    EXPECT_EQ(ring.Front(), nullptr);
  }
  EXPECT_EQ(ring.read_position(), 15u);
}

TEST(BoundedRingTest, FullRingRefusesUntilTheConsumerFreesACell) {
  BoundedRing<Item> ring(2);
  uint64_t pos = 0;
  for (int i = 0; i < 2; ++i) {
    Item* item = ring.TryClaim(&pos);
    ASSERT_NE(item, nullptr);
    ring.Publish(pos);
  }
  EXPECT_EQ(ring.TryClaim(&pos), nullptr);
  EXPECT_EQ(ring.claimed(), 2u);  // a refused claim takes no position
  ASSERT_NE(ring.Front(), nullptr);
  ring.Pop();
  Item* item = ring.TryClaim(&pos);
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(pos, 2u);
}

TEST(BoundedRingTest, AnUnpublishedClaimHoldsBackTheConsumer) {
  BoundedRing<Item> ring(4);
  uint64_t first = 0;
  uint64_t second = 0;
  Item* a = ring.TryClaim(&first);
  Item* b = ring.TryClaim(&second);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  b->value = 2;
  ring.Publish(second);
  // Position 0 is claimed but not published: nothing can be read yet.
  EXPECT_EQ(ring.Front(), nullptr);
  a->value = 1;
  ring.Publish(first);
  ASSERT_NE(ring.Front(), nullptr);
  EXPECT_EQ(ring.Front()->value, 1u);
  ring.Pop();
  ASSERT_NE(ring.Front(), nullptr);
  EXPECT_EQ(ring.Front()->value, 2u);
}

}  // namespace
}  // namespace corsd::door
