#include "service/door/run_path.h"

#include <cstdint>

namespace corsd::door {

absl::string_view RunDecide(const DecisionDeps& deps,
                            const TenantSources& tenant,
                            const decision::Request& request,
                            decision::Decision* out,
                            std::chrono::steady_clock::time_point* clock) {
  const auto start = deps.metrics == nullptr
                         ? std::chrono::steady_clock::time_point()
                     : clock != nullptr ? *clock
                                        : std::chrono::steady_clock::now();
  absl::string_view asked = tenant.named;
  deps.engine->Decide(asked, request, out);
  if (asked.empty() && out->reason == decision::Reason::kUnknownTenant &&
      !tenant.header.empty()) {
    asked = tenant.header;
    deps.engine->Decide(asked, request, out);
  }
  if (deps.metrics != nullptr) {
    const auto end = std::chrono::steady_clock::now();
    if (clock != nullptr) *clock = end;
    const auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
            .count();
    deps.metrics->RecordDecision(out->action, out->reason,
                                 static_cast<uint64_t>(nanos));
  }
  return asked;
}

}  // namespace corsd::door
