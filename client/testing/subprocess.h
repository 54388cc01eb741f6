// RunProcess: runs a program to completion for process tests (corsctl as a
// subprocess), feeding it standard input and capturing stdout, stderr and the
// exit code.
//
// Thread safety: RunProcess is reentrant; each call owns its pipes. It sets
// SIGPIPE to ignored for the calling process (a test binary).
#ifndef CORSD_CLIENT_TESTING_SUBPROCESS_H_
#define CORSD_CLIENT_TESTING_SUBPROCESS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace corsd::testing {

struct ProcessResult {
  // The exit code, or 128 + signal number when killed by a signal.
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  // Written to the child's stdin, which is then closed.
  std::string stdin_data;
  // Extra environment entries ("NAME", "value"), added to (and overriding)
  // this process's environment. A variable with an empty value is removed.
  std::vector<std::pair<std::string, std::string>> env;
  // Kill the child (SIGKILL) after this many seconds; 0 means no limit.
  int timeout_seconds = 600;
};

// Runs `argv[0]` (a path) with `argv`. Internal error when the program cannot
// be started or a pipe fails; DeadlineExceeded when the timeout killed it.
absl::StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                         const ProcessOptions& options = {});

}  // namespace corsd::testing

#endif  // CORSD_CLIENT_TESTING_SUBPROCESS_H_
