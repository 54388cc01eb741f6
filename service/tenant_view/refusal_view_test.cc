// The per-tenant refusal view: the space-saving sketch (exact below its
// capacity; its error bound on a skewed stream), the view's answers through
// OnDecision (counts, reason, rule, last seen), window expiry on a fake
// clock, a flood from one tenant that cannot push another's refusals out,
// tenants beyond the cap sharing a sketch, the bounded Prometheus series,
// and option validation (OnDecision's zero allocations:
// refusal_view_alloc_test.cc).
#include "service/tenant_view/refusal_view.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "service/decision/engine.h"

namespace corsd::tenant_view {
namespace {

using decision::Reason;

// A manual wall clock in ms.
struct ManualClock {
  std::atomic<int64_t> ms{1'700'000'000'000};
  std::function<int64_t()> Fn() {
    return [this] { return ms.load(std::memory_order_relaxed); };
  }
  void Advance(absl::Duration d) {
    ms.fetch_add(absl::ToInt64Milliseconds(d), std::memory_order_relaxed);
  }
};

// Feeds the view decisions as RunDecide would pass them.
class Feeder {
 public:
  explicit Feeder(RefusalView* view) : view_(view) {}

  // One decision for `tenant` (id, name) from `origin` ("" = no Origin).
  void Decide(uint32_t tenant_id, absl::string_view tenant,
              absl::string_view origin,
              Reason reason = Reason::kR2OriginNotAllowed,
              Reason cause = Reason::kUnspecified) {
    decision::Request request;
    request.method = "GET";
    request.origin = origin;
    request.has_origin = !origin.empty();
    decision_.reason = reason;
    decision_.cause = cause;
    decision_.tenant = tenant_id;
    decision_.tenant_name = tenant;
    view_->OnDecision(door::DecisionEvent{.door = "decide",
                                          .tenant = tenant,
                                          .request = request,
                                          .decision = decision_,
                                          .id = 1});
  }

 private:
  RefusalView* view_;
  decision::Decision decision_;
};

std::unique_ptr<RefusalView> MustCreate(RefusalViewOptions options) {
  absl::StatusOr<std::unique_ptr<RefusalView>> v =
      RefusalView::Create(std::move(options));
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : nullptr;
}

std::map<std::string, uint64_t> Counts(const TopAnswer& a) {
  std::map<std::string, uint64_t> out;
  for (const TopEntry& e : a.entries) out[e.origin] = e.count;
  return out;
}

// ---- SpaceSaving ----

TEST(SpaceSavingTest, ExactWhileFewerDistinctKeysThanCapacity) {
  SpaceSaving s(8);
  std::map<std::string, uint64_t> truth;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = absl::StrCat("https://o", (i * 7) % 8, ".example");
    s.Add(key, RefusalMeta{.last_seen_unix_ms = i});
    ++truth[key];
  }
  ASSERT_EQ(s.size(), truth.size());
  EXPECT_EQ(s.total(), 1000u);
  for (const auto& [key, n] : truth) {
    const SpaceSaving::Counter* c = s.Find(key);
    ASSERT_NE(c, nullptr) << key;
    EXPECT_EQ(c->count, n) << key;
    EXPECT_EQ(c->error, 0u) << key;
  }
}

TEST(SpaceSavingTest, ErrorBoundHoldsOnASkewedStream) {
  constexpr size_t kK = 16;
  SpaceSaving s(kK);
  std::map<std::string, uint64_t> truth;
  // Key i occurs about 4000 / (i + 1) times (Zipf-like), interleaved: 200
  // distinct keys, far more than the capacity.
  uint64_t n = 0;
  for (int round = 0; round < 4000; ++round) {
    for (int i = 0; i < 200; ++i) {
      if (round % (i + 1) != 0) continue;
      const std::string key = absl::StrCat("k", i);
      s.Add(key, RefusalMeta{.last_seen_unix_ms = round});
      ++truth[key];
      ++n;
    }
  }
  EXPECT_EQ(s.total(), n);
  EXPECT_TRUE(s.full());
  const uint64_t bound = n / kK;
  EXPECT_LE(s.min_count(), bound);
  for (const auto& [key, c] : s.counters()) {
    const uint64_t t = truth[key];
    EXPECT_GE(c.count, t) << key;
    EXPECT_LE(c.count - c.error, t) << key;
    EXPECT_LE(c.error, bound) << key;
  }
  for (const auto& [key, t] : truth) {
    // Every key occurring more than n / k times is held, and a key not held
    // occurred at most min_count times.
    if (t > bound) {
      EXPECT_NE(s.Find(key), nullptr) << key;
    }
    if (s.Find(key) == nullptr) {
      EXPECT_LE(t, s.min_count()) << key;
    }
  }
}

// ---- the view ----

class RefusalViewTest : public ::testing::Test {
 protected:
  RefusalViewOptions Options() {
    RefusalViewOptions o;
    o.now_unix_ms = clock_.Fn();
    o.idle_poll = absl::Milliseconds(1);
    return o;
  }
  ManualClock clock_;
};

TEST_F(RefusalViewTest, ListsATenantsRefusedOriginsWithReasonRuleAndTime) {
  std::unique_ptr<RefusalView> view = MustCreate(Options());
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  for (int i = 0; i < 5; ++i) f.Decide(3, "acme", "https://evil.example");
  clock_.Advance(absl::Seconds(1));
  f.Decide(3, "acme", "https://evil.example", Reason::kR14UnsafeMethodDenied,
           Reason::kR2OriginNotAllowed);
  f.Decide(3, "acme", "https://other.example", Reason::kR7MethodNotAllowed);
  f.Decide(3, "acme", "", Reason::kR1NoOrigin);  // allowed: not counted
  f.Decide(3, "acme", "https://ok.example", Reason::kR2OriginAllowed);
  f.Decide(4, "shop", "https://shop-evil.example");
  view->Flush();

  absl::StatusOr<TopAnswer> top = view->Top("acme", false, 10);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_FALSE(top->shared);
  EXPECT_EQ(top->window_refusals, 7u);
  ASSERT_EQ(top->entries.size(), 2u);
  const TopEntry& first = top->entries[0];
  EXPECT_EQ(first.origin, "https://evil.example");
  EXPECT_EQ(first.count, 6u);
  EXPECT_EQ(first.error, 0u);
  EXPECT_EQ(first.meta.reason, Reason::kR14UnsafeMethodDenied);
  EXPECT_EQ(first.meta.cause, Reason::kR2OriginNotAllowed);
  EXPECT_EQ(first.meta.last_seen_unix_ms, clock_.ms.load());
  EXPECT_TRUE(first.meta.has_origin);
  EXPECT_EQ(top->entries[1].origin, "https://other.example");
  EXPECT_EQ(top->entries[1].count, 1u);
  EXPECT_EQ(top->entries[1].meta.reason, Reason::kR7MethodNotAllowed);

  absl::StatusOr<TopAnswer> limited = view->Top("acme", false, 1);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->entries.size(), 1u);
  EXPECT_EQ(limited->entries[0].origin, "https://evil.example");

  absl::StatusOr<TopAnswer> none = view->Top("nobody-refused", false, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->entries.empty());
  EXPECT_EQ(view->Stats().folded, 8u);
}

TEST_F(RefusalViewTest, RefusalsNoTenantOwnedAreListedApart) {
  std::unique_ptr<RefusalView> view = MustCreate(Options());
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  f.Decide(table::kNoTenant, "", "https://lost.example",
           Reason::kUnknownHostDenied, Reason::kR14UnsafeMethodDenied);
  f.Decide(table::kNoTenant, "", "", Reason::kUnknownTenant);
  view->Flush();
  absl::StatusOr<TopAnswer> top = view->Top("", true, 10);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->window_refusals, 2u);
  ASSERT_EQ(top->entries.size(), 2u);
  for (const TopEntry& e : top->entries) {
    EXPECT_EQ(e.count, 1u);
    EXPECT_EQ(e.meta.has_origin, !e.origin.empty());
  }
}

TEST_F(RefusalViewTest, LongOriginsAreCutAndFlagged) {
  std::unique_ptr<RefusalView> view = MustCreate(Options());
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  const std::string long_origin =
      absl::StrCat("https://", std::string(400, 'a'), ".example");
  f.Decide(1, "acme", long_origin);
  view->Flush();
  absl::StatusOr<TopAnswer> top = view->Top("acme", false, 10);
  ASSERT_TRUE(top.ok());
  ASSERT_EQ(top->entries.size(), 1u);
  EXPECT_EQ(top->entries[0].origin, long_origin.substr(0, kMaxOriginBytes));
  EXPECT_TRUE(top->entries[0].meta.origin_cut);
}

TEST_F(RefusalViewTest, RefusalsLeaveTheWindowAsTheClockMoves) {
  RefusalViewOptions o = Options();
  o.window = absl::Minutes(15);  // slices of 3 minutes
  std::unique_ptr<RefusalView> view = MustCreate(o);
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  // Start at a slice boundary so the arithmetic below is exact.
  clock_.ms = clock_.ms.load() / 180000 * 180000;
  f.Decide(1, "acme", "https://old.example");
  f.Decide(1, "acme", "https://old.example");
  clock_.Advance(absl::Minutes(10));
  f.Decide(1, "acme", "https://new.example");
  view->Flush();
  auto counts = [&] {
    absl::StatusOr<TopAnswer> top = view->Top("acme", false, 10);
    EXPECT_TRUE(top.ok());
    return top.ok() ? Counts(*top) : std::map<std::string, uint64_t>{};
  };
  EXPECT_EQ(counts(),
            (std::map<std::string, uint64_t>{{"https://old.example", 2},
                                             {"https://new.example", 1}}));
  // 12 minutes after the first refusals (inside the last 4/5 of the window).
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(counts()["https://old.example"], 2u);
  // 15 minutes after: the first slice has left the window.
  clock_.Advance(absl::Minutes(3));
  EXPECT_EQ(counts(),
            (std::map<std::string, uint64_t>{{"https://new.example", 1}}));
  // 26 minutes after: nothing left.
  clock_.Advance(absl::Minutes(11));
  EXPECT_TRUE(counts().empty());
  // A refusal now is counted again, and an idle tenant's sketches were
  // given back (only acme had one; it has one again).
  f.Decide(1, "acme", "https://back.example");
  view->Flush();
  EXPECT_EQ(counts(),
            (std::map<std::string, uint64_t>{{"https://back.example", 1}}));
  EXPECT_EQ(view->Stats().tenants, 1u);
}

TEST_F(RefusalViewTest, MergedSlicesKeepTheErrorBound) {
  RefusalViewOptions o = Options();
  o.top_k = 4;
  o.tenant_rate = 1000000;
  o.ring_records = 1 << 14;  // the whole stream fits: nothing dropped
  std::unique_ptr<RefusalView> view = MustCreate(o);
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  std::map<std::string, uint64_t> truth;
  uint64_t n = 0;
  // Three slices (3 minutes each), each a skewed stream over 30 origins.
  for (int slice = 0; slice < 3; ++slice) {
    for (int round = 0; round < 300; ++round) {
      for (int i = 0; i < 30; ++i) {
        if (round % (i + 1 + slice) != 0) continue;
        const std::string origin = absl::StrCat("https://o", i, ".example");
        f.Decide(1, "acme", origin);
        ++truth[origin];
        ++n;
      }
    }
    clock_.Advance(absl::Minutes(3));
  }
  view->Flush();
  absl::StatusOr<TopAnswer> top = view->Top("acme", false, 1000);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->window_refusals, n);
  EXPECT_EQ(top->dropped_tenant_rate, 0u);
  std::map<std::string, const TopEntry*> listed;
  for (const TopEntry& e : top->entries) {
    listed[e.origin] = &e;
    const uint64_t t = truth[e.origin];
    EXPECT_GE(e.count, t) << e.origin;
    EXPECT_LE(e.count - e.error, t) << e.origin;
    EXPECT_LE(e.error, n / o.top_k) << e.origin;
  }
  for (const auto& [origin, t] : truth) {
    if (t > n / o.top_k) {
      EXPECT_EQ(listed.count(origin), 1u) << origin;
    }
  }
}

// Issue 15: "one tenant's refusals cannot push another tenant's out of the
// log or the sketch".
TEST_F(RefusalViewTest, AFloodingTenantCannotPushAnothersRefusalsOut) {
  RefusalViewOptions o = Options();
  o.tenant_rate = 1000;
  o.ring_records = 2048;  // more than one budget's burst
  std::unique_ptr<RefusalView> view = MustCreate(o);
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  // Tenant A (id 1) refused 100,000 times from 50,000 origins, B's few
  // refusals interleaved with the flood (clock frozen: no refill).
  const std::map<std::string, uint64_t> b_truth = {{"https://b1.example", 5},
                                                   {"https://b2.example", 3},
                                                   {"https://b3.example", 1}};
  std::vector<std::string> b_stream;
  for (const auto& [origin, n] : b_truth) {
    for (uint64_t i = 0; i < n; ++i) b_stream.push_back(origin);
  }
  size_t next_b = 0;
  for (int i = 0; i < 100000; ++i) {
    f.Decide(1, "flood-a", absl::StrCat("https://a", i % 50000, ".example"));
    if (i % 10000 == 0 && next_b < b_stream.size()) {
      f.Decide(2, "tenant-b", b_stream[next_b++]);
    }
  }
  while (next_b < b_stream.size()) f.Decide(2, "tenant-b", b_stream[next_b++]);
  view->Flush();

  absl::StatusOr<TopAnswer> b = view->Top("tenant-b", false, 10);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Counts(*b), b_truth);
  for (const TopEntry& e : b->entries) EXPECT_EQ(e.error, 0u) << e.origin;
  EXPECT_EQ(b->window_refusals, 9u);
  EXPECT_EQ(b->dropped_tenant_rate, 0u);

  absl::StatusOr<TopAnswer> a = view->Top("flood-a", false, 10);
  ASSERT_TRUE(a.ok()) << a.status();
  // A's budget folded one burst; the rest was dropped and is reported.
  EXPECT_EQ(a->window_refusals, 1000u);
  EXPECT_EQ(a->dropped_tenant_rate, 99000u);
  EXPECT_EQ(a->dropped_ring_full, 0u);
  const RefusalViewStats stats = view->Stats();
  EXPECT_EQ(stats.folded, 1009u);
  EXPECT_EQ(stats.dropped_tenant_rate, 99000u);
}

TEST_F(RefusalViewTest, TenantsBeyondTheCapShareOneSketch) {
  RefusalViewOptions o = Options();
  o.tenant_cap = 2;
  std::unique_ptr<RefusalView> view = MustCreate(o);
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  f.Decide(1, "t1", "https://x.example");
  f.Decide(2, "t2", "https://x.example");
  f.Decide(3, "t3", "https://x.example");
  f.Decide(3, "t3", "https://x.example");
  f.Decide(3, "t3", "https://y.example");
  f.Decide(4, "t4", "https://x.example");
  view->Flush();
  absl::StatusOr<TopAnswer> t3 = view->Top("t3", false, 10);
  ASSERT_TRUE(t3.ok());
  EXPECT_TRUE(t3->shared);
  EXPECT_EQ(Counts(*t3),
            (std::map<std::string, uint64_t>{{"https://x.example", 2},
                                             {"https://y.example", 1}}));
  absl::StatusOr<TopAnswer> t4 = view->Top("t4", false, 10);
  ASSERT_TRUE(t4.ok());
  EXPECT_EQ(Counts(*t4),
            (std::map<std::string, uint64_t>{{"https://x.example", 1}}));
  absl::StatusOr<TopAnswer> t1 = view->Top("t1", false, 10);
  ASSERT_TRUE(t1.ok());
  EXPECT_FALSE(t1->shared);
  EXPECT_EQ(view->Stats().tenants, 2u);
}

TEST_F(RefusalViewTest, ASharedTenantsAnswerCarriesItsBudgetDrops) {
  RefusalViewOptions o = Options();  // the clock stands still: no refill
  o.tenant_cap = 1;
  o.tenant_rate = 1;
  std::unique_ptr<RefusalView> view = MustCreate(o);
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  f.Decide(1, "first", "https://x.example");
  for (int i = 0; i < 5; ++i) f.Decide(2, "second", "https://y.example");
  view->Flush();
  absl::StatusOr<TopAnswer> second = view->Top("second", false, 10);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->shared);
  EXPECT_EQ(Counts(*second),
            (std::map<std::string, uint64_t>{{"https://y.example", 1}}));
  EXPECT_EQ(second->dropped_tenant_rate, 4u);
  absl::StatusOr<TopAnswer> first = view->Top("first", false, 10);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->shared);
  EXPECT_EQ(first->dropped_tenant_rate, 0u);
}

TEST_F(RefusalViewTest, PrometheusHasSeriesForTheTopTenantsOnly) {
  RefusalViewOptions o = Options();
  o.metrics_top = 2;
  std::unique_ptr<RefusalView> view = MustCreate(o);
  ASSERT_NE(view, nullptr);
  Feeder f(view.get());
  for (int i = 0; i < 3; ++i) f.Decide(1, "small", "https://a.example");
  for (int i = 0; i < 9; ++i) f.Decide(2, "big", "https://a.example");
  for (int i = 0; i < 5; ++i) f.Decide(3, "odd\"na\\me", "https://a.example");
  f.Decide(4, "tiny", "https://a.example");
  view->Flush();
  std::string text;
  view->RenderPrometheus(&text);
  std::vector<std::string> series;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, "corsd_tenant_refusals{")) {
      series.emplace_back(line);
    }
  }
  EXPECT_EQ(series,
            (std::vector<std::string>{
                "corsd_tenant_refusals{tenant=\"big\"} 9",
                "corsd_tenant_refusals{tenant=\"odd\\\"na\\\\me\"} 5"}));
  EXPECT_TRUE(absl::StrContains(text, "corsd_tenant_view_folded_total 18\n"));
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_tenant_view_dropped_total{cause=\"tenant_rate\"} 0\n"));
  EXPECT_TRUE(absl::StrContains(text, "corsd_tenant_view_tenants 4\n"));
}

TEST(RefusalViewOptionsTest, BadOptionsAreRefusedNamingTheFlag) {
  struct Case {
    std::function<void(RefusalViewOptions&)> set;
    std::string flag;
  };
  const std::vector<Case> cases = {
      {[](RefusalViewOptions& o) { o.window = absl::Seconds(9); },
       "--tenant-view-window \"9s\""},
      {[](RefusalViewOptions& o) { o.window = absl::Hours(25); },
       "--tenant-view-window \"25h\""},
      {[](RefusalViewOptions& o) { o.window = absl::Milliseconds(10001); },
       "--tenant-view-window"},
      {[](RefusalViewOptions& o) { o.top_k = 0; }, "--tenant-view-top-k \"0\""},
      {[](RefusalViewOptions& o) { o.top_k = 1025; },
       "--tenant-view-top-k \"1025\""},
      {[](RefusalViewOptions& o) { o.tenant_cap = 0; },
       "--tenant-view-tenants \"0\""},
      {[](RefusalViewOptions& o) { o.metrics_top = 1001; },
       "--tenant-view-metrics-top \"1001\""},
      {[](RefusalViewOptions& o) { o.ring_records = 3; }, "ring_records 3"},
      {[](RefusalViewOptions& o) { o.tenant_slots = 6; }, "tenant_slots 6"},
      {[](RefusalViewOptions& o) { o.tenant_rate = 0; }, "tenant_rate 0"},
  };
  for (const Case& c : cases) {
    RefusalViewOptions o;
    c.set(o);
    absl::StatusOr<std::unique_ptr<RefusalView>> v = RefusalView::Create(o);
    ASSERT_FALSE(v.ok()) << c.flag;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(v.status().message(), c.flag))
        << v.status().message();
  }
}

TEST_F(RefusalViewTest, BadQueriesAreRefusedNamingTheField) {
  std::unique_ptr<RefusalView> view = MustCreate(Options());
  ASSERT_NE(view, nullptr);
  EXPECT_TRUE(absl::StrContains(view->Top("", false, 10).status().message(),
                                "tenant \"\""));
  EXPECT_TRUE(absl::StrContains(
      view->Top(std::string(129, 'a'), false, 10).status().message(),
      "tenant \""));
  EXPECT_TRUE(absl::StrContains(view->Top("acme", true, 10).status().message(),
                                "unknown_tenant"));
  EXPECT_TRUE(absl::StrContains(view->Top("acme", false, 0).status().message(),
                                "limit 0"));
  EXPECT_TRUE(absl::StrContains(
      view->Top("acme", false, 1001).status().message(), "limit 1001"));
}

TEST(RefusalViewMemoryTest, BoundGrowsWithEveryOption) {
  const RefusalViewOptions base;
  const size_t b = RefusalView::MemoryBoundBytes(base);
  RefusalViewOptions more_k = base;
  more_k.top_k *= 2;
  RefusalViewOptions more_tenants = base;
  more_tenants.tenant_cap *= 2;
  RefusalViewOptions more_ring = base;
  more_ring.ring_records *= 2;
  EXPECT_GT(RefusalView::MemoryBoundBytes(more_k), b);
  EXPECT_GT(RefusalView::MemoryBoundBytes(more_tenants), b);
  EXPECT_GT(RefusalView::MemoryBoundBytes(more_ring), b);
  // The defaults' bound, as the header states it (about 16 MiB).
  std::printf("memory bound with the defaults: %zu bytes\n", b);
  EXPECT_LT(b, size_t{32} << 20);
}

}  // namespace
}  // namespace corsd::tenant_view
