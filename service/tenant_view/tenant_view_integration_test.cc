// The per-tenant view in the real corsd (CorsdProcess on port 0): refusals
// decided through the Decider appear in Admin TopRefused (counts, error 0,
// reason, rule, last seen) and in `corsctl top --json` and its table, the
// /metrics series counts them per tenant, a token is required, bad requests
// are refused naming the field, a tenant-scoped token sees its own
// tenants only, and with --tenant-view=false the RPC and
// corsctl say the view is off; a bad --tenant-view-* flag stops corsd with
// a message naming it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/testing/subprocess.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/origin/testing/json_reader.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::tenant_view {
namespace {

using corsd::testing::CorsdProcess;

constexpr absl::string_view kFullToken = "tenant-view-test-token-0123456789";
constexpr absl::string_view kScopedToken = "tenant-view-scoped-token-98765";

class TenantViewIntegrationTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    char tmpl[] = "/tmp/corsd-tenant-view-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    token_file_ = dir_ + "/token";
    corsd::testing::CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.http = true;
    options.token = std::string(kFullToken);
    // Our own token file: the full token and one scoped to "shop" (it
    // overrides the one CorsdProcess writes: extra_args come last).
    std::ofstream(token_file_)
        << options.token << "\n"
        << kScopedToken << " id=shop-only tenants=shop\n";
    options.extra_args = {"--domain-verify-concurrency", "0",
                          "--admin-token-file", token_file_};
    options.extra_args.insert(options.extra_args.end(), flags.begin(),
                              flags.end());
    auto corsd = CorsdProcess::Start(options);
    ASSERT_TRUE(corsd.ok()) << corsd.status();
    corsd_ = *std::move(corsd);
    decider_ = corsd::v1::Decider::NewStub(grpc::CreateChannel(
        corsd_->decision_address(), grpc::InsecureChannelCredentials()));
    admin_ = corsd::v1::Admin::NewStub(grpc::CreateChannel(
        corsd_->admin_address(), grpc::InsecureChannelCredentials()));
    for (const char* tenant : {"acme", "shop"}) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", corsd_->authorization());
      corsd::v1::PutTenantRequest put;
      put.mutable_tenant()->set_id(tenant);
      put.mutable_tenant()->mutable_policy()->add_allowed_methods("PUT");
      corsd::v1::PutTenantResponse resp;
      ASSERT_TRUE(admin_->PutTenant(&ctx, put, &resp).ok());
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", corsd_->authorization());
    corsd::v1::WriteEntriesRequest write;
    auto* op = write.add_ops();
    op->set_op(corsd::v1::EntryOp::OP_ADD);
    op->set_kind(corsd::v1::ENTRY_KIND_ORIGIN);
    op->set_tenant("acme");
    op->set_value("https://app.example.com");
    corsd::v1::WriteEntriesResponse resp;
    ASSERT_TRUE(admin_->WriteEntries(&ctx, write, &resp).ok());
  }

  void TearDown() override {
    corsd_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A GET for `tenant` from `origin` through the Decider; its reason.
  corsd::v1::Reason Decide(const std::string& tenant,
                           const std::string& origin) {
    corsd::v1::DecideRequest req;
    req.set_tenant(tenant);
    req.mutable_request()->set_method("GET");
    req.mutable_request()->set_scheme("https");
    req.mutable_request()->set_host("api.example.test");
    req.mutable_request()->set_path("/v1/items");
    req.mutable_request()->set_origin(origin);
    corsd::v1::DecideResponse resp;
    grpc::ClientContext ctx;
    const grpc::Status s = decider_->Decide(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.decision().reason();
  }

  // TopRefused with the full token, none (token ""), or another token.
  grpc::Status Top(const corsd::v1::TopRefusedRequest& req,
                   corsd::v1::TopRefusedResponse* resp,
                   absl::string_view token = kFullToken) {
    grpc::ClientContext ctx;
    if (!token.empty()) {
      ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    }
    return admin_->TopRefused(&ctx, req, resp);
  }

  // TopRefused for `tenant` once its window holds `refusals` (the folder
  // runs every few ms), or the last answer after 10 s.
  corsd::v1::TopRefusedResponse TopWhenFolded(const std::string& tenant,
                                              uint64_t refusals) {
    corsd::v1::TopRefusedRequest req;
    req.set_tenant(tenant);
    corsd::v1::TopRefusedResponse resp;
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (true) {
      resp.Clear();
      const grpc::Status s = Top(req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok() || resp.window_refusals() >= refusals ||
          absl::Now() > deadline) {
        return resp;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  absl::StatusOr<corsd::testing::ProcessResult> Corsctl(
      std::vector<std::string> args) {
    std::vector<std::string> argv = {CORSCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--admin-addr", corsd_->admin_address(),
                             "--token-file", token_file_});
    corsd::testing::ProcessOptions options;
    options.timeout_seconds = 60;
    return corsd::testing::RunProcess(argv, options);
  }

  std::string dir_;
  std::string token_file_;
  std::unique_ptr<CorsdProcess> corsd_;
  std::unique_ptr<corsd::v1::Decider::Stub> decider_;
  std::unique_ptr<corsd::v1::Admin::Stub> admin_;
};

TEST_F(TenantViewIntegrationTest, RefusalsDecidedAreListedByTheRpcAndCorsctl) {
  Start({"--tenant-view-window", "60s"});
  const int64_t before_ms = absl::ToUnixMillis(absl::Now());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Decide("acme", "https://evil.example"),
              corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  }
  for (int i = 0; i < 2; ++i) Decide("acme", "https://other.example");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Decide("acme", "https://app.example.com"),
              corsd::v1::REASON_R2_ORIGIN_ALLOWED);
  }
  Decide("shop", "https://evil.example");
  const int64_t after_ms = absl::ToUnixMillis(absl::Now());

  const corsd::v1::TopRefusedResponse top = TopWhenFolded("acme", 7);
  EXPECT_EQ(top.window_refusals(), 7u);
  EXPECT_EQ(top.window_seconds(), 60u);
  EXPECT_FALSE(top.shared_sketch());
  EXPECT_EQ(top.sketch_capacity(), 16u);
  EXPECT_EQ(top.dropped_tenant_rate(), 0u);
  ASSERT_EQ(top.origins_size(), 2);
  const corsd::v1::RefusedOrigin& first = top.origins(0);
  EXPECT_EQ(first.origin(), "https://evil.example");
  EXPECT_TRUE(first.has_origin());
  EXPECT_EQ(first.count(), 5u);
  EXPECT_EQ(first.error(), 0u);
  EXPECT_EQ(first.reason(), corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  EXPECT_EQ(first.rule(), "R2");
  // Within the coarse clock's few ms of the calls.
  EXPECT_GE(first.last_seen_unix_ms(), before_ms - 50);
  EXPECT_LE(first.last_seen_unix_ms(), after_ms + 50);
  EXPECT_EQ(top.origins(1).origin(), "https://other.example");
  EXPECT_EQ(top.origins(1).count(), 2u);

  const corsd::v1::TopRefusedResponse shop = TopWhenFolded("shop", 1);
  ASSERT_EQ(shop.origins_size(), 1);
  EXPECT_EQ(shop.origins(0).count(), 1u);

  // limit, token, bad requests.
  corsd::v1::TopRefusedRequest req;
  req.set_tenant("acme");
  req.set_limit(1);
  corsd::v1::TopRefusedResponse resp;
  ASSERT_TRUE(Top(req, &resp).ok());
  EXPECT_EQ(resp.origins_size(), 1);
  EXPECT_EQ(Top(req, &resp, /*token=*/"").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A token scoped to "shop" reads shop's refusals only, and not those no
  // tenant owned.
  EXPECT_EQ(Top(req, &resp, kScopedToken).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  corsd::v1::TopRefusedRequest shop_req;
  shop_req.set_tenant("shop");
  resp.Clear();
  ASSERT_TRUE(Top(shop_req, &resp, kScopedToken).ok());
  EXPECT_EQ(resp.origins_size(), 1);
  corsd::v1::TopRefusedRequest unknown_req;
  unknown_req.set_unknown_tenant(true);
  EXPECT_EQ(Top(unknown_req, &resp, kScopedToken).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Top(unknown_req, &resp).ok());
  req.set_limit(5000);
  grpc::Status bad = Top(req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(bad.error_message(), "limit 5000"))
      << bad.error_message();
  req.set_limit(0);
  req.set_tenant("");
  bad = Top(req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(bad.error_message(), "tenant"));

  // corsctl top --json: the same answer.
  absl::StatusOr<corsd::testing::ProcessResult> json =
      Corsctl({"top", "--tenant", "acme", "--json"});
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ(json->exit_code, 0) << json->err;
  absl::StatusOr<origin::testing::JsonValue> v =
      origin::testing::ParseJson(json->out);
  ASSERT_TRUE(v.ok()) << v.status() << ": " << json->out;
  const origin::testing::JsonValue* origins = v->Find("origins");
  ASSERT_NE(origins, nullptr) << json->out;
  ASSERT_EQ(origins->items().size(), 2u) << json->out;
  EXPECT_EQ(origins->items()[0].Find("origin")->string_value(),
            "https://evil.example");
  EXPECT_EQ(origins->items()[0].Find("count")->string_value(), "5");
  EXPECT_EQ(origins->items()[0].Find("reason")->string_value(),
            "REASON_R2_ORIGIN_NOT_ALLOWED");
  EXPECT_EQ(v->Find("window_refusals")->string_value(), "7");

  // The table.
  absl::StatusOr<corsd::testing::ProcessResult> text =
      Corsctl({"top", "--tenant", "acme", "--limit", "1"});
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_EQ(text->exit_code, 0) << text->err;
  EXPECT_TRUE(
      absl::StartsWith(text->out, "tenant acme: 7 refusal(s) in the last 1m\n"))
      << text->out;
  EXPECT_TRUE(absl::StrContains(text->out, "https://evil.example  5 "))
      << text->out;
  EXPECT_FALSE(absl::StrContains(text->out, "other.example")) << text->out;
  EXPECT_TRUE(absl::StrContains(text->out, "\n1 origin(s)\n")) << text->out;

  // Usage errors exit 2.
  absl::StatusOr<corsd::testing::ProcessResult> usage = Corsctl({"top"});
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->exit_code, 2) << usage->err;

  // /metrics: one series per refusing tenant (2, under the default 20).
  std::vector<std::string> hp = absl::StrSplit(corsd_->http_address(), ':');
  ASSERT_EQ(hp.size(), 2u);
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(hp[1], &port));
  httplib::Client http(hp[0], port);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics) << "GET /metrics failed";
  EXPECT_TRUE(absl::StrContains(metrics->body,
                                "corsd_tenant_refusals{tenant=\"acme\"} 7\n"))
      << metrics->body;
  EXPECT_TRUE(absl::StrContains(metrics->body,
                                "corsd_tenant_refusals{tenant=\"shop\"} 1\n"));
  EXPECT_TRUE(absl::StrContains(
      metrics->body, "corsd_tenant_view_dropped_total{cause=\"ring_full\"} 0"));
}

// Issue 15: "one tenant's refusals cannot push another tenant's out of the
// log or the sketch". Tenant acme floods 20,000 refusals from 5,000 origins
// (DecideBatch), shop's 3 refusals interleaved: shop's are all in the
// decision log and listed with exact counts; acme's are folded or counted
// as dropped, every one.
TEST_F(TenantViewIntegrationTest, AFloodCannotPushAnotherTenantOut) {
  const std::string log =
      "/tmp/corsd-tenant-view-flood-" + std::to_string(getpid()) + ".log";
  std::filesystem::remove(log);
  Start({"--decision-log", log});
  constexpr int kBatches = 20;
  constexpr int kPerBatch = 1000;
  const std::vector<std::string> shop = {
      "https://b1.example", "https://b2.example", "https://b1.example"};
  for (int b = 0; b < kBatches; ++b) {
    corsd::v1::DecideBatchRequest batch;
    for (int i = 0; i < kPerBatch; ++i) {
      corsd::v1::DecideRequest* r = batch.add_requests();
      r->set_tenant("acme");
      r->mutable_request()->set_method("GET");
      r->mutable_request()->set_scheme("https");
      r->mutable_request()->set_host("api.example.test");
      r->mutable_request()->set_path("/v1/items");
      r->mutable_request()->set_origin(
          absl::StrCat("https://a", (b * kPerBatch + i) % 5000, ".example"));
    }
    corsd::v1::DecideBatchResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(decider_->DecideBatch(&ctx, batch, &resp).ok());
    ASSERT_EQ(resp.decisions_size(), kPerBatch);
    for (const corsd::v1::Decision& d : resp.decisions()) {
      ASSERT_EQ(d.reason(), corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
    }
    if (b % 7 == 3) Decide("shop", shop[b / 7]);
  }

  const corsd::v1::TopRefusedResponse s = TopWhenFolded("shop", 3);
  std::map<std::string, uint64_t> counts;
  for (const corsd::v1::RefusedOrigin& o : s.origins()) {
    counts[o.origin()] = o.count();
    EXPECT_EQ(o.error(), 0u) << o.origin();
  }
  EXPECT_EQ(counts, (std::map<std::string, uint64_t>{
                        {"https://b1.example", 2}, {"https://b2.example", 1}}));
  EXPECT_EQ(s.dropped_tenant_rate(), 0u);

  // acme: folded + dropped == sent, once the folder caught up.
  corsd::v1::TopRefusedResponse a;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    corsd::v1::TopRefusedRequest req;
    req.set_tenant("acme");
    req.set_limit(1000);
    a.Clear();
    ASSERT_TRUE(Top(req, &a).ok());
    if (a.window_refusals() + a.dropped_tenant_rate() + a.dropped_ring_full() >=
        kBatches * kPerBatch) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < deadline);
  EXPECT_EQ(
      a.window_refusals() + a.dropped_tenant_rate() + a.dropped_ring_full(),
      static_cast<uint64_t>(kBatches * kPerBatch));
  EXPECT_GT(a.dropped_tenant_rate(), 0u);  // the flood hit acme's budget
  EXPECT_GT(a.origins_size(), 0);
  for (const corsd::v1::RefusedOrigin& o : a.origins()) {
    EXPECT_LE(o.error(), a.window_refusals() / a.sketch_capacity());
  }

  // The decision log holds shop's 3 refusals (its writer runs every few ms).
  int shop_lines = 0;
  const absl::Time log_deadline = absl::Now() + absl::Seconds(10);
  do {
    shop_lines = 0;
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StrContains(line, "\"tenant\":\"shop\"")) ++shop_lines;
    }
    if (shop_lines >= 3) break;
    absl::SleepFor(absl::Milliseconds(20));
  } while (absl::Now() < log_deadline);
  EXPECT_EQ(shop_lines, 3);
  std::filesystem::remove(log);
}

TEST_F(TenantViewIntegrationTest, OffTheRpcAndCorsctlSaySo) {
  Start({"--tenant-view=false"});
  Decide("acme", "https://evil.example");
  corsd::v1::TopRefusedRequest req;
  req.set_tenant("acme");
  corsd::v1::TopRefusedResponse resp;
  const grpc::Status s = Top(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "--tenant-view"));
  absl::StatusOr<corsd::testing::ProcessResult> out =
      Corsctl({"top", "--tenant", "acme"});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->exit_code, 1);
  EXPECT_TRUE(absl::StrContains(out->err, "per-tenant view is off"))
      << out->err;
}

TEST(TenantViewFlagsTest, ABadFlagStopsCorsdNamingIt) {
  for (const auto& [flag, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"--tenant-view-top-k", "0"},
           {"--tenant-view-tenants", "70000"},
           {"--tenant-view-window", "3s"}}) {
    corsd::testing::CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.extra_args = {flag, value};
    auto corsd = CorsdProcess::Start(options);
    ASSERT_FALSE(corsd.ok()) << flag;
    EXPECT_TRUE(
        absl::StrContains(corsd.status().message(), absl::StrCat(flag, " \"")))
        << corsd.status();
  }
}

}  // namespace
}  // namespace corsd::tenant_view
