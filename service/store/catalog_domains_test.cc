// Custom domains in the Catalog without a network: admin refusals (naming
// field, value and expectation, changing nothing), grants written and
// removed with the state, a proof moving a host between tenants, cascades,
// listing, and the /ask index following every change.
#include <atomic>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/dump_file.h"
#include "service/store/testing/catalog_fixture.h"

namespace corsd::store {
namespace {

bool IsApproved(domain::DomainIndex::Match m) {
  return m == domain::DomainIndex::Match::kExact ||
         m == domain::DomainIndex::Match::kWildcard;
}

using ::corsd::store::testing::Node;
using ::corsd::store::testing::Origins;
using ::corsd::store::testing::PutReq;
using ::corsd::store::testing::TempDir;

constexpr int64_t kHour = 3600 * 1000;

domain::ProofResult Proven() {
  return {domain::ProofOutcome::kProven, "TXT seen", {}};
}
domain::ProofResult Gone() {
  return {domain::ProofOutcome::kNxDomain, "NXDOMAIN", {}};
}

class CatalogDomainsTest : public ::testing::Test {
 protected:
  CatalogDomainsTest() {
    CatalogOptions options;
    options.max_domains_per_tenant = 3;
    options.lifecycle.grace = absl::Hours(1);
    options.now_ms = [this] { return now_.load(); };
    node_ = std::make_unique<Node>(dir_.path(), false, options);
    for (const char* t : {"one", "two"}) {
      v1::PutTenantRequest put = PutReq(t);
      put.mutable_tenant()->mutable_policy()->set_custom_domain_origins(true);
      EXPECT_TRUE(catalog().PutTenant(put).ok());
    }
  }

  Catalog& catalog() { return *node_->catalog; }

  absl::StatusOr<v1::DomainInfo> Add(
      const std::string& tenant, const std::string& host,
      v1::DomainMethod method = v1::DOMAIN_METHOD_DNS) {
    v1::AddDomainRequest add;
    add.set_tenant(tenant);
    add.set_host(host);
    add.set_method(method);
    return catalog().AddDomain(add);
  }

  // Records one attempt for (tenant, host) with `result`.
  absl::StatusOr<v1::CustomDomain> Attempt(const std::string& tenant,
                                           const std::string& host,
                                           const domain::ProofResult& result) {
    v1::DomainRequest get;
    get.set_tenant(tenant);
    get.set_host(host);
    auto info = catalog().GetDomain(get);
    if (!info.ok()) return info.status();
    return catalog().RecordAttempt(
        {tenant, host, info->domain().token(), info->domain().method()}, result,
        0.5);
  }

  std::string Router(const std::string& host) {
    table::EpochManager::ReadGuard guard(&node_->epochs);
    const table::TenantId id = node_->table.FindApiHost(host);
    return id == table::kNoTenant ? ""
                                  : std::string(node_->table.TenantName(id));
  }
  bool Asked(const std::string& host) {
    return IsApproved(catalog().domain_index().Lookup(host));
  }
  uint64_t Revision() { return catalog().AppliedRevision(); }

  TempDir dir_;
  std::atomic<int64_t> now_{1'700'000'000'000};
  std::unique_ptr<Node> node_;
};

struct BadAdd {
  std::string tenant;
  std::string host;
  v1::DomainMethod method;
  std::string field;
  std::string says;
};

class CatalogDomainRefusalTest : public CatalogDomainsTest,
                                 public ::testing::WithParamInterface<BadAdd> {
};

TEST_P(CatalogDomainRefusalTest, NamesFieldValueAndChangesNothing) {
  const BadAdd& c = GetParam();
  const uint64_t before = Revision();
  auto info = Add(c.tenant, c.host, c.method);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument)
      << info.status();
  const v1::BatchErrors errors = GetBatchErrors(info.status());
  ASSERT_EQ(errors.errors_size(), 1) << info.status();
  EXPECT_EQ(errors.errors(0).field(), c.field);
  EXPECT_NE(errors.errors(0).message().find(c.says), std::string::npos)
      << errors.errors(0).message();
  EXPECT_EQ(Revision(), before);
}

INSTANTIATE_TEST_SUITE_P(
    Table, CatalogDomainRefusalTest,
    ::testing::Values(
        BadAdd{"one", "10.0.0.1", v1::DOMAIN_METHOD_DNS, "host", "IP address"},
        BadAdd{"one", "co.uk", v1::DOMAIN_METHOD_DNS, "host", "public suffix"},
        BadAdd{"one", std::string(64, 'a') + ".example.com",
               v1::DOMAIN_METHOD_DNS, "host", "label of 64 bytes"},
        BadAdd{"one", "*.shop.example.com", v1::DOMAIN_METHOD_DNS, "host",
               "parent \"shop.example.com\" is not a verified domain"},
        BadAdd{"One!", "shop.example.com", v1::DOMAIN_METHOD_DNS, "tenant", ""},
        BadAdd{"one", "shop.example.com", static_cast<v1::DomainMethod>(9),
               "method", "expected DOMAIN_METHOD_DNS"}));

TEST_F(CatalogDomainsTest, UnknownTenantIsNotFound) {
  auto info = Add("nobody", "shop.example.com");
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CatalogDomainsTest, AddIssuesATokenAndInstructionsAndIsIdempotent) {
  auto info = Add("one", "Shop.Example.COM");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->domain().host(), "shop.example.com");
  EXPECT_EQ(info->domain().state(), v1::DOMAIN_STATE_PENDING);
  EXPECT_EQ(info->domain().token().size(), 26u);
  ASSERT_GE(info->instructions_size(), 1);
  EXPECT_EQ(
      info->instructions(0),
      absl::StrCat("Create a TXT record _corsd-challenge.shop.example.com "
                   "with the value ",
                   info->domain().token()));
  EXPECT_GT(info->revision(), 0u);
  const uint64_t revision = Revision();
  auto again = Add("one", "shop.example.com");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->domain().token(), info->domain().token());
  EXPECT_EQ(Revision(), revision) << "an idempotent add writes nothing";
  EXPECT_FALSE(Asked("shop.example.com"));
}

TEST_F(CatalogDomainsTest, PerTenantLimit) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Add("one", absl::StrCat("d", i, ".example.com")).ok());
  }
  auto fourth = Add("one", "d3.example.com");
  ASSERT_FALSE(fourth.ok());
  EXPECT_NE(fourth.status().message().find("expected at most 3"),
            std::string::npos)
      << fourth.status();
  EXPECT_TRUE(Add("two", "d3.example.com").ok()) << "limits are per tenant";
}

TEST_F(CatalogDomainsTest, VerificationGrantsAndSuspensionRemovesThem) {
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  auto verified = Attempt("one", "shop.example.com", Proven());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->state(), v1::DOMAIN_STATE_VERIFIED);
  EXPECT_TRUE(verified->granted_api_host());
  EXPECT_TRUE(verified->granted_origin());
  EXPECT_EQ(Router("shop.example.com"), "one");
  EXPECT_EQ(Origins(catalog(), "one"),
            std::vector<std::string>{"https://shop.example.com"});
  EXPECT_TRUE(Asked("shop.example.com"));

  now_ += kHour / 2;
  auto failing = Attempt("one", "shop.example.com", Gone());
  EXPECT_EQ(failing->state(), v1::DOMAIN_STATE_FAILING);
  EXPECT_EQ(Router("shop.example.com"), "one") << "grants kept in the grace";
  EXPECT_EQ(catalog().domain_index().Lookup("shop.example.com"),
            domain::DomainIndex::Match::kWithheld)
      << "/ask: verified only, even though the host still routes";

  now_ += kHour;
  auto suspended = Attempt("one", "shop.example.com", Gone());
  EXPECT_EQ(suspended->state(), v1::DOMAIN_STATE_SUSPENDED);
  EXPECT_FALSE(suspended->granted_api_host());
  EXPECT_EQ(Router("shop.example.com"), "");
  EXPECT_TRUE(Origins(catalog(), "one").empty());
}

TEST_F(CatalogDomainsTest, OriginGrantsFollowThePolicyAtOnce) {
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  ASSERT_TRUE(Attempt("one", "shop.example.com", Proven()).ok());
  EXPECT_EQ(Origins(catalog(), "one"),
            std::vector<std::string>{"https://shop.example.com"});
  v1::PutTenantRequest off = PutReq("one");  // custom_domain_origins unset
  ASSERT_TRUE(catalog().PutTenant(off).ok());
  EXPECT_TRUE(Origins(catalog(), "one").empty());
  EXPECT_EQ(Router("shop.example.com"), "one") << "routing stays";
  v1::PutTenantRequest on = PutReq("one");
  on.mutable_tenant()->mutable_policy()->set_custom_domain_origins(true);
  ASSERT_TRUE(catalog().PutTenant(on).ok());
  EXPECT_EQ(Origins(catalog(), "one"),
            std::vector<std::string>{"https://shop.example.com"});
}

TEST_F(CatalogDomainsTest, EntriesTheOperatorWroteAreNeverRemovedByADomain) {
  v1::WriteEntriesRequest write;
  *write.add_ops() = testing::AddOrigin("one", "https://shop.example.com");
  *write.add_ops() = testing::Op(v1::EntryOp::OP_ADD, v1::ENTRY_KIND_API_HOST,
                                 "one", "shop.example.com");
  ASSERT_TRUE(catalog().WriteEntries(write).ok());
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  auto verified = Attempt("one", "shop.example.com", Proven());
  EXPECT_FALSE(verified->granted_api_host());
  EXPECT_FALSE(verified->granted_origin());
  v1::DomainRequest rm;
  rm.set_tenant("one");
  rm.set_host("shop.example.com");
  ASSERT_TRUE(catalog().RemoveDomain(rm).ok());
  EXPECT_EQ(Router("shop.example.com"), "one");
  EXPECT_EQ(Origins(catalog(), "one"),
            std::vector<std::string>{"https://shop.example.com"});
  EXPECT_FALSE(Asked("shop.example.com"));
}

TEST_F(CatalogDomainsTest, AProofMovesAHeldHostWithoutNamingTheClaimant) {
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  ASSERT_TRUE(Attempt("one", "shop.example.com", Proven()).ok());
  // An operator add cannot take it; a proof can.
  auto op = Add("two", "shop.example.com", v1::DOMAIN_METHOD_OPERATOR);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().message().find("\"one\""), std::string::npos)
      << "the holder is not named: " << op.status();
  ASSERT_TRUE(Add("two", "shop.example.com").ok());
  EXPECT_EQ(Router("shop.example.com"), "one") << "a claim is not a proof";
  auto moved = Attempt("two", "shop.example.com", Proven());
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->state(), v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(Router("shop.example.com"), "two");
  EXPECT_TRUE(Origins(catalog(), "one").empty());
  v1::DomainRequest get;
  get.set_tenant("one");
  get.set_host("shop.example.com");
  auto old = catalog().GetDomain(get);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->domain().state(), v1::DOMAIN_STATE_REMOVED);
  EXPECT_NE(old->domain().note().find("another tenant proved control"),
            std::string::npos);
  EXPECT_EQ(old->domain().note().find("two"), std::string::npos);
  // The old holder's record is no longer attempted.
  EXPECT_TRUE(catalog().DueDomains(now_ + 1000 * kHour, 10, nullptr).size() <=
              1u);
}

TEST_F(CatalogDomainsTest, WildcardNeedsAVerifiedParent) {
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  EXPECT_FALSE(Add("one", "*.shop.example.com").ok()) << "parent pending";
  ASSERT_TRUE(Attempt("one", "shop.example.com", Proven()).ok());
  ASSERT_TRUE(Add("one", "*.shop.example.com").ok());
  auto wild = Attempt("one", "*.shop.example.com", Proven());
  ASSERT_TRUE(wild.ok()) << wild.status();
  EXPECT_FALSE(wild->granted_api_host()) << "no wildcard API hosts";
  EXPECT_TRUE(wild->granted_origin());
  EXPECT_EQ(catalog().domain_index().Lookup("a.shop.example.com"),
            domain::DomainIndex::Match::kWildcard);
  EXPECT_EQ(catalog().domain_index().Lookup("a.b.shop.example.com"),
            domain::DomainIndex::Match::kNone);
}

TEST_F(CatalogDomainsTest, OperatorDomainsAreVerifiedAtOnce) {
  auto info = Add("one", "api.example.com", v1::DOMAIN_METHOD_OPERATOR);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->domain().state(), v1::DOMAIN_STATE_VERIFIED);
  EXPECT_EQ(Router("api.example.com"), "one");
  EXPECT_TRUE(Asked("api.example.com"));
  EXPECT_TRUE(catalog().DueDomains(now_ + 1000 * kHour, 10, nullptr).empty());
}

TEST_F(CatalogDomainsTest, DeletingATenantRemovesItsDomainsEverywhere) {
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  ASSERT_TRUE(Attempt("one", "shop.example.com", Proven()).ok());
  v1::DeleteTenantRequest del;
  del.set_id("one");
  ASSERT_TRUE(catalog().DeleteTenant(del).ok());
  EXPECT_FALSE(Asked("shop.example.com"));
  v1::ListDomainsRequest list;
  EXPECT_EQ(catalog().ListDomains(list)->domains_size(), 0);
  // And after a restart.
  node_.reset();
  node_ = std::make_unique<Node>(dir_.path());
  EXPECT_EQ(catalog().ListDomains(list)->domains_size(), 0);
  EXPECT_EQ(catalog().CountDomains().by_state[v1::DOMAIN_STATE_VERIFIED], 0u);
}

TEST_F(CatalogDomainsTest, ListPagesFiltersAndRefusesBadTokens) {
  for (const char* host : {"a.example.com", "b.example.com", "c.example.com"}) {
    ASSERT_TRUE(Add("one", host).ok());
  }
  ASSERT_TRUE(Add("two", "z.example.com").ok());
  ASSERT_TRUE(Attempt("one", "b.example.com", Proven()).ok());
  v1::ListDomainsRequest list;
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (;;) {
    auto page = catalog().ListDomains(list);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& d : page->domains()) {
      seen.push_back(absl::StrCat(d.tenant(), "/", d.host()));
    }
    if (page->next_page_token().empty()) break;
    list.set_page_token(page->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "one/a.example.com", "one/b.example.com",
                      "one/c.example.com", "two/z.example.com"}));
  v1::ListDomainsRequest verified;
  verified.set_tenant("one");
  verified.set_state(v1::DOMAIN_STATE_VERIFIED);
  auto only = catalog().ListDomains(verified);
  ASSERT_EQ(only->domains_size(), 1);
  EXPECT_EQ(only->domains(0).host(), "b.example.com");
  v1::ListDomainsRequest bad;
  bad.set_page_token("nonsense");
  EXPECT_EQ(catalog().ListDomains(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  const DomainCounts counts = catalog().CountDomains();
  EXPECT_EQ(counts.by_state[v1::DOMAIN_STATE_PENDING], 3u);
  EXPECT_EQ(counts.by_state[v1::DOMAIN_STATE_VERIFIED], 1u);
}

// Export + import (through the dump file, as corsctl export/import do)
// keeps every domain with its lifecycle: nothing is lost.
TEST_F(CatalogDomainsTest, ExportAndImportKeepDomainsAndTheirState) {
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  ASSERT_TRUE(Attempt("one", "shop.example.com", Proven()).ok());
  ASSERT_TRUE(Add("one", "*.shop.example.com").ok());
  ASSERT_TRUE(Add("two", "pending.example.com").ok());
  const std::string dump = testing::Dump(catalog());
  EXPECT_NE(dump.find("{\"domain\":{"), std::string::npos) << dump;
  v1::ListDomainsRequest all;
  const auto before = catalog().ListDomains(all);
  ASSERT_TRUE(before.ok());

  TempDir other;
  Node fresh(other.path());
  std::unique_ptr<ImportSession> session = fresh.catalog->BeginImport();
  std::istringstream in(dump);
  ASSERT_TRUE(ReadDumpAsImportChunks(&in, 2, [&](const v1::ImportChunk& c) {
                return session->Add(c);
              }).ok());
  auto imported = session->Commit();
  ASSERT_TRUE(imported.ok()) << imported.status();
  const auto after = fresh.catalog->ListDomains(all);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->domains_size(), before->domains_size());
  for (int i = 0; i < after->domains_size(); ++i) {
    EXPECT_EQ(after->domains(i).SerializeAsString(),
              before->domains(i).SerializeAsString())
        << after->domains(i).host();
  }
  EXPECT_EQ(fresh.catalog->domain_index().Lookup("shop.example.com"),
            domain::DomainIndex::Match::kExact);
  EXPECT_EQ(testing::Dump(*fresh.catalog), dump);
}

TEST_F(CatalogDomainsTest, ImportRefusesBadDomainsNamingTheField) {
  v1::ImportChunk chunk;
  v1::CustomDomain* held = chunk.add_domains();
  held->set_tenant("two");
  held->set_host("shop.example.com");
  held->set_method(v1::DOMAIN_METHOD_DNS);
  held->set_token("abc");
  held->set_state(v1::DOMAIN_STATE_VERIFIED);
  held->set_verified_unix_ms(1);
  v1::CustomDomain* ip = chunk.add_domains();
  *ip = *held;
  ip->set_host("10.0.0.1");
  ASSERT_TRUE(Add("one", "shop.example.com").ok());
  ASSERT_TRUE(Attempt("one", "shop.example.com", Proven()).ok());
  const uint64_t revision = Revision();
  std::unique_ptr<ImportSession> session = catalog().BeginImport();
  absl::Status added = session->Add(chunk);
  ASSERT_FALSE(added.ok());
  v1::BatchErrors errors = GetBatchErrors(added);
  ASSERT_EQ(errors.errors_size(), 1);
  EXPECT_EQ(errors.errors(0).field(), "domains.host");
  EXPECT_EQ(errors.errors(0).index(), 1u);
  chunk.mutable_domains()->RemoveLast();
  session = catalog().BeginImport();
  ASSERT_TRUE(session->Add(chunk).ok());
  auto commit = session->Commit();
  ASSERT_FALSE(commit.ok());
  errors = GetBatchErrors(commit.status());
  ASSERT_EQ(errors.errors_size(), 1) << commit.status();
  EXPECT_EQ(errors.errors(0).field(), "domains.host");
  EXPECT_NE(errors.errors(0).message().find("held by another tenant"),
            std::string::npos);
  EXPECT_EQ(Revision(), revision) << "nothing changed";
}

TEST_F(CatalogDomainsTest, AResultForAReissuedDomainIsDropped) {
  auto first = Add("one", "shop.example.com");
  ASSERT_TRUE(first.ok());
  const DueDomain stale{"one", "shop.example.com", "not-the-token",
                        v1::DOMAIN_METHOD_DNS};
  auto result = catalog().RecordAttempt(stale, Proven(), 0.5);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(Asked("shop.example.com"));
}

}  // namespace
}  // namespace corsd::store
