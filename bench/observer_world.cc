#include "bench/observer_world.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/policy/policy.h"

namespace corsd::bench {

std::string TenantName(int t) { return absl::StrCat("tenant-", t); }

std::string OriginOf(int t, int i) {
  return absl::StrCat("https://shop", i, ".customer", t, ".example.com");
}

void Die(absl::string_view what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name,
               std::string(what).c_str());
  std::exit(1);
}

bool PinThisThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

bool CanPin(int decide_cpu, int other_cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return false;
  return decide_cpu != other_cpu && decide_cpu >= 0 && other_cpu >= 0 &&
         decide_cpu < CPU_SETSIZE && other_cpu < CPU_SETSIZE &&
         CPU_ISSET(decide_cpu, &set) && CPU_ISSET(other_cpu, &set);
}

decision::Request Actual(const std::string& origin) {
  decision::Request r;
  r.method = "GET";
  r.scheme = "https";
  r.host = "api.t500.test";
  r.path = "/v1/orders?page=2";
  r.origin = origin;
  r.has_origin = true;
  r.credentials = true;
  return r;
}

World::World()
    : table_(&epochs_), registry_(&epochs_), engine_(&table_, &registry_) {
  using K = table::Op::Kind;
  std::vector<table::Op> ops;
  ops.reserve(kTenants * (kOriginsPerTenant + 3));
  for (int t = 0; t < kTenants; ++t) {
    const std::string name = TenantName(t);
    ops.push_back({K::kAddTenant, name, ""});
    ops.push_back({K::kAddWildcard, name,
                   absl::StrCat("https://*.tenant", t, ".example.net")});
    ops.push_back({K::kAddApiHost, name, absl::StrCat("api.t", t, ".test")});
    for (int i = 0; i < kOriginsPerTenant; ++i) {
      ops.push_back({K::kAddOrigin, name, OriginOf(t, i)});
    }
  }
  if (absl::Status s = table_.BulkLoad(ops).status(); !s.ok()) {
    Die(s.ToString());
  }
  policy::Policy p;
  p.allowed_methods = {"PUT", "PATCH", "DELETE"};
  p.allowed_headers = {"authorization", "x-request-id", "x-api-key",
                       "x-client-version"};
  p.exposed_headers = {"x-request-id", "x-ratelimit-remaining", "link"};
  p.allow_credentials = true;
  p.max_age_seconds = 7200;
  p.enforce_unsafe_methods = true;
  table::EpochManager::ReadGuard guard(&epochs_);
  for (int t = 0; t < kTenants; ++t) {
    auto compiled = policy::Validate(p);
    if (!compiled.ok()) Die(compiled.status().ToString());
    if (absl::Status s = registry_.Set(table_.FindTenant(TenantName(t)),
                                       *std::move(compiled));
        !s.ok()) {
      Die(s.ToString());
    }
  }
}

}  // namespace corsd::bench
