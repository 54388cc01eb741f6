// OriginTable: the in-memory, multi-tenant set of allowed origins that every
// decision reads. Exact-match hash lookups of canonical origins, wildcard
// entries found by hash lookups of the host's parent domains, API hosts that
// map a request's host to its tenant, and the reverse question "which tenants
// own this origin?". Tenant ids are interned to small integers.
//
// Thread safety / invariants (summary; the .cc states every atomic's order):
//   * Any number of readers, each inside an EpochManager::ReadGuard of the
//     EpochManager the table was built with, call the const lookup methods
//     concurrently with one writer. Readers take no lock, allocate nothing and
//     write no shared cache line (no reference counting per lookup).
//   * Writers are serialized by the caller (one Apply at a time; Apply
//     CHECK-fails on concurrent use). A batch becomes visible to readers all
//     at once: a reader sees the state before the batch or after it, never a
//     part of it.
//   * Memory a reader might still hold is reclaimed only after every guard
//     that was open when it was unlinked has closed. Growth never blocks
//     readers.
//   * Values passed to Apply are canonical already (the caller ran them
//     through origin::CanonicalizeAdminOrigin / ParseWildcard /
//     CanonicalizeHost); Apply does not re-parse them.
#ifndef CORSD_SERVICE_TABLE_ORIGIN_TABLE_H_
#define CORSD_SERVICE_TABLE_ORIGIN_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/origin/origin.h"
#include "service/table/epoch.h"

namespace corsd::table {

// A tenant's interned id: small, dense, never reused while the process runs.
using TenantId = uint32_t;
inline constexpr TenantId kNoTenant = 0xFFFFFFFFu;

// One change. `tenant` is the tenant's string id.
struct Op {
  enum class Kind : uint8_t {
    kAddTenant,       // value unused; no-op if the tenant exists
    kRemoveTenant,    // removes the tenant and every entry it has
    kAddOrigin,       // value: canonical origin "https://a.example.com"
    kRemoveOrigin,
    kAddWildcard,     // value: canonical wildcard "https://*.example.com"
    kRemoveWildcard,
    kAddApiHost,      // value: canonical host "api.example.com"
    kRemoveApiHost,
  };
  Kind kind;
  std::string tenant;
  std::string value;
};

// What Apply did.
struct ApplyResult {
  uint64_t added = 0;    // entries (or tenants) that did not exist before
  uint64_t removed = 0;  // entries (or tenants) that existed before
};

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
  // Errors (nothing applied): FailedPrecondition when an entry op names a
  // tenant that neither exists nor is added earlier in the batch;
  // AlreadyExists when kAddApiHost names a host another tenant owns;
  // InvalidArgument for a value that is not canonical of its kind.
  // Each message names the op index, the tenant and the value.
  absl::StatusOr<ApplyResult> Apply(const std::vector<Op>& ops);

  // Bulk load for startup: like Apply, but may build with less overhead.
  // Same errors; same all-or-nothing visibility.
  absl::StatusOr<ApplyResult> BulkLoad(const std::vector<Op>& ops);

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
  // Calls fn for every tenant that owns `origin` exactly or by wildcard
  // (each tenant once).
  void ForEachOwner(const origin::OriginParts& origin,
                    absl::FunctionRef<void(TenantId, Match)> fn) const;
  // Calls fn for every tenant that has `host` as the host of an exact
  // origin entry or as an API host (custom-domain validation).
  bool HostIsKnown(absl::string_view host) const;

  // ---- Slow paths (admin listing, explanations, export); any thread ----

  // Entries of `tenant` of one kind (kAddOrigin, kAddWildcard or
  // kAddApiHost), sorted, starting after `after` (exclusive; "" = from the
  // start), at most `limit`. Takes the writer-side lock briefly? No: reads
  // a consistent snapshot under an internal guard.
  std::vector<std::string> ListEntries(absl::string_view tenant, Op::Kind kind,
                                       absl::string_view after,
                                       size_t limit) const;
  // All tenant ids, sorted, after `after`, at most `limit`.
  std::vector<std::string> ListTenants(absl::string_view after,
                                       size_t limit) const;
  // Per-tenant counts (origins, wildcards, api hosts).
  TableStats TenantStats(absl::string_view tenant) const;
  TableStats Stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::table

#endif  // CORSD_SERVICE_TABLE_ORIGIN_TABLE_H_
