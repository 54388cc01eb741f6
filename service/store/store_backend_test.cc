#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
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

Mutation Put(std::string t, std::string policy) {
  return {Mutation::Type::kPutTenant, EntryKind::kOrigin, t, policy, ""};
}
Mutation Add(std::string t, EntryKind k, std::string v) {
  return {Mutation::Type::kAddEntry, k, t, v, ""};
}
Mutation Remove(std::string t, EntryKind k, std::string v) {
  return {Mutation::Type::kRemoveEntry, k, t, v, ""};
}

TEST(BatchEncoding, RoundTrips) {
  Batch batch = {
      Put("t1", std::string("\0\x01policy", 8)),
      Add("t1", EntryKind::kOrigin, "https://a.example.com"),
      Remove("t1", EntryKind::kWildcard, "https://*.example.com"),
      {Mutation::Type::kDeleteTenant, EntryKind::kOrigin, "t2", "", ""}};
  auto decoded = DecodeBatch(EncodeBatch(batch));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, batch);
  auto empty = DecodeBatch(EncodeBatch({}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(BatchEncoding, RefusesMalformedBytes) {
  const std::string good =
      EncodeBatch({Add("t", EntryKind::kOrigin, "https://a.com")});
  EXPECT_EQ(DecodeBatch("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeBatch("\x02").status().code(), absl::StatusCode::kDataLoss);
  for (size_t cut = 1; cut < good.size(); ++cut) {
    EXPECT_EQ(DecodeBatch(good.substr(0, cut)).status().code(),
              absl::StatusCode::kDataLoss)
        << cut;
  }
  EXPECT_EQ(DecodeBatch(good + "x").status().code(),
            absl::StatusCode::kDataLoss);
  std::string bad_kind = good;
  bad_kind[3] = 9;  // kind byte of the first mutation
  EXPECT_EQ(DecodeBatch(bad_kind).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EntryKindNames, RoundTrip) {
  for (EntryKind k :
       {EntryKind::kOrigin, EntryKind::kWildcard, EntryKind::kApiHost}) {
    EntryKind parsed;
    ASSERT_TRUE(ParseEntryKind(EntryKindName(k), &parsed));
    EXPECT_EQ(parsed, k);
  }
  EntryKind parsed;
  EXPECT_FALSE(ParseEntryKind("origins", &parsed));
}

TEST(SqliteStore, CommitsAndReloadsAfterReopen) {
  TempDir dir;
  {
    auto store = SqliteStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(*(*store)->Revision(), 0u);
    auto r1 = (*store)->Commit(
        {Put("t1", "p1"), Add("t1", EntryKind::kOrigin, "https://b.com"),
         Add("t1", EntryKind::kOrigin, "https://a.com"),
         Add("t1", EntryKind::kApiHost, "api.a.com")},
        0);
    ASSERT_TRUE(r1.ok()) << r1.status();
    EXPECT_EQ(*r1, 1u);
    auto r2 = (*store)->Commit(
        {Remove("t1", EntryKind::kOrigin, "https://b.com"), Put("t1", "p2"),
         Put("t2", ""), Add("t2", EntryKind::kWildcard, "https://*.c.com")},
        1);
    ASSERT_TRUE(r2.ok()) << r2.status();
    EXPECT_EQ(*r2, 2u);
  }
  auto store = SqliteStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  Collect c;
  auto revision = (*store)->Load(c);
  ASSERT_TRUE(revision.ok()) << revision.status();
  EXPECT_EQ(*revision, 2u);
  EXPECT_EQ(c.tenants, (std::vector<std::string>{"t1=p2", "t2="}));
  EXPECT_EQ(c.entries, (std::vector<std::string>{
                           "t1/origin/https://a.com", "t1/api_host/api.a.com",
                           "t2/wildcard/https://*.c.com"}));
}

TEST(SqliteStore, DeleteTenantRemovesItsEntries) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)
                  ->Commit({Put("t1", "p"),
                            Add("t1", EntryKind::kOrigin, "https://a.com")},
                           0)
                  .ok());
  ASSERT_TRUE((*store)
                  ->Commit({{Mutation::Type::kDeleteTenant, EntryKind::kOrigin,
                             "t1", "", ""}},
                           1)
                  .ok());
  Collect c;
  ASSERT_TRUE((*store)->Load(c).ok());
  EXPECT_TRUE(c.tenants.empty());
  EXPECT_TRUE(c.entries.empty());
}

TEST(SqliteStore, StaleBaseRevisionIsAbortedAndChangesNothing) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Commit({Put("t1", "p")}, 0).ok());
  auto stale = (*store)->Commit({Put("t2", "p")}, 0);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  Collect c;
  EXPECT_EQ(*(*store)->Load(c), 1u);
  EXPECT_EQ(c.tenants, (std::vector<std::string>{"t1=p"}));
}

TEST(SqliteStore, SecondOpenOfTheSameDirIsRefused) {
  TempDir dir;
  auto first = SqliteStore::Open(dir.path());
  ASSERT_TRUE(first.ok());
  auto second = SqliteStore::Open(dir.path());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status();
}

TEST(SqliteStore, ForeignFileIsRefused) {
  TempDir dir;
  const std::string path = absl::StrCat(dir.path(), "/corsd.db");
  std::ofstream(path) << "this is not a database, it is a text file\n";
  auto store = SqliteStore::Open(dir.path());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not a corsd store"),
            std::string::npos)
      << store.status();
  // The file is left untouched.
  std::ifstream in(path);
  std::string first_line;
  std::getline(in, first_line);
  EXPECT_EQ(first_line, "this is not a database, it is a text file");
}

void MakeSqlite(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

TEST(SqliteStore, SqliteDatabaseWithoutMetaIsRefused) {
  TempDir dir;
  MakeSqlite(absl::StrCat(dir.path(), "/corsd.db"),
             "CREATE TABLE users(name TEXT); INSERT INTO users VALUES('x');");
  auto store = SqliteStore::Open(dir.path());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("no meta table"), std::string::npos)
      << store.status();
}

TEST(SqliteStore, OtherFormatIsRefused) {
  TempDir dir;
  MakeSqlite(absl::StrCat(dir.path(), "/corsd.db"),
             "CREATE TABLE meta(key TEXT PRIMARY KEY, value);"
             "INSERT INTO meta VALUES('format','something-else'),"
             "('version',1);");
  auto store = SqliteStore::Open(dir.path());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("something-else"), std::string::npos)
      << store.status();
}

TEST(SqliteStore, NewerVersionIsRefused) {
  TempDir dir;
  const std::string path = absl::StrCat(dir.path(), "/corsd.db");
  MakeSqlite(path, absl::StrCat("CREATE TABLE meta(key TEXT PRIMARY KEY, "
                                "value);"
                                "INSERT INTO meta VALUES('format','corsd-"
                                "store'),('version',",
                                kSqliteFormatVersion + 1, "),('revision',7);"));
  auto store = SqliteStore::Open(dir.path());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("newer corsd"), std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find(absl::StrCat(
                "version ", kSqliteFormatVersion + 1, "; this corsd reads")),
            std::string::npos)
      << store.status();
}

TEST(SqliteStore, CorruptPagesAreRefusedOnLoad) {
  TempDir dir;
  {
    auto store = SqliteStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    Batch batch = {Put("t", "p")};
    for (int i = 0; i < 5000; ++i) {
      batch.push_back(Add("t", EntryKind::kOrigin,
                          absl::StrCat("https://host", i, ".example.com")));
    }
    ASSERT_TRUE((*store)->Commit(batch, 0).ok());
  }
  // Fold the WAL into the main file, then overwrite pages past the schema.
  MakeSqlite(absl::StrCat(dir.path(), "/corsd.db"),
             "PRAGMA wal_checkpoint(TRUNCATE);");
  const std::string path = absl::StrCat(dir.path(), "/corsd.db");
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 3);
    const std::string junk(4096 * 4, '\xA5');
    f.write(junk.data(), junk.size());
  }
  auto store = SqliteStore::Open(dir.path());
  if (!store.ok()) {
    EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss)
        << store.status();
    return;
  }
  Collect c;
  auto loaded = (*store)->Load(c);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss)
      << loaded.status();
}

TEST(OpenStore, PicksTheBackendFromTheUrl) {
  TempDir dir;
  auto sqlite = OpenStore("", dir.path());
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  EXPECT_FALSE((*sqlite)->Shared());
  EXPECT_EQ((*sqlite)->Describe(),
            absl::StrCat("sqlite:", dir.path(), "/corsd.db"));
  auto bad = OpenStore("mysql://x", dir.path());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("--store"), std::string::npos);
  auto no_dir = OpenStore("", "");
  EXPECT_EQ(no_dir.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_dir.status().message().find("--data-dir"), std::string::npos);
  // Nothing listens on port 1: Unavailable, and the password is not echoed.
  auto pg = OpenStore("postgres://u:secret@127.0.0.1:1/db", "");
  EXPECT_EQ(pg.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pg.status().message().find("secret"), std::string::npos)
      << pg.status();
}

// ---- Stores from the past (service/store/testdata/sqlite_v*.sql) ----

std::string ReadFixture(const std::string& name) {
  std::ifstream in(
      absl::StrCat(CORSD_SOURCE_DIR, "/service/store/testdata/", name));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class SqliteFromThePast : public ::testing::TestWithParam<int> {};

// A store written by the release of format version GetParam(): today's corsd
// migrates it, reads exactly what it held, takes writes, and opens it again.
TEST_P(SqliteFromThePast, IsMigratedKeepsEverythingAndTakesWrites) {
  const std::string sql =
      ReadFixture(absl::StrCat("sqlite_v", GetParam(), ".sql"));
  ASSERT_FALSE(sql.empty()) << "missing fixture sqlite_v" << GetParam();
  TempDir dir;
  MakeSqlite(absl::StrCat(dir.path(), "/corsd.db"), sql);
  {
    auto store = SqliteStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    Collect sink;
    EXPECT_EQ(*(*store)->Load(sink), 2u);
    EXPECT_EQ(sink.tenants, (std::vector<std::string>{"shop="}));
    EXPECT_EQ(sink.entries,
              (std::vector<std::string>{"shop/origin/https://shop.example.com",
                                        "shop/api_host/api.shop.example.com"}));
    EXPECT_TRUE(sink.domains.empty());
    Mutation domain;
    domain.type = Mutation::Type::kPutDomain;
    domain.tenant = "shop";
    domain.value = "shop.example.com";
    domain.data = "record";
    auto revision = (*store)->Commit(
        {Add("shop", EntryKind::kOrigin, "https://b.example.com"), domain}, 2);
    ASSERT_TRUE(revision.ok()) << revision.status();
    EXPECT_EQ(*revision, 3u);
  }
  auto again = SqliteStore::Open(dir.path());
  ASSERT_TRUE(again.ok()) << again.status();
  Collect sink;
  EXPECT_EQ(*(*again)->Load(sink), 3u);
  EXPECT_EQ(sink.entries.size(), 3u);
  EXPECT_EQ(sink.domains,
            (std::vector<std::string>{"shop/shop.example.com=record"}));
}

INSTANTIATE_TEST_SUITE_P(EveryOlderVersion, SqliteFromThePast,
                         ::testing::Range(1, kSqliteFormatVersion));

// SIGKILL in the middle of a migration (after its first step, inside its
// transaction): the next open finds the store wholly old, then migrates it
// wholly.
TEST(SqliteStore, AKillDuringMigrationLeavesTheOldFormatWhole) {
  TempDir dir;
  const std::string path = absl::StrCat(dir.path(), "/corsd.db");
  MakeSqlite(path, ReadFixture("sqlite_v1.sql"));
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SqliteStoreOptions options;
    options.after_migration_step = [&](int from) {
      if (from != 1) return;
      (void)!::write(ready[1], "x", 1);
      for (;;) ::pause();  // killed here, mid-transaction
    };
    (void)SqliteStore::Open(dir.path(), options);
    ::_exit(3);  // not reached when the hook ran
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child never migrated";
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(ready[0]);
  ::close(ready[1]);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT (SELECT value FROM meta WHERE "
                                 "key='version'), (SELECT count(*) FROM "
                                 "sqlite_master WHERE name IN "
                                 "('pending','domains'))",
                                 -1, &stmt, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 1) << "wholly old";
    EXPECT_EQ(sqlite3_column_int(stmt, 1), 0) << "no table of a later version";
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  auto store = SqliteStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  Collect sink;
  EXPECT_EQ(*(*store)->Load(sink), 2u);
  EXPECT_EQ(sink.entries.size(), 2u);
}

// A step that fails (here: v2 -> v3 meets a table named like the one it
// creates) leaves the store as it was and names the step.
TEST(SqliteStore, AFailedMigrationStepChangesNothingAndSaysWhich) {
  TempDir dir;
  const std::string path = absl::StrCat(dir.path(), "/corsd.db");
  MakeSqlite(path, ReadFixture("sqlite_v2.sql") +
                       "CREATE TABLE domains(something TEXT);");
  auto store = SqliteStore::Open(dir.path());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find(
                "migrating store format version 2 to 3 failed, nothing "
                "changed"),
            std::string::npos)
      << store.status();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='version'",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 2);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// Raising kSqliteFormatVersion needs a migration step and a fixture of the
// version it leaves: this fails until both exist.
TEST(SqliteStore, EveryOlderFormatVersionHasAFixture) {
  for (int v = 1; v < kSqliteFormatVersion; ++v) {
    EXPECT_FALSE(ReadFixture(absl::StrCat("sqlite_v", v, ".sql")).empty())
        << "service/store/testdata/sqlite_v" << v
        << ".sql: add the schema and seed that version's release wrote";
  }
}

}  // namespace
}  // namespace corsd::store
