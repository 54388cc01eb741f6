// AdminService: corsd.v1.Admin (proto/corsd/v1/admin.proto) on the admin
// listener. Thin: checks the caller's bearer token, hands the request to the
// Catalog, converts the result with ToGrpcStatus, counts writes in the
// metrics. Every rule about what may be written lives in the Catalog.
//
// Architecture: the sync API, on purpose. Admin writes block on durable
// commits (fsync, or a PostgreSQL round trip) and validate up to 100000
// items; the admin grpc::Server's own sync threads absorb that, so admin
// work never occupies the callback threads that serve decisions. Export
// streams a snapshot with flow control (ServerWriter::Write blocks), Import
// feeds chunks to one ImportSession as they arrive.
//
// Errors: UNAUTHENTICATED when the `authorization` metadata is missing or not
// "Bearer <token>" for a configured token (checked before anything is read);
// PERMISSION_DENIED when the token's tenant scope (admin_auth.h) does not
// cover the request (below); otherwise the Catalog's status, converted (a
// refused batch is INVALID_ARGUMENT carrying BatchErrors as a
// google.rpc.Status detail).
//
// Tenant scopes, checked before the Catalog is asked anything. A token with
// every tenant in scope sees no difference. For a scoped token:
//   * one tenant named by the request (PutTenant tenant.id, GetTenant id,
//     DeleteTenant id, ListEntries tenant, AddDomain / VerifyDomain /
//     GetDomain / RemoveDomain tenant, ListDomains tenant when given, and
//     every method added later that takes a tenant, via AuthorizeTenant):
//     it must be in scope;
//   * many tenants (WriteEntries ops[i].tenant; Import's tenants[i].id,
//     ops[i].tenant, domains[i].tenant in every chunk): every one must be in
//     scope, else the whole call is refused and nothing is applied;
//   * lists and lookups (ListTenants, ListDomains without a tenant,
//     LookupOrigin, Export): filtered to the scope. A filtered page keeps
//     the Catalog's next_page_token, so it may hold fewer than page_size
//     items (even none) before the last page: follow next_page_token;
//   * Stats (counts over every tenant and the decision counters of the whole
//     process): refused.
// A refusal is PERMISSION_DENIED naming the token's id, its scope and the
// request field at fault (e.g. "ops[3].tenant"), never the value of a tenant
// outside the scope and never anything the Catalog holds: the check runs
// before any read, so a refusal also says nothing about whether that tenant
// exists.
//
// Audit: every call of a writing method (PutTenant, DeleteTenant,
// WriteEntries, Import, AddDomain, VerifyDomain, RemoveDomain), refused or
// not, writes one line to Deps::audit (audit_log.h) before it answers.
//
// Thread safety: handlers run concurrently on gRPC's threads; the Catalog
// serializes writers itself; the tokens are read once per call
// (AdminTokenStore::Current), so a reload in between changes the next call,
// never half of one. Catalog, tokens, metrics and the audit log are not owned
// and must outlive the server the service is registered on.
#ifndef CORSD_SERVICE_RPC_ADMIN_SERVICE_H_
#define CORSD_SERVICE_RPC_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "corsd/v1/admin.grpc.pb.h"
#include "service/decision/metrics.h"
#include "service/rpc/admin_auth.h"
#include "service/rpc/audit_log.h"
#include "service/store/catalog.h"
#include "service/tenant_view/refusal_view.h"
#include "service/verify/verifier.h"
#include "service/whatif/replay.h"

namespace corsd::rpc {

// LookupOrigin is served on the callback API, every other method on the
// sync API. That one callback method makes the admin grpc::Server a
// "hybrid" server, for which gRPC creates the sync completion queue without
// a pollset: the admin sync threads then wait for admin calls instead of
// taking turns polling the process's one epoll set, where they picked up
// the decision listener's stream traffic and handed it to the callback
// threads (two thread switches per batch; bench/RESULTS.md, "Where the
// stream time goes"). LookupOrigin never blocks (canonicalization and the
// decision path's lock-free table reads), so it may run on a callback
// thread; the other methods take the catalog's writer lock and may wait.
class AdminService final
    : public corsd::v1::Admin::WithCallbackMethod_LookupOrigin<
          corsd::v1::Admin::Service> {
 public:
  // What the service works with; none owned, all outlive the service.
  struct Deps {
    store::Catalog* catalog = nullptr;        // required
    const AdminTokenStore* tokens = nullptr;  // required
    // Optional: null = no audit lines.
    AuditLog* audit = nullptr;
    // Optional: null = no counting; Stats.decisions left empty.
    decision::DecisionMetrics* metrics = nullptr;
    // Optional: null = VerifyDomain is UNAVAILABLE, AddDomain wakes nobody.
    verify::Verifier* verifier = nullptr;
    // Optional: null = TopRefused is FAILED_PRECONDITION (--tenant-view
    // off).
    const tenant_view::RefusalView* tenant_view = nullptr;
    // Optional: null = WhatIf is FAILED_PRECONDITION.
    const whatif::WhatIf* what_if = nullptr;
  };
  explicit AdminService(const Deps& deps);

  grpc::Status PutTenant(grpc::ServerContext* context,
                         const corsd::v1::PutTenantRequest* request,
                         corsd::v1::PutTenantResponse* response) override;
  grpc::Status GetTenant(grpc::ServerContext* context,
                         const corsd::v1::GetTenantRequest* request,
                         corsd::v1::TenantInfo* response) override;
  grpc::Status ListTenants(grpc::ServerContext* context,
                           const corsd::v1::ListTenantsRequest* request,
                           corsd::v1::ListTenantsResponse* response) override;
  grpc::Status DeleteTenant(grpc::ServerContext* context,
                            const corsd::v1::DeleteTenantRequest* request,
                            corsd::v1::DeleteTenantResponse* response) override;
  grpc::Status WriteEntries(grpc::ServerContext* context,
                            const corsd::v1::WriteEntriesRequest* request,
                            corsd::v1::WriteEntriesResponse* response) override;
  grpc::Status ListEntries(grpc::ServerContext* context,
                           const corsd::v1::ListEntriesRequest* request,
                           corsd::v1::ListEntriesResponse* response) override;
  // Reads every chunk into one ImportSession, then commits on half-close. A
  // chunk the session refuses ends the call with that status at once.
  grpc::Status Import(grpc::ServerContext* context,
                      grpc::ServerReader<corsd::v1::ImportChunk>* reader,
                      corsd::v1::ImportResponse* response) override;
  // CANCELLED when the client goes away mid-stream.
  grpc::Status Export(
      grpc::ServerContext* context, const corsd::v1::ExportRequest* request,
      grpc::ServerWriter<corsd::v1::ExportChunk>* writer) override;
  // Catalog::Stats plus `decisions`: counts by Reason enum name (zeros left
  // out). PERMISSION_DENIED for a scoped token.
  grpc::Status Stats(grpc::ServerContext* context,
                     const corsd::v1::StatsRequest* request,
                     corsd::v1::StatsResponse* response) override;
  // Custom domains: the Catalog's calls; AddDomain wakes the verifier so a
  // new domain's first attempt does not wait for the next poll.
  // VerifyDomain runs one attempt on this thread (bounded by the proof's
  // timeout) and answers the record it led to.
  grpc::Status AddDomain(grpc::ServerContext* context,
                         const corsd::v1::AddDomainRequest* request,
                         corsd::v1::DomainInfo* response) override;
  grpc::Status VerifyDomain(grpc::ServerContext* context,
                            const corsd::v1::DomainRequest* request,
                            corsd::v1::DomainInfo* response) override;
  grpc::Status GetDomain(grpc::ServerContext* context,
                         const corsd::v1::DomainRequest* request,
                         corsd::v1::DomainInfo* response) override;
  grpc::Status ListDomains(grpc::ServerContext* context,
                           const corsd::v1::ListDomainsRequest* request,
                           corsd::v1::ListDomainsResponse* response) override;
  grpc::Status RemoveDomain(grpc::ServerContext* context,
                            const corsd::v1::DomainRequest* request,
                            corsd::v1::RemoveDomainResponse* response) override;
  // The what-if replay (admin_service_whatif.cc, whatif/replay.h):
  // AuthorizeTenant on `tenant`; then WhatIf::Run's status, converted.
  // Read-only (not audited).
  grpc::Status WhatIf(grpc::ServerContext* context,
                      const corsd::v1::WhatIfRequest* request,
                      corsd::v1::WhatIfResponse* response) override;
  // The per-tenant view's most refused origins (admin_service_top.cc):
  // AuthorizeTenant on `tenant` (unknown_tenant: a token with every tenant
  // in scope); INVALID_ARGUMENT from RefusalView::Top; FAILED_PRECONDITION
  // when Deps::tenant_view is null.
  grpc::Status TopRefused(grpc::ServerContext* context,
                          const corsd::v1::TopRefusedRequest* request,
                          corsd::v1::TopRefusedResponse* response) override;
  grpc::ServerUnaryReactor* LookupOrigin(
      grpc::CallbackServerContext* context,
      const corsd::v1::LookupOriginRequest* request,
      corsd::v1::LookupOriginResponse* response) override;

  // The authorization entry of a method that reads or writes one tenant:
  // OK when the call carries a valid token whose scope covers `tenant`.
  // UNAUTHENTICATED when it carries none (as Authorize); PERMISSION_DENIED
  // when the scope does not cover `tenant` (message: the token's id, its
  // scope and `field`, the request field that named the tenant, e.g.
  // "tenant"; never `tenant` itself). On OK and PERMISSION_DENIED, *caller
  // (when not null) is the token's identity, for the audit log.
  grpc::Status AuthorizeTenant(const grpc::ServerContextBase* context,
                               absl::string_view tenant,
                               absl::string_view field = "tenant",
                               AdminIdentity* caller = nullptr) const;
  // Authentication only: OK and *caller when the call carries a valid token,
  // else UNAUTHENTICATED. For a method that then checks a scope itself
  // (AdminIdentity::Allows, ScopeRefusal) or filters what it returns.
  grpc::Status Authorize(const grpc::ServerContextBase* context,
                         AdminIdentity* caller = nullptr) const;
  // The PERMISSION_DENIED status for `caller` when `field` names a tenant
  // outside its scope (the message AuthorizeTenant uses).
  static grpc::Status ScopeRefusal(const AdminIdentity& caller,
                                   absl::string_view field);

 private:
  // What one writing call tells the audit log (audit_log.h).
  struct Audit;
  void CountWrite(decision::AdminWrite rpc, bool ok, uint64_t items);
  // Writes `audit`'s line with `status` and `revision` when Deps::audit is
  // set; returns `status`.
  grpc::Status Audited(const Audit& audit, const grpc::Status& status,
                       uint64_t revision);

  const Deps deps_;
  store::Catalog* const catalog_;
  const AdminTokenStore* const tokens_;
  decision::DecisionMetrics* const metrics_;
  verify::Verifier* const verifier_;
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_ADMIN_SERVICE_H_
