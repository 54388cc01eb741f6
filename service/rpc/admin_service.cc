#include "service/rpc/admin_service.h"

#include <string>

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

}  // namespace

AdminService::AdminService(const Deps& deps)
    : deps_(deps),
      catalog_(deps.catalog),
      tokens_(deps.tokens),
      metrics_(deps.metrics),
      verifier_(deps.verifier) {}

grpc::Status AdminService::Authorize(
    const grpc::ServerContextBase* context) const {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return ToGrpcStatus(absl::UnauthenticatedError(
        "admin call without \"authorization\" metadata; expected \"Bearer "
        "<token>\" from --admin-token-file"));
  }
  if (metadata.count("authorization") != 1 ||
      !tokens_->Check(
          absl::string_view(it->second.data(), it->second.size()))) {
    return ToGrpcStatus(absl::UnauthenticatedError(
        "admin call with an unknown bearer token; expected one listed in "
        "--admin-token-file"));
  }
  return grpc::Status::OK;
}

void AdminService::CountWrite(decision::AdminWrite rpc, bool ok,
                              uint64_t items) {
  if (metrics_ != nullptr) metrics_->RecordAdminWrite(rpc, ok, items);
}

grpc::Status AdminService::PutTenant(grpc::ServerContext* context,
                                     const corsd::v1::PutTenantRequest* request,
                                     corsd::v1::PutTenantResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  grpc::Status s = Reply(catalog_->PutTenant(*request), response);
  CountWrite(decision::AdminWrite::kPutTenant, s.ok(), 1);
  return s;
}

grpc::Status AdminService::GetTenant(grpc::ServerContext* context,
                                     const corsd::v1::GetTenantRequest* request,
                                     corsd::v1::TenantInfo* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return Reply(catalog_->GetTenant(*request), response);
}

grpc::Status AdminService::ListTenants(
    grpc::ServerContext* context, const corsd::v1::ListTenantsRequest* request,
    corsd::v1::ListTenantsResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return Reply(catalog_->ListTenants(*request), response);
}

grpc::Status AdminService::DeleteTenant(
    grpc::ServerContext* context, const corsd::v1::DeleteTenantRequest* request,
    corsd::v1::DeleteTenantResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  grpc::Status s = Reply(catalog_->DeleteTenant(*request), response);
  CountWrite(decision::AdminWrite::kDeleteTenant, s.ok(), 1);
  return s;
}

grpc::Status AdminService::WriteEntries(
    grpc::ServerContext* context, const corsd::v1::WriteEntriesRequest* request,
    corsd::v1::WriteEntriesResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  grpc::Status s = Reply(catalog_->WriteEntries(*request), response);
  CountWrite(decision::AdminWrite::kWriteEntries, s.ok(),
             static_cast<uint64_t>(request->ops_size()));
  return s;
}

grpc::Status AdminService::ListEntries(
    grpc::ServerContext* context, const corsd::v1::ListEntriesRequest* request,
    corsd::v1::ListEntriesResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return Reply(catalog_->ListEntries(*request), response);
}

grpc::Status AdminService::Import(
    grpc::ServerContext* context,
    grpc::ServerReader<corsd::v1::ImportChunk>* reader,
    corsd::v1::ImportResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  std::unique_ptr<store::ImportSession> session = catalog_->BeginImport();
  corsd::v1::ImportChunk chunk;
  uint64_t items = 0;
  while (reader->Read(&chunk)) {
    items += static_cast<uint64_t>(chunk.tenants_size() + chunk.ops_size());
    if (absl::Status added = session->Add(chunk); !added.ok()) {
      CountWrite(decision::AdminWrite::kImport, false, items);
      return ToGrpcStatus(added);
    }
  }
  if (context->IsCancelled()) {
    // The client went away before half-closing: the stream is incomplete,
    // so nothing may be applied.
    CountWrite(decision::AdminWrite::kImport, false, items);
    return ToGrpcStatus(absl::CancelledError(
        "import stream cancelled by the client; nothing applied"));
  }
  grpc::Status s = Reply(session->Commit(), response);
  CountWrite(decision::AdminWrite::kImport, s.ok(), items);
  return s;
}

grpc::Status AdminService::Export(
    grpc::ServerContext* context, const corsd::v1::ExportRequest* request,
    grpc::ServerWriter<corsd::v1::ExportChunk>* writer) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  absl::Status s = catalog_->Export([&](const corsd::v1::ExportChunk& chunk) {
    return !context->IsCancelled() && writer->Write(chunk);
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
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
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
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  grpc::Status s = Reply(catalog_->AddDomain(*request), response);
  if (s.ok() && verifier_ != nullptr) verifier_->Wake();
  return s;
}

grpc::Status AdminService::VerifyDomain(grpc::ServerContext* context,
                                        const corsd::v1::DomainRequest* request,
                                        corsd::v1::DomainInfo* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  if (verifier_ == nullptr) {
    return ToGrpcStatus(absl::UnavailableError(
        "this corsd runs no domain verifier (--domain-verify-concurrency 0)"));
  }
  absl::StatusOr<corsd::v1::CustomDomain> record =
      verifier_->VerifyNow(request->tenant(), request->host());
  if (!record.ok()) return ToGrpcStatus(record.status());
  corsd::v1::DomainRequest get;
  get.set_tenant(record->tenant());
  get.set_host(record->host());
  return Reply(catalog_->GetDomain(get), response);
}

grpc::Status AdminService::GetDomain(grpc::ServerContext* context,
                                     const corsd::v1::DomainRequest* request,
                                     corsd::v1::DomainInfo* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return Reply(catalog_->GetDomain(*request), response);
}

grpc::Status AdminService::ListDomains(
    grpc::ServerContext* context, const corsd::v1::ListDomainsRequest* request,
    corsd::v1::ListDomainsResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return Reply(catalog_->ListDomains(*request), response);
}

grpc::Status AdminService::RemoveDomain(
    grpc::ServerContext* context, const corsd::v1::DomainRequest* request,
    corsd::v1::RemoveDomainResponse* response) {
  if (grpc::Status s = Authorize(context); !s.ok()) return s;
  return Reply(catalog_->RemoveDomain(*request), response);
}

grpc::ServerUnaryReactor* AdminService::LookupOrigin(
    grpc::CallbackServerContext* context,
    const corsd::v1::LookupOriginRequest* request,
    corsd::v1::LookupOriginResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  grpc::Status s = Authorize(context);
  if (s.ok()) s = Reply(catalog_->LookupOrigin(*request), response);
  reactor->Finish(s);
  return reactor;
}

}  // namespace corsd::rpc
