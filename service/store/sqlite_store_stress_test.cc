// SqliteStore under concurrency (label: stress, run under ThreadSanitizer):
// one writer commits a mix of batches that go straight to `entries` and
// batches that go to `pending` (folded by the background thread), while
// readers Load snapshots. Every snapshot must hold exactly the batches up to
// its revision, each one whole: the fold never shows half a batch, and a
// snapshot never misses a pending one.
#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/sqlite_store.h"
#include "service/store/store.h"

namespace corsd::store {
namespace {

constexpr int kBatches = 60;
constexpr size_t kThreshold = 40;
constexpr int kReaders = 2;

// Batch b (revision b + 2; revision 1 creates the tenant): every third batch
// is large (pending path), the others small (direct, unless one is pending).
int SizeOf(int b) { return b % 3 == 0 ? 150 : 7; }

// Counts entries per batch number ("https://b<b>-<j>.stress").
class CountBatches final : public LoadSink {
 public:
  absl::Status OnTenant(absl::string_view, absl::string_view) override {
    ++tenants;
    return absl::OkStatus();
  }
  absl::Status OnDomain(absl::string_view, absl::string_view,
                        absl::string_view) override {
    return absl::InternalError("the stress test writes no domains");
  }
  absl::Status OnEntry(absl::string_view, EntryKind,
                       absl::string_view value) override {
    value.remove_prefix(std::string("https://b").size());
    int b = -1;
    if (!absl::SimpleAtoi(value.substr(0, value.find('-')), &b)) {
      return absl::InternalError(absl::StrCat("unexpected entry ", value));
    }
    ++per_batch[b];
    return absl::OkStatus();
  }
  int tenants = 0;
  std::map<int, int> per_batch;
};

TEST(SqliteStoreStress, SnapshotsHoldWholeBatchesWhileFolding) {
  char tmpl[] = "/tmp/corsd_sqlite_stress.XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  {
    SqliteStoreOptions options;
    options.fold_threshold = kThreshold;
    options.fold_slice = 16;  // many slices: readers race them
    auto store = SqliteStore::Open(dir, options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)
                    ->Commit({{Mutation::Type::kPutTenant, EntryKind::kOrigin,
                               "t", "", ""}},
                             0)
                    .ok());
    std::atomic<bool> done{false};  // relaxed is enough: a stop flag
    std::atomic<int> loads{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
      readers.emplace_back([&] {
        while (!done.load(std::memory_order_relaxed)) {
          CountBatches sink;
          auto revision = (*store)->Load(sink);
          ASSERT_TRUE(revision.ok()) << revision.status();
          ASSERT_EQ(sink.tenants, 1);
          const int batches = static_cast<int>(*revision) - 1;
          ASSERT_EQ(static_cast<int>(sink.per_batch.size()), batches)
              << "revision " << *revision;
          for (const auto& [b, count] : sink.per_batch) {
            ASSERT_LT(b, batches) << "revision " << *revision;
            ASSERT_EQ(count, SizeOf(b)) << "batch " << b << " half visible";
          }
          loads.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    for (int b = 0; b < kBatches; ++b) {
      Batch batch;
      for (int j = 0; j < SizeOf(b); ++j) {
        batch.push_back({Mutation::Type::kAddEntry, EntryKind::kOrigin, "t",
                         absl::StrCat("https://b", b, "-", j, ".stress"), ""});
      }
      auto revision = (*store)->Commit(batch, b + 1);
      ASSERT_TRUE(revision.ok()) << revision.status();
    }
    done.store(true, std::memory_order_relaxed);
    for (std::thread& t : readers) t.join();
    EXPECT_GT(loads.load(), 0);
  }
  // Reopened (whatever the close left pending is folded): everything.
  auto store = SqliteStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  CountBatches sink;
  ASSERT_EQ(*(*store)->Load(sink), static_cast<uint64_t>(kBatches + 1));
  ASSERT_EQ(static_cast<int>(sink.per_batch.size()), kBatches);
  for (const auto& [b, count] : sink.per_batch) EXPECT_EQ(count, SizeOf(b));
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corsd::store
