// `corsctl origins|wildcards|api-hosts add|rm|ls` and `corsctl stats`.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/corsctl/commands.h"
#include "client/corsctl/json.h"
#include "service/store/validation.h"

namespace corsd::corsctl {

namespace {

struct KindInfo {
  const char* command;  // "origins"
  const char* noun;     // "origin"
  const char* example;
  corsd::v1::EntryKind kind;
};

constexpr KindInfo kOrigins = {"origins", "origin", "https://shop.customer.com",
                               corsd::v1::ENTRY_KIND_ORIGIN};
constexpr KindInfo kWildcards = {"wildcards", "wildcard",
                                 "https://*.customer.com",
                                 corsd::v1::ENTRY_KIND_WILDCARD};
constexpr KindInfo kApiHosts = {"api-hosts", "api host", "api.customer.com",
                                corsd::v1::ENTRY_KIND_API_HOST};

// The server's limit per WriteEntries call.
constexpr size_t kMaxOpsPerCall = 100000;

std::string Usage(const KindInfo& k) {
  return absl::StrCat(
      "usage: corsctl ", k.command, " add TENANT VALUE... [--dry-run]\n",
      "       corsctl ", k.command, " rm TENANT VALUE... [--dry-run]\n",
      "       corsctl ", k.command, " ls TENANT\n\n", "add/rm write ", k.noun,
      " entries of TENANT (e.g. ", k.example,
      ").\nEach VALUE is canonicalized and checked here first, as the server "
      "does;\nif any is bad nothing is sent. The batch is all-or-nothing on "
      "the server\n(more than 100000 values go as several batches). Adding "
      "an entry that\nexists, or removing one that does not, is a no-op.\n"
      "ls prints the tenant's canonical ",
      k.noun, " entries, one per line, sorted.\n\n",
      "Exit status: 0 ok; 1 a value refused or the call failed; 2 usage "
      "error.\n");
}

int Write(const Invocation& inv, const KindInfo& k, bool add,
          const std::vector<std::string>& args) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  bool dry_run = false;
  flags.Bool("dry-run", &dry_run, "validate on the server; change nothing");
  Invocation sub = inv;
  sub.args = args;
  std::vector<std::string> positional;
  std::string usage = Usage(k);
  int rc = ParseCommandLine(sub, usage, &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (positional.size() < 2) {
    return UsageError(inv,
                      absl::StrCat(k.command, add ? " add" : " rm",
                                   " takes TENANT and at least one VALUE"));
  }
  const std::string tenant = positional[0];
  std::vector<std::string> values(positional.begin() + 1, positional.end());
  auto label = [&](uint64_t i) {
    return i < values.size() ? absl::StrCat("\"", values[i], "\"")
                             : absl::StrCat("item ", i);
  };

  // Check everything first: the server's own stateless validation.
  store::ErrorList errors;
  std::vector<std::string> canonical(values.size());
  corsd::v1::EntryOp op;
  op.set_op(add ? corsd::v1::EntryOp::OP_ADD : corsd::v1::EntryOp::OP_REMOVE);
  op.set_kind(k.kind);
  op.set_tenant(tenant);
  for (size_t i = 0; i < values.size(); ++i) {
    op.set_value(values[i]);
    store::PreparedOp prepared;
    if (store::PrepareOp(i, op, &prepared, &errors)) {
      canonical[i] = std::move(prepared.value);
    }
  }
  if (!errors.empty()) {
    return ReportFailure(
        inv, options,
        errors.ToStatus(absl::StrCat(k.command, add ? " add" : " rm")), label);
  }
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label);
  uint64_t added = 0, removed = 0, revision = 0;
  for (size_t start = 0; start < canonical.size(); start += kMaxOpsPerCall) {
    corsd::v1::WriteEntriesRequest request;
    request.set_dry_run(dry_run);
    size_t end = std::min(canonical.size(), start + kMaxOpsPerCall);
    for (size_t i = start; i < end; ++i) {
      corsd::v1::EntryOp* o = request.add_ops();
      *o = op;
      o->set_value(canonical[i]);
    }
    auto response = (*admin)->WriteEntries(request);
    if (!response.ok()) {
      return ReportFailure(inv, options, response.status(),
                           [&](uint64_t i) { return label(start + i); });
    }
    added += response->added();
    removed += response->removed();
    revision = response->revision();
  }
  if (options.json) {
    *inv.out << JsonObject()
                    .Add("ok", true)
                    .Add("tenant", tenant)
                    .Add("kind", k.noun)
                    .Add("op", add ? "add" : "rm")
                    .Add("dry_run", dry_run)
                    .Add("values", canonical)
                    .Add("added", added)
                    .Add("removed", removed)
                    .Add("revision", revision)
                    .Build()
             << "\n";
    return kExitOk;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (canonical[i] != values[i]) {
      *inv.out << values[i] << " -> " << canonical[i] << " (canonical form)\n";
    }
  }
  if (dry_run) {
    *inv.out << values.size() << " " << k.noun
             << " value(s) valid (dry run, nothing written)\n";
  } else if (add) {
    *inv.out << "added " << added << " " << k.noun << " entr"
             << (added == 1 ? "y" : "ies") << " to " << tenant;
    if (added < values.size()) {
      *inv.out << " (" << values.size() - added << " already present)";
    }
    *inv.out << " (revision " << revision << ")\n";
  } else {
    *inv.out << "removed " << removed << " " << k.noun << " entr"
             << (removed == 1 ? "y" : "ies") << " from " << tenant;
    if (removed < values.size()) {
      *inv.out << " (" << values.size() - removed << " not present)";
    }
    *inv.out << " (revision " << revision << ")\n";
  }
  return kExitOk;
}

int List(const Invocation& inv, const KindInfo& k,
         const std::vector<std::string>& args) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  Invocation sub = inv;
  sub.args = args;
  std::vector<std::string> positional;
  int rc = ParseCommandLine(sub, Usage(k), &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (positional.size() != 1) {
    return UsageError(inv, absl::StrCat(k.command, " ls takes one TENANT"));
  }
  auto label = [&](uint64_t) {
    return absl::StrCat("tenant \"", positional[0], "\"");
  };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label);
  std::vector<std::string> values;
  absl::Status status = (*admin)->ForEachEntry(
      positional[0], k.kind,
      [&](const std::string& value) { values.push_back(value); });
  if (!status.ok()) return ReportFailure(inv, options, status, label);
  if (options.json) {
    *inv.out << JsonObject()
                    .Add("tenant", positional[0])
                    .Add("kind", k.noun)
                    .Add("values", values)
                    .Build()
             << "\n";
  } else {
    for (const std::string& v : values) *inv.out << v << "\n";
  }
  return kExitOk;
}

int RunKind(const Invocation& inv, const KindInfo& k) {
  if (inv.args.empty()) {
    *inv.err << Usage(k);
    return kExitUsage;
  }
  const std::string verb = inv.args[0];
  std::vector<std::string> rest(inv.args.begin() + 1, inv.args.end());
  if (verb == "--help" || verb == "help") {
    *inv.out << Usage(k)
             << "\nFlags:\n  --dry-run  (add, rm) validate on "
                "the server; change nothing\n"
             << GlobalFlagsHelp();
    return kExitOk;
  }
  if (verb == "add") return Write(inv, k, true, rest);
  if (verb == "rm") return Write(inv, k, false, rest);
  if (verb == "ls") return List(inv, k, rest);
  return UsageError(inv, absl::StrCat("unknown ", k.command, " verb \"", verb,
                                      "\"; expected add, rm or ls"));
}

}  // namespace

int RunOrigins(const Invocation& inv) { return RunKind(inv, kOrigins); }
int RunWildcards(const Invocation& inv) { return RunKind(inv, kWildcards); }
int RunApiHosts(const Invocation& inv) { return RunKind(inv, kApiHosts); }

int RunStats(const Invocation& inv) {
  FlagSet flags;
  GlobalOptions options;
  AddGlobalFlags(&flags, &options);
  std::vector<std::string> positional;
  int rc = ParseCommandLine(
      inv,
      "usage: corsctl stats\n\nPrints the server's counts: tenants, origins, "
      "wildcards, API hosts, the\nstore revision, table bytes and decisions "
      "by reason.\n\nExit status: 0 ok; 1 failed; 2 usage error.\n",
      &flags, &options, &positional);
  if (rc < 0) return kExitOk;
  if (rc != kExitOk) return rc;
  if (!positional.empty()) return UsageError(inv, "stats takes no argument");
  auto label = [](uint64_t) { return std::string("stats"); };
  auto admin = ConnectAdmin(options);
  if (!admin.ok()) return ReportFailure(inv, options, admin.status(), label);
  auto stats = (*admin)->Stats();
  if (!stats.ok()) return ReportFailure(inv, options, stats.status(), label);
  if (options.json) {
    *inv.out << ProtoJson(*stats) << "\n";
    return kExitOk;
  }
  *inv.out << "tenants: " << stats->tenants()
           << "\norigins: " << stats->origins()
           << "\nwildcards: " << stats->wildcards()
           << "\napi hosts: " << stats->api_hosts()
           << "\nrevision: " << stats->revision()
           << "\ntable bytes: " << stats->table_bytes() << "\n";
  for (const auto& [reason, count] : stats->decisions()) {
    *inv.out << "decisions " << reason << ": " << count << "\n";
  }
  return kExitOk;
}

}  // namespace corsd::corsctl
