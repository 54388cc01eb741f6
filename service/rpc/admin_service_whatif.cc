// AdminService::WhatIf: the what-if replay (service/whatif/replay.h) behind
// `corsctl what-if`. Read-only: nothing is written, so it is not audited or
// counted as a write.
#include "service/rpc/admin_service.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {

grpc::Status AdminService::WhatIf(grpc::ServerContext* context,
                                  const corsd::v1::WhatIfRequest* request,
                                  corsd::v1::WhatIfResponse* response) {
  if (grpc::Status s = AuthorizeTenant(context, request->tenant(), "tenant");
      !s.ok()) {
    return s;
  }
  if (deps_.what_if == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "what-if is not available on this server");
  }
  absl::StatusOr<corsd::v1::WhatIfResponse> answer =
      deps_.what_if->Run(*request);
  if (!answer.ok()) return ToGrpcStatus(answer.status());
  *response = *std::move(answer);
  return grpc::Status::OK;
}

}  // namespace corsd::rpc
