// Actions and reasons of a decision, as C++ enums whose numeric values equal
// corsd.v1.Action and corsd.v1.Reason (proto/corsd/v1/decision.proto), so the
// core stays free of protobuf while the RPC layer converts with a cast.
// decision_proto_test.cc (gRPC builds) checks every value and name against
// the generated enums.
//
// Thread-safe: pure functions over constants.
#ifndef CORSD_SERVICE_DECISION_REASON_H_
#define CORSD_SERVICE_DECISION_REASON_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace corsd::decision {

// What the gateway must do; values equal corsd.v1.Action.
enum class Action : uint8_t {
  kUnspecified = 0,
  kContinue = 1,  // forward upstream, add the headers to whatever it answers
  kAnswer = 2,    // answer the client with status and headers
};

// Why; values equal corsd.v1.Reason. See decision.proto for each meaning.
enum class Reason : uint8_t {
  kUnspecified = 0,
  kR1NoOrigin = 1,
  kR2OriginAllowed = 2,
  kR2WildcardAllowed = 3,
  kR2OriginNotAllowed = 4,
  kR2OriginNotCanonical = 5,
  kR3Public = 6,
  kR6PreflightAllowed = 7,
  kR6PreflightForwarded = 8,
  kR7MethodNotAllowed = 9,
  kR8HeaderNotAllowed = 10,
  kR8HeadersMalformed = 11,
  kR11NullOriginRefused = 12,
  kR11NullOriginAllowed = 13,
  kR12PrivateNetworkRefused = 14,
  kR13WebsocketRefused = 15,
  kR14UnsafeMethodDenied = 16,
  kUnknownTenant = 17,
  kR4CredentialsNotAllowed = 18,
  kUnknownHostDenied = 19,
};

// The largest Reason value; every value in [0, kMaxReason] is a Reason.
inline constexpr int kMaxReason = 19;

// The proto enum name: "REASON_R2_ORIGIN_ALLOWED"; "REASON_UNSPECIFIED" for
// values outside the enum.
absl::string_view ReasonName(Reason reason);
// The proto enum name: "ACTION_CONTINUE".
absl::string_view ActionName(Action action);
// The rule a reason applies: "R2"; "" for kUnknownTenant,
// kUnknownHostDenied (no tenant, so no tenant's rule: the --unknown-host
// default decided) and kUnspecified.
absl::string_view RuleOf(Reason reason);

}  // namespace corsd::decision

#endif  // CORSD_SERVICE_DECISION_REASON_H_
