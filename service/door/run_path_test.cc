// RunDecide: the tenant resolution order every door shares (named, then the
// host's API host, then the tenant header), and the metrics it records.
#include "service/door/run_path.h"

#include <string>

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
  const absl::string_view asked = RunDecide(
      deps, TenantSources{.named = c.named, .header = c.header}, request, &d);
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

}  // namespace
}  // namespace corsd::door
