// Core: corsd's in-memory decision core and the durable catalog that feeds
// it, built once per process and shared by every door (service/app/app.h
// starts the doors over it). Owns, in construction order: the
// EpochManager, the OriginTable and PolicyRegistry on it, the Engine over
// both, the DecisionMetrics, and the Catalog (the store opened from
// CoreConfig and loaded into the table and registry), then the custom
// domain verifier over the catalog (started; stopped first when the Core
// is destroyed). Also the decision ids every door returns and, with
// --decision-log, the decision log observing every decision
// (service/decision_log/decision_log.h), and, unless --tenant-view=false,
// the per-tenant refusal view (service/tenant_view/refusal_view.h), the
// what-if replay (service/whatif/) and, with --whatif-shapes-per-tenant N,
// the shape recorder it replays.
//
// Thread safety: the accessors may be called from any thread; the objects
// they return state their own thread safety. Destroy the Core only after
// every door using it has stopped.
#ifndef CORSD_SERVICE_APP_CORE_H_
#define CORSD_SERVICE_APP_CORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/decision_log/decision_log.h"
#include "service/dns/resolver.h"
#include "service/door/decision_id.h"
#include "service/door/observer_set.h"
#include "service/door/run_path.h"
#include "service/policy/policy_registry.h"
#include "service/store/catalog.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"
#include "service/tenant_view/refusal_view.h"
#include "service/verify/verifier.h"
#include "service/whatif/replay.h"
#include "service/whatif/shape_recorder.h"

namespace corsd::app {

struct CoreConfig {
  // Directory of the embedded store (created if missing); required unless
  // store_url names a shared store.
  std::string data_dir;
  // store::OpenStore's URL ("" = SQLite in data_dir).
  std::string store_url;
  // How /metrics names action and reason codes (proto enum names by
  // default).
  decision::MetricsLabels labels;
  // The engine's defaults for what no policy covers (--unknown-host).
  decision::EngineOptions engine;
  // Custom domains: lifecycle, limits, clock (store/catalog.h).
  store::CatalogOptions catalog;
  // The DNS server the verifier asks (--dns-resolver; "" = the system's).
  std::string dns_resolver;
  // The verifier; concurrency 0 runs none (another replica verifies).
  verify::VerifierOptions verifier;
  // The decision log (--decision-log*); path "" = off: no observer, no
  // thread, nothing on the decision path.
  decision_log::DecisionLogOptions decision_log;
  // The per-tenant refusal view (--tenant-view*): on unless
  // tenant_view_enabled is false (then no observer, no thread).
  bool tenant_view_enabled = true;
  tenant_view::RefusalViewOptions tenant_view;
  // The what-if shape recorder (--whatif-*): off unless whatif_recording is
  // true (off: no observer, no thread; WhatIf replays only given shapes).
  bool whatif_recording = false;
  whatif::ShapeRecorderOptions whatif;
};

class Core {
 public:
  // Builds the core, opens the decision log (when configured) and the
  // store, loads the catalog, starts the verifier. Errors (nothing left
  // open): InvalidArgument when data_dir cannot be created (naming
  // --data-dir and the path), or for a malformed --dns-resolver;
  // DecisionLog::Open's; the store's and Catalog::Open's errors.
  static absl::StatusOr<std::unique_ptr<Core>> Open(const CoreConfig& config);

  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  table::EpochManager* epochs() const { return epochs_.get(); }
  table::OriginTable* table() const { return table_.get(); }
  policy::PolicyRegistry* registry() const { return registry_.get(); }
  const decision::Engine* engine() const { return engine_.get(); }
  decision::DecisionMetrics* metrics() const { return metrics_.get(); }
  store::Catalog* catalog() const { return catalog_.get(); }
  // Null when CoreConfig::verifier.concurrency is 0.
  verify::Verifier* verifier() const { return verifier_.get(); }
  door::DecisionIds* ids() const { return ids_.get(); }
  // Null when the decision log is off.
  decision_log::DecisionLog* decision_log() const {
    return decision_log_.get();
  }
  // Null when the per-tenant view is off.
  tenant_view::RefusalView* tenant_view() const { return tenant_view_.get(); }
  // Null when recording is off.
  whatif::ShapeRecorder* shape_recorder() const {
    return shape_recorder_.get();
  }
  // The what-if replay over the catalog, the engine and the recorder.
  const whatif::WhatIf* what_if() const { return what_if_.get(); }
  // What observes every decision (door/observer_set.h): the decision log
  // when on, and the core's other observers; null when there is none.
  door::DecisionObserver* observer() const { return observer_; }
  // What every door decides with (service/door/run_path.h); each door sets
  // its own door name.
  door::DecisionDeps decision_deps() const {
    return {.engine = engine(),
            .epochs = epochs(),
            .metrics = metrics(),
            .ids = ids(),
            .observer = observer()};
  }

 private:
  Core() = default;

  // Declaration order is construction order; destroyed in reverse.
  std::unique_ptr<table::EpochManager> epochs_;
  std::unique_ptr<table::OriginTable> table_;
  std::unique_ptr<policy::PolicyRegistry> registry_;
  std::unique_ptr<decision::Engine> engine_;
  std::unique_ptr<decision::DecisionMetrics> metrics_;
  std::unique_ptr<door::DecisionIds> ids_;
  std::unique_ptr<decision_log::DecisionLog> decision_log_;
  std::unique_ptr<tenant_view::RefusalView> tenant_view_;
  std::unique_ptr<whatif::ShapeRecorder> shape_recorder_;
  // Every observer above, in order; observer_ is what doors get
  // (ObserverSet::ForDoors), fixed once Open returns.
  door::ObserverSet observers_;
  door::DecisionObserver* observer_ = nullptr;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<dns::Resolver> resolver_;
  std::unique_ptr<verify::Verifier> verifier_;  // stopped before the catalog
  std::unique_ptr<whatif::WhatIf> what_if_;
};

}  // namespace corsd::app

#endif  // CORSD_SERVICE_APP_CORE_H_
