// The gRPC doors (Decider.Decide, ext_authz Check) over the real engine:
// Origin values a browser never sends, or sends differently, never match,
// through either door, and the exact one does (the HTTP door's counterpart
// is service/http/http_wire_test.cc, the same variants as raw bytes); and
// each door follows the one tenant order (service/door/run_path.h; the HTTP
// door's test is http_server_test's AuthTenantOrderPathThenHostThenHeader).
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
  // Decider: the answer's Access-Control-Allow-Origin ("" when absent).
  std::string DeciderAcao(const std::string& origin,
                          const std::string& tenant = "acme",
                          const std::string& host = "api.acme.test") {
    corsd::v1::DecideRequest req;
    req.set_tenant(tenant);
    req.mutable_request()->set_method("GET");
    req.mutable_request()->set_host(host);
    req.mutable_request()->set_path("/v1/items");
    req.mutable_request()->set_origin(origin);
    corsd::v1::DecideResponse resp;
    EXPECT_TRUE(DeciderService::DecideOne(deps_, req, &resp).ok());
    for (const auto& h : resp.decision().headers()) {
      if (h.name() == "access-control-allow-origin") return h.value();
    }
    return "";
  }
  bool DeciderAllows(const std::string& origin) {
    return !DeciderAcao(origin).empty();
  }

  // ext_authz: the same, through Envoy's CheckRequest; `extension` is
  // context_extensions["tenant"] ("" = none), `header` the x-tenant header.
  std::string CheckAcao(const std::string& origin,
                        const std::string& host = "api.acme.test",
                        const std::string& extension = "",
                        const std::string& header = "") {
    envoy::service::auth::v3::CheckRequest req;
    auto* http = req.mutable_attributes()->mutable_request()->mutable_http();
    http->set_method("GET");
    http->set_host(host);
    http->set_path("/v1/items");
    (*http->mutable_headers())["origin"] = origin;
    if (!header.empty()) (*http->mutable_headers())["x-tenant"] = header;
    if (!extension.empty()) {
      (*req.mutable_attributes()->mutable_context_extensions())["tenant"] =
          extension;
    }
    envoy::service::auth::v3::CheckResponse resp;
    AuthorizationService service(deps_, "x-tenant");
    EXPECT_TRUE(service.Check(nullptr, &req, &resp).ok());
    for (const auto& h : resp.ok_response().response_headers_to_add()) {
      if (h.header().key() == "access-control-allow-origin") {
        return h.header().value();
      }
    }
    return "";
  }
  bool CheckAllows(const std::string& origin) {
    return !CheckAcao(origin).empty();
  }

  World world_;
  const DecisionDeps deps_{.engine = &world_.engine(),
                           .epochs = world_.epochs()};
};

TEST_F(GrpcDoorOriginTest, TheExactOriginIsAllowedThroughBothDoors) {
  EXPECT_TRUE(DeciderAllows(kAllowed));
  EXPECT_TRUE(CheckAllows(kAllowed));
}

// Fixture tenants: "acme" owns API host api.acme.test and origin kAllowed;
// "open" is public ("*" for any origin); "bare" owns bare.example.org.
TEST_F(GrpcDoorOriginTest, DeciderTenantOrderNamedThenHost) {
  EXPECT_EQ(DeciderAcao("https://anyone.example", "open", "api.acme.test"), "*")
      << "the named tenant wins over the host";
  EXPECT_EQ(DeciderAcao(kAllowed, "", "api.acme.test"), kAllowed)
      << "no name: the host's API host";
  EXPECT_EQ(DeciderAcao(kAllowed, "", "unknown.test"), "")
      << "neither: unknown tenant";
}

TEST_F(GrpcDoorOriginTest, CheckTenantOrderExtensionThenHostThenHeader) {
  EXPECT_EQ(
      CheckAcao("https://anyone.example", "api.acme.test", "open", "bare"), "*")
      << "context_extensions wins over the host and the header";
  EXPECT_EQ(CheckAcao("https://anyone.example", "api.acme.test", "", "open"),
            "")
      << "the host wins over the header (a client can send one)";
  EXPECT_EQ(CheckAcao("https://anyone.example", "unknown.test", "", "open"),
            "*")
      << "the header when the host names no tenant";
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
