// corsd's HTTP listener in the real binary: started with --http-listen
// 127.0.0.1:0 by CorsdProcess, configured through the Admin gRPC API, asked
// over HTTP. Checks the startup line, that an admin write is visible to
// /ask and /auth as soon as it is acknowledged, that decisions and admin
// writes show in /metrics, and that SIGTERM exits 0 while serving.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::http {
namespace {

using corsd::testing::CorsdProcess;

class HttpIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    corsd::testing::CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.http = true;
    auto corsd = CorsdProcess::Start(options);
    ASSERT_TRUE(corsd.ok()) << corsd.status();
    corsd_ = *std::move(corsd);
    ASSERT_FALSE(corsd_->http_address().empty());
    std::vector<std::string> hp = absl::StrSplit(corsd_->http_address(), ':');
    ASSERT_EQ(hp.size(), 2u) << corsd_->http_address();
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(hp[1], &port));
    http_ = std::make_unique<httplib::Client>(hp[0], port);
    admin_ = corsd::v1::Admin::NewStub(grpc::CreateChannel(
        corsd_->admin_address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status PutTenant(const std::string& id) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", corsd_->authorization());
    corsd::v1::PutTenantRequest req;
    req.mutable_tenant()->set_id(id);
    auto* policy = req.mutable_tenant()->mutable_policy();
    policy->add_allowed_methods("PUT");
    policy->set_enforce_unsafe_methods(true);
    corsd::v1::PutTenantResponse resp;
    return admin_->PutTenant(&ctx, req, &resp);
  }

  grpc::Status AddEntry(const std::string& tenant, corsd::v1::EntryKind kind,
                        const std::string& value) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", corsd_->authorization());
    corsd::v1::WriteEntriesRequest req;
    auto* op = req.add_ops();
    op->set_op(corsd::v1::EntryOp::OP_ADD);
    op->set_kind(kind);
    op->set_tenant(tenant);
    op->set_value(value);
    corsd::v1::WriteEntriesResponse resp;
    return admin_->WriteEntries(&ctx, req, &resp);
  }

  int Ask(const std::string& domain) {
    auto res = http_->Get("/ask", httplib::Params{{"domain", domain}},
                          httplib::Headers{});
    return res ? res->status : -1;
  }

  std::unique_ptr<CorsdProcess> corsd_;
  std::unique_ptr<httplib::Client> http_;
  std::unique_ptr<corsd::v1::Admin::Stub> admin_;
};

TEST_F(HttpIntegrationTest, StartupLineAndHealth) {
  EXPECT_TRUE(absl::StrContains(
      corsd_->stderr_output(),
      absl::StrCat("corsd: listening http=", corsd_->http_address(), "\n")))
      << corsd_->stderr_output();
  for (const char* path : {"/healthz", "/readyz"}) {
    auto res = http_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  }
}

TEST_F(HttpIntegrationTest, AdminWritesAreVisibleOverHttpWhenAcknowledged) {
  EXPECT_EQ(Ask("shop.customer.com"), 404);
  EXPECT_EQ(Ask("api.acme.com"), 404);
  ASSERT_TRUE(PutTenant("acme").ok());
  ASSERT_TRUE(AddEntry("acme", corsd::v1::ENTRY_KIND_ORIGIN,
                       "https://shop.customer.com")
                  .ok());
  ASSERT_TRUE(
      AddEntry("acme", corsd::v1::ENTRY_KIND_API_HOST, "api.acme.com").ok());
  // No waiting: an acknowledged write is visible on this node. /ask
  // approves the API host, never the host of an origin merely allowed.
  EXPECT_EQ(Ask("shop.customer.com"), 404);
  EXPECT_EQ(Ask("api.acme.com"), 200);
  EXPECT_EQ(Ask("customer.com"), 404);

  auto allowed = http_->Get(
      "/auth", httplib::Headers{{"X-Original-Method", "PUT"},
                                {"X-Original-Host", "api.acme.com"},
                                {"Origin", "https://shop.customer.com"}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"),
            "https://shop.customer.com");
  auto denied =
      http_->Get("/auth", httplib::Headers{{"X-Original-Method", "PUT"},
                                           {"X-Original-Host", "api.acme.com"},
                                           {"Origin", "https://evil.example"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);

  auto metrics = http_->Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  for (const char* want : {
           "corsd_admin_writes_total{rpc=\"PutTenant\",result=\"ok\"} 1\n",
           "corsd_admin_writes_total{rpc=\"WriteEntries\",result=\"ok\"} 2\n",
           "corsd_table_entries{kind=\"origins\"} 1\n",
           "corsd_table_entries{kind=\"api_hosts\"} 1\n",
           "corsd_decisions_total{action=\"ACTION_CONTINUE\","
           "reason=\"REASON_R2_ORIGIN_ALLOWED\"} 1\n",
           "corsd_decisions_total{action=\"ACTION_ANSWER\","
           "reason=\"REASON_R14_UNSAFE_METHOD_DENIED\"} 1\n",
           "corsd_ready 1\n",
       }) {
    EXPECT_TRUE(absl::StrContains(metrics->body, want)) << want << "\n"
                                                        << metrics->body;
  }
}

TEST_F(HttpIntegrationTest, SigtermWhileServingExitsZero) {
  ASSERT_TRUE(http_->Get("/healthz"));
  auto code = corsd_->Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << corsd_->stderr_output();
}

}  // namespace
}  // namespace corsd::http
