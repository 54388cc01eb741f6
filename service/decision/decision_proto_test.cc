// The C++ Action / Reason enums equal corsd.v1.Action / corsd.v1.Reason,
// value for value and name for name (gRPC builds only).
#include "corsd/v1/decision.pb.h"
#include "gtest/gtest.h"
#include "service/decision/reason.h"

namespace corsd::decision {
namespace {

#define CORSD_SAME(cpp, proto)                                     \
  static_assert(static_cast<int>(Reason::cpp) == corsd::v1::proto, \
                #cpp " != " #proto)
CORSD_SAME(kUnspecified, REASON_UNSPECIFIED);
CORSD_SAME(kR1NoOrigin, REASON_R1_NO_ORIGIN);
CORSD_SAME(kR2OriginAllowed, REASON_R2_ORIGIN_ALLOWED);
CORSD_SAME(kR2WildcardAllowed, REASON_R2_WILDCARD_ALLOWED);
CORSD_SAME(kR2OriginNotAllowed, REASON_R2_ORIGIN_NOT_ALLOWED);
CORSD_SAME(kR2OriginNotCanonical, REASON_R2_ORIGIN_NOT_CANONICAL);
CORSD_SAME(kR3Public, REASON_R3_PUBLIC);
CORSD_SAME(kR6PreflightAllowed, REASON_R6_PREFLIGHT_ALLOWED);
CORSD_SAME(kR6PreflightForwarded, REASON_R6_PREFLIGHT_FORWARDED);
CORSD_SAME(kR7MethodNotAllowed, REASON_R7_METHOD_NOT_ALLOWED);
CORSD_SAME(kR8HeaderNotAllowed, REASON_R8_HEADER_NOT_ALLOWED);
CORSD_SAME(kR8HeadersMalformed, REASON_R8_HEADERS_MALFORMED);
CORSD_SAME(kR11NullOriginRefused, REASON_R11_NULL_ORIGIN_REFUSED);
CORSD_SAME(kR11NullOriginAllowed, REASON_R11_NULL_ORIGIN_ALLOWED);
CORSD_SAME(kR12PrivateNetworkRefused, REASON_R12_PRIVATE_NETWORK_REFUSED);
CORSD_SAME(kR13WebsocketRefused, REASON_R13_WEBSOCKET_REFUSED);
CORSD_SAME(kR14UnsafeMethodDenied, REASON_R14_UNSAFE_METHOD_DENIED);
CORSD_SAME(kUnknownTenant, REASON_UNKNOWN_TENANT);
CORSD_SAME(kR4CredentialsNotAllowed, REASON_R4_CREDENTIALS_NOT_ALLOWED);
CORSD_SAME(kUnknownHostDenied, REASON_UNKNOWN_HOST_DENIED);
#undef CORSD_SAME
static_assert(static_cast<int>(Action::kUnspecified) ==
              corsd::v1::ACTION_UNSPECIFIED);
static_assert(static_cast<int>(Action::kContinue) ==
              corsd::v1::ACTION_CONTINUE);
static_assert(static_cast<int>(Action::kAnswer) == corsd::v1::ACTION_ANSWER);
static_assert(kMaxReason == corsd::v1::Reason_MAX,
              "a Reason was added to the proto: mirror it in reason.h");

TEST(DecisionProtoTest, EveryReasonNameMatchesTheProto) {
  for (int i = corsd::v1::Reason_MIN; i <= corsd::v1::Reason_MAX; ++i) {
    ASSERT_TRUE(corsd::v1::Reason_IsValid(i)) << i;
    EXPECT_EQ(ReasonName(static_cast<Reason>(i)),
              corsd::v1::Reason_Name(static_cast<corsd::v1::Reason>(i)));
  }
  for (int i = corsd::v1::Action_MIN; i <= corsd::v1::Action_MAX; ++i) {
    EXPECT_EQ(ActionName(static_cast<Action>(i)),
              corsd::v1::Action_Name(static_cast<corsd::v1::Action>(i)));
  }
}

}  // namespace
}  // namespace corsd::decision
