// RunLoad against an in-process gRPC server whose handlers answer at once or
// after a fixed delay: every target and mode completes without errors, its
// answers are counted, and the open loop measures from the intended send
// time (an overloaded server shows as growing latency, not as a lower
// offered rate).
#include "bench/load/driver.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <thread>

#include "bench/load/dataset.h"
#include "bench/load/requests.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "gtest/gtest.h"

namespace corsd::bench {
namespace {

using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

class FakeDecider final : public corsd::v1::Decider::Service {
 public:
  explicit FakeDecider(std::chrono::microseconds delay) : delay_(delay) {}
  grpc::Status Decide(grpc::ServerContext*,
                      const corsd::v1::DecideRequest* request,
                      corsd::v1::DecideResponse* response) override {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    response->mutable_decision()->set_reason(
        request->request().has_origin() ? corsd::v1::REASON_R2_ORIGIN_ALLOWED
                                        : corsd::v1::REASON_R1_NO_ORIGIN);
    return grpc::Status::OK;
  }
  grpc::Status DecideStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<corsd::v1::DecideBatchResponse,
                               corsd::v1::DecideBatchRequest>* stream)
      override {
    corsd::v1::DecideBatchRequest batch;
    while (stream->Read(&batch)) {
      corsd::v1::DecideBatchResponse response;
      for (const auto& r : batch.requests()) {
        response.add_decisions()->set_id(r.id());
      }
      if (!stream->Write(response)) break;
    }
    return grpc::Status::OK;
  }

 private:
  const std::chrono::microseconds delay_;
};

class FakeAuthorization final
    : public envoy::service::auth::v3::Authorization::Service {
 public:
  grpc::Status Check(grpc::ServerContext*, const CheckRequest* request,
                     CheckResponse* response) override {
    const auto& headers = request->attributes().request().http().headers();
    if (headers.contains("origin")) {
      response->mutable_status()->set_code(0);
      response->mutable_ok_response();
    } else {
      response->mutable_status()->set_code(7);
      response->mutable_denied_response();
    }
    return grpc::Status::OK;
  }
};

class DriverTest : public ::testing::Test {
 protected:
  void StartServer(std::chrono::microseconds delay) {
    decider_ = std::make_unique<FakeDecider>(delay);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(decider_.get());
    builder.RegisterService(&authorization_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    addr_ = "127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  RequestPool Pool(Target target, int batch = 10) {
    const DatasetSpec spec{1000, 100};
    const auto traffic = GenerateTraffic(spec, TrafficMix{}, 1000, 3);
    RequestPool pool;
    for (size_t i = 0; i < traffic.size(); ++i) {
      if (target == Target::kDecide) {
        FillDecideRequest(traffic[i], i, &pool.decide.emplace_back());
      } else if (target == Target::kCheck) {
        FillCheckRequest(traffic[i], &pool.check.emplace_back());
      } else {
        if (i % batch == 0) pool.batches.emplace_back();
        FillDecideRequest(traffic[i], i, pool.batches.back().add_requests());
      }
    }
    return pool;
  }

  LoadOptions Options(Target target) {
    LoadOptions o;
    o.addr = addr_;
    o.target = target;
    o.channels = 2;
    o.inflight = 4;
    o.warmup = absl::Milliseconds(100);
    o.duration = absl::Milliseconds(500);
    return o;
  }

  std::unique_ptr<FakeDecider> decider_;
  FakeAuthorization authorization_;
  std::unique_ptr<grpc::Server> server_;
  std::string addr_;
};

TEST_F(DriverTest, ClosedLoopDecideCountsEveryAnswer) {
  StartServer(std::chrono::microseconds(0));
  const RequestPool pool = Pool(Target::kDecide);
  absl::StatusOr<LoadResult> r = RunLoad(Options(Target::kDecide), pool);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->errors_total(), 0u);
  EXPECT_GT(r->requests, 100u);
  EXPECT_EQ(r->latency.count(), r->requests);
  EXPECT_EQ(r->bad_responses, 0u);
  const uint64_t no_origin = r->outcomes[corsd::v1::REASON_R1_NO_ORIGIN];
  const uint64_t with_origin = r->outcomes[corsd::v1::REASON_R2_ORIGIN_ALLOWED];
  EXPECT_EQ(no_origin + with_origin, r->requests);
  // 5% of the traffic has no Origin.
  EXPECT_NEAR(static_cast<double>(no_origin) / r->requests, 0.05, 0.03);
}

TEST_F(DriverTest, ClosedLoopCheckSeesOkAndDenied) {
  StartServer(std::chrono::microseconds(0));
  const RequestPool pool = Pool(Target::kCheck);
  absl::StatusOr<LoadResult> r = RunLoad(Options(Target::kCheck), pool);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->errors_total(), 0u);
  EXPECT_GT(r->outcomes[0], 0u);  // ok
  EXPECT_GT(r->outcomes[1], 0u);  // denied (no Origin)
  EXPECT_EQ(r->outcomes[0] + r->outcomes[1], r->requests);
}

TEST_F(DriverTest, StreamCountsDecisionsPerBatchAndClosesCleanly) {
  StartServer(std::chrono::microseconds(0));
  const RequestPool pool = Pool(Target::kStream, 10);
  LoadOptions o = Options(Target::kStream);
  o.inflight = 2;
  absl::StatusOr<LoadResult> r = RunLoad(o, pool);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->errors_total(), 0u);  // half-close gets OK
  EXPECT_EQ(r->bad_responses, 0u);
  EXPECT_GT(r->requests, 10u);
  EXPECT_EQ(r->decisions, r->requests * 10);
}

TEST_F(DriverTest, OpenLoopBelowCapacityAchievesTheOfferedRate) {
  StartServer(std::chrono::microseconds(0));
  const RequestPool pool = Pool(Target::kDecide);
  LoadOptions o = Options(Target::kDecide);
  o.rate = 400;
  o.duration = absl::Seconds(1);
  absl::StatusOr<LoadResult> r = RunLoad(o, pool);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->errors_total(), 0u);
  EXPECT_NEAR(static_cast<double>(r->requests), 400, 100);  // Poisson
  EXPECT_EQ(r->send_lag.count(), r->requests);
}

TEST_F(DriverTest, OpenLoopOverloadShowsAsLatencyFromTheIntendedTime) {
  // One slot, 5 ms per call: capacity 200/s, offered 400/s. The backlog
  // grows through the run, so late requests wait hundreds of ms.
  StartServer(std::chrono::microseconds(5000));
  const RequestPool pool = Pool(Target::kDecide);
  LoadOptions o = Options(Target::kDecide);
  o.channels = 1;
  o.inflight = 1;
  o.rate = 400;
  o.warmup = absl::ZeroDuration();
  o.duration = absl::Seconds(1);
  absl::StatusOr<LoadResult> r = RunLoad(o, pool);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->errors_total(), 0u);
  EXPECT_LT(r->requests, 300u);
  EXPECT_GT(r->unsent, 50u);
  EXPECT_GT(r->latency.Quantile(0.99), 200'000'000u);   // > 200 ms
  EXPECT_GT(r->send_lag.Quantile(0.99), 150'000'000u);  // the client waited
}

TEST(DriverOptionsTest, InvalidOptionsNameTheField) {
  LoadOptions o;
  o.addr = "127.0.0.1:1";
  o.channels = 0;
  absl::Status s = ValidateLoadOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("channels"), std::string::npos);
  o.channels = 1;
  o.target = Target::kStream;
  o.rate = 10;
  EXPECT_NE(ValidateLoadOptions(o).message().find("open loop"),
            std::string::npos);
}

TEST(DriverOptionsTest, UnreachableServerIsUnavailable) {
  LoadOptions o;
  o.addr = "127.0.0.1:1";  // nothing listens on port 1
  RequestPool pool;
  pool.decide.emplace_back();
  o.duration = absl::Milliseconds(200);
  o.connect_timeout = absl::Milliseconds(300);
  absl::StatusOr<LoadResult> r = RunLoad(o, pool);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace corsd::bench
