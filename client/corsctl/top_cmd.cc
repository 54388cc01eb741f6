#include "client/corsctl/top_cmd.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/corsctl/command.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/domains_cmd.h"

namespace corsd::corsctl {

namespace {

constexpr uint64_t kMaxLimit = 1000;

constexpr absl::string_view kUsage =
    "usage: corsctl top --tenant T [--limit N] [--json]\n"
    "       corsctl top --unknown [--limit N] [--json]\n\n"
    "Lists the origins corsd refused most for tenant T over its last window\n"
    "(corsd --tenant-view-window, 15m by default): count, the count's error\n"
    "bound (the true count is between COUNT - ERROR and COUNT), rule, reason\n"
    "and when each was last seen. --unknown lists the refusals no tenant\n"
    "owned (unknown tenant or host). Counts come from a bounded sketch; when\n"
    "corsd had to drop refusals (a flood), the output says so and the counts\n"
    "are lower bounds.\n\n"
    "Exit status: 0 ok; 1 failed (the view off, a refused token, no server);\n"
    "2 usage error.\n";

std::string ReasonText(corsd::v1::Reason reason, corsd::v1::Reason cause) {
  std::string out = corsd::v1::Reason_Name(reason);
  if (cause != corsd::v1::REASON_UNSPECIFIED) {
    absl::StrAppend(&out, " (", corsd::v1::Reason_Name(cause), ")");
  }
  return out;
}

}  // namespace

std::vector<std::string> TopRow(const corsd::v1::RefusedOrigin& o) {
  std::string origin = o.has_origin() ? Printable(o.origin()) : "(no Origin)";
  if (o.origin_truncated()) origin += "...";
  return {origin,
          absl::StrCat(o.count()),
          absl::StrCat(o.error()),
          o.rule().empty() ? "-" : o.rule(),
          ReasonText(o.reason(), o.cause()),
          FormatUnixMs(o.last_seen_unix_ms(), "-")};
}

std::string TopText(absl::string_view tenant, bool unknown,
                    const corsd::v1::TopRefusedResponse& r) {
  std::string out =
      absl::StrCat(unknown ? std::string("requests no tenant owned")
                           : absl::StrCat("tenant ", Printable(tenant)),
                   ": ", r.window_refusals(), " refusal(s) in the last ",
                   absl::FormatDuration(
                       absl::Seconds(static_cast<int64_t>(r.window_seconds()))),
                   "\n");
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back(kTopColumns.begin(), kTopColumns.end());
  for (const corsd::v1::RefusedOrigin& o : r.origins()) {
    rows.push_back(TopRow(o));
  }
  std::array<size_t, kTopColumns.size()> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(width[i] + 2 - row[i].size(), ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  absl::StrAppend(&out, r.origins_size(), " origin(s)\n");
  if (r.shared_sketch()) {
    absl::StrAppend(&out,
                    "note: this tenant is beyond corsd's "
                    "--tenant-view-tenants; its counts come from the sketch "
                    "such tenants share (",
                    r.sketch_capacity(), " counters per slice)\n");
  }
  if (r.dropped_tenant_rate() > 0 || r.dropped_ring_full() > 0) {
    absl::StrAppend(
        &out, "note: since corsd started, ", r.dropped_tenant_rate(),
        " refusal(s) over this tenant's budget and ", r.dropped_ring_full(),
        " for a full ring were not counted: counts are lower "
        "bounds\n");
  }
  return out;
}

int RunTop(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::string tenant;
  bool unknown = false;
  uint64_t limit = 20;
  flags.String("tenant", "T", &tenant, "the tenant whose refusals to list");
  flags.Bool("unknown", &unknown,
             "list the refusals no tenant owned instead of --tenant");
  flags.Uint("limit", "N", &limit, kMaxLimit,
             "most origins listed, 1 to 1000 (default 20)");
  std::vector<std::string> positional;
  const int rc = ParseCommandLine(inv, kUsage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (!positional.empty()) {
    return UsageError(inv, absl::StrCat("top takes no argument (got \"",
                                        positional[0], "\"); use --tenant"));
  }
  if (tenant.empty() == !unknown) {
    return UsageError(inv, "top needs exactly one of --tenant T and --unknown");
  }
  if (limit < 1) {
    return UsageError(inv, "--limit \"0\": expected 1 to 1000");
  }
  auto label = [](uint64_t) { return std::string("top"); };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label);
  corsd::v1::TopRefusedRequest request;
  request.set_tenant(tenant);
  request.set_unknown_tenant(unknown);
  request.set_limit(static_cast<uint32_t>(limit));
  auto top = (*admin)->TopRefused(request);
  if (!top.ok()) return ReportFailure(inv, options, top.status(), label);
  if (options.json) {
    *inv.out << ProtoJson(*top) << "\n";
  } else {
    *inv.out << TopText(tenant, unknown, *top);
  }
  return kExitOk;
}

}  // namespace corsd::corsctl
