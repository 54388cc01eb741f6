#include "service/decision/reason.h"

namespace corsd::decision {
namespace {

struct ReasonInfo {
  absl::string_view name;
  absl::string_view rule;
};

// Indexed by the Reason value.
constexpr ReasonInfo kReasons[kMaxReason + 1] = {
    {"REASON_UNSPECIFIED", ""},
    {"REASON_R1_NO_ORIGIN", "R1"},
    {"REASON_R2_ORIGIN_ALLOWED", "R2"},
    {"REASON_R2_WILDCARD_ALLOWED", "R2"},
    {"REASON_R2_ORIGIN_NOT_ALLOWED", "R2"},
    {"REASON_R2_ORIGIN_NOT_CANONICAL", "R2"},
    {"REASON_R3_PUBLIC", "R3"},
    {"REASON_R6_PREFLIGHT_ALLOWED", "R6"},
    {"REASON_R6_PREFLIGHT_FORWARDED", "R6"},
    {"REASON_R7_METHOD_NOT_ALLOWED", "R7"},
    {"REASON_R8_HEADER_NOT_ALLOWED", "R8"},
    {"REASON_R8_HEADERS_MALFORMED", "R8"},
    {"REASON_R11_NULL_ORIGIN_REFUSED", "R11"},
    {"REASON_R11_NULL_ORIGIN_ALLOWED", "R11"},
    {"REASON_R12_PRIVATE_NETWORK_REFUSED", "R12"},
    {"REASON_R13_WEBSOCKET_REFUSED", "R13"},
    {"REASON_R14_UNSAFE_METHOD_DENIED", "R14"},
    {"REASON_UNKNOWN_TENANT", ""},
    {"REASON_R4_CREDENTIALS_NOT_ALLOWED", "R4"},
    {"REASON_UNKNOWN_HOST_DENIED", ""},
};

}  // namespace

absl::string_view ReasonName(Reason reason) {
  const int i = static_cast<int>(reason);
  if (i < 0 || i > kMaxReason) return kReasons[0].name;
  return kReasons[i].name;
}

absl::string_view RuleOf(Reason reason) {
  const int i = static_cast<int>(reason);
  if (i < 0 || i > kMaxReason) return "";
  return kReasons[i].rule;
}

absl::string_view ActionName(Action action) {
  switch (action) {
    case Action::kContinue:
      return "ACTION_CONTINUE";
    case Action::kAnswer:
      return "ACTION_ANSWER";
    case Action::kUnspecified:
      break;
  }
  return "ACTION_UNSPECIFIED";
}

}  // namespace corsd::decision
