// Envoy ext_authz v3 <-> corsd decision, per PRODUCT.md "Gateway contracts".
//
// Request side (CheckRequest -> decision::Request + tenant):
//   * Headers come from AttributeContext.request.http.headers (Envoy: keys
//     lowercased, pseudo headers included, repeats joined with ","), or from
//     header_map when Envoy's encode_raw_headers is on (repeats joined here
//     with "," into storage the CheckInput owns).
//   * method/scheme/host/path: the HttpRequest fields Envoy fills, else the
//     pseudo headers :method/:scheme/:authority (then "host")/:path.
//   * origin, access-control-request-method, -headers, -private-network,
//     upgrade, connection: the headers of those names; credentials: the
//     shared rule (door::CarriesCredentials: cookie or authorization).
//   * Tenant: context_extensions["tenant"] is the named tenant, the
//     configured tenant header the last fallback, in the order every door
//     shares (service/door/run_path.h).
//   * Header values with a CR, LF or NUL byte are refused (INVALID_ARGUMENT
//     naming the header), as on every door (service/door/header_rules.h).
//   * Limits (INVALID_ARGUMENT naming the limit): more than kMaxCheckHeaders
//     headers; a header whose name + value exceeds kMaxCheckHeaderBytes;
//     an origin over kMaxOriginBytes; a context extension value over
//     kMaxContextExtensionBytes.
//
// Response side (decision::Decision -> CheckResponse):
//   * continue: status.code = 0 (OK), ok_response.response_headers_to_add
//     with each header's append as a BoolValue (false for
//     Access-Control-*, true for Vary) -- Envoy applies them to whatever the
//     upstream answers.
//   * answer: status.code = 7 (PERMISSION_DENIED, message = the reason name),
//     denied_response{status.code = the decision's status (204 / 403),
//     headers with `append` unset}.
//   * both: dynamic_metadata (CheckResponse field 4, a Struct) with the
//     string fields "reason" (the proto enum name), "rule" ("R2"; "" when
//     none), "tenant" ("" when unknown) and "decision_id" (16 hex digits;
//     absent without an id). Envoy stores them under the filter's namespace,
//     so an access log prints %DYNAMIC_METADATA(envoy.filters.http.ext_authz:
//     reason)% (deploy/envoy/envoy.yaml; kDynamicMetadataKeys below, which
//     envoy_wire_test.cc checks on the wire and deploy/check_envoy.py against
//     the access-log format). Cost: 14 heap allocations per answer
//     (measured: an allowed answer with 4 headers goes from 33 to 47), in
//     the codec, not on the decision path; the sync API's response is a
//     message gRPC creates for each call, so no arena can hold them.
//
// Thread safety: pure functions; CheckInput is a per-call value.
#ifndef CORSD_SERVICE_RPC_EXT_AUTHZ_MAPPING_H_
#define CORSD_SERVICE_RPC_EXT_AUTHZ_MAPPING_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "service/decision/engine.h"
#include "service/door/header_rules.h"
#include "service/door/run_path.h"

namespace corsd::rpc {

// The decision inputs read from one CheckRequest. Views point into the
// CheckRequest or into `joined`; both must outlive every use.
struct CheckInput {
  decision::Request request;
  // named: context_extensions["tenant"] (empty when absent); header: the
  // configured tenant header's value (empty when off or absent). The order
  // they are used in is the shared one (service/door/run_path.h).
  door::TenantSources tenant;
  // Values of repeated header_map keys joined with "," (rarely used).
  door::JoinStorage joined;

  CheckInput() = default;
  CheckInput(const CheckInput&) = delete;
  CheckInput& operator=(const CheckInput&) = delete;
};

// Fills *out from `check`. `tenant_header` is the lowercase name of the
// configured fallback tenant header ("" = none). Errors: InvalidArgument
// naming the limit exceeded (see the file comment); *out is then
// unspecified.
absl::Status ReadCheckRequest(
    const envoy::service::auth::v3::CheckRequest& check,
    absl::string_view tenant_header, CheckInput* out);

// The dynamic_metadata keys FillCheckResponse writes, in order.
inline constexpr absl::string_view kDynamicMetadataKeys[] = {
    "reason", "rule", "tenant", "decision_id"};

// Writes `decision` into *out (cleared first), as the file comment says.
// `decision_id`: the formatted id (door::FormatDecisionId); empty = none.
void FillCheckResponse(const decision::Decision& decision,
                       envoy::service::auth::v3::CheckResponse* out,
                       absl::string_view decision_id = {});

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_EXT_AUTHZ_MAPPING_H_
