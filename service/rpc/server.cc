#include "service/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/decision/reason.h"
#include "service/rpc/admin_auth.h"
#include "service/rpc/admin_service.h"
#include "service/rpc/audit_log.h"
#include "service/rpc/authorization_service.h"
#include "service/rpc/decider_service.h"
#include "service/rpc/tls_reloader.h"
#include "service/store/catalog.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::rpc {
namespace {

// Service names health reports on, besides "" (the whole server).
constexpr const char* kDecisionServices[] = {
    "corsd.v1.Decider", "envoy.service.auth.v3.Authorization"};
constexpr const char* kAdminServices[] = {"corsd.v1.Admin"};

// The admin listener accepts larger messages: an ImportChunk holds up to
// 100000 items.
constexpr int kAdminMaxMessageBytes = 64 << 20;

// Splits "HOST:PORT" ("[v6]:PORT"); InvalidArgument naming `flag`.
absl::Status ParseHostPort(absl::string_view flag, absl::string_view value,
                           std::string* host) {
  const size_t colon = value.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " \"", value,
                     "\": expected HOST:PORT (IPv6 as [ADDR]:PORT), port "
                     "0..65535"));
  }
  absl::string_view h = value.substr(0, colon);
  if (h.find(':') != absl::string_view::npos &&
      (h.front() != '[' || h.back() != ']')) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " \"", value, "\": an IPv6 host must be bracketed ([::1]:PORT)"));
  }
  *host = std::string(h);
  return absl::OkStatus();
}

// Checks the TLS flags' combination: OK with *tls false for plaintext, with
// *tls true for TLS. InvalidArgument naming the flags otherwise.
absl::Status CheckTlsFlags(const ServerConfig& config, bool* tls) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key: expected both or neither");
  }
  if (config.tls_cert.empty() && !config.tls_client_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca: needs --tls-cert and --tls-key (mTLS is TLS with "
        "client certificates)");
  }
  *tls = !config.tls_cert.empty();
  return absl::OkStatus();
}

}  // namespace

struct Server::Impl {
  ServerConfig config;
  // The core (not owned).
  decision::DecisionMetrics* metrics = nullptr;  // may be null
  store::Catalog* catalog = nullptr;
  // Declared before the grpc::Servers, so they outlive them: the admin
  // handlers read the tokens and the audit log, the TLS fetchers point at
  // `tls`.
  std::optional<AdminTokenStore> tokens;
  std::unique_ptr<AuditLog> audit;   // null: --audit-log ""
  std::unique_ptr<TlsReloader> tls;  // null: plaintext
  std::unique_ptr<DeciderService> decider;
  std::unique_ptr<AuthorizationService> authorization;
  std::unique_ptr<AdminService> admin;
  std::unique_ptr<grpc::Server> decision_server;
  std::unique_ptr<grpc::Server> admin_server;
  std::string decision_address;
  std::string admin_address;
  int decision_port = 0;
  int admin_port = 0;

  // Written by the watcher and Shutdown, read by Serving(): relaxed, the
  // value is a hint that carries no other data.
  std::atomic<bool> serving{false};

  absl::Mutex mu;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  bool stopped ABSL_GUARDED_BY(mu) = false;
  std::thread watcher;

  void SetHealth(bool ok) {
    for (grpc::Server* s : {decision_server.get(), admin_server.get()}) {
      if (s == nullptr || s->GetHealthCheckService() == nullptr) continue;
      grpc::HealthCheckServiceInterface* health = s->GetHealthCheckService();
      health->SetServingStatus("", ok);
      const auto& names =
          s == decision_server.get()
              ? std::vector<const char*>(std::begin(kDecisionServices),
                                         std::end(kDecisionServices))
              : std::vector<const char*>(std::begin(kAdminServices),
                                         std::end(kAdminServices));
      for (const char* name : names) health->SetServingStatus(name, ok);
    }
    if (metrics != nullptr) metrics->SetReady(ok);
    serving.store(ok, std::memory_order_relaxed);
  }

  void WatchReadiness() {
    bool last = serving.load(std::memory_order_relaxed);
    absl::MutexLock lock(&mu);
    while (!mu.AwaitWithTimeout(absl::Condition(&stopping),
                                config.readiness_poll)) {
      const bool ready = catalog->Ready();
      if (ready != last) {
        SetHealth(ready);
        last = ready;
      }
    }
  }

  absl::StatusOr<std::unique_ptr<grpc::Server>> Listen(
      absl::string_view flag, const std::string& address,
      const ServerOptions& transport,
      const std::shared_ptr<grpc::ServerCredentials>& credentials,
      std::initializer_list<grpc::Service*> services, int* port,
      std::string* bound) {
    std::string host;
    if (absl::Status s = ParseHostPort(flag, address, &host); !s.ok()) {
      return s;
    }
    grpc::ServerBuilder builder;
    ApplyServerOptions(transport, &builder);
    builder.AddListeningPort(address, credentials, port);
    for (grpc::Service* service : services) builder.RegisterService(service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (server == nullptr || *port == 0) {
      if (server != nullptr) server->Shutdown();
      return absl::UnavailableError(absl::StrCat(
          flag, " \"", address, "\": cannot bind (in use, or not local)"));
    }
    *bound = absl::StrCat(host, ":", *port);
    return server;
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::Status Server::CheckConfig(const ServerConfig& config) {
  if (absl::Status s = ValidateServerOptions(config.transport); !s.ok()) {
    return s;
  }
  std::string host;
  if (absl::Status s = ParseHostPort("--listen", config.listen, &host);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ParseHostPort("--admin-listen", config.admin_listen, &host);
      !s.ok()) {
    return s;
  }
  bool tls = false;
  if (absl::Status s = CheckTlsFlags(config, &tls); !s.ok()) return s;
  if (tls) {
    if (absl::Status s = TlsReloader::Check(config.tls_cert, config.tls_key,
                                            config.tls_client_ca);
        !s.ok()) {
      return s;
    }
  }
  if (config.admin_token_file.empty()) {
    return absl::InvalidArgumentError(
        "--admin-token-file: required (one bearer token per line); the "
        "Admin service never runs without credentials");
  }
  return AdminTokens::LoadFile(config.admin_token_file).status();
}

Server::~Server() { Shutdown(absl::ZeroDuration()); }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(
    const ServerConfig& config, const ServerCore& core) {
  if (core.decisions.engine == nullptr || core.decisions.epochs == nullptr ||
      core.catalog == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rpc server core: engine, epochs and catalog are required; got "
        "engine=",
        core.decisions.engine != nullptr ? "set" : "null",
        " epochs=", core.decisions.epochs != nullptr ? "set" : "null",
        " catalog=", core.catalog != nullptr ? "set" : "null"));
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->metrics = core.decisions.metrics;
  impl->catalog = core.catalog;
  if (absl::Status s = ValidateServerOptions(config.transport); !s.ok()) {
    return s;
  }
  bool tls = false;
  if (absl::Status s = CheckTlsFlags(config, &tls); !s.ok()) return s;
  if (tls) {
    absl::StatusOr<std::unique_ptr<TlsReloader>> reloader = TlsReloader::Load(
        config.tls_cert, config.tls_key, config.tls_client_ca);
    if (!reloader.ok()) return reloader.status();
    impl->tls = *std::move(reloader);
  }
  // One credentials object per listener (each TLS one tracks what its
  // listener has been handed).
  const auto credentials = [&impl]() {
    return impl->tls != nullptr ? impl->tls->MakeCredentials()
                                : grpc::InsecureServerCredentials();
  };
  if (config.admin_token_file.empty()) {
    return absl::InvalidArgumentError(
        "--admin-token-file: required (one bearer token per line); the "
        "Admin service never runs without credentials");
  }
  absl::StatusOr<AdminTokens> tokens =
      AdminTokens::LoadFile(config.admin_token_file);
  if (!tokens.ok()) return tokens.status();
  impl->tokens.emplace(*std::move(tokens), config.admin_token_file);
  if (!config.audit_log.empty()) {
    absl::StatusOr<std::unique_ptr<AuditLog>> audit =
        AuditLog::Open({.path = config.audit_log});
    if (!audit.ok()) return audit.status();
    impl->audit = *std::move(audit);
  }

  const DecisionDeps deps = core.decisions;
  impl->decider = std::make_unique<DeciderService>(deps);
  impl->authorization =
      std::make_unique<AuthorizationService>(deps, config.tenant_header);
  impl->admin = std::make_unique<AdminService>(
      AdminService::Deps{.catalog = impl->catalog,
                         .tokens = &*impl->tokens,
                         .audit = impl->audit.get(),
                         .metrics = impl->metrics,
                         .verifier = core.verifier,
                         .tenant_view = core.tenant_view,
                         .what_if = core.what_if});

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  absl::StatusOr<std::unique_ptr<grpc::Server>> decision_server =
      impl->Listen("--listen", config.listen, config.transport, credentials(),
                   {impl->decider.get(), impl->authorization.get()},
                   &impl->decision_port, &impl->decision_address);
  if (!decision_server.ok()) return decision_server.status();
  impl->decision_server = *std::move(decision_server);

  // Admin: its own sync threads (gRPC's default pollers, not --threads,
  // which sizes the decision path) and room for 100000-item import chunks.
  ServerOptions admin_transport = config.transport;
  admin_transport.threads = 0;
  admin_transport.max_receive_message_bytes = std::max(
      admin_transport.max_receive_message_bytes, kAdminMaxMessageBytes);
  admin_transport.max_send_message_bytes =
      std::max(admin_transport.max_send_message_bytes, kAdminMaxMessageBytes);
  absl::StatusOr<std::unique_ptr<grpc::Server>> admin_server = impl->Listen(
      "--admin-listen", config.admin_listen, admin_transport, credentials(),
      {impl->admin.get()}, &impl->admin_port, &impl->admin_address);
  if (!admin_server.ok()) {
    impl->decision_server->Shutdown();
    return admin_server.status();
  }
  impl->admin_server = *std::move(admin_server);

  impl->SetHealth(impl->catalog->Ready());
  Impl* raw = impl.get();
  impl->watcher = std::thread([raw] { raw->WatchReadiness(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

const std::string& Server::decision_address() const {
  return impl_->decision_address;
}
const std::string& Server::admin_address() const {
  return impl_->admin_address;
}
int Server::decision_port() const { return impl_->decision_port; }
int Server::admin_port() const { return impl_->admin_port; }
bool Server::Serving() const {
  return impl_->serving.load(std::memory_order_relaxed);
}

void Server::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->stopping) {
      impl_->mu.Await(absl::Condition(&impl_->stopped));
      return;
    }
    impl_->stopping = true;
  }
  if (impl_->watcher.joinable()) impl_->watcher.join();
  impl_->SetHealth(false);
  const gpr_timespec deadline = gpr_time_add(
      gpr_now(GPR_CLOCK_MONOTONIC),
      gpr_time_from_nanos(std::max<int64_t>(0, absl::ToInt64Nanoseconds(grace)),
                          GPR_TIMESPAN));
  // Both listeners drain at once: the admin thread pool and the decision
  // callbacks are independent.
  std::thread admin_stop([&] { impl_->admin_server->Shutdown(deadline); });
  impl_->decision_server->Shutdown(deadline);
  admin_stop.join();
  impl_->decision_server->Wait();
  impl_->admin_server->Wait();
  absl::MutexLock lock(&impl_->mu);
  impl_->stopped = true;
}

absl::Status Server::Reload() {
  absl::Status first;
  const auto step = [&first](absl::Status s) {
    if (s.ok()) return;
    if (first.ok()) {
      first = std::move(s);
    } else {
      first = absl::Status(first.code(),
                           absl::StrCat(first.message(), "; ", s.message()));
    }
  };
  step(impl_->tokens->ReloadFile());
  if (impl_->tls != nullptr) step(impl_->tls->Reload());
  if (impl_->audit != nullptr) step(impl_->audit->Reopen());
  return first;
}

void Server::RenderMetrics(std::string* out) const {
  if (impl_->audit != nullptr) impl_->audit->RenderPrometheus(out);
}

void Server::Wait() {
  absl::MutexLock lock(&impl_->mu);
  impl_->mu.Await(absl::Condition(&impl_->stopped));
}

}  // namespace corsd::rpc
