// Unit tests for OriginTable: matching rules (R2), tenant isolation, the
// reverse lookup, API hosts, all-or-nothing batches, listing and stats.
#include "service/table/origin_table.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/origin/origin.h"

namespace corsd::table {
namespace {

Op AddT(std::string t) { return {Op::Kind::kAddTenant, std::move(t), ""}; }
Op RmT(std::string t) { return {Op::Kind::kRemoveTenant, std::move(t), ""}; }
Op AddO(std::string t, std::string v) {
  return {Op::Kind::kAddOrigin, std::move(t), std::move(v)};
}
Op RmO(std::string t, std::string v) {
  return {Op::Kind::kRemoveOrigin, std::move(t), std::move(v)};
}
Op AddW(std::string t, std::string v) {
  return {Op::Kind::kAddWildcard, std::move(t), std::move(v)};
}
Op RmW(std::string t, std::string v) {
  return {Op::Kind::kRemoveWildcard, std::move(t), std::move(v)};
}
Op AddH(std::string t, std::string v) {
  return {Op::Kind::kAddApiHost, std::move(t), std::move(v)};
}
Op RmH(std::string t, std::string v) {
  return {Op::Kind::kRemoveApiHost, std::move(t), std::move(v)};
}

class OriginTableTest : public ::testing::Test {
 protected:
  ApplyResult MustApply(const std::vector<Op>& ops) {
    absl::StatusOr<ApplyResult> r = table_.Apply(ops);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ApplyResult{};
  }
  absl::Status ApplyStatus(const std::vector<Op>& ops) {
    return table_.Apply(ops).status();
  }
  Match Lookup(absl::string_view tenant, absl::string_view origin) {
    EpochManager::ReadGuard guard(&epochs_);
    origin::OriginParts parts;
    EXPECT_EQ(origin::CheckOriginHeader(origin, &parts),
              origin::HeaderCheck::kCanonical)
        << origin;
    return table_.Lookup(table_.FindTenant(tenant), parts);
  }
  TenantId Find(absl::string_view tenant) {
    EpochManager::ReadGuard guard(&epochs_);
    return table_.FindTenant(tenant);
  }
  std::vector<std::pair<std::string, Match>> Owners(absl::string_view origin) {
    EpochManager::ReadGuard guard(&epochs_);
    origin::OriginParts parts;
    EXPECT_EQ(origin::CheckOriginHeader(origin, &parts),
              origin::HeaderCheck::kCanonical);
    std::vector<std::pair<std::string, Match>> out;
    table_.ForEachOwner(parts, [&](TenantId id, Match m) {
      out.emplace_back(std::string(table_.TenantName(id)), m);
    });
    std::sort(out.begin(), out.end());
    return out;
  }

  EpochManager epochs_;
  OriginTable table_{&epochs_};
};

TEST_F(OriginTableTest, ExactMatchNeedsSchemeHostAndPort) {
  ApplyResult r = MustApply({AddT("acme"), AddO("acme", "https://app.acme.com"),
                             AddO("acme", "http://localhost:3000")});
  EXPECT_EQ(r.added, 3u);
  EXPECT_EQ(Lookup("acme", "https://app.acme.com"), Match::kExact);
  EXPECT_EQ(Lookup("acme", "http://localhost:3000"), Match::kExact);
  EXPECT_EQ(Lookup("acme", "http://app.acme.com"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "https://app.acme.com:8443"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "http://localhost:3001"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "https://app.acme.com.evil.com"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "https://pp.acme.com"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "https://app.acme.com."), Match::kNone);
  EXPECT_EQ(Lookup("nobody", "https://app.acme.com"), Match::kNone);
}

TEST_F(OriginTableTest, WildcardMatchesDeeperLabelsOnly) {
  MustApply({AddT("acme"), AddW("acme", "https://*.acme.com")});
  EXPECT_EQ(Lookup("acme", "https://a.acme.com"), Match::kWildcard);
  EXPECT_EQ(Lookup("acme", "https://b.a.acme.com"), Match::kWildcard);
  EXPECT_EQ(Lookup("acme", "https://acme.com"), Match::kNone);   // bare
  EXPECT_EQ(Lookup("acme", "https://xacme.com"), Match::kNone);  // boundary
  EXPECT_EQ(Lookup("acme", "https://a.acme.com.evil.com"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "http://a.acme.com"), Match::kNone);  // scheme
  EXPECT_EQ(Lookup("acme", "wss://a.acme.com"), Match::kNone);
  EXPECT_EQ(Lookup("acme", "https://a.acme.com:8443"), Match::kNone);  // port
  EXPECT_EQ(Lookup("acme", "https://a.acme.com."), Match::kNone);      // dot
}

TEST_F(OriginTableTest, WildcardWithPortAndTrailingDot) {
  MustApply({AddT("t"), AddW("t", "https://*.dev.example.com:8443"),
             AddW("t", "https://*.example.org.")});
  EXPECT_EQ(Lookup("t", "https://x.dev.example.com:8443"), Match::kWildcard);
  EXPECT_EQ(Lookup("t", "https://x.dev.example.com"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://x.dev.example.com:8444"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://a.example.org."), Match::kWildcard);
  EXPECT_EQ(Lookup("t", "https://a.example.org"), Match::kNone);
}

TEST_F(OriginTableTest, ExactIsReportedBeforeWildcard) {
  MustApply({AddT("t"), AddW("t", "https://*.acme.com"),
             AddO("t", "https://a.acme.com")});
  EXPECT_EQ(Lookup("t", "https://a.acme.com"), Match::kExact);
  EXPECT_EQ(Lookup("t", "https://b.acme.com"), Match::kWildcard);
}

TEST_F(OriginTableTest, IpOriginsMatchExactlyAndNeverByWildcard) {
  MustApply({AddT("t"), AddO("t", "http://127.0.0.1:8080"),
             AddO("t", "http://[::1]")});
  EXPECT_EQ(Lookup("t", "http://127.0.0.1:8080"), Match::kExact);
  EXPECT_EQ(Lookup("t", "http://[::1]"), Match::kExact);
  EXPECT_EQ(Lookup("t", "http://127.0.0.2:8080"), Match::kNone);
  EXPECT_EQ(ApplyStatus({AddW("t", "http://*.0.0.1")}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(OriginTableTest, PublicSuffixWildcardsAreRefused) {
  MustApply({AddT("t")});
  for (const char* w : {"https://*.com", "https://*.github.io",
                        "https://*.co.uk", "http://*.localhost"}) {
    const absl::Status st =
        ApplyStatus({AddO("t", "https://ok.example.com"), AddW("t", w)});
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << w;
    EXPECT_NE(st.message().find(w), absl::string_view::npos) << st.message();
    EXPECT_NE(st.message().find("op[1]"), absl::string_view::npos);
  }
  // Nothing of those batches was applied.
  EXPECT_EQ(Lookup("t", "https://ok.example.com"), Match::kNone);
  MustApply({AddW("t", "https://*.user.github.io")});
  EXPECT_EQ(Lookup("t", "https://a.user.github.io"), Match::kWildcard);
}

TEST_F(OriginTableTest, NonCanonicalValuesAreRefused) {
  MustApply({AddT("t")});
  for (const Op& op :
       {AddO("t", "HTTPS://a.example.com"), AddO("t", "https://a.example.com/"),
        AddO("t", "https://a.example.com:443"), AddO("t", "null"),
        AddO("t", ""), AddW("t", "https://a.*.example.com"),
        AddW("t", "https://*.Example.com"), AddW("t", "https://example.com"),
        AddW("t", "*.example.com"), AddH("t", "Api.example.com"),
        AddH("t", "api.example.com:8443"), AddH("t", "")}) {
    const absl::Status st = ApplyStatus({op});
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << op.value;
    EXPECT_NE(st.message().find(OpKindName(op.kind)), absl::string_view::npos)
        << st.message();
  }
  EXPECT_EQ(ApplyStatus({AddT("")}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyStatus({AddT(std::string(kMaxTenantBytes + 1, 'x'))}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table_.Stats().origins, 0u);
}

TEST_F(OriginTableTest, RemovalAndCounts) {
  MustApply({AddT("t"), AddO("t", "https://a.example.com"),
             AddW("t", "https://*.example.net")});
  ApplyResult r = MustApply({RmO("t", "https://a.example.com"),
                             RmO("t", "https://never.example.com"),
                             RmW("t", "https://*.example.net")});
  EXPECT_EQ(r.removed, 2u);
  EXPECT_EQ(r.added, 0u);
  EXPECT_EQ(Lookup("t", "https://a.example.com"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://x.example.net"), Match::kNone);
  r = MustApply(
      {AddO("t", "https://a.example.com"), AddO("t", "https://a.example.com")});
  EXPECT_EQ(r.added, 1u);  // the second add is a no-op
  EXPECT_EQ(Lookup("t", "https://a.example.com"), Match::kExact);
}

TEST_F(OriginTableTest, ReplacementInOneBatch) {
  MustApply({AddT("t"), AddO("t", "https://old.example.com")});
  ApplyResult r = MustApply({RmO("t", "https://old.example.com"),
                             AddO("t", "https://new.example.com"),
                             AddO("t", "https://tmp.example.com"),
                             RmO("t", "https://tmp.example.com"),
                             RmO("t", "https://new.example.com"),
                             AddO("t", "https://new.example.com")});
  EXPECT_EQ(r.added, 3u);
  EXPECT_EQ(r.removed, 3u);
  EXPECT_EQ(Lookup("t", "https://old.example.com"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://tmp.example.com"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://new.example.com"), Match::kExact);
  EXPECT_EQ(table_.TenantStats("t").origins, 1u);
}

TEST_F(OriginTableTest, TenantIsolation) {
  MustApply({AddT("a"), AddT("b"), AddO("a", "https://shop.a.com"),
             AddW("a", "https://*.a.com"), AddH("a", "api.a.com")});
  EXPECT_EQ(Lookup("a", "https://shop.a.com"), Match::kExact);
  EXPECT_EQ(Lookup("b", "https://shop.a.com"), Match::kNone);
  EXPECT_EQ(Lookup("b", "https://x.a.com"), Match::kNone);
  EXPECT_NE(Find("a"), Find("b"));
}

TEST_F(OriginTableTest, TenantRemovalDropsEverythingAndIdsAreNotReused) {
  MustApply({AddT("t"), AddO("t", "https://a.example.com"),
             AddW("t", "https://*.example.com"), AddH("t", "api.example.com"),
             AddT("other"), AddO("other", "https://a.example.com")});
  const TenantId old_id = Find("t");
  ApplyResult r = MustApply({RmT("t")});
  EXPECT_EQ(r.removed, 4u);  // the tenant and its three entries
  EXPECT_EQ(Find("t"), kNoTenant);
  EXPECT_EQ(Lookup("other", "https://a.example.com"), Match::kExact);
  {
    EpochManager::ReadGuard guard(&epochs_);
    EXPECT_EQ(table_.FindApiHost("api.example.com"), kNoTenant);
    EXPECT_TRUE(table_.TenantName(old_id).empty());
  }
  MustApply({AddT("t")});
  EXPECT_NE(Find("t"), old_id);
  EXPECT_EQ(Lookup("t", "https://a.example.com"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://b.example.com"), Match::kNone);
  EXPECT_EQ(table_.Stats().tenants, 2u);
  EXPECT_EQ(table_.Stats().origins, 1u);
}

TEST_F(OriginTableTest, ReverseLookupReportsEachTenantOnce) {
  MustApply({AddT("exact"), AddT("wild"), AddT("both"), AddT("deep"),
             AddT("none"), AddO("exact", "https://a.b.example.com"),
             AddW("wild", "https://*.example.com"),
             AddO("both", "https://a.b.example.com"),
             AddW("both", "https://*.b.example.com"),
             AddW("deep", "https://*.b.example.com"),
             AddW("deep", "https://*.example.com"),
             AddO("none", "http://a.b.example.com")});
  const std::vector<std::pair<std::string, Match>> want = {
      {"both", Match::kExact},
      {"deep", Match::kWildcard},
      {"exact", Match::kExact},
      {"wild", Match::kWildcard}};
  EXPECT_EQ(Owners("https://a.b.example.com"), want);
  EXPECT_TRUE(Owners("https://nobody.example.org").empty());
}

TEST_F(OriginTableTest, ApiHostsHaveOneOwner) {
  MustApply({AddT("a"), AddT("b"), AddH("a", "api.shop.com")});
  {
    EpochManager::ReadGuard guard(&epochs_);
    EXPECT_EQ(table_.FindApiHost("api.shop.com"), table_.FindTenant("a"));
    EXPECT_EQ(table_.FindApiHost("shop.com"), kNoTenant);
  }
  const absl::Status st = ApplyStatus({AddH("b", "api.shop.com")});
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("\"a\""), absl::string_view::npos);
  EXPECT_EQ(MustApply({AddH("a", "api.shop.com")}).added, 0u);
  // Freed by the owner's removal earlier in the same batch.
  MustApply({RmT("a"), AddH("b", "api.shop.com")});
  {
    EpochManager::ReadGuard guard(&epochs_);
    EXPECT_EQ(table_.FindApiHost("api.shop.com"), table_.FindTenant("b"));
  }
  // Freed by an explicit remove earlier in the batch; a removal by a
  // non-owner is a no-op.
  MustApply({AddT("c")});
  EXPECT_EQ(MustApply({RmH("c", "api.shop.com")}).removed, 0u);
  MustApply({RmH("b", "api.shop.com"), AddH("c", "api.shop.com")});
  EpochManager::ReadGuard guard(&epochs_);
  EXPECT_EQ(table_.FindApiHost("api.shop.com"), table_.FindTenant("c"));
}

TEST_F(OriginTableTest, HostIsKnown) {
  MustApply({AddT("t"), AddO("t", "http://shop.example.com:8080"),
             AddH("t", "api.example.com")});
  EpochManager::ReadGuard guard(&epochs_);
  EXPECT_TRUE(table_.HostIsKnown("shop.example.com"));
  EXPECT_TRUE(table_.HostIsKnown("api.example.com"));
  EXPECT_FALSE(table_.HostIsKnown("example.com"));
  EXPECT_FALSE(table_.HostIsKnown("hop.example.com"));
}

TEST_F(OriginTableTest, BatchesAreAllOrNothing) {
  MustApply({AddT("t")});
  absl::Status st = ApplyStatus({AddT("n"), AddO("n", "https://a.n.com"),
                                 AddO("ghost", "https://a.g.com")});
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("op[2]"), absl::string_view::npos);
  EXPECT_NE(st.message().find("ghost"), absl::string_view::npos);
  EXPECT_EQ(Find("n"), kNoTenant);
  st = ApplyStatus({RmT("t"), AddO("t", "https://a.t.com")});
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(Find("t"), kNoTenant);
  EXPECT_TRUE(table_.Validate({AddT("x"), AddO("x", "https://a.x.com")}).ok());
  EXPECT_EQ(Find("x"), kNoTenant);  // Validate changes nothing
  EXPECT_EQ(table_.Validate({AddO("x", "https://a.x.com")}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(OriginTableTest, ListingIsSortedAndPaged) {
  std::vector<Op> ops = {AddT("t"), AddT("u")};
  std::set<std::string> want;
  for (int i = 0; i < 30; ++i) {
    std::string o = absl::StrCat("https://s", i, ".example.com");
    if (i % 3 == 0) absl::StrAppend(&o, ":", 8000 + i);
    ops.push_back(AddO("t", o));
    want.insert(o);
  }
  ops.push_back(AddO("u", "https://u.example.com"));
  ops.push_back(AddW("t", "https://*.b.example.com"));
  ops.push_back(AddW("t", "http://*.a.example.com:81"));
  ops.push_back(AddH("t", "api.example.com"));
  MustApply(ops);
  MustApply({RmO("t", "https://s1.example.com")});
  want.erase("https://s1.example.com");
  std::vector<std::string> all;
  std::string after;
  for (;;) {
    auto page = table_.ListEntries("t", Op::Kind::kAddOrigin, after, 7);
    if (page.empty()) break;
    EXPECT_LE(page.size(), 7u);
    EXPECT_TRUE(std::is_sorted(page.begin(), page.end()));
    all.insert(all.end(), page.begin(), page.end());
    after = page.back();
  }
  EXPECT_EQ(all, std::vector<std::string>(want.begin(), want.end()));
  EXPECT_EQ(table_.ListEntries("t", Op::Kind::kAddWildcard, "", 10),
            (std::vector<std::string>{"http://*.a.example.com:81",
                                      "https://*.b.example.com"}));
  EXPECT_EQ(table_.ListEntries("t", Op::Kind::kAddApiHost, "", 10),
            std::vector<std::string>{"api.example.com"});
  EXPECT_TRUE(
      table_.ListEntries("nobody", Op::Kind::kAddOrigin, "", 10).empty());
  EXPECT_EQ(table_.ListTenants("", 10), (std::vector<std::string>{"t", "u"}));
  EXPECT_EQ(table_.ListTenants("t", 10), std::vector<std::string>{"u"});
  EXPECT_EQ(table_.ListTenants("", 1), std::vector<std::string>{"t"});
}

TEST_F(OriginTableTest, Stats) {
  MustApply({AddT("t"), AddT("u"), AddO("t", "https://a.example.com"),
             AddO("t", "https://b.example.com"),
             AddO("u", "https://a.example.com"),
             AddW("t", "https://*.example.com"), AddH("u", "api.u.com")});
  TableStats s = table_.Stats();
  EXPECT_EQ(s.tenants, 2u);
  EXPECT_EQ(s.origins, 3u);
  EXPECT_EQ(s.wildcards, 1u);
  EXPECT_EQ(s.api_hosts, 1u);
  EXPECT_GT(s.bytes, 0u);
  TableStats t = table_.TenantStats("t");
  EXPECT_EQ(t.tenants, 1u);
  EXPECT_EQ(t.origins, 2u);
  EXPECT_EQ(t.wildcards, 1u);
  EXPECT_EQ(t.api_hosts, 0u);
  EXPECT_EQ(table_.TenantStats("nobody").tenants, 0u);
}

TEST_F(OriginTableTest, GrowthRemovalAndCompaction) {
  constexpr int kN = 60000;
  std::vector<Op> ops = {AddT("t")};
  for (int i = 0; i < kN; ++i) {
    ops.push_back(AddO("t", absl::StrCat("https://h", i, ".example.com")));
  }
  MustApply(ops);  // grows from 16 slots
  EXPECT_EQ(table_.Stats().origins, uint64_t{kN});
  const uint64_t full_bytes = table_.Stats().bytes;
  EXPECT_EQ(Lookup("t", "https://h12345.example.com"), Match::kExact);
  ops = {};
  for (int i = 0; i < kN; i += 2) {
    ops.push_back(RmO("t", absl::StrCat("https://h", i, ".example.com")));
  }
  MustApply(ops);
  EXPECT_EQ(Lookup("t", "https://h12344.example.com"), Match::kNone);
  EXPECT_EQ(Lookup("t", "https://h12345.example.com"), Match::kExact);
  ops = {};
  for (int i = 1; i < kN; i += 2) {
    ops.push_back(RmO("t", absl::StrCat("https://h", i, ".example.com")));
  }
  MustApply(ops);
  MustApply({AddO("t", "https://last.example.com")});  // compacts
  EXPECT_LT(table_.Stats().bytes, full_bytes / 4);
  EXPECT_EQ(Lookup("t", "https://last.example.com"), Match::kExact);
  EXPECT_EQ(Lookup("t", "https://h1.example.com"), Match::kNone);
}

TEST_F(OriginTableTest, LongHostsAndBulkLoad) {
  const std::string host = std::string(200, 'a') + ".example.com";
  std::vector<Op> ops = {AddT("t"), AddO("t", "https://" + host),
                         AddW("t", "https://*." + host)};
  ApplyResult r = *table_.BulkLoad(ops);
  EXPECT_EQ(r.added, 3u);
  EXPECT_EQ(Lookup("t", "https://" + host), Match::kExact);
  EXPECT_EQ(Lookup("t", "https://x." + host), Match::kWildcard);
  EXPECT_EQ(table_.ListEntries("t", Op::Kind::kAddOrigin, "", 5),
            std::vector<std::string>{"https://" + host});
}

// Many tenants sharing one origin (10,000 dev tenants listing
// http://localhost:3000): entries are spread over lanes by tenant, so each
// tenant's exact lookup scans a short chain, and the reverse lookup still
// finds every owner once.
TEST_F(OriginTableTest, ManyTenantsShareOneHost) {
  constexpr int kSharers = 20000;
  constexpr int kWildcardSharers = 2000;  // the first ones also own a wildcard
  std::vector<Op> ops;
  for (int i = 0; i < kSharers; ++i) ops.push_back(AddT(absl::StrCat("t", i)));
  for (int i = 0; i < kSharers; ++i) {
    ops.push_back(AddO(absl::StrCat("t", i), "http://localhost:3000"));
  }
  for (int i = 0; i < kWildcardSharers; ++i) {
    ops.push_back(AddW(absl::StrCat("t", i), "https://*.shared.dev"));
    ops.push_back(AddO(absl::StrCat("t", i), "https://a.shared.dev"));
  }
  MustApply(ops);

  origin::OriginParts parts;
  ASSERT_EQ(origin::CheckOriginHeader("http://localhost:3000", &parts),
            origin::HeaderCheck::kCanonical);
  uint64_t max_slots = 0, max_compares = 0;
  for (int i = 0; i < kSharers; ++i) {
    const std::string t = absl::StrCat("t", i);
    ASSERT_EQ(Lookup(t, "http://localhost:3000"), Match::kExact) << t;
    const OriginTable::ProbeRunForTest run =
        table_.ExactProbeRunForTest(Find(t), parts);
    max_slots = std::max(max_slots, run.slots);
    max_compares = std::max(max_compares, run.compares);
  }
  // One chain of all sharers would compare kSharers records (a random
  // arena access each) and span >= kSharers slots; lanes make it about
  // kSharers / keys::kLanes records, and its slots (sequential words) a
  // cluster of a few lanes' runs.
  EXPECT_LT(max_compares, static_cast<uint64_t>(kSharers / 64)) << max_compares;
  EXPECT_LT(max_slots, static_cast<uint64_t>(kSharers / 4)) << max_slots;
  EXPECT_EQ(Lookup("t0", "https://b.shared.dev"), Match::kWildcard);
  EXPECT_EQ(Lookup("t0", "https://a.shared.dev"), Match::kExact);
  EXPECT_EQ(Lookup(absl::StrCat("t", kWildcardSharers), "https://b.shared.dev"),
            Match::kNone);

  // Reverse lookups: every owner once, exact owners first.
  auto owners = [&](absl::string_view origin) {
    EpochManager::ReadGuard guard(&epochs_);
    origin::OriginParts p;
    EXPECT_EQ(origin::CheckOriginHeader(origin, &p),
              origin::HeaderCheck::kCanonical);
    std::vector<std::pair<TenantId, Match>> out;
    table_.ForEachOwner(p,
                        [&](TenantId id, Match m) { out.emplace_back(id, m); });
    return out;
  };
  std::vector<std::pair<TenantId, Match>> all = owners("http://localhost:3000");
  ASSERT_EQ(all.size(), static_cast<size_t>(kSharers));
  std::set<TenantId> ids;
  for (const auto& [id, m] : all) {
    EXPECT_EQ(m, Match::kExact);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSharers));
  all = owners("https://a.shared.dev");  // exact for all, wildcard too
  ASSERT_EQ(all.size(), static_cast<size_t>(kWildcardSharers));
  for (const auto& [id, m] : all) EXPECT_EQ(m, Match::kExact);
  all = owners("https://b.shared.dev");  // wildcard only
  ASSERT_EQ(all.size(), static_cast<size_t>(kWildcardSharers));
  ids.clear();
  for (const auto& [id, m] : all) {
    EXPECT_EQ(m, Match::kWildcard);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kWildcardSharers));
  {
    EpochManager::ReadGuard guard(&epochs_);
    EXPECT_TRUE(table_.HostIsKnown("localhost"));
    EXPECT_TRUE(table_.HostIsKnown("a.shared.dev"));
    EXPECT_FALSE(table_.HostIsKnown("b.shared.dev"));  // wildcards don't count
  }

  // Remove the even tenants' origin: the odd ones keep theirs.
  ops.clear();
  for (int i = 0; i < kSharers; i += 2) {
    ops.push_back(RmO(absl::StrCat("t", i), "http://localhost:3000"));
  }
  EXPECT_EQ(MustApply(ops).removed, static_cast<uint64_t>(kSharers / 2));
  for (int i = 0; i < kSharers; ++i) {
    ASSERT_EQ(Lookup(absl::StrCat("t", i), "http://localhost:3000"),
              i % 2 == 0 ? Match::kNone : Match::kExact)
        << i;
  }
  all = owners("http://localhost:3000");
  ASSERT_EQ(all.size(), static_cast<size_t>(kSharers / 2));
  ids.clear();
  for (const auto& [id, m] : all) {
    EXPECT_EQ(table_.TenantName(id).size() > 0, true);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kSharers / 2));
  for (TenantId id : ids) {
    int n = 0;
    ASSERT_TRUE(absl::SimpleAtoi(table_.TenantName(id).substr(1), &n));
    EXPECT_EQ(n % 2, 1);
  }
  // Removing whole tenants (RemoveOwnersPending rehashes by key and owner).
  ops.clear();
  for (int i = 1; i < kSharers; i += 4)
    ops.push_back(RmT(absl::StrCat("t", i)));
  MustApply(ops);
  EXPECT_EQ(owners("http://localhost:3000").size(),
            static_cast<size_t>(kSharers / 4));
  EXPECT_EQ(Lookup("t3", "http://localhost:3000"), Match::kExact);
  EXPECT_EQ(Lookup("t1", "http://localhost:3000"), Match::kNone);
}

}  // namespace
}  // namespace corsd::table
