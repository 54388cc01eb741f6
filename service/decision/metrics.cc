#include "service/decision/metrics.h"

#include <cinttypes>
#include <cstdio>
#include <new>

#include "absl/strings/str_cat.h"

namespace corsd::decision {
namespace {

// A process-wide ordinal per thread, assigned on a thread's first decision:
// it spreads threads round robin over the stripes. Relaxed: the value only
// has to be distinct-ish, it orders nothing.
std::atomic<uint32_t> g_next_thread_ordinal{0};

uint32_t ThreadOrdinal() {
  thread_local const uint32_t ordinal =
      g_next_thread_ordinal.fetch_add(1, std::memory_order_relaxed);
  return ordinal;
}

int ClampCode(int code, int slots) {
  return (code < 0 || code >= slots) ? slots - 1 : code;
}

int BucketFor(uint64_t latency_nanos) {
  // Bucket i counts latencies <= kLatencyBoundsMicros[i] us; compare in
  // nanoseconds so that 1001 ns falls in the 2 us bucket, not the 1 us one.
  const auto& bounds = DecisionMetrics::kLatencyBoundsMicros;
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (latency_nanos <= bounds[i] * 1000) return static_cast<int>(i);
  }
  return DecisionMetrics::kBuckets - 1;
}

// Prometheus label values must escape backslash, double quote and newline.
void AppendLabelValue(std::string* out, absl::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

std::string LabelFor(absl::string_view (*name_fn)(int), int code, int slots) {
  if (code == slots - 1) return "other";
  if (name_fn != nullptr) {
    absl::string_view name = name_fn(code);
    if (!name.empty()) return std::string(name);
  }
  return absl::StrCat(code);
}

// The default labels: the proto enum names ("ACTION_CONTINUE",
// "REASON_R2_ORIGIN_ALLOWED"); "" (decimal code) outside the enums.
absl::string_view ProtoActionName(int action) {
  if (action < 0 || action > static_cast<int>(Action::kAnswer)) return "";
  return ActionName(static_cast<Action>(action));
}
absl::string_view ProtoReasonName(int reason) {
  if (reason < 0 || reason > kMaxReason) return "";
  return ReasonName(static_cast<Reason>(reason));
}

// Seconds from microseconds, in a form Prometheus parses ("1e-06").
std::string MicrosAsSeconds(uint64_t micros) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(micros) / 1e6);
  return buf;
}

std::string NanosAsSeconds(uint64_t nanos) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9f", static_cast<double>(nanos) / 1e9);
  return buf;
}

void AppendFamily(std::string* out, absl::string_view name,
                  absl::string_view type, absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

}  // namespace

absl::string_view AdminWriteName(AdminWrite rpc) {
  switch (rpc) {
    case AdminWrite::kPutTenant:
      return "PutTenant";
    case AdminWrite::kDeleteTenant:
      return "DeleteTenant";
    case AdminWrite::kWriteEntries:
      return "WriteEntries";
    case AdminWrite::kImport:
      return "Import";
  }
  return "unknown";
}

// One thread group's counters, alone on its cache lines. Every field is a
// relaxed atomic: each is an independent monotonic counter; no reader
// infers anything about other memory from its value.
struct alignas(64) DecisionMetrics::Stripe {
  std::atomic<uint64_t> decisions[kMaxActions][kMaxReasons] = {};
  std::atomic<uint64_t> buckets[kBuckets] = {};
  std::atomic<uint64_t> latency_sum_nanos{0};
};

DecisionMetrics::DecisionMetrics(MetricsLabels labels)
    : labels_(labels), stripes_(new Stripe[kStripes]) {
  if (labels_.action_name == nullptr) labels_.action_name = &ProtoActionName;
  if (labels_.reason_name == nullptr) labels_.reason_name = &ProtoReasonName;
}

DecisionMetrics::~DecisionMetrics() = default;

void DecisionMetrics::RecordDecision(int action, int reason,
                                     uint64_t latency_nanos) {
  Stripe& s = stripes_[ThreadOrdinal() % kStripes];
  // Relaxed: independent monotonic counters (see Stripe).
  s.decisions[ClampCode(action, kMaxActions)][ClampCode(reason, kMaxReasons)]
      .fetch_add(1, std::memory_order_relaxed);
  s.buckets[BucketFor(latency_nanos)].fetch_add(1, std::memory_order_relaxed);
  s.latency_sum_nanos.fetch_add(latency_nanos, std::memory_order_relaxed);
}

void DecisionMetrics::RecordAdminWrite(AdminWrite rpc, bool ok,
                                       uint64_t items) {
  const int i = static_cast<int>(rpc) % kAdminWriteKinds;
  // Relaxed: independent monotonic counters.
  admin_writes_[i][ok ? 0 : 1].fetch_add(1, std::memory_order_relaxed);
  admin_items_[i].fetch_add(items, std::memory_order_relaxed);
}

void DecisionMetrics::SetTableGauges(const TableGauges& gauges) {
  // Relaxed: each gauge is a standalone sample; a scrape may mix two
  // consecutive samples' fields, which a gauge tolerates.
  tenants_.store(gauges.tenants, std::memory_order_relaxed);
  origins_.store(gauges.origins, std::memory_order_relaxed);
  wildcards_.store(gauges.wildcards, std::memory_order_relaxed);
  api_hosts_.store(gauges.api_hosts, std::memory_order_relaxed);
  table_bytes_.store(gauges.bytes, std::memory_order_relaxed);
}

void DecisionMetrics::SetStoreLagMillis(int64_t lag_millis) {
  // Relaxed: standalone sample.
  store_lag_millis_.store(lag_millis, std::memory_order_relaxed);
}

void DecisionMetrics::SetReady(bool ready) {
  // Relaxed: standalone sample; readiness decisions do not read it.
  ready_.store(ready, std::memory_order_relaxed);
}

uint64_t DecisionMetrics::DecisionCount(int action, int reason) const {
  const int a = ClampCode(action, kMaxActions);
  const int r = ClampCode(reason, kMaxReasons);
  uint64_t sum = 0;
  for (int s = 0; s < kStripes; ++s) {
    sum += stripes_[s].decisions[a][r].load(std::memory_order_relaxed);
  }
  return sum;
}

uint64_t DecisionMetrics::TotalDecisions() const {
  uint64_t sum = 0;
  for (int s = 0; s < kStripes; ++s) {
    for (int a = 0; a < kMaxActions; ++a) {
      for (int r = 0; r < kMaxReasons; ++r) {
        sum += stripes_[s].decisions[a][r].load(std::memory_order_relaxed);
      }
    }
  }
  return sum;
}

std::string DecisionMetrics::RenderPrometheus() const {
  std::string out;
  out.reserve(4096);

  // Snapshot the stripes once so the histogram's buckets, sum and count are
  // read in one pass (still relaxed: see the header's invariants).
  uint64_t decisions[kMaxActions][kMaxReasons] = {};
  uint64_t buckets[kBuckets] = {};
  uint64_t sum_nanos = 0;
  for (int s = 0; s < kStripes; ++s) {
    const Stripe& st = stripes_[s];
    for (int a = 0; a < kMaxActions; ++a) {
      for (int r = 0; r < kMaxReasons; ++r) {
        decisions[a][r] += st.decisions[a][r].load(std::memory_order_relaxed);
      }
    }
    for (int b = 0; b < kBuckets; ++b) {
      buckets[b] += st.buckets[b].load(std::memory_order_relaxed);
    }
    sum_nanos += st.latency_sum_nanos.load(std::memory_order_relaxed);
  }

  AppendFamily(&out, "corsd_decisions_total", "counter",
               "Decisions made, by action and reason.");
  for (int a = 0; a < kMaxActions; ++a) {
    for (int r = 0; r < kMaxReasons; ++r) {
      if (decisions[a][r] == 0) continue;
      out.append("corsd_decisions_total{action=\"");
      AppendLabelValue(&out, LabelFor(labels_.action_name, a, kMaxActions));
      out.append("\",reason=\"");
      AppendLabelValue(&out, LabelFor(labels_.reason_name, r, kMaxReasons));
      absl::StrAppend(&out, "\"} ", decisions[a][r], "\n");
    }
  }

  AppendFamily(&out, "corsd_decision_latency_seconds", "histogram",
               "Time to make one decision.");
  uint64_t cumulative = 0;
  for (int b = 0; b < kBuckets; ++b) {
    cumulative += buckets[b];
    const std::string le = b + 1 < kBuckets
                               ? MicrosAsSeconds(kLatencyBoundsMicros[b])
                               : std::string("+Inf");
    absl::StrAppend(&out, "corsd_decision_latency_seconds_bucket{le=\"", le,
                    "\"} ", cumulative, "\n");
  }
  absl::StrAppend(&out, "corsd_decision_latency_seconds_sum ",
                  NanosAsSeconds(sum_nanos), "\n");
  absl::StrAppend(&out, "corsd_decision_latency_seconds_count ", cumulative,
                  "\n");

  AppendFamily(&out, "corsd_admin_writes_total", "counter",
               "Admin write RPCs, by RPC and result.");
  for (int i = 0; i < kAdminWriteKinds; ++i) {
    const absl::string_view rpc = AdminWriteName(static_cast<AdminWrite>(i));
    for (int ok = 0; ok < 2; ++ok) {
      absl::StrAppend(&out, "corsd_admin_writes_total{rpc=\"", rpc,
                      "\",result=\"", ok == 0 ? "ok" : "error", "\"} ",
                      admin_writes_[i][ok].load(std::memory_order_relaxed),
                      "\n");
    }
  }
  AppendFamily(&out, "corsd_admin_write_items_total", "counter",
               "Items (tenants, entries) carried by admin write RPCs.");
  for (int i = 0; i < kAdminWriteKinds; ++i) {
    absl::StrAppend(&out, "corsd_admin_write_items_total{rpc=\"",
                    AdminWriteName(static_cast<AdminWrite>(i)), "\"} ",
                    admin_items_[i].load(std::memory_order_relaxed), "\n");
  }

  AppendFamily(&out, "corsd_table_entries", "gauge",
               "Entries in the in-memory origin table, by kind.");
  const std::pair<const char*, const std::atomic<uint64_t>*> kinds[] = {
      {"tenants", &tenants_},
      {"origins", &origins_},
      {"wildcards", &wildcards_},
      {"api_hosts", &api_hosts_}};
  for (const auto& [kind, value] : kinds) {
    absl::StrAppend(&out, "corsd_table_entries{kind=\"", kind, "\"} ",
                    value->load(std::memory_order_relaxed), "\n");
  }
  AppendFamily(&out, "corsd_table_bytes", "gauge",
               "Heap bytes held by the in-memory origin table.");
  absl::StrAppend(&out, "corsd_table_bytes ",
                  table_bytes_.load(std::memory_order_relaxed), "\n");
  AppendFamily(&out, "corsd_store_lag_milliseconds", "gauge",
               "How far this node's tables are behind the durable store.");
  absl::StrAppend(&out, "corsd_store_lag_milliseconds ",
                  store_lag_millis_.load(std::memory_order_relaxed), "\n");
  AppendFamily(&out, "corsd_ready", "gauge",
               "1 when the tables are loaded and the store is not lagging.");
  absl::StrAppend(&out, "corsd_ready ",
                  ready_.load(std::memory_order_relaxed) ? 1 : 0, "\n");
  return out;
}

}  // namespace corsd::decision
