// http_null_server: the ceiling of the HTTP door's benchmarks. The same
// transport as corsd's HTTP door (service/http/transport.h: h2o, the same
// options, one event loop per --threads), answering every request 200 with
// a fixed set of headers shaped like corsd's /auth answer to an allowed,
// credentialed request (allow-origin, allow-credentials, expose-headers,
// vary, x-corsd-reason, x-corsd-decision-id (corsd's answers carry one
// since the decision log), x-corsd-tenant; cache-control and content-length
// from the transport), and doing nothing else: no header is read, nothing
// is decided.
//
//   http_null_server [--listen=127.0.0.1:0] [--threads=1]
//
// Prints on stderr, like corsd (HACKING.md), once bound:
//   http_null_server: listening http=127.0.0.1:41234
//   http_null_server: ready
// SIGTERM or SIGINT drains and exits 0; exit 1 when it cannot start, 2 on
// bad usage.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "service/http/transport.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "HOST:PORT to listen on");
ABSL_FLAG(int, threads, 1, "event loops");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "http_null_server [--listen=HOST:PORT] [--threads=N]: answers every "
      "HTTP request 200 with corsd-shaped headers (bench/README.md)");
  if (absl::ParseCommandLine(argc, argv).size() != 1) {
    std::fprintf(stderr, "usage: http_null_server [flags] (--help)\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<corsd::http::Transport>> transport =
      corsd::http::Transport::Start(
          corsd::http::TransportOptions{
              .listen = absl::GetFlag(FLAGS_listen),
              .threads = absl::GetFlag(FLAGS_threads)},
          [](corsd::http::Exchange& x) {
            x.AddHeader("access-control-allow-origin",
                        "https://shop.0k4f9x2mq1.co.uk");
            x.AddHeader("access-control-allow-credentials", "true");
            x.AddHeader("access-control-expose-headers",
                        "x-request-id, x-ratelimit-remaining");
            x.AddHeader("vary", "Origin");
            x.AddHeader("x-corsd-reason", "REASON_R2_ORIGIN_ALLOWED");
            x.AddHeader("x-corsd-decision-id", "589cdecbefd9fa67");
            x.AddHeader("x-corsd-tenant", "tenant-000000");
            x.Respond(200, "");
          });
  if (!transport.ok()) {
    std::fprintf(stderr, "http_null_server: %s\n",
                 std::string(transport.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "http_null_server: listening http=%s\n",
               (*transport)->address().c_str());
  std::fprintf(stderr, "http_null_server: ready\n");
  std::fflush(stderr);
  int sig = 0;
  sigwait(&signals, &sig);
  (*transport)->Shutdown();
  return 0;
}
