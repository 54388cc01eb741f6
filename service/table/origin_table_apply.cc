// OriginTable's write side: validation of a whole batch, then its
// application as pending slots, one commit, a grace period, and finalization
// (the protocol of key_table.h). See origin_table.h for the contract and
// origin_table_impl.h for the memory orders.
#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/table/origin_table_impl.h"
#include "service/table/public_suffix.h"

namespace corsd::table {

using internal::KeyTable;

// ---- Validation ----

namespace {

absl::Status OpError(absl::StatusCode code, size_t i, const Op& op,
                     absl::string_view what) {
  return absl::Status(
      code, absl::StrCat("op[", i, "] ", OpKindName(op.kind), " tenant \"",
                         op.tenant, "\" value \"", op.value, "\": ", what));
}

}  // namespace

absl::Status OriginTable::Impl::ValidateLocked(
    const std::vector<Op>& ops) const {
  if (ops.size() > kMaxBatchOps) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch has ", ops.size(), " ops; expected at most ", kMaxBatchOps));
  }
  struct TenantSim {
    bool exists;
    uint32_t incarnation;
  };
  struct HostSim {
    absl::string_view owner;  // "" = nobody
    uint32_t incarnation;
  };
  absl::flat_hash_map<absl::string_view, TenantSim> sim;
  absl::flat_hash_map<absl::string_view, HostSim> hosts;
  uint64_t new_tenants = 0;
  // One-entry cache: consecutive ops usually name the same tenant.
  absl::string_view cached_name;
  bool cached_exists = false;
  bool cache_valid = false;
  auto state = [&](absl::string_view name) -> TenantSim {
    auto it = sim.find(name);
    if (it != sim.end()) return it->second;
    return TenantSim{WriterFindTenant(name) != kNoTenant, 0};
  };
  auto exists = [&](absl::string_view name) {
    if (!cache_valid || name != cached_name) {
      cached_name = name;
      cached_exists = state(name).exists;
      cache_valid = true;
    }
    return cached_exists;
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    if (op.tenant.empty() || op.tenant.size() > kMaxTenantBytes) {
      return OpError(absl::StatusCode::kInvalidArgument, i, op,
                     absl::StrCat("tenant id has ", op.tenant.size(),
                                  " bytes; expected 1 to ", kMaxTenantBytes));
    }
    if (op.value.size() > kMaxValueBytes) {
      return OpError(absl::StatusCode::kInvalidArgument, i, op,
                     absl::StrCat("value has ", op.value.size(),
                                  " bytes; expected at most ", kMaxValueBytes));
    }
    switch (op.kind) {
      case Op::Kind::kAddTenant: {
        TenantSim s = state(op.tenant);
        if (!s.exists) {
          if (uint64_t{next_id} + ++new_tenants > kMaxTenants) {
            return OpError(absl::StatusCode::kResourceExhausted, i, op,
                           absl::StrCat("more than ", kMaxTenants,
                                        " tenants added over the table's "
                                        "life; expected fewer"));
          }
          sim[op.tenant] = TenantSim{true, s.incarnation};
        }
        cache_valid = false;
        continue;
      }
      case Op::Kind::kRemoveTenant: {
        TenantSim s = state(op.tenant);
        sim[op.tenant] = TenantSim{false, s.incarnation + 1};
        cache_valid = false;
        continue;
      }
      default:
        break;
    }
    if (!exists(op.tenant)) {
      return OpError(absl::StatusCode::kFailedPrecondition, i, op,
                     "the tenant does not exist and is not added earlier in "
                     "the batch; expected kAddTenant first");
    }
    switch (op.kind) {
      case Op::Kind::kAddOrigin:
      case Op::Kind::kRemoveOrigin: {
        absl::Status st = keys::CheckOrigin(op.value);
        if (!st.ok()) {
          return OpError(absl::StatusCode::kInvalidArgument, i, op,
                         st.message());
        }
        break;
      }
      case Op::Kind::kAddWildcard:
      case Op::Kind::kRemoveWildcard: {
        absl::StatusOr<keys::WildcardKey> w = keys::ParseWildcardKey(op.value);
        if (!w.ok()) {
          return OpError(absl::StatusCode::kInvalidArgument, i, op,
                         w.status().message());
        }
        if (op.kind == Op::Kind::kAddWildcard) {
          absl::Status st = CheckWildcardDomain(w->domain, op.value);
          if (!st.ok()) {
            return OpError(absl::StatusCode::kInvalidArgument, i, op,
                           st.message());
          }
        }
        break;
      }
      case Op::Kind::kAddApiHost:
      case Op::Kind::kRemoveApiHost: {
        absl::Status st = keys::CheckHost(op.value);
        if (!st.ok()) {
          return OpError(absl::StatusCode::kInvalidArgument, i, op,
                         st.message());
        }
        // The host's owner at this point of the batch.
        HostSim owner{"", 0};
        auto it = hosts.find(op.value);
        if (it != hosts.end()) {
          owner = it->second;
        } else {
          const TenantId id = WriterApiOwner(op.value);
          if (id != kNoTenant) {
            const std::string* name = names.Get(id);
            if (name != nullptr) owner = HostSim{*name, 0};
          }
        }
        if (!owner.owner.empty()) {
          const TenantSim s = state(owner.owner);
          if (!s.exists || s.incarnation != owner.incarnation) {
            owner = HostSim{"", 0};  // its tenant was removed in the batch
          }
        }
        if (op.kind == Op::Kind::kAddApiHost) {
          if (!owner.owner.empty() && owner.owner != op.tenant) {
            return OpError(
                absl::StatusCode::kAlreadyExists, i, op,
                absl::StrCat("the API host is owned by tenant \"", owner.owner,
                             "\"; expected a host no other tenant "
                             "owns"));
          }
          hosts[op.value] = HostSim{op.tenant, state(op.tenant).incarnation};
        } else if (owner.owner == op.tenant) {
          hosts[op.value] = HostSim{"", 0};
        }
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

absl::Status OriginTable::Validate(const std::vector<Op>& ops) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ValidateLocked(ops);
}

// ---- Apply ----

void OriginTable::Impl::ReserveFor(const std::vector<Op>& ops, bool bulk) {
  uint64_t add_tenants = 0, add_origins = 0, add_wildcards = 0, add_hosts = 0;
  for (const Op& op : ops) {
    switch (op.kind) {
      case Op::Kind::kAddTenant:
        ++add_tenants;
        break;
      case Op::Kind::kAddOrigin:
        ++add_origins;
        break;
      case Op::Kind::kAddWildcard:
        ++add_wildcards;
        break;
      case Op::Kind::kAddApiHost:
        ++add_hosts;
        break;
      default:
        break;
    }
  }
  // Bulk loads size for the final count at a high load (memory); ordinary
  // batches leave headroom so growth is rare.
  const double target = bulk ? 0.8 : 0.6;
  tenants.Reserve(add_tenants, 0.6);
  origins.Reserve(add_origins, target);
  wildcards.Reserve(add_wildcards, 0.6);
  api_hosts.Reserve(add_hosts, 0.6);
}

absl::StatusOr<ApplyResult> OriginTable::Impl::ApplyLocked(
    const std::vector<Op>& ops, bool bulk) {
  if (absl::Status st = ValidateLocked(ops); !st.ok()) return st;
  // Between batches: no pending slots, so tables may be rebuilt here.
  ReserveFor(ops, bulk);
  const uint64_t batch = committed.load(std::memory_order_relaxed) + 1;
  const uint64_t parity = batch & 1;
  ApplyResult result;
  absl::flat_hash_set<TenantId> removed_ids;
  std::vector<TenantId> added_ids;
  absl::string_view cached_name;
  TenantId cached_id = kNoTenant;
  auto id_of = [&](absl::string_view name) {
    if (cached_id == kNoTenant || name != cached_name) {
      cached_name = name;
      cached_id = WriterFindTenant(name);
    }
    return cached_id;
  };
  // Origin ops are parsed kAhead ops in advance and their first slot
  // prefetched: at 10M origins every insert is otherwise a cache miss.
  constexpr size_t kAhead = 8;
  struct Parsed {
    origin::OriginParts parts;
    uint64_t hash = 0;
    TenantId hash_id = kNoTenant;  // the owner `hash` was computed for
  };
  std::array<Parsed, kAhead> ring;
  auto prepare = [&](size_t j) {
    if (j >= ops.size()) return;
    const Op& op = ops[j];
    if (op.kind != Op::Kind::kAddOrigin && op.kind != Op::Kind::kRemoveOrigin) {
      return;
    }
    Parsed& p = ring[j % kAhead];
    (void)keys::CheckOrigin(op.value, &p.parts);  // validated above
    // The owner's lane needs its id, looked up now; a tenant added or
    // removed among the next kAhead ops can change it, so the op's hash is
    // recomputed when its id differs from hash_id.
    p.hash_id = id_of(op.tenant);
    p.hash =
        keys::HashLane(keys::HashWhole(p.parts.host), keys::LaneOf(p.hash_id));
    origins.Prefetch(p.hash);
  };
  for (size_t j = 0; j < kAhead; ++j) prepare(j);
  char key_buf[1 + kMaxValueBytes + 2];
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const Parsed cur = ring[i % kAhead];
    prepare(i + kAhead);
    switch (op.kind) {
      case Op::Kind::kAddTenant: {
        if (WriterFindTenant(op.tenant) != kNoTenant) break;
        const TenantId id = next_id++;
        tenants.AddPending(keys::HashWhole(op.tenant), op.tenant, id, parity);
        names.Set(id, op.tenant);
        counts.resize(next_id);
        added_ids.push_back(id);
        ++result.added;
        cached_id = kNoTenant;
        break;
      }
      case Op::Kind::kRemoveTenant: {
        const TenantId id = WriterFindTenant(op.tenant);
        if (id == kNoTenant) break;
        tenants.RemovePending(keys::HashWhole(op.tenant), op.tenant, id,
                              parity);
        removed_ids.insert(id);
        ++result.removed;
        cached_id = kNoTenant;
        break;
      }
      case Op::Kind::kAddOrigin:
      case Op::Kind::kRemoveOrigin: {
        const TenantId id = id_of(op.tenant);
        const absl::string_view key = keys::EncodeHostKeyTo(
            key_buf, cur.parts.scheme, cur.parts.host, cur.parts.port);
        const uint64_t h = cur.hash_id == id
                               ? cur.hash
                               : keys::HashLane(keys::HashWhole(cur.parts.host),
                                                keys::LaneOf(id));
        if (op.kind == Op::Kind::kAddOrigin) {
          if (origins.AddPending(h, key, id, parity)) {
            ++result.added;
            ++counts[id].origins;
          }
        } else if (origins.RemovePending(h, key, id, parity)) {
          ++result.removed;
          --counts[id].origins;
        }
        break;
      }
      case Op::Kind::kAddWildcard:
      case Op::Kind::kRemoveWildcard: {
        const TenantId id = id_of(op.tenant);
        absl::StatusOr<keys::WildcardKey> w = keys::ParseWildcardKey(op.value);
        const std::string key =
            keys::EncodeHostKey(w->scheme, w->domain, w->port);
        const uint64_t h =
            keys::HashLane(keys::HashWhole(w->domain), keys::LaneOf(id));
        if (op.kind == Op::Kind::kAddWildcard) {
          if (wildcards.AddPending(h, key, id, parity)) {
            ++result.added;
            ++counts[id].wildcards;
          }
        } else if (wildcards.RemovePending(h, key, id, parity)) {
          ++result.removed;
          --counts[id].wildcards;
        }
        break;
      }
      case Op::Kind::kAddApiHost:
      case Op::Kind::kRemoveApiHost: {
        const TenantId id = id_of(op.tenant);
        const uint64_t h = keys::HashWhole(op.value);
        const TenantId owner = WriterApiOwner(op.value);
        if (op.kind == Op::Kind::kAddApiHost) {
          if (owner == id) break;
          if (owner != kNoTenant) {
            // Validation proved its tenant was removed earlier in the batch.
            api_hosts.RemovePending(h, op.value, owner, parity);
            --counts[owner].api_hosts;
            ++result.removed;
          }
          api_hosts.AddPending(h, op.value, id, parity);
          ++counts[id].api_hosts;
          ++result.added;
        } else if (owner == id) {
          api_hosts.RemovePending(h, op.value, id, parity);
          --counts[id].api_hosts;
          ++result.removed;
        }
        break;
      }
    }
  }
  // Entries of removed tenants: one pass per kind that has any.
  if (!removed_ids.empty()) {
    Counts doomed;
    for (TenantId id : removed_ids) {
      doomed.origins += counts[id].origins;
      doomed.wildcards += counts[id].wildcards;
      doomed.api_hosts += counts[id].api_hosts;
      counts[id] = Counts{};
    }
    auto is_doomed = [&](uint32_t owner) {
      return removed_ids.contains(owner);
    };
    if (doomed.origins > 0) {
      result.removed += origins.RemoveOwnersPending(is_doomed, parity);
    }
    if (doomed.wildcards > 0) {
      result.removed += wildcards.RemoveOwnersPending(is_doomed, parity);
    }
    if (doomed.api_hosts > 0) {
      result.removed += api_hosts.RemoveOwnersPending(is_doomed, parity);
    }
  }
  if (result.added == 0 && result.removed == 0) {
    // Nothing pending can remain; finalize drops reverted slots' records.
    tenants.Finalize();
    origins.Finalize();
    wildcards.Finalize();
    api_hosts.Finalize();
    return result;
  }
  // release: every pending slot of the batch is written (file comment).
  committed.store(batch, std::memory_order_release);
  // No reader may still hold a number below `batch` when slots finalize.
  epochs->Synchronize();
  tenants.Finalize();
  origins.Finalize();
  wildcards.Finalize();
  api_hosts.Finalize();
  for (TenantId id : removed_ids) names.Clear(id, epochs);
  epochs->Reclaim();
  return result;
}

absl::StatusOr<ApplyResult> OriginTable::Apply(const std::vector<Op>& ops) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ApplyLocked(ops, /*bulk=*/false);
}

absl::StatusOr<ApplyResult> OriginTable::BulkLoad(const std::vector<Op>& ops) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->ApplyLocked(ops, /*bulk=*/true);
}

}  // namespace corsd::table
