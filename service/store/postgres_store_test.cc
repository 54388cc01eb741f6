// PostgreSQL store and replicas, against a real server started by
// scripts/postgres.sh (label: external). Each test uses its own database.
#include "service/store/postgres_store.h"

#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "service/policy/policy_registry.h"
#include "service/store/catalog.h"
#include "service/store/dump_file.h"
#include "service/store/postgres_format.h"
#include "service/store/testing/store_test_util.h"

namespace corsd::store {
namespace {

using corsd::v1::EntryOp;
using Clock = std::chrono::steady_clock;

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  if (::pclose(p) != 0) return "";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Postgres : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/corsd_pg_test.XXXXXX";
    dir_ = new std::string(::mkdtemp(tmpl));
    // The server runs as the postgres user: it must reach the directory.
    std::filesystem::permissions(*dir_, std::filesystem::perms(0755));
    url_ = new std::string(Shell(
        absl::StrCat(CORSD_SOURCE_DIR "/scripts/postgres.sh start ", *dir_,
                     "/pg 2>&1 | "
                     "tail -1")));
    if (url_->rfind("postgres://", 0) != 0) url_->clear();
  }
  static void TearDownTestSuite() {
    if (!url_->empty()) {
      // Stop what we started; if a fast shutdown fails, shut down
      // immediately rather than leave a server behind.
      const std::string script = CORSD_SOURCE_DIR "/scripts/postgres.sh";
      Shell(absl::StrCat(script, " stop ", *dir_, "/pg >/dev/null 2>&1 || ",
                         script, " crash ", *dir_, "/pg >/dev/null 2>&1"));
    }
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete url_;
  }
  static void Server(const char* verb) {
    Shell(absl::StrCat(CORSD_SOURCE_DIR "/scripts/postgres.sh ", verb, " ",
                       *dir_, "/pg >/dev/null 2>&1 && echo ok"));
  }

  void SetUp() override {
    if (url_->empty()) {
      // A failure, not a skip: the script installs PostgreSQL itself, so a
      // server that does not start is a broken test setup to be seen.
      FAIL() << "scripts/postgres.sh could not start PostgreSQL (it installs "
                "the Debian postgresql package with apt-get when missing)";
    }
    // A fresh database per test.
    const std::string name = absl::AsciiStrToLower(absl::StrCat(
        "t_",
        absl::StrReplaceAll(
            ::testing::UnitTest::GetInstance()->current_test_info()->name(),
            {{"/", "_"}})));
    PGconn* admin = PQconnectdb(url_->c_str());
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK) << PQerrorMessage(admin);
    PQclear(
        PQexec(admin, absl::StrCat("DROP DATABASE IF EXISTS ", name).c_str()));
    PGresult* r = PQexec(admin, absl::StrCat("CREATE DATABASE ", name).c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(admin);
    PQclear(r);
    PQfinish(admin);
    db_url_ = url_->substr(0, url_->rfind('/') + 1) + name;
  }

  static std::string* dir_;
  static std::string* url_;
  std::string db_url_;
};
std::string* Postgres::dir_ = nullptr;
std::string* Postgres::url_ = nullptr;

// One corsd replica's state: table, registry, catalog on the shared DB.
struct Replica {
  explicit Replica(const std::string& url) : table(&epochs), registry(&epochs) {
    auto store = OpenStore(url, "");
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return;
    auto c = Catalog::Open(*std::move(store), &epochs, &table, &registry);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) catalog = *std::move(c);
  }
  bool Has(const std::string& tenant, const std::string& origin) {
    table::EpochManager::ReadGuard guard(&epochs);
    const table::TenantId id = table.FindTenant(tenant);
    if (id == table::kNoTenant) return false;
    origin::OriginParts parts;
    if (origin::CheckOriginHeader(origin, &parts) !=
        origin::HeaderCheck::kCanonical) {
      return false;
    }
    return table.Lookup(id, parts) == table::Match::kExact;
  }
  table::EpochManager epochs;
  table::OriginTable table;
  policy::PolicyRegistry registry;
  std::unique_ptr<Catalog> catalog;
};

std::string Dump(Catalog& catalog) {
  std::ostringstream out;
  DumpWriter writer(&out);
  EXPECT_TRUE(catalog
                  .Export([&](const v1::ExportChunk& chunk) {
                    return writer.WriteExportChunk(chunk).ok();
                  })
                  .ok());
  return out.str();
}

absl::Status PutTenant(Catalog& c, const std::string& id) {
  v1::PutTenantRequest req;
  req.mutable_tenant()->set_id(id);
  return c.PutTenant(req).status();
}

absl::StatusOr<v1::WriteEntriesResponse> AddOrigins(
    Catalog& c, const std::string& tenant,
    const std::vector<std::string>& origins) {
  v1::WriteEntriesRequest req;
  for (const std::string& o : origins) {
    EntryOp* op = req.add_ops();
    op->set_op(EntryOp::OP_ADD);
    op->set_kind(v1::ENTRY_KIND_ORIGIN);
    op->set_tenant(tenant);
    op->set_value(o);
  }
  return c.WriteEntries(req);
}

// Waits up to `limit` for `pred`; returns the time it took, or -1 ms.
template <typename Pred>
std::chrono::milliseconds WaitFor(Pred pred, std::chrono::milliseconds limit) {
  const auto start = Clock::now();
  while (Clock::now() - start < limit) {
    if (pred()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          Clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::chrono::milliseconds(-1);
}

TEST_F(Postgres, StoreCommitsLogsAndRefusesStaleWrites) {
  auto store = PostgresStore::Open(db_url_);
  ASSERT_TRUE(store.ok()) << store.status();
  Batch b1 = {
      {Mutation::Type::kPutTenant, EntryKind::kOrigin, "t", "p", ""},
      {Mutation::Type::kAddEntry, EntryKind::kOrigin, "t", "https://a.com", ""},
      {Mutation::Type::kAddEntry, EntryKind::kOrigin, "t", "https://a.com", ""},
      {Mutation::Type::kRemoveEntry, EntryKind::kOrigin, "t", "https://a.com",
       ""},
      {Mutation::Type::kAddEntry, EntryKind::kApiHost, "t", "api.t.com", ""}};
  ASSERT_EQ(*(*store)->Commit(b1, 0), 1u);
  EXPECT_EQ((*store)->Commit(b1, 0).status().code(),
            absl::StatusCode::kAborted);
  auto changes = (*store)->ChangesSince(0, 10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].revision, 1u);
  EXPECT_EQ((*changes)[0].batch, b1);
  EXPECT_TRUE((*store)->ChangesSince(1, 10)->empty());
  struct Sink : LoadSink {
    absl::Status OnTenant(absl::string_view id, absl::string_view p) override {
      got.push_back(absl::StrCat(id, "=", p));
      return absl::OkStatus();
    }
    absl::Status OnEntry(absl::string_view t, EntryKind k,
                         absl::string_view v) override {
      got.push_back(absl::StrCat(t, "/", EntryKindName(k), "/", v));
      return absl::OkStatus();
    }
    absl::Status OnDomain(absl::string_view t, absl::string_view h,
                          absl::string_view r) override {
      got.push_back(absl::StrCat(t, "/domain/", h, "=", r));
      return absl::OkStatus();
    }
    std::vector<std::string> got;
  } sink;
  EXPECT_EQ(*(*store)->Load(sink), 1u);
  EXPECT_EQ(sink.got,
            (std::vector<std::string>{"t=p", "t/api_host/api.t.com"}));
}

TEST_F(Postgres, ForeignFormatIsRefused) {
  PGconn* conn = PQconnectdb(db_url_.c_str());
  PQclear(PQexec(conn,
                 "CREATE TABLE corsd_meta(key text PRIMARY KEY, value text);"
                 "INSERT INTO corsd_meta VALUES('format','other'),"
                 "('version','1');"));
  PQfinish(conn);
  auto store = PostgresStore::Open(db_url_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("other"), std::string::npos);
}

// A store as the release before this one made it: the same schema, format
// "corsd-store", version 1 (that release's seed statement), holding data.
// Today's corsd opens it, migrates it to version 2 in place and keeps every
// entry; before, every replica refused to start ("this corsd reads only 2").
TEST_F(Postgres, AVersion1StoreFromThePreviousReleaseIsMigrated) {
  PGconn* conn = PQconnectdb(db_url_.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);
  PGresult* r = PQexec(
      conn,
      "CREATE TABLE corsd_meta(key text PRIMARY KEY, value text NOT NULL);"
      "CREATE TABLE corsd_tenants(id text COLLATE \"C\" PRIMARY KEY, "
      "  policy bytea NOT NULL);"
      "CREATE TABLE corsd_entries(tenant text COLLATE \"C\" NOT NULL, "
      "  kind smallint NOT NULL, value text COLLATE \"C\" NOT NULL, "
      "  PRIMARY KEY(tenant, kind, value));"
      "CREATE TABLE corsd_changes(revision bigint PRIMARY KEY, "
      "  batch bytea NOT NULL);"
      "INSERT INTO corsd_meta VALUES('format','corsd-store'),"
      "  ('version','1'),('revision','0') ON CONFLICT (key) DO NOTHING;");
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  {
    // Data written the way that release wrote it: through the store.
    auto store = PostgresStore::Open(db_url_);
    ASSERT_TRUE(store.ok()) << store.status();
    const Batch batch = {
        {Mutation::Type::kPutTenant, EntryKind::kOrigin, "t", "p", ""},
        {Mutation::Type::kAddEntry, EntryKind::kApiHost, "t", "api.t.com", ""}};
    ASSERT_TRUE((*store)->Commit(batch, 0).ok());
  }
  conn = PQconnectdb(db_url_.c_str());
  r = PQexec(conn, "SELECT value FROM corsd_meta WHERE key='version'");
  ASSERT_EQ(PQntuples(r), 1);
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)),
            absl::StrCat(kPostgresFormatVersion))
      << "migrated in place";
  PQclear(r);
  PQfinish(conn);
  auto again = PostgresStore::Open(db_url_);
  ASSERT_TRUE(again.ok()) << again.status();
  store::testing::Collect sink;
  EXPECT_EQ(*(*again)->Load(sink), 1u);
  EXPECT_EQ(sink.tenants, (std::vector<std::string>{"t=p"}));
  EXPECT_EQ(sink.entries, (std::vector<std::string>{"t/api_host/api.t.com"}));
}

TEST_F(Postgres, ANewerStoreIsRefusedUntouched) {
  {
    auto store = PostgresStore::Open(db_url_);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  PGconn* conn = PQconnectdb(db_url_.c_str());
  const std::string newer = absl::StrCat(kPostgresFormatVersion + 1);
  PQclear(PQexec(conn, absl::StrCat("UPDATE corsd_meta SET value='", newer,
                                    "' WHERE key='version'")
                           .c_str()));
  auto store = PostgresStore::Open(db_url_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("version " + newer),
            std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find(
                absl::StrCat("versions 1 to ", kPostgresFormatVersion)),
            std::string::npos)
      << store.status();
  PGresult* r =
      PQexec(conn, "SELECT value FROM corsd_meta WHERE key='version'");
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)), newer) << "left as it was";
  PQclear(r);
  PQfinish(conn);
}

TEST_F(Postgres, CorsdTablesWithoutMetaAreRefusedUntouched) {
  PGconn* conn = PQconnectdb(db_url_.c_str());
  PQclear(PQexec(conn, "CREATE TABLE corsd_entries(x int)"));
  auto store = PostgresStore::Open(db_url_);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("corsd_entries"), std::string::npos)
      << store.status();
  PGresult* r = PQexec(conn,
                       "SELECT count(*) FROM pg_tables WHERE tablename LIKE "
                       "'corsd%' AND schemaname = current_schema()");
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "1") << "nothing created";
  PQclear(r);
  PQfinish(conn);
}

// ---- Stores from the past (service/store/testdata/postgres_v*.sql) ----

std::string ReadFixture(const std::string& name) {
  std::ifstream in(
      absl::StrCat(CORSD_SOURCE_DIR, "/service/store/testdata/", name));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class PostgresFromThePast : public Postgres,
                            public ::testing::WithParamInterface<int> {};

// A store written by the release of format version GetParam(): today's
// corsd migrates it, reads exactly what it held, takes writes (a custom
// domain too), and opens it again.
TEST_P(PostgresFromThePast, IsMigratedKeepsEverythingAndTakesWrites) {
  const std::string sql =
      ReadFixture(absl::StrCat("postgres_v", GetParam(), ".sql"));
  ASSERT_FALSE(sql.empty()) << "missing fixture postgres_v" << GetParam();
  PGconn* conn = PQconnectdb(db_url_.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);
  PGresult* r = PQexec(conn, sql.c_str());
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(r);
  {
    auto store = PostgresStore::Open(db_url_);
    ASSERT_TRUE(store.ok()) << store.status();
    store::testing::Collect sink;
    EXPECT_EQ(*(*store)->Load(sink), 2u);
    EXPECT_EQ(sink.tenants, (std::vector<std::string>{"shop="}));
    EXPECT_EQ(sink.entries,
              (std::vector<std::string>{"shop/origin/https://shop.example.com",
                                        "shop/api_host/api.shop.example.com"}));
    Mutation domain;
    domain.type = Mutation::Type::kPutDomain;
    domain.tenant = "shop";
    domain.value = "shop.example.com";
    domain.data = "record";
    auto revision = (*store)->Commit({domain}, 2);
    ASSERT_TRUE(revision.ok()) << revision.status();
  }
  r = PQexec(conn, "SELECT value FROM corsd_meta WHERE key='version'");
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)),
            absl::StrCat(kPostgresFormatVersion));
  PQclear(r);
  PQfinish(conn);
  auto again = PostgresStore::Open(db_url_);
  ASSERT_TRUE(again.ok()) << again.status();
  store::testing::Collect sink;
  EXPECT_EQ(*(*again)->Load(sink), 3u);
  EXPECT_EQ(sink.domains,
            (std::vector<std::string>{"shop/shop.example.com=record"}));
  // The change log carries the domain write to other replicas.
  auto changes = (*again)->ChangesSince(2, 10);
  ASSERT_TRUE(changes.ok()) << changes.status();
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].batch[0].data, "record");
}

// SIGKILL of a replica in the middle of a migration (after its first step,
// inside its transaction): PostgreSQL rolls it back, the store is wholly
// old, and the next replica migrates it wholly.
TEST_F(Postgres, AKillDuringMigrationLeavesTheOldFormatWhole) {
  PGconn* conn = PQconnectdb(db_url_.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);
  PGresult* r = PQexec(conn, ReadFixture("postgres_v1.sql").c_str());
  ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(r);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)PostgresStore::Open(db_url_, [&](int from) {
      if (from != 1) return;
      (void)!::write(ready[1], "x", 1);
      for (;;) ::pause();  // killed here, mid-transaction
    });
    ::_exit(3);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child never migrated";
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(ready[0]);
  ::close(ready[1]);
  r = PQexec(conn,
             "SELECT (SELECT value FROM corsd_meta WHERE key='version'), "
             "to_regclass('corsd_domains') IS NULL");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  EXPECT_STREQ(PQgetvalue(r, 0, 0), "1") << "wholly old";
  EXPECT_STREQ(PQgetvalue(r, 0, 1), "t") << "no table of a later version";
  PQclear(r);
  // The server notices the dead client and rolls back; its advisory lock
  // goes with it, so the next Open does not wait forever.
  auto store = PostgresStore::Open(db_url_);
  ASSERT_TRUE(store.ok()) << store.status();
  store::testing::Collect sink;
  EXPECT_EQ(*(*store)->Load(sink), 2u);
  EXPECT_EQ(sink.entries.size(), 2u);
  r = PQexec(conn, "SELECT value FROM corsd_meta WHERE key='version'");
  EXPECT_EQ(std::string(PQgetvalue(r, 0, 0)),
            absl::StrCat(kPostgresFormatVersion));
  PQclear(r);
  PQfinish(conn);
}

INSTANTIATE_TEST_SUITE_P(EveryOlderVersion, PostgresFromThePast,
                         ::testing::Range(1, kPostgresFormatVersion));

// Raising kPostgresFormatVersion needs a migration step and a fixture of the
// version it leaves: this fails until both exist.
TEST(PostgresFormat, EveryOlderFormatVersionHasAFixture) {
  for (int v = 1; v < kPostgresFormatVersion; ++v) {
    EXPECT_FALSE(ReadFixture(absl::StrCat("postgres_v", v, ".sql")).empty())
        << "service/store/testdata/postgres_v" << v
        << ".sql: add the schema and seed that version's release wrote";
  }
}

TEST_F(Postgres, AWriteThroughAIsVisibleOnBWithinOneSecond) {
  Replica a(db_url_), b(db_url_);
  ASSERT_TRUE(a.catalog && b.catalog);
  ASSERT_TRUE(PutTenant(*a.catalog, "acme").ok());
  std::chrono::milliseconds worst(0);
  for (int i = 0; i < 20; ++i) {
    const std::string origin = absl::StrCat("https://h", i, ".acme.com");
    ASSERT_TRUE(AddOrigins(*a.catalog, "acme", {origin}).ok());
    EXPECT_TRUE(a.Has("acme", origin));  // visible on A when the call returns
    const auto took = WaitFor([&] { return b.Has("acme", origin); },
                              std::chrono::milliseconds(1000));
    ASSERT_GE(took.count(), 0) << "not visible on B within 1 s: " << origin;
    worst = std::max(worst, took);
  }
  std::printf("worst A->B visibility: %lld ms\n",
              static_cast<long long>(worst.count()));
  // B writes too: its view was current, or it catches up and retries.
  ASSERT_TRUE(AddOrigins(*b.catalog, "acme", {"https://from-b.acme.com"}).ok());
  ASSERT_GE(WaitFor([&] { return a.Has("acme", "https://from-b.acme.com"); },
                    std::chrono::milliseconds(1000))
                .count(),
            0);
  EXPECT_TRUE(a.catalog->Ready());
  EXPECT_TRUE(b.catalog->Ready()) << b.catalog->NotReadyReason();
  EXPECT_LE(b.catalog->LagMillis(), kMaxLagMillis);
}

// Custom domains on a shared store: a domain verified through A is
// approved by B's /ask index, routed and granted there, within a second;
// its suspension reaches B the same way; only one replica holds a domain's
// verification lease at a time.
TEST_F(Postgres, ADomainVerifiedThroughAIsApprovedOnBWithinOneSecond) {
  Replica a(db_url_), b(db_url_);
  ASSERT_TRUE(a.catalog && b.catalog);
  corsd::v1::PutTenantRequest put;
  put.mutable_tenant()->set_id("acme");
  put.mutable_tenant()->mutable_policy()->set_custom_domain_origins(true);
  ASSERT_TRUE(a.catalog->PutTenant(put).ok());
  corsd::v1::AddDomainRequest add;
  add.set_tenant("acme");
  add.set_host("shop.acme-customer.com");
  auto info = a.catalog->AddDomain(add);
  ASSERT_TRUE(info.ok()) << info.status();
  // Leases: A holds it, B cannot take it until A lets go.
  auto lease = a.catalog->TryLeaseDomain("shop.acme-customer.com");
  ASSERT_TRUE(lease.ok() && *lease != nullptr) << lease.status();
  auto other = b.catalog->TryLeaseDomain("shop.acme-customer.com");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*other, nullptr);
  const DueDomain due{"acme", "shop.acme-customer.com", info->domain().token(),
                      info->domain().method()};
  auto verified = a.catalog->RecordAttempt(
      due, {domain::ProofOutcome::kProven, "seen", {}}, 0.5);
  ASSERT_TRUE(verified.ok()) << verified.status();
  lease->reset();
  auto approved = [&](Replica& r) {
    return r.catalog->domain_index().Lookup("shop.acme-customer.com") ==
           domain::DomainIndex::Match::kExact;
  };
  EXPECT_TRUE(approved(a));
  const auto took =
      WaitFor([&] { return approved(b); }, std::chrono::milliseconds(1000));
  ASSERT_GE(took.count(), 0) << "not approved on B within 1 s";
  std::printf("A->B domain approval: %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_TRUE(b.Has("acme", "https://shop.acme-customer.com"));
  auto b_lease = b.catalog->TryLeaseDomain("shop.acme-customer.com");
  ASSERT_TRUE(b_lease.ok());
  EXPECT_NE(*b_lease, nullptr) << "released by A";
  // Removal through B reaches A.
  corsd::v1::DomainRequest rm;
  rm.set_tenant("acme");
  rm.set_host("shop.acme-customer.com");
  ASSERT_TRUE(b.catalog->RemoveDomain(rm).ok());
  ASSERT_GE(
      WaitFor([&] { return !approved(a); }, std::chrono::milliseconds(1000))
          .count(),
      0);
  EXPECT_FALSE(a.Has("acme", "https://shop.acme-customer.com"));
}

TEST_F(Postgres, ConcurrentWritersOnTwoReplicasAllLand) {
  Replica a(db_url_), b(db_url_);
  ASSERT_TRUE(PutTenant(*a.catalog, "acme").ok());
  std::atomic<int> failures{0};
  auto writer = [&](Catalog* c, const char* tag) {
    for (int i = 0; i < 40; ++i) {
      auto r =
          AddOrigins(*c, "acme", {absl::StrCat("https://", tag, i, ".a.com")});
      if (!r.ok()) {
        ADD_FAILURE() << r.status();
        ++failures;
      }
    }
  };
  std::thread ta(writer, a.catalog.get(), "a");
  std::thread tb(writer, b.catalog.get(), "b");
  ta.join();
  tb.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_GE(WaitFor(
                [&] {
                  return a.catalog->Stats().origins() == 80 &&
                         b.catalog->Stats().origins() == 80;
                },
                std::chrono::milliseconds(2000))
                .count(),
            0);
  EXPECT_EQ(Dump(*a.catalog), Dump(*b.catalog));
}

TEST_F(Postgres, RestartedReplicaCatchesUpMidStream) {
  Replica a(db_url_);
  ASSERT_TRUE(PutTenant(*a.catalog, "acme").ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      if (AddOrigins(*a.catalog, "acme",
                     {absl::StrCat("https://s", i, ".acme.com")})
              .ok()) {
        ++written;
      }
    }
  });
  for (int round = 0; round < 3; ++round) {
    auto b = std::make_unique<Replica>(db_url_);
    ASSERT_TRUE(b->catalog);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    b.reset();  // B stops mid-stream
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  Replica b(db_url_);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  writer.join();
  ASSERT_GT(written.load(), 10);
  const uint64_t head = a.catalog->AppliedRevision();
  ASSERT_GE(WaitFor([&] { return b.catalog->AppliedRevision() == head; },
                    std::chrono::milliseconds(1000))
                .count(),
            0);
  EXPECT_EQ(Dump(*a.catalog), Dump(*b.catalog));
  EXPECT_EQ(b.catalog->Stats().origins(), static_cast<uint64_t>(written));
}

TEST_F(Postgres, DatabaseRestartUnderLoadLosesNothingAcknowledged) {
  Replica a(db_url_), b(db_url_);
  ASSERT_TRUE(PutTenant(*a.catalog, "acme").ok());
  absl::Mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      const std::string origin = absl::StrCat("https://r", i, ".acme.com");
      if (AddOrigins(*a.catalog, "acme", {origin}).ok()) {
        absl::MutexLock lock(&mu);
        acked.push_back(origin);
      } else {
        ++refused;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Server("crash");  // immediate shutdown: no checkpoint, WAL replay on start
  const bool down_seen = WaitFor([&] { return !b.catalog->Ready(); },
                                 std::chrono::milliseconds(3000))
                             .count() >= 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Server("restart");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  writer.join();
  EXPECT_TRUE(down_seen) << "B stayed ready while the database was down";
  EXPECT_GT(refused.load(), 0) << "the writer never saw the outage";
  // B reconnects and catches up; a new replica loads the same state.
  ASSERT_GE(WaitFor(
                [&] {
                  return b.catalog->Ready() && b.catalog->AppliedRevision() ==
                                                   a.catalog->AppliedRevision();
                },
                std::chrono::milliseconds(5000))
                .count(),
            0)
      << b.catalog->NotReadyReason();
  Replica c(db_url_);
  absl::MutexLock lock(&mu);
  ASSERT_GT(acked.size(), 5u);
  for (const std::string& origin : acked) {
    EXPECT_TRUE(c.Has("acme", origin)) << "acknowledged but lost: " << origin;
    EXPECT_TRUE(b.Has("acme", origin)) << "not followed by B: " << origin;
  }
  EXPECT_EQ(Dump(*a.catalog), Dump(*c.catalog));
}

}  // namespace
}  // namespace corsd::store
