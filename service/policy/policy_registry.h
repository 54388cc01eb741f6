// PolicyRegistry: the tenants' compiled policies, indexed by the OriginTable's
// interned TenantId, read lock-free by every decision.
//
// Layout: a fixed directory of kMaxChunks atomic chunk pointers; a chunk holds
// kChunkSize atomic `const CompiledPolicy*` slots. Chunks are allocated on
// first use and never freed or moved until the registry is destroyed, so
// growth never copies and never blocks readers. A replaced or removed policy
// is retired through the EpochManager and freed once no reader can hold it.
//
// Thread safety / invariants:
//   * Readers call Find inside an EpochManager::ReadGuard of the manager the
//     registry was built with; they take no lock, allocate nothing and write
//     no shared memory. The returned pointer stays valid while the guard is
//     held.
//   * Writers (Set, Remove) are serialized by the caller (the Catalog's
//     mutex); they may run concurrently with any number of readers.
//   * Publication: a slot is stored with memory_order_release after the
//     CompiledPolicy is fully built; readers load it with
//     memory_order_acquire, so they see a fully built policy or the old one.
//     Chunk pointers follow the same release/acquire pairing.
//   * The registry owns every policy it holds; the destructor frees them (no
//     reader may be active then). The EpochManager must outlive the registry.
#ifndef CORSD_SERVICE_POLICY_POLICY_REGISTRY_H_
#define CORSD_SERVICE_POLICY_POLICY_REGISTRY_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "service/policy/policy.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::policy {

class PolicyRegistry {
 public:
  static constexpr size_t kChunkSize = 4096;
  static constexpr size_t kMaxChunks = 4096;
  // TenantIds at or above this are refused by Set (16.7M tenants).
  static constexpr size_t kMaxTenants = kChunkSize * kMaxChunks;

  // `epochs` must outlive the registry; it should be the OriginTable's, so
  // one ReadGuard covers both.
  explicit PolicyRegistry(table::EpochManager* epochs);
  // Frees every policy and chunk. No reader may be active.
  ~PolicyRegistry();
  PolicyRegistry(const PolicyRegistry&) = delete;
  PolicyRegistry& operator=(const PolicyRegistry&) = delete;

  // ---- Reader side: inside a ReadGuard ----

  // The tenant's policy, or nullptr when none was set (or id is kNoTenant or
  // out of range). Lock-free, allocation-free, O(1).
  const CompiledPolicy* Find(table::TenantId id) const;

  // ---- Writer side: serialized by the caller ----

  // Installs `policy` for `id`, replacing (and retiring) any previous one.
  // Errors: InvalidArgument when `policy` is null or `id` is kNoTenant or
  // >= kMaxTenants (the message names the id); nothing changes then.
  absl::Status Set(table::TenantId id,
                   std::unique_ptr<const CompiledPolicy> policy);
  // Removes and retires the tenant's policy. Returns whether one was set.
  bool Remove(table::TenantId id);
  // Number of tenants with a policy (writer's view).
  size_t size() const;

 private:
  using Slot = std::atomic<const CompiledPolicy*>;
  struct Chunk {
    std::array<Slot, kChunkSize> slots{};
  };

  table::EpochManager* const epochs_;
  std::array<std::atomic<Chunk*>, kMaxChunks> chunks_{};
  std::atomic<size_t> size_{0};
};

}  // namespace corsd::policy

#endif  // CORSD_SERVICE_POLICY_POLICY_REGISTRY_H_
