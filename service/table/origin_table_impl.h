// OriginTable's private state, shared by origin_table.cc (readers, slow
// paths) and origin_table_apply.cc (validation, batches). Internal to
// service/table.
//
// Memory orders of the atomics here:
//   * committed (the number of the last committed batch): stored with
//     release after every pending slot and root of the batch is written;
//     loaded with acquire once per reader call, before any root or slot, so
//     the call sees that batch's slots (and roots) or newer ones.
//   * tenant name directory and chunks: stored with release after the string
//     is built, loaded with acquire by TenantName.
#ifndef CORSD_SERVICE_TABLE_ORIGIN_TABLE_IMPL_H_
#define CORSD_SERVICE_TABLE_ORIGIN_TABLE_IMPL_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "service/table/key_table.h"
#include "service/table/origin_keys.h"
#include "service/table/origin_table.h"

namespace corsd::table {

namespace internal {

// id -> name, readable lock-free: a fixed directory of chunks of pointers.
class TenantNames {
 public:
  static constexpr int kChunkBits = 12;
  static constexpr size_t kChunk = size_t{1} << kChunkBits;
  static constexpr size_t kDir = kMaxTenants / kChunk;
  struct Chunk {
    std::atomic<const std::string*> p[kChunk] = {};
  };

  TenantNames() : dir_(new std::atomic<Chunk*>[kDir]()) {}
  ~TenantNames() {
    for (size_t c = 0; c < kDir; ++c) {
      Chunk* chunk = dir_[c].load(std::memory_order_relaxed);  // no readers
      if (chunk == nullptr) continue;
      for (auto& p : chunk->p) delete p.load(std::memory_order_relaxed);
      delete chunk;
    }
  }
  // Reader: the name of `id`, or nullptr.
  const std::string* Get(TenantId id) const {
    if (id >= kMaxTenants) return nullptr;
    const Chunk* chunk =
        dir_[id >> kChunkBits].load(std::memory_order_acquire);  // file top
    if (chunk == nullptr) return nullptr;
    return chunk->p[id & (kChunk - 1)].load(std::memory_order_acquire);
  }
  // Writer.
  void Set(TenantId id, absl::string_view name) {
    Chunk* chunk = dir_[id >> kChunkBits].load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new Chunk;
      dir_[id >> kChunkBits].store(chunk, std::memory_order_release);
      bytes_ += sizeof(Chunk);
    }
    chunk->p[id & (kChunk - 1)].store(new std::string(name),
                                      std::memory_order_release);
    bytes_ += sizeof(std::string) + name.size();
  }
  // Writer: unlinks the name; it is freed after a grace period.
  void Clear(TenantId id, EpochManager* epochs) {
    Chunk* chunk = dir_[id >> kChunkBits].load(std::memory_order_relaxed);
    const std::string* old = chunk->p[id & (kChunk - 1)].exchange(
        nullptr, std::memory_order_acq_rel);
    if (old == nullptr) return;
    bytes_ -= sizeof(std::string) + old->size();
    epochs->RetireObject(const_cast<std::string*>(old));
  }
  size_t bytes() const { return bytes_ + kDir * sizeof(void*); }

 private:
  std::unique_ptr<std::atomic<Chunk*>[]> dir_;
  size_t bytes_ = 0;  // writer only
};

struct Counts {
  uint64_t origins = 0, wildcards = 0, api_hosts = 0;
};

}  // namespace internal

struct OriginTable::Impl {
  using Counts = internal::Counts;
  explicit Impl(EpochManager* e)
      : epochs(e),
        tenants(e, &keys::HashWholeKey),
        origins(e, &keys::HashOriginKey),
        wildcards(e, &keys::HashOriginKey),
        api_hosts(e, &keys::HashWholeKey) {}

  EpochManager* const epochs;
  internal::KeyTable tenants;  // key: tenant name; owner: its id
  // origins and wildcards are placed by host (domain) and the owner's lane
  // (keys::HashOriginKey): a tenant's entry is one probe run away, the owners
  // of a host are keys::kLanes probe runs away.
  internal::KeyTable
      origins;  // key: EncodeHostKey(scheme, host, port); owner: tenant
  internal::KeyTable wildcards;  // key: EncodeHostKey(scheme, domain, port)
  internal::KeyTable api_hosts;  // key: host
  std::atomic<uint64_t> committed{0};
  internal::TenantNames names;

  mutable std::mutex mu;       // writers and slow paths
  uint32_t next_id = 0;        // guarded by mu
  std::vector<Counts> counts;  // by id; guarded by mu

  // ---- writer-side helpers (mu held) ----
  TenantId WriterFindTenant(absl::string_view name) const {
    TenantId found = kNoTenant;
    tenants.Owners(keys::HashWhole(name), name,
                   [&](uint32_t id) { found = id; });
    return found;
  }
  TenantId WriterApiOwner(absl::string_view host) const {
    TenantId found = kNoTenant;
    api_hosts.Owners(keys::HashWhole(host), host,
                     [&](uint32_t id) { found = id; });
    return found;
  }

  absl::Status ValidateLocked(const std::vector<Op>& ops) const;
  absl::StatusOr<ApplyResult> ApplyLocked(const std::vector<Op>& ops,
                                          bool bulk);
  void ReserveFor(const std::vector<Op>& ops, bool bulk);
};

}  // namespace corsd::table

#endif  // CORSD_SERVICE_TABLE_ORIGIN_TABLE_IMPL_H_
