// EpochManager: epoch-based reclamation (RCU style) for the lock-free tables.
// Readers pin the current epoch with a ReadGuard; writers unlink memory and
// hand it to Retire; it is freed once every guard that might still see it has
// closed.
//
// Thread safety / invariants (the .cc states every atomic's memory order):
//   * ReadGuard: lock-free, allocation-free after a thread's first guard on a
//     given manager (which registers a per-thread slot, claimed with a CAS in
//     a per-manager slot list and cached in a thread_local). Guards nest: only
//     the outermost one announces and clears the epoch.
//   * Retire / Synchronize / Reclaim: any thread; they never block readers.
//     Retire and Reclaim take an internal mutex that only writers contend on.
//   * Memory passed to Retire is freed only after every guard that was open
//     when Retire was called has closed (guards opened later cannot reach it:
//     the caller unlinked it before retiring).
//   * The manager must outlive every thread's last guard on it. A thread's
//     slot is released when the thread exits (the slot list is shared-owned,
//     so that is safe even after the manager is gone).
//   * A guard writes only its own thread's slot (its own cache line), except
//     in ThreadSanitizer builds, where the full fence it needs is a seq_cst
//     RMW of one per-manager word (TSan does not model fences).
//   * Deleters run on the thread that calls Reclaim / Synchronize / the
//     destructor, never under a ReadGuard of this manager.
#ifndef CORSD_SERVICE_TABLE_EPOCH_H_
#define CORSD_SERVICE_TABLE_EPOCH_H_

#include <cstddef>
#include <functional>
#include <memory>

namespace corsd::table {

class EpochManager {
 public:
  EpochManager();
  ~EpochManager();  // frees everything still retired
  EpochManager(const EpochManager&) = delete;
  EpochManager& operator=(const EpochManager&) = delete;

  // RAII pin of the current epoch for the calling thread. Not movable across
  // threads. `manager` must be non-null and outlive the guard.
  class ReadGuard {
   public:
    explicit ReadGuard(EpochManager* manager);
    ~ReadGuard();
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;

   private:
    void* slot_;  // the calling thread's slot in manager's slot list
  };

  // Schedules `deleter` to run once no reader can hold what it frees. The
  // caller must have unlinked the memory (made it unreachable for guards
  // opened from now on) before calling. Never blocks on readers.
  void Retire(std::function<void()> deleter);

  template <typename T>
  void RetireObject(T* p) {
    Retire([p] { delete p; });
  }

  // Frees what can be freed now; returns how many deleters ran. Writers call
  // it after publishing; it never waits.
  size_t Reclaim();

  // Waits until every guard open at the call has closed, then reclaims.
  // For writers that need memory back (or a grace period) before going on.
  // Never call it while holding a ReadGuard of this manager (it would wait
  // forever).
  void Synchronize();

  // Deleters retired and not yet run (for tests and stats).
  size_t PendingForTest() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::table

#endif  // CORSD_SERVICE_TABLE_EPOCH_H_
