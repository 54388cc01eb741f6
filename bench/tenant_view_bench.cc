// bench_tenant_view: the decision path as a door runs it (door::RunDecide:
// ReadGuard, Engine::Decide, metrics, decision id, observer) with the
// per-tenant refusal view off and on (issue 15 part 4: "the decision
// benchmarks with the view on and off"; the view is on by default only if
// its cost is within noise).
//
// The world of bench_decision: 1,000,000 origins over 1,000 tenants, one
// wildcard and one API host each, the realistic policy. Both arms decide
// with the same DecisionDeps as corsd's (engine, epochs, DecisionMetrics,
// DecisionIds, door "decide"); the "on" arm adds the RefusalView as the
// observer, created with corsd's defaults (window 15m, top-k 16, 256
// tenants, 1000 refusals a second per tenant budget).
//
// Benchmarks, registered interleaved so a slow minute of the shared machine
// hits both arms (P = --pairs, default 5):
//   for p in 1..P, for each case, the off run then the on run:
//     BM_DecideActual/view_{arm}/pair:p    allowed GET, exact entry: the
//                                          view pays a branch
//     BM_DecideRefused/view_{arm}/pair:p   GET from an origin not in the
//                                          table: every one a refusal; all
//                                          but 1000 a second are over the
//                                          tenant's budget and counted as
//                                          dropped
// and, after the pairs, the observer alone (RefusalView::OnDecision on one
// decided event), which the whole-path ratio cannot resolve on a shared
// machine:
//   BM_ViewObserve/allowed        an allowed decision: one branch
//   BM_ViewObserve/refused        a refusal over its tenant's budget: the
//                                 coarse clock, the budget word, the drop
//                                 counter
//   BM_ViewObserve/refused_kept   a refusal within budget (a view whose
//                                 clock moves a second per read, so its
//                                 budget never runs out): the copy
//                                 into the ring; the timing pauses every
//                                 2048 calls while the folder drains the
//                                 ring, so none finds it full
//                                 (dropped_per_s says if one did)
// bench/tenant_view_summary.py turns the JSON report into the median of the
// paired on/off ratios.
//
// Pinning (2+ CPUs allowed): the benchmark thread runs on --decide_cpu
// (default 0), the view's folder thread on --folder_cpu (default 1): the
// folder inherits the affinity of the thread that creates the view, so the
// main thread moves to the folder CPU while it creates it. The context key
// "pinned" says whether this was done.
//
// Counters of every run:
//   allocs_per_op   heap allocations of the benchmark thread only, per
//                   decision (corsd_alloc_counter's per-thread count: the
//                   folder thread allocates keys); must be 0.
//   folded_per_s    refusals the view folded per second of the run.
//   dropped_per_s   refusals the view dropped (over the tenant budget or the
//                   ring full) per second of the run.

#include <atomic>
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
#include "service/tenant_view/refusal_view.h"
#include "service/testing/alloc_counter.h"

namespace corsd::bench {
namespace {

struct Config {
  int pairs = 5;
  int decide_cpu = 0;
  int folder_cpu = 1;
};

// Everything both arms share; built once, before the first benchmark.
struct Bench {
  World world;
  decision::DecisionMetrics metrics;
  door::DecisionIds ids{door::DecisionIds::RandomPrefix()};
  std::unique_ptr<tenant_view::RefusalView> view;  // corsd's defaults
  std::unique_ptr<tenant_view::RefusalView> kept;  // budget 1,000,000/s
  door::DecisionDeps off;
  door::DecisionDeps on;
};

Bench* g_bench = nullptr;  // set once in main before any benchmark runs

// folded_per_s and dropped_per_s of a run.
void SetViewCounters(benchmark::State& state,
                     const tenant_view::RefusalViewStats& before,
                     const tenant_view::RefusalViewStats& after) {
  state.counters["folded_per_s"] =
      benchmark::Counter(static_cast<double>(after.folded - before.folded),
                         benchmark::Counter::kIsRate);
  state.counters["dropped_per_s"] = benchmark::Counter(
      static_cast<double>(
          (after.dropped_tenant_rate + after.dropped_ring_full) -
          (before.dropped_tenant_rate + before.dropped_ring_full)),
      benchmark::Counter::kIsRate);
}

const std::string kTenant = TenantName(500);
const std::string kAllowedOrigin = OriginOf(500, 777);
const std::string kRefusedOrigin = OriginOf(501, 777);

// OnDecision of `view` alone, on an event RunDecide would pass for
// `origin`, with a different (uniform) decision id each time.
// With `drain_every` > 0, the timing pauses every drain_every calls while
// the folder empties the ring (Flush), so each call within budget copies
// its record instead of finding the ring full.
void Observe(benchmark::State& state, tenant_view::RefusalView* view,
             const std::string& origin, decision::Reason expected,
             size_t drain_every = 0) {
  Bench& b = *g_bench;
  const decision::Request request = Actual(origin);
  decision::Decision d;
  table::EpochManager::ReadGuard guard(b.world.epochs());
  b.world.engine().Decide(kTenant, request, &d);
  if (d.reason != expected) {
    state.SkipWithError(
        absl::StrCat("unexpected reason ", decision::ReasonName(d.reason))
            .c_str());
    return;
  }
  // Ids drawn before the loop (the id source is paid on both arms of the
  // whole-path benchmarks, not by the observer).
  std::vector<uint64_t> ids(4096);
  for (uint64_t& id : ids) id = b.ids.Next();
  size_t i = 0;
  const tenant_view::RefusalViewStats before_stats = view->Stats();
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (auto _ : state) {
    view->OnDecision(door::DecisionEvent{.door = "decide",
                                         .tenant = d.tenant_name,
                                         .request = request,
                                         .decision = d,
                                         .id = ids[i++ & 4095]});
    if (drain_every > 0 && i % drain_every == 0) {
      state.PauseTiming();
      view->Flush();
      state.ResumeTiming();
    }
  }
  const uint64_t allocs = corsd::testing::ThreadAllocationCount() - before;
  const tenant_view::RefusalViewStats after_stats = view->Stats();
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
  SetViewCounters(state, before_stats, after_stats);
}

void RunPath(benchmark::State& state, bool view_on, const std::string& origin,
             decision::Reason expected) {
  Bench& b = *g_bench;
  const door::DecisionDeps& deps = view_on ? b.on : b.off;
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
  const tenant_view::RefusalViewStats before_stats = b.view->Stats();
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (auto _ : state) {
    table::EpochManager::ReadGuard guard(b.world.epochs());
    const door::DecideResult r = door::RunDecide(deps, tenant, request, &d);
    benchmark::DoNotOptimize(r.id);
    benchmark::DoNotOptimize(d.header_count);
    benchmark::DoNotOptimize(d.headers[0].value.data());
  }
  const uint64_t allocs = corsd::testing::ThreadAllocationCount() - before;
  const tenant_view::RefusalViewStats after_stats = b.view->Stats();
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
  SetViewCounters(state, before_stats, after_stats);
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
          {"--folder_cpu=", &c.folder_cpu}}) {
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
      corsd::bench::CanPin(config.decide_cpu, config.folder_cpu);
  if (pinned) corsd::bench::PinThisThread(config.folder_cpu);
  auto* b = new Bench();  // lives for the whole process
  absl::StatusOr<std::unique_ptr<corsd::tenant_view::RefusalView>> view =
      corsd::tenant_view::RefusalView::Create({});  // corsd's defaults
  if (!view.ok()) corsd::bench::Die(view.status().ToString());
  b->view = *std::move(view);
  absl::StatusOr<std::unique_ptr<corsd::tenant_view::RefusalView>> kept =
      corsd::tenant_view::RefusalView::Create(
          {.tenant_rate = 1000000,
           // A clock one second later at each read: the budget never runs
           // out, so every call copies its record (a std::function call
           // instead of the vDSO's coarse clock: a few ns either way).
           .now_unix_ms = [] {
             static std::atomic<int64_t> ms{1'700'000'000'000};
             return ms.fetch_add(1000, std::memory_order_relaxed);
           }});
  if (!kept.ok()) corsd::bench::Die(kept.status().ToString());
  b->kept = *std::move(kept);
  b->off = corsd::door::DecisionDeps{.engine = &b->world.engine(),
                                     .epochs = b->world.epochs(),
                                     .metrics = &b->metrics,
                                     .ids = &b->ids,
                                     .door = "decide"};
  b->on = b->off;
  b->on.observer = b->view.get();
  corsd::bench::g_bench = b;
  if (pinned) corsd::bench::PinThisThread(config.decide_cpu);
  benchmark::AddCustomContext("pinned", pinned ? "1" : "0");
  benchmark::AddCustomContext("pairs", absl::StrCat(config.pairs));
  benchmark::AddCustomContext("view_tenant_rate", "1000");

  using corsd::decision::Reason;
  // Each case's off and on runs back to back, pair after pair.
  for (int p = 1; p <= config.pairs; ++p) {
    for (const bool refused : {false, true}) {
      for (const bool on : {false, true}) {
        benchmark::RegisterBenchmark(
            absl::StrCat(refused ? "BM_DecideRefused" : "BM_DecideActual",
                         on ? "/view_on" : "/view_off", "/pair:", p)
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
      "BM_ViewObserve/allowed", [b](benchmark::State& s) {
        corsd::bench::Observe(s, b->view.get(), corsd::bench::kAllowedOrigin,
                              Reason::kR2OriginAllowed);
      });
  benchmark::RegisterBenchmark(
      "BM_ViewObserve/refused", [b](benchmark::State& s) {
        corsd::bench::Observe(s, b->view.get(), corsd::bench::kRefusedOrigin,
                              Reason::kR2OriginNotAllowed);
      });
  benchmark::RegisterBenchmark(
      "BM_ViewObserve/refused_kept", [b](benchmark::State& s) {
        // Half the ring (4096 records) between two drains.
        corsd::bench::Observe(s, b->kept.get(), corsd::bench::kRefusedOrigin,
                              Reason::kR2OriginNotAllowed, 2048);
      });
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
