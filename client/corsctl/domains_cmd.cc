#include "client/corsctl/domains_cmd.h"

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/json.h"
#include "service/domain/domain_lifecycle.h"
#include "service/domain/domain_name.h"
#include "service/store/validation.h"

namespace corsd::corsctl {

namespace {

using corsd::v1::CustomDomain;
using corsd::v1::DomainAttempt;
using corsd::v1::DomainInfo;

constexpr corsd::v1::DomainMethod kMethods[] = {
    corsd::v1::DOMAIN_METHOD_DNS, corsd::v1::DOMAIN_METHOD_HTTP,
    corsd::v1::DOMAIN_METHOD_OPERATOR};
constexpr corsd::v1::DomainState kStates[] = {
    corsd::v1::DOMAIN_STATE_PENDING, corsd::v1::DOMAIN_STATE_VERIFIED,
    corsd::v1::DOMAIN_STATE_FAILING, corsd::v1::DOMAIN_STATE_SUSPENDED,
    corsd::v1::DOMAIN_STATE_REMOVED};

std::string StateName(corsd::v1::DomainState state) {
  return std::string(domain::StateName(state));
}
std::string MethodName(corsd::v1::DomainMethod method) {
  return std::string(domain::MethodName(method));
}
std::string OutcomeName(DomainAttempt::Outcome outcome) {
  absl::string_view name = domain::OutcomeName(outcome);
  if (name.empty()) return absl::StrCat("outcome ", static_cast<int>(outcome));
  return std::string(name);
}

// `"a", "b"`: each value quoted (JSON quoting escapes control characters).
std::string SeenList(const DomainAttempt& attempt) {
  std::vector<std::string> quoted;
  for (const std::string& value : attempt.seen()) {
    quoted.push_back(JsonQuote(value));
  }
  return absl::StrJoin(quoted, ", ");
}

// The entries a domain granted its tenant ("none" when none).
std::string Granted(const CustomDomain& d) {
  std::vector<std::string> parts;
  if (d.granted_api_host())
    parts.push_back(absl::StrCat("api host ", d.host()));
  if (d.granted_origin()) {
    parts.push_back(
        absl::StrCat(absl::StartsWith(d.host(), "*.") ? "wildcard" : "origin",
                     " https://", d.host()));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

void AppendInstructions(const DomainInfo& info, absl::string_view indent,
                        std::string* out) {
  for (const std::string& line : info.instructions()) {
    absl::StrAppend(out, indent, Printable(line), "\n");
  }
}

// An attempt in `verify` and `show` form: `indent` + `prefix` + "<time>
// <method>  <outcome>: <reason>", then `indent` + "  seen: ..." when any.
void AppendAttempt(const DomainAttempt& a, absl::string_view indent,
                   absl::string_view prefix, std::string* out) {
  absl::StrAppend(out, indent, prefix, FormatUnixMs(a.at_unix_ms(), "-"), "  ",
                  MethodName(a.method()), "  ", AttemptSummary(a), "\n");
  if (a.seen_size() > 0) {
    absl::StrAppend(out, indent, "  seen: ", SeenList(a), "\n");
  }
}

}  // namespace

std::string FormatUnixMs(int64_t unix_ms, absl::string_view zero) {
  if (unix_ms == 0) return std::string(zero);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string Printable(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", u));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<corsd::v1::DomainMethod> ParseDomainMethod(
    absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (corsd::v1::DomainMethod method : kMethods) {
    if (lower == domain::MethodName(method)) return method;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "method \"", Printable(name), "\" is not one of dns, http, operator"));
}

absl::StatusOr<corsd::v1::DomainState> ParseDomainState(
    absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (corsd::v1::DomainState state : kStates) {
    if (lower == domain::StateName(state)) return state;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "state \"", Printable(name),
      "\" is not one of pending, verified, failing, suspended, removed"));
}

std::string AttemptSummary(const DomainAttempt& attempt) {
  std::string out = OutcomeName(attempt.outcome());
  if (!attempt.reason().empty()) {
    absl::StrAppend(&out, ": ", Printable(attempt.reason()));
  }
  return out;
}

std::vector<std::string> DomainRow(const CustomDomain& d) {
  return {d.host(),
          d.tenant(),
          MethodName(d.method()),
          StateName(d.state()),
          FormatUnixMs(d.state_since_unix_ms(), "-"),
          d.attempts().empty() ? "-" : OutcomeName(d.attempts(0).outcome()),
          FormatUnixMs(d.next_attempt_unix_ms(), "-")};
}

std::string DomainTable(const std::vector<CustomDomain>& domains) {
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back(kDomainColumns.begin(), kDomainColumns.end());
  for (const CustomDomain& d : domains) rows.push_back(DomainRow(d));
  std::array<size_t, kDomainColumns.size()> width{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) {
        line.append(width[i] + 2 - row[i].size(), ' ');
      }
    }
    absl::StrAppend(&out, line, "\n");
  }
  absl::StrAppend(&out, domains.size(), " domain(s)\n");
  return out;
}

std::string DescribeDomain(const DomainInfo& info) {
  const CustomDomain& d = info.domain();
  std::string out = absl::StrCat("domain ", d.host(), "\n");
  absl::StrAppend(&out, "  tenant: ", d.tenant(), "\n");
  absl::StrAppend(&out, "  method: ", MethodName(d.method()), "\n");
  absl::StrAppend(&out, "  state: ", StateName(d.state()), " (since ",
                  FormatUnixMs(d.state_since_unix_ms(), "-"), ")\n");
  absl::StrAppend(&out, "  created: ", FormatUnixMs(d.created_unix_ms(), "-"),
                  "\n");
  absl::StrAppend(&out, "  verified at: ",
                  FormatUnixMs(d.verified_unix_ms(), "never"), "\n");
  absl::StrAppend(&out, "  next attempt: ",
                  FormatUnixMs(d.next_attempt_unix_ms(), "none planned"), "\n");
  absl::StrAppend(&out, "  consecutive failures: ", d.consecutive_failures());
  if (d.failing_since_unix_ms() != 0) {
    absl::StrAppend(&out, " (failing since ",
                    FormatUnixMs(d.failing_since_unix_ms(), "-"), ")");
  }
  absl::StrAppend(&out, "\n  granted: ", Granted(d), "\n");
  absl::StrAppend(&out, "  token: ", Printable(d.token()), "\n");
  if (!d.note().empty()) {
    absl::StrAppend(&out, "  note: ", Printable(d.note()), "\n");
  }
  absl::StrAppend(&out, "attempts (newest first):\n");
  if (d.attempts().empty()) absl::StrAppend(&out, "  (none)\n");
  for (const DomainAttempt& a : d.attempts()) AppendAttempt(a, "  ", "", &out);
  absl::StrAppend(&out, "instructions:\n");
  if (info.instructions().empty()) absl::StrAppend(&out, "  (none)\n");
  AppendInstructions(info, "  ", &out);
  return out;
}

std::string AddText(const DomainInfo& info, corsd::v1::DomainMethod requested,
                    bool dry_run) {
  const CustomDomain& d = info.domain();
  std::string out;
  if (dry_run) {
    absl::StrAppend(&out, "domain ", d.host(), " for tenant ", d.tenant(),
                    " is valid (dry run, nothing written)\n");
  } else if (info.revision() == 0) {
    absl::StrAppend(&out, "domain ", d.host(), " of tenant ", d.tenant(),
                    " was already added (unchanged; method ",
                    MethodName(d.method()), ")\n");
    if (requested != corsd::v1::DOMAIN_METHOD_UNSPECIFIED &&
        requested != d.method()) {
      absl::StrAppend(&out, "note: it keeps method ", MethodName(d.method()),
                      ", not ", MethodName(requested),
                      "; remove it first to change the method\n");
    }
  } else {
    absl::StrAppend(&out, "domain ", d.host(), " added to tenant ", d.tenant(),
                    " (method ", MethodName(d.method()), ", revision ",
                    info.revision(), ")\n");
  }
  absl::StrAppend(&out, "state: ", StateName(d.state()), "\n");
  if (d.state() != corsd::v1::DOMAIN_STATE_VERIFIED &&
      !info.instructions().empty()) {
    absl::StrAppend(&out, "To prove control of ", d.host(), ":\n");
    AppendInstructions(info, "  ", &out);
  }
  return out;
}

std::string VerifyText(const DomainInfo& info) {
  const CustomDomain& d = info.domain();
  std::string out = absl::StrCat(d.host(), " (tenant ", d.tenant(),
                                 "): ", StateName(d.state()), "\n");
  if (d.attempts().empty()) {
    absl::StrAppend(&out, "  no attempt",
                    d.method() == corsd::v1::DOMAIN_METHOD_OPERATOR
                        ? " (operator: verified when added)"
                        : "",
                    "\n");
  } else {
    AppendAttempt(d.attempts(0), "  ", "attempt ", &out);
  }
  if (d.state() == corsd::v1::DOMAIN_STATE_VERIFIED) return out;
  absl::StrAppend(&out, "  next attempt: ",
                  FormatUnixMs(d.next_attempt_unix_ms(), "none planned"), "\n");
  if (!d.note().empty()) {
    absl::StrAppend(&out, "  note: ", Printable(d.note()), "\n");
  }
  if (!info.instructions().empty()) {
    absl::StrAppend(&out, "To prove control of ", d.host(), ":\n");
    AppendInstructions(info, "  ", &out);
  }
  return out;
}

std::string ProgressLine(const CustomDomain& d) {
  const bool has_attempt = !d.attempts().empty();
  const int64_t at =
      has_attempt ? d.attempts(0).at_unix_ms() : d.state_since_unix_ms();
  std::string out = absl::StrCat("[", FormatUnixMs(at, "-"), "] ",
                                 StateName(d.state()), ": ");
  if (!has_attempt) {
    absl::StrAppend(&out, d.method() == corsd::v1::DOMAIN_METHOD_OPERATOR
                              ? "vouched for by the operator (no proof)"
                              : "no attempt yet");
  } else {
    const DomainAttempt& a = d.attempts(0);
    if (a.outcome() != DomainAttempt::OUTCOME_PROVEN &&
        d.consecutive_failures() > 0) {
      absl::StrAppend(&out, "attempt ", d.consecutive_failures(), ": ");
    }
    absl::StrAppend(&out, AttemptSummary(a));
  }
  if (d.state() != corsd::v1::DOMAIN_STATE_VERIFIED &&
      d.next_attempt_unix_ms() != 0) {
    absl::StrAppend(&out, "; next attempt ",
                    FormatUnixMs(d.next_attempt_unix_ms(), "-"));
  }
  return out;
}

absl::StatusOr<WaitResult> WaitForVerified(
    const DomainInfo& start, const WaitOptions& options, const WaitCalls& calls,
    absl::FunctionRef<void(absl::string_view)> progress) {
  const absl::Time begin = calls.now();
  const absl::Time deadline = begin + options.timeout;
  absl::Time last_verify = begin;
  WaitResult result;
  result.info = start;
  std::string last_line;
  while (true) {
    if (result.last_error.empty()) {
      std::string line = ProgressLine(result.info.domain());
      if (line != last_line) {
        progress(line);
        last_line = std::move(line);
      }
    }
    switch (result.info.domain().state()) {
      case corsd::v1::DOMAIN_STATE_VERIFIED:
        result.end = WaitResult::End::kVerified;
        return result;
      case corsd::v1::DOMAIN_STATE_REMOVED:
        result.end = WaitResult::End::kRemoved;
        return result;
      default:
        break;
    }
    absl::Time now = calls.now();
    if (now >= deadline) {
      result.end = WaitResult::End::kTimedOut;
      return result;
    }
    calls.sleep(std::min(options.poll_every, deadline - now));
    now = calls.now();
    absl::StatusOr<DomainInfo> answer;
    if (options.verify_every > absl::ZeroDuration() &&
        now - last_verify >= options.verify_every) {
      last_verify = now;
      answer = calls.verify();
    } else {
      answer = calls.get();
    }
    if (answer.ok()) {
      result.info = *std::move(answer);
      result.last_error.clear();
      continue;
    }
    const absl::StatusCode code = answer.status().code();
    if (code != absl::StatusCode::kUnavailable &&
        code != absl::StatusCode::kDeadlineExceeded) {
      return answer.status();
    }
    result.last_error = std::string(answer.status().message());
    progress(absl::StrCat("[", FormatUnixMs(absl::ToUnixMillis(now), "-"), "] ",
                          Printable(result.last_error), "; still waiting"));
    // The same line is worth printing again once the server answers.
    last_line.clear();
  }
}

namespace {

constexpr absl::string_view kUsage =
    R"(usage: corsctl domains add --tenant TENANT HOST [--method dns|http|operator]
                           [--dry-run] [--wait [--timeout 10m]
                           [--poll-every 2s] [--verify-every DURATION]]
       corsctl domains verify --tenant TENANT HOST
       corsctl domains show --tenant TENANT HOST
       corsctl domains ls [--tenant TENANT] [--state STATE]
       corsctl domains rm --tenant TENANT HOST

A custom domain is a host a tenant's customer owns (shop.customer.com, or
*.customer.com once customer.com is verified): once the customer proves
control of it, corsd routes it to the tenant and allows it as an origin.

add     issues the domain's token and prints what the customer must publish
        (a DNS TXT record for --method dns, the default; a file served over
        plain HTTP for http). HOST is canonicalized and checked here first,
        as the server does. Adding a domain the tenant has changes nothing
        and prints it again. --method operator vouches for the host without
        a proof: it is verified at once.
        --wait then follows the domain until it is verified, printing a line
        whenever its state or latest attempt changes. corsd verifies in the
        background, retrying with growing delays; --verify-every asks it for
        an attempt that often instead of waiting for the next one.
verify  makes one proof attempt now and prints its outcome.
show    prints everything about the domain: state and times, the entries
        it granted, the token, the attempts (newest first), the instructions.
ls      lists domains, every tenant's without --tenant; with --state only
        those in STATE (pending, verified, failing, suspended, removed).
rm      removes the domain and the entries it granted.

Times are UTC. Durations: 30s, 10m, 1h30m.

Exit status: 0 ok (for verify and add --wait: the domain is verified);
1 refused or failed, not verified (verify), --wait timed out or the domain
was taken over by another tenant; 2 usage error.
)";

std::string Label(absl::string_view host) {
  return absl::StrCat("domain \"", host, "\"");
}

// Flags of every verb but ls: --tenant.
struct DomainFlags {
  std::string tenant;
};

struct AddFlags {
  std::string method = "dns";
  bool dry_run = false;
  bool wait = false;
  std::string timeout = "10m";
  std::string poll_every = "2s";
  std::string verify_every = "0s";
};

struct ListFlags {
  std::string tenant;
  std::string state;
};

void AddTenantFlag(FlagSet* flags, std::string* tenant, bool required) {
  flags->String("tenant", "TENANT", tenant,
                required ? "the tenant holding the domain (required)"
                         : "only this tenant's domains");
}

void DeclareAddFlags(FlagSet* flags, AddFlags* add) {
  flags->String("method", "dns|http|operator", &add->method,
                "how control is proven (default dns)");
  flags->Bool("dry-run", &add->dry_run,
              "validate on the server; change nothing");
  flags->Bool("wait", &add->wait, "wait until the domain is verified");
  flags->String("timeout", "DURATION", &add->timeout,
                "with --wait: give up after DURATION (default 10m)");
  flags->String("poll-every", "DURATION", &add->poll_every,
                "with --wait: read the domain every DURATION (default 2s)");
  flags->String("verify-every", "DURATION", &add->verify_every,
                "with --wait: also ask for an attempt every DURATION (>= 1s)");
}

void DeclareListFlags(FlagSet* flags, ListFlags* list) {
  AddTenantFlag(flags, &list->tenant, false);
  flags->String("state", "STATE", &list->state,
                "only domains in STATE: pending, verified, failing, "
                "suspended or removed");
}

// Parses the value of --`name`: a duration in [min, max], or InvalidArgument
// naming the flag, the value and the range.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view name,
                                                 absl::string_view text,
                                                 absl::Duration min,
                                                 absl::Duration max) {
  absl::Duration d;
  if (!absl::ParseDuration(std::string(text), &d) || d < min || d > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("flag --", name, ": value \"", Printable(text),
                     "\" is not a duration in [", absl::FormatDuration(min),
                     ", ", absl::FormatDuration(max), "] (e.g. 30s, 10m, 1h)"));
  }
  return d;
}

// Parses the verb's arguments: the global flags and those `declare` adds.
// Returns kExitOk with `options` and `positional` filled; -1 after --help;
// kExitUsage after printing a usage error.
template <typename Declare>
int Parse(const Invocation& inv, const std::vector<std::string>& args,
          GlobalOptions* options, std::vector<std::string>* positional,
          Declare declare) {
  FlagSet flags;
  AddGlobalFlags(&flags, options);
  declare(&flags);
  Invocation sub = inv;
  sub.args = args;
  return ParseCommandLine(sub, kUsage, &flags, options, positional);
}

// The one HOST and the --tenant the verbs other than ls take; a usage error
// message when they are missing ("" when fine).
std::string CheckTenantAndHost(absl::string_view verb, const DomainFlags& flags,
                               const std::vector<std::string>& positional) {
  if (positional.size() != 1) {
    return absl::StrCat("domains ", verb, " takes exactly one HOST");
  }
  if (flags.tenant.empty()) {
    return absl::StrCat("domains ", verb, " needs --tenant");
  }
  return "";
}

void PrintProto(const Invocation& inv, const google::protobuf::Message& m) {
  *inv.out << ProtoJson(m) << "\n";
}

int Add(const Invocation& inv, const std::vector<std::string>& args) {
  GlobalOptions options;
  DomainFlags domain_flags;
  AddFlags add;
  std::vector<std::string> positional;
  int rc = Parse(inv, args, &options, &positional, [&](FlagSet* flags) {
    AddTenantFlag(flags, &domain_flags.tenant, true);
    DeclareAddFlags(flags, &add);
  });
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (std::string error = CheckTenantAndHost("add", domain_flags, positional);
      !error.empty()) {
    return UsageError(inv, error);
  }
  absl::StatusOr<corsd::v1::DomainMethod> method =
      ParseDomainMethod(add.method);
  if (!method.ok()) {
    return UsageError(
        inv, absl::StrCat("flag --method: ", method.status().message()));
  }
  WaitOptions wait;
  {
    auto timeout = ParseDurationFlag("timeout", add.timeout, absl::Seconds(1),
                                     absl::Hours(24));
    if (!timeout.ok()) return UsageError(inv, timeout.status().message());
    auto poll = ParseDurationFlag("poll-every", add.poll_every,
                                  absl::Milliseconds(100), absl::Hours(1));
    if (!poll.ok()) return UsageError(inv, poll.status().message());
    auto verify = ParseDurationFlag("verify-every", add.verify_every,
                                    absl::ZeroDuration(), absl::Hours(24));
    if (!verify.ok()) return UsageError(inv, verify.status().message());
    if (*verify > absl::ZeroDuration() && *verify < absl::Seconds(1)) {
      return UsageError(inv, "flag --verify-every: at least 1s (or 0s: off)");
    }
    wait.timeout = *timeout;
    wait.poll_every = *poll;
    wait.verify_every = *verify;
  }
  if (add.wait && add.dry_run) {
    return UsageError(inv, "--wait and --dry-run do not go together");
  }
  const std::string& input = positional[0];
  const std::string tenant = domain_flags.tenant;

  // The server's stateless checks, here first: a bad host never travels.
  store::ErrorList errors;
  if (absl::Status s = store::ValidateTenantId(tenant); !s.ok()) {
    errors.Add(0, "tenant", tenant, s.message());
  }
  absl::StatusOr<domain::DomainName> name = domain::ParseDomainName(input);
  if (!name.ok()) errors.Add(0, "host", input, name.status().message());
  const std::string label = Label(name.ok() ? name->host : input);
  auto label_fn = [&](uint64_t) { return label; };
  if (!errors.empty()) {
    return ReportFailure(inv, options, errors.ToStatus("domains add"),
                         label_fn);
  }
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label_fn);
  corsd::v1::AddDomainRequest request;
  request.set_tenant(tenant);
  request.set_host(name->host);
  request.set_method(*method);
  request.set_dry_run(add.dry_run);
  absl::StatusOr<DomainInfo> info = (*admin)->AddDomain(request);
  if (!info.ok()) return ReportFailure(inv, options, info.status(), label_fn);

  if (!options.json) {
    if (name->host != input) {
      *inv.out << Printable(input) << " -> " << name->host
               << " (canonical form)\n";
    }
    *inv.out << AddText(*info, *method, add.dry_run);
  }
  if (!add.wait) {
    if (options.json) PrintProto(inv, *info);
    return kExitOk;
  }
  // Progress goes with the text on out; under --json out holds only the
  // final answer, so progress goes to err.
  std::ostream* progress_stream = options.json ? inv.err : inv.out;
  const client::AdminClient& client = **admin;
  WaitCalls calls;
  calls.get = [&] { return client.GetDomain(tenant, name->host); };
  calls.verify = [&] { return client.VerifyDomain(tenant, name->host); };
  calls.now = [] { return absl::Now(); };
  calls.sleep = [](absl::Duration d) { absl::SleepFor(d); };
  if (!options.json &&
      info->domain().state() != corsd::v1::DOMAIN_STATE_VERIFIED) {
    *inv.out << "waiting up to " << absl::FormatDuration(wait.timeout)
             << " for " << name->host << " to be verified\n";
  }
  absl::StatusOr<WaitResult> result = WaitForVerified(
      *info, wait, calls,
      [&](absl::string_view line) { *progress_stream << line << std::endl; });
  if (!result.ok()) {
    return ReportFailure(inv, options, result.status(), label_fn);
  }
  if (options.json) PrintProto(inv, result->info);
  const CustomDomain& d = result->info.domain();
  switch (result->end) {
    case WaitResult::End::kVerified:
      if (!options.json) *inv.out << name->host << " is verified\n";
      return kExitOk;
    case WaitResult::End::kRemoved:
      *inv.err << "corsctl: " << name->host
               << " was taken over by another tenant"
               << (d.note().empty() ? "" : ": ") << Printable(d.note()) << "\n";
      return kExitFailed;
    case WaitResult::End::kTimedOut:
      break;
  }
  *inv.err << "corsctl: " << name->host << " is not verified after "
           << absl::FormatDuration(wait.timeout) << "; last: "
           << (result->last_error.empty() ? ProgressLine(d)
                                          : Printable(result->last_error))
           << "\n";
  return kExitFailed;
}

// verify, show, rm: --tenant and one HOST.
int OneDomain(const Invocation& inv, const std::string& verb,
              const std::vector<std::string>& args) {
  GlobalOptions options;
  DomainFlags domain_flags;
  std::vector<std::string> positional;
  int rc = Parse(inv, args, &options, &positional, [&](FlagSet* flags) {
    AddTenantFlag(flags, &domain_flags.tenant, true);
  });
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (std::string error = CheckTenantAndHost(verb, domain_flags, positional);
      !error.empty()) {
    return UsageError(inv, error);
  }
  const std::string& tenant = domain_flags.tenant;
  const std::string& host = positional[0];  // the server canonicalizes it
  const std::string label = Label(host);
  auto label_fn = [&](uint64_t) { return label; };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label_fn);

  if (verb == "rm") {
    auto response = (*admin)->RemoveDomain(tenant, host);
    if (!response.ok()) {
      return ReportFailure(inv, options, response.status(), label_fn);
    }
    if (options.json) {
      *inv.out << JsonObject()
                      .Add("ok", true)
                      .Add("tenant", tenant)
                      .Add("host", host)
                      .Add("removed", true)
                      .Add("revision", response->revision())
                      .Build()
               << "\n";
    } else {
      *inv.out << "domain " << Printable(host) << " removed from tenant "
               << tenant << " (revision " << response->revision() << ")\n";
    }
    return kExitOk;
  }
  const bool verify = verb == "verify";
  absl::StatusOr<DomainInfo> info = verify
                                        ? (*admin)->VerifyDomain(tenant, host)
                                        : (*admin)->GetDomain(tenant, host);
  if (!info.ok()) return ReportFailure(inv, options, info.status(), label_fn);
  if (options.json) {
    PrintProto(inv, *info);
  } else {
    *inv.out << (verify ? VerifyText(*info) : DescribeDomain(*info));
  }
  if (!verify) return kExitOk;
  return info->domain().state() == corsd::v1::DOMAIN_STATE_VERIFIED
             ? kExitOk
             : kExitFailed;
}

int List(const Invocation& inv, const std::vector<std::string>& args) {
  GlobalOptions options;
  ListFlags list;
  std::vector<std::string> positional;
  int rc = Parse(inv, args, &options, &positional,
                 [&](FlagSet* flags) { DeclareListFlags(flags, &list); });
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (!positional.empty()) {
    return UsageError(inv, "domains ls takes no argument (--tenant, --state)");
  }
  corsd::v1::DomainState state = corsd::v1::DOMAIN_STATE_UNSPECIFIED;
  if (!list.state.empty()) {
    absl::StatusOr<corsd::v1::DomainState> parsed =
        ParseDomainState(list.state);
    if (!parsed.ok()) {
      return UsageError(
          inv, absl::StrCat("flag --state: ", parsed.status().message()));
    }
    state = *parsed;
  }
  const std::string label = list.tenant.empty()
                                ? "domains"
                                : absl::StrCat("tenant \"", list.tenant, "\"");
  auto label_fn = [&](uint64_t) { return label; };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label_fn);
  std::vector<CustomDomain> domains;
  absl::Status status = (*admin)->ForEachDomain(
      list.tenant, state, [&](const CustomDomain& d) { domains.push_back(d); });
  if (!status.ok()) return ReportFailure(inv, options, status, label_fn);
  if (options.json) {
    std::string array = "[";
    for (const CustomDomain& d : domains) {
      if (array.size() > 1) array += ",";
      array += ProtoJson(d);
    }
    array += "]";
    *inv.out << JsonObject().AddRaw("domains", array).Build() << "\n";
  } else {
    *inv.out << DomainTable(domains);
  }
  return kExitOk;
}

}  // namespace

int RunDomains(const Invocation& inv) {
  if (inv.args.empty() || inv.args[0] == "--help" || inv.args[0] == "help") {
    if (inv.args.empty()) {
      *inv.err << kUsage;
      return kExitUsage;
    }
    std::string tenant;
    AddFlags add;
    ListFlags list;
    FlagSet add_flags, list_flags, one_flags;
    AddTenantFlag(&add_flags, &tenant, true);
    DeclareAddFlags(&add_flags, &add);
    DeclareListFlags(&list_flags, &list);
    AddTenantFlag(&one_flags, &tenant, true);
    *inv.out << kUsage << "\nFlags of add:\n"
             << add_flags.Help() << "\nFlags of verify, show, rm:\n"
             << one_flags.Help() << "\nFlags of ls:\n"
             << list_flags.Help() << "\nGlobal flags:\n"
             << GlobalFlagsHelp();
    return kExitOk;
  }
  const std::string verb = inv.args[0];
  std::vector<std::string> rest(inv.args.begin() + 1, inv.args.end());
  if (verb == "add") return Add(inv, rest);
  if (verb == "ls") return List(inv, rest);
  if (verb == "verify" || verb == "show" || verb == "rm") {
    return OneDomain(inv, verb, rest);
  }
  return UsageError(inv,
                    absl::StrCat("unknown domains verb \"", Printable(verb),
                                 "\"; expected add, verify, ls, show or rm"));
}

}  // namespace corsd::corsctl
