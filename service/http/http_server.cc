#include "service/http/http_server.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/door/header_rules.h"
#include "service/door/run_path.h"
#include "service/http/ask.h"
#include "service/http/forward_auth.h"
#include "service/http/transport.h"
#include "service/origin/origin.h"
#include "service/store/catalog.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

constexpr size_t kMaxTenantPathBytes = 256;  // /auth/TENANT
constexpr int kForwardStatus = 421;          // /preflight: "continue"

// At most kAskLogPerSecond log lines a second (a refill-per-second bucket),
// so a scanner cannot turn /ask into a log flood. Thread-safe.
constexpr int kAskLogPerSecond = 10;
class LogLimiter {
 public:
  bool Allow() {
    const int64_t second = absl::ToUnixSeconds(absl::Now());
    std::lock_guard<std::mutex> lock(mu_);
    if (second != second_) {
      second_ = second;
      used_ = 0;
    }
    return used_++ < kAskLogPerSecond;
  }

 private:
  std::mutex mu_;
  int64_t second_ = 0;
  int used_ = 0;
};

// Requests answered, by endpoint and status code: a fixed table of relaxed
// atomic counters (independent monotonic counts; a scrape needs no
// ordering), rendered after the decision metrics on /metrics.
class RequestCounters {
 public:
  void Count(absl::string_view path, int status) {
    counts_[EndpointIndex(path)][CodeIndex(status)].fetch_add(
        1, std::memory_order_relaxed);
  }

  void Render(std::string* out) const {
    out->append(
        "# HELP corsd_http_requests_total HTTP requests answered by the "
        "--http-listen listener, by endpoint and status code.\n"
        "# TYPE corsd_http_requests_total counter\n");
    for (size_t e = 0; e < kEndpoints.size() + 1; ++e) {
      for (size_t c = 0; c < kCodes.size() + 1; ++c) {
        const uint64_t n = counts_[e][c].load(std::memory_order_relaxed);
        if (n == 0) continue;
        absl::StrAppend(out, "corsd_http_requests_total{endpoint=\"",
                        e < kEndpoints.size() ? kEndpoints[e] : "other",
                        "\",code=\"",
                        c < kCodes.size() ? absl::StrCat(kCodes[c]) : "other",
                        "\"} ", n, "\n");
      }
    }
  }

 private:
  static constexpr std::array<absl::string_view, 6> kEndpoints = {
      "/auth", "/preflight", "/metrics", "/ask", "/healthz", "/readyz"};
  static constexpr std::array<int, 8> kCodes = {200, 204, 400, 403,
                                                404, 421, 500, 503};

  static size_t EndpointIndex(absl::string_view path) {
    for (size_t i = 0; i < kEndpoints.size(); ++i) {
      if (path == kEndpoints[i]) return i;
    }
    return kEndpoints.size();
  }
  static size_t CodeIndex(int status) {
    for (size_t i = 0; i < kCodes.size(); ++i) {
      if (status == kCodes[i]) return i;
    }
    return kCodes.size();
  }

  std::array<std::array<std::atomic<uint64_t>, kCodes.size() + 1>,
             kEndpoints.size() + 1>
      counts_{};
};

// The decision's headers as response headers. Repeated names (Vary) are
// joined into one value with ", ": nginx's $upstream_http_<name> and Caddy's
// {rp.header.<name>} read only the first header of a name.
void AddDecisionHeaders(const decision::Decision& d, Exchange* reply) {
  const auto headers = d.Headers();
  for (size_t i = 0; i < headers.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i; ++j) {
      if (headers[j].name == headers[i].name) seen = true;
    }
    if (seen) continue;
    bool repeated = false;
    for (size_t j = i + 1; j < headers.size(); ++j) {
      repeated = repeated || headers[j].name == headers[i].name;
    }
    if (!repeated) {
      reply->AddHeader(headers[i].name, headers[i].value);
      continue;
    }
    std::string value(headers[i].value);
    for (size_t j = i + 1; j < headers.size(); ++j) {
      if (headers[j].name == headers[i].name) {
        absl::StrAppend(&value, ", ", headers[j].value);
      }
    }
    reply->AddHeader(headers[i].name, value);
  }
}

// A text answer ending in a newline.
void Plain(Exchange* x, int status, absl::string_view text) {
  x->Respond(status, absl::StrCat(text, "\n"));
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpDeps deps;
  door::DecisionDeps decision_deps;
  RequestCounters requests;
  std::unique_ptr<http::Ask> ask;
  LogLimiter ask_log;
  std::unique_ptr<Transport> transport;

  // Which endpoint is deciding: /auth (forward-auth) or /preflight.
  enum class Mode { kAuth, kPreflight };

  void Route(Exchange& x);
  void Decide(Mode mode, absl::string_view tenant, Exchange& x);
  void Ask(Exchange& x);
  void Ready(Exchange& x);
  void Metrics(Exchange& x);
};

void HttpServer::Impl::Route(Exchange& x) {
  const absl::string_view path = x.path();
  absl::string_view endpoint = path;
  const auto with_tenant = [&](absl::string_view prefix,
                               absl::string_view* tenant) {
    if (path == prefix) return true;
    // "/auth/" is "/auth" (nginx's /auth/$corsd_tenant with no tenant).
    if (path.size() > prefix.size() && absl::StartsWith(path, prefix) &&
        path[prefix.size()] == '/') {
      *tenant = path.substr(prefix.size() + 1);
      return true;
    }
    return false;
  };
  absl::string_view tenant;
  if (with_tenant("/auth", &tenant)) {
    endpoint = "/auth";
    Decide(Mode::kAuth, tenant, x);
  } else if (with_tenant("/preflight", &tenant)) {
    endpoint = "/preflight";
    Decide(Mode::kPreflight, tenant, x);
  } else if (path == "/ask") {
    Ask(x);
  } else if (path == "/healthz") {
    Plain(&x, 200, "ok");
  } else if (path == "/readyz") {
    Ready(x);
  } else if (path == "/metrics") {
    Metrics(x);
  } else {
    Plain(&x, 404,
          absl::StrCat("no endpoint ", x.method().substr(0, 32), " ",
                       door::ShownValue(path),
                       "; corsd serves /auth, /preflight, /metrics, /ask, "
                       "/healthz, /readyz"));
  }
  requests.Count(endpoint, x.status());
}

void HttpServer::Impl::Decide(Mode mode, absl::string_view tenant,
                              Exchange& x) {
  if (tenant.size() > kMaxTenantPathBytes ||
      tenant.find('/') != absl::string_view::npos) {
    x.AddHeader("x-corsd-reason", "BAD_REQUEST");
    Plain(&x, 400,
          absl::StrCat("path tenant is ", tenant.size(),
                       " bytes; expected /auth/TENANT with a tenant id of at "
                       "most ",
                       kMaxTenantPathBytes, " bytes and no \"/\""));
    return;
  }
  const ReceivedRequest received{
      .method = x.method(), .target = x.target(), .headers = x.headers()};
  OriginalRequest original;
  const ForwardAuthOptions parse_options{
      .tenant_header = options.tenant_header,
      .require_original_method = mode == Mode::kAuth,
      .max_header_value_bytes = options.max_header_value_bytes,
      .max_headers = options.max_headers,
      .max_header_block_bytes = options.max_header_block_bytes};
  if (absl::Status s = ParseOriginalRequest(received, parse_options, &original);
      !s.ok()) {
    x.AddHeader("x-corsd-reason", "BAD_REQUEST");
    Plain(&x, s.code() == absl::StatusCode::kResourceExhausted ? 431 : 400,
          s.message());
    return;
  }
  const decision::Request& request = original.request;

  table::EpochManager::ReadGuard guard(deps.epochs);
  decision::Decision d;
  const door::DecideResult result = door::RunDecide(
      decision_deps,
      door::TenantSources{.named = tenant, .header = original.tenant_header},
      request, &d);
  const absl::string_view asked = result.asked;

  AddDecisionHeaders(d, &x);
  x.AddHeader("x-corsd-reason", decision::ReasonName(d.reason));
  if (result.id != 0) {
    x.AddHeader("x-corsd-decision-id",
                door::FormatDecisionId(result.id).view());
  }
  if (!d.tenant_name.empty()) x.AddHeader("x-corsd-tenant", d.tenant_name);
  // On /auth a body explains refusals to a person reading the gateway's
  // logs (auth_request never shows it to the client). /preflight answers go
  // to the client as they are: no explanation there, since its "did you
  // mean" hints would tell anyone probing which origins a tenant has.
  const bool explain = mode == Mode::kAuth &&
                       d.action == decision::Action::kAnswer && d.status >= 400;
  std::string body;
  if (explain) {
    body = absl::StrCat(deps.engine->Explain(asked, request, d), "\n");
  }
  int status = 0;
  if (d.action != decision::Action::kAnswer) {
    // Continue: /auth says "allowed" (2xx); /preflight says "forward it".
    status = mode == Mode::kAuth ? 200 : kForwardStatus;
  } else if (mode == Mode::kPreflight || d.status == 401 || d.status == 403) {
    status = d.status;
  } else {
    // auth_request passes only 2xx/401/403 through: an allowed preflight
    // (204) reaching /auth becomes 200, anything else 403; X-Corsd-Status
    // says what corsd meant.
    x.AddHeader("x-corsd-status", absl::StrCat(d.status));
    status = (d.status >= 200 && d.status <= 299) ? 200 : 403;
  }
  x.Respond(status, body);
}

void HttpServer::Impl::Ask(Exchange& x) {
  const AskAnswer answer = ask->Answer(x.query());
  if (answer.status != 200) {
    // Scanners flood /ask with names nobody owns: a refusal is logged with
    // the caller a forwarding proxy names (Caddy itself sends none), at
    // most kAskLogPerSecond lines a second.
    absl::string_view caller;
    for (const HeaderField& h : x.headers()) {
      if (absl::EqualsIgnoreCase(h.name, "x-forwarded-for")) caller = h.value;
    }
    if (ask_log.Allow()) {
      const std::string from =
          caller.empty() ? ""
                         : absl::StrCat("; caller ", door::ShownValue(caller));
      std::fprintf(stderr, "corsd: /ask refused (%d): %s%s\n", answer.status,
                   answer.body.c_str(), from.c_str());
    }
  }
  Plain(&x, answer.status, answer.body);
}

void HttpServer::Impl::Ready(Exchange& x) {
  if (deps.catalog != nullptr && !deps.catalog->Ready()) {
    Plain(&x, 503, absl::StrCat("not ready: ", deps.catalog->NotReadyReason()));
    return;
  }
  Plain(&x, 200, "ready");
}

void HttpServer::Impl::Metrics(Exchange& x) {
  if (deps.metrics == nullptr) {
    Plain(&x, 404, "metrics are not enabled on this server");
    return;
  }
  const table::TableStats stats = deps.table->Stats();
  deps.metrics->SetTableGauges({.tenants = stats.tenants,
                                .origins = stats.origins,
                                .wildcards = stats.wildcards,
                                .api_hosts = stats.api_hosts,
                                .bytes = stats.bytes});
  if (deps.catalog != nullptr) {
    deps.metrics->SetStoreLagMillis(
        static_cast<int64_t>(deps.catalog->LagMillis()));
    deps.metrics->SetReady(deps.catalog->Ready());
  } else {
    deps.metrics->SetStoreLagMillis(0);
    deps.metrics->SetReady(true);
  }
  std::string text = deps.metrics->RenderPrometheus();
  requests.Render(&text);
  ask->Render(&text);
  if (deps.extra_metrics) text.append(deps.extra_metrics());
  x.Respond(200, text, "text/plain; version=0.0.4; charset=utf-8");
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpDeps deps) {
  if (deps.engine == nullptr || deps.table == nullptr ||
      deps.epochs == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http deps: engine, table and epochs are required; got engine=",
        deps.engine != nullptr ? "set" : "null",
        " table=", deps.table != nullptr ? "set" : "null",
        " epochs=", deps.epochs != nullptr ? "set" : "null"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->deps = deps;
  impl->decision_deps = door::DecisionDeps{.engine = deps.engine,
                                           .epochs = deps.epochs,
                                           .metrics = deps.metrics,
                                           .ids = deps.ids,
                                           .observer = deps.observer,
                                           .door = "http"};
  absl::StatusOr<std::unique_ptr<http::Ask>> ask = http::Ask::Create(
      options.saas_hosts, deps.domains, deps.table, deps.epochs);
  if (!ask.ok()) return ask.status();
  impl->ask = *std::move(ask);
  Impl* self = impl.get();
  absl::StatusOr<std::unique_ptr<Transport>> transport =
      Transport::Start(TransportOptions{.listen = options.listen,
                                        .threads = options.threads,
                                        .io_timeout = options.io_timeout,
                                        .drain_timeout = options.drain_timeout},
                       [self](Exchange& x) { self->Route(x); });
  if (!transport.ok()) return transport.status();
  impl->transport = *std::move(transport);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return impl_->transport->port(); }

std::string HttpServer::address() const { return impl_->transport->address(); }

void HttpServer::Shutdown() { impl_->transport->Shutdown(); }

}  // namespace corsd::http
