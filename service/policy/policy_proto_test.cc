// corsd.v1.Policy <-> policy::Policy: every field survives both ways; nested
// routes and absurd sizes are refused with the field named.
#include "service/policy/policy_proto.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace corsd::policy {
namespace {

using ::testing::StartsWith;

Policy Full() {
  Policy p;
  p.allowed_methods = {"PUT", "DELETE"};
  p.allowed_headers = {"authorization", "*"};
  p.exposed_headers = {"x-request-id"};
  p.allow_credentials = true;
  p.max_age_seconds = 600;
  p.public_origin = true;
  p.allow_null_origin = true;
  p.allow_private_network = true;
  p.allow_cross_origin_websocket = true;
  p.enforce_unsafe_methods = true;
  p.forward_refused_preflight = true;
  p.production = true;
  p.allow_dev_origins = true;
  Policy route;
  route.public_origin = true;
  route.exposed_headers = {"etag"};
  route.max_age_seconds = 5;
  p.routes = {{"/public", route}, {"/admin", Policy{}}};
  return p;
}

TEST(PolicyProtoTest, RoundTripsEveryField) {
  const Policy p = Full();
  const corsd::v1::Policy proto = ToProto(p);
  EXPECT_EQ(proto.allowed_methods_size(), 2);
  EXPECT_TRUE(proto.forward_refused_preflight());
  EXPECT_EQ(proto.routes(0).path_prefix(), "/public");
  EXPECT_EQ(proto.routes(0).policy().max_age_seconds(), 5u);
  absl::StatusOr<Policy> back = FromProto(proto);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, p);
}

TEST(PolicyProtoTest, EveryBoolFieldMapsToItsOwnField) {
  // Flip one bool at a time so a swapped pair of fields cannot pass.
  bool Policy::*fields[] = {&Policy::allow_credentials,
                            &Policy::public_origin,
                            &Policy::allow_null_origin,
                            &Policy::allow_private_network,
                            &Policy::allow_cross_origin_websocket,
                            &Policy::enforce_unsafe_methods,
                            &Policy::forward_refused_preflight,
                            &Policy::production,
                            &Policy::allow_dev_origins};
  for (bool Policy::*f : fields) {
    Policy p;
    p.*f = true;
    absl::StatusOr<Policy> back = FromProto(ToProto(p));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, p);
  }
}

// Upgrade: a stored policy that set the deprecated enforce_websocket_origin
// (field 9) keeps its meaning (R13 enforced), and one that did not now
// enforces R13 too; only allow_cross_origin_websocket (16) turns it off.
TEST(PolicyProtoTest, DeprecatedEnforceWebsocketOriginIsIgnored) {
  corsd::v1::Policy stored_on;
  stored_on.set_enforce_websocket_origin(true);
  stored_on.add_routes()->mutable_policy()->set_enforce_websocket_origin(true);
  stored_on.mutable_routes(0)->set_path_prefix("/a");
  corsd::v1::Policy stored_off;
  for (const corsd::v1::Policy& proto : {stored_on, stored_off}) {
    absl::StatusOr<Policy> p = FromProto(proto);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_FALSE(p->allow_cross_origin_websocket);
    for (const RouteClass& r : p->routes) {
      EXPECT_FALSE(r.policy.allow_cross_origin_websocket);
    }
    EXPECT_FALSE(ToProto(*p).enforce_websocket_origin());
  }
  corsd::v1::Policy open;
  open.set_enforce_websocket_origin(true);
  open.set_allow_cross_origin_websocket(true);
  absl::StatusOr<Policy> p = FromProto(open);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->allow_cross_origin_websocket);
  EXPECT_TRUE(ToProto(*p).allow_cross_origin_websocket());
}

TEST(PolicyProtoTest, NestedRoutesRefusedWithField) {
  corsd::v1::Policy proto;
  corsd::v1::RouteClass* r = proto.add_routes();
  r->set_path_prefix("/a");
  r->mutable_policy()->add_routes()->set_path_prefix("/b");
  proto.add_routes();
  absl::StatusOr<Policy> p = FromProto(proto);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()),
              StartsWith("routes[0].policy.routes:"));
}

TEST(PolicyProtoTest, AbsurdSizesRefusedBeforeCopy) {
  corsd::v1::Policy proto;
  corsd::v1::RouteClass* r = proto.add_routes();
  for (size_t i = 0; i < kMaxAllowedHeaders * 10 + 1; ++i) {
    r->mutable_policy()->add_allowed_headers("x");
  }
  absl::StatusOr<Policy> p = FromProto(proto);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(p.status().message()),
              StartsWith("routes[0].policy.allowed_headers:"));
}

TEST(PolicyProtoTest, ConvertedPolicyValidates) {
  Policy p = Full();
  p.public_origin = false;  // public + credentials is refused by Validate
  p.allow_null_origin = false;
  absl::StatusOr<Policy> back = FromProto(ToProto(p));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(Validate(*back).ok()) << Validate(*back).status();
}

}  // namespace
}  // namespace corsd::policy
