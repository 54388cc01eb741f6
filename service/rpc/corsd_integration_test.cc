// Integration tests: the real corsd binary on loopback port 0 with a
// temporary data directory, driven over real gRPC -- Admin writes, Decider
// (unary, batch, stream) and envoy ext_authz Check decisions, health,
// reflection, credentials, listener separation, limits, SIGTERM.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "corsd/v1/admin.grpc.pb.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/rpc/status_convert.h"
#include "service/rpc/testing/corsd_process.h"
#include "service/rpc/testing/grpc_probe.h"

namespace corsd::rpc {
namespace {

using ::corsd::testing::CorsdProcess;
using ::corsd::testing::CorsdProcessOptions;
namespace v1 = ::corsd::v1;
namespace authz = ::envoy::service::auth::v3;

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& auth = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(10));
  if (!auth.empty()) context->AddMetadata("authorization", auth);
  return context;
}

// The header `name` of a decision, or "" when absent.
std::string HeaderOf(const v1::Decision& d, const std::string& name) {
  for (const v1::Header& h : d.headers()) {
    if (h.name() == name) return h.value();
  }
  return "";
}

class CorsdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.extra_args = {"--tenant-header", "X-Tenant"};
    auto started = CorsdProcess::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    corsd_ = started->release();
    decision_ = Connect(corsd_->decision_address());
    admin_ = Connect(corsd_->admin_address());

    auto admin = v1::Admin::NewStub(admin_);
    v1::PutTenantRequest put;
    v1::Tenant* tenant = put.mutable_tenant();
    tenant->set_id("acme");
    v1::Policy* policy = tenant->mutable_policy();
    policy->add_allowed_methods("PUT");
    policy->add_allowed_headers("x-api-key");
    policy->set_allow_credentials(true);
    policy->set_max_age_seconds(600);
    policy->set_enforce_unsafe_methods(true);  // R13 is on by default
    v1::PutTenantResponse put_response;
    grpc::Status s = admin->PutTenant(Context(corsd_->authorization()).get(),
                                      put, &put_response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(put_response.created());

    v1::WriteEntriesRequest write;
    auto add = [&](v1::EntryKind kind, const char* value) {
      v1::EntryOp* op = write.add_ops();
      op->set_op(v1::EntryOp::OP_ADD);
      op->set_kind(kind);
      op->set_tenant("acme");
      op->set_value(value);
    };
    add(v1::ENTRY_KIND_ORIGIN, "https://shop.acme.com");
    add(v1::ENTRY_KIND_WILDCARD, "https://*.apps.acme.com");
    add(v1::ENTRY_KIND_API_HOST, "api.acme.com");
    v1::WriteEntriesResponse written;
    s = admin->WriteEntries(Context(corsd_->authorization()).get(), write,
                            &written);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(written.added(), 3u);
  }

  static void TearDownTestSuite() {
    decision_.reset();
    admin_.reset();
    delete corsd_;
    corsd_ = nullptr;
  }

  static v1::Decision Decide(v1::DecideRequest request) {
    v1::DecideResponse response;
    grpc::Status s = v1::Decider::NewStub(decision_)->Decide(
        Context().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.decision();
  }

  static v1::DecideRequest Actual(const std::string& origin,
                                  const std::string& method = "GET") {
    v1::DecideRequest r;
    r.set_tenant("acme");
    r.mutable_request()->set_method(method);
    r.mutable_request()->set_scheme("https");
    r.mutable_request()->set_host("api.acme.com");
    r.mutable_request()->set_path("/v1/items");
    r.mutable_request()->set_origin(origin);
    return r;
  }

  static authz::CheckRequest Check(
      std::initializer_list<std::pair<std::string, std::string>> headers,
      const std::string& tenant = "acme") {
    authz::CheckRequest check;
    auto* http = check.mutable_attributes()->mutable_request()->mutable_http();
    for (const auto& [k, v] : headers) (*http->mutable_headers())[k] = v;
    if (!tenant.empty()) {
      (*check.mutable_attributes()->mutable_context_extensions())["tenant"] =
          tenant;
    }
    return check;
  }

  static authz::CheckResponse CallCheck(const authz::CheckRequest& check) {
    authz::CheckResponse response;
    grpc::Status s = authz::Authorization::NewStub(decision_)->Check(
        Context().get(), check, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  static CorsdProcess* corsd_;
  static std::shared_ptr<grpc::Channel> decision_;
  static std::shared_ptr<grpc::Channel> admin_;
};

CorsdProcess* CorsdTest::corsd_ = nullptr;
std::shared_ptr<grpc::Channel> CorsdTest::decision_;
std::shared_ptr<grpc::Channel> CorsdTest::admin_;

TEST_F(CorsdTest, HealthIsServingOnBothListeners) {
  for (const auto& channel : {decision_, admin_}) {
    absl::StatusOr<int> health = ::corsd::testing::HealthCheck(channel, "");
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(*health, ::corsd::testing::kHealthServing);
  }
  absl::StatusOr<int> decider =
      ::corsd::testing::HealthCheck(decision_, "corsd.v1.Decider");
  ASSERT_TRUE(decider.ok()) << decider.status();
  EXPECT_EQ(*decider, ::corsd::testing::kHealthServing);
  absl::StatusOr<int> admin =
      ::corsd::testing::HealthCheck(admin_, "corsd.v1.Admin");
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(*admin, ::corsd::testing::kHealthServing);
}

TEST_F(CorsdTest, ReflectionListsEachListenersServices) {
  absl::StatusOr<std::vector<std::string>> decision =
      ::corsd::testing::ListServices(decision_);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_THAT(*decision,
              ::testing::IsSupersetOf({"corsd.v1.Decider",
                                       "envoy.service.auth.v3.Authorization",
                                       "grpc.health.v1.Health"}));
  EXPECT_THAT(*decision, ::testing::Not(::testing::Contains("corsd.v1.Admin")));
  absl::StatusOr<std::vector<std::string>> admin =
      ::corsd::testing::ListServices(admin_);
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_THAT(*admin, ::testing::Contains("corsd.v1.Admin"));
  EXPECT_THAT(*admin, ::testing::Not(::testing::Contains("corsd.v1.Decider")));
}

TEST_F(CorsdTest, AdminNeedsTheBearerToken) {
  auto admin = v1::Admin::NewStub(admin_);
  v1::StatsResponse stats;
  grpc::Status none = admin->Stats(Context().get(), {}, &stats);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status wrong =
      admin->Stats(Context("Bearer not-the-token").get(), {}, &stats);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status basic =
      admin->Stats(Context("Basic " + corsd_->token()).get(), {}, &stats);
  EXPECT_EQ(basic.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status ok =
      admin->Stats(Context(corsd_->authorization()).get(), {}, &stats);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_GE(stats.tenants(), 1u);
}

// LookupOrigin is the admin method on the callback API (admin_service.h):
// the same token check, the same answers.
TEST_F(CorsdTest, LookupOriginNeedsTheTokenAndAnswers) {
  auto admin = v1::Admin::NewStub(admin_);
  v1::LookupOriginRequest request;
  request.set_origin("HTTPS://Shop.ACME.com:443");
  v1::LookupOriginResponse response;
  grpc::Status none = admin->LookupOrigin(Context().get(), request, &response);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status wrong = admin->LookupOrigin(
      Context("Bearer not-the-token").get(), request, &response);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status ok = admin->LookupOrigin(Context(corsd_->authorization()).get(),
                                        request, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(response.canonical(), "https://shop.acme.com");
  EXPECT_THAT(response.tenants(), ::testing::ElementsAre("acme"));
  request.set_origin("https://a.com@evil.com");
  grpc::Status bad = admin->LookupOrigin(Context(corsd_->authorization()).get(),
                                         request, &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("userinfo"), std::string::npos)
      << bad.error_message();
}

TEST_F(CorsdTest, AdminIsNotServedOnTheDecisionListener) {
  auto admin = v1::Admin::NewStub(decision_);
  v1::StatsResponse stats;
  grpc::Status s =
      admin->Stats(Context(corsd_->authorization()).get(), {}, &stats);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  auto decider = v1::Decider::NewStub(admin_);
  v1::DecideResponse response;
  s = decider->Decide(Context().get(), Actual("https://shop.acme.com"),
                      &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(CorsdTest, RefusedBatchCarriesBatchErrorsAndChangesNothing) {
  v1::WriteEntriesRequest write;
  const char* values[] = {"https://new.acme.com", "https://a.com/path",
                          "https://x.acme.com@evil.com"};
  for (const char* value : values) {
    v1::EntryOp* op = write.add_ops();
    op->set_op(v1::EntryOp::OP_ADD);
    op->set_kind(v1::ENTRY_KIND_ORIGIN);
    op->set_tenant("acme");
    op->set_value(value);
  }
  v1::WriteEntriesResponse response;
  grpc::Status s = v1::Admin::NewStub(admin_)->WriteEntries(
      Context(corsd_->authorization()).get(), write, &response);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::BatchErrors errors;
  ASSERT_TRUE(BatchErrorsFromGrpcStatus(s, &errors));
  EXPECT_EQ(errors.total(), 2u);
  ASSERT_EQ(errors.errors_size(), 2);
  EXPECT_EQ(errors.errors(0).index(), 1u);
  EXPECT_EQ(errors.errors(1).index(), 2u);
  EXPECT_EQ(errors.errors(0).field(), "value");
  // All or nothing: the good item was not applied either.
  EXPECT_EQ(Decide(Actual("https://new.acme.com")).reason(),
            v1::REASON_R2_ORIGIN_NOT_ALLOWED);
}

TEST_F(CorsdTest, DecideUnary) {
  v1::Decision allowed = Decide(Actual("https://shop.acme.com"));
  EXPECT_EQ(allowed.action(), v1::ACTION_CONTINUE);
  EXPECT_EQ(allowed.reason(), v1::REASON_R2_ORIGIN_ALLOWED);
  EXPECT_EQ(allowed.rule(), "R2");
  EXPECT_EQ(allowed.tenant(), "acme");
  EXPECT_EQ(HeaderOf(allowed, "access-control-allow-origin"),
            "https://shop.acme.com");
  EXPECT_EQ(HeaderOf(allowed, "access-control-allow-credentials"), "true");
  EXPECT_EQ(HeaderOf(allowed, "vary"), "Origin");

  v1::Decision wildcard = Decide(Actual("https://a.apps.acme.com"));
  EXPECT_EQ(wildcard.reason(), v1::REASON_R2_WILDCARD_ALLOWED);

  v1::DecideRequest evil = Actual("https://shop.acme.com.evil.com");
  evil.set_explain(true);
  v1::Decision refused = Decide(evil);
  EXPECT_EQ(refused.action(), v1::ACTION_CONTINUE);
  EXPECT_EQ(refused.reason(), v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  EXPECT_EQ(HeaderOf(refused, "access-control-allow-origin"), "");
  EXPECT_FALSE(refused.message().empty());

  v1::Decision denied = Decide(Actual("https://evil.com", "DELETE"));
  EXPECT_EQ(denied.action(), v1::ACTION_ANSWER);
  EXPECT_EQ(denied.status(), 403u);
  EXPECT_EQ(denied.reason(), v1::REASON_R14_UNSAFE_METHOD_DENIED);

  v1::DecideRequest by_host = Actual("https://shop.acme.com");
  by_host.clear_tenant();
  EXPECT_EQ(Decide(by_host).tenant(), "acme");
  v1::DecideRequest unknown = Actual("https://shop.acme.com");
  unknown.set_tenant("nobody");
  EXPECT_EQ(Decide(unknown).reason(), v1::REASON_UNKNOWN_TENANT);
}

TEST_F(CorsdTest, DecideBatchAnswersInOrder) {
  v1::DecideBatchRequest batch;
  const char* origins[] = {"https://shop.acme.com", "https://evil.com",
                           "https://b.apps.acme.com"};
  uint64_t id = 100;
  for (const char* origin : origins) {
    *batch.add_requests() = Actual(origin);
    batch.mutable_requests()->rbegin()->set_id(id++);
  }
  v1::DecideBatchResponse response;
  grpc::Status s = v1::Decider::NewStub(decision_)->DecideBatch(
      Context().get(), batch, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(response.decisions_size(), 3);
  EXPECT_EQ(response.decisions(0).id(), 100u);
  EXPECT_EQ(response.decisions(0).reason(), v1::REASON_R2_ORIGIN_ALLOWED);
  EXPECT_EQ(response.decisions(1).reason(), v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  EXPECT_EQ(response.decisions(2).id(), 102u);
  EXPECT_EQ(response.decisions(2).reason(), v1::REASON_R2_WILDCARD_ALLOWED);
}

TEST_F(CorsdTest, DecideStreamAnswersEachBatch) {
  grpc::ClientContext context;
  auto stream = v1::Decider::NewStub(decision_)->DecideStream(&context);
  for (uint64_t round = 0; round < 3; ++round) {
    v1::DecideBatchRequest batch;
    *batch.add_requests() = Actual("https://shop.acme.com");
    batch.mutable_requests(0)->set_id(round);
    *batch.add_requests() = Actual("https://evil.com");
    ASSERT_TRUE(stream->Write(batch));
    v1::DecideBatchResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.decisions_size(), 2);
    EXPECT_EQ(response.decisions(0).id(), round);
    EXPECT_EQ(response.decisions(0).reason(), v1::REASON_R2_ORIGIN_ALLOWED);
    EXPECT_EQ(response.decisions(1).reason(), v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  }
  stream->WritesDone();
  grpc::Status s = stream->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// The stream reuses its response messages from batch to batch: a smaller
// batch, or one without explain, must carry nothing of the previous one.
TEST_F(CorsdTest, DecideStreamBatchesCarryNothingStale) {
  grpc::ClientContext context;
  auto stream = v1::Decider::NewStub(decision_)->DecideStream(&context);
  const v1::Decision fresh = Decide(Actual("https://evil.com"));
  for (const int size : {3, 1, 2}) {
    v1::DecideBatchRequest batch;
    for (int i = 0; i < size; ++i) {
      *batch.add_requests() = Actual(
          i == 0 && size != 3 ? "https://evil.com" : "https://shop.acme.com");
      batch.mutable_requests(i)->set_explain(size == 3);
      batch.mutable_requests(i)->set_id(i);
    }
    ASSERT_TRUE(stream->Write(batch));
    v1::DecideBatchResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.decisions_size(), size);
    for (int i = 0; i < size; ++i) {
      EXPECT_EQ(response.decisions(i).id(), static_cast<uint64_t>(i));
      EXPECT_EQ(response.decisions(i).message().empty(), size != 3);
    }
    if (size != 3) {
      v1::Decision first = response.decisions(0);
      first.clear_id();
      // Every decision has its own id; everything else is as fresh.
      EXPECT_EQ(first.decision_id().size(), 16u);
      EXPECT_NE(first.decision_id(), fresh.decision_id());
      first.set_decision_id(fresh.decision_id());
      EXPECT_EQ(first.SerializeAsString(), fresh.SerializeAsString())
          << first.DebugString() << " vs " << fresh.DebugString();
    }
  }
  // An item over a limit ends the stream, naming the item.
  v1::DecideBatchRequest bad;
  *bad.add_requests() = Actual("https://shop.acme.com");
  *bad.add_requests() = Actual("https://" + std::string(3000, 'a') + ".com");
  ASSERT_TRUE(stream->Write(bad));
  v1::DecideBatchResponse response;
  EXPECT_FALSE(stream->Read(&response));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("requests[1].request.origin"),
            std::string::npos)
      << s.error_message();
}

TEST_F(CorsdTest, LimitsAreInvalidArgumentAndServingGoesOn) {
  auto decider = v1::Decider::NewStub(decision_);
  v1::DecideResponse response;
  grpc::Status s = decider->Decide(
      Context().get(), Actual("https://" + std::string(3000, 'a') + ".com"),
      &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("origin"), std::string::npos);
  EXPECT_NE(s.error_message().find("2048"), std::string::npos);

  v1::DecideBatchRequest batch;
  for (int i = 0; i < 1001; ++i) *batch.add_requests() = Actual("https://a.b");
  v1::DecideBatchResponse batch_response;
  s = decider->DecideBatch(Context().get(), batch, &batch_response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("limit is 1000"), std::string::npos)
      << s.error_message();

  authz::CheckResponse check_response;
  s = authz::Authorization::NewStub(decision_)->Check(
      Context().get(),
      Check({{"x-big", std::string(9000, 'x')}, {":method", "GET"}}),
      &check_response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("8192"), std::string::npos);

  EXPECT_EQ(Decide(Actual("https://shop.acme.com")).reason(),
            v1::REASON_R2_ORIGIN_ALLOWED);
}

TEST_F(CorsdTest, CheckPreflightIsAnswered204WithCorsHeaders) {
  authz::CheckResponse r =
      CallCheck(Check({{":method", "OPTIONS"},
                       {":authority", "api.acme.com"},
                       {":path", "/v1/items"},
                       {":scheme", "https"},
                       {"origin", "https://shop.acme.com"},
                       {"access-control-request-method", "PUT"},
                       {"access-control-request-headers", "x-api-key"}}));
  EXPECT_EQ(r.status().code(), 7);
  ASSERT_TRUE(r.has_denied_response());
  EXPECT_EQ(r.denied_response().status().code(), envoy::type::v3::NoContent);
  std::map<std::string, std::string> headers;
  for (const auto& h : r.denied_response().headers()) {
    EXPECT_FALSE(h.has_append());
    headers[h.header().key()] = h.header().value();
  }
  EXPECT_EQ(headers["access-control-allow-origin"], "https://shop.acme.com");
  EXPECT_NE(headers["access-control-allow-methods"].find("PUT"),
            std::string::npos);
  EXPECT_NE(headers["access-control-allow-headers"].find("x-api-key"),
            std::string::npos);
  EXPECT_EQ(headers["access-control-max-age"], "600");
  EXPECT_EQ(headers["access-control-allow-credentials"], "true");
  EXPECT_NE(headers["vary"].find("Access-Control-Request-Method"),
            std::string::npos);
}

TEST_F(CorsdTest, CheckAllowedActualRequestContinuesWithHeaders) {
  // No context_extensions: the tenant comes from the API host.
  authz::CheckResponse r = CallCheck(Check({{":method", "GET"},
                                            {":authority", "api.acme.com"},
                                            {":path", "/v1/items"},
                                            {"origin", "https://shop.acme.com"},
                                            {"cookie", "session=1"}},
                                           /*tenant=*/""));
  EXPECT_EQ(r.status().code(), 0);
  ASSERT_TRUE(r.has_ok_response());
  std::map<std::string, bool> appends;
  std::map<std::string, std::string> values;
  for (const auto& h : r.ok_response().response_headers_to_add()) {
    ASSERT_TRUE(h.has_append());
    appends[h.header().key()] = h.append().value();
    values[h.header().key()] = h.header().value();
  }
  EXPECT_EQ(values["access-control-allow-origin"], "https://shop.acme.com");
  EXPECT_FALSE(appends["access-control-allow-origin"]);
  EXPECT_EQ(values["access-control-allow-credentials"], "true");
  EXPECT_TRUE(appends["vary"]);
}

TEST_F(CorsdTest, CheckRefusedWebSocketIsDenied403) {
  authz::CheckResponse r = CallCheck(Check({{":method", "GET"},
                                            {":authority", "api.acme.com"},
                                            {":path", "/ws"},
                                            {"origin", "https://evil.com"},
                                            {"upgrade", "websocket"},
                                            {"connection", "Upgrade"}}));
  EXPECT_NE(r.status().code(), 0);
  ASSERT_TRUE(r.has_denied_response());
  EXPECT_EQ(r.denied_response().status().code(), envoy::type::v3::Forbidden);
  EXPECT_EQ(r.status().message(), "REASON_R13_WEBSOCKET_REFUSED");
}

// R13 for every policy unless it sets allow_cross_origin_websocket: a policy
// stored with the deprecated enforce_websocket_origin keeps its meaning, one
// without it is enforced too.
TEST_F(CorsdTest, R13IsOnUnlessThePolicyAllowsCrossOriginWebsocket) {
  auto admin = v1::Admin::NewStub(admin_);
  v1::PutTenantRequest legacy;
  legacy.mutable_tenant()->set_id("ws-legacy");
  legacy.mutable_tenant()->mutable_policy()->set_enforce_websocket_origin(true);
  v1::PutTenantRequest plain;
  plain.mutable_tenant()->set_id("ws-plain");
  v1::PutTenantRequest open;
  open.mutable_tenant()->set_id("ws-open");
  open.mutable_tenant()->mutable_policy()->set_allow_cross_origin_websocket(
      true);
  for (const v1::PutTenantRequest& put : {legacy, plain, open}) {
    v1::PutTenantResponse response;
    grpc::Status s = admin->PutTenant(Context(corsd_->authorization()).get(),
                                      put, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  for (const auto& [tenant, reason, status] :
       std::vector<std::tuple<std::string, v1::Reason, uint32_t>>{
           {"ws-legacy", v1::REASON_R13_WEBSOCKET_REFUSED, 403},
           {"ws-plain", v1::REASON_R13_WEBSOCKET_REFUSED, 403},
           {"ws-open", v1::REASON_R2_ORIGIN_NOT_ALLOWED, 0}}) {
    v1::DecideRequest r = Actual("https://evil.com");
    r.set_tenant(tenant);
    r.mutable_request()->set_upgrade("websocket");
    r.mutable_request()->set_connection("Upgrade");
    const v1::Decision d = Decide(r);
    EXPECT_EQ(d.reason(), reason) << tenant;
    EXPECT_EQ(d.status(), status) << tenant;
  }
}

// --unknown-host defaults to deny: an unsafe method or a WebSocket handshake
// with a cross-site Origin to a host no tenant owns is 403; GET continues.
TEST_F(CorsdTest, CheckUnknownHostDeniesUnsafeAndWebSocketByDefault) {
  authz::CheckResponse put = CallCheck(Check({{":method", "PUT"},
                                              {":authority", "unknown.example"},
                                              {":path", "/v1/items"},
                                              {"origin", "https://evil.com"}},
                                             /*tenant=*/""));
  ASSERT_TRUE(put.has_denied_response());
  EXPECT_EQ(put.denied_response().status().code(), envoy::type::v3::Forbidden);
  EXPECT_EQ(put.status().message(), "REASON_UNKNOWN_HOST_DENIED");
  authz::CheckResponse ws = CallCheck(Check({{":method", "GET"},
                                             {":authority", "unknown.example"},
                                             {":path", "/ws"},
                                             {"origin", "null"},
                                             {"upgrade", "websocket"},
                                             {"connection", "Upgrade"}},
                                            /*tenant=*/""));
  ASSERT_TRUE(ws.has_denied_response());
  EXPECT_EQ(ws.status().message(), "REASON_UNKNOWN_HOST_DENIED");
  authz::CheckResponse get = CallCheck(Check({{":method", "GET"},
                                              {":authority", "unknown.example"},
                                              {":path", "/v1/items"},
                                              {"origin", "https://evil.com"}},
                                             /*tenant=*/""));
  EXPECT_EQ(get.status().code(), 0);
  EXPECT_TRUE(get.has_ok_response());
  authz::CheckResponse no_origin =
      CallCheck(Check({{":method", "PUT"},
                       {":authority", "unknown.example"},
                       {":path", "/v1/items"}},
                      /*tenant=*/""));
  EXPECT_EQ(no_origin.status().code(), 0);
}

TEST_F(CorsdTest, CheckTenantFromTheConfiguredHeader) {
  authz::CheckResponse r =
      CallCheck(Check({{":method", "GET"},
                       {":authority", "unknown.example"},
                       {"x-tenant", "acme"},
                       {"origin", "https://shop.acme.com"}},
                      /*tenant=*/""));
  EXPECT_EQ(r.status().code(), 0);
  bool has_allow_origin = false;
  for (const auto& h : r.ok_response().response_headers_to_add()) {
    has_allow_origin |= h.header().key() == "access-control-allow-origin";
  }
  EXPECT_TRUE(has_allow_origin);
}

TEST_F(CorsdTest, StatsCountDecisionsByReason) {
  Decide(Actual("https://shop.acme.com"));
  v1::StatsResponse stats;
  grpc::Status s = v1::Admin::NewStub(admin_)->Stats(
      Context(corsd_->authorization()).get(), {}, &stats);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GE(stats.decisions().at("REASON_R2_ORIGIN_ALLOWED"), 1u);
  EXPECT_GE(stats.origins(), 1u);
}

// Own process: import, export, SIGTERM exit 0, restart on the same data.
TEST(CorsdLifecycleTest, ImportExportSigtermAndRestartKeepData) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  auto started = CorsdProcess::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  CorsdProcess& corsd = **started;
  {
    auto admin = v1::Admin::NewStub(Connect(corsd.admin_address()));
    auto context = Context(corsd.authorization());
    v1::ImportResponse imported;
    auto writer = admin->Import(context.get(), &imported);
    v1::ImportChunk first;
    first.add_tenants()->set_id("globex");
    ASSERT_TRUE(writer->Write(first));
    v1::ImportChunk second;
    for (int i = 0; i < 50; ++i) {
      v1::EntryOp* op = second.add_ops();
      op->set_op(v1::EntryOp::OP_ADD);
      op->set_kind(v1::ENTRY_KIND_ORIGIN);
      op->set_tenant("globex");
      op->set_value("https://s" + std::to_string(i) + ".globex.com");
    }
    ASSERT_TRUE(writer->Write(second));
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(imported.tenants(), 1u);
    EXPECT_EQ(imported.added(), 50u);
  }
  absl::StatusOr<int> code = corsd.Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << corsd.stderr_output();

  ASSERT_TRUE(corsd.Restart().ok());
  auto admin = v1::Admin::NewStub(Connect(corsd.admin_address()));
  auto context = Context(corsd.authorization());
  auto reader = admin->Export(context.get(), {});
  v1::ExportChunk chunk;
  int tenants = 0;
  int ops = 0;
  while (reader->Read(&chunk)) {
    tenants += chunk.tenants_size();
    ops += chunk.ops_size();
  }
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(tenants, 1);
  EXPECT_EQ(ops, 50);

  v1::DecideRequest request;
  request.set_tenant("globex");
  request.mutable_request()->set_method("GET");
  request.mutable_request()->set_origin("https://s7.globex.com");
  v1::DecideResponse response;
  s = v1::Decider::NewStub(Connect(corsd.decision_address()))
          ->Decide(Context().get(), request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.decision().reason(), v1::REASON_R2_ORIGIN_ALLOWED);
}

TEST(CorsdLifecycleTest, StartupErrorsExitNonZero) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.extra_args = {"--tls-cert", "/nonexistent/cert.pem"};
  auto started = CorsdProcess::Start(options);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(started.status().message().find("--tls-cert"), std::string::npos)
      << started.status();
}

}  // namespace
}  // namespace corsd::rpc
