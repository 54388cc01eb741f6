// `corsctl top --tenant T [--limit N]` (or `--unknown`): the most refused
// origins of a tenant over corsd's last window, from the per-tenant view
// (Admin TopRefused; service/tenant_view/refusal_view.h). RunTop
// (commands.h) parses the command line and makes the call; what it prints is
// built by the pure functions below, tested without a server.
//
// Text output (stable: people read it, scripts should use --json, which
// prints the TopRefusedResponse as protobuf JSON):
//   a heading "tenant <T>: <N> refusal(s) in the last <window>", the table
//   (columns kTopColumns, left-aligned, separated by at least two spaces),
//   "<n> origin(s)", then notes: the tenant's counts come from the shared
//   sketch; refusals were dropped (counts are lower bounds). Origins come
//   from clients: printed with control characters escaped (Printable); a
//   request without Origin shows as "(no Origin)", a cut origin ends in
//   "...". Times are UTC "2026-12-07T10:00:00Z".
//
// Thread safety: pure functions.
#ifndef CORSD_CLIENT_CORSCTL_TOP_CMD_H_
#define CORSD_CLIENT_CORSCTL_TOP_CMD_H_

#include <array>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "corsd/v1/admin.pb.h"

namespace corsd::corsctl {

// The columns of `corsctl top`, and one row's cells in that order: the
// origin, its count, the count's error bound (the true count is between
// COUNT - ERROR and COUNT), the rule ("-": none),
// the reason's enum name (with the cause in parentheses when there is
// one), when it was last seen.
inline constexpr std::array<absl::string_view, 6> kTopColumns = {
    "ORIGIN", "COUNT", "ERROR", "RULE", "REASON", "LAST SEEN"};
std::vector<std::string> TopRow(const corsd::v1::RefusedOrigin& origin);

// The whole text of `corsctl top` for `tenant` ("" with `unknown`: the
// refusals no tenant owned), each line ending in "\n".
std::string TopText(absl::string_view tenant, bool unknown,
                    const corsd::v1::TopRefusedResponse& response);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_TOP_CMD_H_
