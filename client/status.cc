#include "client/status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"

namespace corsd::client {

namespace {

bool IsTransportCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  int code = static_cast<int>(status.error_code());
  absl::StatusCode absl_code = code >= 0 && code <= 16
                                   ? static_cast<absl::StatusCode>(code)
                                   : absl::StatusCode::kUnknown;
  std::string message = status.error_message();
  if (IsTransportCode(status.error_code()) && !context.empty()) {
    message = absl::StrCat(context, ": ", message);
  }
  absl::Status out(absl_code, message);
  if (!status.error_details().empty()) {
    google::rpc::Status details;
    if (details.ParseFromString(status.error_details())) {
      for (const google::protobuf::Any& any : details.details()) {
        if (absl::EndsWith(any.type_url(), "/corsd.v1.BatchErrors")) {
          out.SetPayload(kBatchErrorsTypeUrl, absl::Cord(any.value()));
          break;
        }
      }
    }
  }
  return out;
}

absl::optional<corsd::v1::BatchErrors> BatchErrorsOf(
    const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kBatchErrorsTypeUrl);
  if (!payload.has_value()) return absl::nullopt;
  corsd::v1::BatchErrors errors;
  if (!errors.ParseFromString(std::string(*payload))) return absl::nullopt;
  return errors;
}

}  // namespace corsd::client
