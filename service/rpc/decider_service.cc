#include "service/rpc/decider_service.h"

#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/rpc/limits.h"
#include "service/rpc/status_convert.h"

namespace corsd::rpc {
namespace {

using corsd::v1::DecideBatchRequest;
using corsd::v1::DecideBatchResponse;

// Reads requests, answers each with one response, in order, until the
// client half-closes (OK), a message is over a limit (INVALID_ARGUMENT) or
// the call is cancelled. Deletes itself in OnDone.
class DecideStreamReactor final
    : public grpc::ServerBidiReactor<DecideBatchRequest, DecideBatchResponse> {
 public:
  explicit DecideStreamReactor(const DecisionDeps& deps) : deps_(deps) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close or cancellation: nothing more to answer
      Finish(grpc::Status::OK);
      return;
    }
    grpc::Status status =
        DeciderService::DecideBatchInto(deps_, request_, &response_);
    if (!status.ok()) {
      Finish(status);
      return;
    }
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "DecideStream: the client stopped reading"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const DecisionDeps deps_;
  DecideBatchRequest request_;
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
  const absl::string_view tenant =
      RunDecide(deps, request.tenant(), "", engine_request, &decision);
  FillDecision(deps, tenant, engine_request, decision, request.explain(),
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
    corsd::v1::DecideBatchResponse* response) {
  response->Clear();
  const size_t n = static_cast<size_t>(request.requests_size());
  if (n > kMaxBatchRequests) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("requests has ", n, " items; the limit is ",
                     kMaxBatchRequests, " per batch")));
  }
  std::vector<decision::Request> engine_requests(n);
  for (size_t i = 0; i < n; ++i) {
    if (absl::Status s = ToEngineRequest(request.requests(static_cast<int>(i)),
                                         absl::StrCat("requests[", i, "]"),
                                         &engine_requests[i]);
        !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  response->mutable_decisions()->Reserve(static_cast<int>(n));
  // One Decision reused: it is large (a 4 KiB scratch buffer) and not
  // movable; each is converted before the next Decide overwrites it.
  auto decision = std::make_unique<decision::Decision>();
  table::EpochManager::ReadGuard guard(deps.epochs);
  for (size_t i = 0; i < n; ++i) {
    const corsd::v1::DecideRequest& item =
        request.requests(static_cast<int>(i));
    const absl::string_view tenant =
        RunDecide(deps, item.tenant(), "", engine_requests[i], decision.get());
    FillDecision(deps, tenant, engine_requests[i], *decision, item.explain(),
                 item.id(), response->add_decisions());
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
