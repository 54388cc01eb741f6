// DomainIndex: the set of hosts /ask approves, for answering Caddy's
// on-demand TLS question ("may I get a certificate for this SNI name?") in
// constant time without a lock: verified custom domains by exact host, and
// verified wildcards "*.<parent>" by parent (covering one more label).
//
// It also knows the hosts that must NOT be approved although they route:
// a domain that was verified keeps its API-host grant while failing within
// its grace, and /ask must still refuse it ("withheld").
//
// Layout: 3 x 256 shards (exact hosts; wildcard parents; withheld hosts),
// each an immutable
// absl::flat_hash_set published through an atomic pointer. A write copies
// the shards it touches (1/256 of the set each), publishes the copies and
// retires the old ones through the EpochManager, so a change costs O(n/256)
// and a lookup two hash probes.
//
// Thread safety / invariants:
//   * Lookup and size may run on any number of threads at once, concurrently
//     with one writer; they take no lock and never allocate.
//   * Apply is called by one thread at a time (the Catalog's writer mutex).
//   * A published shard is never changed; shard pointers are stored with
//     release (the set is complete before it is reachable) and loaded with
//     acquire. Old shards are freed only after every ReadGuard that could
//     see them has closed (EpochManager::Retire).
//   * count_ is a statistic: relaxed.
#ifndef CORSD_SERVICE_DOMAIN_DOMAIN_INDEX_H_
#define CORSD_SERVICE_DOMAIN_DOMAIN_INDEX_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "service/table/epoch.h"

namespace corsd::domain {

class DomainIndex {
 public:
  // `epochs` must outlive the index.
  explicit DomainIndex(table::EpochManager* epochs);
  ~DomainIndex();
  DomainIndex(const DomainIndex&) = delete;
  DomainIndex& operator=(const DomainIndex&) = delete;

  enum class Match { kNone, kExact, kWildcard, kWithheld };

  // Is `host` (canonical, domain_name.h CanonicalizeAskedHost) approved:
  // present itself (kExact), or its parent (after the first label) present
  // as a verified wildcard while that parent has a dot itself (kWildcard);
  // kWithheld when it is a withheld host and neither. Opens its own
  // ReadGuard. Lock-free, allocation-free.
  Match Lookup(absl::string_view host) const;

  // One change: `host` is "shop.example.com" or "*.example.com"; `present`
  // adds it, else removes it (no-ops are fine); `withheld` (exact hosts
  // only) adds it to the withheld set, else removes it from there.
  struct Change {
    std::string host;
    bool present = false;
    bool withheld = false;
  };
  // Applies `changes` in order, publishing each touched shard once.
  void Apply(const std::vector<Change>& changes);

  // Hosts and wildcards held.
  size_t size() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kShards = 256;
  using Shard = absl::flat_hash_set<std::string>;
  using Shards = std::array<std::atomic<const Shard*>, kShards>;

  static size_t ShardOf(absl::string_view key);
  static bool Contains(const Shards& shards, absl::string_view key);

  table::EpochManager* const epochs_;
  Shards exact_;
  Shards wildcard_parents_;
  Shards withheld_;
  std::atomic<size_t> count_{0};
};

}  // namespace corsd::domain

#endif  // CORSD_SERVICE_DOMAIN_DOMAIN_INDEX_H_
