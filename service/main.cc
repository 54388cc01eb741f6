// corsd: the CORS decision service. Thin: parses flags (and an optional
// --config file), starts rpc::Server (core, store, gRPC listeners) and, with
// --http-listen, the HTTP listener; prints the startup lines HACKING.md
// fixes; on SIGTERM/SIGINT drains and exits 0.
//
// Exit status: 0 after a clean drain; 2 for a usage error (unknown flag,
// missing value, bad number); 1 when the server cannot start (the error is
// printed as "corsd: <message>").
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/http/http_server.h"
#include "service/rpc/server.h"

namespace {

// How long in-flight calls get to finish after SIGTERM.
constexpr absl::Duration kDrainGrace = absl::Seconds(5);

struct Flag {
  const char* name;
  const char* help;
  std::string value;
  bool set_on_command_line = false;
};

std::vector<Flag> MakeFlags() {
  return {
      {"listen",
       "HOST:PORT of the decision listener (Decider, ext_authz "
       "Check); port 0 binds a free port",
       "127.0.0.1:7700"},
      {"admin-listen",
       "HOST:PORT of the admin listener (Admin; bearer "
       "tokens required)",
       "127.0.0.1:7701"},
      {"http-listen",
       "HOST:PORT of the HTTP listener (nginx auth_request, "
       "/metrics, /ask, /healthz, /readyz); empty: off",
       ""},
      {"data-dir",
       "directory of the embedded SQLite store (created if "
       "missing)",
       ""},
      {"store",
       "postgres://... for a store shared by replicas; empty: "
       "SQLite in --data-dir",
       ""},
      {"admin-token-file",
       "file of admin bearer tokens, one per line ('#' "
       "comments, blank lines ignored); required",
       ""},
      {"threads",
       "gRPC decision threads kept waiting for calls (busy "
       "load adds threads; calls never fail for want of one) "
       "and HTTP workers; 0: defaults (1-2 gRPC pollers, 8 "
       "HTTP workers)",
       "0"},
      {"tls-cert",
       "PEM certificate chain; with --tls-key enables TLS on "
       "both gRPC listeners",
       ""},
      {"tls-key", "PEM private key for --tls-cert", ""},
      {"tls-client-ca",
       "PEM CA bundle; requires and verifies client "
       "certificates (mTLS)",
       ""},
      {"tenant-header",
       "request header naming the tenant when the route "
       "(ext_authz context_extensions) and the host's API "
       "host do not; empty: none",
       "x-corsd-tenant"},
      {"max-message-bytes",
       "largest gRPC message on the decision listener, "
       "in bytes (admin accepts at least 64 MiB)",
       "4194304"},
      {"config",
       "file of flag=value lines ('#' comments); command-line "
       "flags win",
       ""},
  };
}

Flag* FindFlag(std::vector<Flag>& flags, absl::string_view name) {
  for (Flag& f : flags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

void PrintHelp(const std::vector<Flag>& flags) {
  std::fprintf(stdout,
               "usage: corsd [--flag=value | --flag value]...\n"
               "CORS decisions for gateways over gRPC (corsd.v1.Decider, "
               "envoy ext_authz v3) and HTTP.\n\n");
  for (const Flag& f : flags) {
    std::fprintf(stdout, "  --%-18s %s", f.name, f.help);
    if (!f.value.empty())
      std::fprintf(stdout, " (default: %s)", f.value.c_str());
    std::fprintf(stdout, "\n");
  }
  std::fprintf(stdout,
               "\nOn start it prints on stderr \"corsd: listening "
               "decisions=HOST:PORT\", \"... admin=HOST:PORT\", \"... "
               "http=HOST:PORT\" (when enabled), then \"corsd: ready\".\n"
               "SIGTERM or SIGINT drains in-flight calls and exits 0.\n");
}

// Parses argv into `flags`. Returns false (after printing why) on a usage
// error; sets *help when --help was given.
bool ParseArgs(int argc, char** argv, std::vector<Flag>& flags, bool* help) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return true;
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      std::fprintf(stderr, "corsd: unexpected argument \"%s\"; see --help\n",
                   argv[i]);
      return false;
    }
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    Flag* flag = FindFlag(flags, name);
    if (flag == nullptr) {
      std::fprintf(stderr, "corsd: unknown flag --%s; see --help\n",
                   std::string(name).c_str());
      return false;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "corsd: --%s needs a value\n", flag->name);
        return false;
      }
      value = argv[++i];
    }
    flag->value = std::move(value);
    flag->set_on_command_line = true;
  }
  return true;
}

// Applies `path`'s flag=value lines to the flags not set on the command line.
absl::Status ApplyConfigFile(const std::string& path,
                             std::vector<Flag>& flags) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("--config \"", path, "\": cannot be read"));
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l.front() == '#') continue;
    absl::ConsumePrefix(&l, "--");
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config \"", path, "\" line ", line_no,
                       ": expected flag=value, got \"", l, "\""));
    }
    absl::string_view name = absl::StripAsciiWhitespace(l.substr(0, eq));
    Flag* flag = FindFlag(flags, name);
    if (flag == nullptr || name == "config") {
      return absl::InvalidArgumentError(
          absl::StrCat("--config \"", path, "\" line ", line_no,
                       ": unknown flag \"", name, "\""));
    }
    if (!flag->set_on_command_line) {
      flag->value = std::string(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseInt(const std::vector<Flag>& flags, const char* name,
                      int* out) {
  const Flag* flag = FindFlag(const_cast<std::vector<Flag>&>(flags), name);
  if (!absl::SimpleAtoi(flag->value, out)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " \"", flag->value, "\": expected an integer"));
  }
  return absl::OkStatus();
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "corsd: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil tracks lock order by default: 4-7% server CPU. Tests,
  // which do not run main, keep the detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<Flag> flags = MakeFlags();
  bool help = false;
  if (!ParseArgs(argc, argv, flags, &help)) return 2;
  if (help) {
    PrintHelp(flags);
    return 0;
  }
  if (const std::string& config = FindFlag(flags, "config")->value;
      !config.empty()) {
    if (absl::Status s = ApplyConfigFile(config, flags); !s.ok()) {
      std::fprintf(stderr, "corsd: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  auto value = [&](const char* name) { return FindFlag(flags, name)->value; };

  corsd::rpc::ServerConfig config;
  config.listen = value("listen");
  config.admin_listen = value("admin-listen");
  config.data_dir = value("data-dir");
  config.store_url = value("store");
  config.admin_token_file = value("admin-token-file");
  config.tls_cert = value("tls-cert");
  config.tls_key = value("tls-key");
  config.tls_client_ca = value("tls-client-ca");
  config.tenant_header = value("tenant-header");
  int threads = 0;
  int max_message_bytes = 0;
  for (const absl::Status& s :
       {ParseInt(flags, "threads", &threads),
        ParseInt(flags, "max-message-bytes", &max_message_bytes)}) {
    if (!s.ok()) {
      std::fprintf(stderr, "corsd: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  config.transport.threads = threads;
  config.transport.max_receive_message_bytes = max_message_bytes;
  config.transport.max_send_message_bytes = max_message_bytes;

  // Every thread created from here on inherits the blocked mask, so the
  // signals are delivered only to sigtimedwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<corsd::rpc::Server>> server =
      corsd::rpc::Server::Start(config);
  if (!server.ok()) return Fail(server.status());
  std::fprintf(stderr, "corsd: listening decisions=%s\n",
               (*server)->decision_address().c_str());
  std::fprintf(stderr, "corsd: listening admin=%s\n",
               (*server)->admin_address().c_str());

  std::unique_ptr<corsd::http::HttpServer> http;
  if (const std::string listen = value("http-listen"); !listen.empty()) {
    corsd::http::HttpServerOptions options;
    options.listen = listen;
    options.tenant_header = config.tenant_header;
    if (threads > 0) options.threads = threads;
    corsd::http::HttpDeps deps;
    deps.engine = (*server)->engine();
    deps.table = (*server)->table();
    deps.epochs = (*server)->epochs();
    deps.catalog = (*server)->catalog();
    deps.metrics = (*server)->metrics();
    absl::StatusOr<std::unique_ptr<corsd::http::HttpServer>> started =
        corsd::http::HttpServer::Start(options, deps);
    if (!started.ok()) {
      (*server)->Shutdown(absl::ZeroDuration());
      return Fail(started.status());
    }
    http = *std::move(started);
    std::fprintf(stderr, "corsd: listening http=%s\n", http->address().c_str());
  }
  std::fflush(stderr);

  // Wait for a signal; print "ready" once health is SERVING.
  bool ready_printed = false;
  const timespec poll = {0, 50'000'000};  // 50 ms
  while (true) {
    if (!ready_printed && (*server)->Serving()) {
      std::fprintf(stderr, "corsd: ready\n");
      std::fflush(stderr);
      ready_printed = true;
    }
    const int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGTERM || sig == SIGINT) {
      std::fprintf(stderr, "corsd: %s received, draining\n",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }
  if (http != nullptr) http->Shutdown();
  (*server)->Shutdown(kDrainGrace);
  std::fprintf(stderr, "corsd: stopped\n");
  return 0;
}
