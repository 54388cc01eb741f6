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
//     upgrade, connection: the headers of those names; credentials: a
//     "cookie" or "authorization" header is present.
//   * Tenant: context_extensions["tenant"] when present and non-empty; else
//     empty, so the engine finds the tenant from the host's API hosts; if
//     that finds none (REASON_UNKNOWN_TENANT) and a tenant header is
//     configured and present, the caller decides again with its value
//     (fallback_tenant).
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
//
// Thread safety: pure functions; CheckInput is a per-call value.
#ifndef CORSD_SERVICE_RPC_EXT_AUTHZ_MAPPING_H_
#define CORSD_SERVICE_RPC_EXT_AUTHZ_MAPPING_H_

#include <deque>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "envoy/service/auth/v3/external_auth.pb.h"
#include "service/decision/engine.h"

namespace corsd::rpc {

// The decision inputs read from one CheckRequest. Views point into the
// CheckRequest or into `joined`; both must outlive every use.
struct CheckInput {
  decision::Request request;
  // context_extensions["tenant"]; empty when absent.
  absl::string_view tenant;
  // The configured tenant header's value; empty when not configured or
  // absent. Used only when `tenant` is empty and the host names no tenant.
  absl::string_view fallback_tenant;
  // Values of repeated header_map keys joined with "," (rarely used).
  std::deque<std::string> joined;

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

// Writes `decision` into *out (cleared first), as the file comment says.
void FillCheckResponse(const decision::Decision& decision,
                       envoy::service::auth::v3::CheckResponse* out);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_EXT_AUTHZ_MAPPING_H_
