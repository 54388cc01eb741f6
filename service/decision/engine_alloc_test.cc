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

namespace {
// relaxed: counted and read on the test thread only.
std::atomic<uint64_t> g_allocs{0};
}  // namespace

// Out of line so GCC does not pair free() with an inlined operator new
// (-Wmismatched-new-delete): they are a matching malloc/free pair.
__attribute__((noinline)) void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace corsd::decision {
namespace {

using testing::OwnedRequest;

uint64_t AllocsOfDecide(const testing::World& w, absl::string_view tenant,
                        const OwnedRequest& owned) {
  const Request req = owned.View();
  Decision d;
  w.engine().Decide(tenant, req, &d);  // warm: the thread's epoch slot
  const uint64_t before = g_allocs.load(std::memory_order_relaxed);
  w.engine().Decide(tenant, req, &d);
  return g_allocs.load(std::memory_order_relaxed) - before;
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
  const uint64_t before = g_allocs.load(std::memory_order_relaxed);
  std::string* s = new std::string(100, 'x');
  delete s;
  EXPECT_GE(g_allocs.load(std::memory_order_relaxed) - before, 1u);
}

}  // namespace
}  // namespace corsd::decision
