// The protobuf messages of the service benchmarks, built from the synthetic
// dataset (dataset.h): the tenants' policy, Admin.Import chunks, and the
// Decider / ext_authz requests replayed by the load generator.
//
// Requests look like what a gateway sends for a browser call to a SaaS API:
// host "api.saas.example", path "/v1/items?page=2", scheme https; Check
// requests carry the ~10 lowercased headers Envoy forwards (pseudo headers
// included) and the tenant in context_extensions["tenant"].
//
// Thread safety: pure functions; safe from any thread.
#ifndef CORSD_BENCH_LOAD_REQUESTS_H_
#define CORSD_BENCH_LOAD_REQUESTS_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "bench/load/dataset.h"
#include "corsd/v1/admin.pb.h"
#include "corsd/v1/decision.pb.h"
#include "corsd/v1/policy.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"

namespace corsd::bench {

// Every tenant's policy: PUT/PATCH/DELETE beyond the always-allowed
// methods, authorization/content-type/x-request-id headers, two exposed
// headers, credentials, max age 7200 s, unsafe methods enforced (R14).
corsd::v1::Policy BenchPolicy();

// Calls `emit` with the Import chunks that load `spec`: every tenant (with
// BenchPolicy) first, then one OP_ADD ENTRY_KIND_ORIGIN per origin, at most
// `chunk_items` items per chunk (1..100000). Stops at, and returns, the first
// non-OK status `emit` returns.
absl::Status ForEachImportChunk(
    const DatasetSpec& spec, size_t chunk_items,
    const std::function<absl::Status(const corsd::v1::ImportChunk&)>& emit);

// The Decider request for `item`, carrying `id`.
void FillDecideRequest(const TrafficItem& item, uint64_t id,
                       corsd::v1::DecideRequest* out);

// The ext_authz request Envoy would send for `item`.
void FillCheckRequest(const TrafficItem& item,
                      envoy::service::auth::v3::CheckRequest* out);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_REQUESTS_H_
