#include "client/corsctl/top_cmd.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

constexpr int64_t kT0 = 1796637600000;  // 2026-12-07T10:00:00Z

corsd::v1::RefusedOrigin Origin(const std::string& origin, uint64_t count,
                                uint64_t error) {
  corsd::v1::RefusedOrigin o;
  o.set_origin(origin);
  o.set_has_origin(!origin.empty());
  o.set_count(count);
  o.set_error(error);
  o.set_reason(corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  o.set_rule("R2");
  o.set_last_seen_unix_ms(kT0);
  return o;
}

TEST(TopCmdTest, RowHasEveryColumn) {
  corsd::v1::RefusedOrigin o = Origin("https://evil.example", 12, 3);
  o.set_reason(corsd::v1::REASON_R14_UNSAFE_METHOD_DENIED);
  o.set_cause(corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  o.set_rule("R14");
  EXPECT_EQ(
      TopRow(o),
      (std::vector<std::string>{
          "https://evil.example", "12", "3", "R14",
          "REASON_R14_UNSAFE_METHOD_DENIED (REASON_R2_ORIGIN_NOT_ALLOWED)",
          "2026-12-07T10:00:00Z"}));
}

TEST(TopCmdTest, OriginsFromClientsCannotDriveTheTerminal) {
  corsd::v1::RefusedOrigin o = Origin("https://x\x1b[31m.example", 1, 0);
  o.set_origin_truncated(true);
  EXPECT_EQ(TopRow(o)[0], "https://x\\x1b[31m.example...");
  corsd::v1::RefusedOrigin none = Origin("", 2, 0);
  none.set_rule("");
  none.set_reason(corsd::v1::REASON_UNKNOWN_TENANT);
  const std::vector<std::string> row = TopRow(none);
  EXPECT_EQ(row[0], "(no Origin)");
  EXPECT_EQ(row[3], "-");
}

TEST(TopCmdTest, TextHasHeadingTableCountAndNotes) {
  corsd::v1::TopRefusedResponse r;
  r.set_window_seconds(900);
  r.set_window_refusals(15);
  r.set_sketch_capacity(16);
  *r.add_origins() = Origin("https://a.example", 12, 0);
  *r.add_origins() = Origin("https://bb.example", 3, 0);
  const std::string text = TopText("acme", false, r);
  const std::vector<std::string> lines = absl::StrSplit(text, '\n');
  ASSERT_EQ(lines.size(), 6u) << text;  // 5 lines and the final ""
  EXPECT_EQ(lines[0], "tenant acme: 15 refusal(s) in the last 15m");
  EXPECT_TRUE(
      absl::StartsWith(lines[1], "ORIGIN              COUNT  ERROR  RULE"))
      << lines[1];
  EXPECT_TRUE(
      absl::StartsWith(lines[2], "https://a.example   12     0      R2 "))
      << lines[2];
  EXPECT_EQ(lines[4], "2 origin(s)");
  EXPECT_FALSE(absl::StrContains(text, "note:"));

  r.set_shared_sketch(true);
  r.set_dropped_tenant_rate(99);
  const std::string noted = TopText("acme", false, r);
  EXPECT_TRUE(absl::StrContains(noted, "beyond corsd's --tenant-view-tenants"));
  EXPECT_TRUE(absl::StrContains(noted,
                                "99 refusal(s) over this tenant's "
                                "budget and 0 for a full ring"));
  EXPECT_TRUE(absl::StartsWith(TopText("", true, r),
                               "requests no tenant owned: 15 refusal(s)"));
}

}  // namespace
}  // namespace corsd::corsctl
