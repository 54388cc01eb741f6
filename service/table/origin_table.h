// OriginTable: the in-memory, multi-tenant set of allowed origins that every
// decision reads. Exact-match hash lookups of canonical origins, wildcard
// entries found by hash lookups of the host's parent domains, API hosts that
// map a request's host to its tenant, and the reverse question "which tenants
// own this origin?". Tenant ids are interned to small integers.
//
// Thread safety / invariants (summary; key_table.h and origin_table_impl.h
// state every atomic's memory order):
//   * Any number of readers, each inside an EpochManager::ReadGuard of the
//     EpochManager the table was built with, call the const lookup methods
//     concurrently with one writer. Readers take no lock, allocate nothing and
//     write no shared cache line (no reference counting per lookup).
//   * Writers (Apply, BulkLoad) are serialized by an internal mutex; the slow
//     paths (Validate, List*, *Stats) take the same mutex, so they may wait
//     for an Apply in progress but never delay a lookup.
//   * A batch becomes visible to readers all at once: a reader's call sees
//     the state before the batch or after it, never a part of it, and a
//     later call of the same thread never sees an older state.
//   * Memory a reader might still hold is reclaimed only after every guard
//     that was open when it was unlinked has closed. Growth (rehash) builds
//     the new arrays aside and publishes them with one pointer store: it
//     never blocks readers.
//   * Values passed to Apply are canonical already (the caller ran them
//     through origin::CanonicalizeAdminOrigin / ParseWildcard /
//     CanonicalizeHost); Apply checks that cheaply (byte-identical to the
//     canonical form) and refuses, it does not re-canonicalize.
//
// Memory: entries live as packed records [tenant u32][len][key] in an
// append-only arena (the key is scheme/port in one byte, the host, and two
// port bytes when not default), found through 8-byte slots of one
// open-addressing table per kind. See key_table.h.
#ifndef CORSD_SERVICE_TABLE_ORIGIN_TABLE_H_
#define CORSD_SERVICE_TABLE_ORIGIN_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/origin/origin.h"
#include "service/table/epoch.h"

namespace corsd::table {

// A tenant's interned id: small, dense, never reused while the process runs.
using TenantId = uint32_t;
inline constexpr TenantId kNoTenant = 0xFFFFFFFFu;
// Limits: a tenant's string id is 1..kMaxTenantBytes bytes; at most
// kMaxTenants tenants are ever added in the life of a table (ids are never
// reused); a value is at most kMaxValueBytes; a batch at most kMaxBatchOps.
inline constexpr size_t kMaxTenantBytes = 256;
inline constexpr uint32_t kMaxTenants = 1u << 24;
inline constexpr size_t kMaxValueBytes = 2048 + 16;
inline constexpr size_t kMaxBatchOps = size_t{1} << 26;

// One change. `tenant` is the tenant's string id.
struct Op {
  enum class Kind : uint8_t {
    kAddTenant,     // value unused; no-op if the tenant exists
    kRemoveTenant,  // removes the tenant and every entry it has
    kAddOrigin,     // value: canonical origin "https://a.example.com"
    kRemoveOrigin,
    kAddWildcard,  // value: canonical wildcard "https://*.example.com"
    kRemoveWildcard,
    kAddApiHost,  // value: canonical host "api.example.com"
    kRemoveApiHost,
  };
  Kind kind;
  std::string tenant;
  std::string value;
};

// What Apply did. Ops that change nothing (adding what exists, removing
// what does not) count in neither. kRemoveTenant counts 1 for the tenant plus
// 1 per entry it had.
struct ApplyResult {
  uint64_t added = 0;    // entries (or tenants) that did not exist before
  uint64_t removed = 0;  // entries (or tenants) that existed before
};

// "kAddOrigin", ... (for messages).
absl::string_view OpKindName(Op::Kind kind);

// How an origin matched a tenant.
enum class Match : uint8_t { kNone = 0, kExact = 1, kWildcard = 2 };

struct TableStats {
  uint64_t tenants = 0;
  uint64_t origins = 0;
  uint64_t wildcards = 0;
  uint64_t api_hosts = 0;
  uint64_t bytes = 0;  // heap bytes held by the table
};

class OriginTable {
 public:
  // `epochs` must outlive the table; readers guard with it.
  explicit OriginTable(EpochManager* epochs);
  ~OriginTable();
  OriginTable(const OriginTable&) = delete;
  OriginTable& operator=(const OriginTable&) = delete;

  // ---- Writer side (callers serialize writers) ----

  // Applies `ops` in order, all visible to readers at once when it returns.
  // The whole batch is validated first (as Validate does); on error nothing
  // is applied. Errors: FailedPrecondition when an entry op names a tenant
  // that neither exists nor is added earlier in the batch; AlreadyExists
  // when kAddApiHost names a host another tenant owns (or will own at that
  // point of the batch); InvalidArgument for a tenant id that is empty or
  // longer than kMaxTenantBytes, a value longer than kMaxValueBytes, a value
  // that is not canonical of its kind (origin: byte-identical to its
  // canonical serialization; wildcard: "scheme://*.domain[:port]" with a
  // canonical non-IP domain; API host: a canonical host without port), a
  // kAddWildcard over a public suffix or a top-level domain ("*.com",
  // "*.github.io", "*.co.uk"; see public_suffix.h), or a batch longer than
  // kMaxBatchOps; ResourceExhausted when the batch would add more than
  // kMaxTenants tenants over the table's life. Each message names the op
  // index, the op kind, the tenant and the value. Waits for one grace
  // period of the EpochManager before returning (so never call it inside a
  // ReadGuard).
  absl::StatusOr<ApplyResult> Apply(const std::vector<Op>& ops);

  // Bulk load for startup: like Apply (same errors, same all-or-nothing
  // visibility), but sizes the table for the final count at a higher load
  // (less memory) when it has to grow.
  absl::StatusOr<ApplyResult> BulkLoad(const std::vector<Op>& ops);

  // Dry run: the status Apply(ops) would return if called now, changing
  // nothing. For callers (the Catalog) that validate before a durable
  // commit and then Apply, holding their own writer lock in between.
  absl::Status Validate(const std::vector<Op>& ops) const;

  // ---- Reader side: call inside an EpochManager::ReadGuard ----

  // Tenant by string id; kNoTenant if unknown.
  TenantId FindTenant(absl::string_view name) const;
  // The string id of `id` (a view valid while the guard is held); empty if
  // unknown.
  absl::string_view TenantName(TenantId id) const;
  // Does `origin` (canonical, from origin::CheckOriginHeader) belong to
  // `tenant`, as an exact entry (checked first) or under a wildcard entry?
  Match Lookup(TenantId tenant, const origin::OriginParts& origin) const;
  // The tenant whose API host is `host` (canonical host, no port);
  // kNoTenant if none.
  TenantId FindApiHost(absl::string_view host) const;
  // Calls fn for every tenant that owns `origin` exactly or by wildcard,
  // each tenant once (kExact when it has both), exact owners first. fn must
  // not call Apply. Cost: keys::kLanes (256) probe runs (one per lane,
  // origin_keys.h) for the host and as many per parent domain, tens of µs
  // per label.
  void ForEachOwner(const origin::OriginParts& origin,
                    absl::FunctionRef<void(TenantId, Match)> fn) const;
  // True when some tenant has `host` (canonical, no port) as the host of an
  // exact origin entry (any scheme, any port) or as an API host
  // (custom-domain validation). Up to keys::kLanes (256) probe runs of the
  // origin table (entries are placed by host and the owner's lane,
  // origin_keys.h; ~30 µs for an unknown host at 1M origins), plus one of
  // the API hosts.
  bool HostIsKnown(absl::string_view host) const;

  // ---- Slow paths (admin listing, explanations, export); any thread ----

  // These take the writer mutex (a consistent state between batches); they
  // never block readers. No ReadGuard needed.

  // Entries of `tenant` of one kind (kAddOrigin, kAddWildcard or
  // kAddApiHost; a remove kind means the same as its add kind), as their
  // canonical strings, sorted bytewise, strictly after `after` ("" = from
  // the start), at most `limit`. Empty when the tenant is unknown or the
  // kind is a tenant kind. Cost: one sequential pass over that kind's arena
  // (measured: 15 ms of CPU at 3M origins) plus a sort of the tenant's
  // entries.
  std::vector<std::string> ListEntries(absl::string_view tenant, Op::Kind kind,
                                       absl::string_view after,
                                       size_t limit) const;
  // All tenant ids, sorted bytewise, strictly after `after`, at most `limit`.
  std::vector<std::string> ListTenants(absl::string_view after,
                                       size_t limit) const;
  // Counts of one tenant (tenants = 1, origins, wildcards, api_hosts; bytes =
  // 0); all zero when unknown.
  TableStats TenantStats(absl::string_view tenant) const;
  // Totals; bytes = heap bytes held (slot arrays, arena chunks allocated,
  // tenant names and counters).
  TableStats Stats() const;

  // Test-only (takes the writer mutex): the probe run that Lookup(tenant,
  // origin) scans for its exact match, up to the first empty slot: how many
  // slots it spans and how many of them are records it compares (same host
  // and lane). Lets tests check that many tenants sharing a host do not share
  // one chain.
  struct ProbeRunForTest {
    uint64_t slots = 0;
    uint64_t compares = 0;
  };
  ProbeRunForTest ExactProbeRunForTest(TenantId tenant,
                                       const origin::OriginParts& origin) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::table

#endif  // CORSD_SERVICE_TABLE_ORIGIN_TABLE_H_
