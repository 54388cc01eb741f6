// server_arch_bench: the measurement behind the decision listener's server
// architecture (bench/RESULTS.md "## Service"). The same Decide handler
// (DeciderService::DecideOne: the real Engine over a real OriginTable, the
// real proto mapping, the ReadGuard, metrics) served three ways on loopback:
//   callback  grpc::CallbackService, DefaultReactor, inline;
//   sync      DeciderService itself (sync unary API on gRPC's ThreadManager
//             threads), what corsd serves;
//   async_cq  the same logic on completion queues, one per core, each
//             drained by its own thread;
// both built with ApplyServerOptions(ServerOptions{}). A closed-loop client
// (callback stub API, `--inflight` outstanding calls spread over
// `--channels` channels) drives each for `--seconds` and prints one JSON
// object per run: qps, p50/p99 latency in microseconds, and the server
// process's CPU seconds per 1000 calls (getrusage, client included: both
// share the process, so compare the variants, not absolute cost).
//
// Usage: rpc_server_arch_bench [--seconds=3] [--inflight=64] [--channels=4]
//                              [--rounds=3]
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/policy/policy_registry.h"
#include "service/rpc/decide_mapping.h"
#include "service/rpc/decider_service.h"
#include "service/rpc/server_options.h"
#include "service/rpc/status_convert.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::rpc {
namespace {

using Clock = std::chrono::steady_clock;

// The callback-API twin of DeciderService::Decide (what corsd ran before
// this measurement): the same body, inline in the reactor method.
class CallbackDecider final : public corsd::v1::Decider::CallbackService {
 public:
  explicit CallbackDecider(const DecisionDeps& deps) : deps_(deps) {}
  grpc::ServerUnaryReactor* Decide(
      grpc::CallbackServerContext* context,
      const corsd::v1::DecideRequest* request,
      corsd::v1::DecideResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(DeciderService::DecideOne(deps_, *request, response));
    return reactor;
  }

 private:
  const DecisionDeps deps_;
};

// The completion-queue twin: `threads` CQs, each drained by its own thread,
// each with `kPosted` calls posted ahead; the handler body is the same.
class AsyncDecider {
 public:
  static constexpr int kPosted = 64;

  AsyncDecider(const DecisionDeps& deps, int threads)
      : deps_(deps), threads_(threads) {}

  grpc::Service* service() { return &service_; }

  void AddQueues(grpc::ServerBuilder* builder) {
    for (int i = 0; i < threads_; ++i) {
      queues_.push_back(builder->AddCompletionQueue());
    }
  }

  void Start() {
    for (auto& cq : queues_) {
      for (int i = 0; i < kPosted; ++i) new Call(this, cq.get());
      workers_.emplace_back([cq = cq.get()] {
        void* tag;
        bool ok;
        while (cq->Next(&tag, &ok)) static_cast<Call*>(tag)->Proceed(ok);
      });
    }
  }

  // After grpc::Server::Shutdown.
  void Stop() {
    for (auto& cq : queues_) cq->Shutdown();
    for (auto& t : workers_) t.join();
    workers_.clear();
    queues_.clear();
  }

 private:
  struct Call {
    Call(AsyncDecider* owner, grpc::ServerCompletionQueue* cq)
        : owner(owner), cq(cq), responder(&context) {
      owner->service_.RequestDecide(&context, &request, &responder, cq, cq,
                                    this);
    }
    void Proceed(bool ok) {
      if (finished || !ok) {
        delete this;
        return;
      }
      new Call(owner, cq);  // keep one posted in its place
      grpc::Status status = Handle();
      finished = true;
      responder.Finish(response, status, this);
    }
    grpc::Status Handle() {
      return DeciderService::DecideOne(owner->deps_, request, &response);
    }

    AsyncDecider* owner;
    grpc::ServerCompletionQueue* cq;
    grpc::ServerContext context;
    corsd::v1::DecideRequest request;
    corsd::v1::DecideResponse response;
    grpc::ServerAsyncResponseWriter<corsd::v1::DecideResponse> responder;
    bool finished = false;
  };

  const DecisionDeps deps_;
  const int threads_;
  corsd::v1::Decider::AsyncService service_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::vector<std::thread> workers_;
};

struct Options {
  int seconds = 3;
  int inflight = 64;
  int channels = 4;
  int rounds = 3;
};

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// One outstanding call slot of the closed-loop client.
struct Slot {
  std::unique_ptr<grpc::ClientContext> context;
  corsd::v1::DecideResponse response;
  Clock::time_point start;
};

struct Driver {
  std::vector<std::unique_ptr<corsd::v1::Decider::Stub>> stubs;
  corsd::v1::DecideRequest request;
  Clock::time_point deadline;
  std::atomic<int> live{0};
  std::mutex mu;
  std::vector<uint32_t> latencies_us;  // guarded by mu
  uint64_t errors = 0;                 // guarded by mu
  absl::Notification done;

  void Issue(Slot* slot, size_t index) {
    slot->context = std::make_unique<grpc::ClientContext>();
    slot->start = Clock::now();
    stubs[index % stubs.size()]->async()->Decide(
        slot->context.get(), &request, &slot->response,
        [this, slot, index](grpc::Status s) { OnDone(slot, index, s); });
  }

  void OnDone(Slot* slot, size_t index, const grpc::Status& s) {
    const auto now = Clock::now();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (s.ok()) {
        latencies_us.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now -
                                                                  slot->start)
                .count()));
      } else {
        ++errors;
      }
    }
    if (now < deadline) {
      Issue(slot, index);
    } else if (live.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      done.Notify();
    }
  }
};

void RunOnce(const char* name, grpc::Service* service, const Options& o,
             AsyncDecider* async = nullptr) {
  grpc::ServerBuilder builder;
  ApplyServerOptions(ServerOptions{}, &builder);
  if (async != nullptr) async->AddQueues(&builder);
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "cannot start the %s server\n", name);
    return;
  }
  if (async != nullptr) async->Start();
  Driver driver;
  for (int i = 0; i < o.channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct channels, not shared
    driver.stubs.push_back(corsd::v1::Decider::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                  grpc::InsecureChannelCredentials(), args)));
  }
  driver.request.set_tenant("bench");
  auto* http = driver.request.mutable_request();
  http->set_method("GET");
  http->set_scheme("https");
  http->set_host("api.bench.example");
  http->set_path("/v1/items");
  http->set_origin("https://shop17.bench.example");

  // Warm up the connections.
  for (auto& stub : driver.stubs) {
    grpc::ClientContext context;
    corsd::v1::DecideResponse response;
    stub->Decide(&context, driver.request, &response);
  }
  std::vector<Slot> slots(static_cast<size_t>(o.inflight));
  driver.latencies_us.reserve(1 << 20);
  const double cpu0 = CpuSeconds();
  const auto t0 = Clock::now();
  driver.deadline = t0 + std::chrono::seconds(o.seconds);
  driver.live.store(o.inflight, std::memory_order_relaxed);
  for (size_t i = 0; i < slots.size(); ++i) driver.Issue(&slots[i], i);
  driver.done.WaitForNotification();
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  server->Shutdown();
  if (async != nullptr) async->Stop();

  std::vector<uint32_t>& lat = driver.latencies_us;
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0u
                       : lat[std::min(lat.size() - 1,
                                      static_cast<size_t>(p * lat.size()))];
  };
  std::printf(
      "{\"variant\": \"%s\", \"calls\": %zu, \"errors\": %llu, \"qps\": %.0f, "
      "\"p50_us\": %u, \"p99_us\": %u, \"cpu_ms_per_1000_calls\": %.2f, "
      "\"inflight\": %d, \"channels\": %d, \"seconds\": %.2f}\n",
      name, lat.size(), static_cast<unsigned long long>(driver.errors),
      lat.size() / elapsed, pct(0.50), pct(0.99),
      lat.empty() ? 0.0 : cpu * 1e6 / static_cast<double>(lat.size()),
      o.inflight, o.channels, elapsed);
  std::fflush(stdout);
}

bool ParseFlag(const char* arg, const char* name, int* out) {
  const size_t n = std::strlen(name);
  return std::strncmp(arg, name, n) == 0 && arg[n] == '=' &&
         absl::SimpleAtoi(arg + n + 1, out) && *out > 0;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (!ParseFlag(argv[i], "--seconds", &o.seconds) &&
        !ParseFlag(argv[i], "--inflight", &o.inflight) &&
        !ParseFlag(argv[i], "--channels", &o.channels) &&
        !ParseFlag(argv[i], "--rounds", &o.rounds)) {
      std::fprintf(stderr,
                   "usage: %s [--seconds=N] [--inflight=N] [--channels=N] "
                   "[--rounds=N] (all > 0)\n",
                   argv[0]);
      return 2;
    }
  }
  table::EpochManager epochs;
  table::OriginTable table(&epochs);
  policy::PolicyRegistry registry(&epochs);
  std::vector<table::Op> ops = {{table::Op::Kind::kAddTenant, "bench", ""}};
  for (int i = 0; i < 1000; ++i) {
    ops.push_back({table::Op::Kind::kAddOrigin, "bench",
                   absl::StrCat("https://shop", i, ".bench.example")});
  }
  ops.push_back({table::Op::Kind::kAddApiHost, "bench", "api.bench.example"});
  if (absl::StatusOr<table::ApplyResult> r = table.Apply(ops); !r.ok()) {
    std::fprintf(stderr, "table: %s\n",
                 std::string(r.status().message()).c_str());
    return 1;
  }
  decision::Engine engine(&table, &registry);
  decision::DecisionMetrics metrics;
  const DecisionDeps deps{&engine, &epochs, &metrics};
  CallbackDecider callback(deps);
  DeciderService sync(deps);  // what corsd serves
  // Alternate the variants so drifting machine load hits both alike.
  for (int round = 0; round < o.rounds; ++round) {
    RunOnce("callback", &callback, o);
    RunOnce("sync", &sync, o);
    AsyncDecider async(deps,
                       static_cast<int>(std::thread::hardware_concurrency()));
    RunOnce("async_cq", async.service(), o, &async);
  }
  return 0;
}

}  // namespace
}  // namespace corsd::rpc

int main(int argc, char** argv) { return corsd::rpc::Main(argc, argv); }
