// AuthorizationService: envoy.service.auth.v3.Authorization/Check on the
// decision listener, so Envoy (and Istio, Envoy Gateway, ...) can ask corsd
// through its ext_authz filter. The mapping is ext_authz_mapping.h's; this
// file only runs it: read the CheckRequest (limits checked), decide under a
// ReadGuard (falling back to the configured tenant header when the host
// names no tenant), fill the CheckResponse (with the decision id in its
// dynamic_metadata), record the decision (observers see the door
// "ext_authz"). Sync API,
// inline on the thread that read the request, like DeciderService's unary
// RPCs (the measured faster choice).
//
// Errors: INVALID_ARGUMENT naming the limit for an input over a limit
// (Envoy then applies its failure_mode_allow setting); every decision,
// unknown tenant included, is an OK RPC whose CheckResponse.status says
// allow (0) or deny (7).
//
// Thread safety: as DeciderService. Deps not owned.
#ifndef CORSD_SERVICE_RPC_AUTHORIZATION_SERVICE_H_
#define CORSD_SERVICE_RPC_AUTHORIZATION_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "service/rpc/decide_mapping.h"

namespace corsd::rpc {

class AuthorizationService final
    : public envoy::service::auth::v3::Authorization::Service {
 public:
  // `tenant_header`: the request header naming the tenant when neither the
  // route's context_extensions nor the host's API host does (--tenant-header,
  // any case; "" = none).
  AuthorizationService(const DecisionDeps& deps,
                       absl::string_view tenant_header);

  grpc::Status Check(
      grpc::ServerContext* context,
      const envoy::service::auth::v3::CheckRequest* request,
      envoy::service::auth::v3::CheckResponse* response) override;

 private:
  const DecisionDeps deps_;
  const std::string tenant_header_;  // lowercase
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_AUTHORIZATION_SERVICE_H_
