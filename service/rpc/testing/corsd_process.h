// CorsdProcess: runs the real corsd binary for integration tests -- on
// loopback port 0, with a temporary data directory and admin token file --
// reads its startup lines for the bound addresses, waits for "corsd: ready",
// and stops it (SIGTERM, SIGKILL) or restarts it on the same data.
//
// Finding the binary: consumers pass its path through a compile definition,
//   target_compile_definitions(my_test PRIVATE
//                              CORSD_BINARY="$<TARGET_FILE:corsd>")
//   add_dependencies(my_test corsd)
// and set CorsdProcessOptions::binary = CORSD_BINARY.
//
// What it runs:
//   <binary> --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0
//            [--http-listen 127.0.0.1:0] --data-dir DIR
//            --admin-token-file FILE <extra_args...>
// (extra_args come last, so they override). corsd's stderr is read by a
// thread: the startup lines are parsed, every line is kept (stderr_output())
// and echoed to the test's stderr prefixed "[corsd PID] ".
//
// Thread safety: one thread drives a CorsdProcess; stderr_output() may be
// called from any thread.
#ifndef CORSD_SERVICE_RPC_TESTING_CORSD_PROCESS_H_
#define CORSD_SERVICE_RPC_TESTING_CORSD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace corsd::testing {

struct CorsdProcessOptions {
  // Path of the corsd binary (CORSD_BINARY). Required.
  std::string binary;
  // Also start the HTTP listener (--http-listen 127.0.0.1:0).
  bool http = false;
  // Data directory; empty: a fresh temporary one, removed by the destructor.
  std::string data_dir;
  // Admin bearer token written to a temporary token file; empty: a random
  // 32-hex-digit token.
  std::string token;
  // Appended to the command line (e.g. {"--tenant-header", "x-tenant"}).
  std::vector<std::string> extra_args;
  // How long to wait for "corsd: ready".
  absl::Duration ready_timeout = absl::Seconds(30);
};

class CorsdProcess {
 public:
  // Spawns corsd and waits until it printed "corsd: ready".
  // Errors: InvalidArgument when binary is empty; Internal when a temporary
  // file cannot be made or fork/exec fails; DeadlineExceeded when "ready"
  // does not come within ready_timeout (the process is killed; the message
  // holds its stderr); Unavailable when corsd exits before "ready" (message:
  // exit status and stderr).
  static absl::StatusOr<std::unique_ptr<CorsdProcess>> Start(
      CorsdProcessOptions options);

  // Kills the process if it still runs, reaps it, removes the temporary
  // data directory and token file this object created.
  ~CorsdProcess();
  CorsdProcess(const CorsdProcess&) = delete;
  CorsdProcess& operator=(const CorsdProcess&) = delete;

  // "127.0.0.1:PORT" from the startup lines; http_address() is "" unless
  // options.http.
  const std::string& decision_address() const { return decision_address_; }
  const std::string& admin_address() const { return admin_address_; }
  const std::string& http_address() const { return http_address_; }
  // The admin token, and the metadata value to send: "Bearer <token>".
  const std::string& token() const { return options_.token; }
  std::string authorization() const { return "Bearer " + options_.token; }
  const std::string& data_dir() const { return options_.data_dir; }
  // The running process id; -1 once it has exited and been reaped.
  pid_t pid() const { return pid_; }
  // Every stderr line corsd printed so far, "\n"-terminated.
  std::string stderr_output() const;

  // SIGKILL and reap. FailedPrecondition when not running.
  absl::Status Kill();
  // SIGTERM, then waits up to `timeout` for the exit. Returns the exit code
  // (0..255), or 128 + signal number when a signal ended it.
  // FailedPrecondition when not running; DeadlineExceeded when it did not
  // exit in time (it is then killed).
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(15));
  // Terminates (if running) and starts corsd again with the same data
  // directory, token and arguments; the new ports replace the old ones.
  // Errors: as Terminate (a non-zero exit is Internal) and Start.
  absl::Status Restart();

 private:
  struct Output;
  explicit CorsdProcess(CorsdProcessOptions options);
  absl::Status Spawn();
  absl::StatusOr<int> WaitExit(absl::Duration timeout);
  void JoinReader();
  // Reads corsd's stderr until EOF (the reader thread).
  static void ReadLines(int fd, pid_t pid, std::shared_ptr<Output> out);

  CorsdProcessOptions options_;
  std::string temp_dir_;    // created by us (removed in the destructor)
  std::string token_file_;  // inside temp_dir_
  pid_t pid_ = -1;
  std::string decision_address_;
  std::string admin_address_;
  std::string http_address_;
  std::shared_ptr<Output> output_;
};

}  // namespace corsd::testing

#endif  // CORSD_SERVICE_RPC_TESTING_CORSD_PROCESS_H_
