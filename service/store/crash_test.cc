// Crash test (label: integration): the real corsd binary is killed with
// SIGKILL at random moments while a client streams admin batches, then
// restarted on the same --data-dir. After every restart, every acknowledged
// batch is present in full and no batch is half applied. Every eighth batch
// is large enough for the SQLite store's pending path (committed encoded,
// folded into its table in the background), so kills also land mid-fold.
// At least 20 kills, bounded to about a minute.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "corsd/v1/admin.grpc.pb.h"
#include "gtest/gtest.h"
#include "service/rpc/testing/corsd_process.h"

namespace corsd::store {
namespace {

using corsd::testing::CorsdProcess;
using corsd::testing::CorsdProcessOptions;

constexpr int kKills = 20;
constexpr int kOpsPerBatch = 50;
// Above SqliteStoreOptions::fold_threshold (10000).
constexpr int kLargeBatchOps = 12000;

int OpsIn(int batch) { return batch % 8 == 7 ? kLargeBatchOps : kOpsPerBatch; }

class AdminClient {
 public:
  AdminClient(const std::string& address, std::string authorization)
      : stub_(v1::Admin::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        authorization_(std::move(authorization)) {}

  void Prepare(grpc::ClientContext* ctx, int deadline_ms) {
    ctx->AddMetadata("authorization", authorization_);
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(deadline_ms));
  }
  grpc::Status PutTenant(const std::string& id) {
    grpc::ClientContext ctx;
    Prepare(&ctx, 5000);
    v1::PutTenantRequest req;
    req.mutable_tenant()->set_id(id);
    v1::PutTenantResponse resp;
    return stub_->PutTenant(&ctx, req, &resp);
  }
  grpc::Status Write(const v1::WriteEntriesRequest& req) {
    grpc::ClientContext ctx;
    Prepare(&ctx, 5000);
    v1::WriteEntriesResponse resp;
    return stub_->WriteEntries(&ctx, req, &resp);
  }
  // Origins per batch number, from an Export stream.
  grpc::Status CountBatches(std::map<int, int>* per_batch) {
    grpc::ClientContext ctx;
    Prepare(&ctx, 30000);
    auto reader = stub_->Export(&ctx, v1::ExportRequest());
    v1::ExportChunk chunk;
    while (reader->Read(&chunk)) {
      for (const v1::EntryOp& op : chunk.ops()) {
        // "https://b<batch>-<j>.crash.example"
        absl::string_view host = op.value();
        host.remove_prefix(std::string_view("https://b").size());
        int batch = 0;
        if (absl::SimpleAtoi(host.substr(0, host.find('-')), &batch)) {
          ++(*per_batch)[batch];
        }
      }
    }
    return reader->Finish();
  }

 private:
  std::unique_ptr<v1::Admin::Stub> stub_;
  std::string authorization_;
};

v1::WriteEntriesRequest Batch(int n) {
  v1::WriteEntriesRequest req;
  for (int j = 0; j < OpsIn(n); ++j) {
    v1::EntryOp* op = req.add_ops();
    op->set_op(v1::EntryOp::OP_ADD);
    // Two tenants per batch: atomicity across tenants too.
    op->set_kind(v1::ENTRY_KIND_ORIGIN);
    op->set_tenant(j % 2 ? "crash-a" : "crash-b");
    op->set_value(absl::StrCat("https://b", n, "-", j, ".crash.example"));
  }
  return req;
}

TEST(CrashTest, SigkillNeverLosesAnAcknowledgedBatchNorHalfAppliesOne) {
  char tmpl[] = "/tmp/corsd_crash_test.XXXXXX";
  const std::string data_dir = ::mkdtemp(tmpl);
  CorsdProcessOptions options;
  options.binary = CORSD_BINARY;
  options.data_dir = data_dir;
  options.token = "crash-test-token";
  auto process = CorsdProcess::Start(options);
  ASSERT_TRUE(process.ok()) << process.status();
  {
    AdminClient client((*process)->admin_address(),
                       (*process)->authorization());
    ASSERT_TRUE(client.PutTenant("crash-a").ok());
    ASSERT_TRUE(client.PutTenant("crash-b").ok());
  }
  std::mt19937 rng(12345);
  int next_batch = 0;
  int acked_total = 0;
  int highest_acked = -1;
  absl::Mutex mu;
  std::vector<int> acked;  // every acknowledged batch number
  const auto started = std::chrono::steady_clock::now();
  for (int kill = 0; kill < kKills; ++kill) {
    std::atomic<bool> stop{false};
    const std::string address = (*process)->admin_address();
    const std::string auth = (*process)->authorization();
    std::thread writer([&, address, auth] {
      AdminClient client(address, auth);
      while (!stop.load()) {
        const int n = next_batch++;
        grpc::Status s = client.Write(Batch(n));
        if (s.ok()) {
          absl::MutexLock lock(&mu);
          acked.push_back(n);
        } else {
          return;  // the server died under us: the batch is in doubt
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<>(30, 400)(rng)));
    ASSERT_TRUE((*process)->Kill().ok());
    stop = true;
    writer.join();
    process->reset();
    options.data_dir = data_dir;
    process = CorsdProcess::Start(options);
    ASSERT_TRUE(process.ok()) << "restart " << kill << ": " << process.status();
    AdminClient client((*process)->admin_address(),
                       (*process)->authorization());
    std::map<int, int> per_batch;
    grpc::Status exported = client.CountBatches(&per_batch);
    ASSERT_TRUE(exported.ok()) << exported.error_message();
    for (const auto& [batch, count] : per_batch) {
      EXPECT_EQ(count, OpsIn(batch)) << "batch " << batch << " half applied";
    }
    absl::MutexLock lock(&mu);
    for (int n : acked) {
      EXPECT_EQ(per_batch[n], OpsIn(n))
          << "acknowledged batch " << n << " lost after kill " << kill;
      highest_acked = std::max(highest_acked, n);
    }
    acked_total = static_cast<int>(acked.size());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  std::printf(
      "crash test: %d kills, %d acknowledged batches (%d ops, every eighth "
      "%d), %.1f s\n",
      kKills, acked_total, kOpsPerBatch, kLargeBatchOps, seconds);
  EXPECT_GT(acked_total, kKills);  // the writer made progress between kills
  process->reset();
  std::filesystem::remove_all(data_dir);
}

}  // namespace
}  // namespace corsd::store
