// Cost of recording a decision (the hot path) and of a scrape.
//   BM_RecordDecision/threads:N  one RecordDecision per iteration from N
//                                threads at once (stripes keep them apart)
//   BM_RenderPrometheus          one full /metrics body
#include <cstdint>

#include "benchmark/benchmark.h"
#include "service/decision/metrics.h"

namespace corsd::decision {
namespace {

DecisionMetrics& Shared() {
  static DecisionMetrics* metrics = new DecisionMetrics();
  return *metrics;
}

void BM_RecordDecision(benchmark::State& state) {
  DecisionMetrics& m = Shared();
  uint64_t latency = 300 + static_cast<uint64_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    m.RecordDecision(Action::kContinue, Reason::kR2OriginAllowed, latency);
    latency = (latency * 13 + 1) & 0xFFFF;  // vary the bucket
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordDecision)->ThreadRange(1, 8)->UseRealTime();

// The naive alternative, for comparison: one shared atomic counter that
// every thread increments (a shared hot cache line).
void BM_SharedAtomicBaseline(benchmark::State& state) {
  static std::atomic<uint64_t> counter{0};
  for (auto _ : state) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SharedAtomicBaseline)->ThreadRange(1, 8)->UseRealTime();

void BM_RenderPrometheus(benchmark::State& state) {
  DecisionMetrics m;
  for (int r = 0; r <= kMaxReason; ++r) m.RecordDecision(1, r, 1000);
  for (auto _ : state) {
    std::string text = m.RenderPrometheus();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_RenderPrometheus);

}  // namespace
}  // namespace corsd::decision

BENCHMARK_MAIN();
