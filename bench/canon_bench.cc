// Canonicalizer benchmarks (issue 2): the header check (hot path) beside the
// full WHATWG parse, on the same inputs, plus a few shapes of each.
// allocs_per_op counts global operator new calls per iteration: the header
// check's contract is zero.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "benchmark/benchmark.h"
#include "service/origin/origin.h"
#include "service/testing/alloc_counter.h"

namespace corsd::origin {
namespace {

void SetAllocCounter(benchmark::State& state, int64_t before) {
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(
          static_cast<int64_t>(corsd::testing::AllocationCount()) - before) /
      static_cast<double>(state.iterations()));
}

void BM_CheckOriginHeader(benchmark::State& state, const char* input) {
  const std::string value = input;  // heap copy: not a compile-time constant
  OriginParts parts;
  HeaderCheck result = HeaderCheck::kEmpty;
  const int64_t before =
      static_cast<int64_t>(corsd::testing::AllocationCount());
  for (auto _ : state) {
    result = CheckOriginHeader(value, &parts);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(parts);
  }
  SetAllocCounter(state, before);
  state.SetLabel(std::string(HeaderCheckName(result)));
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(value.size()));
}

void BM_CanonicalizeOrigin(benchmark::State& state, const char* input) {
  const std::string value = input;
  const int64_t before =
      static_cast<int64_t>(corsd::testing::AllocationCount());
  bool ok = false;
  for (auto _ : state) {
    absl::StatusOr<std::string> result = CanonicalizeOrigin(value);
    ok = result.ok();
    benchmark::DoNotOptimize(result);
  }
  SetAllocCounter(state, before);
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
}  // namespace corsd::origin

BENCHMARK_MAIN();
