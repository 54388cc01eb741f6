#include "bench/load/loader.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/load/requests.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "google/rpc/status.pb.h"

namespace corsd::bench {
namespace {

// The corsd.v1.BatchErrors detail of a refused write, from the standard
// rich-error trailer (a google.rpc.Status in error_details). False if none.
bool ReadBatchErrors(const grpc::Status& status,
                     corsd::v1::BatchErrors* errors) {
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return false;
  }
  for (const google::protobuf::Any& any : details.details()) {
    if (any.UnpackTo(errors)) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<corsd::v1::Admin::Stub>> Connect(
    const std::string& admin_addr) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(
      admin_addr, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to admin listener ", admin_addr));
  }
  return corsd::v1::Admin::NewStub(channel);
}

}  // namespace

absl::StatusOr<corsd::v1::StatsResponse> FetchStats(
    const std::string& admin_addr, const std::string& token) {
  absl::StatusOr<std::unique_ptr<corsd::v1::Admin::Stub>> stub =
      Connect(admin_addr);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  corsd::v1::StatsResponse response;
  const grpc::Status status =
      (*stub)->Stats(&ctx, corsd::v1::StatsRequest(), &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("Admin.Stats: ", status.error_message()));
  }
  return response;
}

absl::StatusOr<LoadReport> ImportDataset(const std::string& admin_addr,
                                         const std::string& token,
                                         const DatasetSpec& spec,
                                         size_t chunk_items) {
  if (absl::Status s = ValidateDatasetSpec(spec); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<corsd::v1::Admin::Stub>> stub =
      Connect(admin_addr);
  if (!stub.ok()) return stub.status();
  const auto t0 = std::chrono::steady_clock::now();
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  corsd::v1::ImportResponse response;
  auto writer = (*stub)->Import(&ctx, &response);
  absl::Status sent = ForEachImportChunk(
      spec, chunk_items,
      [&](const corsd::v1::ImportChunk& chunk) -> absl::Status {
        if (!writer->Write(chunk)) {
          return absl::AbortedError("the server closed the Import stream");
        }
        return absl::OkStatus();
      });
  if (!sent.ok() && !absl::IsAborted(sent)) return sent;
  if (sent.ok()) writer->WritesDone();
  const grpc::Status status = writer->Finish();
  if (!status.ok()) {
    // gRPC and absl status codes have the same numbers.
    std::string message =
        absl::StrCat("Admin.Import: ", status.error_message());
    corsd::v1::BatchErrors errors;
    if (ReadBatchErrors(status, &errors)) {
      absl::StrAppend(&message, " (", errors.total(), " item errors; first:");
      for (int i = 0; i < std::min(3, errors.errors_size()); ++i) {
        const corsd::v1::ItemError& e = errors.errors(i);
        absl::StrAppend(&message, " [", e.index(), "] ", e.field(), "=",
                        e.value(), ": ", e.message(), ";");
      }
      absl::StrAppend(&message, ")");
    }
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        message);
  }
  if (!sent.ok()) return sent;  // closed early yet OK: should not happen
  if (response.added() != spec.origins) {
    return absl::InternalError(absl::StrCat("Admin.Import added ",
                                            response.added(), " origins of ",
                                            spec.origins, " sent"));
  }
  LoadReport report;
  report.tenants = response.tenants();
  report.added = response.added();
  report.revision = response.revision();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  return report;
}

}  // namespace corsd::bench
