// The decision path shared by the Decider and Authorization handlers:
// corsd.v1 request -> decision::Request (views into the message, no copies,
// limits checked), the timed and counted Engine::Decide call, and
// decision::Decision -> corsd.v1.Decision.
//
// Thread safety: pure functions of their arguments; RunDecide reads the
// engine and records into the metrics, both safe from any thread. Every
// call that reads a Decision must happen under the EpochManager::ReadGuard
// that covered the Decide (the Decision's views point into the table).
#ifndef CORSD_SERVICE_RPC_DECIDE_MAPPING_H_
#define CORSD_SERVICE_RPC_DECIDE_MAPPING_H_

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/decision.pb.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/table/epoch.h"

namespace corsd::rpc {

// What the decision handlers read. Not owned; all outlive the handlers.
struct DecisionDeps {
  const decision::Engine* engine = nullptr;      // required
  table::EpochManager* epochs = nullptr;         // required: the table's
  decision::DecisionMetrics* metrics = nullptr;  // optional: null = no count
};

// Points *out at the fields of `request` (which must outlive *out).
// `field_prefix` names the message in errors ("request",
// "requests[3].request"). Errors: InvalidArgument naming the field, its size
// and the limit when origin exceeds kMaxOriginBytes or any other string
// field exceeds kMaxFieldBytes.
absl::Status ToEngineRequest(const corsd::v1::HttpRequest& request,
                             absl::string_view field_prefix,
                             decision::Request* out);

// Checks DecideRequest.tenant against kMaxFieldBytes (InvalidArgument naming
// `field_prefix`.tenant), then ToEngineRequest on its request.
absl::Status ToEngineRequest(const corsd::v1::DecideRequest& request,
                             absl::string_view field_prefix,
                             decision::Request* out);

// Engine::Decide for `tenant`; when that is empty and the host names no
// tenant (REASON_UNKNOWN_TENANT) and `fallback_tenant` is not empty, decides
// again for `fallback_tenant` (ext_authz's configured tenant header). Timed
// with a monotonic clock (both attempts) and recorded once in deps.metrics
// (action, reason, nanoseconds). Returns the tenant string the final
// decision was asked for. The caller holds a ReadGuard on deps.epochs
// across this call and every use of *out.
//
// `clock`, for a batch: when not null, *clock is taken as the time this
// decision started and is set to the time it ended, so a batch reads the
// clock once per decision rather than twice (each batch item's time then
// also covers filling the previous item's answer). Ignored without metrics.
absl::string_view RunDecide(
    const DecisionDeps& deps, absl::string_view tenant,
    absl::string_view fallback_tenant, const decision::Request& request,
    decision::Decision* out,
    std::chrono::steady_clock::time_point* clock = nullptr);

// Writes `decision` into *out (cleared first): action, status, headers in
// order, reason, rule, tenant, and `id`. `message` is set from
// Engine::Explain when `explain` is true.
void FillDecision(const DecisionDeps& deps, absl::string_view tenant,
                  const decision::Request& request,
                  const decision::Decision& decision, bool explain, uint64_t id,
                  corsd::v1::Decision* out);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_DECIDE_MAPPING_H_
