// The DNS proof of control of a custom domain: does the challenge name
// (<prefix>.<host>, e.g. _corsd-challenge.shop.customer.com) hold a TXT
// record whose value is the domain's token? ProveDns asks a Resolver
// (resolver.h) and turns its answer into the shared vocabulary of
// service/domain/proof.h.
//
// Pure functions over a Resolver: no state of their own; thread-safe as
// far as the Resolver is (CaresResolver is).
#ifndef CORSD_SERVICE_DNS_DNS_PROOF_H_
#define CORSD_SERVICE_DNS_DNS_PROOF_H_

#include <string>

#include "absl/strings/string_view.h"
#include "service/dns/resolver.h"
#include "service/domain/proof.h"

namespace corsd::dns {

// The name whose TXT records prove control of `host`: "<prefix>.<host>";
// for a wildcard host "*.<parent>" the parent's, "<prefix>.<parent>" (the
// one who controls the parent zone controls its subdomains). `prefix` is a
// label such as "_corsd-challenge"; `host` is a canonical host name,
// possibly starting with "*.". No validation: the caller's names are
// canonical.
std::string ChallengeName(absl::string_view prefix, absl::string_view host);

// Asks `resolver` for the TXT records of `challenge_name` (built by
// ChallengeName) and judges them against `token` (non-empty; an empty
// token matches nothing):
//   kProven        a value equals the token byte for byte once the spaces
//                  (' ', only) at its ends are trimmed;
//   kNxDomain      the name does not exist;
//   kNoRecord      the name exists (or is a CNAME to a name that does) with
//                  no TXT record;
//   kWrongValue    TXT values, none the token; `seen` holds them;
//   kTimeout       no answer in time (the resolver's detail in the reason);
//   kResolverError SERVFAIL, REFUSED, a malformed answer... (ditto).
// `reason` is one line naming the record and what was found; `seen` holds
// at most domain::kMaxSeenValues of the values, in the resolver's order,
// each made printable (bytes outside printable ASCII, '"' and '\' are
// written \xNN, \" and \\) and cut to domain::kMaxSeenValueBytes (cut ones
// end in "..."). Neither `reason` nor `seen` ever contains the token: a
// value holding it with something else shows "<token>" in its place.
// Blocks for as long as the resolver does.
domain::ProofResult ProveDns(Resolver& resolver,
                             absl::string_view challenge_name,
                             absl::string_view token);

}  // namespace corsd::dns

#endif  // CORSD_SERVICE_DNS_DNS_PROOF_H_
