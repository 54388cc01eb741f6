// The load generator's engine: drives one corsd (or null server) endpoint
// with Decider.Decide, Decider.DecideStream batches or ext_authz Check, in a
// closed loop (maximum throughput) or an open loop (a fixed offered rate),
// and measures latency into a LatencyHistogram.
//
// Model. `channels` gRPC channels, each with distinct channel arguments (and a
// local subchannel pool) so each gets its own TCP connection. Channels are
// split round robin over `threads` worker threads; each worker owns one
// CompletionQueue and polls it itself (async API: no hidden thread hand-off).
//   * Closed loop: every channel keeps `inflight` RPCs (unary) or streams
//     (stream target: each stream has one batch in flight) busy; latency runs
//     from the actual send.
//   * Open loop (rate > 0, unary only): sends are scheduled by a Poisson
//     process of `rate` requests/s split evenly over the workers; a send that
//     finds all of its worker's `channels/threads * inflight` slots busy
//     waits in a backlog, and latency runs from the INTENDED send time, so
//     queueing in the client or server is never hidden (no coordinated
//     omission). Intended sends still in the backlog at the end count as
//     `unsent`.
// Only requests whose send time (intended, in open loop) falls in
// [start + warmup, start + warmup + duration) are recorded; errors are counted
// over the whole run, by gRPC status code.
//
// Thread safety: RunLoad is a blocking call; the RequestPool is read
// concurrently by the workers and must not change during it.
#ifndef CORSD_BENCH_LOAD_DRIVER_H_
#define CORSD_BENCH_LOAD_DRIVER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/load/histogram.h"
#include "corsd/v1/decision.pb.h"
#include "envoy/service/auth/v3/external_auth.pb.h"

namespace corsd::bench {

enum class Target { kDecide, kCheck, kStream };

struct LoadOptions {
  std::string addr;  // HOST:PORT of the decision listener
  Target target = Target::kDecide;
  int channels = 4;   // 1..256
  int inflight = 16;  // per channel, 1..4096 (stream: streams per channel)
  int threads = 1;    // 1..channels
  double rate = 0;    // requests/s; 0 = closed loop; > 0 only for unary
  absl::Duration warmup = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(5);
  // Per-RPC deadline (unary) and per-batch deadline (stream).
  absl::Duration rpc_timeout = absl::Seconds(30);
  uint64_t seed = 1;  // Poisson arrivals
  // How long each channel may take to connect before RunLoad gives up.
  absl::Duration connect_timeout = absl::Seconds(10);
};

// Pre-built requests, generated before the timed phase and cycled through.
// Only the vector of the chosen target needs to be filled.
struct RequestPool {
  std::vector<corsd::v1::DecideRequest> decide;
  std::vector<envoy::service::auth::v3::CheckRequest> check;
  std::vector<corsd::v1::DecideBatchRequest> batches;
};

struct LoadResult {
  LatencyHistogram latency;  // per request (stream: per batch round trip)
  // Open loop: actual send time minus intended send time, per recorded
  // request: the load generator's own lateness (backlog included). Small
  // against `latency`, or the run measured the client, not the server.
  LatencyHistogram send_lag;
  uint64_t requests = 0;       // recorded RPCs (stream: batches)
  uint64_t decisions = 0;      // recorded decisions (stream: batches * size)
  uint64_t unsent = 0;         // open loop: intended sends never made
  uint64_t bad_responses = 0;  // recorded, OK status, malformed answer
  std::array<uint64_t, 17> errors{};  // by grpc::StatusCode
  // Decide/stream: recorded decisions by corsd.v1.Reason number (larger
  // numbers land in the last slot). Check: [0] = OK, [1] = denied.
  std::array<uint64_t, 32> outcomes{};
  double seconds = 0;  // the measured window
  uint64_t errors_total() const;
};

// OK, or InvalidArgument naming the first field out of range.
absl::Status ValidateLoadOptions(const LoadOptions& options);

// Connects (failing with Unavailable if a channel is not connected within
// connect_timeout), runs warmup + duration, waits for every RPC in flight, and
// returns what was measured. InvalidArgument when `options` is invalid or the
// pool lacks requests for the target.
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options,
                                   const RequestPool& pool);

}  // namespace corsd::bench

#endif  // CORSD_BENCH_LOAD_DRIVER_H_
