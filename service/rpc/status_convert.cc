#include "service/rpc/status_convert.h"

#include <grpcpp/support/error_details.h>

#include <string>

#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "google/rpc/status.pb.h"

namespace corsd::rpc {
namespace {

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  const int n = static_cast<int>(code);
  // absl::StatusCode and grpc::StatusCode both number the canonical codes
  // 0 (OK) .. 16 (UNAUTHENTICATED) identically.
  if (n < 0 || n > 16) return grpc::StatusCode::UNKNOWN;
  return static_cast<grpc::StatusCode>(n);
}

std::string Truncated(absl::string_view message) {
  if (message.size() <= kMaxStatusMessageBytes) return std::string(message);
  std::string out(message.substr(0, kMaxStatusMessageBytes - 3));
  out.append("...");
  return out;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const grpc::StatusCode code = ToGrpcCode(status.code());
  std::string message = Truncated(status.message());
  absl::optional<absl::Cord> payload =
      status.GetPayload(std::string(kBatchErrorsTypeUrl));
  if (!payload.has_value()) return grpc::Status(code, message);

  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(message);
  google::protobuf::Any* any = rich.add_details();
  any->set_type_url(std::string(kBatchErrorsTypeUrl));
  any->set_value(std::string(*payload));
  grpc::Status out;
  grpc::SetErrorDetails(rich, &out);
  return out;
}

bool BatchErrorsFromGrpcStatus(const grpc::Status& status,
                               corsd::v1::BatchErrors* errors) {
  errors->Clear();
  if (status.error_details().empty()) return false;
  google::rpc::Status rich;
  if (!grpc::ExtractErrorDetails(status, &rich).ok()) return false;
  for (const google::protobuf::Any& any : rich.details()) {
    if (any.type_url() == kBatchErrorsTypeUrl) {
      if (errors->ParseFromString(any.value())) return true;
      errors->Clear();
      return false;
    }
  }
  return false;
}

}  // namespace corsd::rpc
