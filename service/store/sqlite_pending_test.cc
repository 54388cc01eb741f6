// SqliteStore's pending path: large batches committed encoded to `pending`
// and folded into `entries` later. Each test looks at the file through a
// second SQLite connection, so it sees what a crash would leave behind.
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/sqlite_store.h"
#include "service/store/store.h"
#include "service/store/testing/store_test_util.h"

namespace corsd::store {
namespace {

using ::corsd::store::testing::Collect;
using ::corsd::store::testing::TempDir;

std::string DbPath(const TempDir& dir) {
  return absl::StrCat(dir.path(), "/corsd.db");
}

// A second connection to the store's file.
class Peek {
 public:
  explicit Peek(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Peek() { sqlite3_close(db_); }
  int64_t Count(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr),
              SQLITE_OK)
        << sql;
    int64_t n = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  }
  void Exec(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
  }

 private:
  sqlite3* db_ = nullptr;
};

Mutation Put(std::string t) {
  return {Mutation::Type::kPutTenant, EntryKind::kOrigin, t, "p", ""};
}
Mutation Add(std::string t, std::string v) {
  return {Mutation::Type::kAddEntry, EntryKind::kOrigin, t, v, ""};
}
Mutation Remove(std::string t, std::string v) {
  return {Mutation::Type::kRemoveEntry, EntryKind::kOrigin, t, v, ""};
}
std::string Origin(int i) { return absl::StrCat("https://h", i, ".example"); }

// Adds of Origin(first..first+n-1) to tenant t.
Batch Adds(const std::string& t, int first, int n) {
  Batch batch;
  for (int i = first; i < first + n; ++i) batch.push_back(Add(t, Origin(i)));
  return batch;
}

// Threshold 10, no background thread: batches stay pending until a Load or
// the next Open folds them.
SqliteStoreOptions Manual() {
  SqliteStoreOptions options;
  options.fold_threshold = 10;
  options.fold_slice = 7;  // several slices per batch
  options.background_fold = false;
  return options;
}

std::vector<std::string> Entries(const std::string& t, int first, int n) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(absl::StrCat(t, "/origin/", Origin(i)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SqlitePending, LargeBatchIsCommittedPendingAndFoldedByLoad) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path(), Manual());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit({Put("t")}, 0).ok());  // small: direct
  Peek peek(DbPath(dir));
  EXPECT_EQ(peek.Count("SELECT count(*) FROM tenants"), 1);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);

  auto r = (*store)->Commit(Adds("t", 0, 30), 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 2u);
  // Durable as one pending row; entries untouched so far.
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 1);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM entries"), 0);
  EXPECT_EQ(peek.Count("SELECT value FROM meta WHERE key='revision'"), 2);

  Collect c;
  auto revision = (*store)->Load(c);
  ASSERT_TRUE(revision.ok()) << revision.status();
  EXPECT_EQ(*revision, 2u);
  EXPECT_EQ(c.entries, Entries("t", 0, 30));
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM entries"), 30);
}

TEST(SqlitePending, LaterCommitsQueueBehindAPendingBatch) {
  TempDir dir;
  {
    auto store = SqliteStore::Open(dir.path(), Manual());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Commit({Put("t")}, 0).ok());
    ASSERT_TRUE((*store)->Commit(Adds("t", 0, 20), 1).ok());
    // Small, but something is pending: it must not overtake the import, or
    // folding the import later would bring h3 back.
    ASSERT_TRUE((*store)->Commit({Remove("t", Origin(3))}, 2).ok());
    Peek peek(DbPath(dir));
    EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 2);
    EXPECT_EQ(peek.Count("SELECT count(*) FROM entries"), 0);
  }
  // Reopening folds both, in revision order.
  auto store = SqliteStore::Open(dir.path(), Manual());
  ASSERT_TRUE(store.ok()) << store.status();
  Peek peek(DbPath(dir));
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);
  Collect c;
  EXPECT_EQ(*(*store)->Load(c), 3u);
  std::vector<std::string> want = Entries("t", 0, 20);
  std::erase(want, absl::StrCat("t/origin/", Origin(3)));
  EXPECT_EQ(c.entries, want);
  // With nothing pending, small commits go straight to entries again.
  ASSERT_TRUE((*store)->Commit({Add("t", Origin(100))}, 3).ok());
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM entries"), 20);
}

// A crash in the middle of a fold leaves some of the batch's slices in
// entries and the batch still pending; folding the whole batch again over
// that must give exactly the batch's result.
TEST(SqlitePending, RefoldingOverAPartialFoldGivesTheBatchResult) {
  TempDir dir;
  {
    auto store = SqliteStore::Open(dir.path(), Manual());
    ASSERT_TRUE(store.ok()) << store.status();
    Batch first = Adds("t", 0, 5);
    first.insert(first.begin(), Put("t"));
    ASSERT_TRUE((*store)->Commit(first, 0).ok());  // 6 < 10: direct
    // Adds h5..h24, then removes h0 and h10 (one of its own adds).
    Batch batch = Adds("t", 5, 20);
    batch.push_back(Remove("t", Origin(0)));
    batch.push_back(Remove("t", Origin(10)));
    ASSERT_TRUE((*store)->Commit(batch, 1).ok());
    // What a fold killed after its first slices would have written: some
    // adds (h10 among them) and not yet the removes.
    Peek peek(DbPath(dir));
    EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 1);
    peek.Exec(absl::StrCat("INSERT INTO entries VALUES('t',1,'", Origin(10),
                           "'),('t',1,'", Origin(11), "')"));
  }
  auto store = SqliteStore::Open(dir.path(), Manual());
  ASSERT_TRUE(store.ok()) << store.status();
  Collect c;
  EXPECT_EQ(*(*store)->Load(c), 2u);
  std::vector<std::string> want = Entries("t", 1, 24);
  std::erase(want, absl::StrCat("t/origin/", Origin(10)));
  EXPECT_EQ(c.entries, want);
}

TEST(SqlitePending, BackgroundFoldEmptiesPendingAndLoadWaitsForIt) {
  TempDir dir;
  SqliteStoreOptions options;
  options.fold_threshold = 10;
  options.fold_slice = 100;
  auto store = SqliteStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit({Put("t")}, 0).ok());
  for (int b = 0; b < 5; ++b) {
    ASSERT_TRUE((*store)->Commit(Adds("t", b * 1000, 1000), b + 1).ok());
  }
  Collect c;
  auto revision = (*store)->Load(c);
  ASSERT_TRUE(revision.ok()) << revision.status();
  EXPECT_EQ(*revision, 6u);
  EXPECT_EQ(c.entries, Entries("t", 0, 5000));
  Peek peek(DbPath(dir));
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM entries"), 5000);
}

TEST(SqlitePending, ClosingMidFoldKeepsEverything) {
  TempDir dir;
  {
    SqliteStoreOptions options;
    options.fold_threshold = 10;
    options.fold_slice = 1;  // thousands of slices: the close lands mid-fold
    auto store = SqliteStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Commit({Put("t")}, 0).ok());
    ASSERT_TRUE((*store)->Commit(Adds("t", 0, 3000), 1).ok());
  }
  auto store = SqliteStore::Open(dir.path(), Manual());
  ASSERT_TRUE(store.ok()) << store.status();
  Collect c;
  EXPECT_EQ(*(*store)->Load(c), 2u);
  EXPECT_EQ(c.entries, Entries("t", 0, 3000));
}

// A batch too big for one pending row is written directly, after what is
// pending (it cannot queue behind it).
TEST(SqlitePending, BatchOverMaxPendingBytesIsWrittenDirectlyAfterTheQueue) {
  TempDir dir;
  SqliteStoreOptions options = Manual();
  options.max_pending_bytes = 500;  // 12 adds fit (~330 bytes), 40 do not
  auto store = SqliteStore::Open(dir.path(), options);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Commit({Put("t")}, 0).ok());
  ASSERT_TRUE((*store)->Commit(Adds("t", 0, 12), 1).ok());
  Peek peek(DbPath(dir));
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 1);
  Batch big = Adds("t", 12, 40);
  big.push_back(Remove("t", Origin(0)));  // must land after the pending add
  ASSERT_TRUE((*store)->Commit(big, 2).ok());
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM entries"), 51);
  Collect c;
  EXPECT_EQ(*(*store)->Load(c), 3u);
  EXPECT_EQ(c.entries, Entries("t", 1, 51));
}

// Version 1 stores (no pending table) are upgraded in place at open.
TEST(SqlitePending, VersionOneStoreIsUpgraded) {
  TempDir dir;
  {
    Peek make(DbPath(dir));
    make.Exec(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
        "CREATE TABLE tenants(id TEXT PRIMARY KEY, policy BLOB NOT NULL) "
        "WITHOUT ROWID;"
        "CREATE TABLE entries(tenant TEXT NOT NULL, kind INTEGER NOT NULL, "
        "value TEXT NOT NULL, PRIMARY KEY(tenant, kind, value)) WITHOUT ROWID;"
        "INSERT INTO meta VALUES('format','corsd-store'),('version',1),"
        "('revision',4);"
        "INSERT INTO tenants VALUES('t','p');"
        "INSERT INTO entries VALUES('t',1,'https://a.example');");
  }
  auto store = SqliteStore::Open(dir.path(), Manual());
  ASSERT_TRUE(store.ok()) << store.status();
  Peek peek(DbPath(dir));
  EXPECT_EQ(peek.Count("SELECT value FROM meta WHERE key='version'"),
            kSqliteFormatVersion);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM domains"), 0);
  EXPECT_EQ(peek.Count("SELECT count(*) FROM pending"), 0);
  ASSERT_TRUE((*store)->Commit(Adds("t", 0, 10), 4).ok());
  Collect c;
  EXPECT_EQ(*(*store)->Load(c), 5u);
  EXPECT_EQ(c.tenants, (std::vector<std::string>{"t=p"}));
  EXPECT_EQ(c.entries.size(), 11u);
}

}  // namespace
}  // namespace corsd::store
