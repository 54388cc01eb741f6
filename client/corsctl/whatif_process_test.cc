// `corsctl what-if` against the real corsd (port 0): known traffic through
// the Decider and /auth, then each proposed change must report exactly the
// expected flips with exit 1 (0 when nothing flips, 3 when the change is
// refused), and nothing is applied (entries and decisions afterwards
// unchanged). A second corsd records nothing and replays a --decision-log file
// instead.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "client/testing/subprocess.h"
#include "corsd/v1/admin.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::corsctl {
namespace {

using ::corsd::testing::ProcessResult;

#define EXPECT_HAS(haystack, needle) \
  EXPECT_TRUE(absl::StrContains(haystack, needle)) << (haystack)

// (door, origin, method, count, before allowed, after allowed, source) per
// flip.
using Flip = std::tuple<std::string, std::string, std::string, uint64_t, bool,
                        bool, std::string>;

class WhatIfProcessTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra_args, bool http = false) {
    char dir_template[] = "/tmp/whatif_process_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    corsd::testing::CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.extra_args = std::move(extra_args);
    options.http = http;
    options.token = token_;
    auto process = corsd::testing::CorsdProcess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    corsd_ = *std::move(process);
    token_file_ = dir_ + "/token";
    std::ofstream(token_file_) << corsd_->token() << "\n";
    client::ClientOptions client_options;
    client_options.connection.addr = corsd_->decision_address();
    auto decider = client::DeciderClient::Create(client_options);
    ASSERT_TRUE(decider.ok()) << decider.status();
    decider_ = *std::move(decider);
    if (http) {
      const size_t colon = corsd_->http_address().rfind(':');
      http_ = std::make_unique<httplib::Client>(
          corsd_->http_address().substr(0, colon),
          std::stoi(corsd_->http_address().substr(colon + 1)));
    }
  }
  void TearDown() override {
    corsd_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // `token_file` empty: the full-scope token corsd was started with.
  ProcessResult Run(std::vector<std::string> args,
                    const std::string& token_file = "") {
    std::vector<std::string> argv = {CORSCTL_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    corsd::testing::ProcessOptions options;
    options.env = {
        {"CORSD_ADDR", corsd_->decision_address()},
        {"CORSD_ADMIN_ADDR", corsd_->admin_address()},
        {"CORSD_TOKEN_FILE", token_file.empty() ? token_file_ : token_file}};
    auto result = corsd::testing::RunProcess(argv, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ProcessResult();
  }

  // tenant shop: PUT allowed, credentials; origins a, b; *.shop.example.
  void SetUpShop() {
    ASSERT_EQ(
        Run({"tenant", "put", "shop", "--allow-method", "PUT", "--credentials"})
            .exit_code,
        0);
    ASSERT_EQ(Run({"origins", "add", "shop", "https://a.example.com",
                   "https://b.example.com"})
                  .exit_code,
              0);
    ASSERT_EQ(
        Run({"wildcards", "add", "shop", "https://*.shop.example"}).exit_code,
        0);
  }

  // Decides a request for shop through the Decider; returns its reason.
  corsd::v1::Reason Decide(const std::string& origin,
                           const std::string& method = "GET",
                           bool credentials = false,
                           const std::string& acrm = "") {
    corsd::v1::DecideRequest req;
    req.set_tenant("shop");
    corsd::v1::HttpRequest* r = req.mutable_request();
    r->set_method(method);
    r->set_scheme("https");
    r->set_host("api.shop.test");
    r->set_path("/v1/cart?id=7");
    r->set_origin(origin);
    if (!acrm.empty()) r->set_access_control_request_method(acrm);
    r->set_credentials(credentials);
    auto d = decider_->Decide(req);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? d->reason() : corsd::v1::REASON_UNSPECIFIED;
  }

  // Runs what-if with `args` and --json; checks the exit code and returns
  // the answer's flips.
  std::set<Flip> WhatIf(std::vector<std::string> args, int want_exit,
                        corsd::v1::WhatIfResponse* out = nullptr) {
    args.insert(args.begin(), "what-if");
    args.push_back("--json");
    const ProcessResult r = Run(args);
    EXPECT_EQ(r.exit_code, want_exit) << r.out << r.err;
    corsd::v1::WhatIfResponse response;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(r.out, &response).ok())
        << r.out;
    std::set<Flip> flips;
    for (const corsd::v1::WhatIfChange& c : response.changes()) {
      if (!c.flips()) continue;
      flips.emplace(c.shape().shape().door(), c.shape().shape().origin(),
                    c.shape().shape().method(), c.shape().count(),
                    c.before().allowed(), c.after().allowed(), c.source());
    }
    EXPECT_EQ(response.flips(), flips.size());
    if (out != nullptr) *out = response;
    return flips;
  }

  std::string dir_;
  std::string token_;  // empty: CorsdProcess draws one
  std::string token_file_;
  std::unique_ptr<corsd::testing::CorsdProcess> corsd_;
  std::unique_ptr<client::DeciderClient> decider_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(WhatIfProcessTest, RecordedTrafficFlipsExactlyAsExpected) {
  ASSERT_NO_FATAL_FAILURE(
      Start({"--whatif-shapes-per-tenant", "256", "--whatif-sample", "1"},
            /*http=*/true));
  ASSERT_NO_FATAL_FAILURE(SetUpShop());
  ASSERT_EQ(Run({"api-hosts", "add", "shop", "api.shop.test"}).exit_code, 0);
  // Two /auth calls (the HTTP door, tenant found by host): their own shape.
  for (int i = 0; i < 2; ++i) {
    auto res = http_->Get(
        "/auth", httplib::Headers{{"X-Original-Method", "GET"},
                                  {"X-Original-Host", "api.shop.test"},
                                  {"X-Original-URI", "/v1/cart"},
                                  {"Origin", "https://a.example.com"}});
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Decide("https://a.example.com"),
              corsd::v1::REASON_R2_ORIGIN_ALLOWED);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Decide("https://b.example.com", "GET", true),
              corsd::v1::REASON_R2_ORIGIN_ALLOWED);
  }
  EXPECT_EQ(Decide("https://c.example.com"),
            corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  EXPECT_EQ(Decide("https://x.shop.example"),
            corsd::v1::REASON_R2_WILDCARD_ALLOWED);
  EXPECT_EQ(Decide("https://a.example.com", "OPTIONS", false, "PUT"),
            corsd::v1::REASON_R6_PREFLIGHT_ALLOWED);

  // No change: nothing flips, exit 0; every shape was replayed.
  corsd::v1::WhatIfResponse response;
  EXPECT_TRUE(WhatIf({"--tenant", "shop"}, 0, &response).empty());
  EXPECT_EQ(response.shapes(), 6u);
  EXPECT_EQ(response.decisions(), 10u);
  EXPECT_TRUE(response.recording());
  // The recorder on /metrics (the what-if call flushed its ring).
  auto metrics = http_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_HAS(metrics->body, "corsd_whatif_shapes 6\n");
  EXPECT_HAS(metrics->body, "corsd_whatif_tenants 1\n");
  EXPECT_HAS(metrics->body,
             "corsd_whatif_shapes_dropped_total{cause=\"ring_full\"} 0\n");

  EXPECT_EQ(
      WhatIf({"--tenant", "shop", "--rm-origin", "https://a.example.com"}, 1),
      (std::set<Flip>{
          {"decide", "https://a.example.com", "GET", 3, true, false,
           "recorded"},
          {"http", "https://a.example.com", "GET", 2, true, false, "recorded"},
          {"decide", "https://a.example.com", "OPTIONS", 1, true, false,
           "recorded"}}));
  EXPECT_EQ(
      WhatIf({"--tenant", "shop", "--add-origin", "HTTPS://C.EXAMPLE.COM"}, 1),
      (std::set<Flip>{{"decide", "https://c.example.com", "GET", 1, false, true,
                       "recorded"}}));
  // A policy without credentials: the credentialed caller flips.
  const std::string policy = dir_ + "/policy.json";
  std::ofstream(policy) << R"({"allowed_methods":["PUT"]})";
  EXPECT_EQ(WhatIf({"--tenant", "shop", "--policy", policy}, 1),
            (std::set<Flip>{{"decide", "https://b.example.com", "GET", 2, true,
                             true, "recorded"}}));

  // The text report says the same.
  ProcessResult text = Run({"what-if", "--tenant", "shop", "--rm-wildcard",
                            "https://*.shop.example"});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_HAS(text.out, "1 flip(s)");
  EXPECT_HAS(text.out, "x1  [decide] GET https://x.shop.example");
  EXPECT_HAS(text.out,
             "after:  refused (R2 REASON_R2_ORIGIN_NOT_ALLOWED, continue)");

  // A refused change: exit 3, the field named, nothing applied.
  ProcessResult bad = Run({"what-if", "--tenant", "shop", "--add-origin",
                           "https://ok.example.com", "--add-origin",
                           "https://bad example.com"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_HAS(bad.err, "add_origins[1] field value");
  ProcessResult unknown = Run({"what-if", "--tenant", "nobody"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_EQ(Run({"what-if"}).exit_code, 2);

  // Nothing was applied: entries and decisions as before.
  ProcessResult ls = Run({"origins", "ls", "shop"});
  EXPECT_EQ(ls.exit_code, 0);
  EXPECT_HAS(ls.out, "https://a.example.com");
  EXPECT_FALSE(absl::StrContains(ls.out, "c.example.com")) << ls.out;
  EXPECT_FALSE(absl::StrContains(ls.out, "ok.example.com")) << ls.out;
  EXPECT_EQ(Decide("https://a.example.com"),
            corsd::v1::REASON_R2_ORIGIN_ALLOWED);
  EXPECT_EQ(Decide("https://c.example.com"),
            corsd::v1::REASON_R2_ORIGIN_NOT_ALLOWED);
  EXPECT_EQ(Decide("https://x.shop.example"),
            corsd::v1::REASON_R2_WILDCARD_ALLOWED);
  EXPECT_TRUE(WhatIf({"--tenant", "shop"}, 0).empty());
}

TEST_F(WhatIfProcessTest, DecisionLogReplayedWhenRecordingIsOff) {
  char tmpl[] = "/tmp/whatif_log_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string log_dir = tmpl;
  const std::string log = log_dir + "/decisions.jsonl";
  ASSERT_NO_FATAL_FAILURE(
      Start({"--whatif-shapes-per-tenant", "0", "--decision-log", log,
             "--decision-log-sample", "1"}));
  ASSERT_NO_FATAL_FAILURE(SetUpShop());
  for (int i = 0; i < 2; ++i) Decide("https://a.example.com");
  Decide("https://c.example.com");
  Decide("https://a.example.com", "OPTIONS", false, "PUT");  // skipped
  // The log is written by a background thread: wait for the four lines.
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(log);
    int lines = 0;
    std::string line;
    while (std::getline(in, line)) ++lines;
    if (lines >= 4) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  corsd::v1::WhatIfResponse response;
  EXPECT_TRUE(WhatIf({"--tenant", "shop"}, 0, &response).empty());
  EXPECT_FALSE(response.recording());
  EXPECT_EQ(response.shapes(), 0u);
  EXPECT_EQ(WhatIf({"--tenant", "shop", "--rm-origin", "https://a.example.com",
                    "--log", log},
                   1, &response),
            (std::set<Flip>{{"decide", "https://a.example.com", "GET", 2, true,
                             false, "request"}}));
  EXPECT_EQ(response.shapes(), 2u);
  EXPECT_EQ(WhatIf({"--tenant", "shop", "--add-origin", "https://c.example.com",
                    "--log", log},
                   1),
            (std::set<Flip>{{"decide", "https://c.example.com", "GET", 1, false,
                             true, "request"}}));
  std::filesystem::remove_all(log_dir);
}

TEST_F(WhatIfProcessTest, ScopedTokenReachesOnlyItsTenants) {
  char tmpl[] = "/tmp/whatif_tokens_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string tokens_dir = tmpl;
  token_ = "0123456789abcdef0123456789abcdef";
  const std::string scoped = "fedcba9876543210fedcba9876543210";
  std::ofstream(tokens_dir + "/tokens") << token_ << "\n"
                                        << scoped << " id=ops tenants=other\n";
  std::ofstream(tokens_dir + "/scoped") << scoped << "\n";
  ASSERT_NO_FATAL_FAILURE(Start({"--admin-token-file", tokens_dir + "/tokens",
                                 "--whatif-shapes-per-tenant", "256"}));
  ASSERT_NO_FATAL_FAILURE(SetUpShop());
  ASSERT_EQ(Run({"tenant", "put", "other"}).exit_code, 0);
  Decide("https://a.example.com");
  // Full scope: both tenants.
  EXPECT_EQ(Run({"what-if", "--tenant", "shop"}).exit_code, 0);
  // Scoped to "other": shop is refused before anything is read.
  ProcessResult refused = Run(
      {"what-if", "--tenant", "shop", "--rm-origin", "https://a.example.com"},
      tokens_dir + "/scoped");
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_HAS(refused.err, "ops");
  EXPECT_FALSE(absl::StrContains(refused.out, "a.example.com")) << refused.out;
  ProcessResult own =
      Run({"what-if", "--tenant", "other"}, tokens_dir + "/scoped");
  EXPECT_EQ(own.exit_code, 0) << own.err;
  std::filesystem::remove_all(tokens_dir);
}

}  // namespace
}  // namespace corsd::corsctl
