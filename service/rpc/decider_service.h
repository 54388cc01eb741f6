// DeciderService: corsd.v1.Decider (Decide, DecideBatch, DecideStream) on
// the decision listener.
//
// Architecture (measured, bench/RESULTS.md "## Service"): the unary RPCs use
// gRPC's sync API -- the handler runs on the ThreadManager thread that read
// the request, decides inline (microseconds, never blocks) and returns; in
// server_arch_bench it served 1.7x-3x the median calls/s of the same
// handler on the callback API at 64 calls in flight. DecideStream uses the
// callback API (ServerBidiReactor) so that a long-lived gateway stream holds no
// thread while idle.
//
// Contracts:
//   * Decide: one decision. INVALID_ARGUMENT naming the field and limit when
//     a field is over its limit (limits.h).
//   * DecideBatch: 0..kMaxBatchRequests requests, answered in order;
//     INVALID_ARGUMENT ("requests has N items; the limit is 1000") past that,
//     or naming requests[i]... for an item over a limit (nothing decided).
//   * DecideStream: each DecideBatchRequest gets one DecideBatchResponse, in
//     order; one message in flight at a time per stream (read, decide,
//     write, read...). A message over a limit ends the stream with
//     INVALID_ARGUMENT; the client half-closing ends it with OK.  Each
//     batch's request is parsed on a per-stream arena (message_arena.h)
//     and the response message is reused, so a stream's steady state
//     allocates little beyond long strings' buffers.
// Every decision is timed and recorded in the metrics, gets a decision id
// (Decision.decision_id) and is shown to the deps' observer (door
// "decide"); the ReadGuard covers Decide and the response fill.
//
// Thread safety: handlers run concurrently on gRPC's threads; all state is
// per call. The deps are not owned and must outlive the server.
#ifndef CORSD_SERVICE_RPC_DECIDER_SERVICE_H_
#define CORSD_SERVICE_RPC_DECIDER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "corsd/v1/decision.grpc.pb.h"
#include "service/rpc/decide_mapping.h"

namespace corsd::rpc {

class DeciderService final
    : public corsd::v1::Decider::WithCallbackMethod_DecideStream<
          corsd::v1::Decider::Service> {
 public:
  // Decides with `deps` under the door name "decide".
  explicit DeciderService(const DecisionDeps& deps)
      : deps_(door::ForDoor(deps, "decide")) {}

  grpc::Status Decide(grpc::ServerContext* context,
                      const corsd::v1::DecideRequest* request,
                      corsd::v1::DecideResponse* response) override;
  grpc::Status DecideBatch(grpc::ServerContext* context,
                           const corsd::v1::DecideBatchRequest* request,
                           corsd::v1::DecideBatchResponse* response) override;
  grpc::ServerBidiReactor<corsd::v1::DecideBatchRequest,
                          corsd::v1::DecideBatchResponse>*
  DecideStream(grpc::CallbackServerContext* context) override;

  // What DecideBatchInto reuses from one batch to the next when a caller
  // keeps it (the stream keeps one per call): the engine requests and the
  // Decision (4 KiB of scratch). Not thread-safe: one caller at a time.
  struct BatchScratch {
    std::vector<decision::Request> requests;
    std::unique_ptr<decision::Decision> decision;
  };

  // The unary path (Decide) and the batch path shared by DecideBatch and
  // DecideStream (checks every item, then decides them in order under one
  // ReadGuard into *response, whose messages are reused; cleared on an
  // error). Exposed for the stream reactor and the
  // architecture bench, which serves them through other gRPC APIs.
  // `scratch` may be null (a fresh one is used).
  static grpc::Status DecideOne(const DecisionDeps& deps,
                                const corsd::v1::DecideRequest& request,
                                corsd::v1::DecideResponse* response);
  static grpc::Status DecideBatchInto(
      const DecisionDeps& deps, const corsd::v1::DecideBatchRequest& request,
      corsd::v1::DecideBatchResponse* response,
      BatchScratch* scratch = nullptr);

 private:
  const DecisionDeps deps_;
};

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_DECIDER_SERVICE_H_
