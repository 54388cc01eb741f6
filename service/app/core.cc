#include "service/app/core.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/dns/cares_resolver.h"
#include "service/store/store.h"

namespace corsd::app {

absl::StatusOr<std::unique_ptr<Core>> Core::Open(const CoreConfig& config) {
  if (!config.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--data-dir \"", config.data_dir,
                       "\": cannot be created: ", ec.message()));
    }
  }
  std::unique_ptr<Core> core(new Core());
  core->epochs_ = std::make_unique<table::EpochManager>();
  core->table_ = std::make_unique<table::OriginTable>(core->epochs_.get());
  core->registry_ =
      std::make_unique<policy::PolicyRegistry>(core->epochs_.get());
  core->engine_ = std::make_unique<decision::Engine>(
      core->table_.get(), core->registry_.get(), config.engine);
  core->metrics_ = std::make_unique<decision::DecisionMetrics>(config.labels);
  core->ids_ =
      std::make_unique<door::DecisionIds>(door::DecisionIds::RandomPrefix());
  if (!config.decision_log.path.empty()) {
    absl::StatusOr<std::unique_ptr<decision_log::DecisionLog>> log =
        decision_log::DecisionLog::Open(config.decision_log);
    if (!log.ok()) return log.status();
    core->decision_log_ = *std::move(log);
  }
  if (config.tenant_view_enabled) {
    absl::StatusOr<std::unique_ptr<tenant_view::RefusalView>> view =
        tenant_view::RefusalView::Create(config.tenant_view);
    if (!view.ok()) return view.status();
    core->tenant_view_ = *std::move(view);
  }
  core->observers_.Add(core->decision_log_.get());
  if (config.whatif_recording) {
    absl::StatusOr<std::unique_ptr<whatif::ShapeRecorder>> recorder =
        whatif::ShapeRecorder::Create(config.whatif);
    if (!recorder.ok()) return recorder.status();
    core->shape_recorder_ = *std::move(recorder);
  }
  core->observers_.Add(core->tenant_view_.get());
  core->observers_.Add(core->shape_recorder_.get());
  core->observer_ = core->observers_.ForDoors();

  absl::StatusOr<std::unique_ptr<store::Store>> store =
      store::OpenStore(config.store_url, config.data_dir);
  if (!store.ok()) return store.status();
  absl::StatusOr<std::unique_ptr<store::Catalog>> catalog =
      store::Catalog::Open(*std::move(store), core->epochs_.get(),
                           core->table_.get(), core->registry_.get(),
                           config.catalog);
  if (!catalog.ok()) return catalog.status();
  core->catalog_ = *std::move(catalog);
  core->what_if_ = std::make_unique<whatif::WhatIf>(
      whatif::WhatIfDeps{.catalog = core->catalog_.get(),
                         .engine = core->engine_.get(),
                         .epochs = core->epochs_.get(),
                         .engine_options = config.engine,
                         .recorder = core->shape_recorder_.get()});
  if (config.verifier.concurrency > 0) {
    dns::CaresOptions dns;
    dns.server = config.dns_resolver;
    absl::StatusOr<std::unique_ptr<dns::CaresResolver>> resolver =
        dns::CaresResolver::Create(dns);
    if (!resolver.ok()) return resolver.status();
    core->resolver_ = *std::move(resolver);
    core->verifier_ = std::make_unique<verify::Verifier>(
        core->catalog_.get(), core->resolver_.get(), config.verifier);
    core->verifier_->Start();
  }
  return core;
}

Core::~Core() {
  // The verifier writes through the catalog: it stops first.
  if (verifier_ != nullptr) verifier_->Stop();
}

}  // namespace corsd::app
