// null_server: the ceiling of the service benchmarks. The same gRPC server
// framework, threading and transport options as corsd's decision listener
// (service/rpc/server.h: unary Decide, DecideBatch and Check on the sync API,
// answered inline on the ThreadManager thread that read the request;
// DecideStream on the callback API; corsd::rpc::ApplyServerOptions; the
// default health service and reflection), serving corsd.v1.Decider and
// envoy.service.auth.v3.Authorization with handlers that do no work beyond
// copying a fixed answer: corsd's answer to an allowed, credentialed actual
// request (four headers: allow-origin, allow-credentials, expose-headers,
// vary), so messages have the same size as corsd's typical allowed answer.
// Request ids are echoed, as corsd does.
//
//   null_server [--listen=127.0.0.1:0] [--threads=0]
//
// Prints on stderr, like corsd (HACKING.md), once bound:
//   null_server: listening decisions=127.0.0.1:41234
//   null_server: ready
// SIGTERM or SIGINT shuts it down (in-flight calls get 1 s) and it exits 0;
// exit 1 when it cannot bind, 2 on bad usage.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/load/dataset.h"
#include "corsd/v1/decision.grpc.pb.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "service/rpc/message_arena.h"
#include "service/rpc/server_options.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "HOST:PORT; port 0 = any free");
ABSL_FLAG(int, threads, 0,
          "ServerOptions.threads (sync pollers), as corsd's --threads");

namespace corsd::bench {
namespace {

using corsd::v1::DecideBatchRequest;
using corsd::v1::DecideBatchResponse;
using envoy::service::auth::v3::CheckRequest;
using envoy::service::auth::v3::CheckResponse;

struct FixedHeader {
  std::string name;
  std::string value;
  bool append;
};

// corsd's headers for an allowed, credentialed actual request (R2-R5, R9).
std::vector<FixedHeader> AllowedHeaders() {
  return {{"access-control-allow-origin", OriginAt(42), false},
          {"access-control-allow-credentials", "true", false},
          {"access-control-expose-headers",
           "x-request-id, x-ratelimit-remaining", false},
          {"vary", "Origin", true}};
}

corsd::v1::Decision FixedDecision() {
  corsd::v1::Decision d;
  d.set_action(corsd::v1::ACTION_CONTINUE);
  for (const FixedHeader& h : AllowedHeaders()) {
    corsd::v1::Header* out = d.add_headers();
    out->set_name(h.name);
    out->set_value(h.value);
    out->set_append(h.append);
  }
  d.set_reason(corsd::v1::REASON_R2_ORIGIN_ALLOWED);
  d.set_rule("R2");
  d.set_tenant(TenantId(42));
  return d;
}

CheckResponse FixedCheckResponse() {
  CheckResponse r;
  r.mutable_status()->set_code(0);
  auto* ok = r.mutable_ok_response();
  for (const FixedHeader& h : AllowedHeaders()) {
    auto* option = ok->add_response_headers_to_add();
    option->mutable_header()->set_key(h.name);
    option->mutable_header()->set_value(h.value);
    option->mutable_append()->set_value(h.append);
  }
  return r;
}

// Every batch item gets the fixed decision with its id.
void FillBatch(const corsd::v1::Decision& fixed,
               const DecideBatchRequest& request,
               DecideBatchResponse* response) {
  // Messages reused from the previous batch, as corsd's DecideBatchInto.
  auto* decisions = response->mutable_decisions();
  const int n = request.requests_size();
  while (decisions->size() > n) decisions->RemoveLast();
  decisions->Reserve(n);
  for (int i = 0; i < n; ++i) {
    corsd::v1::Decision* d =
        i < decisions->size() ? decisions->Mutable(i) : decisions->Add();
    *d = fixed;
    d->set_id(request.requests(i).id());
  }
}

// Read, answer, read... until the client half-closes; as corsd's stream.
class NullStreamReactor final
    : public grpc::ServerBidiReactor<DecideBatchRequest, DecideBatchResponse> {
 public:
  explicit NullStreamReactor(const corsd::v1::Decision& fixed) : fixed_(fixed) {
    NextRead();
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status::OK);
      return;
    }
    FillBatch(fixed_, *request_, &response_);
    StartWrite(&response_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                          "DecideStream: the client stopped reading"));
      return;
    }
    NextRead();
  }
  void OnDone() override { delete this; }

 private:
  // Requests on a per-stream arena, the response reused: as corsd.
  void NextRead() {
    request_ = arena_.Fresh<DecideBatchRequest>();
    StartRead(request_);
  }

  const corsd::v1::Decision& fixed_;
  corsd::rpc::MessageArena arena_;
  DecideBatchRequest* request_ = nullptr;  // on arena_
  DecideBatchResponse response_;
};

// Sync unary methods, callback DecideStream: corsd's DeciderService shape.
class NullDecider final
    : public corsd::v1::Decider::WithCallbackMethod_DecideStream<
          corsd::v1::Decider::Service> {
 public:
  grpc::Status Decide(grpc::ServerContext* /*context*/,
                      const corsd::v1::DecideRequest* request,
                      corsd::v1::DecideResponse* response) override {
    corsd::v1::Decision* d = response->mutable_decision();
    *d = fixed_;
    d->set_id(request->id());
    return grpc::Status::OK;
  }
  grpc::Status DecideBatch(grpc::ServerContext* /*context*/,
                           const DecideBatchRequest* request,
                           DecideBatchResponse* response) override {
    FillBatch(fixed_, *request, response);
    return grpc::Status::OK;
  }
  grpc::ServerBidiReactor<DecideBatchRequest, DecideBatchResponse>*
  DecideStream(grpc::CallbackServerContext* /*context*/) override {
    return new NullStreamReactor(fixed_);
  }

 private:
  const corsd::v1::Decision fixed_ = FixedDecision();
};

class NullAuthorization final
    : public envoy::service::auth::v3::Authorization::Service {
 public:
  grpc::Status Check(grpc::ServerContext* /*context*/,
                     const CheckRequest* /*request*/,
                     CheckResponse* response) override {
    *response = fixed_;
    return grpc::Status::OK;
  }

 private:
  const CheckResponse fixed_ = FixedCheckResponse();
};

int Main() {
  corsd::rpc::ServerOptions options;
  options.threads = absl::GetFlag(FLAGS_threads);
  if (absl::Status s = corsd::rpc::ValidateServerOptions(options); !s.ok()) {
    std::fprintf(stderr, "null_server: %s\n", s.ToString().c_str());
    return 2;
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "null_server: listen = \"%s\": expected HOST:PORT\n",
                 listen.c_str());
    return 2;
  }

  // Signals are taken by sigwait below, never by gRPC's threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  NullDecider decider;
  NullAuthorization authorization;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  corsd::rpc::ApplyServerOptions(options, &builder);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&decider);
  builder.RegisterService(&authorization);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "null_server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "null_server: listening decisions=%s:%d\n",
               listen.substr(0, colon).c_str(), port);
  std::fprintf(stderr, "null_server: ready\n");
  std::fflush(stderr);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}

}  // namespace
}  // namespace corsd::bench

int main(int argc, char** argv) {
  // As corsd's main: Debian's abseil tracks lock order by default (4-7% CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "null_server [--listen=HOST:PORT] [--threads=N]: corsd's gRPC "
      "framework with handlers that return a fixed answer (the ceiling)");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() != 1) {
    std::fprintf(stderr, "null_server: unexpected argument \"%s\"\n", rest[1]);
    return 2;
  }
  return corsd::bench::Main();
}
