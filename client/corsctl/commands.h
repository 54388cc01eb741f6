// The corsctl subcommands that talk to a running corsd, one Run function per
// command word; each parses its own flags (command.h) and returns the exit
// code. `corsctl COMMAND --help` documents each.
//
//   tenant put|get|list|delete   tenant_cmd.cc
//   origins|wildcards|api-hosts add|rm|ls   entries_cmd.cc
//   import FILE / export FILE    import_cmd.cc, export_cmd.cc
//   check                        check_cmd.cc (browser simulation: browser.h)
//   lint                         lint_cmd.cc (rules: lint.h)
//   stats                        entries_cmd.cc
//   domains add|verify|ls|show|rm   domains_cmd.cc (text: domains_cmd.h)
//   top                          top_cmd.cc (text: top_cmd.h)
//   what-if                      whatif_cmd.cc (log lines, text: whatif_cmd.h)
#ifndef CORSD_CLIENT_CORSCTL_COMMANDS_H_
#define CORSD_CLIENT_CORSCTL_COMMANDS_H_

#include "client/corsctl/command.h"

namespace corsd::corsctl {

int RunTenant(const Invocation& inv);
int RunOrigins(const Invocation& inv);
int RunWildcards(const Invocation& inv);
int RunApiHosts(const Invocation& inv);
int RunStats(const Invocation& inv);
int RunImport(const Invocation& inv);
int RunExport(const Invocation& inv);
int RunCheck(const Invocation& inv);
int RunLint(const Invocation& inv);
int RunDomains(const Invocation& inv);
int RunTop(const Invocation& inv);
int RunWhatIf(const Invocation& inv);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_COMMANDS_H_
