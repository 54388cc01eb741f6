#include "service/app/app.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/verify/domain_metrics.h"

namespace corsd::app {
namespace {

// What /metrics shows after the decision metrics: the custom-domain gauges
// and counters, then the decision log's counters when it is on.
std::string ExtraMetrics(const Core& core) {
  std::string text = verify::RenderDomainMetrics(core.catalog()->CountDomains(),
                                                 core.verifier());
  if (core.decision_log() != nullptr) {
    core.decision_log()->RenderPrometheus(&text);
  }
  if (core.tenant_view() != nullptr) {
    core.tenant_view()->RenderPrometheus(&text);
  }
  if (core.shape_recorder() != nullptr) {
    core.shape_recorder()->RenderPrometheus(&text);
  }
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<App>> App::Start(const AppConfig& config) {
  // Flags first: nothing is opened for a configuration that cannot start.
  if (absl::Status s = rpc::Server::CheckConfig(config.rpc); !s.ok()) return s;
  std::unique_ptr<App> app(new App());
  absl::StatusOr<std::unique_ptr<Core>> core = Core::Open(config.core);
  if (!core.ok()) return core.status();
  app->core_ = *std::move(core);

  absl::StatusOr<std::unique_ptr<rpc::Server>> rpc = rpc::Server::Start(
      config.rpc, rpc::ServerCore{.decisions = app->core_->decision_deps(),
                                  .catalog = app->core_->catalog(),
                                  .verifier = app->core_->verifier(),
                                  .tenant_view = app->core_->tenant_view(),
                                  .what_if = app->core_->what_if()});
  if (!rpc.ok()) return rpc.status();
  app->rpc_ = *std::move(rpc);

  if (!config.http_listen.empty()) {
    http::HttpServerOptions options;
    options.listen = config.http_listen;
    options.tenant_header = config.rpc.tenant_header;
    options.saas_hosts = config.saas_hosts;
    options.threads = config.http_threads > 0
                          ? config.http_threads
                          : static_cast<int>(std::max(
                                1u, std::thread::hardware_concurrency()));
    absl::StatusOr<std::unique_ptr<http::HttpServer>> started =
        http::HttpServer::Start(
            options,
            http::HttpDeps{
                .engine = app->core_->engine(),
                .table = app->core_->table(),
                .epochs = app->core_->epochs(),
                .catalog = app->core_->catalog(),
                .metrics = app->core_->metrics(),
                .domains = &app->core_->catalog()->domain_index(),
                .extra_metrics =
                    [core = app->core_.get(), rpc = app->rpc_.get()] {
                      std::string text = ExtraMetrics(*core);
                      rpc->RenderMetrics(&text);  // the audit log's counters
                      return text;
                    },
                .ids = app->core_->ids(),
                .observer = app->core_->observer()});
    if (!started.ok()) {
      app->rpc_->Shutdown(absl::ZeroDuration());
      return started.status();
    }
    app->http_ = *std::move(started);
  }
  return app;
}

App::~App() { Shutdown(absl::ZeroDuration()); }

const std::string& App::decision_address() const {
  return rpc_->decision_address();
}
const std::string& App::admin_address() const { return rpc_->admin_address(); }
std::string App::http_address() const {
  return http_ != nullptr ? http_->address() : std::string();
}
int App::decision_port() const { return rpc_->decision_port(); }
int App::admin_port() const { return rpc_->admin_port(); }
int App::http_port() const { return http_ != nullptr ? http_->port() : 0; }
bool App::Serving() const { return rpc_->Serving(); }

absl::Status App::Reload() {
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
  // The decision log: continue in a new file at the configured path.
  if (core_->decision_log() != nullptr) step(core_->decision_log()->Reopen());
  // Admin tokens, the TLS certificate and key, the audit log
  // (rpc::Server::Reload: each step independent, failures keep the old).
  if (rpc_ != nullptr) step(rpc_->Reload());
  return first;
}

void App::Shutdown(absl::Duration grace) {
  if (http_ != nullptr) http_->Shutdown();
  if (rpc_ != nullptr) rpc_->Shutdown(grace);
}

}  // namespace corsd::app
