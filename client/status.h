// The one place client/ converts grpc::Status to absl::Status.
//
// Codes keep their numbers (gRPC and absl share them). A refused admin batch
// comes back as INVALID_ARGUMENT whose binary error details (the
// grpc-status-details-bin trailer) are a google.rpc.Status carrying an Any of
// corsd.v1.BatchErrors; the converted absl::Status keeps those bytes as its
// payload under kBatchErrorsTypeUrl, the same representation the server's
// Catalog uses, and BatchErrorsOf reads them back.
//
// Thread safety: pure functions.
#ifndef CORSD_CLIENT_STATUS_H_
#define CORSD_CLIENT_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::client {

// Payload type URL of a refused batch's per-item errors (a serialized
// corsd.v1.BatchErrors).
inline constexpr absl::string_view kBatchErrorsTypeUrl =
    "type.googleapis.com/corsd.v1.BatchErrors";

// Converts `status`. `context` (e.g. "Admin.PutTenant at 127.0.0.1:7701") is
// prepended to the message of transport-level failures (UNAVAILABLE,
// DEADLINE_EXCEEDED, UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED), so a
// person sees which server and call failed; other messages come from the
// server and are kept as they are. OK converts to OkStatus.
absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view context);

// The per-item errors of a refused batch, when `status` carries them.
absl::optional<corsd::v1::BatchErrors> BatchErrorsOf(
    const absl::Status& status);

}  // namespace corsd::client

#endif  // CORSD_CLIENT_STATUS_H_
