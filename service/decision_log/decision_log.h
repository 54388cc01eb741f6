// DecisionLog: corsd's decision log (--decision-log). A DecisionObserver
// (service/door/decision_observer.h) on the one decision path that writes
// one JSON line per logged decision to stdout or a file, so an operator can
// find every refusal afterwards and join it with the gateway's own log line
// through the decision id.
//
// What is logged: every refusal (door::IsRefusal: everything but R1 and
// the allowing R2/R3/R6/R11 reasons) and a sample of the rest
// (DecisionLogOptions::sample; chosen from the decision id's bits, which
// are uniform, so no random state is kept), within a per-tenant budget
// (below). One line, keys in this order:
//
//   {"time":"2024-05-01T12:34:56.789Z","decision_id":"0123456789abcdef",
//    "door":"http","tenant":"shop","origin":"https://evil.example",
//    "method":"PUT","path_class":"/api","action":"ACTION_ANSWER",
//    "status":403,"reason":"REASON_R14_UNSAFE_METHOD_DENIED","rule":"R14"}
//
//   time        when the decision was taken, RFC 3339 UTC, milliseconds
//   decision_id 16 hex digits, as the door returned it; null without ids
//   door        "decide", "ext_authz" or "http"
//   tenant      the tenant decided for; "" when no tenant was found
//   origin      the Origin header as sent; null when there was none
//   method      the request method as sent
//   path_class  the policy route class that applied (its path prefix), or
//               "default" (the policy's top level, or no policy)
//   action      ACTION_CONTINUE / ACTION_ANSWER
//   status      the answer's status (204, 403); 0 for ACTION_CONTINUE
//   reason      the corsd.v1.Reason enum name
//   rule        "R1".."R17"; "" when no rule applies (unknown tenant)
//
// Never logged: the path or query (only its class), the host, and every
// header value other than Origin (cookies and Authorization never reach the
// decision path as values at all: doors pass only "credentials present").
// Values are escaped byte by byte: '"' and '\' as \" and \\, every byte
// below 0x20, 0x7f and every byte 0x80 and above as \u00XX (so a line is
// plain ASCII whatever the client sent, and each \u00XX is the byte XX). A
// value longer than its field (origin 256 bytes, tenant 128, path class
// 96, method 32) is cut and ends in "\u2026" (U+2026, which no input byte
// can produce: they are escaped as \u00XX).
//
// Per-tenant budget: a fixed table of `tenant_slots` token buckets, each
// filled at `tenant_rate` lines per second up to a burst of `tenant_rate`,
// plus one bucket for every decision no tenant owns. A tenant's bucket is
// its table::TenantId modulo tenant_slots (ids are dense and never reused:
// the table numbers tenants 0, 1, 2... as it loads or creates them). A
// line takes one token; a sampled allow takes one only while the bucket is
// more than half full, so allows never spend the half of the budget kept
// for refusals. Bound: the first tenant_slots tenants created (4096 by default)
// each have a bucket of their own, so each gets at most tenant_rate lines a
// second (plus one burst) whatever the others do; beyond that, tenants
// whose ids are equal modulo tenant_slots share one budget (with T tenants,
// at most ceil(T / tenant_slots) share). The whole log writes at most
// (tenant_slots + 1) x tenant_rate lines a second.
//
// Off the hot path: OnDecision copies the fields into a fixed-size record
// of a bounded ring (no allocation, no lock, no system call: the clocks are
// read through the vDSO, the coarse one for the budget and the precise one
// only for a line that will be written); a background thread formats the
// records and writes them. When the ring is full the record is dropped and
// counted; so are lines over a tenant's budget and lines a failed write
// lost: corsd_decision_log_dropped_total{cause="ring_full"|"tenant_rate"|
// "write_error"}. Decisions that are neither refused nor sampled cost a
// branch or two.
//
// Rotation: Reopen() opens the path again (after logrotate renamed it) and
// switches to it between two writes: lines written before go to the old
// file, later ones to the new, none is lost or split. corsd calls it on
// SIGHUP (App::Reload).
//
// Thread safety / invariants:
//   * OnDecision: any number of threads at once; lock-free (a producer
//     never waits for another producer or for the writer: it drops
//     instead); allocation-free.
//   * The ring is a door::BoundedRing (service/door/bounded_ring.h): the
//     writer thread is its one consumer, in claim order. A producer
//     descheduled between its claim and its publish delays the writer
//     (which waits for that cell), never another producer.
//   * Token buckets: a door::TenantBudgets (service/door/tenant_budgets.h:
//     one word per bucket, changed only by CAS, on a cache line of its
//     own).
//   * Reopen, Flush, Stats, RenderPrometheus: any thread; Reopen and the
//     writer serialize on a mutex that no deciding thread touches.
//   * Destroy only after every door deciding with it has stopped; the
//     destructor writes what the ring holds, then closes the file.
#ifndef CORSD_SERVICE_DECISION_LOG_DECISION_LOG_H_
#define CORSD_SERVICE_DECISION_LOG_DECISION_LOG_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/door/bounded_ring.h"
#include "service/door/decision_observer.h"
#include "service/door/tenant_budgets.h"

namespace corsd::decision_log {

struct DecisionLogOptions {
  // "-": standard output (never reopened); otherwise a file, created when
  // missing (mode 0640), appended to.
  std::string path;
  // Fraction of the decisions that are not refusals to log, 0 to 1.
  double sample = 0.01;
  // Lines per second per tenant bucket (also the burst), 1 to 1,000,000.
  uint32_t tenant_rate = 100;
  // Tenant buckets (one more is kept for unknown tenants); a power of two,
  // 1 to 2^20.
  size_t tenant_slots = 4096;
  // Records the ring holds; a power of two, 2 to 2^20 (~600 bytes each).
  size_t ring_records = 8192;
  // How long the writer sleeps when the ring is empty (Flush, Reopen and
  // the destructor wake it at once).
  absl::Duration idle_poll = absl::Milliseconds(5);
  // Wall clock in microseconds since the Unix epoch, read on the deciding
  // thread for each refused or sampled decision (bucket refills, and the
  // time of a line). Null: clock_gettime(CLOCK_REALTIME_COARSE) for the
  // buckets (a few ms of resolution) and CLOCK_REALTIME for line times.
  // Must be thread-safe and must not block.
  std::function<int64_t()> now_unix_micros = nullptr;
};

// Counters since Open; each read is a relaxed snapshot.
struct DecisionLogStats {
  uint64_t lines = 0;  // written
  uint64_t dropped_ring_full = 0;
  uint64_t dropped_tenant_rate = 0;
  uint64_t dropped_write_error = 0;  // lines a failed write() lost
  uint64_t reopens = 0;              // successful Reopen calls
};

class DecisionLog final : public door::DecisionObserver {
 public:
  // Opens the output and starts the writer thread. Errors: InvalidArgument
  // naming the flag (--decision-log, --decision-log-sample,
  // --decision-log-tenant-rate) and the value for an option out of range or
  // an empty path; NotFound / PermissionDenied / Internal (errno's text,
  // naming --decision-log and the path) when the file cannot be opened.
  static absl::StatusOr<std::unique_ptr<DecisionLog>> Open(
      DecisionLogOptions options);

  // Drains the ring, writes, stops the writer, closes the file.
  ~DecisionLog() override;
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // The observer: see the file comment. Lock-free, allocation-free.
  void OnDecision(const door::DecisionEvent& event) override;

  // Opens options.path again and makes the writer use the new file from
  // its next write; the old descriptor is closed. A no-op for "-". On an
  // error (same codes as Open) the log keeps writing to the old file.
  absl::Status Reopen();

  // Returns once every record enqueued before the call has been written (or
  // lost to a failed write). For tests and orderly shutdown.
  void Flush();

  DecisionLogStats Stats() const;

  // Appends the log's counters in Prometheus text format:
  // corsd_decision_log_lines_total and corsd_decision_log_dropped_total{
  // cause}.
  void RenderPrometheus(std::string* out) const;

  // The bucket of `tenant` (table::kNoTenant: the unknown-tenant bucket).
  size_t SlotOf(uint32_t tenant) const;

 private:
  struct Record;

  explicit DecisionLog(DecisionLogOptions options, int fd);
  // The line time, and the bucket clock in ms (see now_unix_micros).
  int64_t NowMicros() const;
  uint32_t BucketMillis() const;
  void WriterLoop();
  // Pops every published record into `lines` (formatted); returns how many.
  size_t Drain(std::string* lines);
  // Writes `lines` whole to the current descriptor (file_mu_ held); 0, or
  // the errno of the write that failed.
  int WriteAll(absl::string_view lines);

  const DecisionLogOptions options_;
  const uint64_t sample_threshold_;  // an allow is logged when id < it
  const bool sample_all_;            // sample >= 1

  // Deciding threads to the writer thread, its one consumer (which
  // publishes its read position to Flush as written_pos_ under mu_).
  const std::unique_ptr<door::BoundedRing<Record>> ring_;

  // The per-tenant budget (door/tenant_budgets.h).
  const std::unique_ptr<door::TenantBudgets> budgets_;

  // Relaxed counters: independent event counts, read only for reporting.
  alignas(64) std::atomic<uint64_t> dropped_ring_full_{0};
  std::atomic<uint64_t> lines_{0};
  std::atomic<uint64_t> dropped_write_error_{0};
  std::atomic<uint64_t> reopens_{0};

  // Writer / control-plane coordination (never touched by OnDecision).
  // std::mutex rather than absl::Mutex: the system abseil is not built for
  // ThreadSanitizer, which then cannot see its synchronization.
  std::mutex mu_;
  std::condition_variable wake_;      // the writer: stop or flush requested
  std::condition_variable progress_;  // Flush waiters: written_pos_ moved
  bool stop_ = false;                 // guarded by mu_
  uint64_t flush_requests_ = 0;       // guarded by mu_
  uint64_t written_pos_ = 0;          // guarded by mu_

  // The output; the writer holds file_mu_ across each write, Reopen across
  // the swap.
  std::mutex file_mu_;
  int fd_ = -1;  // guarded by file_mu_

  std::thread writer_;
};

}  // namespace corsd::decision_log

#endif  // CORSD_SERVICE_DECISION_LOG_DECISION_LOG_H_
