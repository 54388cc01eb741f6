// Catalog: the one object every admin write passes through. It speaks the
// Admin proto messages (corsd.v1) so the RPC handlers stay thin, and for each
// write it does, in this order:
//   1. validate every item (canonicalize origins, wildcards and hosts; policy
//      validation; R16 dev origins on production tenants; tenant ids; limits;
//      tenants exist; API hosts not owned by another tenant) -- a refused
//      batch changes nothing;
//   2. commit the batch durably to the Store (one transaction);
//   3. apply it to the OriginTable and the PolicyRegistry, which cannot fail
//      because step 1 checked the same rules.
// So an acknowledged write is durable, and visible to decisions on this node
// when the call returns. With a shared (PostgreSQL) store, a follower thread
// applies other replicas' batches through the same step 3.
//
// Errors of a refused batch: InvalidArgument whose payload under
// kBatchErrorsTypeUrl is a serialized corsd.v1.BatchErrors listing each bad
// item (index, field, value, message; at most 1000 listed, `total` counts
// all). The message names the first error. Other errors: NotFound (GetTenant,
// DeleteTenant, ListEntries of an unknown tenant), Unavailable (store
// unreachable; nothing acknowledged), FailedPrecondition (an import session
// used after Commit).
//
// Thread safety: every method may be called from any thread. Writers (and
// the follower) are serialized by a mutex inside the Catalog; decision
// readers of the table and registry never take it. Reads (Get/List/Stats/
// Lookup) take the mutex only briefly; Export reads a store snapshot and
// does not block writers.
#ifndef CORSD_SERVICE_STORE_CATALOG_H_
#define CORSD_SERVICE_STORE_CATALOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"
#include "service/domain/domain_index.h"
#include "service/domain/domain_lifecycle.h"
#include "service/domain/proof.h"
#include "service/store/store.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::policy {
class PolicyRegistry;
}  // namespace corsd::policy

namespace corsd::store {

// Type URL of the BatchErrors payload on a refused batch's status.
inline constexpr absl::string_view kBatchErrorsTypeUrl =
    "type.googleapis.com/corsd.v1.BatchErrors";

// Limits (admin.proto).
inline constexpr size_t kMaxBatchOps = 100000;      // WriteEntries ops
inline constexpr size_t kMaxChunkItems = 100000;    // ImportChunk items
inline constexpr size_t kMaxValueBytes = 2048;      // EntryOp.value
inline constexpr size_t kMaxListedErrors = 1000;    // BatchErrors.errors
inline constexpr size_t kExportChunkItems = 10000;  // ExportChunk items
// A follower further behind than this is not ready (health NOT_SERVING).
inline constexpr uint64_t kMaxLagMillis = 1000;

// Custom domains a tenant may hold (AddDomain refuses more).
inline constexpr size_t kDefaultMaxDomainsPerTenant = 1000;

// What the Catalog needs beyond the store and the core objects.
struct CatalogOptions {
  // Lifecycle timings and the DNS challenge prefix (domain_lifecycle.h).
  domain::LifecycleConfig lifecycle;
  // The port the HTTP proof fetches from (80 in production), for the
  // instructions shown to customers.
  int http_proof_port = 80;
  size_t max_domains_per_tenant = kDefaultMaxDomainsPerTenant;
  // Wall clock, unix milliseconds (tests pass their own).
  std::function<int64_t()> now_ms;
};

// Counts of custom domains by state (index: corsd.v1.DomainState number).
struct DomainCounts {
  uint64_t by_state[6] = {0, 0, 0, 0, 0, 0};
};

// A domain the verifier should attempt now.
struct DueDomain {
  std::string tenant;
  std::string host;
  std::string token;
  corsd::v1::DomainMethod method = corsd::v1::DOMAIN_METHOD_UNSPECIFIED;
};

// Returns the BatchErrors carried by `status` (empty when there is none).
corsd::v1::BatchErrors GetBatchErrors(const absl::Status& status);

// An import session: the whole stream is one all-or-nothing write.
// Not thread-safe (one stream, one caller); the Catalog must outlive it.
class ImportSession {
 public:
  virtual ~ImportSession() = default;
  // Validates the chunk's items on their own (syntax, canonical forms,
  // policies, limits) and keeps them. Item indexes count across the whole
  // stream: each chunk contributes its tenants, then its ops. Errors:
  // InvalidArgument with BatchErrors when an item is bad or the chunk has
  // more than kMaxChunkItems items (the session then refuses every later
  // call with the same status); FailedPrecondition after Commit.
  virtual absl::Status Add(const corsd::v1::ImportChunk& chunk) = 0;
  // Validates the whole stream against the current state (tenants exist,
  // API host owners, R16) and applies it as one batch: tenants put, then
  // ops, in stream order. dry_run (set on any chunk) validates only.
  // Errors as Catalog::WriteEntries; FailedPrecondition when called twice.
  virtual absl::StatusOr<corsd::v1::ImportResponse> Commit() = 0;
};

class Catalog {
 public:
  // Loads every tenant and entry of `store` into `table` (via BulkLoad) and
  // `registry` before returning, so health may say SERVING right after; for a
  // shared store, starts the follower thread. `epochs`, `table` and
  // `registry` must outlive the Catalog; `table` and `registry` must be
  // empty and are written only through the Catalog from now on.
  // Errors: the store's Load errors; DataLoss when a stored policy or entry
  // does not validate (the store is refused, nothing half-served).
  // InvalidArgument when options.lifecycle does not validate.
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(
      std::unique_ptr<Store> store, table::EpochManager* epochs,
      table::OriginTable* table, policy::PolicyRegistry* registry,
      CatalogOptions options = {});

  // Stops the follower (if any); the table and registry keep their state.
  virtual ~Catalog() = default;

  // Creates or replaces a tenant and its policy. Errors: InvalidArgument with
  // BatchErrors (index 0) for a bad id or policy, or when the new policy is
  // production and an existing origin is a dev origin (R16).
  virtual absl::StatusOr<corsd::v1::PutTenantResponse> PutTenant(
      const corsd::v1::PutTenantRequest& request) = 0;
  // NotFound when the tenant does not exist.
  virtual absl::StatusOr<corsd::v1::TenantInfo> GetTenant(
      const corsd::v1::GetTenantRequest& request) = 0;
  // Sorted by id. page_token is opaque (InvalidArgument when malformed);
  // page_size 0 means 100, above 1000 is InvalidArgument.
  virtual absl::StatusOr<corsd::v1::ListTenantsResponse> ListTenants(
      const corsd::v1::ListTenantsRequest& request) = 0;
  // Deletes the tenant with its policy and every entry. NotFound when absent.
  virtual absl::StatusOr<corsd::v1::DeleteTenantResponse> DeleteTenant(
      const corsd::v1::DeleteTenantRequest& request) = 0;
  // All-or-nothing batch of entry ops (<= kMaxBatchOps).
  virtual absl::StatusOr<corsd::v1::WriteEntriesResponse> WriteEntries(
      const corsd::v1::WriteEntriesRequest& request) = 0;
  // Canonical values of one kind, sorted, paged (page_size 0 means 1000,
  // above 10000 InvalidArgument). NotFound for an unknown tenant;
  // InvalidArgument for kind UNSPECIFIED or a malformed page_token.
  virtual absl::StatusOr<corsd::v1::ListEntriesResponse> ListEntries(
      const corsd::v1::ListEntriesRequest& request) = 0;
  // A new import session.
  virtual std::unique_ptr<ImportSession> BeginImport() = 0;
  // Streams a consistent snapshot: every tenant (with policy) first, then
  // every entry as an OP_ADD op, then every custom domain record, in chunks
  // of at most kExportChunkItems items. `sink` returns false to stop early
  // (then Cancelled is returned).
  virtual absl::Status Export(
      absl::FunctionRef<bool(const corsd::v1::ExportChunk&)> sink) = 0;
  // Counts, revision and table bytes; `decisions` left empty (rpc fills it).
  virtual corsd::v1::StatsResponse Stats() = 0;
  // Canonicalizes request.origin (InvalidArgument as CanonicalizeAdminOrigin)
  // and lists the tenants that own it exactly or by wildcard, sorted.
  virtual absl::StatusOr<corsd::v1::LookupOriginResponse> LookupOrigin(
      const corsd::v1::LookupOriginRequest& request) = 0;

  // ---- Custom domains (catalog_domains.cc) ----
  // A domain's record is keyed by (tenant, host); a host is held (verified,
  // or failing with its grants still in place) by at most one tenant. A
  // verified domain grants its tenant: routing (the host becomes an API
  // host of the tenant, unless it is a wildcard or already one) and, when
  // the tenant's policy sets custom_domain_origins, the origin
  // "https://<host>" (wildcards: "https://*.<parent>"). Grants are entries
  // written in the same batch as the state change that makes them, and
  // removed with the suspension or removal; the record remembers which it
  // added (granted_api_host, granted_origin), so entries the operator wrote
  // are never removed by a domain. Every refusal is InvalidArgument with
  // BatchErrors (field "tenant", "host" or "method") unless noted.

  // Adds a domain: validates the host (domain_name.h), issues a token and
  // stores it PENDING (due at once), or VERIFIED with its grants for
  // DOMAIN_METHOD_OPERATOR. Idempotent: adding a domain the tenant has
  // returns it unchanged (a REMOVED one is re-issued with a fresh token).
  // Refused: unknown tenant (NotFound); more than max_domains_per_tenant;
  // a wildcard whose parent is not a verified domain of the tenant;
  // OPERATOR for a host another tenant holds (the message does not name
  // it). A DNS or HTTP claim of a held host is accepted: the proof moves it.
  virtual absl::StatusOr<corsd::v1::DomainInfo> AddDomain(
      const corsd::v1::AddDomainRequest& request) = 0;
  // NotFound when the tenant has no such domain.
  virtual absl::StatusOr<corsd::v1::DomainInfo> GetDomain(
      const corsd::v1::DomainRequest& request) = 0;
  // Sorted by (tenant, host); pages as ListTenants.
  virtual absl::StatusOr<corsd::v1::ListDomainsResponse> ListDomains(
      const corsd::v1::ListDomainsRequest& request) = 0;
  // Removes the record and the entries it granted. NotFound when absent.
  virtual absl::StatusOr<corsd::v1::RemoveDomainResponse> RemoveDomain(
      const corsd::v1::DomainRequest& request) = 0;

  // Verifier side. Domains whose next attempt is due at `now_ms`, soonest
  // first, at most `limit`, skipping those `skip` returns true for.
  virtual std::vector<DueDomain> DueDomains(
      int64_t now_ms, size_t limit,
      const std::function<bool(const DueDomain&)>& skip) = 0;
  // Records one attempt's result for the domain holding `token` and writes
  // the state it leads to (AfterAttempt), its grants, and, when the proof
  // moves a host from another tenant, that tenant's record (REMOVED) and
  // entries for the host, all in one batch. `jitter01` in [0, 1) spreads
  // retries. Returns the new record. FailedPrecondition when the domain
  // was removed or re-issued meanwhile (the result is dropped); the write
  // path's errors otherwise.
  virtual absl::StatusOr<corsd::v1::CustomDomain> RecordAttempt(
      const DueDomain& domain, const domain::ProofResult& result,
      double jitter01) = 0;
  // The store lease for verifying `host` (Store::TryLease).
  virtual absl::StatusOr<std::unique_ptr<Store::Lease>> TryLeaseDomain(
      absl::string_view host) = 0;
  // The hosts /ask approves (verified domains); lock-free reads.
  virtual const domain::DomainIndex& domain_index() const = 0;
  virtual DomainCounts CountDomains() const = 0;
  // The options the Catalog was opened with.
  virtual const CatalogOptions& options() const = 0;

  // False while a shared-store follower is disconnected or more than
  // kMaxLagMillis behind; true otherwise (an opened Catalog has loaded).
  virtual bool Ready() const = 0;
  // Why Ready() is false ("" when ready), for health and logs.
  virtual std::string NotReadyReason() const = 0;
  // How far behind the shared store this replica is, in milliseconds: time
  // since the follower last saw itself caught up. 0 for embedded stores.
  virtual uint64_t LagMillis() const = 0;
  // Latest revision applied to the table and registry.
  virtual uint64_t AppliedRevision() const = 0;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_CATALOG_H_
