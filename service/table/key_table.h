// KeyTable: the building block of OriginTable. One open-addressing (linear
// probing) hash table of byte-string keys, each with a 32-bit owner (a tenant
// id), whose slots are versioned so a whole batch of changes becomes visible
// to readers at once. Internal to service/table; not a public API.
//
// Layout:
//   * Slot: one 64-bit word = [arena offset:32][tag:29][state:3]. The tag is
//     29 hash bits, so almost every non-matching slot is rejected without
//     touching the arena.
//   * Arena: append-only chunks (4 KiB growing to 2 MiB) of records [owner
//   u32][len 1-2 B][key].
//     A record never moves or changes while a root that points at it is
//     reachable; removed records become garbage reclaimed by Rehash, which
//     builds a new root (slots + arena) aside, publishes it, and retires the
//     old one through the EpochManager.
//   * The probe start is chosen from `hash` (the caller's hash of the key's
//     "probe part" and, optionally, of its owner: for origins the host and
//     the owner's lane, so every scheme/port variant of a host owned by one
//     tenant sits in one probe run; see origin_keys.h).
//
// Versioning (the batch protocol, driven by OriginTable):
//   states: kEmpty, kLive, kTomb, kAdd|p (pending add of the batch whose
//   number has parity p), kDel|p (pending remove). A reader loads the
//   committed batch number V once per call; a pending slot it can see belongs
//   to batch V (committed, not yet finalized) or V+1 (not committed), told
//   apart by parity. kAdd|p is visible iff p == V%2; kDel|p iff p != V%2.
//   The writer writes pending slots, publishes V=k, waits one grace period
//   (EpochManager::Synchronize, so no reader still holds V<k), then Finalize
//   turns kAdd into kLive and kDel into kTomb. Rehash runs only between
//   batches (no pending slots).
//
// Thread safety / invariants:
//   * Reader methods (Probe) are const, lock-free, allocation-free, and may
//     run concurrently with one writer; callers hold a ReadGuard.
//   * Writer methods are called by one thread at a time (OriginTable's
//     writer mutex).
//   * Memory orders: slot words are stored with release (after the record
//     bytes and any new chunk are written) and loaded with acquire; the root
//     pointer is stored with release and loaded with acquire (a new root's
//     slots and arena are complete before it is reachable); chunk pointers
//     are loaded relaxed, because a reader only reaches a chunk through a
//     slot it acquired after the chunk was stored.
#ifndef CORSD_SERVICE_TABLE_KEY_TABLE_H_
#define CORSD_SERVICE_TABLE_KEY_TABLE_H_

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "service/table/epoch.h"

namespace corsd::table::internal {

// Memory for the big arrays (slot arrays, arena chunks): 2 MiB-aligned and
// advised MADV_HUGEPAGE when at least 2 MiB, so a cold lookup at 10M entries
// costs its cache misses without a page walk (TLB miss) for each. Returns
// uninitialized memory; aborts when out of memory. Release with FreeLarge.
void* AllocLarge(size_t bytes);
void FreeLarge(void* p);

// Slot states (low 3 bits of a slot word).
inline constexpr uint64_t kEmpty = 0;
inline constexpr uint64_t kLive = 1;
inline constexpr uint64_t kTomb = 2;
inline constexpr uint64_t kAdd = 4;  // | parity
inline constexpr uint64_t kDel = 6;  // | parity

// Is a slot in `state` visible to a reader whose committed batch is `v`?
inline bool Visible(uint64_t state, uint64_t v) {
  if (state == kLive) return true;
  if (state < kAdd) return false;
  const uint64_t parity = state & 1;
  return (state & ~uint64_t{1}) == kAdd ? parity == (v & 1) : parity != (v & 1);
}

// Is a slot in `state` present in the writer's view (pending changes of the
// batch being applied count as done)?
inline bool WriterPresent(uint64_t state) {
  return state == kLive || (state & ~uint64_t{1}) == kAdd;
}

// Append-only store of records, in chunks that never move.
class Arena {
 public:
  static constexpr int kChunkBits = 21;  // 2 MiB: one huge page
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr size_t kMaxChunks = size_t{1} << (32 - kChunkBits);
  static constexpr size_t kMaxKey = 0x7FFF;
  Arena();
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Writer: appends a record; returns its offset. CHECK-fails (abort) when
  // the arena is full (4 GiB) or the key is longer than kMaxKey.
  uint32_t Append(uint32_t owner, absl::string_view key);

  // Reader or writer: the record at `offset`.
  uint32_t OwnerAt(uint32_t offset) const {
    uint32_t owner;
    std::memcpy(&owner, Rec(offset), sizeof owner);
    return owner;
  }
  absl::string_view KeyAt(uint32_t offset) const {
    const unsigned char* p =
        reinterpret_cast<const unsigned char*>(Rec(offset)) + 4;
    size_t len = p[0];
    if (len & 0x80)
      return {reinterpret_cast<const char*>(p) + 2, ((len & 0x7F) << 8) | p[1]};
    return {reinterpret_cast<const char*>(p) + 1, len};
  }

  // Writer: calls fn(offset) for every record, in append order.
  void ForEachRecord(absl::FunctionRef<void(uint32_t)> fn) const;

  static size_t RecordBytes(size_t key_len) {
    return 4 + (key_len < 0x80 ? 1 : 2) + key_len;
  }
  size_t BytesHeld() const { return bytes_held_; }
  size_t BytesUsed() const { return bytes_used_; }

 private:
  const char* Rec(uint32_t offset) const {
    // relaxed: see the file comment (reached through an acquired slot).
    return chunks_[offset >> kChunkBits].load(std::memory_order_relaxed) +
           (offset & (kChunkSize - 1));
  }
  std::unique_ptr<std::atomic<char*>[]> chunks_;
  std::vector<uint32_t> chunk_used_;  // writer only
  size_t bytes_used_ = 0;             // writer only
  size_t bytes_held_ = 0;             // writer only
  // Chunk c holds min(2 MiB, 4 KiB * 4^c) bytes: small tables stay small;
  // offsets still use a 2 MiB stride per chunk.
  static size_t ChunkCap(size_t c) {
    return c >= 5 ? kChunkSize : size_t{4096} << (2 * c);
  }
};

// hash of a record (key, owner)'s probe part; the same function the caller
// uses. Must be deterministic within the process.
using KeyHashFn = uint64_t (*)(absl::string_view key, uint32_t owner);

class KeyTable {
 public:
  KeyTable(EpochManager* epochs, KeyHashFn hash_of_key);
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // ---- Reader side (inside a ReadGuard; v = committed batch number) ----

  // Calls fn(owner, key) for every slot visible at `v` in the probe run of
  // `hash` whose tag matches, in probe order; fn returns false to stop.
  // `hash` is hash_of_key of the keys sought (every key sharing a probe part
  // shares the tag, so fn filters on the rest of the key).
  template <typename Fn>
  void Probe(uint64_t hash, uint64_t v, Fn&& fn) const {
    const Root* root = root_.load(std::memory_order_acquire);  // see header
    const uint64_t cap = root->cap;
    uint64_t i = Start(hash, cap);
    const uint64_t tag = Tag(hash);
    for (uint64_t n = 0; n < cap; ++n) {
      const uint64_t w =
          root->slots[i].load(std::memory_order_acquire);  // see header
      const uint64_t state = w & 7;
      if (state == kEmpty) return;
      if (((w >> 3) & kTagMask) == tag && Visible(state, v)) {
        const uint32_t off = static_cast<uint32_t>(w >> 32);
        if (!fn(root->arena.OwnerAt(off), root->arena.KeyAt(off))) return;
      }
      if (++i == cap) i = 0;
    }
  }

  // Reader: hints the CPU to fetch the first slot of `hash`'s probe run, so
  // many probes (one per lane) can overlap their cache misses. No effect on
  // the table.
  void PrefetchForRead(uint64_t hash) const {
    const Root* root = root_.load(std::memory_order_acquire);  // see header
    __builtin_prefetch(&root->slots[Start(hash, root->cap)], 0);
  }

  // ---- Writer side (one thread at a time) ----

  // Hints the CPU to fetch the first slot of `hash`'s probe run (bulk
  // writes look ahead with it). No effect on the table.
  void Prefetch(uint64_t hash) const {
    const Root* root = root_.load(std::memory_order_relaxed);  // writer's own
    __builtin_prefetch(&root->slots[Start(hash, root->cap)], 1);
  }

  // Is (key, owner) present in the writer's view?
  bool Contains(uint64_t hash, absl::string_view key, uint32_t owner) const;
  // Owners present in the writer's view for `key` (in probe order).
  void Owners(uint64_t hash, absl::string_view key,
              absl::FunctionRef<void(uint32_t)> fn) const;
  // Adds (key, owner) as pending of the batch with `parity`; returns false if
  // it was already present.
  bool AddPending(uint64_t hash, absl::string_view key, uint32_t owner,
                  uint64_t parity);
  // Removes (key, owner) as pending; returns false if it was absent.
  bool RemovePending(uint64_t hash, absl::string_view key, uint32_t owner,
                     uint64_t parity);
  // Removes every present entry whose owner satisfies `doomed`; returns how
  // many. One sequential pass over the arena.
  uint64_t RemoveOwnersPending(absl::FunctionRef<bool(uint32_t)> doomed,
                               uint64_t parity);
  // Calls fn(owner, key) for every entry present in the writer's view whose
  // owner satisfies `pred`. One sequential pass over the arena, then one
  // probe per record of a matching owner.
  void ForEachPresentOf(
      absl::FunctionRef<bool(uint32_t)> pred,
      absl::FunctionRef<void(uint32_t, absl::string_view)> fn) const;
  // Makes room for `adds` more entries without exceeding the maximum load,
  // rebuilding (and compacting) if needed, at load `target` afterwards.
  // Only between batches.
  void Reserve(uint64_t adds, double target);
  // Turns the batch's pending slots into final ones (after the commit and a
  // grace period).
  void Finalize();

  // Writer (or tests): the probe run of `hash`, from its start to the first
  // empty slot: how many slots it spans (words read; sequential) and how
  // many of them carry hash's tag (records a reader compares in the arena;
  // a random access each). O(run).
  struct ProbeRun {
    uint64_t slots = 0;
    uint64_t tag_matches = 0;
  };
  ProbeRun ProbeRunOf(uint64_t hash) const;

  uint64_t live() const { return live_; }
  uint64_t capacity() const {
    return root_.load(std::memory_order_relaxed)->cap;
  }
  size_t BytesHeld() const;

 private:
  static constexpr uint64_t kTagMask = (uint64_t{1} << 29) - 1;
  static uint64_t Start(uint64_t hash, uint64_t cap) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(hash) * cap) >>
                                 64);
  }
  static uint64_t Tag(uint64_t hash) { return hash & kTagMask; }
  static uint64_t Word(uint32_t off, uint64_t hash, uint64_t state) {
    return (uint64_t{off} << 32) | (Tag(hash) << 3) | state;
  }

  struct Root {
    explicit Root(uint64_t c);
    uint64_t cap;
    ~Root();
    std::atomic<uint64_t>* slots;  // cap words, from AllocLarge
    Arena arena;
  };

  // Writer: slot index of (key, owner) present in the writer's view, or -1.
  int64_t FindPresent(const Root* root, uint64_t hash, absl::string_view key,
                      uint32_t owner) const;
  void Rehash(uint64_t new_cap);

  EpochManager* const epochs_;
  const KeyHashFn hash_of_key_;
  std::atomic<Root*> root_;
  uint64_t live_ = 0;              // present entries, writer view
  uint64_t used_ = 0;              // non-empty slots (live, tomb, pending)
  uint64_t live_bytes_ = 0;        // arena bytes of present records
  std::vector<uint32_t> touched_;  // pending slot indices of this batch
};

}  // namespace corsd::table::internal

#endif  // CORSD_SERVICE_TABLE_KEY_TABLE_H_
