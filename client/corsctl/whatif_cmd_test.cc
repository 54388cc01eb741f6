// `corsctl what-if` without a server: decision-log lines into shapes (merged,
// other tenants and unreplayable lines counted, escapes decoded, limits) and
// the text report.
#include "client/corsctl/whatif_cmd.h"

#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd::corsctl {
namespace {

// A decision-log line as service/decision_log writes it.
std::string Line(const std::string& tenant, const std::string& origin_json,
                 const std::string& method, const std::string& path_class,
                 const std::string& reason, const std::string& door = "http") {
  return absl::StrCat(
      R"({"time":"2026-12-07T10:00:00.000Z","decision_id":"0123456789abcdef",)",
      R"("door":")", door, R"(","tenant":")", tenant, R"(","origin":)",
      origin_json, R"(,"method":")", method, R"(","path_class":")", path_class,
      R"(","action":"ACTION_ANSWER","status":403,"reason":")", reason,
      R"(","rule":"R2"})");
}

TEST(WhatIfCmdTest, DecisionLogLinesBecomeMergedShapes) {
  std::stringstream in;
  in << Line("shop", R"("https://a.example.com")", "GET", "default",
             "REASON_R2_ORIGIN_NOT_ALLOWED")
     << "\n"
     << Line("shop", R"("https://a.example.com")", "GET", "default",
             "REASON_R2_ORIGIN_ALLOWED")
     << "\n"
     << Line("shop", R"("https://a.example.com")", "GET", "/api",
             "REASON_R2_ORIGIN_ALLOWED", "decide")
     << "\n"
     << Line("shop", "null", "DELETE", "default", "REASON_R1_NO_ORIGIN") << "\n"
     << Line("other", R"("https://a.example.com")", "GET", "default",
             "REASON_R2_ORIGIN_ALLOWED")
     << "\n"
     // Not replayable from the log: a preflight, an OPTIONS with Origin, a
     // WebSocket refusal, a cut origin.
     << Line("shop", R"("https://a.example.com")", "OPTIONS", "default",
             "REASON_R7_METHOD_NOT_ALLOWED")
     << "\n"
     << Line("shop", R"("https://a.example.com")", "OPTIONS", "default",
             "REASON_R2_ORIGIN_NOT_ALLOWED")
     << "\n"
     << Line("shop", R"("https://a.example.com")", "GET", "default",
             "REASON_R13_WEBSOCKET_REFUSED")
     << "\n"
     << Line("shop", R"("https://aaaa\u2026")", "GET", "default",
             "REASON_R2_ORIGIN_NOT_ALLOWED")
     << "\n"
     << "\n"
     << "not json\n"
     << R"({"tenant":"shop"})"
     << "\n";
  absl::StatusOr<LogShapes> log = ReadDecisionLog(in, "log.jsonl", "shop");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->lines, 12u);
  EXPECT_EQ(log->used, 4u);
  EXPECT_EQ(log->other_tenant, 1u);
  EXPECT_EQ(log->skipped, 4u);
  EXPECT_EQ(log->malformed, 2u);
  ASSERT_EQ(log->shapes.size(), 3u);
  const corsd::v1::ObservedShape& a = log->shapes[0];
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.shape().door(), "http");
  EXPECT_EQ(a.shape().method(), "GET");
  EXPECT_EQ(a.shape().origin(), "https://a.example.com");
  EXPECT_TRUE(a.shape().has_origin());
  EXPECT_EQ(a.shape().path(), "/");
  EXPECT_TRUE(a.shape().host().empty());
  EXPECT_EQ(log->shapes[1].shape().path(), "/api");
  EXPECT_EQ(log->shapes[1].shape().door(), "decide");
  EXPECT_FALSE(log->shapes[2].shape().has_origin());
  EXPECT_EQ(log->shapes[2].shape().method(), "DELETE");
}

TEST(WhatIfCmdTest, EscapedBytesAreDecodedAsTheLogWroteThem) {
  std::stringstream in;
  // \u00e9 is the byte 0xe9 (the log escapes bytes, not code points); \"
  // and \\ are themselves.
  in << Line("shop", R"("https://caf\u00e9.example\"\\")", "GET", "default",
             "REASON_R2_ORIGIN_NOT_CANONICAL")
     << "\n";
  absl::StatusOr<LogShapes> log = ReadDecisionLog(in, "log", "shop");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->shapes.size(), 1u);
  EXPECT_EQ(log->shapes[0].shape().origin(),
            std::string("https://caf\xe9.example\"\\"));
}

TEST(WhatIfCmdTest, LimitsNameTheFileAndLine) {
  std::stringstream long_line;
  long_line << Line("shop", "null", "GET", "default", "REASON_R1_NO_ORIGIN")
            << "\n"
            << std::string(kMaxLogLineBytes + 1, 'x') << "\n";
  absl::StatusOr<LogShapes> log = ReadDecisionLog(long_line, "big.log", "shop");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(log.status().message(), "\"big.log\" line 2"))
      << log.status();

  std::stringstream many;
  for (size_t i = 0; i <= kMaxLogShapes; ++i) {
    many << Line("shop", absl::StrCat("\"https://o", i, ".example\""), "GET",
                 "default", "REASON_R2_ORIGIN_NOT_ALLOWED")
         << "\n";
  }
  log = ReadDecisionLog(many, "many.log", "shop");
  ASSERT_FALSE(log.ok());
  EXPECT_TRUE(absl::StrContains(log.status().message(), "more than 10000"))
      << log.status();
}

TEST(WhatIfCmdTest, TextListsFlipsThenOtherChanges) {
  corsd::v1::WhatIfResponse r;
  r.set_shapes(4);
  r.set_decisions(9);
  r.set_flips(1);
  r.set_recording(true);
  r.set_dropped_shapes(5);
  corsd::v1::WhatIfChange* flip = r.add_changes();
  flip->set_flips(true);
  flip->mutable_shape()->set_count(3);
  corsd::v1::RequestShape* s = flip->mutable_shape()->mutable_shape();
  s->set_door("decide");
  s->set_method("GET");
  s->set_origin("https://a.example.com");
  s->set_has_origin(true);
  s->set_path("/v1/cart");
  s->set_credentials(true);
  flip->mutable_before()->set_allowed(true);
  flip->mutable_before()->set_action(corsd::v1::ACTION_CONTINUE);
  flip->mutable_before()->set_reason(corsd::v1::REASON_R2_ORIGIN_ALLOWED);
  flip->mutable_before()->set_rule("R2");
  flip->mutable_before()->set_credentials(true);
  flip->mutable_after()->set_action(corsd::v1::ACTION_ANSWER);
  flip->mutable_after()->set_status(403);
  flip->mutable_after()->set_reason(corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  flip->mutable_after()->set_rule("R2");
  corsd::v1::WhatIfChange* other = r.add_changes();
  other->mutable_shape()->set_count(1);
  other->mutable_shape()->mutable_shape()->set_method("GET");
  other->mutable_before()->set_allowed(true);
  other->mutable_after()->set_allowed(true);
  const std::string text = WhatIfText("shop", r);
  EXPECT_EQ(text,
            "what-if for tenant shop: 4 shape(s) (9 decision(s)) replayed; 1 "
            "flip(s), 1 other change(s)\n"
            "\nFlips (allowed <-> refused):\n"
            "  x3  [decide] GET https://a.example.com (path /v1/cart, "
            "credentials)\n"
            "      before: allowed (R2 REASON_R2_ORIGIN_ALLOWED, continue, "
            "credentials)\n"
            "      after:  refused (R2 REASON_R2_ORIGIN_NOT_ALLOWED, 403)\n"
            "\nOther changes (status or reason only):\n"
            "  x1  [log] GET (no Origin)\n"
            "      before: allowed (REASON_UNSPECIFIED, 0)\n"
            "      after:  allowed (REASON_UNSPECIFIED, 0)\n"
            "\nnote: corsd dropped 5 decision(s) whose shape it had no room "
            "to keep (all tenants, since start): their outcome was not "
            "checked\n");
}

}  // namespace
}  // namespace corsd::corsctl
