// What one proof-of-control attempt for a custom domain found: the shared
// vocabulary of the provers (service/dns: DNS TXT, service/proof: HTTP
// token), the lifecycle (domain_lifecycle.h) and the Admin API, whose
// corsd.v1.DomainAttempt.Outcome mirrors ProofOutcome number for number.
//
// Header-only value types; no I/O, no global state.
#ifndef CORSD_SERVICE_DOMAIN_PROOF_H_
#define CORSD_SERVICE_DOMAIN_PROOF_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace corsd::domain {

// How control of a domain was (or is to be) proven. Numbers mirror
// corsd.v1.DomainMethod.
enum class ProofMethod : uint8_t {
  kDns = 1,       // TXT record at <prefix>.<host> holding the token
  kHttp = 2,      // http://<host>/.well-known/corsd-challenge/<token> -> token
  kOperator = 3,  // the operator vouched for it (API hosts, operator adds)
};

// The outcome of one attempt. Numbers mirror corsd.v1.DomainAttempt.Outcome.
enum class ProofOutcome : uint8_t {
  kProven = 1,            // the token was seen where expected
  kNxDomain = 2,          // DNS: the name does not exist
  kNoRecord = 3,          // DNS: the name exists but has no TXT record
  kWrongValue = 4,        // DNS: TXT records present, none holds the token
  kTimeout = 5,           // DNS or HTTP: no answer in time
  kResolverError = 6,     // DNS: SERVFAIL, REFUSED, malformed answer...
  kPrivateTarget = 7,     // HTTP: the host resolves to a refused address
  kConnectFailed = 8,     // HTTP: no address accepted a connection
  kHttpStatus = 9,        // HTTP: a status other than 200
  kRedirectRefused = 10,  // HTTP: a redirect to another host (or too many)
  kTooLarge = 11,         // HTTP: headers or body over the limit
  kBodyMismatch = 12,     // HTTP: 200, but the body is not the token
  kBadResponse = 13,      // HTTP: not a parseable HTTP/1.x response
};

// At most this many values are kept in ProofResult::seen, each cut to
// kMaxSeenValueBytes (a record set or a body is the publisher's bytes; a
// person needs a sample, the store a bound).
inline constexpr size_t kMaxSeenValues = 8;
inline constexpr size_t kMaxSeenValueBytes = 128;

struct ProofResult {
  ProofOutcome outcome = ProofOutcome::kResolverError;
  // One line a person can act on, naming what was asked and what was found:
  // "TXT _corsd-challenge.shop.example.com has 2 values, none is the token
  // (seen: \"abc\", \"google-site-verification=...\")". Never contains the
  // expected token: the token is shown only to its tenant, apart.
  std::string reason;
  // What was found instead of the token: TXT values, or the start of a body
  // (at most kMaxSeenValues, each at most kMaxSeenValueBytes bytes, cut
  // values end in "..."). Empty when nothing was found.
  std::vector<std::string> seen;
};

}  // namespace corsd::domain

#endif  // CORSD_SERVICE_DOMAIN_PROOF_H_
