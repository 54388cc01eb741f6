// EpochManager implementation. See epoch.h for the contract.
//
// Scheme: a global epoch G (starts at 1, only grows). A reader entering its
// outermost guard loads G and announces it in its slot; leaving, it writes 0.
// Retire(d) advances G (t = G++), tagging d with t: a reader that loaded G
// after that increment also sees the unlink that preceded it, so only readers
// announcing an epoch <= t can hold what d frees. d runs once every announced
// epoch is 0 or > t.
//
// Memory orders (every atomic in this file):
//   * G.load(acquire) in the guard: pairs with Retire's fetch_add(acq_rel), so
//     a reader announcing e > t also sees every unlink made before tag t.
//   * announce.store(e, relaxed) + atomic_thread_fence(seq_cst) in the guard,
//     fence(seq_cst) + announce.load(acquire) in Reclaim/Synchronize: the
//     store-buffering pattern. Either the scan sees the announcement, or the
//     reader's later loads of shared pointers see the unlink.
//   * announce.store(0, release) leaving the guard: the reader's reads of
//     shared memory happen before a scan that sees 0 frees that memory.
//   * in_use CAS(acq_rel) / store(false, release): slot ownership hand-off
//     between threads (the new owner sees the old owner's depth reset).
//   * head (slot block list) CAS(release) / load(acquire): a new block's slots
//     are initialized before scanners can reach it.
//   * dead.store(true, release) / load(acquire): registries of destroyed
//     managers are dropped from thread caches.
#include "service/table/epoch.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace corsd::table {
namespace {

// The full fence of the store-buffering pattern (file comment). ThreadSanitizer
// does not model std::atomic_thread_fence, so under TSan the fence is a
// seq_cst read-modify-write of one word shared by all threads of a manager,
// which TSan does model (at the cost of a shared cache line, in TSan builds
// only).
#if defined(__SANITIZE_THREAD__)
#define CORSD_EPOCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CORSD_EPOCH_TSAN 1
#endif
#endif

struct alignas(64) Slot {
  // 0: not in a read section; otherwise the epoch the reader announced.
  std::atomic<uint64_t> announce{0};
  std::atomic<bool> in_use{false};
  // Guard nesting depth; touched only by the owning thread.
  uint32_t depth = 0;
};

constexpr size_t kSlotsPerBlock = 64;

struct Block {
  Slot slots[kSlotsPerBlock];
  Block* next = nullptr;
};

// The per-manager slot list. Shared-owned by the manager and by each thread
// that registered in it, so threads can release their slot at exit even if
// the manager is gone.
struct Registry {
  explicit Registry(uint64_t id) : uid(id) {}
  ~Registry() {
    Block* b = head.load(std::memory_order_acquire);  // see file comment
    while (b != nullptr) {
      Block* next = b->next;
      delete b;
      b = next;
    }
  }
  const uint64_t uid;
  std::atomic<Block*> head{nullptr};
  std::atomic<bool> dead{false};

  Slot* Claim() {
    for (Block* b = head.load(std::memory_order_acquire); b != nullptr;
         b = b->next) {
      for (Slot& s : b->slots) {
        bool expected = false;
        if (!s.in_use.load(std::memory_order_relaxed) &&  // cheap pre-check
            s.in_use.compare_exchange_strong(expected, true,
                                             std::memory_order_acq_rel)) {
          return &s;
        }
      }
    }
    Block* fresh = new Block;
    fresh->slots[0].in_use.store(true, std::memory_order_relaxed);  // private
    Block* old = head.load(std::memory_order_relaxed);  // CAS re-validates
    do {
      fresh->next = old;
    } while (!head.compare_exchange_weak(old, fresh, std::memory_order_release,
                                         std::memory_order_relaxed));
    return &fresh->slots[0];
  }
};

// Process-wide source of manager ids, so a thread cache never confuses a new
// manager with a destroyed one at the same address. Only ever incremented.
std::atomic<uint64_t> g_next_uid{1};

struct ThreadSlots {
  struct Entry {
    uint64_t uid;
    Slot* slot;
    std::shared_ptr<Registry> registry;
  };
  uint64_t last_uid = 0;
  Slot* last_slot = nullptr;
  std::vector<Entry> entries;

  ~ThreadSlots() {
    for (Entry& e : entries) {
      e.slot->depth = 0;
      e.slot->announce.store(0, std::memory_order_release);  // see file comment
      e.slot->in_use.store(false, std::memory_order_release);
    }
  }

  Slot* Find(const std::shared_ptr<Registry>& registry) {
    const uint64_t uid = registry->uid;
    if (uid == last_uid) return last_slot;
    Slot* slot = nullptr;
    for (const Entry& e : entries) {
      if (e.uid == uid) slot = e.slot;
    }
    if (slot == nullptr) {
      // First guard of this thread on this manager: drop dead registries,
      // then register (allocation happens only here).
      std::erase_if(entries, [](const Entry& e) {
        if (!e.registry->dead.load(std::memory_order_acquire)) return false;
        e.slot->in_use.store(false, std::memory_order_release);
        return true;
      });
      slot = registry->Claim();
      entries.push_back(Entry{uid, slot, registry});
    }
    last_uid = uid;
    last_slot = slot;
    return slot;
  }
};

thread_local ThreadSlots t_slots;

}  // namespace

struct EpochManager::Impl {
  std::shared_ptr<Registry> registry = std::make_shared<Registry>(
      g_next_uid.fetch_add(1, std::memory_order_relaxed));  // unique only
  std::atomic<uint64_t> epoch{1};       // G; see file comment
  std::atomic<uint64_t> fence_word{0};  // only under TSan; see FullFence

  void FullFence() {
#ifdef CORSD_EPOCH_TSAN
    fence_word.fetch_add(0, std::memory_order_seq_cst);  // TSan's fence
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);  // file comment
#endif
  }

  std::mutex mu;  // guards retired
  std::vector<std::pair<uint64_t, std::function<void()>>> retired;

  // Smallest announced epoch, or UINT64_MAX when no reader is inside.
  uint64_t MinAnnounced() {
    FullFence();
    uint64_t min = UINT64_MAX;
    for (Block* b = registry->head.load(std::memory_order_acquire);
         b != nullptr; b = b->next) {
      for (const Slot& s : b->slots) {
        const uint64_t a = s.announce.load(std::memory_order_acquire);
        if (a != 0 && a < min) min = a;
      }
    }
    return min;
  }
};

EpochManager::EpochManager() : impl_(std::make_unique<Impl>()) {}

EpochManager::~EpochManager() {
  std::vector<std::pair<uint64_t, std::function<void()>>> all;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    all.swap(impl_->retired);
  }
  for (auto& [tag, deleter] : all) deleter();
  impl_->registry->dead.store(true, std::memory_order_release);
}

EpochManager::ReadGuard::ReadGuard(EpochManager* manager) {
  Slot* slot = t_slots.Find(manager->impl_->registry);
  slot_ = slot;
  if (slot->depth++ == 0) {
    const uint64_t e = manager->impl_->epoch.load(std::memory_order_acquire);
    slot->announce.store(e, std::memory_order_relaxed);
    manager->impl_->FullFence();
  }
}

EpochManager::ReadGuard::~ReadGuard() {
  Slot* slot = static_cast<Slot*>(slot_);
  if (--slot->depth == 0) {
    slot->announce.store(0, std::memory_order_release);  // see file comment
  }
}

void EpochManager::Retire(std::function<void()> deleter) {
  const uint64_t tag =
      impl_->epoch.fetch_add(1, std::memory_order_acq_rel);  // file comment
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->retired.emplace_back(tag, std::move(deleter));
}

size_t EpochManager::Reclaim() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->retired.empty()) return 0;
    const uint64_t min = impl_->MinAnnounced();
    auto& retired = impl_->retired;
    size_t keep = 0;
    for (size_t i = 0; i < retired.size(); ++i) {
      if (retired[i].first < min) {
        ready.push_back(std::move(retired[i].second));
      } else {
        retired[keep++] = std::move(retired[i]);
      }
    }
    retired.resize(keep);
  }
  for (auto& deleter : ready) deleter();
  return ready.size();
}

void EpochManager::Synchronize() {
  const uint64_t t =
      impl_->epoch.fetch_add(1, std::memory_order_acq_rel);  // file comment
  impl_->FullFence();
  for (Block* b = impl_->registry->head.load(std::memory_order_acquire);
       b != nullptr; b = b->next) {
    for (const Slot& s : b->slots) {
      for (int spins = 0;; ++spins) {
        const uint64_t a = s.announce.load(std::memory_order_acquire);
        if (a == 0 || a > t) break;
        if (spins < 64) {
          std::this_thread::yield();
        } else {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
      }
    }
  }
  Reclaim();
}

size_t EpochManager::PendingForTest() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->retired.size();
}

}  // namespace corsd::table
