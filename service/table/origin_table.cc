// OriginTable's read side and slow paths. See origin_table.h for the
// contract, origin_table_impl.h for the memory orders, key_table.h for the
// slot layout and the batch protocol.
#include "service/table/origin_table.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include "service/table/origin_table_impl.h"

namespace corsd::table {

using internal::KeyTable;

absl::string_view OpKindName(Op::Kind kind) {
  switch (kind) {
    case Op::Kind::kAddTenant:
      return "kAddTenant";
    case Op::Kind::kRemoveTenant:
      return "kRemoveTenant";
    case Op::Kind::kAddOrigin:
      return "kAddOrigin";
    case Op::Kind::kRemoveOrigin:
      return "kRemoveOrigin";
    case Op::Kind::kAddWildcard:
      return "kAddWildcard";
    case Op::Kind::kRemoveWildcard:
      return "kRemoveWildcard";
    case Op::Kind::kAddApiHost:
      return "kAddApiHost";
    case Op::Kind::kRemoveApiHost:
      return "kRemoveApiHost";
  }
  return "kUnknown";
}

OriginTable::OriginTable(EpochManager* epochs)
    : impl_(std::make_unique<Impl>(epochs)) {}

OriginTable::~OriginTable() = default;

// ---- Readers ----

namespace {

// Calls fn(parent) for each parent domain of `host` on a label boundary,
// deepest first, never `host` itself; nothing for IP hosts.
template <typename Fn>
void ForEachParent(absl::string_view host, Fn&& fn) {
  if (keys::IsIpHost(host)) return;
  for (size_t i = 0; i + 1 < host.size(); ++i) {
    if (host[i] != '.') continue;
    const absl::string_view parent = host.substr(i + 1);
    if (!fn(parent)) return;
  }
}

}  // namespace

TenantId OriginTable::FindTenant(absl::string_view name) const {
  const uint64_t v = impl_->committed.load(std::memory_order_acquire);
  TenantId found = kNoTenant;
  impl_->tenants.Probe(keys::HashWhole(name), v,
                       [&](uint32_t owner, absl::string_view key) {
                         if (!keys::BytesEqual(key, name)) return true;
                         found = owner;
                         return false;
                       });
  return found;
}

absl::string_view OriginTable::TenantName(TenantId id) const {
  const std::string* name = impl_->names.Get(id);
  return name == nullptr ? absl::string_view() : absl::string_view(*name);
}

namespace {

// host_hash: keys::HashWhole(o.host); the probe is of `tenant`'s lane only.
bool HasExact(const KeyTable& origins, uint64_t v, TenantId tenant,
              const origin::OriginParts& o, uint64_t host_hash) {
  bool found = false;
  origins.Probe(keys::HashLane(host_hash, keys::LaneOf(tenant)), v,
                [&](uint32_t owner, absl::string_view key) {
                  if (owner != tenant ||
                      !keys::KeyEquals(key, o.scheme, o.host, o.port)) {
                    return true;
                  }
                  found = true;
                  return false;
                });
  return found;
}

bool HasWildcard(const KeyTable& wildcards, uint64_t v, TenantId tenant,
                 const origin::OriginParts& o, absl::string_view parent) {
  bool found = false;
  wildcards.Probe(keys::HashLane(keys::HashWhole(parent), keys::LaneOf(tenant)),
                  v, [&](uint32_t owner, absl::string_view key) {
                    if (owner != tenant ||
                        !keys::KeyEquals(key, o.scheme, parent, o.port)) {
                      return true;
                    }
                    found = true;
                    return false;
                  });
  return found;
}

}  // namespace

Match OriginTable::Lookup(TenantId tenant,
                          const origin::OriginParts& origin) const {
  if (tenant == kNoTenant) return Match::kNone;
  const uint64_t v = impl_->committed.load(std::memory_order_acquire);
  if (HasExact(impl_->origins, v, tenant, origin,
               keys::HashWhole(origin.host))) {
    return Match::kExact;
  }
  Match match = Match::kNone;
  ForEachParent(origin.host, [&](absl::string_view parent) {
    if (!HasWildcard(impl_->wildcards, v, tenant, origin, parent)) return true;
    match = Match::kWildcard;
    return false;
  });
  return match;
}

namespace {

TenantId ApiHostOwner(const KeyTable& api_hosts, uint64_t v,
                      absl::string_view host) {
  TenantId found = kNoTenant;
  api_hosts.Probe(keys::HashWhole(host), v,
                  [&](uint32_t owner, absl::string_view key) {
                    if (!keys::BytesEqual(key, host)) return true;
                    found = owner;
                    return false;
                  });
  return found;
}

}  // namespace

TenantId OriginTable::FindApiHost(absl::string_view host) const {
  return ApiHostOwner(impl_->api_hosts,
                      impl_->committed.load(std::memory_order_acquire), host);
}

void OriginTable::ForEachOwner(
    const origin::OriginParts& origin,
    absl::FunctionRef<void(TenantId, Match)> fn) const {
  const uint64_t v = impl_->committed.load(std::memory_order_acquire);
  const uint64_t host_hash = keys::HashWhole(origin.host);
  // Every lane (keys::kLanes probe runs per host and per parent): an owner's
  // entry sits in its own lane only, so each (owner, key) is met once.
  for (uint32_t lane = 0; lane < keys::kLanes; ++lane) {
    impl_->origins.PrefetchForRead(keys::HashLane(host_hash, lane));
  }
  for (uint32_t lane = 0; lane < keys::kLanes; ++lane) {
    impl_->origins.Probe(
        keys::HashLane(host_hash, lane), v,
        [&](uint32_t owner, absl::string_view key) {
          if (keys::KeyEquals(key, origin.scheme, origin.host, origin.port)) {
            fn(owner, Match::kExact);
          }
          return true;
        });
  }
  ForEachParent(origin.host, [&](absl::string_view parent) {
    const uint64_t parent_hash = keys::HashWhole(parent);
    for (uint32_t lane = 0; lane < keys::kLanes; ++lane) {
      impl_->wildcards.PrefetchForRead(keys::HashLane(parent_hash, lane));
    }
    for (uint32_t lane = 0; lane < keys::kLanes; ++lane) {
      impl_->wildcards.Probe(
          keys::HashLane(parent_hash, lane), v,
          [&](uint32_t owner, absl::string_view key) {
            if (!keys::KeyEquals(key, origin.scheme, parent, origin.port)) {
              return true;
            }
            // Report each tenant once: skip it if it owns the origin exactly
            // or by a wildcard on a deeper parent (already reported).
            if (HasExact(impl_->origins, v, owner, origin, host_hash)) {
              return true;
            }
            bool deeper = false;
            ForEachParent(origin.host, [&](absl::string_view p) {
              if (p.size() <= parent.size()) return false;
              deeper = HasWildcard(impl_->wildcards, v, owner, origin, p);
              return !deeper;
            });
            if (!deeper) fn(owner, Match::kWildcard);
            return true;
          });
    }
    return true;
  });
}

bool OriginTable::HostIsKnown(absl::string_view host) const {
  const uint64_t v = impl_->committed.load(std::memory_order_acquire);
  bool found = false;
  // Up to keys::kLanes probe runs: any owner's lane may hold the host.
  const uint64_t host_hash = keys::HashWhole(host);
  for (uint32_t lane = 0; lane < keys::kLanes; ++lane) {
    impl_->origins.PrefetchForRead(keys::HashLane(host_hash, lane));
  }
  for (uint32_t lane = 0; lane < keys::kLanes && !found; ++lane) {
    impl_->origins.Probe(keys::HashLane(host_hash, lane), v,
                         [&](uint32_t, absl::string_view key) {
                           if (!keys::BytesEqual(keys::HostOfKey(key), host)) {
                             return true;
                           }
                           found = true;
                           return false;
                         });
  }
  return found || ApiHostOwner(impl_->api_hosts, v, host) != kNoTenant;
}

// ---- Slow paths ----

std::vector<std::string> OriginTable::ListEntries(absl::string_view tenant,
                                                  Op::Kind kind,
                                                  absl::string_view after,
                                                  size_t limit) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  const TenantId id = impl_->WriterFindTenant(tenant);
  if (id == kNoTenant || limit == 0) return out;
  const KeyTable* table = nullptr;
  bool host_key = true, wildcard = false;
  switch (kind) {
    case Op::Kind::kAddOrigin:
    case Op::Kind::kRemoveOrigin:
      table = &impl_->origins;
      break;
    case Op::Kind::kAddWildcard:
    case Op::Kind::kRemoveWildcard:
      table = &impl_->wildcards;
      wildcard = true;
      break;
    case Op::Kind::kAddApiHost:
    case Op::Kind::kRemoveApiHost:
      table = &impl_->api_hosts;
      host_key = false;
      break;
    default:
      return out;
  }
  table->ForEachPresentOf([id](uint32_t owner) { return owner == id; },
                          [&](uint32_t, absl::string_view key) {
                            std::string s =
                                host_key ? keys::SerializeKey(key, wildcard)
                                         : std::string(key);
                            if (s > after) out.push_back(std::move(s));
                          });
  const size_t n = std::min(limit, out.size());
  std::partial_sort(out.begin(), out.begin() + n, out.end());
  out.resize(n);
  return out;
}

std::vector<std::string> OriginTable::ListTenants(absl::string_view after,
                                                  size_t limit) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  if (limit == 0) return out;
  for (TenantId id = 0; id < impl_->next_id; ++id) {
    const std::string* name = impl_->names.Get(id);
    if (name != nullptr && *name > after) out.push_back(*name);
  }
  const size_t n = std::min(limit, out.size());
  std::partial_sort(out.begin(), out.begin() + n, out.end());
  out.resize(n);
  return out;
}

TableStats OriginTable::TenantStats(absl::string_view tenant) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  TableStats stats;
  const TenantId id = impl_->WriterFindTenant(tenant);
  if (id == kNoTenant) return stats;
  const internal::Counts& c = impl_->counts[id];
  stats.tenants = 1;
  stats.origins = c.origins;
  stats.wildcards = c.wildcards;
  stats.api_hosts = c.api_hosts;
  return stats;
}

TableStats OriginTable::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  TableStats stats;
  stats.tenants = impl_->tenants.live();
  stats.origins = impl_->origins.live();
  stats.wildcards = impl_->wildcards.live();
  stats.api_hosts = impl_->api_hosts.live();
  stats.bytes = impl_->tenants.BytesHeld() + impl_->origins.BytesHeld() +
                impl_->wildcards.BytesHeld() + impl_->api_hosts.BytesHeld() +
                impl_->names.bytes() +
                impl_->counts.capacity() * sizeof(internal::Counts);
  return stats;
}

OriginTable::ProbeRunForTest OriginTable::ExactProbeRunForTest(
    TenantId tenant, const origin::OriginParts& origin) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const KeyTable::ProbeRun run = impl_->origins.ProbeRunOf(
      keys::HashLane(keys::HashWhole(origin.host), keys::LaneOf(tenant)));
  return {run.slots, run.tag_matches};
}

}  // namespace corsd::table
