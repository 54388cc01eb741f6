#include "service/rpc/admin_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "corsd/v1/decision.pb.h"
#include "google/protobuf/descriptor.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {
namespace {

// Copies a StatusOr's value into the response, or converts its error.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

// The distinct tenants a request names: the first kAuditMaxTenants kept for
// the audit line, all of them counted.
class TenantTally {
 public:
  void Add(absl::string_view tenant) {
    if (!seen_.insert(std::string(tenant)).second) return;
    if (first_.size() < kAuditMaxTenants) first_.emplace_back(tenant);
  }
  std::vector<std::string> first() const { return first_; }
  uint64_t count() const { return seen_.size(); }

 private:
  absl::flat_hash_set<std::string> seen_;
  std::vector<std::string> first_;
};

}  // namespace

struct AdminService::Audit {
  Audit(const char* rpc, uint64_t items, bool dry_run)
      : rpc(rpc), items(items), dry_run(dry_run) {}
  const char* rpc;
  std::string token_id;  // "" until authenticated
  TenantTally tenants;
  uint64_t items;
  bool dry_run;
};

grpc::Status AdminService::Audited(const Audit& audit,
                                   const grpc::Status& status,
                                   uint64_t revision) {
  if (deps_.audit == nullptr) return status;
  AuditRecord record;
  record.token_id = audit.token_id;
  record.rpc = audit.rpc;
  record.tenants = audit.tenants.first();
  record.tenant_count = audit.tenants.count();
  record.items = audit.items;
  record.dry_run = audit.dry_run;
  record.revision = status.ok() ? revision : 0;
  record.code = static_cast<absl::StatusCode>(status.error_code());
  record.message = status.error_message();
  deps_.audit->Write(record);
  return status;
}

AdminService::AdminService(const Deps& deps)
    : deps_(deps),
      catalog_(deps.catalog),
      tokens_(deps.tokens),
      metrics_(deps.metrics),
      verifier_(deps.verifier) {}

grpc::Status AdminService::Authorize(const grpc::ServerContextBase* context,
                                     AdminIdentity* caller) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return ToGrpcStatus(absl::UnauthenticatedError(
        "admin call without \"authorization\" metadata; expected \"Bearer "
        "<token>\" from --admin-token-file"));
  }
  std::optional<AdminIdentity> identity;
  if (metadata.count("authorization") == 1) {
    identity = tokens_->Current()->Authenticate(
        absl::string_view(it->second.data(), it->second.size()));
  }
  if (!identity.has_value()) {
    return ToGrpcStatus(absl::UnauthenticatedError(
        "admin call with an unknown bearer token; expected one listed in "
        "--admin-token-file"));
  }
  if (caller != nullptr) *caller = *std::move(identity);
  return grpc::Status::OK;
}

grpc::Status AdminService::ScopeRefusal(const AdminIdentity& caller,
                                        absl::string_view field) {
  return ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat(
      "admin token \"", caller.id, "\" is scoped to ", caller.ScopeText(),
      "; the request's ", field, " names a tenant outside that scope")));
}

grpc::Status AdminService::AuthorizeTenant(
    const grpc::ServerContextBase* context, absl::string_view tenant,
    absl::string_view field, AdminIdentity* caller) const {
  AdminIdentity identity;
  if (grpc::Status s = Authorize(context, &identity); !s.ok()) return s;
  grpc::Status s = identity.Allows(tenant) ? grpc::Status::OK
                                           : ScopeRefusal(identity, field);
  if (caller != nullptr) *caller = std::move(identity);
  return s;
}

void AdminService::CountWrite(decision::AdminWrite rpc, bool ok,
                              uint64_t items) {
  if (metrics_ != nullptr) metrics_->RecordAdminWrite(rpc, ok, items);
}

grpc::Status AdminService::PutTenant(grpc::ServerContext* context,
                                     const corsd::v1::PutTenantRequest* request,
                                     corsd::v1::PutTenantResponse* response) {
  Audit audit("PutTenant", 1, request->dry_run());
  audit.tenants.Add(request->tenant().id());
  AdminIdentity caller;
  if (grpc::Status s = AuthorizeTenant(context, request->tenant().id(),
                                       "tenant.id", &caller);
      !s.ok()) {
    audit.token_id = caller.id;
    return Audited(audit, s, 0);
  }
  audit.token_id = caller.id;
  grpc::Status s = Reply(catalog_->PutTenant(*request), response);
  CountWrite(decision::AdminWrite::kPutTenant, s.ok(), 1);
  return Audited(audit, s, response->revision());
}

grpc::Status AdminService::GetTenant(grpc::ServerContext* context,
                                     const corsd::v1::GetTenantRequest* request,
                                     corsd::v1::TenantInfo* response) {
  if (grpc::Status s = AuthorizeTenant(context, request->id(), "id"); !s.ok()) {
    return s;
  }
  return Reply(catalog_->GetTenant(*request), response);
}

grpc::Status AdminService::ListTenants(
    grpc::ServerContext* context, const corsd::v1::ListTenantsRequest* request,
    corsd::v1::ListTenantsResponse* response) {
  AdminIdentity caller;
  if (grpc::Status s = Authorize(context, &caller); !s.ok()) return s;
  grpc::Status s = Reply(catalog_->ListTenants(*request), response);
  if (!s.ok() || caller.all_tenants) return s;
  auto* tenants = response->mutable_tenants();
  tenants->erase(std::remove_if(tenants->begin(), tenants->end(),
                                [&](const corsd::v1::TenantInfo& t) {
                                  return !caller.Allows(t.tenant().id());
                                }),
                 tenants->end());
  return s;
}

grpc::Status AdminService::DeleteTenant(
    grpc::ServerContext* context, const corsd::v1::DeleteTenantRequest* request,
    corsd::v1::DeleteTenantResponse* response) {
  Audit audit("DeleteTenant", 1, false);
  audit.tenants.Add(request->id());
  AdminIdentity caller;
  grpc::Status s = AuthorizeTenant(context, request->id(), "id", &caller);
  audit.token_id = caller.id;
  if (!s.ok()) return Audited(audit, s, 0);
  s = Reply(catalog_->DeleteTenant(*request), response);
  CountWrite(decision::AdminWrite::kDeleteTenant, s.ok(), 1);
  return Audited(audit, s, response->revision());
}

grpc::Status AdminService::WriteEntries(
    grpc::ServerContext* context, const corsd::v1::WriteEntriesRequest* request,
    corsd::v1::WriteEntriesResponse* response) {
  Audit audit("WriteEntries", static_cast<uint64_t>(request->ops_size()),
              request->dry_run());
  for (const corsd::v1::EntryOp& op : request->ops()) {
    audit.tenants.Add(op.tenant());
  }
  AdminIdentity caller;
  grpc::Status s = Authorize(context, &caller);
  audit.token_id = caller.id;
  if (!s.ok()) return Audited(audit, s, 0);
  if (!caller.all_tenants) {
    for (int i = 0; i < request->ops_size(); ++i) {
      if (!caller.Allows(request->ops(i).tenant())) {
        return Audited(
            audit, ScopeRefusal(caller, absl::StrCat("ops[", i, "].tenant")),
            0);
      }
    }
  }
  s = Reply(catalog_->WriteEntries(*request), response);
  CountWrite(decision::AdminWrite::kWriteEntries, s.ok(), audit.items);
  return Audited(audit, s, response->revision());
}

grpc::Status AdminService::ListEntries(
    grpc::ServerContext* context, const corsd::v1::ListEntriesRequest* request,
    corsd::v1::ListEntriesResponse* response) {
  if (grpc::Status s = AuthorizeTenant(context, request->tenant()); !s.ok()) {
    return s;
  }
  return Reply(catalog_->ListEntries(*request), response);
}

grpc::Status AdminService::Import(
    grpc::ServerContext* context,
    grpc::ServerReader<corsd::v1::ImportChunk>* reader,
    corsd::v1::ImportResponse* response) {
  Audit audit("Import", 0, false);
  AdminIdentity caller;
  grpc::Status authorized = Authorize(context, &caller);
  audit.token_id = caller.id;
  if (!authorized.ok()) return Audited(audit, authorized, 0);
  std::unique_ptr<store::ImportSession> session = catalog_->BeginImport();
  corsd::v1::ImportChunk chunk;
  uint64_t items = 0;
  uint64_t chunks = 0;
  // Fails the call for an item outside the caller's scope (nothing is
  // applied: the session is dropped uncommitted).
  const auto in_scope = [&](absl::string_view tenant, const char* list,
                            int index) -> grpc::Status {
    audit.tenants.Add(tenant);
    if (caller.Allows(tenant)) return grpc::Status::OK;
    return ScopeRefusal(
        caller, absl::StrCat("chunk ", chunks, " ", list, "[", index, "]"));
  };
  while (reader->Read(&chunk)) {
    ++chunks;
    items += static_cast<uint64_t>(chunk.tenants_size() + chunk.ops_size() +
                                   chunk.domains_size());
    audit.items = items;
    audit.dry_run = audit.dry_run || chunk.dry_run();
    grpc::Status scoped;
    for (int i = 0; scoped.ok() && i < chunk.tenants_size(); ++i) {
      scoped = in_scope(chunk.tenants(i).id(), "tenants", i);
    }
    for (int i = 0; scoped.ok() && i < chunk.ops_size(); ++i) {
      scoped = in_scope(chunk.ops(i).tenant(), "ops", i);
    }
    for (int i = 0; scoped.ok() && i < chunk.domains_size(); ++i) {
      scoped = in_scope(chunk.domains(i).tenant(), "domains", i);
    }
    if (!scoped.ok()) {
      CountWrite(decision::AdminWrite::kImport, false, items);
      return Audited(audit, scoped, 0);
    }
    if (absl::Status added = session->Add(chunk); !added.ok()) {
      CountWrite(decision::AdminWrite::kImport, false, items);
      return Audited(audit, ToGrpcStatus(added), 0);
    }
  }
  if (context->IsCancelled()) {
    // The client went away before half-closing: the stream is incomplete,
    // so nothing may be applied.
    CountWrite(decision::AdminWrite::kImport, false, items);
    return Audited(audit,
                   ToGrpcStatus(absl::CancelledError(
                       "import stream cancelled by the client; nothing "
                       "applied")),
                   0);
  }
  grpc::Status s = Reply(session->Commit(), response);
  CountWrite(decision::AdminWrite::kImport, s.ok(), items);
  return Audited(audit, s, response->revision());
}

grpc::Status AdminService::Export(
    grpc::ServerContext* context, const corsd::v1::ExportRequest* request,
    grpc::ServerWriter<corsd::v1::ExportChunk>* writer) {
  AdminIdentity caller;
  if (grpc::Status s = Authorize(context, &caller); !s.ok()) return s;
  corsd::v1::ExportChunk scoped;
  absl::Status s = catalog_->Export([&](const corsd::v1::ExportChunk& chunk) {
    if (context->IsCancelled()) return false;
    if (caller.all_tenants) return writer->Write(chunk);
    // A scoped token: the chunk's items of its tenants only; a chunk left
    // empty is not sent.
    scoped.Clear();
    for (const corsd::v1::Tenant& t : chunk.tenants()) {
      if (caller.Allows(t.id())) *scoped.add_tenants() = t;
    }
    for (const corsd::v1::EntryOp& op : chunk.ops()) {
      if (caller.Allows(op.tenant())) *scoped.add_ops() = op;
    }
    for (const corsd::v1::CustomDomain& d : chunk.domains()) {
      if (caller.Allows(d.tenant())) *scoped.add_domains() = d;
    }
    if (scoped.tenants_size() + scoped.ops_size() + scoped.domains_size() ==
        0) {
      return true;
    }
    return writer->Write(scoped);
  });
  if (s.code() == absl::StatusCode::kCancelled) {
    return ToGrpcStatus(
        absl::CancelledError("export stopped: the client went away"));
  }
  return ToGrpcStatus(s);
}

grpc::Status AdminService::Stats(grpc::ServerContext* context,
                                 const corsd::v1::StatsRequest* request,
                                 corsd::v1::StatsResponse* response) {
  AdminIdentity caller;
  if (grpc::Status s = Authorize(context, &caller); !s.ok()) return s;
  if (!caller.all_tenants) {
    return ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat(
        "admin token \"", caller.id, "\" is scoped to ", caller.ScopeText(),
        "; Stats counts every tenant and needs a token for every tenant")));
  }
  *response = catalog_->Stats();
  if (metrics_ == nullptr) return grpc::Status::OK;
  const google::protobuf::EnumDescriptor* reasons =
      corsd::v1::Reason_descriptor();
  for (int i = 0; i < reasons->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* reason = reasons->value(i);
    uint64_t count = 0;
    for (int action = 0; action < decision::DecisionMetrics::kMaxActions - 1;
         ++action) {
      count += metrics_->DecisionCount(action, reason->number());
    }
    if (count > 0) (*response->mutable_decisions())[reason->name()] = count;
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::AddDomain(grpc::ServerContext* context,
                                     const corsd::v1::AddDomainRequest* request,
                                     corsd::v1::DomainInfo* response) {
  Audit audit("AddDomain", 1, request->dry_run());
  audit.tenants.Add(request->tenant());
  AdminIdentity caller;
  grpc::Status s =
      AuthorizeTenant(context, request->tenant(), "tenant", &caller);
  audit.token_id = caller.id;
  if (!s.ok()) return Audited(audit, s, 0);
  s = Reply(catalog_->AddDomain(*request), response);
  if (s.ok() && verifier_ != nullptr) verifier_->Wake();
  return Audited(audit, s, response->revision());
}

grpc::Status AdminService::VerifyDomain(grpc::ServerContext* context,
                                        const corsd::v1::DomainRequest* request,
                                        corsd::v1::DomainInfo* response) {
  Audit audit("VerifyDomain", 1, false);
  audit.tenants.Add(request->tenant());
  AdminIdentity caller;
  grpc::Status s =
      AuthorizeTenant(context, request->tenant(), "tenant", &caller);
  audit.token_id = caller.id;
  if (!s.ok()) return Audited(audit, s, 0);
  if (verifier_ == nullptr) {
    return Audited(audit,
                   ToGrpcStatus(absl::UnavailableError(
                       "this corsd runs no domain verifier "
                       "(--domain-verify-concurrency 0)")),
                   0);
  }
  absl::StatusOr<corsd::v1::CustomDomain> record =
      verifier_->VerifyNow(request->tenant(), request->host());
  if (!record.ok()) return Audited(audit, ToGrpcStatus(record.status()), 0);
  corsd::v1::DomainRequest get;
  get.set_tenant(record->tenant());
  get.set_host(record->host());
  // The attempt's write carries no revision in its answer (GetDomain reads):
  // the line's revision is the catalog's applied revision after it.
  s = Reply(catalog_->GetDomain(get), response);
  return Audited(audit, s, s.ok() ? catalog_->AppliedRevision() : 0);
}

grpc::Status AdminService::GetDomain(grpc::ServerContext* context,
                                     const corsd::v1::DomainRequest* request,
                                     corsd::v1::DomainInfo* response) {
  if (grpc::Status s = AuthorizeTenant(context, request->tenant()); !s.ok()) {
    return s;
  }
  return Reply(catalog_->GetDomain(*request), response);
}

grpc::Status AdminService::ListDomains(
    grpc::ServerContext* context, const corsd::v1::ListDomainsRequest* request,
    corsd::v1::ListDomainsResponse* response) {
  AdminIdentity caller;
  if (request->tenant().empty()) {
    if (grpc::Status s = Authorize(context, &caller); !s.ok()) return s;
  } else if (grpc::Status s =
                 AuthorizeTenant(context, request->tenant(), "tenant", &caller);
             !s.ok()) {
    return s;
  }
  grpc::Status s = Reply(catalog_->ListDomains(*request), response);
  if (!s.ok() || caller.all_tenants) return s;
  auto* domains = response->mutable_domains();
  domains->erase(std::remove_if(domains->begin(), domains->end(),
                                [&](const corsd::v1::CustomDomain& d) {
                                  return !caller.Allows(d.tenant());
                                }),
                 domains->end());
  return s;
}

grpc::Status AdminService::RemoveDomain(
    grpc::ServerContext* context, const corsd::v1::DomainRequest* request,
    corsd::v1::RemoveDomainResponse* response) {
  Audit audit("RemoveDomain", 1, false);
  audit.tenants.Add(request->tenant());
  AdminIdentity caller;
  grpc::Status s =
      AuthorizeTenant(context, request->tenant(), "tenant", &caller);
  audit.token_id = caller.id;
  if (!s.ok()) return Audited(audit, s, 0);
  s = Reply(catalog_->RemoveDomain(*request), response);
  return Audited(audit, s, response->revision());
}

grpc::ServerUnaryReactor* AdminService::LookupOrigin(
    grpc::CallbackServerContext* context,
    const corsd::v1::LookupOriginRequest* request,
    corsd::v1::LookupOriginResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  AdminIdentity caller;
  grpc::Status s = Authorize(context, &caller);
  if (s.ok()) s = Reply(catalog_->LookupOrigin(*request), response);
  if (s.ok() && !caller.all_tenants) {
    auto* tenants = response->mutable_tenants();
    tenants->erase(
        std::remove_if(tenants->begin(), tenants->end(),
                       [&](const std::string& t) { return !caller.Allows(t); }),
        tenants->end());
  }
  reactor->Finish(s);
  return reactor;
}

}  // namespace corsd::rpc
