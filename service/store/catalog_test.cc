// Catalog writes: canonicalization, validation, per-item errors, limits,
// R16 and dry runs.
#include "service/store/catalog.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
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

}  // namespace
}  // namespace corsd::store
