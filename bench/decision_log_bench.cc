// bench_decision_log: the decision path as a door runs it (door::RunDecide:
// ReadGuard, Engine::Decide, metrics, decision id, observer) with the
// decision log off and on (issue 15: "on at the default sample,
// decide_actual_ns stays within 10%; allocation counts still 0 on the
// decision path; the writer runs off the hot path").
//
// The world of bench_decision: 1,000,000 origins over 1,000 tenants, one
// wildcard and one API host each, the realistic policy. Both arms decide
// with the same DecisionDeps as corsd's (engine, epochs, DecisionMetrics,
// DecisionIds, door "decide"); the "on" arm adds the DecisionLog as the
// observer, opened with corsd's defaults (--decision-log-sample 0.01,
// --decision-log-tenant-rate 100) writing to --log_path (default /dev/null:
// the writer's cost is its own thread's, measured apart).
//
// Benchmarks, registered interleaved so a slow minute of the shared machine
// hits both arms (P = --pairs, default 5):
//   for p in 1..P, for each case, the off run then the on run:
//     BM_DecideActual/log_{arm}/pair:p    allowed GET, exact entry: logged
//                                         only when sampled (1%)
//     BM_DecideRefused/log_{arm}/pair:p   GET from an origin not in the
//                                         table: every one is a refusal the
//                                         log considers; all but 100 a
//                                         second are over the tenant's
//                                         budget and counted as dropped
// and, after the pairs, the observer alone (DecisionLog::OnDecision on one
// decided event, a fresh decision id each time so 1% are sampled), which
// the whole-path ratio cannot resolve on a shared machine:
//   BM_LogObserve/allowed   an allowed decision: a branch and an id compare,
//                           1% go on to the (spent) tenant budget
//   BM_LogObserve/refused   a refusal over its tenant's budget: the coarse
//                           clock, the bucket word, the drop counter
// bench/decision_log_summary.py turns the JSON report into the median of
// the paired on/off ratios.
//
// Pinning (2+ CPUs allowed): the benchmark thread runs on --decide_cpu
// (default 0), the log's writer thread on --writer_cpu (default 1): the
// writer inherits the affinity of the thread that opens the log, so the
// main thread moves to the writer CPU while it opens it. The context key
// "pinned" says whether this was done.
//
// Counters of every run:
//   allocs_per_op   heap allocations of the benchmark thread only, per
//                   decision (corsd_alloc_counter's per-thread count: the
//                   writer thread allocates its line buffer); must be 0.
//   lines_per_s     lines the log wrote per second of the run (on arm).
//   dropped_per_s   decisions the log dropped (over the tenant budget or
//                   the ring full) per second of the run (on arm).

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
#include "service/decision_log/decision_log.h"
#include "service/door/decision_id.h"
#include "service/door/run_path.h"
#include "service/policy/policy.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"
#include "service/testing/alloc_counter.h"

namespace corsd::bench {
namespace {

struct Config {
  int pairs = 5;
  int decide_cpu = 0;
  int writer_cpu = 1;
  std::string log_path = "/dev/null";
};

// Everything both arms share; built once, before the first benchmark.
struct Bench {
  World world;
  decision::DecisionMetrics metrics;
  door::DecisionIds ids{door::DecisionIds::RandomPrefix()};
  std::unique_ptr<decision_log::DecisionLog> log;
  door::DecisionDeps off;
  door::DecisionDeps on;
};

Bench* g_bench = nullptr;  // set once in main before any benchmark runs

const std::string kTenant = TenantName(500);
const std::string kAllowedOrigin = OriginOf(500, 777);
const std::string kRefusedOrigin = OriginOf(501, 777);

// OnDecision alone, on an event RunDecide would pass for `origin`, with a
// different (uniform) decision id each time.
void Observe(benchmark::State& state, const std::string& origin,
             decision::Reason expected) {
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
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (auto _ : state) {
    b.log->OnDecision(door::DecisionEvent{.door = "decide",
                                          .tenant = d.tenant_name,
                                          .request = request,
                                          .decision = d,
                                          .id = ids[i++ & 4095]});
  }
  const uint64_t allocs = corsd::testing::ThreadAllocationCount() - before;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

void RunPath(benchmark::State& state, bool log_on, const std::string& origin,
             decision::Reason expected) {
  Bench& b = *g_bench;
  const door::DecisionDeps& deps = log_on ? b.on : b.off;
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
  const decision_log::DecisionLogStats before_stats = b.log->Stats();
  const uint64_t before = corsd::testing::ThreadAllocationCount();
  for (auto _ : state) {
    table::EpochManager::ReadGuard guard(b.world.epochs());
    const door::DecideResult r = door::RunDecide(deps, tenant, request, &d);
    benchmark::DoNotOptimize(r.id);
    benchmark::DoNotOptimize(d.header_count);
    benchmark::DoNotOptimize(d.headers[0].value.data());
  }
  const uint64_t allocs = corsd::testing::ThreadAllocationCount() - before;
  const decision_log::DecisionLogStats after_stats = b.log->Stats();
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
  state.counters["lines_per_s"] = benchmark::Counter(
      static_cast<double>(after_stats.lines - before_stats.lines),
      benchmark::Counter::kIsRate);
  state.counters["dropped_per_s"] = benchmark::Counter(
      static_cast<double>(
          (after_stats.dropped_tenant_rate + after_stats.dropped_ring_full) -
          (before_stats.dropped_tenant_rate + before_stats.dropped_ring_full)),
      benchmark::Counter::kIsRate);
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
          {"--writer_cpu=", &c.writer_cpu}}) {
      if (absl::StartsWith(arg, name)) {
        target = field;
        value = arg.substr(name.size());
      }
    }
    if (target != nullptr) {
      if (!absl::SimpleAtoi(value, target)) Die(absl::StrCat("bad ", arg));
      continue;
    }
    if (absl::StartsWith(arg, "--log_path=")) {
      c.log_path = std::string(arg.substr(std::string("--log_path=").size()));
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
      corsd::bench::CanPin(config.decide_cpu, config.writer_cpu);
  if (pinned) corsd::bench::PinThisThread(config.writer_cpu);
  auto* b = new Bench();  // lives for the whole process
  absl::StatusOr<std::unique_ptr<corsd::decision_log::DecisionLog>> log =
      corsd::decision_log::DecisionLog::Open(
          {.path = config.log_path});  // corsd's defaults otherwise
  if (!log.ok()) corsd::bench::Die(log.status().ToString());
  b->log = *std::move(log);
  b->off = corsd::door::DecisionDeps{.engine = &b->world.engine(),
                                     .epochs = b->world.epochs(),
                                     .metrics = &b->metrics,
                                     .ids = &b->ids,
                                     .door = "decide"};
  b->on = b->off;
  b->on.observer = b->log.get();
  corsd::bench::g_bench = b;
  if (pinned) corsd::bench::PinThisThread(config.decide_cpu);
  benchmark::AddCustomContext("pinned", pinned ? "1" : "0");
  benchmark::AddCustomContext("pairs", absl::StrCat(config.pairs));
  benchmark::AddCustomContext("log_sample", "0.01");
  benchmark::AddCustomContext("log_tenant_rate", "100");

  using corsd::decision::Reason;
  // Each case's off and on runs back to back, pair after pair.
  for (int p = 1; p <= config.pairs; ++p) {
    for (const bool refused : {false, true}) {
      for (const bool on : {false, true}) {
        benchmark::RegisterBenchmark(
            absl::StrCat(refused ? "BM_DecideRefused" : "BM_DecideActual",
                         on ? "/log_on" : "/log_off", "/pair:", p)
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
      "BM_LogObserve/allowed", [](benchmark::State& s) {
        corsd::bench::Observe(s, corsd::bench::kAllowedOrigin,
                              Reason::kR2OriginAllowed);
      });
  benchmark::RegisterBenchmark(
      "BM_LogObserve/refused", [](benchmark::State& s) {
        corsd::bench::Observe(s, corsd::bench::kRefusedOrigin,
                              Reason::kR2OriginNotAllowed);
      });
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
