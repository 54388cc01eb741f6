// bench_decision: Engine::Decide end to end on a 1M-origin table (issue 4).
//
// The table holds 1,000,000 synthetic origins over 1,000 tenants (1,000 each,
// ~30 bytes per origin), plus one wildcard and one API host per tenant; every
// tenant has a realistic policy (methods, headers, exposed headers,
// credentials, max-age, enforcement). Each iteration opens and closes its own
// EpochManager::ReadGuard, as a gateway request does, then decides.
//
//   BM_DecideActual         allowed GET from an exact entry: header check,
//                           tenant and origin lookup, 4 headers.
//   BM_DecidePreflight      allowed preflight, three requested headers.
//   BM_DecideHostileAcrh    preflight with an 8 KiB, 1,000-name
//                           Access-Control-Request-Headers: refused.
//   BM_DecideHostileAcrh/in_limits  4 KiB of 1-byte names: refused by the
//                           count limit after one partial pass.
//   BM_DecideRefused        GET from an origin not in the table.
//   BM_DecideByHost         allowed GET, tenant resolved from the Host.
//   BM_Explain              the sentence with the "did you mean" search.
//
// Heap allocations are counted by replacing the global operator new/delete
// in this binary; each benchmark reports allocs_per_op (must be 0 on the
// Decide paths).
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "service/decision/engine.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"
#include "service/testing/alloc_counter.h"

namespace corsd::decision {
namespace {

constexpr int kTenants = 1000;
constexpr int kOriginsPerTenant = 1000;  // 1M origins in all

std::string TenantName(int t) { return absl::StrCat("tenant-", t); }
std::string OriginOf(int t, int i) {
  return absl::StrCat("https://shop", i, ".customer", t, ".example.com");
}

class World {
 public:
  World()
      : table_(&epochs_), registry_(&epochs_), engine_(&table_, &registry_) {
    using K = table::Op::Kind;
    std::vector<table::Op> ops;
    ops.reserve(kTenants * (kOriginsPerTenant + 3));
    for (int t = 0; t < kTenants; ++t) {
      const std::string name = TenantName(t);
      ops.push_back({K::kAddTenant, name, ""});
      ops.push_back({K::kAddWildcard, name,
                     absl::StrCat("https://*.tenant", t, ".example.net")});
      ops.push_back({K::kAddApiHost, name, absl::StrCat("api.t", t, ".test")});
      for (int i = 0; i < kOriginsPerTenant; ++i) {
        ops.push_back({K::kAddOrigin, name, OriginOf(t, i)});
      }
    }
    absl::Status s = table_.BulkLoad(ops).status();
    if (!s.ok()) Die(s);
    policy::Policy p;
    p.allowed_methods = {"PUT", "PATCH", "DELETE"};
    p.allowed_headers = {"authorization", "x-request-id", "x-api-key",
                         "x-client-version"};
    p.exposed_headers = {"x-request-id", "x-ratelimit-remaining", "link"};
    p.allow_credentials = true;
    p.max_age_seconds = 7200;
    p.enforce_unsafe_methods = true;
    table::EpochManager::ReadGuard guard(&epochs_);
    for (int t = 0; t < kTenants; ++t) {
      auto compiled = policy::Validate(p);
      if (!compiled.ok()) Die(compiled.status());
      s = registry_.Set(table_.FindTenant(TenantName(t)), *std::move(compiled));
      if (!s.ok()) Die(s);
    }
  }

  table::EpochManager* epochs() { return &epochs_; }
  const table::OriginTable& table() const { return table_; }
  const Engine& engine() const { return engine_; }

 private:
  [[noreturn]] static void Die(const absl::Status& s) {
    std::fprintf(stderr, "bench_decision setup: %s\n", s.ToString().c_str());
    std::abort();
  }

  table::EpochManager epochs_;
  table::OriginTable table_;
  policy::PolicyRegistry registry_;
  Engine engine_;
};

World& TheWorld() {
  static World* w = new World();
  return *w;
}

// Runs Decide in the benchmark loop; fails the benchmark if the decision is
// not `expected` (so a regression cannot make a benchmark fast).
void RunDecide(benchmark::State& state, absl::string_view tenant,
               const Request& req, Reason expected) {
  World& w = TheWorld();
  Decision d;
  {
    table::EpochManager::ReadGuard guard(w.epochs());
    w.engine().Decide(tenant, req, &d);
    if (d.reason != expected) {
      state.SkipWithError(
          absl::StrCat("unexpected reason ", ReasonName(d.reason)).c_str());
      return;
    }
  }
  const uint64_t before = corsd::testing::AllocationCount();
  for (auto _ : state) {
    table::EpochManager::ReadGuard guard(w.epochs());
    w.engine().Decide(tenant, req, &d);
    benchmark::DoNotOptimize(d.header_count);
    benchmark::DoNotOptimize(d.headers[0].value.data());
  }
  const uint64_t allocs = corsd::testing::AllocationCount() - before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

Request Actual(const std::string& origin) {
  Request r;
  r.method = "GET";
  r.scheme = "https";
  r.host = "api.t500.test";
  r.path = "/v1/orders?page=2";
  r.origin = origin;
  r.has_origin = true;
  r.credentials = true;
  return r;
}

const std::string kOrigin = OriginOf(500, 777);
const std::string kTenant = TenantName(500);

void BM_DecideActual(benchmark::State& state) {
  RunDecide(state, kTenant, Actual(kOrigin), Reason::kR2OriginAllowed);
}
BENCHMARK(BM_DecideActual);

void BM_DecideByHost(benchmark::State& state) {
  RunDecide(state, "", Actual(kOrigin), Reason::kR2OriginAllowed);
}
BENCHMARK(BM_DecideByHost);

void BM_DecideRefused(benchmark::State& state) {
  static const std::string origin = OriginOf(501, 777);
  RunDecide(state, kTenant, Actual(origin), Reason::kR2OriginNotAllowed);
}
BENCHMARK(BM_DecideRefused);

Request Preflight(absl::string_view acrh) {
  Request r = Actual(kOrigin);
  r.method = "OPTIONS";
  r.credentials = false;
  r.access_control_request_method = "PUT";
  r.has_access_control_request_method = true;
  r.access_control_request_headers = acrh;
  r.has_access_control_request_headers = true;
  return r;
}

void BM_DecidePreflight(benchmark::State& state) {
  RunDecide(state, kTenant,
            Preflight("authorization,content-type,x-request-id"),
            Reason::kR6PreflightAllowed);
}
BENCHMARK(BM_DecidePreflight);

std::string HostileList(size_t bytes, size_t names) {
  std::string s;
  const size_t name_len = bytes / names - 1;
  for (size_t i = 0; i < names; ++i) {
    if (i) s += ',';
    std::string n = absl::StrCat("x-", i);
    n.resize(name_len, 'a');
    s += n;
  }
  s.resize(bytes, 'a');  // pads the last name to exactly `bytes`
  return s;
}

void BM_DecideHostileAcrh(benchmark::State& state) {
  static const std::string hostile = HostileList(8192, 1000);
  RunDecide(state, kTenant, Preflight(hostile), Reason::kR8HeadersMalformed);
  state.counters["acrh_bytes"] = static_cast<double>(hostile.size());
}
BENCHMARK(BM_DecideHostileAcrh);

void BM_DecideHostileAcrhInLimits(benchmark::State& state) {
  // 409 allowed names in 4,089 bytes: under the byte limit, so the pass
  // checks 128 names before the name-count limit stops it.
  static const std::string hostile = [] {
    std::string s = "x-api-key";
    while (s.size() + 10 <= kMaxRequestHeadersBytes) s += ",x-api-key";
    return s;
  }();
  RunDecide(state, kTenant, Preflight(hostile), Reason::kR8HeadersMalformed);
}
BENCHMARK(BM_DecideHostileAcrhInLimits)->Name("BM_DecideHostileAcrh/in_limits");

// The parts of BM_DecideActual, to see where the time goes.
void BM_Part_ReadGuard(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    table::EpochManager::ReadGuard guard(w.epochs());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Part_ReadGuard);

void BM_Part_FindTenant(benchmark::State& state) {
  World& w = TheWorld();
  table::EpochManager::ReadGuard guard(w.epochs());
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.table().FindTenant(kTenant));
  }
}
BENCHMARK(BM_Part_FindTenant);

void BM_Part_CheckOriginHeader(benchmark::State& state) {
  origin::OriginParts parts;
  for (auto _ : state) {
    benchmark::DoNotOptimize(origin::CheckOriginHeader(kOrigin, &parts));
  }
}
BENCHMARK(BM_Part_CheckOriginHeader);

void BM_Part_Lookup(benchmark::State& state) {
  World& w = TheWorld();
  table::EpochManager::ReadGuard guard(w.epochs());
  const table::TenantId id = w.table().FindTenant(kTenant);
  origin::OriginParts parts;
  origin::CheckOriginHeader(kOrigin, &parts);
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.table().Lookup(id, parts));
  }
}
BENCHMARK(BM_Part_Lookup);

void BM_Explain(benchmark::State& state) {
  World& w = TheWorld();
  static const std::string typo = "https://shop777.customer500.exmaple.com";
  const Request req = Actual(typo);
  table::EpochManager::ReadGuard guard(w.epochs());
  Decision d;
  w.engine().Decide(kTenant, req, &d);
  for (auto _ : state) {
    std::string s = w.engine().Explain(kTenant, req, d);
    benchmark::DoNotOptimize(s.data());
  }
}
BENCHMARK(BM_Explain);

}  // namespace
}  // namespace corsd::decision

BENCHMARK_MAIN();
