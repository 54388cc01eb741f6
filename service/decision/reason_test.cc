// Reason names and rule ids: every value has a distinct proto-style name that
// starts with its rule.
#include "service/decision/reason.h"

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd::decision {
namespace {

TEST(ReasonTest, R17_EveryReasonHasADistinctNameNamingItsRule) {
  std::set<std::string> names;
  for (int i = 0; i <= kMaxReason; ++i) {
    const Reason r = static_cast<Reason>(i);
    const absl::string_view name = ReasonName(r);
    EXPECT_TRUE(absl::StartsWith(name, "REASON_")) << i;
    EXPECT_TRUE(names.insert(std::string(name)).second) << name;
    const absl::string_view rule = RuleOf(r);
    if (r == Reason::kUnknownTenant || r == Reason::kUnknownHostDenied ||
        r == Reason::kUnspecified) {
      EXPECT_EQ(rule, "") << name;
    } else {
      EXPECT_TRUE(absl::StartsWith(name, absl::StrCat("REASON_", rule, "_")))
          << name << " rule " << rule;
    }
  }
  EXPECT_EQ(ReasonName(Reason::kR2OriginAllowed), "REASON_R2_ORIGIN_ALLOWED");
  EXPECT_EQ(RuleOf(Reason::kR2OriginAllowed), "R2");
  EXPECT_EQ(RuleOf(Reason::kR4CredentialsNotAllowed), "R4");
  EXPECT_EQ(ReasonName(Reason::kUnknownHostDenied),
            "REASON_UNKNOWN_HOST_DENIED");
}

TEST(ReasonTest, OutOfRangeValuesAreUnspecified) {
  EXPECT_EQ(ReasonName(static_cast<Reason>(kMaxReason + 1)),
            "REASON_UNSPECIFIED");
  EXPECT_EQ(RuleOf(static_cast<Reason>(200)), "");
  EXPECT_EQ(ActionName(Action::kContinue), "ACTION_CONTINUE");
  EXPECT_EQ(ActionName(Action::kAnswer), "ACTION_ANSWER");
  EXPECT_EQ(ActionName(static_cast<Action>(9)), "ACTION_UNSPECIFIED");
}

}  // namespace
}  // namespace corsd::decision
