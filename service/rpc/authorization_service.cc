#include "service/rpc/authorization_service.h"

#include "absl/strings/ascii.h"
#include "service/rpc/ext_authz_mapping.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {

AuthorizationService::AuthorizationService(const DecisionDeps& deps,
                                           absl::string_view tenant_header)
    : deps_(door::ForDoor(deps, "ext_authz")),
      tenant_header_(absl::AsciiStrToLower(tenant_header)) {}

grpc::Status AuthorizationService::Check(
    grpc::ServerContext* context,
    const envoy::service::auth::v3::CheckRequest* request,
    envoy::service::auth::v3::CheckResponse* response) {
  CheckInput input;
  if (absl::Status s = ReadCheckRequest(*request, tenant_header_, &input);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  decision::Decision decision;
  table::EpochManager::ReadGuard guard(deps_.epochs);
  const door::DecideResult result =
      door::RunDecide(deps_, input.tenant, input.request, &decision);
  const door::DecisionIdText id = door::FormatDecisionId(result.id);
  FillCheckResponse(decision, response,
                    result.id != 0 ? id.view() : absl::string_view());
  return grpc::Status::OK;
}

}  // namespace corsd::rpc
