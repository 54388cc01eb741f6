// Integration tests of corsd's command line and transport security: --help,
// usage errors, --config with command-line precedence, --threads under
// concurrent load, TLS and mTLS on the
// real binary (certificates made by the openssl CLI at test time).
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gtest/gtest.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::rpc {
namespace {

using ::corsd::testing::CorsdProcess;
using ::corsd::testing::CorsdProcessOptions;
namespace v1 = ::corsd::v1;
namespace authz = ::envoy::service::auth::v3;

// Runs `command` through the shell; returns its exit code and stdout+stderr.
int RunShell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(5));
  return context;
}

TEST(CorsdFlagsTest, HelpDocumentsEveryFlag) {
  std::string out;
  ASSERT_EQ(RunShell(absl::StrCat(CORSD_BINARY, " --help"), &out), 0) << out;
  for (const char* flag :
       {"--listen", "--admin-listen", "--http-listen", "--data-dir", "--store",
        "--admin-token-file", "--threads", "--tls-cert", "--tls-key",
        "--tls-client-ca", "--tenant-header", "--max-message-bytes",
        "--unknown-host", "--config"}) {
    EXPECT_NE(out.find(flag), std::string::npos) << flag << " missing:\n"
                                                 << out;
  }
  EXPECT_NE(out.find("REASON_UNKNOWN_HOST_DENIED"), std::string::npos) << out;
  EXPECT_NE(out.find("(default: deny)"), std::string::npos) << out;
}

TEST(CorsdFlagsTest, UsageErrorsExit2) {
  std::string out;
  EXPECT_EQ(RunShell(absl::StrCat(CORSD_BINARY, " --no-such-flag=1"), &out), 2);
  EXPECT_NE(out.find("unknown flag --no-such-flag"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunShell(absl::StrCat(CORSD_BINARY, " --threads=many"), &out), 2);
  EXPECT_NE(out.find("--threads"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunShell(absl::StrCat(CORSD_BINARY, " --listen"), &out), 2);
  EXPECT_NE(out.find("needs a value"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunShell(absl::StrCat(CORSD_BINARY, " --unknown-host=allow"), &out),
            2);
  EXPECT_NE(out.find("--unknown-host \"allow\""), std::string::npos) << out;
  EXPECT_NE(out.find("expected \"deny\" or \"continue\""), std::string::npos)
      << out;
}

TEST(CorsdFlagsTest, MissingTokenFileIsRefused) {
  std::string out;
  EXPECT_EQ(
      RunShell(absl::StrCat(CORSD_BINARY,
                            " --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0"
                            " --data-dir ",
                            ::testing::TempDir(), "/no_token"),
               &out),
      1);
  EXPECT_NE(out.find("--admin-token-file"), std::string::npos) << out;
}

// The tenant found through the fallback header named `header`, or "".
std::string TenantVia(const std::string& address, const std::string& header) {
  authz::CheckRequest check;
  auto* headers = check.mutable_attributes()
                      ->mutable_request()
                      ->mutable_http()
                      ->mutable_headers();
  (*headers)[":method"] = "GET";
  (*headers)[":authority"] = "unknown.example";
  (*headers)[header] = "acme";
  (*headers)["origin"] = "https://shop.acme.com";
  authz::CheckResponse response;
  auto stub = authz::Authorization::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::Status s = stub->Check(Context().get(), check, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (const auto& h : response.ok_response().response_headers_to_add()) {
    if (h.header().key() == "access-control-allow-origin") {
      return h.header().value();
    }
  }
  return "";
}

// Creates tenant "acme" allowing https://shop.acme.com.
void SeedAcme(const CorsdProcess& corsd) {
  auto admin = v1::Admin::NewStub(grpc::CreateChannel(
      corsd.admin_address(), grpc::InsecureChannelCredentials()));
  v1::PutTenantRequest put;
  put.mutable_tenant()->set_id("acme");
  v1::PutTenantResponse put_response;
  auto context = Context();
  context->AddMetadata("authorization", corsd.authorization());
  ASSERT_TRUE(admin->PutTenant(context.get(), put, &put_response).ok());
  v1::WriteEntriesRequest write;
  v1::EntryOp* op = write.add_ops();
  op->set_op(v1::EntryOp::OP_ADD);
  op->set_kind(v1::ENTRY_KIND_ORIGIN);
  op->set_tenant("acme");
  op->set_value("https://shop.acme.com");
  v1::WriteEntriesResponse written;
  context = Context();
  context->AddMetadata("authorization", corsd.authorization());
  grpc::Status s = admin->WriteEntries(context.get(), write, &written);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

TEST(CorsdFlagsTest, ConfigFileAppliesAndCommandLineWins) {
  const std::string config = absl::StrCat(
      ::testing::TempDir(), "/corsd_flags_test_", getpid(), ".conf");
  {
    std::ofstream out(config);
    out << "# corsd config\n\n"
        << "tenant-header = x-from-config\n"
        << "--max-message-bytes=1048576\n"
        << "threads=4\n";
  }
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.extra_args = {"--config", config};
  auto from_file = CorsdProcess::Start(options);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  SeedAcme(**from_file);
  EXPECT_EQ(TenantVia((*from_file)->decision_address(), "x-from-config"),
            "https://shop.acme.com");
  EXPECT_EQ(TenantVia((*from_file)->decision_address(), "x-corsd-tenant"), "");

  options.extra_args = {"--config", config, "--tenant-header", "x-from-cli"};
  auto both = CorsdProcess::Start(options);
  ASSERT_TRUE(both.ok()) << both.status();
  SeedAcme(**both);
  EXPECT_EQ(TenantVia((*both)->decision_address(), "x-from-cli"),
            "https://shop.acme.com");
  EXPECT_EQ(TenantVia((*both)->decision_address(), "x-from-config"), "");
  std::remove(config.c_str());
}

// The ext_authz status message (the reason) for a PUT with a cross-site
// Origin to a host no tenant owns.
std::string UnknownHostPut(const std::string& address) {
  authz::CheckRequest check;
  auto* headers = check.mutable_attributes()
                      ->mutable_request()
                      ->mutable_http()
                      ->mutable_headers();
  (*headers)[":method"] = "PUT";
  (*headers)[":authority"] = "unknown.example";
  (*headers)["origin"] = "https://evil.example";
  authz::CheckResponse response;
  auto stub = authz::Authorization::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::Status s = stub->Check(Context().get(), check, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return response.status().code() == 0 ? "ok" : response.status().message();
}

TEST(CorsdFlagsTest, UnknownHostDefaultsToDenyAndContinueRestoresTheOld) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  auto deny = CorsdProcess::Start(options);
  ASSERT_TRUE(deny.ok()) << deny.status();
  EXPECT_EQ(UnknownHostPut((*deny)->decision_address()),
            "REASON_UNKNOWN_HOST_DENIED");

  const std::string config = absl::StrCat(
      ::testing::TempDir(), "/corsd_unknown_host_", getpid(), ".conf");
  std::ofstream(config) << "unknown-host = continue\n";
  options.extra_args = {"--config", config};
  auto from_file = CorsdProcess::Start(options);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(UnknownHostPut((*from_file)->decision_address()), "ok");

  options.extra_args = {"--config", config, "--unknown-host", "deny"};
  auto cli_wins = CorsdProcess::Start(options);
  ASSERT_TRUE(cli_wins.ok()) << cli_wins.status();
  EXPECT_EQ(UnknownHostPut((*cli_wins)->decision_address()),
            "REASON_UNKNOWN_HOST_DENIED");
  std::remove(config.c_str());
}

TEST(CorsdFlagsTest, BadConfigLineIsAUsageError) {
  const std::string config =
      absl::StrCat(::testing::TempDir(), "/corsd_bad_", getpid(), ".conf");
  {
    std::ofstream out(config);
    out << "listen=127.0.0.1:0\nbogus=1\n";
  }
  std::string out;
  EXPECT_EQ(RunShell(absl::StrCat(CORSD_BINARY, " --config ", config), &out),
            2);
  EXPECT_NE(out.find("line 2"), std::string::npos) << out;
  EXPECT_NE(out.find("bogus"), std::string::npos) << out;
  std::remove(config.c_str());
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with the openssl CLI in a temporary directory.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string out;
    // scripts/install-deps.sh --test installs it (scripts/deps-test.txt).
    ASSERT_EQ(RunShell("openssl version", &out), 0)
        << "the openssl CLI is missing; the TLS tests make their certificates "
           "with it: run scripts/install-deps.sh --test";
    // Per process: ctest runs each test case as its own process, in parallel.
    dir_ = absl::StrCat(::testing::TempDir(), "/corsd_tls_test_", getpid());
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    const std::string script = absl::StrCat(
        "set -e; rm -rf ", dir_, "; mkdir -p ", dir_, "; cd ", dir_, ";",
        "openssl req -x509 ", ec,
        " -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=corsd-test-ca;",
        "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext;",
        "openssl req ", ec,
        " -nodes -keyout server.key -out server.csr -subj /CN=localhost;",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out server.pem -days 2 -extfile san.ext;",
        "openssl req ", ec,
        " -nodes -keyout client.key -out client.csr -subj /CN=gateway;",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out client.pem -days 2");
    out.clear();
    ASSERT_EQ(RunShell("sh -c '" + script + "'", &out), 0) << out;
  }

  std::shared_ptr<grpc::ChannelCredentials> Credentials(bool client_cert) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(dir_ + "/ca.pem");
    if (client_cert) {
      options.pem_private_key = ReadFile(dir_ + "/client.key");
      options.pem_cert_chain = ReadFile(dir_ + "/client.pem");
    }
    return grpc::SslCredentials(options);
  }

  // Decide over `credentials`; the RPC's status code.
  static grpc::StatusCode Decide(
      const std::string& address,
      const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
    auto stub = v1::Decider::NewStub(grpc::CreateChannel(address, credentials));
    v1::DecideRequest request;
    request.mutable_request()->set_method("GET");
    v1::DecideResponse response;
    return stub->Decide(Context().get(), request, &response).error_code();
  }

  std::string dir_;
};

TEST_F(TlsTest, TlsListenersRefusePlaintext) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.extra_args = {"--tls-cert", dir_ + "/server.pem", "--tls-key",
                        dir_ + "/server.key"};
  auto corsd = CorsdProcess::Start(options);
  ASSERT_TRUE(corsd.ok()) << corsd.status();
  EXPECT_EQ(Decide((*corsd)->decision_address(), Credentials(false)),
            grpc::StatusCode::OK);
  EXPECT_NE(
      Decide((*corsd)->decision_address(), grpc::InsecureChannelCredentials()),
      grpc::StatusCode::OK);
}

TEST_F(TlsTest, MutualTlsNeedsAClientCertificate) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.extra_args = {"--tls-cert",      dir_ + "/server.pem",
                        "--tls-key",       dir_ + "/server.key",
                        "--tls-client-ca", dir_ + "/ca.pem"};
  auto corsd = CorsdProcess::Start(options);
  ASSERT_TRUE(corsd.ok()) << corsd.status();
  EXPECT_EQ(Decide((*corsd)->decision_address(), Credentials(true)),
            grpc::StatusCode::OK);
  EXPECT_EQ(Decide((*corsd)->admin_address(), Credentials(true)),
            grpc::StatusCode::UNIMPLEMENTED);  // TLS works; no Decider there
  EXPECT_EQ(Decide((*corsd)->decision_address(), Credentials(false)),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(CorsdFlagsTest, HttpListenerPrintsItsAddress) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.http = true;
  auto corsd = CorsdProcess::Start(options);
  ASSERT_TRUE(corsd.ok()) << corsd.status();
  EXPECT_EQ((*corsd)->http_address().rfind("127.0.0.1:", 0), 0u)
      << (*corsd)->stderr_output();
  const std::string out = (*corsd)->stderr_output();
  // HACKING.md's order: decisions, admin, http, then ready.
  const size_t decisions = out.find("corsd: listening decisions=");
  const size_t admin = out.find("corsd: listening admin=");
  const size_t http = out.find("corsd: listening http=");
  const size_t ready = out.find("corsd: ready");
  ASSERT_NE(ready, std::string::npos);
  EXPECT_LT(decisions, admin);
  EXPECT_LT(admin, http);
  EXPECT_LT(http, ready);
  absl::StatusOr<int> code = (*corsd)->Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

// --threads bounds no call: with one polling thread and 16 callers at once,
// every Decide succeeds (gRPC 1.51's ResourceQuota thread cap, which --threads
// once set, failed them with RESOURCE_EXHAUSTED).
TEST(CorsdFlagsTest, OneThreadServesConcurrentCallers) {
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.extra_args = {"--threads", "1"};
  auto corsd = CorsdProcess::Start(options);
  ASSERT_TRUE(corsd.ok()) << corsd.status();
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      (*corsd)->decision_address(), grpc::InsecureChannelCredentials());
  constexpr int kThreads = 16;
  constexpr int kCalls = 200;
  std::atomic<int> next{0};  // relaxed: only hands out call numbers
  std::atomic<int> ok{0};    // relaxed: read after join
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      auto stub = v1::Decider::NewStub(channel);
      while (next.fetch_add(1, std::memory_order_relaxed) < kCalls) {
        v1::DecideRequest request;
        request.mutable_request()->set_method("GET");
        v1::DecideResponse response;
        const grpc::Status s =
            stub->Decide(Context().get(), request, &response);
        if (s.ok()) {
          ok.fetch_add(1, std::memory_order_relaxed);
        } else if (failures[t].empty()) {
          failures[t] = absl::StrCat(s.error_code(), ": ", s.error_message());
        }
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(ok.load(std::memory_order_relaxed), kCalls);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], "") << "caller " << t;
  }
  channel.reset();  // an open connection would hold up the drain
  absl::StatusOr<int> code = (*corsd)->Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

TEST(CorsdFlagsTest, ClientCaWithoutCertIsRefused) {
  std::string out;
  EXPECT_EQ(
      RunShell(absl::StrCat(CORSD_BINARY,
                            " --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0"
                            " --tls-client-ca /tmp/ca.pem"),
               &out),
      1);
  EXPECT_NE(out.find("--tls-client-ca"), std::string::npos) << out;
}

}  // namespace
}  // namespace corsd::rpc
