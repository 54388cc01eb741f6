// The one decision path every front door runs. A door (the Decider gRPC
// service, Envoy ext_authz Check, the HTTP forward-auth endpoints) is a codec:
// it turns its own bytes into a decision::Request plus the places a tenant
// may be named (TenantSources), calls RunDecide, and turns the Decision into
// its own answer. What is common to every door lives here and nowhere else:
// the tenant resolution order, the timing, the metrics, the decision id and
// the observer (decision_observer.h: the decision log). No protobuf, no
// gRPC, no HTTP library: this layer sits between decision/ and the doors.
//
// Tenant resolution order (the same rule for every door):
//   1. TenantSources::named, when not empty: the tenant the gateway's own
//      configuration names (Decider's DecideRequest.tenant, ext_authz
//      context_extensions["tenant"], the HTTP door's /auth/TENANT path).
//   2. Otherwise the tenant whose API host is the request's host.
//   3. When that finds no tenant (REASON_UNKNOWN_TENANT, or
//      REASON_UNKNOWN_HOST_DENIED under --unknown-host=deny) and
//      TenantSources::header is not empty, the tenant named by the configured
//      tenant header (--tenant-header; ext_authz and HTTP). A header can be
//      sent by the client itself, so it never overrides the host. When the
//      header names no tenant either, the second decision stands (the
//      --unknown-host default applies to it).
//
// Thread safety: RunDecide is a pure function of its arguments apart from
// the metrics it records, the id it takes and the observer it calls (all
// safe from any thread). The caller holds an EpochManager::ReadGuard on
// deps.epochs across RunDecide and every use of the Decision (its views
// point into the table and the policy); the observer runs inside it.
#ifndef CORSD_SERVICE_DOOR_RUN_PATH_H_
#define CORSD_SERVICE_DOOR_RUN_PATH_H_

#include <chrono>

#include "absl/strings/string_view.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/door/decision_id.h"
#include "service/door/decision_observer.h"
#include "service/table/epoch.h"

namespace corsd::door {

// What a door decides with. Not owned; all outlive the door. The app
// (service/app/core.h) fills engine, epochs, metrics, ids and observer once;
// each door copies them and sets `door` to its own name.
struct DecisionDeps {
  const decision::Engine* engine = nullptr;      // required
  table::EpochManager* epochs = nullptr;         // required: the table's
  decision::DecisionMetrics* metrics = nullptr;  // optional: null = no count
  // Optional: null = decisions get id 0 ("no id"; doors then send none).
  DecisionIds* ids = nullptr;
  // Optional: null = nothing is observed (one branch).
  DecisionObserver* observer = nullptr;
  // The door's name for observers: "decide", "ext_authz", "http". A view of
  // a string that outlives the door (a literal).
  absl::string_view door = {};
};

// `deps` with `door` as its door name: each door's constructor calls it.
inline DecisionDeps ForDoor(DecisionDeps deps, absl::string_view door) {
  deps.door = door;
  return deps;
}

// What RunDecide tells the door besides the Decision.
struct DecideResult {
  // The tenant string the final decision was asked for (empty when the
  // host decided); Engine::Explain takes it.
  absl::string_view asked;
  // The decision's id (decision_id.h), 0 when deps.ids is null. Doors
  // return it formatted (FormatDecisionId) so gateways can log it.
  uint64_t id = 0;
};

// Where a door found a tenant id; views owned by the caller.
struct TenantSources {
  // Named by the gateway's configuration; empty when the door has none.
  absl::string_view named = {};
  // The configured tenant header's value; empty when absent or off.
  absl::string_view header = {};
};

// Decides `request` for the tenant chosen by the resolution order above and
// returns the tenant string the final decision was asked for and the
// decision's id (a new one from deps.ids per call). Timed with a monotonic
// clock over every attempt, recorded once in deps.metrics (action, reason,
// nanoseconds), then passed to deps.observer with the id and deps.door.
// Allocates nothing and takes no lock (Engine::Decide's contract; the
// observer's contract says the same of it).
//
// `clock`, for batches: when not null, *clock is taken as the time this
// decision started and is set to the time it ended, so a batch reads the
// clock once per decision instead of twice. Ignored without metrics and
// without an observer (nothing is timed then).
DecideResult RunDecide(const DecisionDeps& deps, const TenantSources& tenant,
                       const decision::Request& request,
                       decision::Decision* out,
                       std::chrono::steady_clock::time_point* clock = nullptr);

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_RUN_PATH_H_
