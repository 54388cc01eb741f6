#include "service/rpc/status_convert.h"

#include <string>

#include "absl/strings/cord.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace corsd::rpc {
namespace {

TEST(StatusConvertTest, OkIsOkWithoutDetails) {
  grpc::Status s = ToGrpcStatus(absl::OkStatus());
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(s.error_details().empty());
}

struct CodeCase {
  absl::StatusCode absl_code;
  grpc::StatusCode grpc_code;
};

class StatusCodeTest : public testing::TestWithParam<CodeCase> {};

TEST_P(StatusCodeTest, MapsCodeAndKeepsMessage) {
  grpc::Status s = ToGrpcStatus(absl::Status(GetParam().absl_code, "why"));
  EXPECT_EQ(s.error_code(), GetParam().grpc_code);
  EXPECT_EQ(s.error_message(), "why");
  EXPECT_TRUE(s.error_details().empty());
}

INSTANTIATE_TEST_SUITE_P(
    AllCodes, StatusCodeTest,
    testing::Values(
        CodeCase{absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
        CodeCase{absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
        CodeCase{absl::StatusCode::kInvalidArgument,
                 grpc::StatusCode::INVALID_ARGUMENT},
        CodeCase{absl::StatusCode::kDeadlineExceeded,
                 grpc::StatusCode::DEADLINE_EXCEEDED},
        CodeCase{absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
        CodeCase{absl::StatusCode::kAlreadyExists,
                 grpc::StatusCode::ALREADY_EXISTS},
        CodeCase{absl::StatusCode::kPermissionDenied,
                 grpc::StatusCode::PERMISSION_DENIED},
        CodeCase{absl::StatusCode::kResourceExhausted,
                 grpc::StatusCode::RESOURCE_EXHAUSTED},
        CodeCase{absl::StatusCode::kFailedPrecondition,
                 grpc::StatusCode::FAILED_PRECONDITION},
        CodeCase{absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
        CodeCase{absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
        CodeCase{absl::StatusCode::kUnimplemented,
                 grpc::StatusCode::UNIMPLEMENTED},
        CodeCase{absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
        CodeCase{absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
        CodeCase{absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
        CodeCase{absl::StatusCode::kUnauthenticated,
                 grpc::StatusCode::UNAUTHENTICATED}));

TEST(StatusConvertTest, OutOfRangeCodeIsUnknown) {
  grpc::Status s =
      ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(42), "x"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNKNOWN);
}

TEST(StatusConvertTest, LongMessageIsTruncated) {
  std::string long_message(kMaxStatusMessageBytes * 2, 'a');
  grpc::Status s = ToGrpcStatus(absl::InternalError(long_message));
  ASSERT_EQ(s.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_EQ(s.error_message().substr(kMaxStatusMessageBytes - 3), "...");
}

TEST(StatusConvertTest, BatchErrorsBecomeRichDetails) {
  corsd::v1::BatchErrors errors;
  errors.set_total(2);
  corsd::v1::ItemError* e = errors.add_errors();
  e->set_index(7);
  e->set_field("value");
  e->set_value("https://a.com/path");
  e->set_message("a path other than \"/\" is not part of an origin");
  absl::Status status = absl::InvalidArgumentError("batch refused: 2 errors");
  status.SetPayload(std::string(kBatchErrorsTypeUrl),
                    absl::Cord(errors.SerializeAsString()));

  grpc::Status s = ToGrpcStatus(status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "batch refused: 2 errors");

  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(s.error_details()));
  EXPECT_EQ(rich.code(), 3);
  EXPECT_EQ(rich.message(), "batch refused: 2 errors");
  ASSERT_EQ(rich.details_size(), 1);
  EXPECT_EQ(rich.details(0).type_url(), kBatchErrorsTypeUrl);

  corsd::v1::BatchErrors back;
  ASSERT_TRUE(BatchErrorsFromGrpcStatus(s, &back));
  EXPECT_EQ(back.total(), 2u);
  ASSERT_EQ(back.errors_size(), 1);
  EXPECT_EQ(back.errors(0).index(), 7u);
  EXPECT_EQ(back.errors(0).field(), "value");
  EXPECT_EQ(back.errors(0).value(), "https://a.com/path");
}

TEST(StatusConvertTest, OtherPayloadsAreNotForwarded) {
  absl::Status status = absl::InvalidArgumentError("x");
  status.SetPayload("type.googleapis.com/other.Thing", absl::Cord("abc"));
  grpc::Status s = ToGrpcStatus(status);
  EXPECT_TRUE(s.error_details().empty());
  corsd::v1::BatchErrors back;
  EXPECT_FALSE(BatchErrorsFromGrpcStatus(s, &back));
}

TEST(StatusConvertTest, UnparsableDetailsAreNotBatchErrors) {
  grpc::Status s(grpc::StatusCode::INVALID_ARGUMENT, "x", "\xff\xff\xff");
  corsd::v1::BatchErrors back;
  back.set_total(9);
  EXPECT_FALSE(BatchErrorsFromGrpcStatus(s, &back));
  EXPECT_EQ(back.total(), 0u);
}

}  // namespace
}  // namespace corsd::rpc
