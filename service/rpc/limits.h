// Input limits of the decision API (decision.proto's HttpRequest comment,
// PRODUCT.md "every input has a size limit"). Past a limit a call fails with
// INVALID_ARGUMENT whose message names the field, its size and the limit;
// the server keeps serving.
#ifndef CORSD_SERVICE_RPC_LIMITS_H_
#define CORSD_SERVICE_RPC_LIMITS_H_

#include <cstddef>

namespace corsd::rpc {

// HttpRequest.origin / the Origin header.
inline constexpr size_t kMaxOriginBytes = 2048;
// Every other string field of DecideRequest / HttpRequest (tenant too).
inline constexpr size_t kMaxFieldBytes = 8192;
// DecideBatchRequest.requests, per RPC and per stream message.
inline constexpr size_t kMaxBatchRequests = 1000;
// ext_authz Check: headers in AttributeContext.HttpRequest (map or
// header_map), and bytes of one header (name + value). Envoy's own default
// is 100 headers of at most 60 KiB in total.
inline constexpr size_t kMaxCheckHeaders = 256;
inline constexpr size_t kMaxCheckHeaderBytes = 8192;
// ext_authz Check: bytes of one context_extensions value.
inline constexpr size_t kMaxContextExtensionBytes = 8192;

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_LIMITS_H_
