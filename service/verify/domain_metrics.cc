#include "service/verify/domain_metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/domain/domain_lifecycle.h"

namespace corsd::verify {

std::string RenderDomainMetrics(const store::DomainCounts& counts,
                                const Verifier* verifier) {
  std::string out =
      "# HELP corsd_domains Custom domains by lifecycle state.\n"
      "# TYPE corsd_domains gauge\n";
  for (int state = corsd::v1::DOMAIN_STATE_PENDING;
       state <= corsd::v1::DOMAIN_STATE_REMOVED; ++state) {
    absl::StrAppend(
        &out, "corsd_domains{state=\"",
        domain::StateName(static_cast<corsd::v1::DomainState>(state)), "\"} ",
        counts.by_state[state], "\n");
  }
  if (verifier == nullptr) return out;
  out.append(
      "# HELP corsd_domain_attempts_total Custom-domain proof attempts made "
      "by this replica, by method and outcome.\n"
      "# TYPE corsd_domain_attempts_total counter\n");
  for (int method = corsd::v1::DOMAIN_METHOD_DNS;
       method <= corsd::v1::DOMAIN_METHOD_HTTP; ++method) {
    for (int outcome = corsd::v1::DomainAttempt::OUTCOME_PROVEN;
         outcome < Verifier::kOutcomes; ++outcome) {
      const uint64_t n = verifier->Attempts(method, outcome);
      if (n == 0) continue;
      absl::StrAppend(
          &out, "corsd_domain_attempts_total{method=\"",
          domain::MethodName(static_cast<corsd::v1::DomainMethod>(method)),
          "\",outcome=\"",
          absl::AsciiStrToLower(domain::OutcomeName(
              static_cast<corsd::v1::DomainAttempt::Outcome>(outcome))),
          "\"} ", n, "\n");
    }
  }
  return out;
}

}  // namespace corsd::verify
