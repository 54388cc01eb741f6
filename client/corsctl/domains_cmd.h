// `corsctl domains add|verify|ls|show|rm`: a tenant's custom domains over the
// Admin API (AddDomain, VerifyDomain, GetDomain, ListDomains, RemoveDomain).
// RunDomains (commands.h) parses the command line and makes the calls; what
// it prints is built by the pure functions below, and `add --wait` runs
// WaitForVerified over the calls it is given, so both are tested without a
// server.
//
// Text output (stable: people read it, scripts should use --json):
//   times are UTC "2026-12-07T10:00:00Z"; a time of 0 prints as "never" or
//   "-"; states, methods and outcomes use the server's names
//   (domain_lifecycle.h: "pending", "dns", "NXDOMAIN", ...). Text that comes
//   from DNS or HTTP answers (reasons, seen values, notes) is printed with
//   control characters escaped, so it cannot drive the terminal.
//
// Thread safety: pure functions, except WaitForVerified, which calls what it
// is given from the calling thread.
#ifndef CORSD_CLIENT_CORSCTL_DOMAINS_CMD_H_
#define CORSD_CLIENT_CORSCTL_DOMAINS_CMD_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::corsctl {

// "2026-12-07T10:00:00Z" (UTC, seconds); `zero` when `unix_ms` is 0.
std::string FormatUnixMs(int64_t unix_ms, absl::string_view zero);

// `s` on one line: bytes below 0x20 and 0x7f as "\xNN" (so "\n", "\t" and
// escape sequences show as text); everything else as it is.
std::string Printable(absl::string_view s);

// "dns", "http", "operator" (any case) -> the method. InvalidArgument naming
// the value and the accepted names otherwise.
absl::StatusOr<corsd::v1::DomainMethod> ParseDomainMethod(
    absl::string_view name);
// "pending", "verified", "failing", "suspended", "removed" (any case) -> the
// state. InvalidArgument naming the value and the accepted names otherwise.
absl::StatusOr<corsd::v1::DomainState> ParseDomainState(absl::string_view name);

// An attempt's outcome and reason: "NXDOMAIN: <reason>", or the outcome alone
// when the reason is empty.
std::string AttemptSummary(const corsd::v1::DomainAttempt& attempt);

// The columns of `domains ls`, and one row's cells in that order: host,
// tenant, method, state, when the state began, the latest attempt's outcome
// ("-": none), the next attempt ("-": none planned).
inline constexpr std::array<absl::string_view, 7> kDomainColumns = {
    "HOST", "TENANT", "METHOD", "STATE", "SINCE", "LAST ATTEMPT", "NEXT"};
std::vector<std::string> DomainRow(const corsd::v1::CustomDomain& domain);

// The `domains ls` table: a header line and one line per domain, columns
// left-aligned and separated by at least two spaces, each line ending in
// "\n", then "<N> domain(s)\n".
std::string DomainTable(const std::vector<corsd::v1::CustomDomain>& domains);

// `domains show`: every field of the record (state, since, created, verified
// at, next attempt, consecutive failures and failing since, granted entries,
// token, note), then "attempts (newest first):" with time, method, outcome,
// reason and seen values, then "instructions:" with the server's lines.
std::string DescribeDomain(const corsd::v1::DomainInfo& info);

// `domains add` without --json: for a write, the domain added (method,
// revision); for a dry run that it is valid; for an add that changed nothing
// (revision 0: the tenant already had it), that it was already there, with a
// note when its method is not `requested`. Then its state and, unless it is
// verified, the instructions under "To prove control of <host>:".
std::string AddText(const corsd::v1::DomainInfo& info,
                    corsd::v1::DomainMethod requested, bool dry_run);

// `domains verify` without --json: "<host> (tenant <t>): <state>", the
// latest attempt (time, method, outcome, reason, seen values) and the next
// attempt; unless verified, the instructions too.
std::string VerifyText(const corsd::v1::DomainInfo& info);

// One progress line of `add --wait` (without "\n"): "[<time>] <state>: " then
// the latest attempt ("attempt <n>: <outcome>: <reason>", n counting the
// current run of failures; a proof has no number) or, without one, "no
// attempt yet" ("vouched for by the operator (no proof)" for OPERATOR), then
// "; next attempt <time>" when one is planned and the domain is not
// verified. <time> is the latest attempt's, else when the state began.
std::string ProgressLine(const corsd::v1::CustomDomain& domain);

// How `add --wait` waits.
struct WaitOptions {
  absl::Duration timeout = absl::Minutes(10);
  // Between two reads of the domain (GetDomain).
  absl::Duration poll_every = absl::Seconds(2);
  // When positive, VerifyDomain (an attempt now) instead of GetDomain once
  // this much time has passed since the wait began or the last
  // VerifyDomain; zero leaves the attempts to the server's verifier.
  absl::Duration verify_every = absl::ZeroDuration();
};

// What WaitForVerified calls; all must be set.
struct WaitCalls {
  std::function<absl::StatusOr<corsd::v1::DomainInfo>()> get;
  std::function<absl::StatusOr<corsd::v1::DomainInfo>()> verify;
  std::function<absl::Time()> now;
  std::function<void(absl::Duration)> sleep;
};

struct WaitResult {
  enum class End { kVerified, kRemoved, kTimedOut };
  End end = End::kTimedOut;
  // The last answer read (`start` when none was).
  corsd::v1::DomainInfo info;
  // The last call's error when it failed transiently and was not followed
  // by a success ("" otherwise).
  std::string last_error;
};

// Reads the domain until it is VERIFIED (kVerified), REMOVED (kRemoved: taken
// over by another tenant; no use waiting) or `options.timeout` has passed
// since the first call to calls.now (kTimedOut), starting from `start` (the
// AddDomain answer), sleeping options.poll_every between reads (never past
// the deadline). `progress` gets ProgressLine of each answer whose line
// differs from the last one given, and one line per transient failure
// (UNAVAILABLE, DEADLINE_EXCEEDED: the server restarting), after which it
// goes on. Any other failed call ends the wait with that error.
absl::StatusOr<WaitResult> WaitForVerified(
    const corsd::v1::DomainInfo& start, const WaitOptions& options,
    const WaitCalls& calls,
    absl::FunctionRef<void(absl::string_view)> progress);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_DOMAINS_CMD_H_
