// Canonicalizer benchmarks (issue 2): the header check (hot path) beside the
// full WHATWG parse, on the same inputs, plus a few shapes of each.
// allocs_per_op counts global operator new calls per iteration plus ICU's
// own mallocs (counted through u_setMemoryFunctions, installed before ICU's
// first use); icu_allocs_per_op is the ICU part alone. The header check's
// contract is zero; the full parse's is at most one (the result) for a
// result, absl::Status's two for an error, plus ICU's for an IDN.
//
// BM_CanonicalizeOrigin's classes are also timed in Node (ada) by
// bench/canon_ada.mjs; bench/canon_summary.py pairs the two.
#include <unicode/uclean.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "benchmark/benchmark.h"
#include "service/origin/origin.h"
#include "service/testing/alloc_counter.h"

namespace corsd::origin {
namespace {

// ICU's allocations (relaxed: one benchmark thread reads its own counts).
std::atomic<int64_t> icu_allocations{0};

void* IcuAlloc(const void*, size_t size) {
  icu_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
void* IcuRealloc(const void*, void* p, size_t size) {
  icu_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, size);
}
void IcuFree(const void*, void* p) { std::free(p); }

// operator new calls plus ICU mallocs so far.
int64_t AllAllocations() {
  return static_cast<int64_t>(corsd::testing::AllocationCount()) +
         icu_allocations.load(std::memory_order_relaxed);
}

void SetAllocCounter(benchmark::State& state, int64_t before,
                     int64_t icu_before) {
  const double n = static_cast<double>(state.iterations());
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(AllAllocations() - before) / n);
  state.counters["icu_allocs_per_op"] = benchmark::Counter(
      static_cast<double>(icu_allocations.load(std::memory_order_relaxed) -
                          icu_before) /
      n);
}

void BM_CheckOriginHeader(benchmark::State& state, const char* input) {
  const std::string value = input;  // heap copy: not a compile-time constant
  OriginParts parts;
  HeaderCheck result = HeaderCheck::kEmpty;
  const int64_t icu_before = icu_allocations.load(std::memory_order_relaxed);
  const int64_t before = AllAllocations();
  for (auto _ : state) {
    result = CheckOriginHeader(value, &parts);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(parts);
  }
  SetAllocCounter(state, before, icu_before);
  state.SetLabel(std::string(HeaderCheckName(result)));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(value.size()));
}

void BM_CanonicalizeOrigin(benchmark::State& state, const char* input) {
  const std::string value = input;
  const int64_t icu_before = icu_allocations.load(std::memory_order_relaxed);
  const int64_t before = AllAllocations();
  bool ok = false;
  for (auto _ : state) {
    absl::StatusOr<std::string> result = CanonicalizeOrigin(value);
    ok = result.ok();
    benchmark::DoNotOptimize(result);
  }
  SetAllocCounter(state, before, icu_before);
  state.SetLabel(ok ? "ok" : "error");
}

// The typical origin: 30 bytes, canonical.
constexpr char kTypical[] = "https://shop.customer-name.com";

BENCHMARK_CAPTURE(BM_CheckOriginHeader, typical, kTypical);
BENCHMARK_CAPTURE(BM_CheckOriginHeader, with_port,
                  "https://shop.customer-name.com:8443");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, long_host,
                  "https://eu-west-1.tenant-12345.app.customer-name.co.uk");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, idn, "https://xn--bcher-kva.de");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, ipv4, "http://192.168.100.200:8080");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, ipv6,
                  "http://[2001:db8::ff00:42:8329]:8080");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, null, "null");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, reject_uppercase,
                  "https://Shop.customer-name.com");
BENCHMARK_CAPTURE(BM_CheckOriginHeader, reject_default_port,
                  "https://shop.customer-name.com:443");

// The classes of issue 16 part 4; keep in sync with bench/canon_ada.mjs.
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, typical, kTypical);
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, mixed_case_port,
                  "HTTPS://Shop.Customer-Name.com:443/");
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, idn_unicode, "https://bücher.de");
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, ipv4_forms, "http://0x7f.1:8080");
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, ipv6,
                  "http://[2001:db8:0:0:0:ff00:42:8329]:8080");
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, full_url,
                  "https://user@shop.customer-name.com/a/b?q=1#f");
BENCHMARK_CAPTURE(BM_CanonicalizeOrigin, error, "https://ex ample.com");

}  // namespace

// Installs the ICU counters; ICU refuses them once it has allocated, so this
// runs first.
bool InstallIcuCounters() {
  UErrorCode status = U_ZERO_ERROR;
  u_setMemoryFunctions(nullptr, IcuAlloc, IcuRealloc, IcuFree, &status);
  return U_SUCCESS(status);
}

}  // namespace corsd::origin

int main(int argc, char** argv) {
  const bool counted = corsd::origin::InstallIcuCounters();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("icu_allocations_counted", counted ? "1" : "0");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
