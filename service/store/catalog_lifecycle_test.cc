// Catalog over time: restart reload, durability before acknowledgement,
// failed commits, paging, import/export, readiness, API hosts moving, foreign
// files, shared policies.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/catalog.h"
#include "service/store/testing/catalog_fixture.h"

namespace corsd::store {
namespace {

using ::corsd::store::testing::AddOrigin;
using ::corsd::store::testing::Dump;
using ::corsd::store::testing::Node;
using ::corsd::store::testing::Op;
using ::corsd::store::testing::Origins;
using ::corsd::store::testing::PutReq;
using ::corsd::store::testing::TempDir;
using ::corsd::v1::EntryOp;

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
