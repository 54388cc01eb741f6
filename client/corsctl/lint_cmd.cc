// `corsctl lint`: a tenant's policy and entries from a running corsd, or an
// import file before it is imported, checked with the rules of lint.h.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/import_file.h"
#include "client/corsctl/json.h"
#include "client/corsctl/lint.h"

namespace corsd::corsctl {

namespace {

constexpr absl::string_view kUsage =
    R"(usage: corsctl lint TENANT...        check tenants on the running corsd
       corsctl lint --all               check every tenant
       corsctl lint --file FILE         check an import file (CSV or dump)

Reports every problem of the policy and the entries, naming the rule of the
product it breaks (R2 matching, R4 credentials, R8 headers, R10 max-age, R11
null origin, R16 dev origins...). Errors are what corsd forbids or refuses;
warnings are legal but risky or useless:
  errors    public + credentials; null origin + credentials; max-age over
            86400; dev origins (localhost, loopback, private) on production
            tenants; wildcards over a public suffix; non-canonical or
            malformed origins, wildcards, hosts; bad import lines
  warnings  max-age over 7200 (Chromium's cap); duplicate entries; "*"
            headers with credentials; "*" never covering authorization; the
            null origin allowed; http origins on production tenants; origins
            a wildcard already covers; always-allowed methods listed
For a CSV file the tenants' policies are not known: R16 is not checked.

Output: one line per finding, "error|warning RULE WHERE: message", then a
count. Exit status: 0 no error (warnings allowed); 1 errors found or the
check failed; 2 usage error.
)";

void Print(const Invocation& inv, bool json,
           const std::vector<Finding>& findings) {
  size_t errors = 0;
  for (const Finding& f : findings) errors += f.error ? 1 : 0;
  if (json) {
    std::string list = "[";
    for (const Finding& f : findings) {
      if (list.size() > 1) list += ",";
      list += JsonObject()
                  .Add("severity", f.error ? "error" : "warning")
                  .Add("rule", f.rule)
                  .Add("where", f.where)
                  .Add("message", f.message)
                  .Build();
    }
    list += "]";
    *inv.out << JsonObject()
                    .Add("ok", errors == 0)
                    .Add("errors", uint64_t{errors})
                    .Add("warnings", uint64_t{findings.size() - errors})
                    .AddRaw("findings", list)
                    .Build()
             << "\n";
    return;
  }
  for (const Finding& f : findings) {
    *inv.out << (f.error ? "error " : "warning ") << f.rule << " " << f.where
             << ": " << f.message << "\n";
  }
  *inv.out << errors << " error(s), " << findings.size() - errors
           << " warning(s)\n";
}

}  // namespace

int RunLint(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::string file;
  bool all = false;
  flags.String("file", "FILE", &file, "check an import file instead");
  flags.Bool("all", &all, "check every tenant of the server");
  std::vector<std::string> tenants;
  int rc = ParseCommandLine(inv, kUsage, &flags, &options, &tenants);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  const int modes =
      (file.empty() ? 0 : 1) + (all ? 1 : 0) + (tenants.empty() ? 0 : 1);
  if (modes != 1) {
    return UsageError(inv, "lint takes TENANT..., --all or --file FILE");
  }
  std::vector<Finding> findings;
  EntryLinter linter;
  auto label = [](uint64_t i) { return absl::StrCat("item ", i); };

  if (!file.empty()) {
    std::map<std::string, corsd::v1::Policy> policies;
    // Named lambdas: ImportCallbacks holds FunctionRefs, which must not
    // outlive what they refer to.
    auto on_good = [&](const ImportItem& item) {
      std::string where = absl::StrCat("line ", item.line);
      if (item.tenant != nullptr) {
        std::vector<Finding> p =
            LintPolicy(item.tenant->policy(),
                       absl::StrCat(where, " tenant ", item.tenant->id()));
        findings.insert(findings.end(), p.begin(), p.end());
        policies[item.tenant->id()] = item.tenant->policy();
        return true;
      }
      auto it = policies.find(std::string(item.tenant_id));
      linter.Add(item.tenant_id, it == policies.end() ? nullptr : &it->second,
                 item.kind, item.raw_value, where, &findings);
      return true;
    };
    auto on_bad = [&](uint64_t line, absl::string_view reason) {
      findings.push_back(Finding{true, "R2", absl::StrCat("line ", line),
                                 std::string(reason)});
    };
    auto on_progress = [](uint64_t) {};
    ImportCallbacks callbacks{on_good, on_bad, on_progress};
    absl::Status status =
        ReadImportFile(file, inv.stdin_fd, ImportFormat::kAuto, {}, callbacks);
    if (!status.ok()) return ReportFailure(inv, options, status, label);
  } else {
    auto admin = ConnectAdmin(options);
    if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label);
    if (all) {
      absl::Status status =
          (*admin)->ForEachTenant([&](const corsd::v1::TenantInfo& info) {
            tenants.push_back(info.tenant().id());
          });
      if (!status.ok()) return ReportFailure(inv, options, status, label);
    }
    for (const std::string& tenant : tenants) {
      auto info = (*admin)->GetTenant(tenant);
      if (!info.ok()) return ReportFailure(inv, options, info.status(), label);
      const corsd::v1::Policy& policy = info->tenant().policy();
      std::vector<Finding> p =
          LintPolicy(policy, absl::StrCat("tenant ", tenant, " policy"));
      findings.insert(findings.end(), p.begin(), p.end());
      if (!policy.public_origin() && info->origins() == 0 &&
          info->wildcards() == 0) {
        findings.push_back(
            Finding{false, "R2", absl::StrCat("tenant ", tenant),
                    "no origins and not public: every cross-origin request is "
                    "refused"});
      }
      for (corsd::v1::EntryKind kind :
           {corsd::v1::ENTRY_KIND_ORIGIN, corsd::v1::ENTRY_KIND_WILDCARD,
            corsd::v1::ENTRY_KIND_API_HOST}) {
        absl::Status status =
            (*admin)->ForEachEntry(tenant, kind, [&](const std::string& value) {
              linter.Add(tenant, &policy, kind, value,
                         absl::StrCat("tenant ", tenant, " ", value),
                         &findings);
            });
        if (!status.ok()) return ReportFailure(inv, options, status, label);
      }
    }
  }
  linter.Finish(&findings);
  Print(inv, options.json, findings);
  for (const Finding& f : findings) {
    if (f.error) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace corsd::corsctl
