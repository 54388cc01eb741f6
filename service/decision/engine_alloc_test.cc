// Decide allocates nothing: this binary replaces the global operator new with
// a counting one and decides every kind of request (allowed, refused,
// preflights, echoed headers, hostile lists, WebSocket handshakes under the
// default R13, unknown tenant, host resolution, and --unknown-host deny and
// continue). Only the documented rare path (a Host that must be fully
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

// The reason Decide gives `owned` (so the cases above test the path meant).
Reason ReasonOf(const testing::World& w, absl::string_view tenant,
                const OwnedRequest& owned) {
  const Request req = owned.View();
  Decision d;
  w.engine().Decide(tenant, req, &d);
  return d.reason;
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
  OwnedRequest ws_refused = get;
  ws_refused.origin = "https://evil.example.org";
  ws_refused.upgrade = "websocket";
  ws_refused.connection = "Upgrade";
  OwnedRequest ws_open = ws_refused;
  ws_open.path = "/wsopen";
  OwnedRequest unknown_ws = ws_refused;
  unknown_ws.host = "api.unknown.test";
  OwnedRequest unknown_put = refused;
  unknown_put.method = "PUT";
  unknown_put.host = "api.unknown.test";
  OwnedRequest unknown_own = unknown_put;
  unknown_own.origin = "https://api.unknown.test";

  EXPECT_EQ(AllocsOfDecide(w, "acme", get), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", refused), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", pre), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", echo), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", hostile), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", no_origin), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "nope", get), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", by_host), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", unknown_host), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", ws_refused), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "acme", ws_open), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", unknown_ws), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", unknown_put), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "", unknown_own), 0u);
  EXPECT_EQ(AllocsOfDecide(w, "nope", unknown_put), 0u);
  EXPECT_EQ(ReasonOf(w, "acme", ws_refused), Reason::kR13WebsocketRefused);
  EXPECT_EQ(ReasonOf(w, "acme", ws_open), Reason::kR2OriginNotAllowed);
  EXPECT_EQ(ReasonOf(w, "", unknown_ws), Reason::kUnknownHostDenied);
  EXPECT_EQ(ReasonOf(w, "", unknown_put), Reason::kUnknownHostDenied);
  EXPECT_EQ(ReasonOf(w, "", unknown_own), Reason::kUnknownTenant);

  testing::World cont(EngineOptions{UnknownHost::kContinue});
  table::EpochManager::ReadGuard cont_guard(cont.epochs());
  EXPECT_EQ(AllocsOfDecide(cont, "", unknown_ws), 0u);
  EXPECT_EQ(AllocsOfDecide(cont, "", unknown_put), 0u);
  EXPECT_EQ(ReasonOf(cont, "", unknown_put), Reason::kUnknownTenant);
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
