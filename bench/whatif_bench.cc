// bench_whatif: the decision path as a door runs it (door::RunDecide:
// ReadGuard, Engine::Decide, metrics, decision id, observer) with the
// what-if shape recorder (service/whatif/shape_recorder.h) off and on, at
// corsd's defaults (256 shapes per tenant, 1024 tenants). Issue 15 part 5:
// the recorder is on by default only if its cost on the decision benchmarks
// is within noise, and allocations on the decision thread stay 0.
//
// The world of bench_decision / bench_decision_log: 1,000,000 origins over
// 1,000 tenants, the realistic policy. Both arms decide with corsd's
// DecisionDeps (engine, epochs, DecisionMetrics, DecisionIds, door
// "decide"); the "on" arm adds the ShapeRecorder as the observer.
//
// Benchmarks, registered interleaved so a slow minute of the shared machine
// hits both arms (P = --pairs, default 5):
//   for p in 1..P, for each case, the off run then the on run:
//     BM_DecideActual/rec_{arm}/pair:p    allowed GET: a shape the recorder
//                                         knows (the common case: a hash,
//                                         two probes, a relaxed add)
//     BM_DecideRefused/rec_{arm}/pair:p   GET from an origin not in the
//                                         table: also a known shape
// and, after the pairs, the observer alone (ShapeRecorder::OnDecision on
// one decided event):
//   BM_RecorderObserve/known        a known shape
//   BM_RecorderObserve/rotating     256 known shapes of one tenant in turn
//                                   (the fingerprint probes miss the cache
//                                   more)
//   BM_RecorderObserve/quota_full   a new shape of a tenant whose quota is
//                                   used up: hashed, probed, dropped and
//                                   counted
//   BM_ShapeFingerprint             the shape hash alone
// bench/whatif_summary.py turns the JSON report into the keys.
//
// Pinning (2+ CPUs allowed): the benchmark thread runs on --decide_cpu
// (default 0), the recorder's thread on --recorder_cpu (default 1) (it
// inherits the affinity of the thread that creates the recorder). The
// context key "pinned" says whether this was done.
//
// Counter of every run: allocs_per_op, heap allocations of the benchmark
// thread only, per decision; must be 0.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/observer_world.h"
#include "benchmark/benchmark.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/door/decision_id.h"
#include "service/door/run_path.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"
#include "service/testing/alloc_counter.h"
#include "service/whatif/shape_recorder.h"

namespace corsd::bench {
namespace {

struct Config {
  int pairs = 5;
  int decide_cpu = 0;
  int recorder_cpu = 1;
};

// Everything both arms share; built once, before the first benchmark.
struct Bench {
  World world;
  decision::DecisionMetrics metrics;
  door::DecisionIds ids{door::DecisionIds::RandomPrefix()};
  std::unique_ptr<whatif::ShapeRecorder> recorder;
  door::DecisionDeps off;
  door::DecisionDeps on;
};

Bench* g_bench = nullptr;  // set once in main before any benchmark runs

const std::string kTenant = TenantName(500);
const std::string kAllowedOrigin = OriginOf(500, 777);
const std::string kRefusedOrigin = OriginOf(501, 777);

void RunPath(benchmark::State& state, bool on, const std::string& origin,
             decision::Reason expected) {
  Bench& b = *g_bench;
  const door::DecisionDeps& deps = on ? b.on : b.off;
  const decision::Request request = Actual(origin);
  const door::TenantSources tenant{.named = kTenant};
  decision::Decision d;
  {
    table::EpochManager::ReadGuard guard(b.world.epochs());
    door::RunDecide(deps, tenant, request, &d);
    if (d.reason != expected) {
      state.SkipWithError(
          absl::StrCat("unexpected reason ", decision::ReasonName(d.reason))
              .c_str());
      return;
    }
  }
  // The shape is known before the timed loop (the steady state).
  b.recorder->Flush();
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (auto _ : state) {
    table::EpochManager::ReadGuard guard(b.world.epochs());
    const door::DecideResult r = door::RunDecide(deps, tenant, request, &d);
    benchmark::DoNotOptimize(r.id);
    benchmark::DoNotOptimize(d.header_count);
    benchmark::DoNotOptimize(d.headers[0].value.data());
  }
  const uint64_t allocs = corsd::testing::ThreadAllocationCount() - before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// OnDecision alone over `origins` (decided for kTenant, in turn).
void Observe(benchmark::State& state, const std::vector<std::string>& origins,
             bool insert_first) {
  Bench& b = *g_bench;
  std::vector<decision::Request> requests;
  for (const std::string& o : origins) requests.push_back(Actual(o));
  std::vector<std::unique_ptr<decision::Decision>> decisions;
  table::EpochManager::ReadGuard guard(b.world.epochs());
  for (const decision::Request& r : requests) {
    decisions.push_back(std::make_unique<decision::Decision>());
    b.world.engine().Decide(kTenant, r, decisions.back().get());
  }
  auto event = [&](size_t i) {
    return door::DecisionEvent{.door = "decide",
                               .tenant = decisions[i]->tenant_name,
                               .request = requests[i],
                               .decision = *decisions[i]};
  };
  if (insert_first) {
    for (size_t i = 0; i < requests.size(); ++i) {
      b.recorder->OnDecision(event(i));
    }
    b.recorder->Flush();
  }
  const size_t n = requests.size();
  size_t i = 0;
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (auto _ : state) {
    b.recorder->OnDecision(event(i));
    if (++i == n) i = 0;
  }
  const uint64_t allocs = corsd::testing::ThreadAllocationCount() - before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// Reads and removes this binary's flags (--name=value) from argv.
Config ParseFlags(int* argc, char** argv) {
  Config c;
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    absl::string_view arg = argv[i];
    int* target = nullptr;
    absl::string_view value;
    for (auto [name, field] :
         {std::pair<absl::string_view, int*>{"--pairs=", &c.pairs},
          {"--decide_cpu=", &c.decide_cpu},
          {"--recorder_cpu=", &c.recorder_cpu}}) {
      if (absl::StartsWith(arg, name)) {
        target = field;
        value = arg.substr(name.size());
      }
    }
    if (target != nullptr) {
      if (!absl::SimpleAtoi(value, target)) Die(absl::StrCat("bad ", arg));
      continue;
    }
    argv[out++] = argv[i];
  }
  *argc = out;
  if (c.pairs < 1) Die("--pairs must be at least 1");
  return c;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) {
  using corsd::bench::Bench;
  using corsd::bench::Config;
  const Config config = corsd::bench::ParseFlags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  const bool pinned =
      corsd::bench::CanPin(config.decide_cpu, config.recorder_cpu);
  if (pinned) corsd::bench::PinThisThread(config.recorder_cpu);
  auto* b = new Bench();  // lives for the whole process
  absl::StatusOr<std::unique_ptr<corsd::whatif::ShapeRecorder>> recorder =
      corsd::whatif::ShapeRecorder::Create({});  // corsd's defaults
  if (!recorder.ok()) corsd::bench::Die(recorder.status().ToString());
  b->recorder = *std::move(recorder);
  b->off = corsd::door::DecisionDeps{.engine = &b->world.engine(),
                                     .epochs = b->world.epochs(),
                                     .metrics = &b->metrics,
                                     .ids = &b->ids,
                                     .door = "decide"};
  b->on = b->off;
  b->on.observer = b->recorder.get();
  corsd::bench::g_bench = b;
  if (pinned) corsd::bench::PinThisThread(config.decide_cpu);
  benchmark::AddCustomContext("pinned", pinned ? "1" : "0");
  benchmark::AddCustomContext("pairs", absl::StrCat(config.pairs));
  benchmark::AddCustomContext("shapes_per_tenant", "256");

  using corsd::decision::Reason;
  for (int p = 1; p <= config.pairs; ++p) {
    for (const bool refused : {false, true}) {
      for (const bool on : {false, true}) {
        benchmark::RegisterBenchmark(
            absl::StrCat(refused ? "BM_DecideRefused" : "BM_DecideActual",
                         on ? "/rec_on" : "/rec_off", "/pair:", p)
                .c_str(),
            [on, refused](benchmark::State& state) {
              corsd::bench::RunPath(state, on,
                                    refused ? corsd::bench::kRefusedOrigin
                                            : corsd::bench::kAllowedOrigin,
                                    refused ? Reason::kR2OriginNotAllowed
                                            : Reason::kR2OriginAllowed);
            });
      }
    }
  }
  benchmark::RegisterBenchmark(
      "BM_RecorderObserve/known", [](benchmark::State& s) {
        corsd::bench::Observe(s, {corsd::bench::kAllowedOrigin}, true);
      });
  benchmark::RegisterBenchmark(
      "BM_RecorderObserve/rotating", [](benchmark::State& s) {
        // Tenant 500 already holds 2 shapes (the pairs'); 254 more fill its
        // quota of 256 exactly.
        std::vector<std::string> origins;
        for (int i = 0; i < 254; ++i) {
          origins.push_back(corsd::bench::OriginOf(500, i));
        }
        corsd::bench::Observe(s, origins, true);
      });
  benchmark::RegisterBenchmark(
      "BM_RecorderObserve/quota_full", [](benchmark::State& s) {
        // Runs after /rotating: the tenant's quota is used up, so these
        // new shapes are dropped and counted.
        std::vector<std::string> origins;
        for (int i = 300; i < 556; ++i) {
          origins.push_back(corsd::bench::OriginOf(500, i));
        }
        corsd::bench::Observe(s, origins, false);
      });
  benchmark::RegisterBenchmark("BM_ShapeFingerprint", [](benchmark::State& s) {
    const corsd::decision::Request r =
        corsd::bench::Actual(corsd::bench::kAllowedOrigin);
    for (auto _ : s) {
      benchmark::DoNotOptimize(
          corsd::whatif::ShapeFingerprint(corsd::whatif::Door::kDecide, r));
    }
  });
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
