// Decision ids: one name per decision that the door returns to the gateway
// (ext_authz dynamic_metadata, X-Corsd-Decision-Id, Decision.decision_id)
// and that corsd's decision log writes, so a gateway's log line and corsd's
// log line can be joined.
//
// An id is 64 bits, written as 16 lowercase hex digits. It is Mix(prefix +
// n): `prefix` is 64 random bits drawn once per process (getrandom), n a
// per-process counter, Mix the splitmix64 finalizer (a bijection on 64-bit
// words, so ids of one process never repeat before 2^64 decisions, and 0,
// which means "no id", is never issued). Two processes (restarts, replicas)
// collide only if their counter ranges overlap: for processes that issue n1
// and n2 ids, with probability (n1 + n2) / 2^64 (about 1e-7 for a trillion
// decisions each). The mix makes ids look unordered; it is invertible, so
// ids are not secrets and authenticate nothing.
//
// Cost: one relaxed fetch_add on a counter on its own cache line and three
// multiplies; no allocation, no lock, no system call.
#ifndef CORSD_SERVICE_DOOR_DECISION_ID_H_
#define CORSD_SERVICE_DOOR_DECISION_ID_H_

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace corsd::door {

// Number of characters of a formatted id.
inline constexpr size_t kDecisionIdChars = 16;

// A formatted id: 16 lowercase hex digits, no terminator. A plain value.
struct DecisionIdText {
  std::array<char, kDecisionIdChars> chars{};
  absl::string_view view() const {
    return absl::string_view(chars.data(), chars.size());
  }
};

// `id` as 16 lowercase hex digits (most significant first). Pure.
DecisionIdText FormatDecisionId(uint64_t id);

// The inverse of FormatDecisionId: false (and *id untouched) unless `text`
// is exactly 16 hex digits (either case). Pure.
bool ParseDecisionId(absl::string_view text, uint64_t* id);

// The per-process source of ids.
//
// Thread safety / invariants: Next() may be called from any number of
// threads at once; it is lock-free and wait-free (one fetch_add). The only
// shared state is `counter_`, alone on its cache line so deciding threads
// contend on nothing else. Every value Next() returns is distinct from
// every other value it returned (until 2^64 calls) and is never 0.
class DecisionIds {
 public:
  // Ids Mix(prefix + n) for n = 0, 1, ... (skipping the one n with
  // prefix + n == 0). Tests pass a fixed prefix; corsd passes
  // RandomPrefix().
  explicit DecisionIds(uint64_t prefix) : prefix_(prefix) {}
  DecisionIds(const DecisionIds&) = delete;
  DecisionIds& operator=(const DecisionIds&) = delete;

  // 64 random bits from getrandom(2); when that fails (a kernel without
  // it), the realtime clock's nanoseconds mixed with the process id.
  static uint64_t RandomPrefix();

  // The next id; never 0. Allocation-free, lock-free.
  uint64_t Next() {
    uint64_t x;
    do {
      // Relaxed: only uniqueness of the value matters; no other memory is
      // published or read through this counter.
      x = prefix_ + counter_.fetch_add(1, std::memory_order_relaxed);
    } while (x == 0);
    return Mix(x);
  }

  // The splitmix64 finalizer: a bijection with Mix(0) == 0. Pure.
  static constexpr uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  const uint64_t prefix_;
  // alignas(64) also rounds the object's size up to 128 bytes: nothing
  // else lives on the counter's cache line.
  alignas(64) std::atomic<uint64_t> counter_{0};
};

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_DECISION_ID_H_
