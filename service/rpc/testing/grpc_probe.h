// Probes for the standard gRPC services corsd serves, over a real channel,
// without their generated code (Debian ships neither health.pb.h nor
// reflection.pb.h, and linking a second copy of their descriptors would
// clash with grpc++_reflection's): the request bytes are written by hand and
// the answers decoded with protobuf's UnknownFieldSet.
//
// Thread safety: each call is independent; any thread.
#ifndef CORSD_SERVICE_RPC_TESTING_GRPC_PROBE_H_
#define CORSD_SERVICE_RPC_TESTING_GRPC_PROBE_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace corsd::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus numbers.
inline constexpr int kHealthServing = 1;
inline constexpr int kHealthNotServing = 2;

// grpc.health.v1.Health/Check for `service` ("" = the whole server).
// Returns the ServingStatus number; the RPC's error (e.g. NOT_FOUND for an
// unknown service, DEADLINE_EXCEEDED) as an absl::Status otherwise.
absl::StatusOr<int> HealthCheck(const std::shared_ptr<grpc::Channel>& channel,
                                absl::string_view service,
                                absl::Duration timeout = absl::Seconds(5));

// grpc.reflection.v1alpha.ServerReflection: the full names of the services
// the server lists (list_services). Errors: the RPC's status; Internal when
// the answer does not parse or carries an error_response.
absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel,
    absl::Duration timeout = absl::Seconds(5));

}  // namespace corsd::testing

#endif  // CORSD_SERVICE_RPC_TESTING_GRPC_PROBE_H_
