// bench_table: the origin tables (issue 3) against absl::flat_hash_map<
// std::string, uint32_t> holding the same keys, in the same run.
//
// Per size N (1k, 100k, 1M, 10M synthetic origins, 23-26 bytes on average,
// spread over min(N, 100k) tenants; --table_max_size=M drops sizes above M):
//   BM_Build/N            bulk build of both; counters: *_bytes_per_origin
//                         (resident: RSS delta from /proc/self/statm around
//                         the build, after malloc_trim(0)),
//                         *_build_origins_per_s (per CPU second of the
//                         building thread: one core; *_per_wall_s beside),
//                         table_held_bytes_per_origin (Stats().bytes / N),
//                         avg_origin_bytes.
//   BM_TableCold/N, BM_AbslCold/N   a found lookup of a random key of N
//                         (keys packed in a separate buffer; time per lookup).
//   BM_TableHot/N, BM_AbslHot/N     Zipf(s=1.1) over 1000 keys.
//   BM_TableMiss/N        a lookup of an origin not in the table.
//   BM_ReadUnderWrites/N  (N >= 100k) one reader thread, a ReadGuard per
//                         cold lookup, in 5 rounds of 0.4 s alone then 0.4 s
//                         while a writer thread applies 10k-op batches (5k
//                         adds, 5k removes) back to back, then 0.4 s beside
//                         a control thread that only does random writes to
//                         256 MiB of its own (read_ratio_noise: what any
//                         memory-bound neighbour costs the reader here).
//                         read_ratio compares lookups per second of the reader
//                         thread's CPU time (with / without writer): on a
//                         shared machine the wall-clock figure
//                         (read_ratio_wall, also reported) mostly measures how
//                         the scheduler splits the cores.
//   BM_ReadGuard          the cost of opening and closing a guard.
// Lookup benchmarks hold one ReadGuard around their loop.
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "service/origin/origin.h"
#include "service/table/origin_table.h"

namespace corsd::table {
namespace {

size_t g_max_size = 10'000'000;

size_t ResidentBytes() {
  malloc_trim(0);
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

std::string Base36(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.push_back(kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  return s;
}

// Origin number i: e.g. "https://app1x2k.c3f9.com", ~28 bytes on average;
// 12.5% http, 3% with an explicit port. Unique per i.
std::string SyntheticOrigin(uint64_t i, absl::string_view salt = "") {
  static constexpr const char* kPrefixes[] = {"app", "www",    "shop", "api",
                                              "my",  "portal", "dev",  "m"};
  static constexpr const char* kTlds[] = {"com", "io",  "net", "co.uk",
                                          "de",  "app", "org", "com"};
  const uint64_t h = i * 0x9E3779B97F4A7C15ull;
  std::string s =
      absl::StrCat((h >> 60) < 2 ? "http://" : "https://",
                   kPrefixes[(h >> 20) & 7], salt, Base36(i), ".c",
                   Base36((h >> 24) % 2'000'000), ".", kTlds[(h >> 40) & 7]);
  if (((h >> 44) & 31) == 0) absl::StrAppend(&s, ":", 8000 + (h >> 50) % 999);
  return s;
}

std::string TenantName(uint64_t t) { return absl::StrCat("tenant-", t); }

struct Probe {
  TenantId tenant;
  origin::OriginParts parts;
};

// Everything for one size.
struct Dataset {
  size_t n = 0;
  size_t tenants = 0;
  std::vector<Op> ops;  // tenants first, then origins grouped by tenant
  std::unique_ptr<EpochManager> epochs;
  std::unique_ptr<OriginTable> table;
  std::unique_ptr<absl::flat_hash_map<std::string, uint32_t>> map;
  std::string probe_bytes;  // packed probe keys
  std::vector<Probe> cold, hot, miss;
  std::vector<absl::string_view> cold_keys, hot_keys;
  double avg_origin_bytes = 0;

  size_t TenantOf(size_t i) const { return i * tenants / n; }
};

std::unique_ptr<Dataset> g_data;

void BuildOps(Dataset* d) {
  d->ops.reserve(d->tenants + d->n);
  for (size_t t = 0; t < d->tenants; ++t) {
    d->ops.push_back({Op::Kind::kAddTenant, TenantName(t), ""});
  }
  uint64_t bytes = 0;
  for (size_t i = 0; i < d->n; ++i) {
    d->ops.push_back(
        {Op::Kind::kAddOrigin, TenantName(d->TenantOf(i)), SyntheticOrigin(i)});
    bytes += d->ops.back().value.size();
  }
  d->avg_origin_bytes = static_cast<double>(bytes) / d->n;
}

void BuildTable(Dataset* d) {
  d->epochs = std::make_unique<EpochManager>();
  d->table = std::make_unique<OriginTable>(d->epochs.get());
  absl::StatusOr<ApplyResult> r = d->table->BulkLoad(d->ops);
  if (!r.ok()) {
    std::fprintf(stderr, "BulkLoad: %s\n", r.status().ToString().c_str());
    std::abort();
  }
}

void BuildMap(Dataset* d) {
  d->map = std::make_unique<absl::flat_hash_map<std::string, uint32_t>>();
  for (size_t i = d->tenants; i < d->ops.size(); ++i) {
    d->map->emplace(d->ops[i].value, static_cast<uint32_t>(i));
  }
}

// Probe keys, packed into one buffer so reading a key is not itself a miss.
void BuildProbes(Dataset* d) {
  std::mt19937_64 rng(42);
  const size_t cold_count = std::min<size_t>(d->n, 1 << 20);
  std::vector<size_t> cold_idx(cold_count), hot_idx(1 << 16);
  for (size_t& i : cold_idx) i = rng() % d->n;
  // Zipf(1.1) over an active set of 1000 keys.
  const size_t active = std::min<size_t>(d->n, 1000);
  std::vector<double> cdf(active);
  double sum = 0;
  for (size_t k = 0; k < active; ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), 1.1);
    cdf[k] = sum;
  }
  std::vector<size_t> active_idx(active);
  for (size_t& i : active_idx) i = rng() % d->n;
  std::uniform_real_distribution<double> u(0, sum);
  for (size_t& i : hot_idx) {
    i = active_idx[std::lower_bound(cdf.begin(), cdf.end(), u(rng)) -
                   cdf.begin()];
  }
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, size)
  std::vector<TenantId> owners;
  EpochManager::ReadGuard guard(d->epochs.get());
  auto add = [&](const std::string& key, size_t tenant) {
    spans.emplace_back(d->probe_bytes.size(), key.size());
    d->probe_bytes += key;
    owners.push_back(d->table->FindTenant(TenantName(tenant)));
  };
  for (size_t i : cold_idx) add(d->ops[d->tenants + i].value, d->TenantOf(i));
  for (size_t i : hot_idx) add(d->ops[d->tenants + i].value, d->TenantOf(i));
  for (size_t k = 0; k < (1 << 16); ++k) {
    add(SyntheticOrigin(k, "zz"), k % d->tenants);
  }
  // Views only now that the buffer no longer moves.
  for (size_t k = 0; k < spans.size(); ++k) {
    const absl::string_view key(d->probe_bytes.data() + spans[k].first,
                                spans[k].second);
    Probe p{owners[k], {}};
    if (origin::CheckOriginHeader(key, &p.parts) !=
        origin::HeaderCheck::kCanonical) {
      std::fprintf(stderr, "synthetic origin not canonical\n");
      std::abort();
    }
    if (k < cold_count) {
      d->cold.push_back(p);
      d->cold_keys.push_back(key);
    } else if (k < cold_count + hot_idx.size()) {
      d->hot.push_back(p);
      d->hot_keys.push_back(key);
    } else {
      d->miss.push_back(p);
    }
  }
}

// Builds the dataset of size n (measuring the build when `state` is given).
Dataset& Data(size_t n, benchmark::State* state = nullptr) {
  if (g_data != nullptr && g_data->n == n && state == nullptr) return *g_data;
  g_data.reset();
  auto d = std::make_unique<Dataset>();
  d->n = n;
  d->tenants = std::min<size_t>(n, 100'000);
  BuildOps(d.get());
  const size_t rss0 = ResidentBytes();
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = ThreadCpuSeconds();
  BuildTable(d.get());
  const double c1 = ThreadCpuSeconds();
  const auto t1 = std::chrono::steady_clock::now();
  const size_t rss1 = ResidentBytes();
  const auto t2 = std::chrono::steady_clock::now();
  const double c2 = ThreadCpuSeconds();
  BuildMap(d.get());
  const double c3 = ThreadCpuSeconds();
  const auto t3 = std::chrono::steady_clock::now();
  const size_t rss2 = ResidentBytes();
  if (state != nullptr) {
    const double dn = static_cast<double>(n);
    auto& c = state->counters;
    c["table_bytes_per_origin"] = (static_cast<double>(rss1) - rss0) / dn;
    c["absl_bytes_per_origin"] = (static_cast<double>(rss2) - rss1) / dn;
    c["table_held_bytes_per_origin"] =
        static_cast<double>(d->table->Stats().bytes) / dn;
    // Per CPU second of the building thread (one core), and per wall second.
    c["table_build_origins_per_s"] = dn / (c1 - c0);
    c["absl_build_origins_per_s"] = dn / (c3 - c2);
    c["table_build_origins_per_wall_s"] =
        dn / std::chrono::duration<double>(t1 - t0).count();
    c["absl_build_origins_per_wall_s"] =
        dn / std::chrono::duration<double>(t3 - t2).count();
    c["avg_origin_bytes"] = d->avg_origin_bytes;
    c["tenants"] = static_cast<double>(d->tenants);
  }
  BuildProbes(d.get());
  g_data = std::move(d);
  return *g_data;
}

void BM_Build(benchmark::State& state) {
  for (auto _ : state) {
    Data(static_cast<size_t>(state.range(0)), &state);
  }
}

template <bool kHot>
void TableLookup(benchmark::State& state) {
  Dataset& d = Data(static_cast<size_t>(state.range(0)));
  const std::vector<Probe>& probes = kHot ? d.hot : d.cold;
  EpochManager::ReadGuard guard(d.epochs.get());
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const Probe& p = probes[i];
    if (++i == probes.size()) i = 0;
    const Match m = d.table->Lookup(p.tenant, p.parts);
    benchmark::DoNotOptimize(m);
    found += m != Match::kNone;
  }
  if (found != static_cast<size_t>(state.iterations()))
    state.SkipWithError("a key was not found");
}

template <bool kHot>
void AbslLookup(benchmark::State& state) {
  Dataset& d = Data(static_cast<size_t>(state.range(0)));
  const std::vector<absl::string_view>& keys = kHot ? d.hot_keys : d.cold_keys;
  size_t i = 0, found = 0;
  for (auto _ : state) {
    auto it = d.map->find(keys[i]);
    if (++i == keys.size()) i = 0;
    benchmark::DoNotOptimize(it);
    found += it != d.map->end();
  }
  if (found != static_cast<size_t>(state.iterations()))
    state.SkipWithError("a key was not found");
}

void BM_TableCold(benchmark::State& s) { TableLookup<false>(s); }
void BM_TableHot(benchmark::State& s) { TableLookup<true>(s); }
void BM_AbslCold(benchmark::State& s) { AbslLookup<false>(s); }
void BM_AbslHot(benchmark::State& s) { AbslLookup<true>(s); }

void BM_TableMiss(benchmark::State& state) {
  Dataset& d = Data(static_cast<size_t>(state.range(0)));
  EpochManager::ReadGuard guard(d.epochs.get());
  size_t i = 0, found = 0;
  for (auto _ : state) {
    const Probe& p = d.miss[i];
    if (++i == d.miss.size()) i = 0;
    const Match m = d.table->Lookup(p.tenant, p.parts);
    benchmark::DoNotOptimize(m);
    found += m != Match::kNone;
  }
  if (found != 0) state.SkipWithError("a missing key was found");
}

// Reader throughput alone, with a writer and with a memory-bound control
// thread, in alternating phases so
// that drift in the machine's load hits both alike. The reader counts
// lookups (a guard per lookup, as a request would) in chunks of 1024,
// each attributed to the phase it ran in entirely.
void BM_ReadUnderWrites(benchmark::State& state) {
  Dataset& d = Data(static_cast<size_t>(state.range(0)));
  constexpr int kRounds = 5;
  constexpr auto kPhase = std::chrono::milliseconds(400);
  constexpr int kHalf = 5000;  // adds and removes per 10k-op batch
  constexpr int kChunk = 1024;
  enum : int {
    kSwitching = -1,
    kAlone = 0,
    kWithWriter = 1,
    kWithNoise = 2,  // control: a thread that only hammers its own memory
    kStop = 3
  };
  for (auto _ : state) {
    std::atomic<int> phase{kSwitching};
    std::atomic<bool> writer_busy{false};
    uint64_t batches = 0;
    double writer_secs = 0;
    std::thread writer([&] {
      uint64_t next = 0;  // writer origins [next - 4*kHalf, next) are in
      std::vector<Op> ops;
      while (phase.load() != kStop) {
        writer_busy.store(true);
        if (phase.load() != kWithWriter) {
          writer_busy.store(false);
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        ops.clear();
        for (int k = 0; k < kHalf; ++k) {
          ops.push_back({Op::Kind::kAddOrigin,
                         TenantName((next + k) % d.tenants),
                         SyntheticOrigin(next + k, "w")});
        }
        if (next >= 4 * kHalf) {
          const uint64_t old = next - 4 * kHalf;
          for (int k = 0; k < kHalf; ++k) {
            ops.push_back({Op::Kind::kRemoveOrigin,
                           TenantName((old + k) % d.tenants),
                           SyntheticOrigin(old + k, "w")});
          }
        }
        next += kHalf;
        if (!d.table->Apply(ops).ok()) std::abort();
        ++batches;
        writer_secs +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
        writer_busy.store(false);
      }
    });
    // The control thread: random read-modify-writes over 256 MiB of its
    // own, so its effect on the reader is the memory system's alone.
    std::thread noise([&] {
      std::vector<uint64_t> buf(size_t{32} << 20, 1);
      uint64_t x = 88172645463325252ull, sum = 0;
      while (phase.load() != kStop) {
        if (phase.load() != kWithNoise) {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
          continue;
        }
        for (int k = 0; k < 4096; ++k) {
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          sum += ++buf[x & (buf.size() - 1)];
        }
      }
      benchmark::DoNotOptimize(sum);
    });
    double lookups[3] = {0, 0, 0}, cpu[3] = {0, 0, 0}, wall[3] = {0, 0, 0};
    std::thread reader([&] {
      size_t i = 0;
      for (;;) {
        const int ph = phase.load();
        if (ph == kStop) return;
        const double c0 = ThreadCpuSeconds();
        const auto w0 = std::chrono::steady_clock::now();
        for (int k = 0; k < kChunk; ++k) {
          EpochManager::ReadGuard guard(d.epochs.get());
          const Probe& p = d.cold[i];
          if (++i == d.cold.size()) i = 0;
          benchmark::DoNotOptimize(d.table->Lookup(p.tenant, p.parts));
        }
        const double c1 = ThreadCpuSeconds();
        const auto w1 = std::chrono::steady_clock::now();
        if (ph >= 0 && phase.load() == ph) {
          lookups[ph] += kChunk;
          cpu[ph] += c1 - c0;
          wall[ph] += std::chrono::duration<double>(w1 - w0).count();
        }
      }
    });
    for (int round = 0; round < kRounds; ++round) {
      phase.store(kSwitching);
      while (writer_busy.load()) std::this_thread::yield();
      phase.store(kAlone);
      std::this_thread::sleep_for(kPhase);
      phase.store(kWithWriter);
      std::this_thread::sleep_for(kPhase);
      phase.store(kSwitching);
      while (writer_busy.load()) std::this_thread::yield();
      phase.store(kWithNoise);
      std::this_thread::sleep_for(kPhase);
    }
    phase.store(kStop);
    reader.join();
    writer.join();
    noise.join();
    auto& c = state.counters;
    c["reads_per_cpu_s_alone"] = lookups[kAlone] / cpu[kAlone];
    c["reads_per_cpu_s_with_writer"] = lookups[kWithWriter] / cpu[kWithWriter];
    c["read_ratio"] = c["reads_per_cpu_s_with_writer"].value /
                      c["reads_per_cpu_s_alone"].value;
    c["reads_per_wall_s_alone"] = lookups[kAlone] / wall[kAlone];
    c["reads_per_wall_s_with_writer"] =
        lookups[kWithWriter] / wall[kWithWriter];
    c["read_ratio_wall"] = c["reads_per_wall_s_with_writer"].value /
                           c["reads_per_wall_s_alone"].value;
    c["batches_per_s"] = static_cast<double>(batches) / writer_secs;
    c["reads_per_cpu_s_with_noise"] = lookups[kWithNoise] / cpu[kWithNoise];
    c["read_ratio_noise"] = c["reads_per_cpu_s_with_noise"].value /
                            c["reads_per_cpu_s_alone"].value;
  }
}

void BM_ReadGuard(benchmark::State& state) {
  EpochManager epochs;
  for (auto _ : state) {
    EpochManager::ReadGuard guard(&epochs);
    benchmark::ClobberMemory();
  }
}

void RegisterAll() {
  for (int64_t n : {1'000, 100'000, 1'000'000, 10'000'000}) {
    if (static_cast<size_t>(n) > g_max_size) continue;
    benchmark::RegisterBenchmark("BM_Build", BM_Build)
        ->Arg(n)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_TableCold", BM_TableCold)->Arg(n);
    benchmark::RegisterBenchmark("BM_AbslCold", BM_AbslCold)->Arg(n);
    benchmark::RegisterBenchmark("BM_TableHot", BM_TableHot)->Arg(n);
    benchmark::RegisterBenchmark("BM_AbslHot", BM_AbslHot)->Arg(n);
    benchmark::RegisterBenchmark("BM_TableMiss", BM_TableMiss)->Arg(n);
    if (n >= 100'000) {
      benchmark::RegisterBenchmark("BM_ReadUnderWrites", BM_ReadUnderWrites)
          ->Arg(n)
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  benchmark::RegisterBenchmark("BM_ReadGuard", BM_ReadGuard);
}

}  // namespace
}  // namespace corsd::table

int main(int argc, char** argv) {
  // --table_max_size=N: skip sizes above N (the quick run uses 1000000).
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    constexpr absl::string_view kFlag = "--table_max_size=";
    const absl::string_view arg(argv[i]);
    if (arg.substr(0, kFlag.size()) == kFlag) {
      corsd::table::g_max_size =
          std::strtoull(argv[i] + kFlag.size(), nullptr, 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  corsd::table::RegisterAll();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
