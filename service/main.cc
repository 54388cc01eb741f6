// corsd: the CORS decision service. Thin: flags (abseil's flags library,
// plus an optional --config file of flag=value lines) become an AppConfig;
// app::App (service/app/app.h) opens the core and starts every door; main
// prints the startup lines HACKING.md fixes and, on SIGTERM/SIGINT, drains
// and exits 0. SIGHUP calls App::Reload (the one place reloads go).
//
// Flags are spelled with dashes on the command line and in --config
// (--admin-listen); abseil names them with underscores (admin_listen).
// argv is read here rather than by absl::ParseCommandLine so that usage
// errors keep corsd's documented exit status 2 (abseil's exits 1).
//
// Exit status: 0 after a clean drain; 2 for a usage error (unknown flag,
// missing value, a value that does not parse); 1 when corsd cannot start
// (the error is printed as "corsd: <message>").
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/app/app.h"
#include "service/decision/engine.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7700",
          "HOST:PORT of the decision listener (Decider, ext_authz Check); "
          "port 0 binds a free port");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:7701",
          "HOST:PORT of the admin listener (Admin; bearer tokens required)");
ABSL_FLAG(std::string, http_listen, "",
          "HOST:PORT of the HTTP door (forward-auth for nginx, Caddy and "
          "Traefik, /metrics, /ask, /healthz, /readyz); empty: off");
ABSL_FLAG(std::string, data_dir, "",
          "directory of the embedded SQLite store (created if missing)");
ABSL_FLAG(std::string, store, "",
          "postgres://... for a store shared by replicas; empty: SQLite in "
          "--data-dir");
ABSL_FLAG(std::string, admin_token_file, "",
          "file of admin bearer tokens, one per line: TOKEN [id=ID] "
          "[tenants=T1,T2|*] ('#' comments, blank lines ignored; a bare token "
          "covers every tenant); re-read on SIGHUP; required");
ABSL_FLAG(std::string, audit_log, "-",
          "admin audit log: one JSON line per admin write (token id, RPC, "
          "tenants, items, revision, outcome), \"-\" for standard error or "
          "a file (reopened on SIGHUP); empty: off");
ABSL_FLAG(int32_t, threads, 0,
          "gRPC decision threads kept waiting for calls (busy load adds "
          "threads; calls never fail for want of one); 0: gRPC's default");
ABSL_FLAG(int32_t, http_threads, 0,
          "event loops of the HTTP door; 0: one per core");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain; with --tls-key enables TLS on both gRPC "
          "listeners");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls-cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle; requires and verifies client certificates (mTLS)");
ABSL_FLAG(std::string, tenant_header, "x-corsd-tenant",
          "request header naming the tenant, last in the order every door "
          "uses: the tenant the gateway's configuration names (Decider's "
          "tenant, ext_authz context_extensions[\"tenant\"], HTTP "
          "/auth/TENANT), else the tenant whose API host is the request's "
          "host, else this header (ext_authz and HTTP); empty: none");
ABSL_FLAG(corsd::decision::UnknownHost, unknown_host,
          corsd::decision::UnknownHost::kDeny,
          "deny|continue: requests no tenant owns (no tenant owns the Host, or "
          "the named tenant does not exist). deny: a WebSocket handshake or a "
          "non-safe method (not GET, HEAD, OPTIONS) with a cross-site Origin "
          "(any Origin, \"null\" included, but the request's own host) is "
          "answered 403, REASON_UNKNOWN_HOST_DENIED; continue: they reach the "
          "upstream (no R13/R14 without a policy). Preflights are 403 either "
          "way");
ABSL_FLAG(int32_t, max_message_bytes, 4194304,
          "largest gRPC message on the decision listener, in bytes (admin "
          "accepts at least 64 MiB)");
ABSL_FLAG(std::string, dns_resolver, "",
          "custom domains: the DNS server the verifier asks, IP[:PORT] or "
          "[IPv6]:PORT; empty: the system's (/etc/resolv.conf)");
ABSL_FLAG(absl::Duration, domain_recheck, absl::Hours(24),
          "custom domains: how often a verified domain's proof is checked "
          "again");
ABSL_FLAG(absl::Duration, domain_grace, absl::Hours(72),
          "custom domains: how long a verified domain's proof may be gone "
          "before it is suspended (grants removed)");
ABSL_FLAG(std::string, domain_challenge_prefix, "_corsd-challenge",
          "custom domains: the DNS label of the TXT challenge "
          "(<prefix>.<host>)");
ABSL_FLAG(int32_t, domain_verify_concurrency, 16,
          "custom domains: proof attempts at once (each tenant at most 4); "
          "0: this replica runs no verifier");
ABSL_FLAG(int32_t, domain_http_port, 80,
          "custom domains: the port the HTTP proof fetches from");
ABSL_FLAG(bool, domain_http_allow_private, false,
          "custom domains: let the HTTP proof connect to loopback and "
          "private addresses (tests only: it opens SSRF)");
ABSL_FLAG(int32_t, max_domains_per_tenant, 1000,
          "custom domains: most domains one tenant may hold");
ABSL_FLAG(std::vector<std::string>, saas_hosts, {},
          "hosts /ask always approves (the SaaS's own), comma-separated; "
          "\"*.saas.example\" covers one label under it");
ABSL_FLAG(std::string, decision_log, "",
          "decision log: one JSON line per refusal and per sampled allow, "
          "\"-\" for standard output or a file (reopened on SIGHUP); empty: "
          "off");
ABSL_FLAG(double, decision_log_sample, 0.01,
          "decision log: fraction of allowed decisions logged, 0 to 1 "
          "(refusals are always logged)");
ABSL_FLAG(int32_t, decision_log_tenant_rate, 100,
          "decision log: most lines per second per tenant (a flood from one "
          "tenant cannot drown the others), 1 to 1000000");
ABSL_FLAG(bool, tenant_view, true,
          "per-tenant view: keep each tenant's most refused origins over "
          "the last --tenant-view-window (Admin TopRefused, `corsctl top`, "
          "corsd_tenant_refusals); false: off");
ABSL_FLAG(absl::Duration, tenant_view_window, absl::Minutes(15),
          "per-tenant view: the window counted, 10s to 24h (in fifths)");
ABSL_FLAG(int32_t, tenant_view_top_k, 16,
          "per-tenant view: origins counted per tenant per fifth of the "
          "window, 1 to 1024 (a count's error is at most the tenant's "
          "refusals / this)");
ABSL_FLAG(int32_t, tenant_view_tenants, 256,
          "per-tenant view: tenants with counters of their own, 1 to 65536 "
          "(the others share one sketch)");
ABSL_FLAG(int32_t, tenant_view_metrics_top, 20,
          "per-tenant view: tenants with a corsd_tenant_refusals series "
          "(those with the most refusals), 0 to 1000");
ABSL_FLAG(int32_t, whatif_shapes_per_tenant, 256,
          "what-if: distinct request shapes kept per tenant for `corsctl "
          "what-if` (Admin WhatIf), 0 to 4096; 0: record nothing, what-if "
          "then replays only the shapes it is given (--log)");
ABSL_FLAG(int32_t, whatif_sample, 32,
          "what-if: record one decision in this many (a power of two, 1 to "
          "65536, chosen by decision id; counts are scaled back), so the "
          "others pay one branch (bench/RESULTS.md, \"What-if recorder\")");
ABSL_FLAG(int32_t, whatif_tenants, 1024,
          "what-if: tenants whose shapes are kept, 1 to 65536 (later ones "
          "are dropped and counted)");
ABSL_FLAG(std::string, config, "",
          "file of flag=value lines ('#' comments); command-line flags win");

namespace {

// How long in-flight calls get to finish after SIGTERM.
constexpr absl::Duration kDrainGrace = absl::Seconds(5);

// corsd's flags, in --help order.
std::vector<const absl::CommandLineFlag*> Flags() {
  return {&absl::GetFlagReflectionHandle(FLAGS_listen),
          &absl::GetFlagReflectionHandle(FLAGS_admin_listen),
          &absl::GetFlagReflectionHandle(FLAGS_http_listen),
          &absl::GetFlagReflectionHandle(FLAGS_data_dir),
          &absl::GetFlagReflectionHandle(FLAGS_store),
          &absl::GetFlagReflectionHandle(FLAGS_admin_token_file),
          &absl::GetFlagReflectionHandle(FLAGS_audit_log),
          &absl::GetFlagReflectionHandle(FLAGS_threads),
          &absl::GetFlagReflectionHandle(FLAGS_http_threads),
          &absl::GetFlagReflectionHandle(FLAGS_tls_cert),
          &absl::GetFlagReflectionHandle(FLAGS_tls_key),
          &absl::GetFlagReflectionHandle(FLAGS_tls_client_ca),
          &absl::GetFlagReflectionHandle(FLAGS_tenant_header),
          &absl::GetFlagReflectionHandle(FLAGS_unknown_host),
          &absl::GetFlagReflectionHandle(FLAGS_max_message_bytes),
          &absl::GetFlagReflectionHandle(FLAGS_dns_resolver),
          &absl::GetFlagReflectionHandle(FLAGS_domain_recheck),
          &absl::GetFlagReflectionHandle(FLAGS_domain_grace),
          &absl::GetFlagReflectionHandle(FLAGS_domain_challenge_prefix),
          &absl::GetFlagReflectionHandle(FLAGS_domain_verify_concurrency),
          &absl::GetFlagReflectionHandle(FLAGS_domain_http_port),
          &absl::GetFlagReflectionHandle(FLAGS_domain_http_allow_private),
          &absl::GetFlagReflectionHandle(FLAGS_max_domains_per_tenant),
          &absl::GetFlagReflectionHandle(FLAGS_saas_hosts),
          &absl::GetFlagReflectionHandle(FLAGS_decision_log),
          &absl::GetFlagReflectionHandle(FLAGS_decision_log_sample),
          &absl::GetFlagReflectionHandle(FLAGS_decision_log_tenant_rate),
          &absl::GetFlagReflectionHandle(FLAGS_tenant_view),
          &absl::GetFlagReflectionHandle(FLAGS_tenant_view_window),
          &absl::GetFlagReflectionHandle(FLAGS_tenant_view_top_k),
          &absl::GetFlagReflectionHandle(FLAGS_tenant_view_tenants),
          &absl::GetFlagReflectionHandle(FLAGS_tenant_view_metrics_top),
          &absl::GetFlagReflectionHandle(FLAGS_whatif_shapes_per_tenant),
          &absl::GetFlagReflectionHandle(FLAGS_whatif_sample),
          &absl::GetFlagReflectionHandle(FLAGS_whatif_tenants),
          &absl::GetFlagReflectionHandle(FLAGS_config)};
}

std::string Dashed(absl::string_view name) {
  return absl::StrReplaceAll(name, {{"_", "-"}});
}

// corsd's flag spelled `dashed` on the command line, or null.
absl::CommandLineFlag* Find(absl::string_view dashed) {
  const std::string name = absl::StrReplaceAll(dashed, {{"-", "_"}});
  for (const absl::CommandLineFlag* f : Flags()) {
    if (f->Name() == name) return absl::FindCommandLineFlag(name);
  }
  return nullptr;
}

void PrintHelp() {
  std::fprintf(stdout,
               "usage: corsd [--flag=value | --flag value]...\n"
               "CORS decisions for gateways over gRPC (corsd.v1.Decider, "
               "envoy ext_authz v3) and HTTP.\n\n");
  for (const absl::CommandLineFlag* f : Flags()) {
    std::fprintf(stdout, "  --%-18s %s", Dashed(f->Name()).c_str(),
                 f->Help().c_str());
    if (const std::string d = f->DefaultValue(); !d.empty() && d != "0") {
      std::fprintf(stdout, " (default: %s)", d.c_str());
    }
    std::fprintf(stdout, "\n");
  }
  std::fprintf(stdout,
               "\nOn start it prints on stderr \"corsd: listening "
               "decisions=HOST:PORT\", \"... admin=HOST:PORT\", \"... "
               "http=HOST:PORT\" (when enabled), then \"corsd: ready\".\n"
               "SIGTERM or SIGINT drains in-flight calls and exits 0; "
               "SIGHUP reopens the decision log and the audit log and "
               "re-reads the admin token file and the TLS certificate and "
               "key.\n");
}

absl::Status Set(absl::CommandLineFlag* flag, absl::string_view value,
                 absl::string_view where) {
  std::string error;
  if (!flag->ParseFrom(value, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "--", Dashed(flag->Name()), " \"", value, "\": ", error));
  }
  return absl::OkStatus();
}

// Applies argv; records the flags it set in *given. InvalidArgument (usage)
// on an unknown flag, a missing value or a value that does not parse.
absl::Status ParseArgs(int argc, char** argv, bool* help,
                       std::set<std::string>* given) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return absl::OkStatus();
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", argv[i], "\"; see --help"));
    }
    absl::string_view name = arg;
    std::string value;
    bool has_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
      has_value = true;
    }
    absl::CommandLineFlag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, "; see --help"));
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    if (absl::Status s = Set(flag, value, ""); !s.ok()) return s;
    given->insert(std::string(flag->Name()));
  }
  return absl::OkStatus();
}

// Applies `path`'s flag=value lines to the flags not given on the command
// line.
absl::Status ApplyConfigFile(const std::string& path,
                             const std::set<std::string>& given) {
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
    const std::string where =
        absl::StrCat("--config \"", path, "\" line ", line_no, ": ");
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected flag=value, got \"", l, "\""));
    }
    const absl::string_view name = absl::StripAsciiWhitespace(l.substr(0, eq));
    absl::CommandLineFlag* flag = Find(name);
    if (flag == nullptr || flag->Name() == "config") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "unknown flag \"", name, "\""));
    }
    if (given.count(std::string(flag->Name())) > 0) continue;
    if (absl::Status s =
            Set(flag, absl::StripAsciiWhitespace(l.substr(eq + 1)), where);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

corsd::app::AppConfig ConfigFromFlags() {
  corsd::app::AppConfig c;
  c.core.data_dir = absl::GetFlag(FLAGS_data_dir);
  c.core.store_url = absl::GetFlag(FLAGS_store);
  c.rpc.listen = absl::GetFlag(FLAGS_listen);
  c.rpc.admin_listen = absl::GetFlag(FLAGS_admin_listen);
  c.rpc.admin_token_file = absl::GetFlag(FLAGS_admin_token_file);
  c.rpc.audit_log = absl::GetFlag(FLAGS_audit_log);
  c.rpc.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  c.rpc.tls_key = absl::GetFlag(FLAGS_tls_key);
  c.rpc.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  c.rpc.tenant_header = absl::GetFlag(FLAGS_tenant_header);
  c.core.engine.unknown_host = absl::GetFlag(FLAGS_unknown_host);
  c.rpc.transport.threads = absl::GetFlag(FLAGS_threads);
  c.rpc.transport.max_receive_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  c.rpc.transport.max_send_message_bytes =
      absl::GetFlag(FLAGS_max_message_bytes);
  c.http_listen = absl::GetFlag(FLAGS_http_listen);
  c.http_threads = absl::GetFlag(FLAGS_http_threads);
  c.saas_hosts = absl::GetFlag(FLAGS_saas_hosts);
  c.core.decision_log.path = absl::GetFlag(FLAGS_decision_log);
  c.core.decision_log.sample = absl::GetFlag(FLAGS_decision_log_sample);
  c.core.decision_log.tenant_rate = static_cast<uint32_t>(
      std::max(1, absl::GetFlag(FLAGS_decision_log_tenant_rate)));
  c.core.tenant_view_enabled = absl::GetFlag(FLAGS_tenant_view);
  c.core.whatif_recording = absl::GetFlag(FLAGS_whatif_shapes_per_tenant) > 0;
  c.core.whatif.shapes_per_tenant = static_cast<size_t>(
      std::max(1, absl::GetFlag(FLAGS_whatif_shapes_per_tenant)));
  c.core.whatif.sample_one_in =
      static_cast<uint32_t>(std::max(1, absl::GetFlag(FLAGS_whatif_sample)));
  c.core.whatif.max_tenants =
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_whatif_tenants)));
  c.core.tenant_view.window = absl::GetFlag(FLAGS_tenant_view_window);
  c.core.tenant_view.top_k =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_tenant_view_top_k)));
  c.core.tenant_view.tenant_cap = static_cast<size_t>(
      std::max(0, absl::GetFlag(FLAGS_tenant_view_tenants)));
  c.core.tenant_view.metrics_top = static_cast<size_t>(
      std::max(0, absl::GetFlag(FLAGS_tenant_view_metrics_top)));
  c.core.dns_resolver = absl::GetFlag(FLAGS_dns_resolver);
  c.core.catalog.lifecycle.recheck = absl::GetFlag(FLAGS_domain_recheck);
  c.core.catalog.lifecycle.grace = absl::GetFlag(FLAGS_domain_grace);
  c.core.catalog.lifecycle.challenge_prefix =
      absl::GetFlag(FLAGS_domain_challenge_prefix);
  c.core.catalog.http_proof_port = absl::GetFlag(FLAGS_domain_http_port);
  c.core.catalog.max_domains_per_tenant = static_cast<size_t>(
      std::max(0, absl::GetFlag(FLAGS_max_domains_per_tenant)));
  c.core.verifier.concurrency = absl::GetFlag(FLAGS_domain_verify_concurrency);
  c.core.verifier.http.port = absl::GetFlag(FLAGS_domain_http_port);
  c.core.verifier.http.allow_private =
      absl::GetFlag(FLAGS_domain_http_allow_private);
  return c;
}

int Usage(const absl::Status& status) {
  std::fprintf(stderr, "corsd: %s\n", std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil tracks lock order by default: 4-7% server CPU. Tests,
  // which do not run main, keep the detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  bool help = false;
  std::set<std::string> given;
  if (absl::Status s = ParseArgs(argc, argv, &help, &given); !s.ok()) {
    return Usage(s);
  }
  if (help) {
    PrintHelp();
    return 0;
  }
  if (const std::string config = absl::GetFlag(FLAGS_config); !config.empty()) {
    if (absl::Status s = ApplyConfigFile(config, given); !s.ok()) {
      return Usage(s);
    }
  }
  for (const auto& [name, value, low, high] :
       std::vector<std::tuple<const char*, int, int, int>>{
           {"--domain-verify-concurrency",
            absl::GetFlag(FLAGS_domain_verify_concurrency), 0, 1024},
           {"--domain-http-port", absl::GetFlag(FLAGS_domain_http_port), 1,
            65535},
           {"--max-domains-per-tenant",
            absl::GetFlag(FLAGS_max_domains_per_tenant), 0, 1000000},
           {"--decision-log-tenant-rate",
            absl::GetFlag(FLAGS_decision_log_tenant_rate), 1, 1000000},
           {"--tenant-view-top-k", absl::GetFlag(FLAGS_tenant_view_top_k), 1,
            1024},
           {"--tenant-view-tenants", absl::GetFlag(FLAGS_tenant_view_tenants),
            1, 65536},
           {"--tenant-view-metrics-top",
            absl::GetFlag(FLAGS_tenant_view_metrics_top), 0, 1000},
           {"--whatif-shapes-per-tenant",
            absl::GetFlag(FLAGS_whatif_shapes_per_tenant), 0, 4096},
           {"--whatif-sample", absl::GetFlag(FLAGS_whatif_sample), 1, 65536},
           {"--whatif-tenants", absl::GetFlag(FLAGS_whatif_tenants), 1,
            65536}}) {
    if (value < low || value > high) {
      return Usage(absl::InvalidArgumentError(absl::StrCat(
          name, " \"", value, "\": expected ", low, " to ", high)));
    }
  }
  if (const int32_t n = absl::GetFlag(FLAGS_whatif_sample);
      (n & (n - 1)) != 0) {
    return Usage(absl::InvalidArgumentError(
        absl::StrCat("--whatif-sample \"", n, "\": expected a power of two")));
  }
  if (const double sample = absl::GetFlag(FLAGS_decision_log_sample);
      !(sample >= 0 && sample <= 1)) {
    return Usage(absl::InvalidArgumentError(
        absl::StrCat("--decision-log-sample \"", sample,
                     "\": expected a fraction from 0 to 1")));
  }
  if (absl::GetFlag(FLAGS_http_threads) < 0) {
    return Usage(absl::InvalidArgumentError(
        absl::StrCat("--http-threads \"", absl::GetFlag(FLAGS_http_threads),
                     "\": expected 0 (one per core) or more")));
  }

  // Every thread created from here on inherits the blocked mask, so the
  // signals are delivered only to sigtimedwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<corsd::app::App>> app =
      corsd::app::App::Start(ConfigFromFlags());
  if (!app.ok()) {
    std::fprintf(stderr, "corsd: %s\n",
                 std::string(app.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "corsd: listening decisions=%s\n",
               (*app)->decision_address().c_str());
  std::fprintf(stderr, "corsd: listening admin=%s\n",
               (*app)->admin_address().c_str());
  if (const std::string http = (*app)->http_address(); !http.empty()) {
    std::fprintf(stderr, "corsd: listening http=%s\n", http.c_str());
  }
  std::fflush(stderr);

  // Wait for a signal; print "ready" once health is SERVING.
  bool ready_printed = false;
  const timespec poll = {0, 50'000'000};  // 50 ms
  while (true) {
    if (!ready_printed && (*app)->Serving()) {
      std::fprintf(stderr, "corsd: ready\n");
      std::fflush(stderr);
      ready_printed = true;
    }
    const int sig = sigtimedwait(&signals, nullptr, &poll);
    if (sig == SIGHUP) {
      // Everything SIGHUP reloads goes through App::Reload (app.h).
      const absl::Status s = (*app)->Reload();
      std::fprintf(stderr, "corsd: SIGHUP received, %s%s\n",
                   s.ok() ? "reloaded" : "reload failed: ",
                   std::string(s.message()).c_str());
      std::fflush(stderr);
      continue;
    }
    if (sig == SIGTERM || sig == SIGINT) {
      std::fprintf(stderr, "corsd: %s received, draining\n",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }
  (*app)->Shutdown(kDrainGrace);
  std::fprintf(stderr, "corsd: stopped\n");
  return 0;
}
