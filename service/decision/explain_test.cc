// R17: Engine::Explain names the failing header or origin and what was
// expected, with "did you mean" hints from the tenant's entries.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/decision/engine.h"
#include "service/decision/testing/fixture.h"

namespace corsd::decision {
namespace {

using ::testing::HasSubstr;
using testing::OwnedRequest;
using testing::World;

class ExplainTest : public ::testing::Test {
 protected:
  std::string Explain(const std::string& tenant, const OwnedRequest& owned,
                      Reason expected) {
    table::EpochManager::ReadGuard guard(world_.epochs());
    const Request req = owned.View();
    Decision d;
    world_.engine().Decide(tenant, req, &d);
    EXPECT_EQ(ReasonName(d.reason), ReasonName(expected));
    return world_.engine().Explain(tenant, req, d);
  }

  static OwnedRequest Origin(std::string origin) {
    OwnedRequest r;
    r.origin = std::move(origin);
    return r;
  }
  static OwnedRequest Preflight(std::string origin, std::string method,
                                std::string headers, std::string path = "/v1") {
    OwnedRequest r = Origin(std::move(origin));
    r.method = "OPTIONS";
    r.acrm = std::move(method);
    r.acrh = std::move(headers);
    r.path = std::move(path);
    return r;
  }

  World world_;
};

TEST_F(ExplainTest, R2_DidYouMeanWww) {
  EXPECT_EQ(Explain("acme", Origin("https://shop.example.com"),
                    Reason::kR2OriginNotAllowed),
            "origin \"https://shop.example.com\" is not an origin of tenant "
            "\"acme\" (did you mean \"https://www.shop.example.com\"?)");
}

TEST_F(ExplainTest, R2_DidYouMeanOtherSchemeOrPort) {
  EXPECT_THAT(Explain("acme", Origin("http://app.example.com"),
                      Reason::kR2OriginNotAllowed),
              HasSubstr("(did you mean \"https://app.example.com\"?)"));
  EXPECT_THAT(Explain("acme", Origin("https://api.example.com"),
                      Reason::kR2OriginNotAllowed),
              HasSubstr("(did you mean \"https://api.example.com:8443\"?)"));
}

TEST_F(ExplainTest, R2_DidYouMeanTypo) {
  EXPECT_THAT(Explain("acme", Origin("https://app.exmaple.com"),
                      Reason::kR2OriginNotAllowed),
              HasSubstr("(did you mean \"https://app.example.com\"?)"));
}

TEST_F(ExplainTest, R2_NoHintWhenNothingIsNear) {
  const std::string s = Explain("acme", Origin("https://evil.example.org"),
                                Reason::kR2OriginNotAllowed);
  EXPECT_THAT(s, HasSubstr("is not an origin of tenant \"acme\""));
  EXPECT_THAT(s, ::testing::Not(HasSubstr("did you mean")));
}

TEST_F(ExplainTest, R2_NotCanonicalNamesTheCanonicalForm) {
  EXPECT_EQ(Explain("acme", Origin("https://APP.example.com:443"),
                    Reason::kR2OriginNotCanonical),
            "origin \"https://APP.example.com:443\" is not a canonical origin "
            "(not_canonical); browsers send the Origin header canonical, so it "
            "never matches (its canonical form is \"https://app.example.com\", "
            "an entry of the tenant)");
}

TEST_F(ExplainTest, R8_NamesTheHeaderAndTheAllowedList) {
  EXPECT_EQ(Explain("acme",
                    Preflight("https://app.example.com", "PUT",
                              "x-request-id, X-Tenant-ID"),
                    Reason::kR8HeaderNotAllowed),
            "header \"x-tenant-id\" is not allowed; allowed: authorization, "
            "x-request-id");
}

TEST_F(ExplainTest, R8_StarNeverCoversAuthorization) {
  EXPECT_THAT(Explain("acme",
                      Preflight("https://app.example.com", "POST",
                                "authorization", "/any"),
                      Reason::kR8HeaderNotAllowed),
              HasSubstr("\"*\" never covers authorization"));
}

TEST_F(ExplainTest, R8_MalformedSaysWhichLimit) {
  std::string many;
  for (int i = 0; i < 1000; ++i) many += (i ? ",x-abcdef" : "x-abcdef");
  EXPECT_THAT(Explain("acme", Preflight("https://app.example.com", "PUT", many),
                      Reason::kR8HeadersMalformed),
              HasSubstr("Access-Control-Request-Headers is 8999 bytes; "
                        "expected at most 4096"));
  EXPECT_THAT(
      Explain("acme", Preflight("https://app.example.com", "PUT", "a b"),
              Reason::kR8HeadersMalformed),
      HasSubstr("item \"a b\" is not a header name"));
}

TEST_F(ExplainTest, R7_NamesTheMethodWithCaseHint) {
  EXPECT_EQ(Explain("acme", Preflight("https://app.example.com", "patch", ""),
                    Reason::kR7MethodNotAllowed),
            "method \"patch\" is not allowed (methods compare "
            "case-sensitively); allowed: GET, HEAD, POST, PUT, DELETE, PATCH "
            "(did you mean \"PATCH\"?)");
}

TEST_F(ExplainTest, R6_ForwardedSaysWhy) {
  EXPECT_THAT(
      Explain("acme",
              Preflight("https://app.example.com", "PROPFIND", "", "/fwd"),
              Reason::kR6PreflightForwarded),
      HasSubstr("preflight refused: method \"PROPFIND\" is not allowed"));
}

TEST_F(ExplainTest, R11_R13_R14) {
  EXPECT_THAT(Explain("acme", Origin("null"), Reason::kR11NullOriginRefused),
              HasSubstr("allow_null_origin"));
  OwnedRequest ws = Origin("https://evil.example.org");
  ws.upgrade = "websocket";
  ws.connection = "upgrade";
  EXPECT_THAT(
      Explain("acme", ws, Reason::kR13WebsocketRefused),
      HasSubstr("unless it sets allow_cross_origin_websocket (R13): "
                "origin \"https://evil.example.org\" is not an origin"));
  OwnedRequest del = Origin("https://evil.example.org");
  del.method = "DELETE";
  EXPECT_THAT(Explain("acme", del, Reason::kR14UnsafeMethodDenied),
              HasSubstr("method \"DELETE\" denied (403)"));
}

TEST_F(ExplainTest, R12_PrivateNetwork) {
  OwnedRequest r = Preflight("https://app.example.com", "PUT", "");
  r.acrpn = "true";
  EXPECT_THAT(Explain("acme", r, Reason::kR12PrivateNetworkRefused),
              HasSubstr("allow_private_network"));
}

TEST_F(ExplainTest, UnknownTenantAndRouteClass) {
  EXPECT_EQ(Explain("nope", Origin("https://app.example.com"),
                    Reason::kUnknownTenant),
            "tenant \"nope\" is unknown");
  OwnedRequest r = Origin("https://app.example.com");
  r.host = "nowhere.test";
  EXPECT_THAT(Explain("", r, Reason::kUnknownTenant),
              HasSubstr("no tenant has the API host \"nowhere.test\""));
  // --unknown-host=deny (the default): names the request, the origin and
  // the flag that changes it.
  OwnedRequest put = r;
  put.method = "PUT";
  EXPECT_EQ(
      Explain("", put, Reason::kUnknownHostDenied),
      "no tenant has the API host \"nowhere.test\"; pass the tenant or "
      "add the host to a tenant; method \"PUT\" from the cross-site "
      "origin \"https://app.example.com\" denied (403) because corsd runs "
      "with --unknown-host=deny (R14 for requests no tenant owns); "
      "--unknown-host=continue lets it through");
  OwnedRequest ws = r;
  ws.upgrade = "websocket";
  ws.connection = "Upgrade";
  EXPECT_THAT(Explain("nope", ws, Reason::kUnknownHostDenied),
              HasSubstr("tenant \"nope\" is unknown; WebSocket handshake from "
                        "the cross-site origin \"https://app.example.com\" "
                        "denied (403) because corsd runs with "
                        "--unknown-host=deny (R13"));
  OwnedRequest pub = Origin("https://x.example");
  pub.path = "/public/a";
  EXPECT_THAT(Explain("acme", pub, Reason::kR3Public),
              HasSubstr("(route class \"/public\")"));
}

}  // namespace
}  // namespace corsd::decision
