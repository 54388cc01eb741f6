#include "service/decision/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace corsd::decision {
namespace {

absl::string_view TestAction(int a) { return a == 1 ? "continue" : ""; }
absl::string_view TestReason(int r) {
  return r == 2 ? "r2_origin_allowed" : (r == 7 ? "needs\"escape\\" : "");
}

TEST(DecisionMetricsTest, CountsByActionAndReason) {
  DecisionMetrics m;
  m.RecordDecision(1, 2, 500);
  m.RecordDecision(1, 2, 500);
  m.RecordDecision(2, 9, 500);
  EXPECT_EQ(m.DecisionCount(1, 2), 2u);
  EXPECT_EQ(m.DecisionCount(2, 9), 1u);
  EXPECT_EQ(m.DecisionCount(0, 0), 0u);
  EXPECT_EQ(m.TotalDecisions(), 3u);
}

TEST(DecisionMetricsTest, DefaultLabelsAreTheProtoNames) {
  DecisionMetrics m;
  m.RecordDecision(Action::kAnswer, Reason::kR13WebsocketRefused, 10);
  m.RecordDecision(1, 40, 10);  // a code past the enum: decimal
  const std::string text = m.RenderPrometheus();
  EXPECT_TRUE(
      absl::StrContains(text,
                        "corsd_decisions_total{action=\"ACTION_ANSWER\","
                        "reason=\"REASON_R13_WEBSOCKET_REFUSED\"} 1\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text,
      "corsd_decisions_total{action=\"ACTION_CONTINUE\",reason=\"40\"} 1\n"))
      << text;
}

TEST(DecisionMetricsTest, OutOfRangeCodesLandInOther) {
  DecisionMetrics m;
  m.RecordDecision(-1, 1000, 1);
  m.RecordDecision(99, -5, 1);
  EXPECT_EQ(m.DecisionCount(DecisionMetrics::kMaxActions - 1,
                            DecisionMetrics::kMaxReasons - 1),
            2u);
  EXPECT_EQ(m.DecisionCount(12345, 777), 2u);
  EXPECT_TRUE(absl::StrContains(
      m.RenderPrometheus(),
      "corsd_decisions_total{action=\"other\",reason=\"other\"} 2\n"));
}

TEST(DecisionMetricsTest, RendersNamesAndEscapesLabels) {
  DecisionMetrics m(MetricsLabels{&TestAction, &TestReason});
  m.RecordDecision(1, 2, 10);
  m.RecordDecision(1, 7, 10);
  m.RecordDecision(2, 3, 10);
  const std::string text = m.RenderPrometheus();
  EXPECT_TRUE(absl::StrContains(
      text,
      "corsd_decisions_total{action=\"continue\",reason=\"r2_origin_allowed\"}"
      " 1\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text,
                                "corsd_decisions_total{action=\"continue\","
                                "reason=\"needs\\\"escape\\\\\"}"
                                " 1\n"))
      << text;
  // An empty name: the decimal code.
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decisions_total{action=\"2\",reason=\"3\"} 1\n"))
      << text;
}

// Bucket bounds are inclusive: exactly 1 us is in le=1e-06; 1001 ns is not.
TEST(DecisionMetricsTest, HistogramBucketsAreCumulativeAndInclusive) {
  DecisionMetrics m;
  m.RecordDecision(1, 1, 1000);           // 1 us
  m.RecordDecision(1, 1, 1001);           // just over 1 us -> 2 us bucket
  m.RecordDecision(1, 1, 75'000);         // 75 us -> 100 us bucket
  m.RecordDecision(1, 1, 1'000'000'000);  // 1 s -> +Inf only
  const std::string text = m.RenderPrometheus();
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_bucket{le=\"1e-06\"} 1\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_bucket{le=\"2e-06\"} 2\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_bucket{le=\"5e-05\"} 2\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_bucket{le=\"0.0001\"} 3\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_bucket{le=\"0.1\"} 3\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_bucket{le=\"+Inf\"} 4\n"))
      << text;
  EXPECT_TRUE(
      absl::StrContains(text, "corsd_decision_latency_seconds_count 4\n"))
      << text;
  // 1000 + 1001 + 75000 + 1e9 ns.
  EXPECT_TRUE(absl::StrContains(
      text, "corsd_decision_latency_seconds_sum 1.000077001\n"))
      << text;
}

TEST(DecisionMetricsTest, GaugesAndAdminWrites) {
  DecisionMetrics m;
  m.SetTableGauges({.tenants = 3,
                    .origins = 1000000,
                    .wildcards = 7,
                    .api_hosts = 4,
                    .bytes = 123456});
  m.SetStoreLagMillis(250);
  m.SetReady(true);
  m.RecordAdminWrite(AdminWrite::kWriteEntries, true, 500);
  m.RecordAdminWrite(AdminWrite::kWriteEntries, false, 2);
  m.RecordAdminWrite(AdminWrite::kImport, true, 1000000);
  const std::string text = m.RenderPrometheus();
  for (const char* want : {
           "corsd_table_entries{kind=\"tenants\"} 3\n",
           "corsd_table_entries{kind=\"origins\"} 1000000\n",
           "corsd_table_entries{kind=\"wildcards\"} 7\n",
           "corsd_table_entries{kind=\"api_hosts\"} 4\n",
           "corsd_table_bytes 123456\n",
           "corsd_store_lag_milliseconds 250\n",
           "corsd_ready 1\n",
           "corsd_admin_writes_total{rpc=\"WriteEntries\",result=\"ok\"} 1\n",
           "corsd_admin_writes_total{rpc=\"WriteEntries\",result=\"error\"} "
           "1\n",
           "corsd_admin_writes_total{rpc=\"PutTenant\",result=\"ok\"} 0\n",
           "corsd_admin_write_items_total{rpc=\"WriteEntries\"} 502\n",
           "corsd_admin_write_items_total{rpc=\"Import\"} 1000000\n",
       }) {
    EXPECT_TRUE(absl::StrContains(text, want)) << want << "\n" << text;
  }
  m.SetReady(false);
  EXPECT_TRUE(absl::StrContains(m.RenderPrometheus(), "corsd_ready 0\n"));
}

TEST(DecisionMetricsTest, EveryFamilyHasHelpAndType) {
  DecisionMetrics m;
  const std::string text = m.RenderPrometheus();
  for (const char* family :
       {"corsd_decisions_total counter",
        "corsd_decision_latency_seconds histogram",
        "corsd_admin_writes_total counter",
        "corsd_admin_write_items_total counter", "corsd_table_entries gauge",
        "corsd_table_bytes gauge", "corsd_store_lag_milliseconds gauge",
        "corsd_ready gauge"}) {
    EXPECT_TRUE(absl::StrContains(text, absl::StrCat("# TYPE ", family, "\n")))
        << family;
  }
  EXPECT_EQ(text.back(), '\n');
}

// Many threads record at once: nothing is lost (run under TSan in CI to
// check the relaxed counters race-free).
TEST(DecisionMetricsStressTest, ConcurrentRecordingLosesNothing) {
  DecisionMetrics m;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100000;
  std::vector<std::thread> threads;
  std::atomic<bool> stop_scrape{false};
  std::thread scraper([&] {
    while (!stop_scrape.load(std::memory_order_relaxed)) {
      ASSERT_FALSE(m.RenderPrometheus().empty());
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.RecordDecision(1 + (t % 2), i % 19, static_cast<uint64_t>(i));
      }
    });
  }
  for (auto& th : threads) th.join();
  stop_scrape.store(true, std::memory_order_relaxed);
  scraper.join();
  EXPECT_EQ(m.TotalDecisions(), uint64_t{kThreads} * kPerThread);
  EXPECT_TRUE(
      absl::StrContains(m.RenderPrometheus(),
                        absl::StrCat("corsd_decision_latency_seconds_count ",
                                     uint64_t{kThreads} * kPerThread, "\n")));
}

}  // namespace
}  // namespace corsd::decision
