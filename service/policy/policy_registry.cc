#include "service/policy/policy_registry.h"

#include "absl/strings/str_cat.h"

namespace corsd::policy {

PolicyRegistry::PolicyRegistry(table::EpochManager* epochs) : epochs_(epochs) {}

PolicyRegistry::~PolicyRegistry() {
  // Every held policy is in interned_ exactly once (slots may share).
  for (const auto& [policy, refs] : interned_) delete policy;
  for (std::atomic<Chunk*>& c : chunks_) {
    // relaxed: no reader may be active during destruction.
    delete c.load(std::memory_order_relaxed);
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
  // Intern: share an equal held policy, else hold this one. The count is
  // taken before the old one is dropped, so re-setting an equal policy never
  // retires the shared one.
  const CompiledPolicy* installed;
  auto it = interned_.find(policy.get());
  if (it != interned_.end()) {
    installed = it->first;
    ++it->second;
    policy.reset();  // never published: no reader can hold it
  } else {
    installed = policy.release();
    interned_.emplace(installed, 1);
  }
  // acq_rel: release publishes the new policy's contents to readers (a
  // shared one was published before, and release still orders it); the
  // acquire half is not needed by the single writer but is harmless.
  const CompiledPolicy* old = chunk->slots[id % kChunkSize].exchange(
      installed, std::memory_order_acq_rel);
  if (old != nullptr) {
    Unref(old);
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
  Unref(old);
  // relaxed: a statistic read by the writer side only.
  size_.fetch_sub(1, std::memory_order_relaxed);
  epochs_->Reclaim();
  return true;
}

void PolicyRegistry::Unref(const CompiledPolicy* policy) {
  auto it = interned_.find(policy);
  // Every slot's policy is interned (invariant); a miss would be a bug.
  if (it == interned_.end() || --it->second > 0) return;
  interned_.erase(it);
  // Readers that loaded it before the slot changed may still hold it.
  epochs_->RetireObject(const_cast<CompiledPolicy*>(policy));
}

size_t PolicyRegistry::size() const {
  // relaxed: a statistic; exact for the writer, approximate for others.
  return size_.load(std::memory_order_relaxed);
}

}  // namespace corsd::policy
