// `corsctl tenant put|get|list|delete`.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/json.h"
#include "client/corsctl/policy_text.h"
#include "service/store/validation.h"

namespace corsd::corsctl {

namespace {

constexpr absl::string_view kUsage =
    R"(usage: corsctl tenant put TENANT [--file POLICY.json] [POLICY FLAGS] [--dry-run]
       corsctl tenant get TENANT
       corsctl tenant list
       corsctl tenant delete TENANT

put     creates or replaces TENANT's policy. The policy is the --file's
        corsd.v1.Policy (protobuf JSON, as `tenant get --json` prints under
        .tenant.policy) with each policy flag given on top; without --file,
        unset fields take their defaults. It is checked here first (the
        server's own validation), then written; warnings are printed.
        (JSON only: YAML is not supported.)
get     prints the policy and entry counts.
list    prints every tenant with its entry counts.
delete  removes TENANT, its policy and all its entries.

Exit status: 0 ok; 1 refused (bad policy, unknown tenant) or failed
(server unreachable); 2 usage error.
)";

std::string Label(const std::string& tenant) {
  return absl::StrCat("tenant \"", tenant, "\"");
}

int Put(const Invocation& inv, const std::vector<std::string>& args) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  PolicyFlags policy_flags;
  AddPolicyFlags(&flags, &policy_flags);
  bool dry_run = false;
  flags.Bool("dry-run", &dry_run, "validate on the server; change nothing");
  Invocation sub = inv;
  sub.args = args;
  std::vector<std::string> positional;
  int rc = ParseCommandLine(sub, kUsage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (positional.size() != 1) {
    return UsageError(inv, "tenant put takes exactly one TENANT");
  }
  std::vector<std::string> notes;
  absl::StatusOr<corsd::v1::Policy> policy =
      BuildPolicy(flags, policy_flags, &notes);
  for (const std::string& note : notes) {
    *inv.err << "corsctl: note: " << note << "\n";
  }
  if (!policy.ok()) {
    return ReportFailure(inv, options, policy.status(),
                         [&](uint64_t) { return Label(positional[0]); });
  }

  corsd::v1::PutTenantRequest request;
  request.mutable_tenant()->set_id(positional[0]);
  *request.mutable_tenant()->mutable_policy() = *policy;
  request.set_dry_run(dry_run);
  const std::string label = Label(positional[0]);
  auto label_fn = [&](uint64_t) { return label; };

  // The server's stateless checks, here first: a bad policy never travels.
  store::ErrorList errors;
  store::PreparedTenant prepared;
  if (!store::PrepareTenant(0, request.tenant(), &prepared, &errors)) {
    return ReportFailure(inv, options, errors.ToStatus("tenant put"), label_fn);
  }
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label_fn);
  auto response = (*admin)->PutTenant(request);
  if (!response.ok()) {
    return ReportFailure(inv, options, response.status(), label_fn);
  }
  std::vector<std::string> warnings(response->warnings().begin(),
                                    response->warnings().end());
  if (options.json) {
    *inv.out << JsonObject()
                    .Add("ok", true)
                    .Add("tenant", positional[0])
                    .Add("created", response->created())
                    .Add("dry_run", dry_run)
                    .Add("revision", response->revision())
                    .Add("warnings", warnings)
                    .Build()
             << "\n";
  } else {
    *inv.out
        << "tenant " << positional[0] << " "
        << (dry_run ? "is valid (dry run, nothing written)"
            : response->created()
                ? absl::StrCat("created (revision ", response->revision(), ")")
                : absl::StrCat("updated (revision ", response->revision(), ")"))
        << "\n";
    for (const std::string& w : warnings) *inv.out << "warning: " << w << "\n";
  }
  return kExitOk;
}

void PrintInfoHuman(const Invocation& inv, const corsd::v1::TenantInfo& info) {
  *inv.out << "tenant " << info.tenant().id() << "\n"
           << "  origins: " << info.origins()
           << "  wildcards: " << info.wildcards()
           << "  api hosts: " << info.api_hosts() << "\n";
  for (const std::string& line : DescribePolicy(info.tenant().policy())) {
    *inv.out << "  " << line << "\n";
  }
}

int Simple(const Invocation& inv, const std::string& verb,
           const std::vector<std::string>& args) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  Invocation sub = inv;
  sub.args = args;
  std::vector<std::string> positional;
  int rc = ParseCommandLine(sub, kUsage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  const size_t want = verb == "list" ? 0 : 1;
  if (positional.size() != want) {
    return UsageError(
        inv, want == 0
                 ? "tenant list takes no argument"
                 : absl::StrCat("tenant ", verb, " takes exactly one TENANT"));
  }
  const std::string label =
      positional.empty() ? "tenants" : Label(positional[0]);
  auto label_fn = [&](uint64_t) { return label; };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label_fn);

  if (verb == "get") {
    auto info = (*admin)->GetTenant(positional[0]);
    if (!info.ok()) return ReportFailure(inv, options, info.status(), label_fn);
    if (options.json) {
      *inv.out << ProtoJson(*info) << "\n";
    } else {
      PrintInfoHuman(inv, *info);
    }
    return kExitOk;
  }
  if (verb == "delete") {
    auto response = (*admin)->DeleteTenant(positional[0]);
    if (!response.ok()) {
      return ReportFailure(inv, options, response.status(), label_fn);
    }
    if (options.json) {
      *inv.out << JsonObject()
                      .Add("ok", true)
                      .Add("tenant", positional[0])
                      .Add("deleted", true)
                      .Add("revision", response->revision())
                      .Build()
               << "\n";
    } else {
      *inv.out << "tenant " << positional[0] << " deleted (revision "
               << response->revision() << ")\n";
    }
    return kExitOk;
  }
  // list
  std::vector<corsd::v1::TenantInfo> tenants;
  absl::Status status = (*admin)->ForEachTenant(
      [&](const corsd::v1::TenantInfo& info) { tenants.push_back(info); });
  if (!status.ok()) return ReportFailure(inv, options, status, label_fn);
  if (options.json) {
    std::string list = "[";
    for (const auto& info : tenants) {
      if (list.size() > 1) list += ",";
      list += ProtoJson(info);
    }
    list += "]";
    *inv.out << JsonObject().AddRaw("tenants", list).Build() << "\n";
  } else {
    size_t width = 6;
    for (const auto& info : tenants) {
      width = std::max(width, info.tenant().id().size());
    }
    *inv.out << "TENANT" << std::string(width + 2 - 6, ' ')
             << "ORIGINS  WILDCARDS  API-HOSTS\n";
    for (const auto& info : tenants) {
      std::string origins = absl::StrCat(info.origins());
      std::string wildcards = absl::StrCat(info.wildcards());
      *inv.out << info.tenant().id()
               << std::string(width + 2 - info.tenant().id().size(), ' ')
               << origins
               << std::string(9 - std::min<size_t>(origins.size(), 8), ' ')
               << wildcards
               << std::string(11 - std::min<size_t>(wildcards.size(), 10), ' ')
               << info.api_hosts() << "\n";
    }
    *inv.out << tenants.size() << " tenant(s)\n";
  }
  return kExitOk;
}

}  // namespace

int RunTenant(const Invocation& inv) {
  if (inv.args.empty() || inv.args[0] == "--help" || inv.args[0] == "help") {
    if (inv.args.empty()) {
      *inv.err << kUsage;
      return kExitUsage;
    }
    *inv.out << kUsage << "\nFlags of put:\n";
    FlagSet flags;
    GlobalOptions options;
    PolicyFlags policy_flags;
    AddPolicyFlags(&flags, &policy_flags);
    bool dry_run = false;
    flags.Bool("dry-run", &dry_run, "validate on the server; change nothing");
    *inv.out << flags.Help() << "\nGlobal flags:\n" << GlobalFlagsHelp();
    return kExitOk;
  }
  const std::string verb = inv.args[0];
  std::vector<std::string> rest(inv.args.begin() + 1, inv.args.end());
  if (verb == "put") return Put(inv, rest);
  if (verb == "get" || verb == "list" || verb == "delete") {
    return Simple(inv, verb, rest);
  }
  return UsageError(inv, absl::StrCat("unknown tenant verb \"", verb,
                                      "\"; expected put, get, list or delete"));
}

}  // namespace corsd::corsctl
