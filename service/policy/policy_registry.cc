#include "service/policy/policy_registry.h"

#include "absl/strings/str_cat.h"

namespace corsd::policy {

PolicyRegistry::PolicyRegistry(table::EpochManager* epochs) : epochs_(epochs) {}

PolicyRegistry::~PolicyRegistry() {
  for (std::atomic<Chunk*>& c : chunks_) {
    // relaxed: no reader may be active during destruction.
    Chunk* chunk = c.load(std::memory_order_relaxed);
    if (chunk == nullptr) continue;
    for (Slot& slot : chunk->slots) {
      delete slot.load(std::memory_order_relaxed);
    }
    delete chunk;
  }
}

const CompiledPolicy* PolicyRegistry::Find(table::TenantId id) const {
  if (id >= kMaxTenants) return nullptr;  // kNoTenant too
  // acquire: pairs with the release in Set that published the chunk, so its
  // zero-initialized slots are visible.
  const Chunk* chunk = chunks_[id / kChunkSize].load(std::memory_order_acquire);
  if (chunk == nullptr) return nullptr;
  // acquire: pairs with the release in Set that published the policy, so
  // every field written by Validate is visible.
  return chunk->slots[id % kChunkSize].load(std::memory_order_acquire);
}

absl::Status PolicyRegistry::Set(table::TenantId id,
                                 std::unique_ptr<const CompiledPolicy> policy) {
  if (policy == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy for tenant id ", id, " is null"));
  }
  if (id >= kMaxTenants) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tenant id ", id, " is out of range; expected below ", kMaxTenants));
  }
  std::atomic<Chunk*>& entry = chunks_[id / kChunkSize];
  // relaxed: only the (serialized) writer stores chunk pointers.
  Chunk* chunk = entry.load(std::memory_order_relaxed);
  if (chunk == nullptr) {
    chunk = new Chunk();
    // release: readers that see the pointer see the zeroed slots.
    entry.store(chunk, std::memory_order_release);
  }
  // acq_rel: release publishes the new policy's contents to readers; the
  // acquire half is not needed by the single writer but is harmless.
  const CompiledPolicy* old = chunk->slots[id % kChunkSize].exchange(
      policy.release(), std::memory_order_acq_rel);
  if (old != nullptr) {
    epochs_->RetireObject(const_cast<CompiledPolicy*>(old));
  } else {
    // relaxed: a statistic read by the writer side only.
    size_.fetch_add(1, std::memory_order_relaxed);
  }
  epochs_->Reclaim();
  return absl::OkStatus();
}

bool PolicyRegistry::Remove(table::TenantId id) {
  if (id >= kMaxTenants) return false;
  // relaxed: only the (serialized) writer stores chunk pointers.
  Chunk* chunk = chunks_[id / kChunkSize].load(std::memory_order_relaxed);
  if (chunk == nullptr) return false;
  // acq_rel: see Set; readers that load nullptr afterwards find no policy.
  const CompiledPolicy* old = chunk->slots[id % kChunkSize].exchange(
      nullptr, std::memory_order_acq_rel);
  if (old == nullptr) return false;
  epochs_->RetireObject(const_cast<CompiledPolicy*>(old));
  // relaxed: a statistic read by the writer side only.
  size_.fetch_sub(1, std::memory_order_relaxed);
  epochs_->Reclaim();
  return true;
}

size_t PolicyRegistry::size() const {
  // relaxed: a statistic; exact for the writer, approximate for others.
  return size_.load(std::memory_order_relaxed);
}

}  // namespace corsd::policy
