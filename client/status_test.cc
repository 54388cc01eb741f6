#include "client/status.h"

#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace corsd::client {
namespace {

TEST(FromGrpcStatusTest, OkAndPlainCodes) {
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, "x").ok());
  absl::Status nf = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::NOT_FOUND, "tenant \"t\" not found"),
      "Admin.GetTenant at h:1");
  EXPECT_EQ(nf.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(nf.message(), "tenant \"t\" not found");  // server text kept
}

TEST(FromGrpcStatusTest, TransportFailuresNameTheCall) {
  absl::Status s = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"),
      "Admin.Stats at 127.0.0.1:1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "Admin.Stats at 127.0.0.1:1: failed to connect");
}

TEST(FromGrpcStatusTest, KeepsBatchErrorsDetails) {
  corsd::v1::BatchErrors errors;
  corsd::v1::ItemError* item = errors.add_errors();
  item->set_index(7);
  item->set_field("tenant");
  item->set_value("nope");
  item->set_message("tenant \"nope\" does not exist");
  errors.set_total(1);
  google::rpc::Status details;
  details.set_code(3);
  details.set_message("refused");
  details.add_details()->PackFrom(errors);
  grpc::Status grpc_status(grpc::StatusCode::INVALID_ARGUMENT, "refused",
                           details.SerializeAsString());

  absl::Status s = FromGrpcStatus(grpc_status, "ctx");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  absl::optional<corsd::v1::BatchErrors> back = BatchErrorsOf(s);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->errors_size(), 1);
  EXPECT_EQ(back->errors(0).index(), 7u);
  EXPECT_EQ(back->errors(0).field(), "tenant");
  EXPECT_EQ(back->total(), 1u);
}

TEST(FromGrpcStatusTest, GarbageOrForeignDetailsAreIgnored) {
  absl::Status garbage = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "m", "\xff\xff\xff"),
      "");
  EXPECT_FALSE(BatchErrorsOf(garbage).has_value());
  google::rpc::Status details;
  details.add_details()->PackFrom(google::rpc::Status());
  absl::Status foreign =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "m",
                                  details.SerializeAsString()),
                     "");
  EXPECT_FALSE(BatchErrorsOf(foreign).has_value());
  EXPECT_FALSE(BatchErrorsOf(absl::OkStatus()).has_value());
}

}  // namespace
}  // namespace corsd::client
