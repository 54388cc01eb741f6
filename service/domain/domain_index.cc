#include "service/domain/domain_index.h"

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/match.h"

namespace corsd::domain {

DomainIndex::DomainIndex(table::EpochManager* epochs) : epochs_(epochs) {
  for (Shards* shards : {&exact_, &wildcard_parents_, &withheld_}) {
    // relaxed: the index is not shared with readers before construction
    // returns.
    for (auto& shard : *shards) shard.store(nullptr, std::memory_order_relaxed);
  }
}

DomainIndex::~DomainIndex() {
  for (Shards* shards : {&exact_, &wildcard_parents_, &withheld_}) {
    // relaxed: no reader may outlive the index.
    for (auto& shard : *shards) delete shard.load(std::memory_order_relaxed);
  }
}

size_t DomainIndex::ShardOf(absl::string_view key) {
  return absl::HashOf(key) % kShards;
}

bool DomainIndex::Contains(const Shards& shards, absl::string_view key) {
  // acquire: pairs with Apply's release store; the set is complete.
  const Shard* shard = shards[ShardOf(key)].load(std::memory_order_acquire);
  return shard != nullptr && shard->contains(key);
}

DomainIndex::Match DomainIndex::Lookup(absl::string_view host) const {
  table::EpochManager::ReadGuard guard(epochs_);
  if (Contains(exact_, host)) return Match::kExact;
  const size_t dot = host.find('.');
  if (dot != absl::string_view::npos) {
    const absl::string_view parent = host.substr(dot + 1);
    if (parent.find('.') != absl::string_view::npos &&
        Contains(wildcard_parents_, parent)) {
      return Match::kWildcard;
    }
  }
  return Contains(withheld_, host) ? Match::kWithheld : Match::kNone;
}

void DomainIndex::Apply(const std::vector<Change>& changes) {
  // The writer's copies, by shard slot, published at the end.
  absl::flat_hash_map<std::atomic<const Shard*>*, Shard*> copies;
  size_t count = count_.load(std::memory_order_relaxed);
  // The writer's copy of the shard of `key` in `shards`.
  auto copy_of = [&](Shards* shards, absl::string_view key) -> Shard* {
    std::atomic<const Shard*>* slot = &(*shards)[ShardOf(key)];
    Shard*& copy = copies[slot];
    if (copy == nullptr) {
      // relaxed: only this writer stores to the slot.
      const Shard* current = slot->load(std::memory_order_relaxed);
      copy = current ? new Shard(*current) : new Shard();
    }
    return copy;
  };
  for (const Change& change : changes) {
    absl::string_view key = change.host;
    Shards* shards = &exact_;
    if (absl::StartsWith(key, "*.")) {
      key.remove_prefix(2);
      shards = &wildcard_parents_;
    } else {
      Shard* withheld = copy_of(&withheld_, key);
      if (change.withheld) {
        withheld->insert(std::string(key));
      } else {
        withheld->erase(key);
      }
    }
    Shard* copy = copy_of(shards, key);
    if (change.present) {
      if (copy->insert(std::string(key)).second) ++count;
    } else if (copy->erase(key) > 0) {
      --count;
    }
  }
  for (auto& [slot, copy] : copies) {
    // relaxed load: only this writer stores; release store: the copy is
    // complete before a reader can reach it.
    const Shard* old = slot->load(std::memory_order_relaxed);
    slot->store(copy, std::memory_order_release);
    if (old != nullptr) epochs_->RetireObject(old);
  }
  count_.store(count, std::memory_order_relaxed);
  epochs_->Reclaim();
}

}  // namespace corsd::domain
