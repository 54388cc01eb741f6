// Import validation throughput (issue 16 part 4: ">= 2M rows/s of CPU for
// an import of 1M rows"): store::PrepareOp, the stateless validation corsd
// runs on every row of Admin.Import (catalog_admin.cc: tenant id, size,
// CanonicalizeAdminOrigin), over 1M rows prepared into one vector of
// PreparedOp as the server does. Rows are built before the timed loop.
//
// Two row sets:
//   * import_sh: exactly the rows bench/import_bench.sh imports
//     ("t<i%100>", "https://shop<i>.customer<i%997>.example.com"): all
//     canonical, as a control plane re-pushing what it stored sends them.
//   * mixed: the same with 20% not canonical as written by people: 10%
//     "HTTPS://Shop<i>.Customer<j>.Example.COM:443/", 8% a trailing "/", 1%
//     an IDN ("https://bücher<i>.example.de"), 1% IPv4 forms
//     ("http://0x7f.<i>:8080") -- every one goes through the full parse.
// Counters: rows_per_cpu_s (rows validated per CPU-second of the benchmark
// thread), allocs_per_row (global operator new calls; the PreparedOp's
// value string is one).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "corsd/v1/admin.pb.h"
#include "service/store/validation.h"
#include "service/testing/alloc_counter.h"

namespace corsd::store {
namespace {

constexpr int kRows = 1000000;
constexpr int kTenants = 100;

std::string ImportShOrigin(int i) {
  return absl::StrCat("https://shop", i, ".customer", i % 997, ".example.com");
}

std::string MixedOrigin(int i) {
  switch (i % 100) {
    case 0:
    case 10:
    case 20:
    case 30:
    case 40:
    case 50:
    case 60:
    case 70:
    case 80:
    case 90:
      return absl::StrCat("HTTPS://Shop", i, ".Customer", i % 997,
                          ".Example.COM:443/");
    case 1:
    case 11:
    case 21:
    case 31:
    case 41:
    case 51:
    case 61:
    case 71:
      return absl::StrCat(ImportShOrigin(i), "/");
    case 2:
      return absl::StrCat(
          "https://b\xC3\xBC"
          "cher",
          i, ".example.de");
    case 3:
      return absl::StrCat("http://0x7f.", i % 65536, ":8080");
    default:
      return ImportShOrigin(i);
  }
}

std::vector<corsd::v1::EntryOp> MakeRows(bool mixed) {
  std::vector<corsd::v1::EntryOp> rows(kRows);
  for (int i = 0; i < kRows; ++i) {
    rows[i].set_op(corsd::v1::EntryOp::OP_ADD);
    rows[i].set_kind(corsd::v1::ENTRY_KIND_ORIGIN);
    rows[i].set_tenant(absl::StrCat("t", i % kTenants));
    rows[i].set_value(mixed ? MixedOrigin(i) : ImportShOrigin(i));
  }
  return rows;
}

void BM_ImportValidate(benchmark::State& state, bool mixed) {
  const std::vector<corsd::v1::EntryOp> rows = MakeRows(mixed);
  int64_t refused = 0;
  int64_t allocations = 0;
  for (auto _ : state) {
    ErrorList errors;
    std::vector<PreparedOp> prepared(rows.size());
    const uint64_t before = corsd::testing::AllocationCount();
    size_t kept = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (PrepareOp(i, rows[i], &prepared[kept], &errors)) ++kept;
    }
    allocations +=
        static_cast<int64_t>(corsd::testing::AllocationCount() - before);
    refused += static_cast<int64_t>(errors.total());
    benchmark::DoNotOptimize(prepared.data());
    state.PauseTiming();  // freeing 1M strings is not validation
    prepared = {};
    state.ResumeTiming();
  }
  if (refused != 0) {
    state.SkipWithError(absl::StrCat(refused, " rows refused").c_str());
    return;
  }
  const double total_rows =
      static_cast<double>(state.iterations()) * static_cast<double>(kRows);
  // kIsRate divides by the benchmark thread's CPU time.
  state.counters["rows_per_cpu_s"] =
      benchmark::Counter(total_rows, benchmark::Counter::kIsRate);
  state.counters["allocs_per_row"] =
      benchmark::Counter(static_cast<double>(allocations) / total_rows);
  state.counters["rows"] = kRows;
}

BENCHMARK_CAPTURE(BM_ImportValidate, import_sh, false)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ImportValidate, mixed, true)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace corsd::store

BENCHMARK_MAIN();
