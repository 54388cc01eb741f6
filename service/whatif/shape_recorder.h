// ShapeRecorder: the what-if recorder. A DecisionObserver
// (service/door/decision_observer.h) that keeps, per tenant, a bounded set
// of the distinct request shapes (shape.h) corsd decided recently, with a
// count and a last-seen time, so `corsctl what-if` (replay.h) can replay a
// tenant's real traffic against a proposed change.
//
// What is kept: for each tenant the decision path found (decisions for no
// tenant are ignored: there is no configuration to change), its first
// `shapes_per_tenant` distinct shapes, each with the number of decisions
// that had it and when the last one was seen (to the second). Shapes are
// never evicted: a tenant whose quota is full keeps its first shapes and
// counts the rest as dropped; the first `max_tenants` tenants seen are
// tracked, later ones are dropped and counted. A tenant deleted and created
// again is tracked again under its new table id (the old entry keeps its
// place in the cap until restart).
//
// Sampling: only one decision in `sample_one_in` is considered, chosen by
// the decision id's low bits (ids are uniform: door/decision_id.h; a
// decision without an id, 0, is always considered), so the other decisions
// pay one branch. A shape that recurs is kept after about sample_one_in of
// its decisions; one seen only a few times may be missed (what-if's --log
// replays a decision log's every line). Counts are estimates: each sampled
// decision counts sample_one_in (one without an id counts 1).
//
// Hot path (OnDecision, for a sampled decision): a lookup of the tenant in a
// fixed directory (open addressing on the table's TenantId, atomic 32-bit
// keys), a hash of the shape, and a probe of the tenant's fixed array of atomic
// 64-bit fingerprints; a known shape then costs one relaxed fetch_add on its
// count (and a relaxed store of the coarse clock when the second changed). No
// lock, no allocation, no system call: the clock is read by the background
// thread, which publishes it in an atomic the hot path loads. Only a shape
// the tenant's array does not hold yet (or a tenant not tracked yet) is
// copied into a fixed-size record of a bounded ring (door::BoundedRing, one
// consumer) for the background thread, which allocates and inserts; when
// the ring is full, the tenant's quota is used up, the tenant cap is
// reached, a field is over its bound, or the shape memory budget is spent,
// the decision is dropped and counted by cause
// (corsd_whatif_shapes_dropped_total{cause=...}).
//
// Memory bound (fixed at Create): directory 16 B x 2 x max_tenants
// (rounded up to a power of two); per tracked tenant a fingerprint array of
// 24 B x 2 x shapes_per_tenant (rounded up to a power of two) and its
// bookkeeping; the ring, ring_records x ~1.7 KiB; and the shapes' own
// bytes, at most `max_shape_bytes` in all (each shape's fields are bounded,
// shape.h: at most ~1.5 KiB). With the defaults (1024 tenants, 256 shapes,
// 1024 records, 64 MiB): at most 32 KiB + 12 MiB + 1.7 MiB + 64 MiB, plus
// a hash-map entry per kept shape.
//
// Thread safety / invariants:
//   * OnDecision: any number of threads at once; lock-free, allocation-free.
//   * The directory and the fingerprint arrays have one writer, the
//     background thread; a slot's key is stored with release after
//     everything it names is built, readers load it with acquire.
//     Fingerprints are never removed, so a probe that finds a key stays
//     right; a probe that misses a shape being inserted enqueues it again,
//     and the background thread adds its count to the inserted shape (no
//     decision is counted twice or lost, except by a counted drop).
//   * Counts and last-seen seconds are relaxed: independent counters, read
//     only for reports.
//   * The shapes themselves (bytes) are written by the background thread
//     under mu_, which Snapshot also takes; no deciding thread touches it.
//   * Destroy only after every door deciding with it has stopped.
#ifndef CORSD_SERVICE_WHATIF_SHAPE_RECORDER_H_
#define CORSD_SERVICE_WHATIF_SHAPE_RECORDER_H_

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

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/door/bounded_ring.h"
#include "service/door/decision_observer.h"
#include "service/whatif/shape.h"

namespace corsd::whatif {

// Limits of ShapeRecorderOptions (Create refuses values outside them).
inline constexpr size_t kMaxShapesPerTenant = 4096;
inline constexpr size_t kMaxTrackedTenants = 65536;
inline constexpr size_t kMaxRingRecords = 65536;
// Longest tenant id recorded (the catalog's ids are at most 128 bytes).
inline constexpr size_t kMaxShapeTenantBytes = 128;

inline constexpr uint32_t kMaxSampleOneIn = 65536;

struct ShapeRecorderOptions {
  // One decision in this many is considered (see "Sampling" above); a
  // power of two, 1 (every decision) to kMaxSampleOneIn (--whatif-sample).
  uint32_t sample_one_in = 32;
  // Distinct shapes kept per tenant, 1 to kMaxShapesPerTenant
  // (--whatif-shapes-per-tenant).
  size_t shapes_per_tenant = 256;
  // Tenants tracked, 1 to kMaxTrackedTenants (--whatif-tenants).
  size_t max_tenants = 1024;
  // Records the ring holds: a power of two, 2 to kMaxRingRecords.
  size_t ring_records = 1024;
  // Bytes of kept shapes in all (Shape::Bytes), at least 1 MiB.
  size_t max_shape_bytes = size_t{64} << 20;
  // How often the background thread drains the ring and reads the clock.
  absl::Duration poll = absl::Milliseconds(10);
  // Wall clock, unix milliseconds; read by the background thread only.
  // Null: absl::Now().
  std::function<int64_t()> now_unix_ms = nullptr;
};

// Counters since Create; each read is a relaxed snapshot.
struct ShapeRecorderStats {
  uint64_t tenants = 0;  // tracked
  uint64_t shapes = 0;   // kept, all tenants
  uint64_t shape_bytes = 0;
  uint64_t dropped_ring_full = 0;
  uint64_t dropped_tenant_full = 0;  // the tenant's quota was used up
  uint64_t dropped_tenant_cap = 0;   // max_tenants reached
  uint64_t dropped_too_large = 0;    // a field over its bound (shape.h)
  uint64_t dropped_memory = 0;       // max_shape_bytes spent
  uint64_t Dropped() const {
    return dropped_ring_full + dropped_tenant_full + dropped_tenant_cap +
           dropped_too_large + dropped_memory;
  }
};

// One kept shape, as Snapshot returns it.
struct RecordedShape {
  Shape shape;
  // Decisions with this shape, estimated (see "Sampling").
  uint64_t count = 0;
  int64_t last_seen_unix_ms = 0;  // to the second
};

class ShapeRecorder final : public door::DecisionObserver {
 public:
  // Starts the background thread. InvalidArgument naming the flag
  // (--whatif-shapes-per-tenant, --whatif-tenants) or option and the value
  // when one is out of range.
  static absl::StatusOr<std::unique_ptr<ShapeRecorder>> Create(
      ShapeRecorderOptions options);

  // Stops the background thread; frees everything.
  ~ShapeRecorder() override;
  ShapeRecorder(const ShapeRecorder&) = delete;
  ShapeRecorder& operator=(const ShapeRecorder&) = delete;

  // The observer: see the file comment. Lock-free, allocation-free.
  void OnDecision(const door::DecisionEvent& event) override;

  // Returns once every record enqueued before the call has been inserted
  // and the clock read again. For tests and the replay (so a shape decided
  // just before a what-if is in it).
  void Flush();

  // The kept shapes of the tenant whose string id is `tenant` (every table
  // id it had), largest count first. Empty when not tracked. Any thread;
  // takes mu_ (never waited on by a deciding thread).
  std::vector<RecordedShape> Snapshot(absl::string_view tenant) const;

  ShapeRecorderStats Stats() const;

  // Appends corsd_whatif_shapes (gauge), corsd_whatif_tenants (gauge) and
  // corsd_whatif_shapes_dropped_total{cause} in Prometheus text format.
  void RenderPrometheus(std::string* out) const;

  const ShapeRecorderOptions& options() const { return options_; }

 private:
  struct Record;
  struct FpSlot;
  struct FpTable;
  struct DirSlot;
  struct TenantData;

  explicit ShapeRecorder(ShapeRecorderOptions options);
  int64_t NowMs() const;
  // Seconds since start_ms_ at `now_ms`.
  uint32_t SecondsAt(int64_t now_ms) const;
  // The fingerprint table of `tenant`, or null when not tracked (yet).
  const FpTable* FindTable(uint32_t tenant) const;
  // The background thread's loop and one drain of the ring (returns the
  // number of records consumed).
  void Loop();
  size_t Drain();
  // Inserts one record's shape (mu_ held).
  void InsertLocked(const Record& record);

  const ShapeRecorderOptions options_;
  const uint64_t sample_mask_;  // sample_one_in - 1
  const size_t fp_slots_;       // per tenant: power of two >= 2 x quota
  const int64_t start_ms_;

  std::unique_ptr<DirSlot[]> dir_;
  const size_t dir_mask_;

  // Deciding threads to the background thread, its one consumer
  // (door/bounded_ring.h).
  const std::unique_ptr<door::BoundedRing<Record>> ring_;

  // Seconds since start_ms_, written by the background thread, read by
  // deciders (relaxed: a coarse clock; a stale read only ages last-seen by
  // one poll).
  alignas(64) std::atomic<uint32_t> now_s_{0};
  // Tenants tracked and whether the byte budget is spent: written by the
  // background thread, read by deciders to drop early (relaxed: a stale
  // read only sends one more record the background thread then drops).
  std::atomic<uint32_t> tenants_{0};
  std::atomic<bool> memory_full_{false};

  // Relaxed counters: independent event counts, read only for reporting.
  alignas(64) std::atomic<uint64_t> dropped_ring_full_{0};
  std::atomic<uint64_t> dropped_tenant_full_{0};
  std::atomic<uint64_t> dropped_tenant_cap_{0};
  std::atomic<uint64_t> dropped_too_large_{0};
  std::atomic<uint64_t> dropped_memory_{0};
  std::atomic<uint64_t> shapes_{0};
  std::atomic<uint64_t> shape_bytes_{0};

  // Background / control coordination (never touched by OnDecision).
  mutable std::mutex mu_;
  std::condition_variable wake_;      // background: stop or flush requested
  std::condition_variable progress_;  // Flush waiters
  bool stop_ = false;                 // guarded by mu_
  uint64_t flush_requests_ = 0;       // guarded by mu_
  uint64_t drained_pos_ = 0;          // guarded by mu_
  uint64_t drains_ = 0;               // guarded by mu_: loop passes done
  std::vector<std::unique_ptr<TenantData>> tenant_data_;  // guarded by mu_

  std::thread thread_;
};

}  // namespace corsd::whatif

#endif  // CORSD_SERVICE_WHATIF_SHAPE_RECORDER_H_
