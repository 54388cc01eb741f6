// The one place corsd converts absl::Status to grpc::Status (HACKING.md):
// code, message, and the BatchErrors payload of a refused admin batch turned
// into standard gRPC rich-error details (google.rpc.Status in the
// grpc-status-details-bin trailer), so any gRPC client can read the per-item
// errors. Also the reverse lookup clients and tests use to read them back.
//
// Thread safety: pure functions.
#ifndef CORSD_SERVICE_RPC_STATUS_CONVERT_H_
#define CORSD_SERVICE_RPC_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::rpc {

// Type URL of the absl::Status payload a refused batch carries (a serialized
// corsd.v1.BatchErrors), and of the google.protobuf.Any detail it becomes.
inline constexpr absl::string_view kBatchErrorsTypeUrl =
    "type.googleapis.com/corsd.v1.BatchErrors";

// Largest grpc-message corsd sends, in bytes; longer messages are cut and
// end in "...". Keeps a pathological error text from growing trailers past
// what clients accept (8 KiB header lists are common).
inline constexpr size_t kMaxStatusMessageBytes = 4096;

// Converts `status`:
//   * code: absl and gRPC codes have the same numbers; every code maps to
//     itself, and a number outside 0..16 becomes UNKNOWN.
//   * message: status.message(), truncated to kMaxStatusMessageBytes.
//   * details: when `status` has a payload at kBatchErrorsTypeUrl, the
//     grpc::Status carries binary_error_details = a serialized
//     google.rpc.Status{code, message, details: [Any{kBatchErrorsTypeUrl,
//     payload bytes}]}. Other payloads are not forwarded.
// OK converts to grpc::Status::OK (no details).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Reads the BatchErrors detail back from a grpc::Status made by
// ToGrpcStatus (or any server sending the standard rich-error trailer).
// Returns false, leaving *errors cleared, when there are no details, they do
// not parse, or none is a corsd.v1.BatchErrors.
bool BatchErrorsFromGrpcStatus(const grpc::Status& status,
                               corsd::v1::BatchErrors* errors);

}  // namespace corsd::rpc

#endif  // CORSD_SERVICE_RPC_STATUS_CONVERT_H_
