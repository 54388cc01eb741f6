// The gRPC doors (Decider.Decide, ext_authz Check) over the real engine:
// Origin values a browser never sends, or sends differently, never match,
// through either door; the exact one does. The HTTP door's counterpart is
// service/http/http_wire_test.cc (the same variants as raw bytes).
#include <string>

#include "gtest/gtest.h"
#include "service/decision/testing/fixture.h"
#include "service/rpc/authorization_service.h"
#include "service/rpc/decider_service.h"

namespace corsd::rpc {
namespace {

using decision::testing::World;

constexpr char kAllowed[] = "https://app.example.com";  // acme's (fixture)

class GrpcDoorOriginTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Decider: whether the answer carries Access-Control-Allow-Origin.
  bool DeciderAllows(const std::string& origin) {
    corsd::v1::DecideRequest req;
    req.set_tenant("acme");
    req.mutable_request()->set_method("GET");
    req.mutable_request()->set_host("api.acme.test");
    req.mutable_request()->set_path("/v1/items");
    req.mutable_request()->set_origin(origin);
    corsd::v1::DecideResponse resp;
    EXPECT_TRUE(DeciderService::DecideOne(deps_, req, &resp).ok());
    for (const auto& h : resp.decision().headers()) {
      if (h.name() == "access-control-allow-origin") return true;
    }
    return false;
  }

  // ext_authz: the same, through Envoy's CheckRequest.
  bool CheckAllows(const std::string& origin) {
    envoy::service::auth::v3::CheckRequest req;
    auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
    http->set_method("GET");
    http->set_host("api.acme.test");
    http->set_path("/v1/items");
    (*http->mutable_headers())["origin"] = origin;
    envoy::service::auth::v3::CheckResponse resp;
    AuthorizationService service(deps_, "");
    EXPECT_TRUE(service.Check(nullptr, &req, &resp).ok());
    for (const auto& h : resp.ok_response().response_headers_to_add()) {
      if (h.header().key() == "access-control-allow-origin") return true;
    }
    return false;
  }

  World world_;
  const DecisionDeps deps_{.engine = &world_.engine(),
                           .epochs = world_.epochs()};
};

TEST_F(GrpcDoorOriginTest, TheExactOriginIsAllowedThroughBothDoors) {
  EXPECT_TRUE(DeciderAllows(kAllowed));
  EXPECT_TRUE(CheckAllows(kAllowed));
}

TEST_P(GrpcDoorOriginTest, NeverMatchesThroughEitherDoor) {
  EXPECT_FALSE(DeciderAllows(GetParam())) << GetParam();
  EXPECT_FALSE(CheckAllows(GetParam())) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Variants, GrpcDoorOriginTest,
    ::testing::Values("https://app%2Eexample.com", "https://app.example.com%2F",
                      "HTTPS://APP.EXAMPLE.COM", "https://App.example.com",
                      " https://app.example.com", "https://app.example.com ",
                      "https://app.example.com\t",
                      "https://app.example.com:443", "https://app.example.com/",
                      "https://app.example.com" + std::string(1500, 'x'),
                      "https://app.example.com,https://app.example.com",
                      "https://app.example.com, https://app.example.com",
                      "https://app.example.com,null"));

}  // namespace
}  // namespace corsd::rpc
