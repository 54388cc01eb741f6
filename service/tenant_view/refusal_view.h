// RefusalView: corsd's per-tenant view of refusals (issue 15, part 4). A
// DecisionObserver (service/door/decision_observer.h) on the one decision
// path that answers "which of tenant T's callers are being refused, and
// why": the most refused origins of each tenant over the last window
// (RefusalViewOptions::window, --tenant-view-window, 15 minutes by default)
// with a count, the count's error bound, the latest reason and rule, and
// when each was last seen (Top; Admin TopRefused, `corsctl top`), and, for
// Prometheus, the refusals of the top N tenants (RenderPrometheus), so the
// number of series stays fixed however many tenants there are.
//
// Hot path (OnDecision, on the deciding thread): an allowed decision
// (door::IsRefusal false) pays one branch. A refusal reads the clock (the
// vDSO's coarse clock unless a clock is given), takes a token from its
// tenant's budget (a token bucket per table::TenantId modulo tenant_slots,
// as the decision log's: a flooding tenant spends only its own budget), and
// copies (tenant id, tenant name (cut at 128 bytes), Origin (cut at 256
// bytes), reason, cause, time) into a fixed record of a bounded lock-free
// ring. No lock, no allocation, no system call. A refusal over its budget,
// or finding the ring full, is dropped and counted.
//
// Off the hot path, one folder thread drains the ring into sketches under
// a mutex no deciding thread touches; queries read the sketches under the
// same mutex.
//
// Sketches. Each tenant (by its string id) gets kSlices space-saving
// sketches (Metwally et al.) of top_k counters, one per time slice of
// window / kSlices; a record goes to the slice of its time, and a slice
// older than the window is cleared before it is reused. At most tenant_cap
// tenants have sketches of their own (given out as their first refusal is
// folded; taken back when a tenant has had no refusal for a whole window);
// every other tenant shares one set of sketches of kSharedFactor x top_k
// counters keyed by (tenant, origin). Refusals no tenant owned (unknown
// tenant or host) have one set of sketches of their own, outside the cap.
// A query merges the slices of the window: it covers the last `window` at
// the granularity of a slice (a refusal older than `window` never counts;
// one newer than window x (kSlices - 1) / kSlices always does).
//
// Error bound. Within a slice, space-saving is exact while the tenant has
// at most top_k distinct refused origins; beyond that a new origin replaces
// the smallest counter m and starts at m + 1, so each counter overestimates
// by at most the m it started from (its `error`), and an origin not held
// was refused at most m times (m: the slice's minimum counter, at most the
// slice's refusals / top_k). Merging the slices, each entry's `count` is
// an upper bound and `count - error` a lower bound of the refusals folded
// for that origin in the window: the entry's error is the sum of its
// per-slice errors plus, for every full slice that does not hold it, that
// slice's minimum counter. Hence error <= N / top_k, where N is the
// tenant's refusals folded in the window (N / (kSharedFactor x top_k), N
// counting every sharing tenant, in the shared sketch), and every origin
// refused more than N / top_k times in the window is among the entries.
// Records dropped by budget or a full ring are never folded: the answer
// carries the drop counters, so that under a flood a reader knows the
// counts are a lower bound of what was refused.
//
// Memory bound (MemoryBoundBytes computes it from the options):
//   tenant_cap x kSlices x top_k x kCounterBytes       own sketches
//   + 2 x kSlices x kSharedFactor x top_k x kCounterBytes  shared + no-tenant
//     (the no-tenant sketches are top_k: counted generously as shared)
//   + ring_records x sizeof(record cell) + (tenant_slots + 1) x 64  ring,
//                                                               budgets
//   + tenant_cap x kTenantBytes                         the tenant index
// where kCounterBytes bounds one counter (three hash slots with their
// control bytes, the map's load factor staying above 7/16, plus a key of at
// most 128 + 1 + 256 bytes on the heap). With the
// defaults (top_k 16, tenant_cap 256, ring 4096, 4096 budget slots) that is
// about 16 MiB in the worst case of 385-byte keys; typical origins of ~40
// bytes use a fraction of it.
//
// Folder cost: a counter already held costs a hash lookup; a new origin in
// a full sketch scans the sketch for its minimum (O(top_k), O(kSharedFactor
// x top_k) in the shared sketch), so a flood of distinct origins is folded
// more slowly, and what the folder cannot keep up with is dropped as ring
// full (counted).
//
// Thread safety / invariants:
//   * OnDecision: any number of threads at once; lock-free (a producer
//     never waits for another producer or for the folder: it drops
//     instead); allocation-free.
//   * The ring is a door::BoundedRing (service/door/bounded_ring.h) with
//     the folder as its one consumer: producers claim a cell, fill the
//     record in place and publish it; the folder reads in claim order.
//   * Budgets: a door::TenantBudgets (service/door/tenant_budgets.h: one
//     word per bucket, changed only by CAS, on a cache line of its own).
//   * Sketches, the tenant index and the fold counters are guarded by
//     state_mu_, held by the folder while it folds a batch and by queries
//     (Top, RenderPrometheus, Stats); never by OnDecision.
//   * Destroy only after every door deciding with the view has stopped.
#ifndef CORSD_SERVICE_TENANT_VIEW_REFUSAL_VIEW_H_
#define CORSD_SERVICE_TENANT_VIEW_REFUSAL_VIEW_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/decision/reason.h"
#include "service/door/bounded_ring.h"
#include "service/door/decision_observer.h"
#include "service/door/tenant_budgets.h"

namespace corsd::tenant_view {

// Time slices a window is divided into.
inline constexpr int kSlices = 5;
// The shared sketch has this many times top_k counters.
inline constexpr size_t kSharedFactor = 16;
// Longest tenant id and Origin kept; longer values are cut (and flagged).
inline constexpr size_t kMaxTenantBytes = 128;
inline constexpr size_t kMaxOriginBytes = 256;

// What a counter remembers of the latest refusal counted in it.
struct RefusalMeta {
  decision::Reason reason = decision::Reason::kUnspecified;
  // Decision::cause (the refusal behind R6 forwarded, R13/R14, unknown
  // host); kUnspecified when none.
  decision::Reason cause = decision::Reason::kUnspecified;
  bool has_origin = false;  // false: the request had no Origin header
  bool origin_cut = false;  // the origin was longer than kMaxOriginBytes
  int64_t last_seen_unix_ms = 0;
  // The tenant's table::TenantId (its budget slot); kNoTenant when none.
  uint32_t tenant_id = 0xFFFFFFFFu;
};

// A space-saving sketch of at most `capacity` counters (see the file
// comment). Not thread-safe (the folder's; guarded by the view's mutex).
// Memory: at most `capacity` keys, each as long as the longest key added.
class SpaceSaving {
 public:
  struct Counter {
    uint64_t count = 0;  // upper bound of the key's occurrences
    uint64_t error = 0;  // count - error is a lower bound
    RefusalMeta meta;    // of the latest occurrence (largest time)
  };

  // capacity >= 1 (0 is taken as 1).
  explicit SpaceSaving(size_t capacity);

  // Counts one occurrence of `key`. When the key is not held and the sketch
  // is full, the smallest counter (the first found) is replaced: the new
  // key starts at its count + 1 with error = its count.
  void Add(absl::string_view key, const RefusalMeta& meta);
  void Clear();

  size_t capacity() const { return capacity_; }
  size_t size() const { return counters_.size(); }
  bool full() const { return counters_.size() >= capacity_; }
  // Occurrences added since the last Clear (exact).
  uint64_t total() const { return total_; }
  // The smallest count when full, else 0: a key not held occurred at most
  // this many times.
  uint64_t min_count() const;
  // The key's counter, or null when not held.
  const Counter* Find(absl::string_view key) const;
  const absl::flat_hash_map<std::string, Counter>& counters() const {
    return counters_;
  }

 private:
  size_t capacity_;
  uint64_t total_ = 0;
  absl::flat_hash_map<std::string, Counter> counters_;
};

struct RefusalViewOptions {
  // The window Top and the metrics cover: 10 seconds to 24 hours, a whole
  // number of milliseconds divisible by kSlices.
  absl::Duration window = absl::Minutes(15);
  // Counters per tenant per slice, 1 to 1024.
  size_t top_k = 16;
  // Tenants with sketches of their own, 1 to 65536; the others share one.
  size_t tenant_cap = 256;
  // Tenants with a corsd_tenant_refusals series, 0 to 1000.
  size_t metrics_top = 20;
  // Refusals per second a tenant budget folds (also the burst), 1 to
  // 1,000,000.
  uint32_t tenant_rate = 1000;
  // Budget slots (one more for refusals no tenant owns); a power of two, 1
  // to 2^20. Tenant ids equal modulo tenant_slots share a budget.
  size_t tenant_slots = 4096;
  // Records the ring holds; a power of two, 2 to 2^20.
  size_t ring_records = 4096;
  // How long the folder sleeps when the ring is empty.
  absl::Duration idle_poll = absl::Milliseconds(20);
  // Wall clock in ms since the Unix epoch, read on the deciding thread for
  // each refusal and by the folder and queries. Must be thread-safe and
  // must not block. Null: clock_gettime(CLOCK_REALTIME_COARSE).
  std::function<int64_t()> now_unix_ms = nullptr;
};

// One origin of a Top answer.
struct TopEntry {
  std::string origin;  // as sent, cut at kMaxOriginBytes; "" without Origin
  uint64_t count = 0;  // upper bound of its refusals folded in the window
  uint64_t error = 0;  // count - error is a lower bound
  RefusalMeta meta;    // of its latest refusal in the window
};

struct TopAnswer {
  // Entries by count (then origin), at most the asked limit.
  std::vector<TopEntry> entries;
  // The tenant's refusals folded in the window: exact for a tenant with
  // its own sketches; for a tenant in the shared sketch, the sum of its
  // entries' counts (an upper bound of what the shared sketch holds).
  uint64_t window_refusals = 0;
  // The tenant's refusals are in the sketch shared by the tenants beyond
  // tenant_cap (its error bounds are those of the shared sketch).
  bool shared = false;
  // Drops since the view started: over this tenant's budget slot (shared
  // with tenant ids equal modulo tenant_slots; 0 when the tenant has no
  // refusal in the window), and ring full (every tenant).
  uint64_t dropped_tenant_rate = 0;
  uint64_t dropped_ring_full = 0;
};

// Counters since the view started; a snapshot.
struct RefusalViewStats {
  uint64_t folded = 0;  // records folded into sketches
  uint64_t dropped_ring_full = 0;
  uint64_t dropped_tenant_rate = 0;
  uint64_t tenants = 0;  // tenants with sketches of their own now
};

class RefusalView final : public door::DecisionObserver {
 public:
  // Validates the options and starts the folder thread. Errors:
  // InvalidArgument naming the flag (--tenant-view-window,
  // --tenant-view-top-k, --tenant-view-tenants, --tenant-view-metrics-top)
  // or the option, its value and the accepted range.
  static absl::StatusOr<std::unique_ptr<RefusalView>> Create(
      RefusalViewOptions options);

  // Stops the folder (what the ring still holds is dropped).
  ~RefusalView() override;
  RefusalView(const RefusalView&) = delete;
  RefusalView& operator=(const RefusalView&) = delete;

  // The observer: see the file comment. Lock-free, allocation-free.
  void OnDecision(const door::DecisionEvent& event) override;

  // Returns once every record enqueued before the call has been folded.
  // For tests.
  void Flush();

  // The `limit` (1 to 1000) most refused origins of `tenant` (a tenant's
  // string id, 1 to kMaxTenantBytes bytes; with `unknown_tenant`, "" and
  // the refusals no tenant owned) in the window ending now. A tenant with
  // no refusal in the window gets an empty answer. Errors: InvalidArgument
  // naming the field (tenant, limit) and the value.
  absl::StatusOr<TopAnswer> Top(absl::string_view tenant, bool unknown_tenant,
                                size_t limit) const;

  // Appends, in Prometheus text format: corsd_tenant_refusals{tenant} (the
  // metrics_top tenants with the most refusals in the window, among those
  // with sketches of their own; label values escaped),
  // corsd_tenant_view_folded_total, corsd_tenant_view_dropped_total{cause}
  // and corsd_tenant_view_tenants.
  void RenderPrometheus(std::string* out) const;

  RefusalViewStats Stats() const;
  const RefusalViewOptions& options() const { return options_; }

  // The memory bound of the file comment for `options`, in bytes.
  static size_t MemoryBoundBytes(const RefusalViewOptions& options);

 private:
  struct Record;
  struct TenantSketches;

  explicit RefusalView(RefusalViewOptions options);
  int64_t NowMs() const;
  void FolderLoop();
  // Pops up to a batch of published records and folds them (state_mu_
  // taken inside); returns how many.
  size_t DrainAndFold();
  void Fold(const Record& r);  // state_mu_ held
  // Frees the own sketches of tenants with no refusal in the window at
  // `now_ms` (state_mu_ held).
  void Sweep(int64_t now_ms);
  int64_t EpochOf(int64_t unix_ms) const { return unix_ms / slice_ms_; }

  const RefusalViewOptions options_;
  const int64_t slice_ms_;

  // Deciding threads to the folder (the folder is its one consumer).
  const std::unique_ptr<door::BoundedRing<Record>> ring_;

  // The per-tenant budget (door/tenant_budgets.h).
  const std::unique_ptr<door::TenantBudgets> budgets_;

  // Relaxed: an event count, read only for reporting.
  alignas(64) std::atomic<uint64_t> dropped_ring_full_{0};

  // The sketches; see "Thread safety / invariants". std::mutex rather than
  // absl::Mutex: the system abseil is not built for ThreadSanitizer.
  mutable std::mutex state_mu_;
  std::vector<std::unique_ptr<TenantSketches>> own_;    // tenant_cap of them
  std::vector<size_t> free_own_;                        // indexes into own_
  absl::flat_hash_map<std::string, size_t> own_index_;  // tenant -> own_
  std::unique_ptr<TenantSketches> shared_;
  std::unique_ptr<TenantSketches> no_tenant_;
  uint64_t folded_ = 0;
  int64_t last_sweep_epoch_ = 0;

  // Folder coordination (never touched by OnDecision).
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable progress_;
  bool stop_ = false;            // guarded by mu_
  uint64_t flush_requests_ = 0;  // guarded by mu_
  uint64_t folded_pos_ = 0;      // guarded by mu_

  std::thread folder_;
};

}  // namespace corsd::tenant_view

#endif  // CORSD_SERVICE_TENANT_VIEW_REFUSAL_VIEW_H_
