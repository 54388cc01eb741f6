// KeyTable and Arena implementation. See key_table.h for the layout, the
// batch protocol and every atomic's memory order.
#include "service/table/key_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace corsd::table::internal {
namespace {

// Invariant violations that leave no way to go on (memory exhausted by
// design limits, misuse of the writer protocol): print and abort.
void Die(const char* what) {
  std::fprintf(stderr, "corsd table: fatal: %s\n", what);
  std::abort();
}

}  // namespace

// ---- Large allocations ----

void* AllocLarge(size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20;
  void* p;
  if (bytes >= kHuge) {
    const size_t rounded = (bytes + kHuge - 1) & ~(kHuge - 1);
    p = std::aligned_alloc(kHuge, rounded);
    // Advice only: without transparent huge pages it is a no-op.
    if (p != nullptr) (void)madvise(p, rounded, MADV_HUGEPAGE);
  } else {
    p = std::malloc(bytes);
  }
  if (p == nullptr) Die("out of memory");
  return p;
}

void FreeLarge(void* p) { std::free(p); }

// ---- Arena ----

Arena::Arena() : chunks_(new std::atomic<char*>[kMaxChunks]()) {}

Arena::~Arena() {
  for (size_t i = 0; i < chunk_used_.size(); ++i) {
    // relaxed: the destructor runs when no reader can reach this arena.
    FreeLarge(chunks_[i].load(std::memory_order_relaxed));
  }
}

uint32_t Arena::Append(uint32_t owner, absl::string_view key) {
  if (key.size() > kMaxKey) Die("arena key too long");
  const size_t need = RecordBytes(key.size());
  if (chunk_used_.empty() ||
      chunk_used_.back() + need > ChunkCap(chunk_used_.size() - 1)) {
    // Small early chunks too small for this record stay unallocated.
    while (chunk_used_.size() < kMaxChunks &&
           ChunkCap(chunk_used_.size()) < need) {
      chunk_used_.push_back(0);
    }
    if (chunk_used_.size() >= kMaxChunks) Die("arena full (4 GiB)");
    const size_t cap = ChunkCap(chunk_used_.size());
    // relaxed: published to readers only through a later release slot store.
    chunks_[chunk_used_.size()].store(static_cast<char*>(AllocLarge(cap)),
                                      std::memory_order_relaxed);
    chunk_used_.push_back(0);
    bytes_held_ += cap;
  }
  const size_t chunk = chunk_used_.size() - 1;
  char* p = chunks_[chunk].load(std::memory_order_relaxed) + chunk_used_[chunk];
  std::memcpy(p, &owner, 4);
  unsigned char* q = reinterpret_cast<unsigned char*>(p) + 4;
  if (key.size() < 0x80) {
    *q++ = static_cast<unsigned char>(key.size());
  } else {
    *q++ = static_cast<unsigned char>(0x80 | (key.size() >> 8));
    *q++ = static_cast<unsigned char>(key.size() & 0xFF);
  }
  std::memcpy(q, key.data(), key.size());
  const uint32_t offset =
      static_cast<uint32_t>((chunk << kChunkBits) | chunk_used_[chunk]);
  chunk_used_[chunk] += static_cast<uint32_t>(need);
  bytes_used_ += need;
  return offset;
}

void Arena::ForEachRecord(absl::FunctionRef<void(uint32_t)> fn) const {
  for (size_t c = 0; c < chunk_used_.size(); ++c) {
    uint32_t pos = 0;
    while (pos < chunk_used_[c]) {
      const uint32_t offset = static_cast<uint32_t>((c << kChunkBits) | pos);
      fn(offset);
      const size_t len = KeyAt(offset).size();
      pos += static_cast<uint32_t>(RecordBytes(len));
    }
  }
}

// ---- KeyTable ----

KeyTable::Root::Root(uint64_t c)
    : cap(c),
      slots(static_cast<std::atomic<uint64_t>*>(
          AllocLarge(c * sizeof(std::atomic<uint64_t>)))) {
  for (uint64_t i = 0; i < c; ++i) new (&slots[i]) std::atomic<uint64_t>(0);
}

KeyTable::Root::~Root() { FreeLarge(slots); }

KeyTable::KeyTable(EpochManager* epochs, KeyHashFn hash_of_key)
    : epochs_(epochs), hash_of_key_(hash_of_key), root_(new Root(16)) {}

KeyTable::~KeyTable() {
  // relaxed: the owner guarantees no reader is left.
  delete root_.load(std::memory_order_relaxed);
}

int64_t KeyTable::FindPresent(const Root* root, uint64_t hash,
                              absl::string_view key, uint32_t owner) const {
  const uint64_t cap = root->cap;
  uint64_t i = Start(hash, cap);
  const uint64_t tag = Tag(hash);
  for (uint64_t n = 0; n < cap; ++n) {
    // relaxed: the writer reads its own stores.
    const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
    const uint64_t state = w & 7;
    if (state == kEmpty) return -1;
    if (((w >> 3) & kTagMask) == tag && WriterPresent(state)) {
      const uint32_t off = static_cast<uint32_t>(w >> 32);
      if (root->arena.OwnerAt(off) == owner && root->arena.KeyAt(off) == key) {
        return static_cast<int64_t>(i);
      }
    }
    if (++i == cap) i = 0;
  }
  return -1;
}

bool KeyTable::Contains(uint64_t hash, absl::string_view key,
                        uint32_t owner) const {
  return FindPresent(root_.load(std::memory_order_relaxed), hash, key,
                     owner) >= 0;  // relaxed: writer's own store
}

void KeyTable::Owners(uint64_t hash, absl::string_view key,
                      absl::FunctionRef<void(uint32_t)> fn) const {
  const Root* root = root_.load(std::memory_order_relaxed);  // writer's own
  const uint64_t cap = root->cap;
  uint64_t i = Start(hash, cap);
  const uint64_t tag = Tag(hash);
  for (uint64_t n = 0; n < cap; ++n) {
    const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
    const uint64_t state = w & 7;
    if (state == kEmpty) return;
    if (((w >> 3) & kTagMask) == tag && WriterPresent(state)) {
      const uint32_t off = static_cast<uint32_t>(w >> 32);
      if (root->arena.KeyAt(off) == key) fn(root->arena.OwnerAt(off));
    }
    if (++i == cap) i = 0;
  }
}

bool KeyTable::AddPending(uint64_t hash, absl::string_view key, uint32_t owner,
                          uint64_t parity) {
  Root* root = root_.load(std::memory_order_relaxed);  // writer's own store
  const uint64_t cap = root->cap;
  uint64_t i = Start(hash, cap);
  const uint64_t tag = Tag(hash);
  int64_t free_slot = -1;
  for (uint64_t n = 0; n < cap; ++n) {
    const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
    const uint64_t state = w & 7;
    if (state == kEmpty) {
      if (free_slot < 0) free_slot = static_cast<int64_t>(i);
      break;
    }
    if (((w >> 3) & kTagMask) == tag) {
      const uint32_t off = static_cast<uint32_t>(w >> 32);
      if (root->arena.OwnerAt(off) == owner && root->arena.KeyAt(off) == key) {
        if (WriterPresent(state)) return false;
        if (state == (kDel | parity)) {
          // Removed earlier in this batch: readers at V-1 still see it live;
          // back to live is invisible to everyone.
          root->slots[i].store((w & ~uint64_t{7}) | kLive,
                               std::memory_order_release);  // see header
          ++live_;
          live_bytes_ += Arena::RecordBytes(key.size());
          return true;
        }
      }
    }
    if (state == kTomb && free_slot < 0) free_slot = static_cast<int64_t>(i);
    if (++i == cap) i = 0;
  }
  if (free_slot < 0) Die("KeyTable full: Reserve was not called");
  const uint64_t prev =
      root->slots[free_slot].load(std::memory_order_relaxed) & 7;
  const uint32_t off = root->arena.Append(owner, key);
  live_bytes_ += Arena::RecordBytes(key.size());
  // release: the record (and its chunk) are written before readers see it.
  root->slots[free_slot].store(Word(off, hash, kAdd | parity),
                               std::memory_order_release);
  if (prev == kEmpty) ++used_;
  ++live_;
  touched_.push_back(static_cast<uint32_t>(free_slot));
  return true;
}

bool KeyTable::RemovePending(uint64_t hash, absl::string_view key,
                             uint32_t owner, uint64_t parity) {
  Root* root = root_.load(std::memory_order_relaxed);  // writer's own store
  const int64_t i = FindPresent(root, hash, key, owner);
  if (i < 0) return false;
  const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
  if ((w & 7) == kLive) {
    // release: orders after earlier pending stores of this batch (harmless).
    root->slots[i].store((w & ~uint64_t{7}) | kDel | parity,
                         std::memory_order_release);
    touched_.push_back(static_cast<uint32_t>(i));
  } else {
    // (a record appended in this batch: garbage from now on)
    // Added earlier in this batch, never visible to anyone: drop it.
    root->slots[i].store((w & ~uint64_t{7}) | kTomb, std::memory_order_release);
  }
  --live_;
  live_bytes_ -= Arena::RecordBytes(key.size());
  return true;
}

void KeyTable::ForEachPresentOf(
    absl::FunctionRef<bool(uint32_t)> pred,
    absl::FunctionRef<void(uint32_t, absl::string_view)> fn) const {
  const Root* root = root_.load(std::memory_order_relaxed);  // writer's own
  std::vector<uint32_t> candidates;
  root->arena.ForEachRecord([&](uint32_t off) {
    if (pred(root->arena.OwnerAt(off))) candidates.push_back(off);
  });
  for (uint32_t off : candidates) {
    const absl::string_view key = root->arena.KeyAt(off);
    const uint32_t owner = root->arena.OwnerAt(off);
    const int64_t i = FindPresent(root, hash_of_key_(key, owner), key, owner);
    if (i < 0) continue;
    // Only the present record for (key, owner) counts; dead copies skip.
    const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
    if (static_cast<uint32_t>(w >> 32) == off) fn(owner, key);
  }
}

uint64_t KeyTable::RemoveOwnersPending(absl::FunctionRef<bool(uint32_t)> doomed,
                                       uint64_t parity) {
  std::vector<std::pair<uint32_t, std::string>> victims;
  ForEachPresentOf(doomed, [&](uint32_t owner, absl::string_view key) {
    victims.emplace_back(owner, std::string(key));
  });
  uint64_t removed = 0;
  for (const auto& [owner, key] : victims) {
    if (RemovePending(hash_of_key_(key, owner), key, owner, parity)) ++removed;
  }
  return removed;
}

void KeyTable::Reserve(uint64_t adds, double target) {
  static constexpr double kMaxLoad = 0.85;
  const Root* root = root_.load(std::memory_order_relaxed);  // writer's own
  const double cap = static_cast<double>(root->cap);
  const bool too_full = static_cast<double>(used_ + adds) > kMaxLoad * cap;
  // Removals free space: shrink a mostly empty table, and compact an arena
  // that is mostly garbage (replaced records).
  const bool too_empty =
      root->cap > 64 && static_cast<double>(live_ + adds) < 0.2 * cap;
  const bool garbage =
      root->arena.BytesUsed() > 2 * live_bytes_ + Arena::kChunkSize;
  if (!too_full && !too_empty && !garbage) return;
  const uint64_t want = static_cast<uint64_t>(
      std::ceil(static_cast<double>(live_ + adds) / target));
  Rehash(std::max<uint64_t>(16, want));
}

void KeyTable::Rehash(uint64_t new_cap) {
  if (!touched_.empty()) Die("Rehash inside a batch");
  Root* old_root = root_.load(std::memory_order_relaxed);  // writer's own
  auto fresh = std::make_unique<Root>(new_cap);
  uint64_t live = 0;
  uint64_t live_bytes = 0;
  for (uint64_t i = 0; i < old_root->cap; ++i) {
    const uint64_t w = old_root->slots[i].load(std::memory_order_relaxed);
    if ((w & 7) != kLive) continue;
    const uint32_t old_off = static_cast<uint32_t>(w >> 32);
    const absl::string_view key = old_root->arena.KeyAt(old_off);
    const uint32_t owner = old_root->arena.OwnerAt(old_off);
    const uint64_t hash = hash_of_key_(key, owner);
    const uint32_t off = fresh->arena.Append(owner, key);
    uint64_t j = Start(hash, new_cap);
    // relaxed: the new root is private until the release store of root_.
    while ((fresh->slots[j].load(std::memory_order_relaxed) & 7) != kEmpty) {
      if (++j == new_cap) j = 0;
    }
    fresh->slots[j].store(Word(off, hash, kLive), std::memory_order_relaxed);
    ++live;
    live_bytes += Arena::RecordBytes(key.size());
  }
  // release: the new root's slots and arena are complete before readers
  // can load it (they acquire root_).
  root_.store(fresh.release(), std::memory_order_release);
  epochs_->RetireObject(old_root);
  live_ = live;
  used_ = live;
  live_bytes_ = live_bytes;
}

void KeyTable::Finalize() {
  Root* root = root_.load(std::memory_order_relaxed);  // writer's own store
  constexpr size_t kAhead = 16;  // prefetch distance: slots are random
  for (size_t k = 0; k < touched_.size(); ++k) {
    if (k + kAhead < touched_.size()) {
      __builtin_prefetch(&root->slots[touched_[k + kAhead]], 1);
    }
    const uint32_t i = touched_[k];
    const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
    const uint64_t state = w & 7;
    if (state < kAdd) continue;  // reverted within the batch
    const uint64_t final_state = (state & ~uint64_t{1}) == kAdd ? kLive : kTomb;
    // release: same value for every reader at V >= k; pairs with acquire.
    root->slots[i].store((w & ~uint64_t{7}) | final_state,
                         std::memory_order_release);
  }
  touched_.clear();
  // A bulk load leaves a list as long as the table: give it back.
  if (touched_.capacity() > (size_t{1} << 16)) {
    std::vector<uint32_t>().swap(touched_);
  }
}

KeyTable::ProbeRun KeyTable::ProbeRunOf(uint64_t hash) const {
  const Root* root = root_.load(std::memory_order_relaxed);  // writer's own
  const uint64_t cap = root->cap;
  const uint64_t tag = Tag(hash);
  uint64_t i = Start(hash, cap);
  ProbeRun run;
  while (run.slots < cap) {
    // relaxed: the writer (or a quiescent test) reads its own stores.
    const uint64_t w = root->slots[i].load(std::memory_order_relaxed);
    if ((w & 7) == kEmpty) break;
    ++run.slots;
    if (((w >> 3) & kTagMask) == tag) ++run.tag_matches;
    if (++i == cap) i = 0;
  }
  return run;
}

size_t KeyTable::BytesHeld() const {
  const Root* root = root_.load(std::memory_order_relaxed);  // writer's own
  return root->cap * sizeof(uint64_t) + root->arena.BytesHeld();
}

}  // namespace corsd::table::internal
