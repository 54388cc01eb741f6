// The custom-domain series of /metrics: corsd_domains{state} (gauge, from
// the Catalog) and corsd_domain_attempts_total{method, outcome} (counter,
// from this replica's Verifier). /ask answers are the HTTP door's own
// (http/ask.h).
//
// Pure rendering; thread-safe as its inputs are.
#ifndef CORSD_SERVICE_VERIFY_DOMAIN_METRICS_H_
#define CORSD_SERVICE_VERIFY_DOMAIN_METRICS_H_

#include <string>

#include "service/store/catalog.h"
#include "service/verify/verifier.h"

namespace corsd::verify {

// Prometheus text format. `verifier` may be null (no attempt series).
std::string RenderDomainMetrics(const store::DomainCounts& counts,
                                const Verifier* verifier);

}  // namespace corsd::verify

#endif  // CORSD_SERVICE_VERIFY_DOMAIN_METRICS_H_
