// The world the decision-observer benchmarks decide in (bench_decision_log,
// bench_tenant_view, bench_whatif): bench_decision's 1,000,000 origins over
// 1,000 tenants, one wildcard and one API host each, the realistic policy
// (credentials, three unsafe methods, four request headers), and the
// request a door decides for an allowed, credentialed GET. Also the pinning
// every one of them does: the benchmark thread on one CPU, the observer's
// background thread on another.
//
// Thread safety: World is built once on one thread, then read by any
// (decisions under an EpochManager::ReadGuard). The functions are pure or
// act on the calling thread only.
#ifndef CORSD_BENCH_OBSERVER_WORLD_H_
#define CORSD_BENCH_OBSERVER_WORLD_H_

#include <string>

#include "absl/strings/string_view.h"
#include "service/decision/engine.h"
#include "service/policy/policy_registry.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::bench {

inline constexpr int kTenants = 1000;
inline constexpr int kOriginsPerTenant = 1000;  // 1M origins in all

// "tenant-T"; origin I of tenant T.
std::string TenantName(int t);
std::string OriginOf(int t, int i);

// Prints "<program>: <what>" on stderr and exits 1.
[[noreturn]] void Die(absl::string_view what);

// Pins the calling thread to `cpu`; false when the kernel refuses.
bool PinThisThread(int cpu);
// True when the process may run on both CPUs and they differ.
bool CanPin(int decide_cpu, int other_cpu);

// An allowed, credentialed GET from `origin` to tenant 500's API host, as
// a door hands it to RunDecide (the views point into `origin`).
decision::Request Actual(const std::string& origin);

class World {
 public:
  // Loads the table and sets every tenant's policy; Die on any error.
  World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  table::EpochManager* epochs() { return &epochs_; }
  const decision::Engine& engine() const { return engine_; }

 private:
  table::EpochManager epochs_;
  table::OriginTable table_;
  policy::PolicyRegistry registry_;
  decision::Engine engine_;
};

}  // namespace corsd::bench

#endif  // CORSD_BENCH_OBSERVER_WORLD_H_
