// Loads a synthetic dataset (dataset.h) into a running corsd through one
// Admin.Import stream, and reads its Admin.Stats; both authenticated with
// `authorization: Bearer <token>`.
//
// Thread safety: a blocking call; independent calls may run concurrently.
#ifndef CORSD_BENCH_LOAD_LOADER_H_
#define CORSD_BENCH_LOAD_LOADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bench/load/dataset.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::bench {

struct LoadReport {
  uint64_t tenants = 0;  // tenants put, as corsd reports them
  uint64_t added = 0;    // origins added, as corsd reports them
  uint64_t revision = 0;
  double seconds = 0;  // wall time of the whole import, send to answer
};

// Streams every tenant and origin of `spec` to the Admin listener at
// `admin_addr` in chunks of `chunk_items` (1..100000) items. Errors:
// InvalidArgument for a bad spec or chunk size; Unavailable when corsd
// cannot be reached within 10 s; otherwise the Import RPC's status (with
// corsd's message) when it fails; Internal when corsd acknowledges fewer
// origins than were sent (the dataset's origins are distinct).
absl::StatusOr<LoadReport> ImportDataset(const std::string& admin_addr,
                                         const std::string& token,
                                         const DatasetSpec& spec,
                                         size_t chunk_items);

// Admin.Stats of the corsd at `admin_addr` (table sizes, table_bytes).
// Unavailable when it cannot be reached within 10 s; otherwise the RPC's
// status when it fails.
absl::StatusOr<corsd::v1::StatsResponse> FetchStats(
    const std::string& admin_addr, const std::string& token);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_LOADER_H_
