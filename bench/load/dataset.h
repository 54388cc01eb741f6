// The synthetic datasets of the service benchmarks: tenants and their
// origins (loaded into corsd through Admin.Import), and the request traffic
// replayed against them.
//
// Everything is a pure function of (DatasetSpec, seed), so the loader and the
// traffic generator agree without sharing files: origin j belongs to tenant
// TenantOf(spec, j), and origins with index >= spec.origins are never loaded
// (the traffic's refused origins come from there).
//
// Origins look like a SaaS's custom domains, 22..31 bytes (mean ~27):
// "https://shop.0k4f9x2mq1.co.uk". Each is canonical (lowercase, no default
// port), so corsd stores it as written.
//
// Traffic: a Zipf(q = 1.1) popularity over origins (rank r maps to origin
// index (r * 2654435761) mod origins, spreading hot origins over tenants and
// over the table), with this fixed mix (TrafficMix):
//   70% allowed actual requests  (GET 80% / POST 20%, half with credentials)
//   10% refused actual requests  (GET from a canonical origin not loaded)
//   15% allowed preflights       (OPTIONS, Access-Control-Request-Method PUT,
//                                 Access-Control-Request-Headers
//                                 "content-type,x-request-id")
//    5% no Origin header         (GET; R1)
//
// Thread safety: pure functions; safe from any thread.
#ifndef CORSD_BENCH_LOAD_DATASET_H_
#define CORSD_BENCH_LOAD_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace corsd::bench {

struct DatasetSpec {
  // Origins loaded: 1..100,000,000.
  uint64_t origins = 1000;
  // Tenants the origins are spread over (round robin): 1..min(origins,
  // 1,000,000).
  uint32_t tenants = 100;
};

// OK, or InvalidArgument naming the field, its value and the accepted range.
absl::Status ValidateDatasetSpec(const DatasetSpec& spec);

// The default tenant count for `origins`: one tenant per 10 origins, at
// least 1 and at most 100,000 (so 1k -> 100, 1M and 10M -> 100,000).
uint32_t DefaultTenants(uint64_t origins);

// Tenant id of tenant number t: "tenant-000042" (valid per admin.proto).
std::string TenantId(uint32_t t);

// The origin with index j (any j < 2^48); distinct j give distinct origins.
std::string OriginAt(uint64_t j);

// The tenant owning origin j (j < spec.origins).
inline uint32_t TenantOf(const DatasetSpec& spec, uint64_t j) {
  return static_cast<uint32_t>(j % spec.tenants);
}

enum class RequestKind { kAllowed, kRefused, kPreflight, kNoOrigin };

// One HTTP request as a gateway would ask about it.
struct TrafficItem {
  RequestKind kind = RequestKind::kAllowed;
  uint32_t tenant = 0;
  std::string method;  // "GET", "POST" or "OPTIONS"
  std::string origin;  // empty for kNoOrigin
  bool credentials = false;
};

// Proportions of each kind (summing to 1) and the Zipf exponent (> 1).
struct TrafficMix {
  double allowed = 0.70;
  double refused = 0.10;
  double preflight = 0.15;
  double no_origin = 0.05;
  double zipf_q = 1.1;
};

// `count` requests drawn from `mix` over `spec`'s dataset; deterministic for
// a given seed. Precondition: ValidateDatasetSpec(spec).ok().
std::vector<TrafficItem> GenerateTraffic(const DatasetSpec& spec,
                                         const TrafficMix& mix, size_t count,
                                         uint64_t seed);

// The request headers of every preflight in the traffic.
inline constexpr char kPreflightMethod[] = "PUT";
inline constexpr char kPreflightHeaders[] = "content-type,x-request-id";

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_DATASET_H_
