// Unit tests for the KeyTable building block: the visibility rules of the
// batch protocol, the arena's record layout, and writer-view operations.
#include "service/table/key_table.h"

#include <string>

#include "gtest/gtest.h"
#include "service/table/origin_keys.h"

namespace corsd::table::internal {
namespace {

TEST(KeyTableTest, VisibilityTruthTable) {
  for (uint64_t v : {uint64_t{6}, uint64_t{7}}) {
    const uint64_t committed = v & 1, next = (v + 1) & 1;
    EXPECT_FALSE(Visible(kEmpty, v));
    EXPECT_TRUE(Visible(kLive, v));
    EXPECT_FALSE(Visible(kTomb, v));
    EXPECT_TRUE(Visible(kAdd | committed, v));  // batch v committed
    EXPECT_FALSE(Visible(kAdd | next, v));      // batch v+1 not yet
    EXPECT_FALSE(Visible(kDel | committed, v));
    EXPECT_TRUE(Visible(kDel | next, v));
  }
  EXPECT_TRUE(WriterPresent(kLive));
  EXPECT_TRUE(WriterPresent(kAdd | 1));
  EXPECT_FALSE(WriterPresent(kDel | 0));
  EXPECT_FALSE(WriterPresent(kTomb));
}

TEST(KeyTableTest, ArenaRecordsRoundTripAcrossChunkSizes) {
  Arena arena;
  const std::string small = "abc";
  const std::string medium(300, 'm');   // 2-byte length
  const std::string large(20000, 'L');  // larger than the first chunks
  const uint32_t a = arena.Append(7, small);
  const uint32_t b = arena.Append(8, medium);
  const uint32_t c = arena.Append(9, large);
  const uint32_t d = arena.Append(10, small);
  EXPECT_EQ(arena.OwnerAt(a), 7u);
  EXPECT_EQ(arena.KeyAt(a), small);
  EXPECT_EQ(arena.KeyAt(b), medium);
  EXPECT_EQ(arena.OwnerAt(c), 9u);
  EXPECT_EQ(arena.KeyAt(c), large);
  EXPECT_EQ(arena.KeyAt(d), small);
  int n = 0;
  arena.ForEachRecord([&](uint32_t) { ++n; });
  EXPECT_EQ(n, 4);
  EXPECT_EQ(arena.BytesUsed(), Arena::RecordBytes(3) * 2 +
                                   Arena::RecordBytes(300) +
                                   Arena::RecordBytes(20000));
}

TEST(KeyTableTest, PendingChangesAndFinalize) {
  EpochManager epochs;
  KeyTable table(&epochs, &keys::HashWholeKey);
  const std::string k = "key";
  const uint64_t h = keys::HashWhole(k);
  table.Reserve(4, 0.5);
  EXPECT_TRUE(table.AddPending(h, k, 1, /*parity=*/1));
  EXPECT_FALSE(table.AddPending(h, k, 1, 1));  // already present
  EXPECT_TRUE(table.AddPending(h, k, 2, 1));   // another owner
  EXPECT_TRUE(table.Contains(h, k, 1));
  int seen = 0;
  table.Probe(h, /*v=*/0, [&](uint32_t, absl::string_view) {
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 0);  // batch 1 not committed at v=0
  table.Probe(h, 1, [&](uint32_t, absl::string_view key) {
    EXPECT_EQ(key, k);
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 2);
  table.Finalize();
  EXPECT_TRUE(table.RemovePending(h, k, 1, /*parity=*/0));
  EXPECT_FALSE(table.RemovePending(h, k, 1, 0));
  EXPECT_FALSE(table.Contains(h, k, 1));
  seen = 0;
  table.Probe(h, 1, [&](uint32_t, absl::string_view) {
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 2);  // batch 2 not committed at v=1: still visible
  table.Finalize();
  EXPECT_EQ(table.live(), 1u);
}

}  // namespace
}  // namespace corsd::table::internal
