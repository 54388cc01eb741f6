// corsd_load: the load generator and dataset loader of the service
// benchmarks (bench/README.md).
//
//   corsd_load run  --addr=HOST:PORT --target=decide|check|stream
//                   [--channels=4 --inflight=16 --threads=1 --rate=0
//                    --warmup=1 --duration=5 --batch=100
//                    --origins=1000 --tenants=0 --pool=65536 --seed=1]
//   corsd_load load --admin=HOST:PORT --token-file=FILE
//                   [--origins=1000 --tenants=0 --chunk=50000]
//   corsd_load stats --admin=HOST:PORT --token-file=FILE
//   corsd_load origin --index=J [--origins=1000 --tenants=0]
//
// `run` pre-generates --pool requests of the dataset's traffic mix
// (dataset.h), drives the target (driver.h) and prints one JSON object on
// stdout:
//   {"target", "mode": "closed"|"open", "offered_qps" (0 in closed loop),
//    "qps" (requests/s; stream: batches/s), "decisions_per_s", "requests",
//    "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "mean_us",
//    "send_lag_p50_us", "send_lag_p99_us" (open loop; 0 in closed loop),
//    "errors_total", "errors": {"UNAVAILABLE": n, ...}, "unsent",
//    "bad_responses", "outcomes": {"REASON_...": n} or {"ok", "denied"},
//    "channels", "inflight", "threads", "batch", "origins", "tenants",
//    "duration_s", "warmup_s",
//    "client_cpu": this process's CPU use during the run, in cores}
// `load` imports the dataset through Admin.Import (loader.h) and prints
//   {"tenants", "origins", "revision", "seconds", "origins_per_s"}.
// `stats` prints Admin.Stats' counts:
//   {"tenants", "origins", "wildcards", "api_hosts", "revision",
//    "table_bytes"}.
// `origin` prints the dataset's origin number J and the tenant that holds it,
// for load generators that send HTTP themselves (bench/run's /auth runs):
//   {"origin": "https://...", "tenant": "tenant-000042", "host": "..."}.
// --tenants=0 means DefaultTenants(--origins). Flag names may be spelled
// with '-' for '_' (--token-file). Exit status: 0 on success
// (errors during a run are reported in the JSON, not in the exit status),
// 1 when the run or load could not be done (message on stderr), 2 on bad
// usage.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "bench/load/dataset.h"
#include "bench/load/driver.h"
#include "bench/load/loader.h"
#include "bench/load/requests.h"

ABSL_FLAG(std::string, addr, "127.0.0.1:7700", "decision listener HOST:PORT");
ABSL_FLAG(std::string, target, "decide", "decide, check or stream");
ABSL_FLAG(int, channels, 4, "gRPC channels (one connection each)");
ABSL_FLAG(int, inflight, 16, "RPCs (stream: streams) in flight per channel");
ABSL_FLAG(int, threads, 1, "client threads, each with its own CQ");
ABSL_FLAG(double, rate, 0, "offered requests/s (open loop); 0: closed loop");
ABSL_FLAG(double, warmup, 1, "warmup seconds (not measured)");
ABSL_FLAG(double, duration, 5, "measured seconds");
ABSL_FLAG(int, batch, 100, "stream: requests per batch (1..1000)");
ABSL_FLAG(uint64_t, origins, 1000, "dataset size in origins");
ABSL_FLAG(uint32_t, tenants, 0, "dataset tenants; 0: origins/10, <= 100000");
ABSL_FLAG(int, pool, 65536, "requests pre-generated (cycled)");
ABSL_FLAG(uint64_t, seed, 1, "traffic and arrival seed");
ABSL_FLAG(std::string, admin, "127.0.0.1:7701", "load: admin HOST:PORT");
ABSL_FLAG(std::string, token_file, "",
          "load: file whose first line is the "
          "admin bearer token");
ABSL_FLAG(uint64_t, index, 0, "origin: the origin's index (< --origins)");
ABSL_FLAG(int, chunk, 50000, "load: items per Import chunk (1..100000)");

namespace corsd::bench {
namespace {

constexpr const char* kCodeNames[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "corsd_load: %s\n", s.ToString().c_str());
  return 1;
}

absl::StatusOr<DatasetSpec> Spec() {
  DatasetSpec spec;
  spec.origins = absl::GetFlag(FLAGS_origins);
  spec.tenants = absl::GetFlag(FLAGS_tenants);
  if (spec.tenants == 0) spec.tenants = DefaultTenants(spec.origins);
  if (absl::Status s = ValidateDatasetSpec(spec); !s.ok()) return s;
  return spec;
}

absl::StatusOr<Target> ParseTarget(absl::string_view name) {
  if (name == "decide") return Target::kDecide;
  if (name == "check") return Target::kCheck;
  if (name == "stream") return Target::kStream;
  return absl::InvalidArgumentError(absl::StrCat(
      "target = \"", name, "\": expected decide, check or stream"));
}

// Builds the pool for `target` only: the timed phase allocates nothing here.
absl::StatusOr<RequestPool> BuildPool(Target target, const DatasetSpec& spec,
                                      int size, int batch, uint64_t seed) {
  if (size < 1 || size > 10'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("pool = ", size, ": expected 1..10000000"));
  }
  if (batch < 1 || batch > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch = ", batch, ": expected 1..1000"));
  }
  const std::vector<TrafficItem> traffic =
      GenerateTraffic(spec, TrafficMix{}, size, seed);
  RequestPool pool;
  switch (target) {
    case Target::kDecide:
      pool.decide.resize(traffic.size());
      for (size_t i = 0; i < traffic.size(); ++i) {
        FillDecideRequest(traffic[i], i, &pool.decide[i]);
      }
      break;
    case Target::kCheck:
      pool.check.resize(traffic.size());
      for (size_t i = 0; i < traffic.size(); ++i) {
        FillCheckRequest(traffic[i], &pool.check[i]);
      }
      break;
    case Target::kStream:
      pool.batches.resize((traffic.size() + batch - 1) / batch);
      for (size_t i = 0; i < traffic.size(); ++i) {
        FillDecideRequest(traffic[i], i,
                          pool.batches[i / batch].add_requests());
      }
      // Every batch has exactly `batch` requests: top up the last one.
      for (size_t i = traffic.size(); i % batch != 0; ++i) {
        FillDecideRequest(traffic[i % traffic.size()], i,
                          pool.batches.back().add_requests());
      }
      break;
  }
  return pool;
}

// CPU seconds (user + system) this process has used so far.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

std::string Us(uint64_t ns) { return absl::StrFormat("%.1f", ns / 1000.0); }

std::string ResultJson(const LoadOptions& o, const LoadResult& r,
                       const DatasetSpec& spec, int batch,
                       absl::string_view target, double client_cpu) {
  std::vector<std::string> errors;
  for (size_t i = 0; i < r.errors.size(); ++i) {
    if (r.errors[i]) {
      errors.push_back(absl::StrCat("\"", kCodeNames[i], "\": ", r.errors[i]));
    }
  }
  std::vector<std::string> outcomes;
  for (size_t i = 0; i < r.outcomes.size(); ++i) {
    if (!r.outcomes[i]) continue;
    std::string name;
    if (o.target == Target::kCheck) {
      name = i == 0 ? "ok" : "denied";
    } else if (corsd::v1::Reason_IsValid(static_cast<int>(i))) {
      name = corsd::v1::Reason_Name(static_cast<corsd::v1::Reason>(i));
    } else {
      name = absl::StrCat("reason_", i);
    }
    outcomes.push_back(absl::StrCat("\"", name, "\": ", r.outcomes[i]));
  }
  const LatencyHistogram& h = r.latency;
  return absl::StrCat(
      "{\"target\": \"", target, "\", \"mode\": \"",
      o.rate > 0 ? "open" : "closed",
      "\", \"offered_qps\": ", absl::StrFormat("%.0f", o.rate),
      ", \"qps\": ", absl::StrFormat("%.1f", r.requests / r.seconds),
      ", \"decisions_per_s\": ",
      absl::StrFormat("%.1f", r.decisions / r.seconds),
      ", \"requests\": ", r.requests, ", \"p50_us\": ", Us(h.Quantile(0.5)),
      ", \"p90_us\": ", Us(h.Quantile(0.9)),
      ", \"p99_us\": ", Us(h.Quantile(0.99)),
      ", \"p999_us\": ", Us(h.Quantile(0.999)), ", \"max_us\": ", Us(h.max()),
      ", \"mean_us\": ", absl::StrFormat("%.1f", h.mean() / 1000.0),
      ", \"send_lag_p50_us\": ", Us(r.send_lag.Quantile(0.5)),
      ", \"send_lag_p99_us\": ", Us(r.send_lag.Quantile(0.99)),
      ", \"errors_total\": ", r.errors_total(), ", \"errors\": {",
      absl::StrJoin(errors, ", "), "}, \"unsent\": ", r.unsent,
      ", \"bad_responses\": ", r.bad_responses, ", \"outcomes\": {",
      absl::StrJoin(outcomes, ", "), "}, \"channels\": ", o.channels,
      ", \"inflight\": ", o.inflight, ", \"threads\": ", o.threads,
      ", \"batch\": ", o.target == Target::kStream ? batch : 1,
      ", \"origins\": ", spec.origins, ", \"tenants\": ", spec.tenants,
      ", \"duration_s\": ", absl::ToDoubleSeconds(o.duration),
      ", \"warmup_s\": ", absl::ToDoubleSeconds(o.warmup),
      ", \"client_cpu\": ", absl::StrFormat("%.3f", client_cpu), "}");
}

int Run() {
  absl::StatusOr<DatasetSpec> spec = Spec();
  if (!spec.ok()) return Fail(spec.status());
  absl::StatusOr<Target> target = ParseTarget(absl::GetFlag(FLAGS_target));
  if (!target.ok()) return Fail(target.status());
  LoadOptions o;
  o.addr = absl::GetFlag(FLAGS_addr);
  o.target = *target;
  o.channels = absl::GetFlag(FLAGS_channels);
  o.inflight = absl::GetFlag(FLAGS_inflight);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.rate = absl::GetFlag(FLAGS_rate);
  o.warmup = absl::Seconds(absl::GetFlag(FLAGS_warmup));
  o.duration = absl::Seconds(absl::GetFlag(FLAGS_duration));
  o.seed = absl::GetFlag(FLAGS_seed);
  if (absl::Status s = ValidateLoadOptions(o); !s.ok()) return Fail(s);
  const int batch = absl::GetFlag(FLAGS_batch);
  absl::StatusOr<RequestPool> pool =
      BuildPool(o.target, *spec, absl::GetFlag(FLAGS_pool), batch, o.seed);
  if (!pool.ok()) return Fail(pool.status());
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<LoadResult> result = RunLoad(o, *pool);
  if (!result.ok()) return Fail(result.status());
  const double client_cpu =
      (CpuSeconds() - cpu0) /
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  std::cout << ResultJson(o, *result, *spec, batch, absl::GetFlag(FLAGS_target),
                          client_cpu)
            << std::endl;
  return 0;
}

absl::StatusOr<std::string> ReadToken() {
  const std::string path = absl::GetFlag(FLAGS_token_file);
  std::ifstream in(path);
  std::string token;
  if (path.empty() || !std::getline(in, token)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token_file = \"", path,
        "\": expected a readable file whose first line is the admin token"));
  }
  return std::string(absl::StripAsciiWhitespace(token));
}

int Stats() {
  absl::StatusOr<std::string> token = ReadToken();
  if (!token.ok()) return Fail(token.status());
  absl::StatusOr<corsd::v1::StatsResponse> s =
      FetchStats(absl::GetFlag(FLAGS_admin), *token);
  if (!s.ok()) return Fail(s.status());
  std::cout << absl::StrCat("{\"tenants\": ", s->tenants(),
                            ", \"origins\": ", s->origins(),
                            ", \"wildcards\": ", s->wildcards(),
                            ", \"api_hosts\": ", s->api_hosts(),
                            ", \"revision\": ", s->revision(),
                            ", \"table_bytes\": ", s->table_bytes(), "}")
            << std::endl;
  return 0;
}

int Load() {
  absl::StatusOr<DatasetSpec> spec = Spec();
  if (!spec.ok()) return Fail(spec.status());
  absl::StatusOr<std::string> token = ReadToken();
  if (!token.ok()) return Fail(token.status());
  absl::StatusOr<LoadReport> report = ImportDataset(
      absl::GetFlag(FLAGS_admin), *token, *spec, absl::GetFlag(FLAGS_chunk));
  if (!report.ok()) return Fail(report.status());
  std::cout << absl::StrCat(
                   "{\"tenants\": ", report->tenants,
                   ", \"origins\": ", report->added,
                   ", \"revision\": ", report->revision,
                   ", \"seconds\": ", absl::StrFormat("%.2f", report->seconds),
                   ", \"origins_per_s\": ",
                   absl::StrFormat("%.0f", report->added / report->seconds),
                   "}")
            << std::endl;
  return 0;
}

int Origin() {
  absl::StatusOr<DatasetSpec> spec = Spec();
  if (!spec.ok()) return Fail(spec.status());
  const uint64_t j = absl::GetFlag(FLAGS_index);
  if (j >= spec->origins) {
    std::fprintf(stderr,
                 "corsd_load: --index %llu: expected < --origins %llu\n",
                 static_cast<unsigned long long>(j),
                 static_cast<unsigned long long>(spec->origins));
    return 2;
  }
  const std::string origin = OriginAt(j);
  std::cout << absl::StrCat("{\"origin\": \"", origin, "\", \"tenant\": \"",
                            TenantId(TenantOf(*spec, j)), "\", \"host\": \"",
                            origin.substr(8), "\"}")
            << std::endl;
  return 0;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) {
  // Debian's abseil is built with absl::Mutex deadlock detection on, and
  // gRPC locks absl::Mutex on every call: its lock-graph bookkeeping showed
  // as ~5% of a gRPC process's CPU under perf. The load generator is not
  // what is being debugged; switch it off so the client costs less.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "corsd_load run|load|stats [flags]: drives corsd's Decider/Check under "
      "load "
      "and prints one JSON object, or loads a synthetic dataset through "
      "Admin.Import (bench/README.md)");
  // Flag names are accepted with '-' as well as '_' (--token-file).
  std::vector<std::string> storage(argv, argv + argc);
  std::vector<char*> spelled;
  for (std::string& a : storage) {
    if (a.rfind("--", 0) == 0) {
      const size_t end = std::min(a.find('='), a.size());
      std::replace(a.begin() + 2, a.begin() + end, '-', '_');
    }
    spelled.push_back(a.data());
  }
  std::vector<char*> args =
      absl::ParseCommandLine(static_cast<int>(spelled.size()), spelled.data());
  if (args.size() != 2) {
    std::fprintf(stderr,
                 "usage: corsd_load run|load|stats|origin [flags] (--help)\n");
    return 2;
  }
  const std::string mode = args[1];
  if (mode == "run") return corsd::bench::Run();
  if (mode == "load") return corsd::bench::Load();
  if (mode == "stats") return corsd::bench::Stats();
  if (mode == "origin") return corsd::bench::Origin();
  std::fprintf(stderr,
               "corsd_load: mode \"%s\": expected run, load, stats or origin\n",
               mode.c_str());
  return 2;
}
