#include "service/store/catalog.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/policy/policy_registry.h"
#include "service/store/dump_file.h"
#include "service/store/sqlite_store.h"

namespace corsd::store {
namespace {

using corsd::v1::EntryOp;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/corsd_catalog_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Wraps a store; fails Commit on demand (after the inner store did nothing).
class FailingStore final : public Store {
 public:
  explicit FailingStore(std::unique_ptr<Store> inner)
      : inner_(std::move(inner)) {}
  std::string Describe() const override { return inner_->Describe(); }
  absl::StatusOr<uint64_t> Load(LoadSink& sink) override {
    return inner_->Load(sink);
  }
  absl::StatusOr<uint64_t> Revision() override { return inner_->Revision(); }
  absl::StatusOr<uint64_t> Commit(const Batch& batch, uint64_t base) override {
    if (fail) return absl::UnavailableError("injected: disk unavailable");
    return inner_->Commit(batch, base);
  }
  bool Shared() const override { return false; }
  absl::StatusOr<std::vector<Change>> ChangesSince(uint64_t r,
                                                   size_t n) override {
    return inner_->ChangesSince(r, n);
  }
  absl::Status WaitForChange(int ms) override {
    return inner_->WaitForChange(ms);
  }
  bool fail = false;

 private:
  std::unique_ptr<Store> inner_;
};

// One node: table, registry and catalog over the SQLite store in `dir`.
struct Node {
  explicit Node(const std::string& dir, bool failing = false)
      : table(&epochs), registry(&epochs) {
    auto store = SqliteStore::Open(dir);
    EXPECT_TRUE(store.ok()) << store.status();
    std::unique_ptr<Store> s = std::move(*store);
    if (failing) {
      auto f = std::make_unique<FailingStore>(std::move(s));
      failer = f.get();
      s = std::move(f);
    }
    auto c = Catalog::Open(std::move(s), &epochs, &table, &registry);
    EXPECT_TRUE(c.ok()) << c.status();
    if (c.ok()) catalog = *std::move(c);
  }
  table::EpochManager epochs;
  table::OriginTable table;
  policy::PolicyRegistry registry;
  std::unique_ptr<Catalog> catalog;
  FailingStore* failer = nullptr;
};

v1::PutTenantRequest PutReq(const std::string& id, bool production = false) {
  v1::PutTenantRequest req;
  req.mutable_tenant()->set_id(id);
  req.mutable_tenant()->mutable_policy()->add_allowed_methods("PATCH");
  req.mutable_tenant()->mutable_policy()->set_production(production);
  return req;
}

EntryOp Op(EntryOp::Op op, v1::EntryKind kind, const std::string& tenant,
           const std::string& value) {
  EntryOp e;
  e.set_op(op);
  e.set_kind(kind);
  e.set_tenant(tenant);
  e.set_value(value);
  return e;
}
EntryOp AddOrigin(const std::string& t, const std::string& v) {
  return Op(EntryOp::OP_ADD, v1::ENTRY_KIND_ORIGIN, t, v);
}

// Everything the catalog holds, as a dump file.
std::string Dump(Catalog& catalog) {
  std::ostringstream out;
  DumpWriter writer(&out);
  absl::Status s = catalog.Export([&](const v1::ExportChunk& chunk) {
    EXPECT_TRUE(writer.WriteExportChunk(chunk).ok());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out.str();
}

std::vector<std::string> Origins(Catalog& catalog, const std::string& tenant) {
  v1::ListEntriesRequest req;
  req.set_tenant(tenant);
  req.set_kind(v1::ENTRY_KIND_ORIGIN);
  auto resp = catalog.ListEntries(req);
  EXPECT_TRUE(resp.ok()) << resp.status();
  return {resp->values().begin(), resp->values().end()};
}

TEST(Catalog, EntryKindMirrorsTheProto) {
  EXPECT_EQ(static_cast<int>(EntryKind::kOrigin), v1::ENTRY_KIND_ORIGIN);
  EXPECT_EQ(static_cast<int>(EntryKind::kWildcard), v1::ENTRY_KIND_WILDCARD);
  EXPECT_EQ(static_cast<int>(EntryKind::kApiHost), v1::ENTRY_KIND_API_HOST);
}

TEST(Catalog, WritesAreCanonicalizedListedAndCounted) {
  TempDir dir;
  Node node(dir.path());
  auto put = node.catalog->PutTenant(PutReq("acme"));
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(put->created());
  EXPECT_EQ(put->revision(), 1u);
  v1::WriteEntriesRequest req;
  *req.add_ops() = AddOrigin("acme", "HTTPS://Shop.Acme.COM:443");
  *req.add_ops() = AddOrigin("acme", "https://shop.acme.com");  // same
  *req.add_ops() = Op(EntryOp::OP_ADD, v1::ENTRY_KIND_WILDCARD, "acme",
                      "https://*.acme.com");
  *req.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "acme", "API.acme.com");
  auto write = node.catalog->WriteEntries(req);
  ASSERT_TRUE(write.ok()) << write.status();
  EXPECT_EQ(write->revision(), 2u);
  EXPECT_EQ(write->added(), 3u);
  EXPECT_EQ(Origins(*node.catalog, "acme"),
            std::vector<std::string>{"https://shop.acme.com"});
  v1::GetTenantRequest get;
  get.set_id("acme");
  auto info = node.catalog->GetTenant(get);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->origins(), 1u);
  EXPECT_EQ(info->wildcards(), 1u);
  EXPECT_EQ(info->api_hosts(), 1u);
  EXPECT_EQ(info->tenant().policy().allowed_methods(0), "PATCH");
  const v1::StatsResponse stats = node.catalog->Stats();
  EXPECT_EQ(stats.tenants(), 1u);
  EXPECT_EQ(stats.origins(), 1u);
  EXPECT_EQ(stats.revision(), 2u);
  v1::LookupOriginRequest lookup;
  lookup.set_origin("https://deep.x.acme.com");
  auto owners = node.catalog->LookupOrigin(lookup);
  ASSERT_TRUE(owners.ok()) << owners.status();
  EXPECT_EQ(owners->canonical(), "https://deep.x.acme.com");
  ASSERT_EQ(owners->tenants_size(), 1);
  EXPECT_EQ(owners->tenants(0), "acme");
  // Removing an absent entry is a no-op, counted as nothing.
  v1::WriteEntriesRequest rm;
  *rm.add_ops() = Op(EntryOp::OP_REMOVE, v1::ENTRY_KIND_ORIGIN, "acme",
                     "https://nope.acme.com");
  *rm.add_ops() = Op(EntryOp::OP_REMOVE, v1::ENTRY_KIND_ORIGIN, "acme",
                     "https://shop.acme.com");
  auto removed = node.catalog->WriteEntries(rm);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->removed(), 1u);
  EXPECT_TRUE(Origins(*node.catalog, "acme").empty());
}

TEST(Catalog, RefusedBatchListsEveryBadItemAndChangesNothing) {
  TempDir dir;
  Node node(dir.path());
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("acme")).ok());
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("other")).ok());
  v1::WriteEntriesRequest seed;
  *seed.add_ops() = AddOrigin("acme", "https://a.acme.com");
  *seed.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "other", "api.other.com");
  ASSERT_TRUE(node.catalog->WriteEntries(seed).ok());
  const std::string before = Dump(*node.catalog);
  const uint64_t revision = node.catalog->AppliedRevision();

  v1::WriteEntriesRequest req;
  *req.add_ops() = AddOrigin("acme", "https://good.acme.com");   // 0
  *req.add_ops() = AddOrigin("acme", "https://user@evil.com");   // 1
  *req.add_ops() = AddOrigin("ghost", "https://g.example.com");  // 2
  *req.add_ops() = AddOrigin("acme", "https://a.com/path");      // 3
  *req.add_ops() = Op(EntryOp::OP_ADD, v1::ENTRY_KIND_WILDCARD, "acme",
                      "https://*.com");  // 4
  *req.add_ops() = Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "acme",
                      "api.other.com");  // 5
  *req.add_ops() = Op(EntryOp::OP_UNSPECIFIED, v1::ENTRY_KIND_ORIGIN, "acme",
                      "https://x.com");                              // 6
  *req.add_ops() = AddOrigin("acme", std::string(3000, 'a'));        // 7
  *req.add_ops() = AddOrigin("Bad Tenant", "https://x.com");         // 8
  *req.add_ops() = AddOrigin("acme", "https://also-good.acme.com");  // 9
  auto result = node.catalog->WriteEntries(req);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  const v1::BatchErrors errors = GetBatchErrors(result.status());
  // Stateless errors are reported first; the batch stops there.
  std::vector<std::pair<uint64_t, std::string>> got;
  for (const auto& e : errors.errors()) got.push_back({e.index(), e.field()});
  const std::vector<std::pair<uint64_t, std::string>> want = {
      {1, "value"}, {3, "value"}, {4, "value"},
      {6, "op"},    {7, "value"}, {8, "tenant"}};
  EXPECT_EQ(got, want) << result.status();
  EXPECT_EQ(errors.total(), want.size());
  EXPECT_EQ(Dump(*node.catalog), before);
  EXPECT_EQ(node.catalog->AppliedRevision(), revision);

  // With the stateless errors fixed, the stateful ones are listed.
  v1::WriteEntriesRequest req2;
  *req2.add_ops() = AddOrigin("acme", "https://good.acme.com");
  *req2.add_ops() = AddOrigin("ghost", "https://g.example.com");
  *req2.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "acme", "api.other.com");
  auto result2 = node.catalog->WriteEntries(req2);
  ASSERT_EQ(result2.status().code(), absl::StatusCode::kInvalidArgument);
  const v1::BatchErrors errors2 = GetBatchErrors(result2.status());
  ASSERT_EQ(errors2.errors_size(), 2) << result2.status();
  EXPECT_EQ(errors2.errors(0).index(), 1u);
  EXPECT_EQ(errors2.errors(0).field(), "tenant");
  EXPECT_EQ(errors2.errors(0).value(), "ghost");
  EXPECT_EQ(errors2.errors(1).index(), 2u);
  EXPECT_NE(errors2.errors(1).message().find("other"), std::string::npos);
  EXPECT_EQ(Dump(*node.catalog), before);

  // The same refusals survive a restart: the store did not change either.
  node.catalog.reset();
  Node again(dir.path());
  EXPECT_EQ(Dump(*again.catalog), before);
}

TEST(Catalog, AtMostAThousandErrorsAreListed) {
  TempDir dir;
  Node node(dir.path());
  v1::WriteEntriesRequest req;
  for (int i = 0; i < 1500; ++i) *req.add_ops() = AddOrigin("t", "not a url");
  auto result = node.catalog->WriteEntries(req);
  const v1::BatchErrors errors = GetBatchErrors(result.status());
  EXPECT_EQ(errors.errors_size(), 1000);
  EXPECT_EQ(errors.total(), 1500u);
}

TEST(Catalog, BatchLimitIsEnforced) {
  TempDir dir;
  Node node(dir.path());
  v1::WriteEntriesRequest req;
  for (size_t i = 0; i <= kMaxBatchOps; ++i) {
    *req.add_ops() = AddOrigin("t", "https://a.com");
  }
  auto result = node.catalog->WriteEntries(req);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("100000"), std::string::npos);
}

TEST(Catalog, ProductionTenantsRefuseDevOrigins) {
  TempDir dir;
  Node node(dir.path());
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("prod", true)).ok());
  v1::WriteEntriesRequest req;
  *req.add_ops() = AddOrigin("prod", "http://localhost:3000");
  auto refused = node.catalog->WriteEntries(req);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetBatchErrors(refused.status()).errors(0).field(), "value");
  // A dev tenant may, but then it cannot become production.
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("dev")).ok());
  *req.mutable_ops(0)->mutable_tenant() = "dev";
  ASSERT_TRUE(node.catalog->WriteEntries(req).ok());
  auto flip = node.catalog->PutTenant(PutReq("dev", true));
  ASSERT_EQ(flip.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetBatchErrors(flip.status()).errors(0).field(),
            "policy.production");
  v1::GetTenantRequest get;
  get.set_id("dev");
  EXPECT_FALSE(node.catalog->GetTenant(get)->tenant().policy().production());
}

TEST(Catalog, BadPolicyIsRefusedWithItsField) {
  TempDir dir;
  Node node(dir.path());
  v1::PutTenantRequest req = PutReq("acme");
  req.mutable_tenant()->mutable_policy()->set_public_origin(true);
  req.mutable_tenant()->mutable_policy()->set_allow_credentials(true);
  auto result = node.catalog->PutTenant(req);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GetBatchErrors(result.status()).errors(0).field(), "policy");
  EXPECT_EQ(node.catalog->Stats().tenants(), 0u);
  v1::PutTenantRequest warn = PutReq("acme");
  warn.mutable_tenant()->mutable_policy()->set_max_age_seconds(10000);
  auto warned = node.catalog->PutTenant(warn);
  ASSERT_TRUE(warned.ok()) << warned.status();
  EXPECT_EQ(warned->warnings_size(), 1);
}

TEST(Catalog, DryRunValidatesAndChangesNothing) {
  TempDir dir;
  Node node(dir.path());
  v1::PutTenantRequest req = PutReq("acme");
  req.set_dry_run(true);
  auto put = node.catalog->PutTenant(req);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->revision(), 0u);
  EXPECT_EQ(node.catalog->Stats().tenants(), 0u);
}

TEST(Catalog, RestartReloadsEverything) {
  TempDir dir;
  std::string before;
  {
    Node node(dir.path());
    ASSERT_TRUE(node.catalog->PutTenant(PutReq("a", true)).ok());
    ASSERT_TRUE(node.catalog->PutTenant(PutReq("b")).ok());
    v1::WriteEntriesRequest req;
    for (int i = 0; i < 100; ++i) {
      *req.add_ops() = AddOrigin(i % 2 ? "a" : "b",
                                 absl::StrCat("https://h", i, ".example.com"));
    }
    *req.add_ops() =
        Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "b", "api.b.com");
    ASSERT_TRUE(node.catalog->WriteEntries(req).ok());
    v1::DeleteTenantRequest del;
    del.set_id("a");
    ASSERT_TRUE(node.catalog->DeleteTenant(del).ok());
    EXPECT_EQ(node.catalog->DeleteTenant(del).status().code(),
              absl::StatusCode::kNotFound);
    before = Dump(*node.catalog);
  }
  Node node(dir.path());
  EXPECT_EQ(Dump(*node.catalog), before);
  EXPECT_EQ(node.catalog->AppliedRevision(), 4u);
  EXPECT_EQ(node.catalog->Stats().origins(), 50u);
  EXPECT_EQ(Origins(*node.catalog, "b").size(), 50u);
  table::EpochManager::ReadGuard guard(&node.epochs);
  const table::TenantId b = node.table.FindTenant("b");
  ASSERT_NE(b, table::kNoTenant);
  EXPECT_NE(node.registry.Find(b), nullptr);
  EXPECT_EQ(node.table.FindApiHost("api.b.com"), b);
  EXPECT_EQ(node.table.FindTenant("a"), table::kNoTenant);
}

TEST(Catalog, AWriteIsDurableBeforeItIsAcknowledged) {
  TempDir dir;
  Node node(dir.path());
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("acme")).ok());
  v1::WriteEntriesRequest req;
  *req.add_ops() = AddOrigin("acme", "https://a.acme.com");
  ASSERT_TRUE(node.catalog->WriteEntries(req).ok());
  // Another connection to the file sees the acknowledged row.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(absl::StrCat(dir.path(), "/corsd.db").c_str(), &db,
                            SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM entries", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(Catalog, AFailedCommitIsNotApplied) {
  TempDir dir;
  Node node(dir.path(), /*failing=*/true);
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("acme")).ok());
  const std::string before = Dump(*node.catalog);
  node.failer->fail = true;
  v1::WriteEntriesRequest req;
  *req.add_ops() = AddOrigin("acme", "https://a.acme.com");
  EXPECT_EQ(node.catalog->WriteEntries(req).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(Origins(*node.catalog, "acme").empty());
  EXPECT_EQ(node.catalog->AppliedRevision(), 1u);
  node.failer->fail = false;
  EXPECT_EQ(Dump(*node.catalog), before);
}

TEST(Catalog, ListTenantsPages) {
  TempDir dir;
  Node node(dir.path());
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(
        node.catalog->PutTenant(PutReq(absl::StrCat("t", 100 + i))).ok());
  }
  std::vector<std::string> seen;
  v1::ListTenantsRequest req;
  req.set_page_size(10);
  for (int page = 0; page < 10; ++page) {
    auto resp = node.catalog->ListTenants(req);
    ASSERT_TRUE(resp.ok()) << resp.status();
    for (const auto& t : resp->tenants()) seen.push_back(t.tenant().id());
    if (resp->next_page_token().empty()) break;
    req.set_page_token(resp->next_page_token());
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "t100");
  EXPECT_EQ(seen.back(), "t124");
  req.set_page_token("garbage!");
  EXPECT_EQ(node.catalog->ListTenants(req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req.set_page_token("");
  req.set_page_size(5000);
  EXPECT_EQ(node.catalog->ListTenants(req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Catalog, ImportIsOneAllOrNothingWriteAcrossChunks) {
  TempDir dir;
  Node node(dir.path());
  {
    auto session = node.catalog->BeginImport();
    v1::ImportChunk c1;
    c1.add_tenants()->set_id("acme");
    *c1.add_ops() = AddOrigin("acme", "https://a.acme.com");
    ASSERT_TRUE(session->Add(c1).ok());
    v1::ImportChunk c2;
    *c2.add_ops() = AddOrigin("acme", "https://b.acme.com");
    *c2.add_ops() = AddOrigin("acme", "ftp://x y");
    absl::Status s = session->Add(c2);
    ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(GetBatchErrors(s).errors(0).index(), 3u);  // across the stream
    EXPECT_FALSE(session->Commit().ok());
  }
  EXPECT_EQ(node.catalog->Stats().tenants(), 0u);
  EXPECT_EQ(node.catalog->AppliedRevision(), 0u);
  // A stateful refusal at Commit also changes nothing.
  {
    auto session = node.catalog->BeginImport();
    v1::ImportChunk c1;
    c1.add_tenants()->set_id("acme");
    *c1.add_ops() = AddOrigin("acme", "https://a.acme.com");
    *c1.add_ops() = AddOrigin("ghost", "https://a.ghost.com");
    ASSERT_TRUE(session->Add(c1).ok());
    auto r = session->Commit();
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(GetBatchErrors(r.status()).errors(0).index(), 2u);
  }
  EXPECT_EQ(node.catalog->Stats().tenants(), 0u);
  auto session = node.catalog->BeginImport();
  v1::ImportChunk c1;
  c1.add_tenants()->set_id("acme");
  for (int i = 0; i < 1000; ++i) {
    *c1.add_ops() =
        AddOrigin("acme", absl::StrCat("https://h", i, ".acme.com"));
  }
  ASSERT_TRUE(session->Add(c1).ok());
  auto r = session->Commit();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tenants(), 1u);
  EXPECT_EQ(r->added(), 1000u);
  EXPECT_EQ(r->revision(), 1u);
  EXPECT_EQ(session->Commit().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Catalog, ExportThenImportRecreatesTheState) {
  TempDir a_dir, b_dir;
  Node a(a_dir.path());
  ASSERT_TRUE(a.catalog->PutTenant(PutReq("acme", true)).ok());
  ASSERT_TRUE(a.catalog->PutTenant(PutReq("beta")).ok());
  v1::WriteEntriesRequest req;
  for (int i = 0; i < 25000; ++i) {
    *req.add_ops() = AddOrigin(i % 3 ? "acme" : "beta",
                               absl::StrCat("https://h", i, ".example.com"));
  }
  *req.add_ops() = Op(EntryOp::OP_ADD, v1::ENTRY_KIND_WILDCARD, "beta",
                      "https://*.beta.example");
  *req.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "acme", "api.acme.com");
  ASSERT_TRUE(a.catalog->WriteEntries(req).ok());
  size_t chunks = 0;
  ASSERT_TRUE(a.catalog
                  ->Export([&](const v1::ExportChunk& chunk) {
                    EXPECT_LE(chunk.tenants_size() + chunk.ops_size(),
                              static_cast<int>(kExportChunkItems));
                    ++chunks;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(chunks, 3u);  // 25004 items
  const std::string dump = Dump(*a.catalog);
  Node b(b_dir.path());
  std::istringstream in(dump);
  auto session = b.catalog->BeginImport();
  ASSERT_TRUE(ReadDumpAsImportChunks(&in, 7000, [&](const v1::ImportChunk& c) {
                return session->Add(c);
              }).ok());
  auto imported = session->Commit();
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_EQ(imported->added(), 25002u);
  EXPECT_EQ(Dump(*b.catalog), dump);
  // Stopping an export early is reported.
  EXPECT_EQ(
      a.catalog->Export([](const v1::ExportChunk&) { return false; }).code(),
      absl::StatusCode::kCancelled);
}

TEST(Catalog, EmbeddedStoreIsReadyOnceOpened) {
  TempDir dir;
  Node node(dir.path());
  EXPECT_TRUE(node.catalog->Ready());
  EXPECT_EQ(node.catalog->NotReadyReason(), "");
  EXPECT_EQ(node.catalog->LagMillis(), 0u);
  EXPECT_EQ(node.catalog->AppliedRevision(), 0u);
}

TEST(Catalog, ApiHostMovesBetweenTenantsOnlyWhenFreedFirst) {
  TempDir dir;
  Node node(dir.path());
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("a")).ok());
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("b")).ok());
  v1::WriteEntriesRequest own;
  *own.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "a", "api.x.com");
  ASSERT_TRUE(node.catalog->WriteEntries(own).ok());
  // In one batch: a frees the host, then b takes it.
  v1::WriteEntriesRequest move;
  *move.add_ops() =
      Op(EntryOp::OP_REMOVE, v1::ENTRY_KIND_API_HOST, "a", "api.x.com");
  *move.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "b", "api.x.com");
  ASSERT_TRUE(node.catalog->WriteEntries(move).ok());
  // Taking it back without freeing it is refused.
  v1::WriteEntriesRequest steal;
  *steal.add_ops() =
      Op(EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST, "a", "api.x.com");
  auto refused = node.catalog->WriteEntries(steal);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(GetBatchErrors(refused.status())
                .errors(0)
                .message()
                .find("belongs to tenant \"b\""),
            std::string::npos)
      << refused.status();
  table::EpochManager::ReadGuard guard(&node.epochs);
  EXPECT_EQ(node.table.FindApiHost("api.x.com"), node.table.FindTenant("b"));
}

TEST(Catalog, ForeignDataFileIsRefusedAtOpen) {
  TempDir dir;
  {
    std::ofstream f(absl::StrCat(dir.path(), "/corsd.db"));
    f << "SQLite format 2 -- not really";
  }
  auto store = OpenStore("", dir.path());
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("corsd.db"), std::string::npos);
}

// Tenants with equal policies share one compiled policy (and one catalog
// copy), live and after a reload; changing or deleting one leaves the other.
TEST(Catalog, EqualPoliciesAreSharedAndIndependent) {
  TempDir dir;
  auto policy_of = [](Node& node, const std::string& id) {
    v1::GetTenantRequest get;
    get.set_id(id);
    auto info = node.catalog->GetTenant(get);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->tenant().policy() : v1::Policy();
  };
  auto compiled = [](Node& node, const std::string& id) {
    table::EpochManager::ReadGuard guard(&node.epochs);
    return node.registry.Find(node.table.FindTenant(id));
  };
  {
    Node node(dir.path());
    for (const char* id : {"a", "b", "c"}) {
      ASSERT_TRUE(node.catalog->PutTenant(PutReq(id)).ok());
    }
    EXPECT_EQ(node.registry.distinct_policies(), 1u);
    EXPECT_EQ(compiled(node, "a"), compiled(node, "b"));
    // Changing one does not change the others.
    ASSERT_TRUE(node.catalog->PutTenant(PutReq("a", true)).ok());
    EXPECT_TRUE(policy_of(node, "a").production());
    EXPECT_FALSE(policy_of(node, "b").production());
    EXPECT_NE(compiled(node, "a"), compiled(node, "b"));
    EXPECT_EQ(node.registry.distinct_policies(), 2u);
    // Deleting one keeps the others' policy.
    v1::DeleteTenantRequest del;
    del.set_id("b");
    ASSERT_TRUE(node.catalog->DeleteTenant(del).ok());
    EXPECT_EQ(policy_of(node, "c").allowed_methods(0), "PATCH");
    EXPECT_NE(compiled(node, "c"), nullptr);
  }
  Node node(dir.path());  // reload: byte-equal stored policies share too
  ASSERT_TRUE(node.catalog->PutTenant(PutReq("d")).ok());
  EXPECT_EQ(node.registry.distinct_policies(), 2u);
  EXPECT_EQ(compiled(node, "c"), compiled(node, "d"));
  EXPECT_TRUE(policy_of(node, "a").production());
  EXPECT_FALSE(policy_of(node, "c").production());
  EXPECT_EQ(node.registry.size(), 3u);
}
}  // namespace
}  // namespace corsd::store
