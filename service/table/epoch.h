// EpochManager: epoch-based reclamation (RCU style) for the lock-free tables.
// Readers pin the current epoch with a ReadGuard; writers unlink memory and
// hand it to Retire; it is freed once every guard that might still see it has
// closed.
//
// Thread safety / invariants (the .cc states every atomic's memory order):
//   * ReadGuard: lock-free, allocation-free after a thread's first guard on a
//     given manager (which registers a per-thread slot). Guards nest.
//   * Retire / Synchronize / Reclaim: any thread; they never block readers.
//   * Memory passed to Retire at epoch E is freed only after every guard
//     opened before the retire has closed.
//   * The manager must outlive every thread's last guard.
#ifndef CORSD_SERVICE_TABLE_EPOCH_H_
#define CORSD_SERVICE_TABLE_EPOCH_H_

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
  // threads.
  class ReadGuard {
   public:
    explicit ReadGuard(EpochManager* manager);
    ~ReadGuard();
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;

   private:
    void* slot_;
  };

  // Schedules `deleter` to run once no reader can hold what it frees.
  void Retire(std::function<void()> deleter);

  template <typename T>
  void RetireObject(T* p) {
    Retire([p] { delete p; });
  }

  // Frees what can be freed now; returns how many deleters ran. Writers call
  // it after publishing; it never waits.
  size_t Reclaim();

  // Waits until every guard open at the call has closed, then reclaims.
  // For writers that need memory back before going on. Never call it while
  // holding a ReadGuard.
  void Synchronize();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::table

#endif  // CORSD_SERVICE_TABLE_EPOCH_H_
