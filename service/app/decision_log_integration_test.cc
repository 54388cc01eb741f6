// The decision log in the real corsd (CorsdProcess, --decision-log FILE):
// a decision through each door (Decider gRPC, Envoy ext_authz Check, HTTP
// /auth and /preflight) appears in the file with the decision id that door
// returned to its caller, and never with a cookie or authorization value;
// rotation under load (rename the file, SIGHUP, keep deciding through every
// door) fails no call and loses no line.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::app {
namespace {

namespace authz = ::envoy::service::auth::v3;
using corsd::testing::CorsdProcess;

constexpr char kSecretCookie[] = "session=SECRET-COOKIE-VALUE";
constexpr char kSecretAuthorization[] = "Bearer SECRET-TOKEN-VALUE";

// One parsed log line: the fields the tests compare.
struct Line {
  std::string decision_id;
  std::string door;
  std::string tenant;
  std::string origin;
  std::string reason;
  std::string raw;
};

// The string value of `"key":"..."` in a line corsd wrote (its values hold
// no escaped quote in these tests).
std::string Field(const std::string& line, absl::string_view key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  return line.substr(start, line.find('"', start) - start);
}

std::vector<Line> ReadLog(const std::vector<std::string>& paths) {
  std::vector<Line> out;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    std::string raw;
    while (std::getline(in, raw)) {
      out.push_back(Line{Field(raw, "decision_id"), Field(raw, "door"),
                         Field(raw, "tenant"), Field(raw, "origin"),
                         Field(raw, "reason"), raw});
    }
  }
  return out;
}

class DecisionLogIntegrationTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> log_flags) {
    char tmpl[] = "/tmp/corsd-decision-log-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = dir_ + "/decisions.log";
    corsd::testing::CorsdProcessOptions options;
    options.binary = CORSD_BINARY;
    options.http = true;
    options.extra_args = {"--decision-log", log_, "--domain-verify-concurrency",
                          "0"};
    options.extra_args.insert(options.extra_args.end(), log_flags.begin(),
                              log_flags.end());
    auto corsd = CorsdProcess::Start(options);
    ASSERT_TRUE(corsd.ok()) << corsd.status();
    corsd_ = *std::move(corsd);
    std::vector<std::string> hp = absl::StrSplit(corsd_->http_address(), ':');
    ASSERT_EQ(hp.size(), 2u);
    ASSERT_TRUE(absl::SimpleAtoi(hp[1], &http_port_));
    http_host_ = hp[0];
    channel_ = grpc::CreateChannel(corsd_->decision_address(),
                                   grpc::InsecureChannelCredentials());
    admin_ = corsd::v1::Admin::NewStub(grpc::CreateChannel(
        corsd_->admin_address(), grpc::InsecureChannelCredentials()));

    grpc::ClientContext put_ctx;
    put_ctx.AddMetadata("authorization", corsd_->authorization());
    corsd::v1::PutTenantRequest put;
    put.mutable_tenant()->set_id("acme");
    put.mutable_tenant()->mutable_policy()->add_allowed_methods("PUT");
    put.mutable_tenant()->mutable_policy()->set_enforce_unsafe_methods(true);
    corsd::v1::PutTenantResponse put_resp;
    ASSERT_TRUE(admin_->PutTenant(&put_ctx, put, &put_resp).ok());
    grpc::ClientContext write_ctx;
    write_ctx.AddMetadata("authorization", corsd_->authorization());
    corsd::v1::WriteEntriesRequest write;
    for (const auto& [kind, value] :
         std::vector<std::pair<corsd::v1::EntryKind, std::string>>{
             {corsd::v1::ENTRY_KIND_ORIGIN, "https://app.example.com"},
             {corsd::v1::ENTRY_KIND_API_HOST, "api.acme.test"}}) {
      auto* op = write.add_ops();
      op->set_op(corsd::v1::EntryOp::OP_ADD);
      op->set_kind(kind);
      op->set_tenant("acme");
      op->set_value(value);
    }
    corsd::v1::WriteEntriesResponse write_resp;
    ASSERT_TRUE(admin_->WriteEntries(&write_ctx, write, &write_resp).ok());
  }

  void TearDown() override {
    corsd_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A PUT from `origin` through the Decider; its decision_id ("" on error).
  std::string Decide(const std::string& origin,
                     corsd::v1::Decider::Stub* stub) {
    corsd::v1::DecideRequest req;
    req.set_tenant("acme");
    req.mutable_request()->set_method("PUT");
    req.mutable_request()->set_host("api.acme.test");
    req.mutable_request()->set_path("/v1/items");
    req.mutable_request()->set_origin(origin);
    req.mutable_request()->set_credentials(true);
    corsd::v1::DecideResponse resp;
    grpc::ClientContext ctx;
    if (!stub->Decide(&ctx, req, &resp).ok()) return "";
    return resp.decision().decision_id();
  }

  // A PUT from `origin` through ext_authz Check, with a cookie and an
  // authorization header; the decision_id of its dynamic_metadata.
  std::string Check(const std::string& origin,
                    authz::Authorization::Stub* stub) {
    authz::CheckRequest check;
    auto* attrs = check.mutable_attributes();
    (*attrs->mutable_context_extensions())["tenant"] = "acme";
    auto* http = attrs->mutable_request()->mutable_http();
    auto& headers = *http->mutable_headers();
    headers[":method"] = "PUT";
    headers[":authority"] = "api.acme.test";
    headers[":path"] = "/v1/items?token=SECRET-QUERY";
    headers["origin"] = origin;
    headers["cookie"] = kSecretCookie;
    headers["authorization"] = kSecretAuthorization;
    authz::CheckResponse resp;
    grpc::ClientContext ctx;
    if (!stub->Check(&ctx, check, &resp).ok()) return "";
    const auto& fields = resp.dynamic_metadata().fields();
    const auto it = fields.find("decision_id");
    return it == fields.end() ? "" : it->second.string_value();
  }

  // A PUT from `origin` through HTTP /auth, with a cookie and an
  // authorization header; its X-Corsd-Decision-Id.
  std::string Auth(const std::string& origin, httplib::Client* client) {
    auto res = client->Get(
        "/auth", httplib::Headers{{"X-Original-Method", "PUT"},
                                  {"X-Original-Host", "api.acme.test"},
                                  {"X-Original-URI", "/v1/items?k=SECRET-Q"},
                                  {"Origin", origin},
                                  {"Cookie", kSecretCookie},
                                  {"Authorization", kSecretAuthorization}});
    if (!res) return "";
    return res->get_header_value("X-Corsd-Decision-Id");
  }

  std::string dir_;
  std::string log_;
  std::unique_ptr<CorsdProcess> corsd_;
  std::string http_host_;
  int http_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<corsd::v1::Admin::Stub> admin_;
};

// Waits until the files hold at least `count` lines (the writer runs in
// the background); returns them.
std::vector<Line> AwaitLines(const std::vector<std::string>& paths,
                             size_t count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  std::vector<Line> lines = ReadLog(paths);
  while (lines.size() < count && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    lines = ReadLog(paths);
  }
  return lines;
}

TEST_F(DecisionLogIntegrationTest, EachDoorsDecisionIsLoggedWithItsId) {
  ASSERT_NO_FATAL_FAILURE(Start({"--decision-log-sample", "1"}));
  auto decider = corsd::v1::Decider::NewStub(channel_);
  auto checker = authz::Authorization::NewStub(channel_);
  httplib::Client http(http_host_, http_port_);

  const std::string decide_id = Decide("https://evil.example", decider.get());
  const std::string check_id = Check("https://evil.example", checker.get());
  const std::string auth_id = Auth("https://evil.example", &http);
  const std::string allowed_id = Auth("https://app.example.com", &http);
  auto preflight =
      http.Options("/preflight/acme",
                   httplib::Headers{{"X-Original-Method", "OPTIONS"},
                                    {"X-Original-Host", "api.acme.test"},
                                    {"Origin", "https://evil.example"},
                                    {"Access-Control-Request-Method", "PUT"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 403);
  const std::string preflight_id =
      preflight->get_header_value("X-Corsd-Decision-Id");
  EXPECT_EQ(preflight->get_header_value("X-Corsd-Reason"),
            "REASON_R2_ORIGIN_NOT_ALLOWED");

  const std::map<std::string, std::pair<std::string, std::string>> want = {
      {decide_id, {"decide", "REASON_R14_UNSAFE_METHOD_DENIED"}},
      {check_id, {"ext_authz", "REASON_R14_UNSAFE_METHOD_DENIED"}},
      {auth_id, {"http", "REASON_R14_UNSAFE_METHOD_DENIED"}},
      {allowed_id, {"http", "REASON_R2_ORIGIN_ALLOWED"}},
      {preflight_id, {"http", "REASON_R2_ORIGIN_NOT_ALLOWED"}}};
  ASSERT_EQ(want.size(), 5u) << "five distinct ids";
  for (const auto& [id, door_reason] : want) {
    EXPECT_EQ(id.size(), 16u) << door_reason.first;
  }
  const std::vector<Line> lines = AwaitLines({log_}, want.size());
  ASSERT_EQ(lines.size(), want.size());
  for (const Line& line : lines) {
    const auto it = want.find(line.decision_id);
    ASSERT_NE(it, want.end()) << line.raw;
    EXPECT_EQ(line.door, it->second.first) << line.raw;
    EXPECT_EQ(line.reason, it->second.second) << line.raw;
    EXPECT_EQ(line.tenant, "acme") << line.raw;
    EXPECT_FALSE(absl::StrContains(line.raw, "SECRET")) << line.raw;
  }
}

TEST_F(DecisionLogIntegrationTest, RotationUnderLoadFailsNoCallLosesNoLine) {
  // Every refusal is logged: the budget is far above the load.
  ASSERT_NO_FATAL_FAILURE(Start(
      {"--decision-log-sample", "0", "--decision-log-tenant-rate", "1000000"}));
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::vector<std::string>> ids(3);
  std::vector<std::thread> doors;
  for (int door = 0; door < 3; ++door) {
    doors.emplace_back([&, door] {
      auto decider = corsd::v1::Decider::NewStub(channel_);
      auto checker = authz::Authorization::NewStub(channel_);
      httplib::Client http(http_host_, http_port_);
      int n = 0;
      while (!stop.load()) {
        const std::string origin = absl::StrCat("https://evil", ++n, ".test");
        const std::string id = door == 0   ? Decide(origin, decider.get())
                               : door == 1 ? Check(origin, checker.get())
                                           : Auth(origin, &http);
        if (id.size() != 16) {
          failures.fetch_add(1);
        } else {
          ids[door].push_back(id);
        }
      }
    });
  }
  std::vector<std::string> files = {log_};
  constexpr int kRotations = 5;
  for (int r = 1; r <= kRotations; ++r) {
    absl::SleepFor(absl::Milliseconds(300));
    const std::string rotated = absl::StrCat(log_, ".", r);
    std::filesystem::rename(log_, rotated);
    files.push_back(rotated);
    ASSERT_EQ(kill(corsd_->pid(), SIGHUP), 0);
  }
  absl::SleepFor(absl::Milliseconds(300));
  stop.store(true);
  for (std::thread& t : doors) t.join();

  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> returned;
  for (int door = 0; door < 3; ++door) {
    EXPECT_GT(ids[door].size(), 0u) << "door " << door << " decided nothing";
    returned.insert(ids[door].begin(), ids[door].end());
  }
  RecordProperty("decisions", static_cast<int>(returned.size()));
  EXPECT_GE(returned.size(), 300u) << "too little load to call it a load";
  const std::vector<Line> lines = AwaitLines(files, returned.size());
  std::multiset<std::string> logged;
  for (const Line& line : lines) logged.insert(line.decision_id);
  EXPECT_EQ(logged.size(), returned.size()) << "each decision once";
  EXPECT_EQ(std::set<std::string>(logged.begin(), logged.end()), returned);
  // Every rotation produced a file, and the current one gets new lines.
  for (const std::string& f : files) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  }
  const std::string err = corsd_->stderr_output();
  size_t reloads = 0;
  for (size_t at = 0; (at = err.find("corsd: SIGHUP received, reloaded", at)) !=
                      std::string::npos;
       ++at) {
    ++reloads;
  }
  EXPECT_EQ(reloads, static_cast<size_t>(kRotations)) << err;
}

}  // namespace
}  // namespace corsd::app
