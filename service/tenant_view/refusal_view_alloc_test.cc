// RefusalView::OnDecision allocates nothing, for refusals kept, refusals
// over their budget and allowed decisions. Its own binary: it replaces the
// global operator new to count allocations (not under sanitizers).
#include <memory>

#include "gtest/gtest.h"
#include "service/decision/engine.h"
#include "service/tenant_view/refusal_view.h"
#include "service/testing/alloc_counter.h"

namespace corsd::tenant_view {
namespace {

using decision::Reason;

TEST(RefusalViewAllocTest, OnDecisionAllocatesNothing) {
  RefusalViewOptions options;
  // A frozen clock: one budget burst is kept, the rest is over budget.
  options.now_unix_ms = [] { return int64_t{1'700'000'000'000}; };
  absl::StatusOr<std::unique_ptr<RefusalView>> created =
      RefusalView::Create(options);
  ASSERT_TRUE(created.ok()) << created.status();
  RefusalView* view = created->get();
  decision::Request request;
  request.method = "GET";
  request.origin = "https://evil.example";
  request.has_origin = true;
  decision::Decision refused;
  refused.reason = Reason::kR2OriginNotAllowed;
  refused.tenant = 1;
  refused.tenant_name = "acme";
  decision::Decision allowed;
  allowed.reason = Reason::kR2OriginAllowed;
  allowed.tenant = 1;
  allowed.tenant_name = "acme";
  const door::DecisionEvent r{.door = "decide",
                              .tenant = "acme",
                              .request = request,
                              .decision = refused};
  const door::DecisionEvent a{.door = "decide",
                              .tenant = "acme",
                              .request = request,
                              .decision = allowed};
  view->OnDecision(r);  // any first-use cost outside the count
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (int i = 0; i < 5000; ++i) {
    view->OnDecision(r);  // folded, then over the budget: dropped
    view->OnDecision(a);
  }
  EXPECT_EQ(corsd::testing::ThreadAllocationCount() - before, 0u);
  view->Flush();
  const RefusalViewStats stats = view->Stats();
  EXPECT_EQ(stats.folded + stats.dropped_tenant_rate + stats.dropped_ring_full,
            5001u);
}

}  // namespace
}  // namespace corsd::tenant_view
