// DecisionObserver: the one hook on the shared decision path. RunDecide
// (run_path.h) calls the observer of its DecisionDeps, when there is one,
// once per decision, after the metrics, on the deciding thread and inside
// the caller's EpochManager::ReadGuard. The decision log
// (service/decision_log/) is one; per-tenant views and replay rings may be
// others.
//
// Contract for implementations (the decision path allocates nothing and
// takes no lock, and an observer runs on it):
//   * OnDecision must not block, take a lock that a deciding thread can
//     wait on, make a system call, or allocate on its common path (the
//     decisions it does not keep); whatever it keeps it copies into memory
//     it owns and hands to another thread through a bounded lock-free
//     structure, dropping (and counting) what does not fit.
//   * It may be called from any number of threads at once.
//   * The event's views (door, tenant, request, decision) are valid only
//     during the call: copy what is kept, never keep a pointer.
//   * It must outlive every door that decides with it.
//
// Without an observer (DecisionDeps::observer null) the path pays one
// branch.
#ifndef CORSD_SERVICE_DOOR_DECISION_OBSERVER_H_
#define CORSD_SERVICE_DOOR_DECISION_OBSERVER_H_

#include <chrono>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "service/decision/engine.h"
#include "service/decision/reason.h"

namespace corsd::door {

// One decision as the path saw it. Every view is valid only during
// OnDecision.
struct DecisionEvent {
  // The door that decided: "decide" (Decider gRPC), "ext_authz" (Envoy
  // Check), "http" (/auth, /preflight); "" when the deps name none.
  absl::string_view door;
  // The tenant decided for (Decision::tenant_name): empty when no tenant
  // was found (REASON_UNKNOWN_TENANT and the --unknown-host decisions).
  absl::string_view tenant;
  const decision::Request& request;
  const decision::Decision& decision;
  // The decision id (decision_id.h); 0 when the deps have no id source.
  uint64_t id = 0;
  // Monotonic time from the start of the first Decide to the end of the
  // last (the tenant header fallback decides twice).
  std::chrono::nanoseconds latency{0};
};

class DecisionObserver {
 public:
  virtual ~DecisionObserver() = default;
  // See the file comment for the contract.
  virtual void OnDecision(const DecisionEvent& event) = 0;
};

// Whether a decision refuses the caller something an operator wants to see:
// every reason except those that allow (R1 no Origin: not a CORS request;
// R2 origin or wildcard allowed; R3 public; R6 preflight allowed; R11 null
// origin allowed). Unknown tenants, forwarded refused preflights, R4, and
// any reason added later count as refusals. Pure.
inline bool IsRefusal(decision::Reason reason) {
  using decision::Reason;
  switch (reason) {
    case Reason::kR1NoOrigin:
    case Reason::kR2OriginAllowed:
    case Reason::kR2WildcardAllowed:
    case Reason::kR3Public:
    case Reason::kR6PreflightAllowed:
    case Reason::kR11NullOriginAllowed:
      return false;
    default:
      return true;
  }
}

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_DECISION_OBSERVER_H_
