// What every corsctl subcommand shares: exit codes, the invocation (arguments,
// streams, environment), and the global flags (server addresses, credentials,
// --json, --help).
//
// Exit codes (documented in `corsctl --help`; scripts rely on them):
//   0  the command did what was asked
//   1  refused or failed (bad input lines, server refusal, unreachable server)
//   2  usage error (unknown command or flag, missing argument)
#ifndef CORSD_CLIENT_CORSCTL_COMMAND_H_
#define CORSD_CLIENT_CORSCTL_COMMAND_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/client.h"
#include "client/corsctl/flags.h"
#include "google/protobuf/message.h"

namespace corsd::corsctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// The environment variables corsctl reads, captured once by main (no getenv
// below main, so tests can pass their own).
struct Env {
  std::string corsd_addr;        // CORSD_ADDR
  std::string corsd_admin_addr;  // CORSD_ADMIN_ADDR
  std::string corsd_token_file;  // CORSD_TOKEN_FILE
};

// One run of a subcommand. Streams are borrowed; stdin is read through
// `stdin_fd` (canon, import -).
struct Invocation {
  std::vector<std::string> args;  // after the command words
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  int stdin_fd = 0;
  bool stderr_is_tty = false;
  Env env;
};

// Flags every subcommand takes. Flags win over the environment, which wins
// over the defaults.
struct GlobalOptions {
  std::string addr = "127.0.0.1:7700";
  std::string admin_addr = "127.0.0.1:7701";
  std::string token_file;
  std::string tls_ca;    // PEM CA bundle: use TLS, verify the server
  std::string tls_cert;  // PEM client certificate (mTLS), with tls_key
  std::string tls_key;
  uint64_t timeout_ms = 10000;
  bool json = false;
  bool help = false;
};

// Declares the global flags on `flags`, writing into `options`.
void AddGlobalFlags(FlagSet* flags, GlobalOptions* options);

// After parsing: fills addresses and token file from `env` where the flag was
// not given. InvalidArgument when --tls-cert and --tls-key are not given
// together.
absl::Status ResolveGlobalOptions(const FlagSet& flags, const Env& env,
                                  GlobalOptions* options);

// The help text of the global flags, for each subcommand's --help.
std::string GlobalFlagsHelp();

// Parses inv.args with `flags` (which must already hold the global flags)
// and resolves the global options. Returns kExitOk to go on; on --help prints
// `usage` + the flags to out and returns -1 (the caller exits 0); on a usage
// error prints it to err and returns kExitUsage.
int ParseCommandLine(const Invocation& inv, absl::string_view usage,
                     FlagSet* flags, GlobalOptions* options,
                     std::vector<std::string>* positional);

// Clients for the addresses, credentials and timeout in `options`.
// Errors: as client::AdminClient::Create (unreadable token or TLS files).
absl::StatusOr<std::unique_ptr<client::AdminClient>> ConnectAdmin(
    const GlobalOptions& options);
absl::StatusOr<std::unique_ptr<client::DeciderClient>> ConnectDecider(
    const GlobalOptions& options);

// Reports a failed call and returns kExitFailed. On err: "corsctl: <message>"
// then, when the status carries BatchErrors, one line per refused item:
// "  <label(index)>: <field> \"<value>\": <message>". With --json, also one
// JSON object on out: {"ok":false,"code":"INVALID_ARGUMENT","error":"...",
// "items":[{"index":N,"item":"<label>","field":...,"value":...,
// "message":...}],"total":N}.
int ReportFailure(const Invocation& inv, const GlobalOptions& options,
                  const absl::Status& status,
                  absl::FunctionRef<std::string(uint64_t)> label);

// `message` as one line of protobuf JSON with the proto's field names
// (snake_case), as `tenant put --file` reads it back.
std::string ProtoJson(const google::protobuf::Message& message);

// Prints "corsctl: <message>" to err and returns kExitUsage.
int UsageError(const Invocation& inv, absl::string_view message);
// Prints "corsctl: <status message>" to err and returns kExitFailed.
int Failed(const Invocation& inv, const absl::Status& status);

}  // namespace corsd::corsctl

#endif  // CORSD_CLIENT_CORSCTL_COMMAND_H_
