#include "service/door/run_path.h"

#include <cstdint>

namespace corsd::door {

DecideResult RunDecide(const DecisionDeps& deps, const TenantSources& tenant,
                       const decision::Request& request,
                       decision::Decision* out,
                       std::chrono::steady_clock::time_point* clock) {
  const bool timed = deps.metrics != nullptr || deps.observer != nullptr;
  const auto start = !timed ? std::chrono::steady_clock::time_point()
                     : clock != nullptr ? *clock
                                        : std::chrono::steady_clock::now();
  DecideResult result;
  result.asked = tenant.named;
  deps.engine->Decide(result.asked, request, out);
  // No tenant found (kUnknownTenant, or kUnknownHostDenied under
  // --unknown-host=deny): the header may still name one.
  if (result.asked.empty() && out->tenant == table::kNoTenant &&
      !tenant.header.empty()) {
    result.asked = tenant.header;
    deps.engine->Decide(result.asked, request, out);
  }
  if (deps.ids != nullptr) result.id = deps.ids->Next();
  if (!timed) return result;
  const auto end = std::chrono::steady_clock::now();
  if (clock != nullptr) *clock = end;
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start);
  if (deps.metrics != nullptr) {
    deps.metrics->RecordDecision(out->action, out->reason,
                                 static_cast<uint64_t>(nanos.count()));
  }
  if (deps.observer != nullptr) {
    deps.observer->OnDecision(DecisionEvent{.door = deps.door,
                                            .tenant = out->tenant_name,
                                            .request = request,
                                            .decision = *out,
                                            .id = result.id,
                                            .latency = nanos});
  }
  return result;
}

}  // namespace corsd::door
