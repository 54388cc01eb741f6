// The custom-domain lifecycle as pure functions over corsd.v1.CustomDomain:
// a new domain, the record after a proof attempt, which grants a state
// carries, and what the customer must publish. The Catalog stores the
// records these return; the verifier (service/verify) makes the attempts.
//
// States (admin.proto DomainState):
//   PENDING    --proven-->  VERIFIED
//   PENDING    --failed-->  FAILING (never verified: no grants)
//   VERIFIED   --failed-->  FAILING (grants kept while within the grace)
//   FAILING    --proven-->  VERIFIED
//   FAILING    --failed, first failure older than grace, was verified-->
//                           SUSPENDED (grants removed)
//   SUSPENDED  --proven-->  VERIFIED (grants back)
//   OPERATOR domains are VERIFIED when added and never attempted.
// Retries: pending and failing domains back off exponentially from
// first_retry to max_retry, each delay scaled by a jitter factor in
// [1 - jitter, 1 + jitter]; verified domains are re-checked every recheck
// (jittered the same way); suspended ones every max_retry.
//
// Pure functions; thread-safe. Time is passed in (unix milliseconds).
#ifndef CORSD_SERVICE_DOMAIN_DOMAIN_LIFECYCLE_H_
#define CORSD_SERVICE_DOMAIN_DOMAIN_LIFECYCLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "corsd/v1/admin.pb.h"
#include "service/domain/proof.h"

namespace corsd::domain {

struct LifecycleConfig {
  absl::Duration first_retry = absl::Seconds(30);
  absl::Duration max_retry = absl::Hours(1);
  absl::Duration recheck = absl::Hours(24);  // --domain-recheck
  absl::Duration grace = absl::Hours(72);    // --domain-grace
  double jitter = 0.1;                       // fraction, 0 <= jitter < 1
  size_t max_attempts_kept = 5;
  // DNS challenge label (--domain-challenge-prefix).
  std::string challenge_prefix = "_corsd-challenge";
};

// Checks a config read from flags. InvalidArgument naming the flag
// (--domain-recheck, --domain-grace, --domain-challenge-prefix) when a
// duration is not positive, first_retry > max_retry, jitter is outside
// [0, 1), or the prefix is not one DNS label (1-63 of [A-Za-z0-9_-]).
absl::Status ValidateLifecycleConfig(const LifecycleConfig& config);

// A new domain of `tenant` for `host` (canonical, domain_name.h) proven by
// `method`, created at `now_ms`, with `token` (NewToken()). DNS and HTTP
// domains start PENDING, due at once; OPERATOR ones start VERIFIED, never
// attempted.
corsd::v1::CustomDomain NewDomain(absl::string_view tenant,
                                  absl::string_view host,
                                  corsd::v1::DomainMethod method,
                                  std::string token, int64_t now_ms);

// 26 characters of [a-z2-7] (130 random bits from the kernel's getrandom):
// unguessable, and valid in a TXT record, a URL path and a file name.
std::string NewToken();

// The record after one attempt that ended with `result` at `now_ms`.
// `jitter01` is a uniform draw in [0, 1) (the caller's random source, so
// tests can fix it). The newest attempt goes first; at most
// config.max_attempts_kept are kept. REMOVED and OPERATOR records are
// returned unchanged.
corsd::v1::CustomDomain AfterAttempt(const corsd::v1::CustomDomain& record,
                                     const ProofResult& result, int64_t now_ms,
                                     const LifecycleConfig& config,
                                     double jitter01);

// Whether the record's grants (routing as an API host, the origin) should be
// in place: VERIFIED, or FAILING after having been verified while within the
// grace (which AfterAttempt enforces by suspending it).
bool GrantsActive(const corsd::v1::CustomDomain& record);

// Whether /ask approves the host: VERIFIED only.
inline bool AskApproves(const corsd::v1::CustomDomain& record) {
  return record.state() == corsd::v1::DOMAIN_STATE_VERIFIED;
}

// The DNS name that must hold the TXT token: "<prefix>.<host>", or for a
// wildcard "*.<parent>" "<prefix>.<parent>".
std::string ChallengeDnsName(absl::string_view prefix, absl::string_view host);
// The URL the HTTP proof fetches ("http://<host or parent>/.well-known/
// corsd-challenge/<token>"; ":port" added when http_port != 80).
std::string ChallengeUrl(absl::string_view host, absl::string_view token,
                         int http_port);

// What the customer must publish, one step per line, naming the exact
// record or URL and value; for OPERATOR domains, that nothing is needed.
std::vector<std::string> Instructions(const corsd::v1::CustomDomain& record,
                                      const LifecycleConfig& config,
                                      int http_port);

// ProofOutcome <-> proto Outcome and names ("PROVEN", "NXDOMAIN", ...: the
// proto enum name without "OUTCOME_"), for metrics and corsctl.
corsd::v1::DomainAttempt::Outcome OutcomeProto(ProofOutcome outcome);
absl::string_view OutcomeName(corsd::v1::DomainAttempt::Outcome outcome);
// "pending", "verified", "failing", "suspended", "removed".
absl::string_view StateName(corsd::v1::DomainState state);
// "dns", "http", "operator".
absl::string_view MethodName(corsd::v1::DomainMethod method);

}  // namespace corsd::domain

#endif  // CORSD_SERVICE_DOMAIN_DOMAIN_LIFECYCLE_H_
