// Conversion between the wire policy (corsd.v1.Policy) and the core model
// (policy::Policy). Built only with gRPC (target corsd_policy_proto); the
// store, the RPC handlers and the client use it.
//
// The conversion is structural: it copies every field and checks only what
// the C++ model cannot hold (nesting depth of routes). Semantic checks are
// Validate's job (policy.h); callers run Validate on the result.
//
// Thread-safe (pure functions).
#ifndef CORSD_SERVICE_POLICY_POLICY_PROTO_H_
#define CORSD_SERVICE_POLICY_POLICY_PROTO_H_

#include "absl/status/statusor.h"
#include "corsd/v1/policy.pb.h"
#include "service/policy/policy.h"

namespace corsd::policy {

// corsd.v1.Policy -> Policy. Errors: InvalidArgument naming the field
// ("routes[1].policy.routes") when a route class itself has routes (nested
// routes are refused; Validate would refuse them too, but the C++ model is
// converted one level deep only), or when a repeated field has more than
// 10x its limit (refused before copying, so a hostile message costs little).
absl::StatusOr<Policy> FromProto(const corsd::v1::Policy& proto);

// Policy -> corsd.v1.Policy. Total: every Policy converts (routes one level).
corsd::v1::Policy ToProto(const Policy& policy);

}  // namespace corsd::policy

#endif  // CORSD_SERVICE_POLICY_POLICY_PROTO_H_
