// PolicyRegistry: the tenants' compiled policies, indexed by the OriginTable's
// interned TenantId, read lock-free by every decision.
//
// Layout: a fixed directory of kMaxChunks atomic chunk pointers; a chunk holds
// kChunkSize atomic `const CompiledPolicy*` slots. Chunks are allocated on
// first use and never freed or moved until the registry is destroyed, so
// growth never copies and never blocks readers. A replaced or removed policy
// is retired through the EpochManager and freed once no reader can hold it.
//
// Sharing: tenants whose policies are equal (same source Policy, hence the
// same compiled rules, since Validate is pure) share one CompiledPolicy. Set
// interns the policy it is given: when an equal one is already held, the new
// one is dropped and the slot points at the held one. The writer keeps a
// reference count per held policy (writer-side only, in `interned_`); a
// policy is retired only when no tenant uses it any more. Readers never see
// the counts: they load a raw pointer, as before.
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

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
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

  // Installs `policy` for `id`, replacing any previous one (retired once no
  // other tenant uses it). When a policy equal to `policy` is already held
  // for another tenant, that one is shared and `policy` is freed.
  // Errors: InvalidArgument when `policy` is null or `id` is kNoTenant or
  // >= kMaxTenants (the message names the id); nothing changes then.
  absl::Status Set(table::TenantId id,
                   std::unique_ptr<const CompiledPolicy> policy);
  // Removes the tenant's policy (retired once no other tenant uses it).
  // Returns whether one was set.
  bool Remove(table::TenantId id);
  // Number of tenants with a policy (writer's view).
  size_t size() const;
  // Number of distinct policies held (writer side only).
  size_t distinct_policies() const { return interned_.size(); }

 private:
  using Slot = std::atomic<const CompiledPolicy*>;
  struct Chunk {
    std::array<Slot, kChunkSize> slots{};
  };

  // Hash and equality of held policies by their source Policy.
  struct SourceHash {
    size_t operator()(const CompiledPolicy* p) const {
      return absl::Hash<Policy>()(p->source());
    }
  };
  struct SourceEq {
    bool operator()(const CompiledPolicy* a, const CompiledPolicy* b) const {
      return a == b || a->source() == b->source();
    }
  };

  // Drops one tenant's use of `policy`; retires it when it was the last.
  void Unref(const CompiledPolicy* policy);

  table::EpochManager* const epochs_;
  // Writer-only: every held policy -> number of slots pointing at it.
  absl::flat_hash_map<const CompiledPolicy*, size_t, SourceHash, SourceEq>
      interned_;
  std::array<std::atomic<Chunk*>, kMaxChunks> chunks_{};
  std::atomic<size_t> size_{0};
};

}  // namespace corsd::policy

#endif  // CORSD_SERVICE_POLICY_POLICY_REGISTRY_H_
