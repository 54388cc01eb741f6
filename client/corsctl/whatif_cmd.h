// `corsctl what-if`: before pushing a policy or origin change to a tenant
// with live traffic, ask corsd (Admin.WhatIf) which recent callers' outcome
// would flip. RunWhatIf (commands.h) parses the command line, reads the
// optional decision-log file, makes the call and prints; the pure functions
// below (log reading, text) are tested without a server.
//
// Exit status (stable: CI pipelines key on it):
//   0  nothing flips
//   1  at least one shape flips (allowed <-> refused)
//   2  usage error
//   3  the call failed or was refused (bad proposed change, unknown tenant,
//      unreachable server, unreadable file)
//
// A decision-log line (service/decision_log/decision_log.h) becomes a shape
// as follows: door, method and origin (null: no Origin header) as logged;
// the path is the logged path_class ("default" becomes "/"), which falls in
// the same route class of the current policy (a proposed policy with new
// route prefixes may classify the real path differently); no host (the
// replay decides for the tenant by name, so the host does not choose the
// tenant); no credentials, no preflight headers, no Upgrade (the log keeps
// none of them). So lines whose reason belongs to a preflight (R6, R7, R8,
// R12) or a WebSocket (R13) are skipped and counted, not replayed as
// something they were not; so are lines with a value the log cut ("\u2026"),
// lines for other tenants, and lines that are not a decision-log object.
// Equal shapes are merged with their counts.
//
// Thread safety: pure functions.
#ifndef CORSD_CLIENT_CORSCTL_WHATIF_CMD_H_
#define CORSD_CLIENT_CORSCTL_WHATIF_CMD_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::corsctl {

inline constexpr int kExitFlips = 1;
inline constexpr int kExitWhatIfFailed = 3;

// Limits of --log: bytes read, bytes per line, distinct shapes sent (the
// server's bound, whatif/replay.h kMaxWhatIfShapes).
inline constexpr uint64_t kMaxLogBytes = uint64_t{1} << 30;
inline constexpr size_t kMaxLogLineBytes = 16 * 1024;
inline constexpr size_t kMaxLogShapes = 10000;

// What a decision-log file gave for one tenant.
struct LogShapes {
  std::vector<corsd::v1::ObservedShape> shapes;
  uint64_t lines = 0;         // lines read
  uint64_t used = 0;          // lines of the tenant turned into shapes
  uint64_t other_tenant = 0;  // lines of other tenants
  uint64_t skipped = 0;       // preflight / WebSocket / cut values
  uint64_t malformed = 0;     // not a decision-log object
};

// Reads decision-log lines from `in` (named `name` in errors) and keeps
// those of `tenant` as shapes (see the file comment). Errors:
// InvalidArgument naming `name` and the line number when a line is longer
// than kMaxLogLineBytes, when more than kMaxLogBytes are read, or when the
// tenant's lines make more than kMaxLogShapes distinct shapes.
absl::StatusOr<LogShapes> ReadDecisionLog(std::istream& in,
                                          absl::string_view name,
                                          absl::string_view tenant);

// One line describing a shape: "[door] METHOD origin (host, path)" plus
// "preflight PUT", "headers ...", "credentials", "upgrade ..." when set;
// control characters escaped.
std::string DescribeShape(const corsd::v1::RequestShape& shape);

// "allowed (R2 REASON_R2_ORIGIN_ALLOWED, continue)" / "refused (R2
// REASON_R2_ORIGIN_NOT_ALLOWED, 403)", with ", credentials" when the answer
// allows them.
std::string DescribeOutcome(const corsd::v1::WhatIfOutcome& outcome);

// The text report: a summary line, then "Flips:" (each change that flips:
// count, shape, before -> after), then "Other changes:" (status or reason
// only), then what was not covered (shapes corsd dropped, recording off).
std::string WhatIfText(absl::string_view tenant,
                       const corsd::v1::WhatIfResponse& response);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_WHATIF_CMD_H_
