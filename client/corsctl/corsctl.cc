#include "client/corsctl/corsctl.h"

#include "absl/strings/str_cat.h"
#include "client/corsctl/canon.h"
#include "client/corsctl/commands.h"

namespace corsd::corsctl {

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Invocation&);
};

constexpr Command kCommands[] = {
    {"tenant", "put|get|list|delete a tenant and its policy", RunTenant},
    {"origins", "add|rm|ls a tenant's exact origins", RunOrigins},
    {"wildcards", "add|rm|ls a tenant's wildcard entries (*.domain)",
     RunWildcards},
    {"api-hosts", "add|rm|ls the hosts that route requests to a tenant",
     RunApiHosts},
    {"domains", "add|verify|ls|show|rm a tenant's custom domains", RunDomains},
    {"import", "bulk-load a CSV or dump file (all-or-nothing)", RunImport},
    {"export", "write everything to a dump file", RunExport},
    {"check", "simulate a browser request and explain the outcome", RunCheck},
    {"lint", "report policy and origin problems (server or file)", RunLint},
    {"stats", "the server's counts", RunStats},
    {"top", "a tenant's most refused origins over the last window", RunTop},
    {"what-if", "which recent callers a proposed change would flip", RunWhatIf},
    {"canon", "canonicalize origins as corsd does (no server needed)",
     RunCanon},
};

constexpr absl::string_view kGlobalBoolFlags[] = {"--json", "--help"};

std::string MainHelp() {
  std::string out =
      "usage: corsctl [GLOBAL FLAGS] COMMAND [ARGS] [FLAGS]\n\n"
      "The command line of corsd, the CORS decision service.\n\n"
      "Commands:\n";
  for (const Command& command : kCommands) {
    absl::StrAppend(&out, "  ", command.name,
                    std::string(12 - std::string(command.name).size(), ' '),
                    command.summary, "\n");
  }
  absl::StrAppend(
      &out,
      "\nRun `corsctl COMMAND --help` for a command's arguments and flags.\n\n"
      "Global flags (accepted by every command):\n",
      GlobalFlagsHelp(),
      "\nEnvironment: CORSD_ADDR, CORSD_ADMIN_ADDR, CORSD_TOKEN_FILE stand in "
      "for\n--addr, --admin-addr, --token-file; flags win.\n\n"
      "Output: human-readable by default; --json prints JSON for scripts.\n\n"
      "Exit status:\n"
      "  0  ok: the command did what was asked\n"
      "  1  refused or failed: bad input, a server refusal, an unreachable "
      "server\n"
      "  2  usage error: unknown command or flag, missing argument\n");
  return out;
}

}  // namespace

int CorsctlMain(const std::vector<std::string>& argv, const Invocation& base) {
  std::vector<std::string> leading;
  size_t i = 0;
  while (i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-') {
    const std::string& arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *base.out << MainHelp();
      return kExitOk;
    }
    leading.push_back(arg);
    bool is_bool = false;
    for (absl::string_view flag : kGlobalBoolFlags) is_bool |= arg == flag;
    if (!is_bool && arg.find('=') == std::string::npos && i + 1 < argv.size()) {
      leading.push_back(argv[++i]);
    }
    ++i;
  }
  if (i >= argv.size()) {
    *base.err << MainHelp();
    return kExitUsage;
  }
  const std::string& word = argv[i];
  if (word == "help") {
    *base.out << MainHelp();
    return kExitOk;
  }
  for (const Command& command : kCommands) {
    if (word != command.name) continue;
    Invocation inv = base;
    inv.args.assign(argv.begin() + i + 1, argv.end());
    inv.args.insert(inv.args.end(), leading.begin(), leading.end());
    return command.run(inv);
  }
  return UsageError(base, absl::StrCat("unknown command \"", word,
                                       "\" (see corsctl --help)"));
}

}  // namespace corsd::corsctl
