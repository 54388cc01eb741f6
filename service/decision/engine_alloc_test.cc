// Decide allocates nothing: this binary replaces the global operator new with
// a counting one and decides every kind of request (allowed, refused,
// preflights, echoed headers, hostile lists, unknown tenant, host
// resolution). Only the documented rare path (a Host that must be fully
// canonicalized, e.g. uppercase) may allocate.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gtest/gtest.h"
#include "service/decision/engine.h"
#include "service/decision/testing/fixture.h"
#include "service/testing/alloc_counter.h"

namespace corsd::decision {
namespace {

using testing::OwnedRequest;

uint64_t AllocsOfDecide(const testing::World& w, absl::string_view tenant,
                        const OwnedRequest& owned) {
  const Request req = owned.View();
  Decision d;
  w.engine().Decide(tenant, req, &d);  // warm: the thread's epoch slot
  const uint64_t before = corsd::testing::AllocationCount();
  w.engine().Decide(tenant, req, &d);
  return corsd::testing::AllocationCount() - before;
}

TEST(EngineAllocTest, DecideAllocatesNothing) {
  testing::World w;
  table::EpochManager::ReadGuard guard(w.epochs());
  OwnedRequest get;
  get.origin = "https://app.example.com";
  OwnedRequest refused = get;
  refused.origin = "https://evil.example.org";
  refused.method = "DELETE";
  OwnedRequest pre = get;
  pre.method = "OPTIONS";
  pre.acrm = "PUT";
  pre.acrh = "x-request-id, Authorization";
  OwnedRequest echo = pre;
  echo.path = "/any";
  echo.acrm = "POST";
  echo.acrh = " X-Foo ,,x-bar";
  OwnedRequest hostile = pre;
  hostile.acrh = std::string(8192, 'a');
  OwnedRequest by_host = get;
  by_host.host = "api.acme.test:443";
  OwnedRequest unknown_host = get;
  unknown_host.host = "api.unknown.test";
  OwnedRequest no_origin;

  EXPECT_EQ(AllocsOfDecide(w, "acme", get), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", refused), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", pre), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", echo), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", hostile), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", no_origin), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "nope", get), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", by_host), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", unknown_host), 0u);
}

TEST(EngineAllocTest, TheCounterSeesAllocations) {
  // Guards the test above against a counter that counts nothing.
  const uint64_t before = corsd::testing::AllocationCount();
  std::string* s = new std::string(100, 'x');
  delete s;
  EXPECT_GE(corsd::testing::AllocationCount() - before, 1u);
}

}  // namespace
}  // namespace corsd::decision
