#include "service/rpc/decider_service.h"

#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/rpc/limits.h"
#include "service/rpc/message_arena.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {
namespace {

using corsd::v1::DecideBatchRequest;
using corsd::v1::DecideBatchResponse;

// Reads requests, answers each with one response, in order, until the
// client half-closes (OK), a message is over a limit (INVALID_ARGUMENT) or
// the call is cancelled. Deletes itself in OnDone.
//
// Memory: each batch's request is parsed into a fresh message on arena_
// (reset before the next read, when the response has been written); the
// response is reused, keeping its messages and their strings' capacity.
class DecideStreamReactor final
    : public grpc::ServerBidiReactor<DecideBatchRequest, DecideBatchResponse> {
 public:
  explicit DecideStreamReactor(const DecisionDeps& deps) : deps_(deps) {
    NextRead();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close or cancellation: nothing more to answer
      Finish(grpc::Status::OK);
      return;
    }
    grpc::Status status = DeciderService::DecideBatchInto(
        deps_, *request_, &response_, &scratch_);
    if (!status.ok()) {
      Finish(status);
      return;
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(ToGrpcStatus(
          absl::CancelledError("DecideStream: the client stopped reading")));
      return;
    }
    NextRead();
  }

  void OnDone() override { delete this; }

 private:
  void NextRead() {
    request_ = arena_.Fresh<DecideBatchRequest>();
    StartRead(request_);
  }

  const DecisionDeps deps_;
  DeciderService::BatchScratch scratch_;
  MessageArena arena_;
  DecideBatchRequest* request_ = nullptr;  // on arena_
  // Not on the arena: reused, its Decision and Header messages and their
  // strings keep their capacity from one batch to the next.
  DecideBatchResponse response_;
};

}  // namespace

grpc::Status DeciderService::DecideOne(const DecisionDeps& deps,
                                       const corsd::v1::DecideRequest& request,
                                       corsd::v1::DecideResponse* response) {
  decision::Request engine_request;
  if (absl::Status s = ToEngineRequest(request, "decide", &engine_request);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  decision::Decision decision;
  table::EpochManager::ReadGuard guard(deps.epochs);
  const door::DecideResult result =
      door::RunDecide(deps, door::TenantSources{.named = request.tenant()},
                      engine_request, &decision);
  FillDecision(deps, result, engine_request, decision, request.explain(),
               request.id(), response->mutable_decision());
  return grpc::Status::OK;
}

grpc::Status DeciderService::Decide(grpc::ServerContext* context,
                                    const corsd::v1::DecideRequest* request,
                                    corsd::v1::DecideResponse* response) {
  return DecideOne(deps_, *request, response);
}

grpc::Status DeciderService::DecideBatchInto(
    const DecisionDeps& deps, const corsd::v1::DecideBatchRequest& request,
    corsd::v1::DecideBatchResponse* response, BatchScratch* scratch) {
  const size_t n = static_cast<size_t>(request.requests_size());
  if (n > kMaxBatchRequests) {
    response->Clear();
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("requests has ", n, " items; the limit is ",
                     kMaxBatchRequests, " per batch")));
  }
  BatchScratch local;
  if (scratch == nullptr) scratch = &local;
  scratch->requests.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const corsd::v1::DecideRequest& item =
        request.requests(static_cast<int>(i));
    if (!ToEngineRequest(item, "", &scratch->requests[i]).ok()) {
      // Again, with the item named: the name is only formatted for errors.
      response->Clear();
      return ToGrpcStatus(ToEngineRequest(
          item, absl::StrCat("requests[", i, "]"), &scratch->requests[i]));
    }
  }
  // A reused response keeps its Decision messages (and their strings'
  // capacity): element i is overwritten (FillDecision clears it), extras
  // are dropped, and the rest are added.
  auto* decisions = response->mutable_decisions();
  while (static_cast<size_t>(decisions->size()) > n) decisions->RemoveLast();
  decisions->Reserve(static_cast<int>(n));
  // One Decision reused: it is large (a 4 KiB scratch buffer) and not
  // movable; each is converted before the next Decide overwrites it.
  if (scratch->decision == nullptr) {
    scratch->decision = std::make_unique<decision::Decision>();
  }
  decision::Decision* decision = scratch->decision.get();
  table::EpochManager::ReadGuard guard(deps.epochs);
  // One clock read per decision (RunDecide's `clock`).
  auto clock = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    const corsd::v1::DecideRequest& item =
        request.requests(static_cast<int>(i));
    const door::DecideResult result =
        door::RunDecide(deps, door::TenantSources{.named = item.tenant()},
                        scratch->requests[i], decision, &clock);
    corsd::v1::Decision* out = i < static_cast<size_t>(decisions->size())
                                   ? decisions->Mutable(static_cast<int>(i))
                                   : decisions->Add();
    FillDecision(deps, result, scratch->requests[i], *decision, item.explain(),
                 item.id(), out);
  }
  return grpc::Status::OK;
}

grpc::Status DeciderService::DecideBatch(
    grpc::ServerContext* context, const corsd::v1::DecideBatchRequest* request,
    corsd::v1::DecideBatchResponse* response) {
  return DecideBatchInto(deps_, *request, response);
}

grpc::ServerBidiReactor<corsd::v1::DecideBatchRequest,
                        corsd::v1::DecideBatchResponse>*
DeciderService::DecideStream(grpc::CallbackServerContext* context) {
  return new DecideStreamReactor(deps_);
}

}  // namespace corsd::rpc
