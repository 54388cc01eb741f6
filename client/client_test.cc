// The client library against a real in-process gRPC server on loopback: the
// retry policy (UNAVAILABLE n times), deadlines, the bearer token on a
// plaintext channel, BatchErrors through the wire, import chunking and
// dry-run, export, shared channels, custom domain paging.
#include "client/client.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/status.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace corsd::client {
namespace {

std::string TokenOf(grpc::ServerContext* context) {
  auto it = context->client_metadata().find("authorization");
  if (it == context->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

class FakeDecider final : public corsd::v1::Decider::Service {
 public:
  std::atomic<int> fail_first{0};
  std::atomic<int> calls{0};
  std::atomic<bool> had_deadline{true};

  grpc::Status Decide(grpc::ServerContext* context,
                      const corsd::v1::DecideRequest* request,
                      corsd::v1::DecideResponse* response) override {
    int n = ++calls;
    if (context->deadline() == std::chrono::system_clock::time_point::max()) {
      had_deadline = false;
    }
    if (n <= fail_first) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "shedding");
    }
    response->mutable_decision()->set_tenant(request->tenant());
    response->mutable_decision()->set_id(request->id());
    return grpc::Status::OK;
  }
};

class FakeAdmin final : public corsd::v1::Admin::Service {
 public:
  absl::Mutex mu;
  std::string last_token;
  std::vector<int> chunk_items;
  bool saw_dry_run = false;
  std::atomic<int> stats_calls{0};
  std::vector<corsd::v1::ListDomainsRequest> domain_requests;

  grpc::Status Stats(grpc::ServerContext* context,
                     const corsd::v1::StatsRequest*,
                     corsd::v1::StatsResponse* response) override {
    ++stats_calls;
    absl::MutexLock lock(&mu);
    last_token = TokenOf(context);
    if (last_token != "Bearer s3cret") {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    }
    response->set_tenants(3);
    return grpc::Status::OK;
  }

  grpc::Status WriteEntries(grpc::ServerContext*,
                            const corsd::v1::WriteEntriesRequest* request,
                            corsd::v1::WriteEntriesResponse*) override {
    corsd::v1::BatchErrors errors;
    corsd::v1::ItemError* item = errors.add_errors();
    item->set_index(1);
    item->set_field("value");
    item->set_value(request->ops(1).value());
    item->set_message("has a path");
    errors.set_total(1);
    google::rpc::Status details;
    details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
    details.set_message("ops[1].value has a path");
    details.add_details()->PackFrom(errors);
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "ops[1].value has a path", details.SerializeAsString());
  }

  grpc::Status Import(grpc::ServerContext*,
                      grpc::ServerReader<corsd::v1::ImportChunk>* reader,
                      corsd::v1::ImportResponse* response) override {
    corsd::v1::ImportChunk chunk;
    uint64_t added = 0;
    absl::MutexLock lock(&mu);
    while (reader->Read(&chunk)) {
      chunk_items.push_back(chunk.ops_size() + chunk.tenants_size());
      saw_dry_run |= chunk.dry_run();
      added += chunk.ops_size();
      response->set_tenants(response->tenants() + chunk.tenants_size());
    }
    response->set_added(saw_dry_run ? 0 : added);
    return grpc::Status::OK;
  }

  // Five domains of tenant "acme", `page_size` per page; the page token is
  // the index of the next one.
  grpc::Status ListDomains(grpc::ServerContext*,
                           const corsd::v1::ListDomainsRequest* request,
                           corsd::v1::ListDomainsResponse* response) override {
    absl::MutexLock lock(&mu);
    domain_requests.push_back(*request);
    size_t next =
        request->page_token().empty() ? 0 : std::stoul(request->page_token());
    const size_t end = std::min<size_t>(5, next + request->page_size());
    for (; next < end; ++next) {
      corsd::v1::CustomDomain* d = response->add_domains();
      d->set_tenant(request->tenant());
      d->set_host("d" + std::to_string(next) + ".example.com");
      d->set_state(request->state());
    }
    if (next < 5) response->set_next_page_token(std::to_string(next));
    return grpc::Status::OK;
  }

  grpc::Status GetDomain(grpc::ServerContext*,
                         const corsd::v1::DomainRequest* request,
                         corsd::v1::DomainInfo* response) override {
    if (request->host() != "shop.example.com") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such domain");
    }
    response->mutable_domain()->set_tenant(request->tenant());
    response->mutable_domain()->set_host(request->host());
    response->add_instructions("Create a TXT record");
    return grpc::Status::OK;
  }

  grpc::Status Export(
      grpc::ServerContext*, const corsd::v1::ExportRequest*,
      grpc::ServerWriter<corsd::v1::ExportChunk>* writer) override {
    for (int i = 0; i < 3; ++i) {
      corsd::v1::ExportChunk chunk;
      chunk.add_ops()->set_value("https://a" + std::to_string(i) + ".com");
      writer->Write(chunk);
    }
    return grpc::Status::OK;
  }
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&decider_);
    builder.RegisterService(&admin_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    addr_ = "127.0.0.1:" + std::to_string(port);
    // Per process: ctest runs each test case as its own process, in parallel.
    token_file_ =
        ::testing::TempDir() + "/client_test_token_" + std::to_string(getpid());
    std::ofstream(token_file_) << "\n  s3cret  \nsecond-token\n";
  }
  void TearDown() override { server_->Shutdown(); }

  ClientOptions Options() const {
    ClientOptions options;
    options.connection.addr = addr_;
    options.connection.token_file = token_file_;
    options.retry.initial_backoff = absl::Milliseconds(1);
    options.retry.max_backoff = absl::Milliseconds(5);
    return options;
  }

  FakeDecider decider_;
  FakeAdmin admin_;
  std::unique_ptr<grpc::Server> server_;
  std::string addr_;
  std::string token_file_;
};

TEST_F(ClientTest, RetriesUnavailableThenSucceeds) {
  decider_.fail_first = 3;
  ClientOptions options = Options();
  options.retry.max_attempts = 4;
  auto client = DeciderClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  corsd::v1::DecideRequest request;
  request.set_tenant("acme");
  request.set_id(42);
  absl::StatusOr<corsd::v1::Decision> decision = (*client)->Decide(request);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_EQ(decision->tenant(), "acme");
  EXPECT_EQ(decision->id(), 42u);
  EXPECT_EQ(decider_.calls, 4);
  EXPECT_TRUE(decider_.had_deadline);
}

TEST_F(ClientTest, GivesUpAfterMaxAttempts) {
  decider_.fail_first = 100;
  ClientOptions options = Options();
  options.retry.max_attempts = 3;
  auto client = DeciderClient::Create(options);
  ASSERT_TRUE(client.ok());
  absl::StatusOr<corsd::v1::Decision> decision =
      (*client)->Decide(corsd::v1::DecideRequest());
  EXPECT_EQ(decision.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(decision.status().message().find("Decider.Decide at " + addr_),
            absl::string_view::npos)
      << decision.status();
  EXPECT_EQ(decider_.calls, 3);
}

TEST_F(ClientTest, UnreachableServerIsUnavailableWithinTheDeadline) {
  ClientOptions options = Options();
  options.connection.addr = "127.0.0.1:1";  // nothing listens there
  options.timeout = absl::Seconds(2);
  auto client = AdminClient::Create(options);
  ASSERT_TRUE(client.ok());
  absl::Time start = absl::Now();
  auto stats = (*client)->Stats();
  EXPECT_EQ(stats.status().code(), absl::StatusCode::kUnavailable)
      << stats.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(ClientTest, SendsBearerTokenOnPlaintextChannel) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok()) << client.status();
  auto stats = (*client)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->tenants(), 3u);
  absl::MutexLock lock(&admin_.mu);
  EXPECT_EQ(admin_.last_token, "Bearer s3cret");
}

TEST_F(ClientTest, WithoutTokenIsUnauthenticatedAndNotRetried) {
  ClientOptions options = Options();
  options.connection.token_file.clear();
  auto client = AdminClient::Create(options);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Stats().status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(admin_.stats_calls, 1);
}

TEST_F(ClientTest, MissingTokenFileIsNotFoundNamingThePath) {
  ClientOptions options = Options();
  options.connection.token_file = "/nonexistent/token";
  auto client = AdminClient::Create(options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(client.status().message().find("/nonexistent/token"),
            absl::string_view::npos);
}

TEST_F(ClientTest, RefusedBatchKeepsBatchErrors) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok());
  corsd::v1::WriteEntriesRequest request;
  request.add_ops()->set_value("https://ok.com");
  request.add_ops()->set_value("https://bad.com/path");
  auto response = (*client)->WriteEntries(request);
  ASSERT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
  absl::optional<corsd::v1::BatchErrors> errors =
      BatchErrorsOf(response.status());
  ASSERT_TRUE(errors.has_value());
  ASSERT_EQ(errors->errors_size(), 1);
  EXPECT_EQ(errors->errors(0).index(), 1u);
  EXPECT_EQ(errors->errors(0).value(), "https://bad.com/path");
}

TEST_F(ClientTest, ImportChunksByItemsAndReportsProgress) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok());
  std::vector<uint64_t> progress;
  ImportWriter::Options options;
  options.max_items = 1000;
  options.progress = [&](uint64_t sent) { progress.push_back(sent); };
  std::unique_ptr<ImportWriter> writer = (*client)->StartImport(options);
  corsd::v1::Tenant tenant;
  tenant.set_id("acme");
  ASSERT_TRUE(writer->AddTenant(tenant).ok());
  for (int i = 0; i < 2500; ++i) {
    EXPECT_EQ(writer->items_added(), static_cast<uint64_t>(i + 1));
    ASSERT_TRUE(writer
                    ->AddOp(corsd::v1::EntryOp::OP_ADD,
                            corsd::v1::ENTRY_KIND_ORIGIN, "acme",
                            "https://h" + std::to_string(i) + ".example.com")
                    .ok());
  }
  // A tenant after ops starts a new chunk, keeping stream indexes in order.
  ASSERT_TRUE(writer->AddTenant(tenant).ok());
  auto response = writer->Finish();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->added(), 2500u);
  EXPECT_EQ(response->tenants(), 2u);
  absl::MutexLock lock(&admin_.mu);
  EXPECT_EQ(admin_.chunk_items, (std::vector<int>{1000, 1000, 501, 1}));
  EXPECT_FALSE(admin_.saw_dry_run);
  EXPECT_EQ(progress, (std::vector<uint64_t>{1000, 2000, 2501, 2502}));
}

TEST_F(ClientTest, MarkDryRunMakesTheStreamADryRun) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok());
  std::unique_ptr<ImportWriter> writer =
      (*client)->StartImport(ImportWriter::Options());
  ASSERT_TRUE(writer
                  ->AddOp(corsd::v1::EntryOp::OP_ADD,
                          corsd::v1::ENTRY_KIND_ORIGIN, "acme", "https://a.com")
                  .ok());
  writer->MarkDryRun();
  auto response = writer->Finish();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->added(), 0u);
  absl::MutexLock lock(&admin_.mu);
  EXPECT_TRUE(admin_.saw_dry_run);
}

TEST_F(ClientTest, ExportStreamsEveryChunkAndStopsOnRequest) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok());
  std::vector<std::string> values;
  absl::Status status = (*client)->Export([&](const corsd::v1::ExportChunk& c) {
    values.push_back(c.ops(0).value());
    return true;
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(values, (std::vector<std::string>{
                        "https://a0.com", "https://a1.com", "https://a2.com"}));
  int seen = 0;
  status = (*client)->Export(
      [&](const corsd::v1::ExportChunk&) { return ++seen < 2; });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(seen, 2);
}

TEST_F(ClientTest, ForEachDomainFollowsPagesWithTheFilters) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok());
  std::vector<std::string> hosts;
  absl::Status status = (*client)->ForEachDomain(
      "acme", corsd::v1::DOMAIN_STATE_FAILING,
      [&](const corsd::v1::CustomDomain& d) {
        EXPECT_EQ(d.tenant(), "acme");
        EXPECT_EQ(d.state(), corsd::v1::DOMAIN_STATE_FAILING);
        hosts.push_back(d.host());
      },
      2);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(hosts, (std::vector<std::string>{"d0.example.com", "d1.example.com",
                                             "d2.example.com", "d3.example.com",
                                             "d4.example.com"}));
  absl::MutexLock lock(&admin_.mu);
  ASSERT_EQ(admin_.domain_requests.size(), 3u);
  EXPECT_EQ(admin_.domain_requests[0].page_token(), "");
  EXPECT_EQ(admin_.domain_requests[1].page_token(), "2");
  EXPECT_EQ(admin_.domain_requests[2].page_token(), "4");
  EXPECT_EQ(admin_.domain_requests[2].page_size(), 2u);
}

TEST_F(ClientTest, GetDomainSendsTenantAndHost) {
  auto client = AdminClient::Create(Options());
  ASSERT_TRUE(client.ok());
  auto info = (*client)->GetDomain("acme", "shop.example.com");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->domain().tenant(), "acme");
  EXPECT_EQ(info->instructions_size(), 1);
  EXPECT_EQ((*client)->GetDomain("acme", "other.example.com").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, ChannelCacheSharesOneChannelPerAddress) {
  ChannelCache cache;
  ConnectionOptions a;
  a.addr = addr_;
  auto first = cache.Get(a);
  auto second = cache.Get(a);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->get(), second->get());
  ConnectionOptions b;
  b.addr = "127.0.0.1:1";
  auto third = cache.Get(b);
  ASSERT_TRUE(third.ok());
  EXPECT_NE(first->get(), third->get());
  ConnectionOptions bad = a;
  bad.tls_cert_file = "x.pem";
  EXPECT_EQ(cache.Get(bad).status().code(), absl::StatusCode::kInvalidArgument);
  ConnectionOptions missing_ca = a;
  missing_ca.tls_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(cache.Get(missing_ca).status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadTokenFileTest, RefusesEmptyAndNonAsciiTokens) {
  std::string path = ::testing::TempDir() + "/client_test_token_bad_" +
                     std::to_string(getpid());
  std::ofstream(path) << "\n \n";
  EXPECT_EQ(ReadTokenFile(path).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::ofstream(path) << "tok\x01en\n";
  absl::Status status = ReadTokenFile(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("outside visible ASCII"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace corsd::client
