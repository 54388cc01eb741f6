// bench_domains: Engine::Decide while 100,000 custom domains are under
// verification (the custom-domains issue: "the decision benchmarks unchanged
// within noise with 100k domains under verification").
//
// The decided world, owned by a store::Catalog over the embedded SQLite
// store in a temporary data dir (under /dev/shm by default, so fsync is
// cheap and the verifier writes as fast as it can; --data_parent=DIR puts it
// elsewhere): 1,000 tenants x 1,000 origins (plus one wildcard and one API
// host per tenant, the realistic policy of bench_decision), written through
// Catalog::PutTenant / WriteEntries, and 100,000 custom domains (DNS proof,
// 100 per tenant) added one by one with Catalog::AddDomain (one durable
// commit each; the time is the context key domains_setup_s).
//
// Its verifier (verify::Verifier, 16 workers) asks a real dnsmasq on
// loopback (dns::testing::DnsServer) through dns::CaresResolver; every
// challenge name is NXDOMAIN, so every attempt fails fast, and the
// Catalog's lifecycle retries after 1 ms doubling to 10 ms: all 100k domains
// stay due and the verifier works flat out, each attempt one durable store
// write (SQLite commit with fsync) applied to the Catalog, table, registry
// and epochs the decisions read. That is the worst case for the decision
// path.
//
// The control world (--apart=0 leaves it out) is built the same way with
// its own store, Catalog, table, registry, EpochManager and dnsmasq. Its
// verifier does the same work on the same CPU but shares nothing the
// decisions read: a slowdown it causes too is the machine's (the other
// vCPU busy: shared caches, memory, the host), not corsd's.
//
// Benchmarks, registered interleaved so a slow minute of the shared machine
// hits every arm alike (P = --pairs, default 5): for p in 1..P, for each
// case, its runs with no verifier, the decided world's, the control's:
//   BM_DecideActual/verifier_{off,on,apart}/pair:p   allowed GET, exact
//                                                    entry
//   BM_DecideRefused/verifier_{off,on,apart}/pair:p  origin not in the table
//   BM_DecideByHost/verifier_{off,on,apart}/pair:p   tenant from the Host
// A run starts a fresh Verifier of its arm before its timing starts (after
// stopping the other, then waiting --warmup_ms for it to be busy). Each
// iteration opens its own EpochManager::ReadGuard and decides, as in
// bench_decision (same requests, same policy). bench/domains_summary.py
// turns the JSON report into the medians of the paired ratios.
//
// Pinning (2+ CPUs allowed): the benchmark thread runs on --decide_cpu
// (default 0); setup, dnsmasq and every verifier thread on --verifier_cpu
// (default 1): threads inherit the affinity of the thread that creates them,
// so the main thread moves to the verifier CPU while it starts them. The
// context key "pinned" says whether this was done.
//
// Counters of every run:
//   allocs_per_op     heap allocations of the benchmark thread only, per
//                     decision (a thread-local count: the verifier threads
//                     allocate all the time and must not be counted); 0.
//   all_allocs_per_s  allocations of every thread, per second of the run.
//   attempts_per_s    attempts the running verifier finished, per second of
//                     the run (0 with none).
//   writes_per_s      store revisions its Catalog applied per second of the
//                     run (each attempt's outcome is one durable write).
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "corsd/v1/admin.pb.h"
#include "service/decision/engine.h"
#include "service/dns/cares_resolver.h"
#include "service/dns/testing/dns_server.h"
#include "service/domain/domain_lifecycle.h"
#include "service/policy/policy_registry.h"
#include "service/store/catalog.h"
#include "service/store/sqlite_store.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"
#include "service/verify/verifier.h"

// ---- Allocation counting -------------------------------------------------
// corsd_alloc_counter counts every thread's allocations in one number; here
// the verifier allocates on other threads during the measured loop, so this
// binary replaces the global operator new itself with a count per thread
// (and one for all threads). Process-wide by nature, like the library's.
namespace {
// Plain thread-local: read and written only by its own thread.
thread_local uint64_t t_allocations = 0;
// Relaxed: an event count; only two readings are compared.
std::atomic<uint64_t> g_allocations{0};

void* CountedAlloc(std::size_t size) {
  ++t_allocations;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

void* CountedAlignedAlloc(std::size_t size, std::align_val_t align) {
  ++t_allocations;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t a = static_cast<std::size_t>(align);
  void* p = nullptr;
  if (posix_memalign(&p, a < sizeof(void*) ? sizeof(void*) : a,
                     size == 0 ? 1 : size) != 0) {
    return nullptr;
  }
  return p;
}
}  // namespace

// Out of line, so GCC does not see free() applied to operator new's result.
__attribute__((noinline)) void* operator new(std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new[](std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new(std::size_t size,
                                             const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
__attribute__((noinline)) void* operator new[](std::size_t size,
                                               const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
__attribute__((noinline)) void* operator new(std::size_t size,
                                             std::align_val_t align) {
  if (void* p = CountedAlignedAlloc(size, align)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void* operator new[](std::size_t size,
                                               std::align_val_t align) {
  if (void* p = CountedAlignedAlloc(size, align)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p,
                                                 std::size_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p,
                                               std::align_val_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p,
                                                 std::align_val_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t,
                                               std::align_val_t) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete[](void* p, std::size_t,
                                                 std::align_val_t) noexcept {
  std::free(p);
}

namespace corsd::bench {
namespace {

// The world's shape and the run's plan (flags of this binary).
struct Config {
  int tenants = 1000;
  int origins_per_tenant = 1000;
  int domains = 100000;
  int pairs = 5;
  std::string data_parent = "/dev/shm";
  int decide_cpu = 0;
  int verifier_cpu = 1;
  int warmup_ms = 100;
  int concurrency = 16;
  // Build the control world and run the verifier_apart arm.
  int apart = 1;
};

std::string TenantName(int t) { return absl::StrCat("tenant-", t); }
std::string OriginOf(int t, int i) {
  return absl::StrCat("https://shop", i, ".customer", t, ".example.com");
}
std::string ApiHostOf(int t) { return absl::StrCat("api.t", t, ".test"); }
// Under .test: dnsmasq answers NXDOMAIN for every challenge name.
std::string DomainOf(int j, int t) {
  return absl::StrCat("d", j, ".customer", t, ".test");
}

// `s` with `what` in front of its message.
absl::Status Context(absl::string_view what, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

// Pins the calling thread to `cpu`; threads it creates afterwards inherit it.
bool PinThisThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// Whether both CPUs are distinct and allowed to the calling thread. Call it
// before pinning anything: it reads the calling thread's own mask.
bool CanPin(const Config& c) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return false;
  return c.decide_cpu != c.verifier_cpu && c.decide_cpu >= 0 &&
         c.verifier_cpu >= 0 && c.decide_cpu < CPU_SETSIZE &&
         c.verifier_cpu < CPU_SETSIZE && CPU_ISSET(c.decide_cpu, &set) &&
         CPU_ISSET(c.verifier_cpu, &set);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

corsd::v1::Policy RealisticPolicy() {
  corsd::v1::Policy p;
  for (const char* m : {"PUT", "PATCH", "DELETE"}) p.add_allowed_methods(m);
  for (const char* h :
       {"authorization", "x-request-id", "x-api-key", "x-client-version"}) {
    p.add_allowed_headers(h);
  }
  for (const char* h : {"x-request-id", "x-ratelimit-remaining", "link"}) {
    p.add_exposed_headers(h);
  }
  p.set_allow_credentials(true);
  p.set_max_age_seconds(7200);
  p.set_enforce_websocket_origin(true);
  p.set_enforce_unsafe_methods(true);
  p.set_custom_domain_origins(true);
  return p;
}

corsd::v1::EntryOp AddOp(corsd::v1::EntryKind kind, const std::string& tenant,
                         const std::string& value) {
  corsd::v1::EntryOp op;
  op.set_op(corsd::v1::EntryOp::OP_ADD);
  op.set_kind(kind);
  op.set_tenant(tenant);
  op.set_value(value);
  return op;
}

// Thread safety: built and used by the main thread only (the benchmark
// thread); the verifier's threads reach only the Catalog and the resolver.
class World {
 public:
  // `pin`: move threads between config.decide_cpu and config.verifier_cpu
  // (CanPin, asked once before any World pinned the main thread).
  World(const Config& config, bool pin)
      : config_(config),
        pinned_(pin),
        table_(&epochs_),
        registry_(&epochs_),
        engine_(&table_, &registry_) {}

  ~World() {
    SetVerifier(false);
    resolver_.reset();
    dns_.reset();
    catalog_.reset();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  // Builds everything on the verifier CPU (the SQLite fold thread and
  // dnsmasq inherit it), then moves the calling thread to the decide CPU.
  // Errors: the first failing step's, prefixed with what it was; the
  // destructor removes what was made.
  absl::Status Build() {
    if (pinned_) PinThisThread(config_.verifier_cpu);
    std::string templ = config_.data_parent + "/corsd_domains_bench.XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("mkdtemp ", templ, ": ", std::strerror(errno)));
    }
    dir_ = templ;

    auto dns = dns::testing::DnsServer::Start(dir_ + "/dns");
    if (!dns.ok()) return Context("starting dnsmasq", dns.status());
    dns_ = *std::move(dns);
    dns::CaresOptions resolver_options;
    resolver_options.server = dns_->Address();
    resolver_options.timeout = absl::Seconds(2);
    auto resolver = dns::CaresResolver::Create(resolver_options);
    if (!resolver.ok()) return Context("resolver", resolver.status());
    resolver_ = *std::move(resolver);

    auto store = store::SqliteStore::Open(dir_ + "/store");
    if (!store.ok()) return Context("opening the store", store.status());
    store::CatalogOptions options;
    // Worst case: a failed attempt is retried after 1 ms, doubling to 10 ms,
    // so every domain stays due and the verifier never idles.
    options.lifecycle.first_retry = absl::Milliseconds(1);
    options.lifecycle.max_retry = absl::Milliseconds(10);
    const size_t per_tenant =
        static_cast<size_t>(config_.domains / config_.tenants + 1);
    if (per_tenant > options.max_domains_per_tenant) {
      options.max_domains_per_tenant = per_tenant;
    }
    auto catalog = store::Catalog::Open(*std::move(store), &epochs_, &table_,
                                        &registry_, std::move(options));
    if (!catalog.ok()) {
      return Context("opening the catalog", catalog.status());
    }
    catalog_ = *std::move(catalog);

    auto t0 = std::chrono::steady_clock::now();
    const corsd::v1::Policy policy = RealisticPolicy();
    for (int t = 0; t < config_.tenants; ++t) {
      corsd::v1::PutTenantRequest put;
      put.mutable_tenant()->set_id(TenantName(t));
      *put.mutable_tenant()->mutable_policy() = policy;
      auto r = catalog_->PutTenant(put);
      if (!r.ok()) return Context("PutTenant", r.status());
    }
    setup_tenants_s_ = SecondsSince(t0);

    t0 = std::chrono::steady_clock::now();
    // Batches below the SQLite store's fold threshold go straight to its
    // entries table. A larger one is stored pending and folded by a
    // background thread, and while anything is pending every commit is
    // appended to the pending table too: with the verifier committing
    // thousands of times a second from the start, a fold left running by
    // the setup would make the writes a different, slower kind (measured
    // with 100k-op batches: the world built last, whose fold had just
    // started, verified at under half the rate of the first).
    const int batch_ops =
        static_cast<int>(store::SqliteStoreOptions().fold_threshold) - 1;
    corsd::v1::WriteEntriesRequest write;
    auto flush = [&]() -> absl::Status {
      if (write.ops_size() == 0) return absl::OkStatus();
      auto r = catalog_->WriteEntries(write);
      write.clear_ops();
      return r.ok() ? absl::OkStatus() : Context("WriteEntries", r.status());
    };
    auto add = [&](corsd::v1::EntryKind kind, const std::string& tenant,
                   const std::string& value) -> absl::Status {
      *write.add_ops() = AddOp(kind, tenant, value);
      return write.ops_size() < batch_ops ? absl::OkStatus() : flush();
    };
    for (int t = 0; t < config_.tenants; ++t) {
      const std::string name = TenantName(t);
      absl::Status s = add(corsd::v1::ENTRY_KIND_WILDCARD, name,
                           absl::StrCat("https://*.tenant", t, ".example.net"));
      if (s.ok()) s = add(corsd::v1::ENTRY_KIND_API_HOST, name, ApiHostOf(t));
      for (int i = 0; s.ok() && i < config_.origins_per_tenant; ++i) {
        s = add(corsd::v1::ENTRY_KIND_ORIGIN, name, OriginOf(t, i));
      }
      if (!s.ok()) return s;
    }
    if (absl::Status s = flush(); !s.ok()) return s;
    setup_origins_s_ = SecondsSince(t0);

    t0 = std::chrono::steady_clock::now();
    auto last = t0;
    for (int j = 0; j < config_.domains; ++j) {
      const int t = j % config_.tenants;
      corsd::v1::AddDomainRequest add;
      add.set_tenant(TenantName(t));
      add.set_host(DomainOf(j, t));
      add.set_method(corsd::v1::DOMAIN_METHOD_DNS);
      auto r = catalog_->AddDomain(add);
      if (!r.ok()) return Context("AddDomain", r.status());
      if (SecondsSince(last) >= 10) {
        last = std::chrono::steady_clock::now();
        std::fprintf(stderr, "bench_domains: %d domains added in %.1f s\n",
                     j + 1, SecondsSince(t0));
      }
    }
    setup_domains_s_ = SecondsSince(t0);
    std::fprintf(stderr,
                 "bench_domains: %d tenants %.1f s, %d origins %.1f s, %d "
                 "domains %.1f s (%.0f AddDomain/s) in %s\n",
                 config_.tenants, setup_tenants_s_,
                 config_.tenants * config_.origins_per_tenant, setup_origins_s_,
                 config_.domains, setup_domains_s_,
                 config_.domains / std::max(setup_domains_s_, 1e-9),
                 dir_.c_str());
    if (pinned_) PinThisThread(config_.decide_cpu);
    return absl::OkStatus();
  }

  // Starts a fresh verifier (its threads on the verifier CPU) and lets it
  // get busy, or stops it. A Verifier starts once, so each "on" arm has its
  // own.
  void SetVerifier(bool on) {
    if (on == (verifier_ != nullptr)) return;
    if (!on) {
      verifier_->Stop();
      for (int o = 0; o < verify::Verifier::kOutcomes; ++o) {
        for (int m = 0; m < verify::Verifier::kMethods; ++m) {
          outcomes_[o] += verifier_->Attempts(m, o);
        }
      }
      verifier_.reset();
      return;
    }
    verify::VerifierOptions options;
    options.concurrency = config_.concurrency;
    verifier_ = std::make_unique<verify::Verifier>(
        catalog_.get(), resolver_.get(), std::move(options));
    if (pinned_) PinThisThread(config_.verifier_cpu);
    verifier_->Start();
    if (pinned_) PinThisThread(config_.decide_cpu);
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.warmup_ms));
  }

  // Attempts the current verifier finished (0 when stopped).
  uint64_t Attempts() const {
    if (verifier_ == nullptr) return 0;
    uint64_t n = 0;
    for (int m = 0; m < verify::Verifier::kMethods; ++m) {
      for (int o = 0; o < verify::Verifier::kOutcomes; ++o) {
        n += verifier_->Attempts(m, o);
      }
    }
    return n;
  }

  // Attempts of the verifiers stopped so far, by outcome name ("NXDOMAIN
  // 1200, TIMEOUT 3").
  std::string OutcomeCounts() const {
    std::string out;
    for (int o = 0; o < verify::Verifier::kOutcomes; ++o) {
      if (outcomes_[o] == 0) continue;
      absl::StrAppend(&out, out.empty() ? "" : ", ",
                      domain::OutcomeName(
                          static_cast<corsd::v1::DomainAttempt::Outcome>(o)),
                      " ", outcomes_[o]);
    }
    return out.empty() ? "none" : out;
  }

  table::EpochManager* epochs() { return &epochs_; }
  const decision::Engine& engine() const { return engine_; }
  store::Catalog& catalog() { return *catalog_; }
  const Config& config() const { return config_; }
  bool pinned() const { return pinned_; }
  double setup_domains_s() const { return setup_domains_s_; }
  double setup_origins_s() const { return setup_origins_s_; }
  double setup_tenants_s() const { return setup_tenants_s_; }
  const std::string& dir() const { return dir_; }

 private:
  const Config config_;
  const bool pinned_;
  std::string dir_;
  double setup_tenants_s_ = 0;
  double setup_origins_s_ = 0;
  double setup_domains_s_ = 0;
  // Declaration order is destruction order reversed: the verifier goes
  // first, the epochs last.
  table::EpochManager epochs_;
  table::OriginTable table_;
  policy::PolicyRegistry registry_;
  decision::Engine engine_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<dns::testing::DnsServer> dns_;
  std::unique_ptr<dns::CaresResolver> resolver_;
  std::unique_ptr<verify::Verifier> verifier_;
  // Attempts of every stopped verifier, by DomainAttempt.Outcome number.
  uint64_t outcomes_[verify::Verifier::kOutcomes] = {};
};

// One decision benchmark: the tenant, the request's Origin and Host, and
// the reason it must give (a wrong, fast answer fails the run). The request
// views these strings: a Case must not move once registered.
struct Case {
  std::string name;  // "BM_DecideActual"
  std::string tenant;
  std::string origin;
  std::string host;
  decision::Reason expected;
};

// An allowed-looking credentialed GET (as bench_decision's), viewing
// `origin` and `host`.
decision::Request Actual(const std::string& origin, const std::string& host) {
  decision::Request r;
  r.method = "GET";
  r.scheme = "https";
  r.host = host;
  r.path = "/v1/orders?page=2";
  r.origin = origin;
  r.has_origin = true;
  r.credentials = true;
  return r;
}

// Which verifier runs during a benchmark.
enum class Arm {
  kOff,    // none
  kOn,     // the decided world's own: writes its Catalog, table, epochs
  kApart,  // the control world's: the same work on this machine, sharing
           // nothing with the decided world but the process and the CPUs
};

absl::string_view ArmName(Arm arm) {
  switch (arm) {
    case Arm::kOff:
      return "verifier_off";
    case Arm::kOn:
      return "verifier_on";
    case Arm::kApart:
      return "verifier_apart";
  }
  return "";
}

// Decides `c` on `home`'s engine with the verifier of `arm` running.
// `apart` is null when the control is off.
void RunDecide(benchmark::State& state, World* home, World* apart, Arm arm,
               const Case* c) {
  // Stop first, so two verifiers never run at once.
  if (arm != Arm::kOn) home->SetVerifier(false);
  if (apart != nullptr && arm != Arm::kApart) apart->SetVerifier(false);
  if (arm == Arm::kOn) home->SetVerifier(true);
  if (arm == Arm::kApart) apart->SetVerifier(true);
  World* busy = arm == Arm::kApart ? apart : home;

  const decision::Request request = Actual(c->origin, c->host);
  decision::Decision d;
  {
    table::EpochManager::ReadGuard guard(home->epochs());
    home->engine().Decide(c->tenant, request, &d);
    if (d.reason != c->expected) {
      state.SkipWithError(
          absl::StrCat("unexpected reason ", decision::ReasonName(d.reason))
              .c_str());
      return;
    }
  }
  const uint64_t attempts0 = busy->Attempts();
  const uint64_t revision0 = busy->catalog().AppliedRevision();
  const uint64_t all0 = g_allocations.load(std::memory_order_relaxed);
  const uint64_t mine0 = t_allocations;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    table::EpochManager::ReadGuard guard(home->epochs());
    home->engine().Decide(c->tenant, request, &d);
    benchmark::DoNotOptimize(d.header_count);
    benchmark::DoNotOptimize(d.headers[0].value.data());
  }
  const double seconds = SecondsSince(t0);
  const uint64_t mine = t_allocations - mine0;
  const uint64_t all = g_allocations.load(std::memory_order_relaxed) - all0;
  const uint64_t attempts = busy->Attempts() - attempts0;
  const uint64_t writes = busy->catalog().AppliedRevision() - revision0;
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(mine), benchmark::Counter::kAvgIterations);
  state.counters["all_allocs_per_s"] = static_cast<double>(all) / seconds;
  state.counters["attempts_per_s"] = static_cast<double>(attempts) / seconds;
  state.counters["writes_per_s"] = static_cast<double>(writes) / seconds;
}

// Parses --name=value flags of this binary out of argv (the rest are left
// for Google Benchmark). Exits with status 2 on a malformed value.
Config ParseFlags(int* argc, char** argv) {
  Config c;
  struct IntFlag {
    absl::string_view name;
    int* value;
  };
  const IntFlag ints[] = {
      {"--tenants=", &c.tenants},
      {"--origins_per_tenant=", &c.origins_per_tenant},
      {"--domains=", &c.domains},
      {"--pairs=", &c.pairs},
      {"--decide_cpu=", &c.decide_cpu},
      {"--verifier_cpu=", &c.verifier_cpu},
      {"--warmup_ms=", &c.warmup_ms},
      {"--concurrency=", &c.concurrency},
      {"--apart=", &c.apart},
  };
  constexpr absl::string_view kParent = "--data_parent=";
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const absl::string_view arg(argv[i]);
    bool mine = false;
    for (const IntFlag& f : ints) {
      if (arg.substr(0, f.name.size()) != f.name) continue;
      mine = true;
      if (!absl::SimpleAtoi(arg.substr(f.name.size()), f.value)) {
        std::fprintf(stderr, "bench_domains: %s: expected an integer\n",
                     argv[i]);
        std::exit(2);
      }
    }
    if (arg.substr(0, kParent.size()) == kParent) {
      mine = true;
      c.data_parent = std::string(arg.substr(kParent.size()));
    }
    if (!mine) argv[out++] = argv[i];
  }
  *argc = out;
  if (c.tenants < 2 || c.origins_per_tenant < 1 || c.domains < 0 ||
      c.pairs < 1 || c.concurrency < 1 || c.warmup_ms < 0) {
    std::fprintf(stderr,
                 "bench_domains: expected --tenants >= 2, "
                 "--origins_per_tenant >= 1, --domains >= 0, --pairs >= 1, "
                 "--concurrency >= 1, --warmup_ms >= 0\n");
    std::exit(2);
  }
  return c;
}

// Prints `w`'s domains by state and its revision to stderr.
void PrintDomainStates(absl::string_view label, World& w) {
  const store::DomainCounts n = w.catalog().CountDomains();
  std::fprintf(
      stderr,
      "bench_domains: %s world after the runs: pending %llu, verified %llu, "
      "failing %llu, suspended %llu domains; revision %llu; attempts by "
      "outcome: %s\n",
      std::string(label).c_str(),
      static_cast<unsigned long long>(
          n.by_state[corsd::v1::DOMAIN_STATE_PENDING]),
      static_cast<unsigned long long>(
          n.by_state[corsd::v1::DOMAIN_STATE_VERIFIED]),
      static_cast<unsigned long long>(
          n.by_state[corsd::v1::DOMAIN_STATE_FAILING]),
      static_cast<unsigned long long>(
          n.by_state[corsd::v1::DOMAIN_STATE_SUSPENDED]),
      static_cast<unsigned long long>(w.catalog().AppliedRevision()),
      w.OutcomeCounts().c_str());
}

int Main(int argc, char** argv) {
  const Config config = ParseFlags(&argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const bool pin = CanPin(config);
  auto home = std::make_unique<World>(config, pin);
  if (absl::Status s = home->Build(); !s.ok()) {
    std::fprintf(stderr, "bench_domains: setup: %s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<World> apart;
  if (config.apart) {
    apart = std::make_unique<World>(config, pin);
    if (absl::Status s = apart->Build(); !s.ok()) {
      std::fprintf(stderr, "bench_domains: control setup: %s\n",
                   s.ToString().c_str());
      return 1;
    }
  }

  const int t = config.tenants / 2;
  const int i = config.origins_per_tenant * 777 / 1000;
  const std::string host = ApiHostOf(t);
  // Not modified after registration (the requests view its strings).
  const std::vector<Case> cases = {
      {"BM_DecideActual", TenantName(t), OriginOf(t, i), host,
       decision::Reason::kR2OriginAllowed},
      {"BM_DecideRefused", TenantName(t), OriginOf(t + 1, i), host,
       decision::Reason::kR2OriginNotAllowed},
      {"BM_DecideByHost", "", OriginOf(t, i), host,
       decision::Reason::kR2OriginAllowed},
  };
  std::vector<Arm> arms = {Arm::kOff, Arm::kOn};
  if (apart != nullptr) arms.push_back(Arm::kApart);
  for (int p = 1; p <= config.pairs; ++p) {
    for (const Case& c : cases) {
      for (Arm arm : arms) {
        benchmark::RegisterBenchmark(
            absl::StrCat(c.name, "/", ArmName(arm), "/pair:", p).c_str(),
            RunDecide, home.get(), apart.get(), arm, &c);
      }
    }
  }

  const store::DomainCounts counts = home->catalog().CountDomains();
  uint64_t domains = 0;
  for (uint64_t n : counts.by_state) domains += n;
  benchmark::AddCustomContext("domains", absl::StrCat(domains));
  benchmark::AddCustomContext(
      "origins",
      absl::StrCat(int64_t{config.tenants} * config.origins_per_tenant));
  benchmark::AddCustomContext("tenants", absl::StrCat(config.tenants));
  benchmark::AddCustomContext("pairs", absl::StrCat(config.pairs));
  benchmark::AddCustomContext("apart", apart != nullptr ? "1" : "0");
  benchmark::AddCustomContext("pinned", home->pinned() ? "1" : "0");
  benchmark::AddCustomContext("data_dir", home->dir());
  benchmark::AddCustomContext("verifier_concurrency",
                              absl::StrCat(config.concurrency));
  benchmark::AddCustomContext("domains_setup_s",
                              absl::StrCat(home->setup_domains_s()));
  benchmark::AddCustomContext("origins_setup_s",
                              absl::StrCat(home->setup_origins_s()));
  benchmark::AddCustomContext("tenants_setup_s",
                              absl::StrCat(home->setup_tenants_s()));

  benchmark::RunSpecifiedBenchmarks();
  home->SetVerifier(false);
  PrintDomainStates("decided", *home);
  if (apart != nullptr) {
    apart->SetVerifier(false);
    PrintDomainStates("control", *apart);
  }
  benchmark::Shutdown();
  apart.reset();
  home.reset();
  return 0;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) { return corsd::bench::Main(argc, argv); }
