#include "service/rpc/authorization_service.h"

#include "absl/strings/ascii.h"
#include "service/rpc/ext_authz_mapping.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {

AuthorizationService::AuthorizationService(const DecisionDeps& deps,
                                           absl::string_view tenant_header)
    : deps_(deps), tenant_header_(absl::AsciiStrToLower(tenant_header)) {}

grpc::ServerUnaryReactor* AuthorizationService::Check(
    grpc::CallbackServerContext* context,
    const envoy::service::auth::v3::CheckRequest* request,
    envoy::service::auth::v3::CheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CheckInput input;
  if (absl::Status s = ReadCheckRequest(*request, tenant_header_, &input);
      !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  {
    decision::Decision decision;
    table::EpochManager::ReadGuard guard(deps_.epochs);
    RunDecide(deps_, input.tenant, input.fallback_tenant, input.request,
              &decision);
    FillCheckResponse(decision, response);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace corsd::rpc
