// The Decider door's codec: corsd.v1 request -> decision::Request (views
// into the message, no copies, limits checked) and decision::Decision ->
// corsd.v1.Decision. The decision itself runs on the shared front-door path
// (service/door/run_path.h).
//
// Thread safety: pure functions of their arguments (FillDecision's Explain
// reads the engine, safe from any thread). Every call that reads a Decision
// must happen under the EpochManager::ReadGuard that covered the Decide (the
// Decision's views point into the table).
#ifndef CORSD_SERVICE_RPC_DECIDE_MAPPING_H_
#define CORSD_SERVICE_RPC_DECIDE_MAPPING_H_

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/decision.pb.h"
#include "service/decision/engine.h"
#include "service/door/run_path.h"

namespace corsd::rpc {

// What the decision handlers read: the shared path's dependencies.
using DecisionDeps = door::DecisionDeps;

// Points *out at the fields of `request` (which must outlive *out).
// `field_prefix` names the message in errors ("request",
// "requests[3].request"). Errors: InvalidArgument naming the field, its size
// and the limit when origin exceeds kMaxOriginBytes or any other string
// field exceeds kMaxFieldBytes, or when any field holds a CR, LF or NUL
// byte (the same rule the HTTP doors apply to header values).
absl::Status ToEngineRequest(const corsd::v1::HttpRequest& request,
                             absl::string_view field_prefix,
                             decision::Request* out);

// Checks DecideRequest.tenant against kMaxFieldBytes (InvalidArgument naming
// `field_prefix`.tenant), then ToEngineRequest on its request.
absl::Status ToEngineRequest(const corsd::v1::DecideRequest& request,
                             absl::string_view field_prefix,
                             decision::Request* out);

// Writes `decision` into *out (cleared first): action, status, headers in
// order, reason, rule, tenant, `id` (the caller's) and decision_id
// (`result.id` as 16 hex digits; left empty when it is 0, no id source).
// `message` is set from Engine::Explain (asked for `result.asked`) when
// `explain` is true.
void FillDecision(const DecisionDeps& deps, const door::DecideResult& result,
                  const decision::Request& request,
                  const decision::Decision& decision, bool explain, uint64_t id,
                  corsd::v1::Decision* out);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_DECIDE_MAPPING_H_
