// RunDecide: the tenant resolution order every door shares (named, then the
// host's API host, then the tenant header), the metrics it records, the
// decision id it takes and the observer it calls.
#include "service/door/run_path.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/decision/metrics.h"
#include "service/decision/testing/fixture.h"

namespace corsd::door {
namespace {

using decision::Reason;
using decision::testing::OwnedRequest;
using decision::testing::World;

struct OrderCase {
  std::string name;
  std::string named;
  std::string header;
  std::string host;
  std::string want_asked;   // RunDecide's return value
  std::string want_tenant;  // Decision::tenant_name ("" = unknown)
};

class TenantOrderTest : public ::testing::TestWithParam<OrderCase> {};

TEST_P(TenantOrderTest, ChoosesTheDocumentedTenant) {
  const OrderCase& c = GetParam();
  World world;
  const DecisionDeps deps{.engine = &world.engine(), .epochs = world.epochs()};
  OwnedRequest owned;
  owned.host = c.host;
  owned.origin = "https://app.example.com";
  const decision::Request request = owned.View();
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  const absl::string_view asked =
      RunDecide(deps, TenantSources{.named = c.named, .header = c.header},
                request, &d)
          .asked;
  EXPECT_EQ(std::string(asked), c.want_asked);
  EXPECT_EQ(std::string(d.tenant_name), c.want_tenant);
  if (c.want_tenant.empty()) {
    EXPECT_EQ(d.reason, Reason::kUnknownTenant);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Order, TenantOrderTest,
    ::testing::Values(
        // 1. named wins over the host and the header.
        OrderCase{"NamedBeatsHostAndHeader", "open", "bare", "api.acme.test",
                  "open", "open"},
        // A named tenant that does not exist stays unknown: no fallback.
        OrderCase{"UnknownNamedHasNoFallback", "nope", "acme", "h.test", "nope",
                  ""},
        // 2. the host's API host beats the header (a client can send one).
        OrderCase{"HostBeatsHeader", "", "open", "api.acme.test", "", "acme"},
        OrderCase{"HostWithPort", "", "", "api.acme.test:443", "", "acme"},
        // 3. the header when the host names no tenant.
        OrderCase{"HeaderWhenHostUnknown", "", "open", "unknown.test", "open",
                  "open"},
        OrderCase{"NothingIsUnknown", "", "", "unknown.test", "", ""}),
    [](const auto& info) { return info.param.name; });

// --unknown-host=deny (the engine's default) denies a PUT with an Origin to
// a host no tenant owns; the tenant header is still consulted first.
TEST(RunDecideTest, HeaderFallbackAlsoFollowsAnUnknownHostDenial) {
  World world;
  const DecisionDeps deps{.engine = &world.engine(), .epochs = world.epochs()};
  OwnedRequest owned;
  owned.method = "PUT";
  owned.host = "unknown.test";
  owned.origin = "https://app.example.com";
  const decision::Request request = owned.View();
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  EXPECT_EQ(RunDecide(deps, TenantSources{}, request, &d).asked, "");
  EXPECT_EQ(d.reason, Reason::kUnknownHostDenied);
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(RunDecide(deps, TenantSources{.header = "acme"}, request, &d).asked,
            "acme");
  EXPECT_EQ(d.reason, Reason::kR2OriginAllowed);
  EXPECT_EQ(d.tenant_name, "acme");
  EXPECT_EQ(RunDecide(deps, TenantSources{.header = "nope"}, request, &d).asked,
            "nope");
  EXPECT_EQ(d.reason, Reason::kUnknownHostDenied);
}

TEST(RunDecideTest, RecordsOneDecisionPerCallEvenWithTheFallback) {
  World world;
  decision::DecisionMetrics metrics;
  const DecisionDeps deps{
      .engine = &world.engine(), .epochs = world.epochs(), .metrics = &metrics};
  OwnedRequest owned;
  owned.host = "unknown.test";
  owned.origin = "https://partner.example.net";
  const decision::Request request = owned.View();
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  RunDecide(deps, TenantSources{.header = "open"}, request, &d);
  EXPECT_EQ(d.reason, Reason::kR3Public);
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("reason=\"REASON_R3_PUBLIC\"} 1"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("REASON_UNKNOWN_TENANT\"} 1"), std::string::npos)
      << "the first attempt must not be counted: " << text;
}

TEST(RunDecideTest, BatchClockIsAdvanced) {
  World world;
  decision::DecisionMetrics metrics;
  const DecisionDeps deps{
      .engine = &world.engine(), .epochs = world.epochs(), .metrics = &metrics};
  const OwnedRequest owned;
  const decision::Request request = owned.View();
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  const auto before = std::chrono::steady_clock::now();
  auto clock = before;
  RunDecide(deps, TenantSources{}, request, &d, &clock);
  EXPECT_GE(clock, before);
  EXPECT_EQ(d.tenant_name, "acme");
}

// Keeps owned copies of what each event showed (the views die with the call).
class RecordingObserver : public DecisionObserver {
 public:
  struct Seen {
    std::string door;
    std::string tenant;
    std::string origin;
    decision::Reason reason;
    uint64_t id;
    int64_t latency_ns;
  };
  void OnDecision(const DecisionEvent& e) override {
    seen.push_back(Seen{std::string(e.door), std::string(e.tenant),
                        std::string(e.request.origin), e.decision.reason, e.id,
                        static_cast<int64_t>(e.latency.count())});
  }
  std::vector<Seen> seen;
};

TEST(RunDecideTest, ObserverSeesEveryDecisionWithDoorTenantIdAndLatency) {
  World world;
  DecisionIds ids(42);
  RecordingObserver observer;
  const DecisionDeps deps{.engine = &world.engine(),
                          .epochs = world.epochs(),
                          .ids = &ids,
                          .observer = &observer,
                          .door = "http"};
  OwnedRequest allowed;
  allowed.origin = "https://app.example.com";
  OwnedRequest refused;
  refused.origin = "https://evil.example";
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  const DecideResult first =
      RunDecide(deps, TenantSources{}, allowed.View(), &d);
  const DecideResult second =
      RunDecide(deps, TenantSources{}, refused.View(), &d);
  ASSERT_EQ(observer.seen.size(), 2u);
  EXPECT_EQ(observer.seen[0].door, "http");
  EXPECT_EQ(observer.seen[0].tenant, "acme");
  EXPECT_EQ(observer.seen[0].origin, "https://app.example.com");
  EXPECT_EQ(observer.seen[0].reason, Reason::kR2OriginAllowed);
  EXPECT_EQ(observer.seen[1].reason, Reason::kR2OriginNotAllowed);
  // The id the door gets is the one the observer saw; each call a new one.
  EXPECT_EQ(observer.seen[0].id, first.id);
  EXPECT_EQ(observer.seen[1].id, second.id);
  EXPECT_NE(first.id, 0u);
  EXPECT_NE(first.id, second.id);
  EXPECT_EQ(first.id, DecisionIds::Mix(42));
  EXPECT_EQ(second.id, DecisionIds::Mix(43));
  EXPECT_GE(observer.seen[0].latency_ns, 0);
}

TEST(RunDecideTest, UnknownTenantIsObservedWithAnEmptyTenant) {
  World world;
  RecordingObserver observer;
  const DecisionDeps deps{.engine = &world.engine(),
                          .epochs = world.epochs(),
                          .observer = &observer,
                          .door = "decide"};
  OwnedRequest owned;
  owned.host = "nobody.test";
  owned.origin = "https://app.example.com";
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  const DecideResult r = RunDecide(deps, TenantSources{}, owned.View(), &d);
  ASSERT_EQ(observer.seen.size(), 1u);
  EXPECT_EQ(observer.seen[0].tenant, "");
  EXPECT_EQ(observer.seen[0].door, "decide");
  // Without an id source, decisions have id 0 ("no id").
  EXPECT_EQ(r.id, 0u);
  EXPECT_EQ(observer.seen[0].id, 0u);
}

TEST(RunDecideTest, TheFallbackIsObservedOnceWithTheFinalDecision) {
  World world;
  RecordingObserver observer;
  const DecisionDeps deps{.engine = &world.engine(),
                          .epochs = world.epochs(),
                          .observer = &observer};
  OwnedRequest owned;
  owned.host = "unknown.test";
  owned.origin = "https://partner.example.net";
  table::EpochManager::ReadGuard guard(world.epochs());
  decision::Decision d;
  RunDecide(deps, TenantSources{.header = "open"}, owned.View(), &d);
  ASSERT_EQ(observer.seen.size(), 1u);
  EXPECT_EQ(observer.seen[0].tenant, "open");
  EXPECT_EQ(observer.seen[0].reason, Reason::kR3Public);
}

TEST(IsRefusalTest, AllowingReasonsAreNotRefusalsAndEverythingElseIs) {
  for (int i = 0; i <= decision::kMaxReason; ++i) {
    const auto r = static_cast<Reason>(i);
    const bool allowing =
        r == Reason::kR1NoOrigin || r == Reason::kR2OriginAllowed ||
        r == Reason::kR2WildcardAllowed || r == Reason::kR3Public ||
        r == Reason::kR6PreflightAllowed || r == Reason::kR11NullOriginAllowed;
    EXPECT_EQ(IsRefusal(r), !allowing) << decision::ReasonName(r);
  }
  EXPECT_TRUE(IsRefusal(Reason::kR2OriginNotAllowed));
  EXPECT_TRUE(IsRefusal(Reason::kUnknownTenant));
  EXPECT_TRUE(IsRefusal(Reason::kR6PreflightForwarded));
  EXPECT_TRUE(IsRefusal(Reason::kR4CredentialsNotAllowed));
  EXPECT_FALSE(IsRefusal(Reason::kR6PreflightAllowed));
  // A reason added later (not in the list) counts as a refusal.
  EXPECT_TRUE(IsRefusal(static_cast<Reason>(decision::kMaxReason + 1)));
}

}  // namespace
}  // namespace corsd::door
