// DecisionMetrics: the counters, histogram and gauges corsd exports on
// /metrics, recorded from the decision hot path without locks, allocation or
// a shared hot cache line, and rendered in the Prometheus text exposition
// format (version 0.0.4) on scrape.
//
// What is measured:
//   corsd_decisions_total{action, reason}   counter, one per decision
//   corsd_decision_latency_seconds          histogram (fixed buckets, 1 us to
//                                           100 ms), the time Decide took
//   corsd_admin_writes_total{rpc, result}   counter, one per admin write RPC
//   corsd_admin_write_items_total{rpc}      counter, items those RPCs carried
//   corsd_table_entries{kind}               gauge: tenants, origins,
//                                           wildcards, api_hosts
//   corsd_table_bytes                       gauge: heap bytes of the table
//   corsd_store_lag_milliseconds            gauge: how far the node is behind
//                                           the durable store
//   corsd_ready                             gauge: 1 when ready, else 0
// Gauges are set by callers (typically the /metrics handler right before
// RenderPrometheus, from OriginTable::Stats and Catalog::LagMillis).
//
// Thread safety / invariants:
//   * Every method may be called from any thread, concurrently with any
//     other. Record* never locks, never allocates, and writes only to the
//     calling thread's stripe: kStripes cache-line-aligned blocks of relaxed
//     atomic counters; a thread picks its stripe once (round robin, stored in
//     a thread_local), so up to kStripes threads never share a written line.
//   * RenderPrometheus sums the stripes with relaxed loads. A scrape that
//     races with recording may see a decision counted in
//     corsd_decisions_total but not yet in the histogram (or vice versa);
//     every counter is individually monotonic, which is all Prometheus needs.
//   * Codes outside [0, kMaxActions) / [0, kMaxReasons) are counted under
//     the last slot ("other"), never out of bounds.
#ifndef CORSD_SERVICE_DECISION_METRICS_H_
#define CORSD_SERVICE_DECISION_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "service/decision/reason.h"

namespace corsd::decision {

// Labels for action and reason codes. The codes mirror the proto enums
// corsd.v1.Action and corsd.v1.Reason (HACKING.md: enums that cross into the
// API mirror the proto numbers). A null function means the proto enum name
// (ActionName / ReasonName: "ACTION_CONTINUE", "REASON_R2_ORIGIN_ALLOWED");
// an empty name returned for a code renders the label as the decimal code.
struct MetricsLabels {
  absl::string_view (*action_name)(int action) = nullptr;
  absl::string_view (*reason_name)(int reason) = nullptr;
};

// The admin RPCs that write (proto/corsd/v1/admin.proto, service Admin).
enum class AdminWrite : uint8_t {
  kPutTenant = 0,
  kDeleteTenant = 1,
  kWriteEntries = 2,
  kImport = 3,
};
inline constexpr int kAdminWriteKinds = 4;
// "PutTenant", "DeleteTenant", "WriteEntries", "Import".
absl::string_view AdminWriteName(AdminWrite rpc);

class DecisionMetrics {
 public:
  // Action codes 0..kMaxActions-2 are counted apart; anything else in the
  // last slot. Same for reasons.
  static constexpr int kMaxActions = 4;
  static constexpr int kMaxReasons = 64;
  // Upper bounds (inclusive, microseconds) of the latency histogram buckets;
  // the +Inf bucket follows.
  static constexpr std::array<uint64_t, 15> kLatencyBoundsMicros = {
      1,   2,    5,    10,   20,    50,    100,   200,
      500, 1000, 2000, 5000, 10000, 50000, 100000};
  static constexpr int kBuckets = kLatencyBoundsMicros.size() + 1;
  static constexpr int kStripes = 32;

  explicit DecisionMetrics(MetricsLabels labels = {});
  ~DecisionMetrics();
  DecisionMetrics(const DecisionMetrics&) = delete;
  DecisionMetrics& operator=(const DecisionMetrics&) = delete;

  // ---- Hot path: lock-free, allocation-free, stripe-local ----

  // Counts one decision with its action and reason code (proto numbers) and
  // the time it took, in nanoseconds.
  void RecordDecision(int action, int reason, uint64_t latency_nanos);
  void RecordDecision(Action action, Reason reason, uint64_t latency_nanos) {
    RecordDecision(static_cast<int>(action), static_cast<int>(reason),
                   latency_nanos);
  }

  // ---- Admin path (rare; also lock-free) ----

  // Counts one admin write RPC carrying `items` items (tenants or entries);
  // `ok` is whether it was applied.
  void RecordAdminWrite(AdminWrite rpc, bool ok, uint64_t items);

  // ---- Gauges, set by callers; last write wins ----

  struct TableGauges {
    uint64_t tenants = 0;
    uint64_t origins = 0;
    uint64_t wildcards = 0;
    uint64_t api_hosts = 0;
    uint64_t bytes = 0;
  };
  void SetTableGauges(const TableGauges& gauges);
  void SetStoreLagMillis(int64_t lag_millis);
  void SetReady(bool ready);

  // ---- Reading ----

  // Sum over stripes of decisions counted with (action, reason). Out-of-range
  // codes read the "other" slot, as RecordDecision counts them.
  uint64_t DecisionCount(int action, int reason) const;
  // Sum over stripes of every decision counted.
  uint64_t TotalDecisions() const;

  // The whole registry in the Prometheus text format: "# HELP" and "# TYPE"
  // lines for each family, counters with only their non-zero label sets
  // (plus the always-present corsd_decisions_total{} family header),
  // histogram as _bucket{le="..."} (cumulative, le in seconds, ending with
  // le="+Inf"), _sum (seconds) and _count. Ends with a newline.
  std::string RenderPrometheus() const;

 private:
  struct Stripe;

  MetricsLabels labels_;
  std::unique_ptr<Stripe[]> stripes_;
  // Admin counters: rare writes, no striping needed.
  std::array<std::array<std::atomic<uint64_t>, 2>, kAdminWriteKinds>
      admin_writes_{};
  std::array<std::atomic<uint64_t>, kAdminWriteKinds> admin_items_{};
  std::atomic<uint64_t> tenants_{0};
  std::atomic<uint64_t> origins_{0};
  std::atomic<uint64_t> wildcards_{0};
  std::atomic<uint64_t> api_hosts_{0};
  std::atomic<uint64_t> table_bytes_{0};
  std::atomic<int64_t> store_lag_millis_{0};
  std::atomic<bool> ready_{false};
};

}  // namespace corsd::decision

#endif  // CORSD_SERVICE_DECISION_METRICS_H_
