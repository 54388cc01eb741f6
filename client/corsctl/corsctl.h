// corsctl's entry point as a function: dispatches the command word to its
// subcommand. main() only captures argv, the environment and the streams.
#ifndef CORSD_CLIENT_CORSCTL_CORSCTL_H_
#define CORSD_CLIENT_CORSCTL_CORSCTL_H_

#include <string>
#include <vector>

#include "client/corsctl/command.h"

namespace corsd::corsctl {

// `argv` without the program name. Global flags may come before the command
// word (`corsctl --addr H:P check ...`); they are handed to the subcommand.
// `base` carries streams and environment; its args are ignored. Returns the
// process exit code (see command.h).
int CorsctlMain(const std::vector<std::string>& argv, const Invocation& base);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_CORSCTL_H_
