// AdminService::TopRefused: the per-tenant view's answer
// (service/tenant_view/refusal_view.h) as corsd.v1.TopRefusedResponse.
#include <string>

#include "absl/time/time.h"
#include "service/decision/reason.h"
#include "service/rpc/admin_service.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {

namespace {
// TopRefusedRequest.limit 0.
constexpr uint32_t kDefaultTopLimit = 20;
}  // namespace

grpc::Status AdminService::TopRefused(
    grpc::ServerContext* context, const corsd::v1::TopRefusedRequest* request,
    corsd::v1::TopRefusedResponse* response) {
  if (request->unknown_tenant()) {
    // No tenant owns these refusals: only a token for every tenant sees
    // them.
    AdminIdentity caller;
    if (grpc::Status s = Authorize(context, &caller); !s.ok()) return s;
    if (!caller.all_tenants) return ScopeRefusal(caller, "unknown_tenant");
  } else if (grpc::Status s =
                 AuthorizeTenant(context, request->tenant(), "tenant");
             !s.ok()) {
    return s;
  }
  const tenant_view::RefusalView* view = deps_.tenant_view;
  if (view == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "the per-tenant view is off (corsd "
                        "--tenant-view=false): no refusals are kept");
  }
  const uint32_t limit =
      request->limit() == 0 ? kDefaultTopLimit : request->limit();
  absl::StatusOr<tenant_view::TopAnswer> top =
      view->Top(request->tenant(), request->unknown_tenant(), limit);
  if (!top.ok()) return ToGrpcStatus(top.status());

  response->set_window_seconds(
      static_cast<uint64_t>(absl::ToInt64Seconds(view->options().window)));
  response->set_window_refusals(top->window_refusals);
  response->set_shared_sketch(top->shared);
  response->set_sketch_capacity(static_cast<uint32_t>(
      top->shared ? tenant_view::kSharedFactor * view->options().top_k
                  : view->options().top_k));
  response->set_dropped_tenant_rate(top->dropped_tenant_rate);
  response->set_dropped_ring_full(top->dropped_ring_full);
  for (const tenant_view::TopEntry& e : top->entries) {
    corsd::v1::RefusedOrigin* o = response->add_origins();
    o->set_origin(e.origin);
    o->set_has_origin(e.meta.has_origin);
    o->set_origin_truncated(e.meta.origin_cut);
    o->set_count(e.count);
    o->set_error(e.error);
    // Enum values equal corsd.v1.Reason (reason.h).
    o->set_reason(static_cast<corsd::v1::Reason>(e.meta.reason));
    o->set_cause(static_cast<corsd::v1::Reason>(e.meta.cause));
    o->set_rule(std::string(decision::RuleOf(e.meta.reason)));
    o->set_last_seen_unix_ms(e.meta.last_seen_unix_ms);
  }
  return grpc::Status::OK;
}

}  // namespace corsd::rpc
