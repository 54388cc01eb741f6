#include "service/rpc/decide_mapping.h"

#include <string>

#include "gtest/gtest.h"
#include "service/rpc/limits.h"

namespace corsd::rpc {
namespace {

TEST(ToEngineRequestTest, ViewsIntoTheMessage) {
  corsd::v1::DecideRequest req;
  req.set_tenant("acme");
  auto* http = req.mutable_request();
  http->set_method("OPTIONS");
  http->set_scheme("https");
  http->set_host("api.acme.com");
  http->set_path("/x");
  http->set_origin("https://shop.acme.com");
  http->set_access_control_request_method("PUT");
  http->set_credentials(true);
  decision::Request out;
  ASSERT_TRUE(ToEngineRequest(req, "decide", &out).ok());
  EXPECT_EQ(out.method.data(), http->method().data());  // no copy
  EXPECT_EQ(out.origin.data(), http->origin().data());
  EXPECT_TRUE(out.has_origin);
  EXPECT_TRUE(out.has_access_control_request_method);
  EXPECT_FALSE(out.has_access_control_request_headers);
  EXPECT_FALSE(out.has_access_control_request_private_network);
  EXPECT_TRUE(out.credentials);
}

TEST(ToEngineRequestTest, AbsentOptionalFieldsAreAbsent) {
  corsd::v1::DecideRequest req;
  decision::Request out;
  ASSERT_TRUE(ToEngineRequest(req, "decide", &out).ok());
  EXPECT_FALSE(out.has_origin);
  EXPECT_FALSE(out.has_access_control_request_method);
}

TEST(ToEngineRequestTest, OriginLimitNamesFieldAndLimit) {
  corsd::v1::DecideRequest req;
  req.mutable_request()->set_origin(std::string(kMaxOriginBytes + 1, 'a'));
  decision::Request out;
  absl::Status s = ToEngineRequest(req, "requests[3]", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "requests[3].request.origin is 2049 bytes; the limit is 2048 "
            "bytes");
}

TEST(ToEngineRequestTest, OtherFieldLimit) {
  corsd::v1::DecideRequest req;
  req.mutable_request()->set_access_control_request_headers(
      std::string(kMaxFieldBytes + 1, 'a'));
  decision::Request out;
  absl::Status s = ToEngineRequest(req, "decide", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("access_control_request_headers is 8193 bytes"),
            std::string::npos)
      << s;
}

TEST(ToEngineRequestTest, TenantLimit) {
  corsd::v1::DecideRequest req;
  req.set_tenant(std::string(kMaxFieldBytes + 1, 't'));
  decision::Request out;
  absl::Status s = ToEngineRequest(req, "decide", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("decide.tenant"), std::string::npos) << s;
}

TEST(ToEngineRequestTest, OriginAtTheLimitIsAccepted) {
  corsd::v1::DecideRequest req;
  req.mutable_request()->set_origin(std::string(kMaxOriginBytes, 'a'));
  decision::Request out;
  EXPECT_TRUE(ToEngineRequest(req, "decide", &out).ok());
}

}  // namespace
// The rule every door shares (service/door/header_rules.h): a value with a
// CR, LF or NUL byte is refused, naming the field.
class ForbiddenByteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ForbiddenByteTest, RefusedNamingTheField) {
  corsd::v1::DecideRequest req;
  req.mutable_request()->set_origin("https://a.example" + GetParam() + "x");
  req.mutable_request()->set_method("GET");
  decision::Request out;
  const absl::Status s = ToEngineRequest(req, "decide", &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("decide.request.origin is \"https://a.example\\x"),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("no CR, LF or NUL"), std::string::npos) << s;
}

INSTANTIATE_TEST_SUITE_P(Bytes, ForbiddenByteTest,
                         ::testing::Values(std::string("\r"), std::string("\n"),
                                           std::string("\0", 1)));

}  // namespace corsd::rpc
