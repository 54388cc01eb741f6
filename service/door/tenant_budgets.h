// TenantBudgets: a fixed table of per-tenant token buckets, so one tenant's
// flood of observed decisions spends only its own budget and cannot push
// another tenant's out of what an observer keeps (the decision log, the
// per-tenant refusal view).
//
// Layout: `slots` buckets (a power of two) plus one for decisions no tenant
// owns (table::kNoTenant). A tenant's bucket is its table::TenantId modulo
// `slots`: ids are dense from 0 and never reused, so the first `slots`
// tenants each have a bucket of their own; later ones share, at most
// ceil(T / slots) to a bucket. Each bucket refills at `rate` tokens a
// second up to a burst of `rate`, and starts full.
//
// Thread safety / invariants: Take may be called from any number of
// threads at once; lock-free and allocation-free. Each bucket is one 64-bit
// word, (last refill in ms, modulo 2^32) << 32 | milli-tokens, changed only
// by a relaxed CAS (the word is self-contained: nothing else is published
// through it), with its drop count beside it on a cache line of its own.
// Dropped and TotalDropped are relaxed snapshots of event counts.
#ifndef CORSD_SERVICE_DOOR_TENANT_BUDGETS_H_
#define CORSD_SERVICE_DOOR_TENANT_BUDGETS_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "service/table/origin_table.h"

namespace corsd::door {

class TenantBudgets {
 public:
  // Which tokens a take may spend.
  enum class Spend {
    kAny,        // any whole token
    kUpperHalf,  // only while the bucket stays over half full, so that kAny
                 // takers (refusals) keep the lower half to themselves
  };

  // `slots`: a power of two >= 1; `rate`: tokens per second and the burst,
  // >= 1 (the owner validates its options first); `now_ms`: the clock the
  // buckets start full at.
  TenantBudgets(size_t slots, uint32_t rate, uint32_t now_ms)
      : mask_(slots - 1),
        rate_(rate),
        capacity_(uint64_t{rate} * kMilliTokens),
        buckets_(new Bucket[slots + 1]) {
    for (size_t i = 0; i <= slots; ++i) {
      // Relaxed: before any other thread can see the table (its owner hands
      // it over through a thread start or a release store).
      buckets_[i].state.store((uint64_t{now_ms} << 32) | capacity_,
                              std::memory_order_relaxed);
    }
  }
  TenantBudgets(const TenantBudgets&) = delete;
  TenantBudgets& operator=(const TenantBudgets&) = delete;

  // The bucket of `tenant`: its id modulo the slots, or the last bucket for
  // table::kNoTenant.
  size_t SlotOf(uint32_t tenant) const {
    return tenant == table::kNoTenant ? mask_ + 1 : (tenant & mask_);
  }

  // Refills `tenant`'s bucket to `now_ms` (a wall clock in ms, modulo
  // 2^32; a clock that went back refills nothing) and takes one token as
  // `spend` allows. False, counted as a drop of that bucket, when it may
  // not.
  bool Take(uint32_t tenant, uint32_t now_ms, Spend spend) {
    Bucket& b = buckets_[SlotOf(tenant)];
    uint64_t old = b.state.load(std::memory_order_relaxed);  // see Bucket
    for (;;) {
      const uint32_t last = static_cast<uint32_t>(old >> 32);
      uint32_t elapsed = now_ms - last;  // modulo 2^32
      // More than 2^31 ms "elapsed": the clock went back; restart from now.
      if (elapsed > (uint32_t{1} << 31)) elapsed = 0;
      uint64_t tokens =
          std::min(capacity_, (old & 0xffffffffu) + uint64_t{elapsed} * rate_);
      const bool take = tokens >= kMilliTokens &&
                        (spend == Spend::kAny || 2 * tokens > capacity_);
      if (take) tokens -= kMilliTokens;
      const uint64_t next = (uint64_t{now_ms} << 32) | tokens;
      if (next == old ||
          // Relaxed: see Bucket::state.
          b.state.compare_exchange_weak(old, next, std::memory_order_relaxed,
                                        std::memory_order_relaxed)) {
        // Relaxed: an event count, read only for reporting.
        if (!take) b.dropped.fetch_add(1, std::memory_order_relaxed);
        return take;
      }
    }
  }

  // Takes refused so far in `tenant`'s bucket (shared with the tenants of
  // the same slot).
  uint64_t Dropped(uint32_t tenant) const {
    return buckets_[SlotOf(tenant)].dropped.load(std::memory_order_relaxed);
  }

  // Takes refused so far in all buckets.
  uint64_t TotalDropped() const {
    uint64_t total = 0;
    for (size_t i = 0; i <= mask_ + 1; ++i) {
      total += buckets_[i].dropped.load(std::memory_order_relaxed);
    }
    return total;
  }

  // Bytes a table of `slots` slots takes.
  static constexpr size_t BytesFor(size_t slots) {
    return (slots + 1) * sizeof(Bucket);
  }

 private:
  static constexpr uint64_t kMilliTokens = 1000;  // one token

  struct alignas(64) Bucket {
    // (last refill ms modulo 2^32) << 32 | milli-tokens; relaxed CAS.
    std::atomic<uint64_t> state{0};
    // Relaxed: an event count, summed only for reporting.
    std::atomic<uint64_t> dropped{0};
  };

  const size_t mask_;
  const uint64_t rate_;
  const uint64_t capacity_;  // milli-tokens
  const std::unique_ptr<Bucket[]> buckets_;
};

}  // namespace corsd::door

#endif  // CORSD_SERVICE_DOOR_TENANT_BUDGETS_H_
