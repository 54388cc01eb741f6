// CatalogImpl: the Catalog (catalog.h) over a Store, an OriginTable and a
// PolicyRegistry. Internal to corsd_store: catalog.cc holds loading, the
// write path, the apply path and the follower; catalog_admin.cc the
// Admin-message methods built on them.
//
// Thread safety / invariants:
//   * mu_ serializes every writer: local writes and the follower's applies.
//     tenants_ mirrors the tenants of the table and registry and is guarded
//     by mu_. Table and registry writes happen only under mu_.
//   * Tenants with byte-equal serialized policies share one TenantPolicy
//     (proto as written + core model), interned in policies_ (guarded by
//     mu_; each entry is dropped when its last tenant goes). Only writers,
//     under mu_, touch the shared_ptr counts.
//   * applied_revision_ is written under mu_ (release: a reader of the
//     revision then sees the state it names in tenants_ once it takes mu_)
//     and read anywhere (acquire).
//   * Custom domains: domains_ (by tenant, host), holders_ (host -> tenants
//     with a record) and due_ (next attempt) are guarded by mu_ and change
//     only in the apply path (ApplyDomainLocked), so every replica derives
//     them from the same batches. domain_index_ (lock-free for /ask) is
//     written there too, under mu_, and holds exactly the hosts with a
//     VERIFIED record.
//   * The follower state (connected_, caught_up_at_ms_) is written by the
//     follower thread only and read by health (relaxed: independent flags,
//     a stale read only delays a health transition by one poll).
#ifndef CORSD_SERVICE_STORE_CATALOG_IMPL_H_
#define CORSD_SERVICE_STORE_CATALOG_IMPL_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "service/policy/policy_registry.h"
#include "service/store/catalog.h"
#include "service/store/validation.h"

namespace corsd::store {

class CatalogImpl final : public Catalog {
 public:
  CatalogImpl(std::unique_ptr<Store> store, table::EpochManager* epochs,
              table::OriginTable* table, policy::PolicyRegistry* registry,
              CatalogOptions options);
  ~CatalogImpl() override;

  // Loads the store into the table and registry (Catalog::Open).
  absl::Status LoadAll();
  // Starts the follower thread (shared stores).
  void StartFollower();

  absl::StatusOr<corsd::v1::PutTenantResponse> PutTenant(
      const corsd::v1::PutTenantRequest& request) override;
  absl::StatusOr<corsd::v1::TenantInfo> GetTenant(
      const corsd::v1::GetTenantRequest& request) override;
  absl::StatusOr<corsd::v1::ListTenantsResponse> ListTenants(
      const corsd::v1::ListTenantsRequest& request) override;
  absl::StatusOr<corsd::v1::DeleteTenantResponse> DeleteTenant(
      const corsd::v1::DeleteTenantRequest& request) override;
  absl::StatusOr<corsd::v1::WriteEntriesResponse> WriteEntries(
      const corsd::v1::WriteEntriesRequest& request) override;
  absl::StatusOr<corsd::v1::ListEntriesResponse> ListEntries(
      const corsd::v1::ListEntriesRequest& request) override;
  std::unique_ptr<ImportSession> BeginImport() override;
  absl::Status Export(
      absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink) override;
  corsd::v1::StatsResponse Stats() override;
  absl::StatusOr<corsd::v1::LookupOriginResponse> LookupOrigin(
      const corsd::v1::LookupOriginRequest& request) override;
  absl::StatusOr<corsd::v1::DomainInfo> AddDomain(
      const corsd::v1::AddDomainRequest& request) override;
  absl::StatusOr<corsd::v1::DomainInfo> GetDomain(
      const corsd::v1::DomainRequest& request) override;
  absl::StatusOr<corsd::v1::ListDomainsResponse> ListDomains(
      const corsd::v1::ListDomainsRequest& request) override;
  absl::StatusOr<corsd::v1::RemoveDomainResponse> RemoveDomain(
      const corsd::v1::DomainRequest& request) override;
  std::vector<DueDomain> DueDomains(
      int64_t now_ms, size_t limit,
      const std::function<bool(const DueDomain&)>& skip) override;
  absl::StatusOr<corsd::v1::CustomDomain> RecordAttempt(
      const DueDomain& domain, const domain::ProofResult& result,
      double jitter01) override;
  absl::StatusOr<std::unique_ptr<Store::Lease>> TryLeaseDomain(
      absl::string_view host) override;
  const domain::DomainIndex& domain_index() const override {
    return domain_index_;
  }
  DomainCounts CountDomains() const override;
  const CatalogOptions& options() const override { return options_; }
  bool Ready() const override;
  std::string NotReadyReason() const override;
  uint64_t LagMillis() const override;
  uint64_t AppliedRevision() const override;

  // What a validated, committed write did.
  struct WriteResult {
    uint64_t revision = 0;  // 0 for dry runs
    uint64_t created = 0;   // tenants that did not exist before
    uint64_t added = 0;     // entries added (no-ops not counted)
    uint64_t removed = 0;   // entries removed
  };
  // The write path: stateful validation, durable commit, apply. `tenants`
  // are put first, then `ops` in order; `deleted` (DeleteTenant) is deleted
  // first. InvalidArgument + BatchErrors when refused ("what" names the
  // call); the store's errors otherwise.
  // `domains` (Import only) are put last, as their records say; each
  // domain's tenant must exist (or be put by the batch) and an active one
  // must not be held by another tenant.
  absl::StatusOr<WriteResult> Write(
      absl::string_view what, std::vector<PreparedTenant> tenants,
      const std::vector<PreparedOp>& ops, const std::string& deleted,
      bool dry_run, const std::vector<PreparedDomain>& domains = {});

 private:
  // One distinct policy, shared by every tenant whose serialized policy is
  // `bytes`. Immutable once interned.
  struct TenantPolicy {
    std::string bytes;        // serialized corsd.v1.Policy (intern key)
    corsd::v1::Policy proto;  // as written
    policy::Policy model;     // the core model (R16 checks)
  };
  struct TenantState {
    std::shared_ptr<const TenantPolicy> policy;  // never null
  };

  // Sets tenants_[id] to `tenant`'s policy, sharing an interned equal one
  // (moves from `tenant`'s policy fields); releases the tenant's old policy.
  void PutTenantStateLocked(const std::string& id, PreparedTenant& tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Erases tenants_[id] (if present) and releases its policy.
  void EraseTenantStateLocked(const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops one use of `policy`; un-interns it when no tenant uses it.
  void ReleasePolicyLocked(std::shared_ptr<const TenantPolicy> policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Checks prepared items against the current state; returns the number of
  // tenants `tenants` creates.
  uint64_t CheckStateLocked(const std::vector<PreparedTenant>& tenants,
                            const std::vector<PreparedOp>& ops,
                            ErrorList* errors)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Imported domains against the current state and the batch's tenants.
  void CheckDomainsLocked(const std::vector<PreparedTenant>& tenants,
                          const std::vector<PreparedDomain>& domains,
                          ErrorList* errors) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // R16 over a tenant's existing entries when its new policy is production.
  void CheckExistingEntriesLocked(const PreparedTenant& tenant,
                                  ErrorList* errors)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The apply path (local writes and follower): table (`ops`, the TableOps
  // of `batch`, already passed to OriginTable::Validate), registry, tenants_.
  // `compiled` holds the compiled policy of every tenant the batch puts.
  // Aborts the process if the table refuses (validation guaranteed it
  // cannot; state would otherwise diverge from the durable store).
  // Commits `batch` at the applied revision: the new revision, or an empty
  // optional when another replica wrote first and this one has caught up
  // (after a short jittered pause growing with `attempt`; the caller
  // validates again and retries). Aborted once attempts run out; the
  // store's and CatchUp's errors otherwise. Releases mu_ while pausing.
  absl::StatusOr<std::optional<uint64_t>> TryCommitLocked(const Batch& batch,
                                                          int attempt)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The table ops of `batch`.
  static std::vector<table::Op> TableOps(const Batch& batch);
  table::ApplyResult ApplyLocked(
      const Batch& batch, const std::vector<table::Op>& ops, uint64_t revision,
      absl::flat_hash_map<std::string, PreparedTenant> compiled)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies a change committed by another replica.
  absl::Status ApplyChangeLocked(const Change& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fetches and applies every change after applied_revision_.
  absl::Status CatchUp();
  void FollowLoop();
  // The owner of API host `host` in the table ("" if none).
  std::string ApiHostOwner(absl::string_view host) const;

  // ---- Custom domains (catalog_domains.cc) ----
  using DomainKey = std::pair<std::string, std::string>;  // tenant, host
  // Loads stored domain records (LoadAll), DataLoss when one does not parse.
  absl::Status LoadDomainsLocked(
      std::vector<std::pair<DomainKey, std::string>> records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The apply path of kPutDomain / kRemoveDomain, and of kDeleteTenant for
  // the tenant's domains; refreshes the index for the hosts touched.
  void ApplyDomainLocked(const Mutation& m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Brings the origin grants of `tenant`'s active domains in line with its
  // policy's custom_domain_origins, in one batch. Returns its revision (0
  // when nothing changed).
  absl::StatusOr<uint64_t> RefreshDomainGrants(const std::string& tenant);
  // What the /ask index holds for `host` given every record of it.
  domain::DomainIndex::Change IndexChangeLocked(const std::string& host) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PutDomainStateLocked(corsd::v1::CustomDomain record)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseDomainStateLocked(const DomainKey& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits the batch `build` makes from the current state (called again
  // after catching up when another replica wrote first) and applies it.
  // Returns the revision.
  absl::StatusOr<uint64_t> CommitBuiltLocked(
      absl::string_view what,
      const std::function<absl::StatusOr<Batch>()>& build)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends to `batch` the record `next` (replacing `prev`, null for a new
  // one) with its grants brought in line with GrantsActive(next): entries
  // added or removed, flags set on `next`. Also the takeover: when `next`
  // is active and another tenant holds the host, that tenant's record
  // becomes REMOVED and its entries for the host go.
  void AppendDomainWriteLocked(corsd::v1::CustomDomain next, Batch* batch,
                               int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The tenant other than `tenant` holding `host` (grants active, or API
  // host in the table), "" if none.
  std::string OtherHolderLocked(absl::string_view tenant,
                                absl::string_view host) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Does `tenant` have the exact origin or wildcard entry `value`?
  bool HasEntryLocked(absl::string_view tenant, EntryKind kind,
                      absl::string_view value) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowMs() const;

  const std::unique_ptr<Store> store_;
  table::EpochManager* const epochs_;
  table::OriginTable* const table_;
  policy::PolicyRegistry* const registry_;

  mutable absl::Mutex mu_;
  absl::btree_map<std::string, TenantState> tenants_ ABSL_GUARDED_BY(mu_);
  // Interned policies by serialized bytes (keys view TenantPolicy::bytes).
  absl::flat_hash_map<absl::string_view, std::shared_ptr<const TenantPolicy>>
      policies_ ABSL_GUARDED_BY(mu_);
  // Retry pauses after a lost commit (shared stores); used by writers only,
  // which hold mu_ when they draw from it.
  absl::BitGen jitter_;
  std::atomic<uint64_t> applied_revision_{0};

  const CatalogOptions options_;
  absl::btree_map<DomainKey, corsd::v1::CustomDomain> domains_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, absl::btree_set<std::string>> holders_
      ABSL_GUARDED_BY(mu_);
  absl::btree_set<std::tuple<int64_t, std::string, std::string>> due_
      ABSL_GUARDED_BY(mu_);
  DomainCounts domain_counts_ ABSL_GUARDED_BY(mu_);
  domain::DomainIndex domain_index_;

  // Follower (shared stores only).
  std::thread follower_;
  absl::Notification stop_;
  std::atomic<bool> connected_{true};
  std::atomic<int64_t> caught_up_at_ms_{0};  // steady clock
  mutable absl::Mutex reason_mu_;
  std::string follower_error_ ABSL_GUARDED_BY(reason_mu_);
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_CATALOG_IMPL_H_
