#include "service/http/http_server.h"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "httplib.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/http/forward_auth.h"
#include "service/origin/origin.h"
#include "service/store/catalog.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

constexpr size_t kMaxAskDomainBytes = 253 + 6;  // a DNS name and ":port"
constexpr int kForwardStatus = 421;             // /preflight: "continue"

struct ListenAddress {
  std::string host;  // as getaddrinfo wants it (IPv6 without brackets)
  int port = 0;
};

absl::StatusOr<ListenAddress> ParseListen(absl::string_view listen) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listen address \"", listen, "\" ", why,
                     "; expected HOST:PORT (IPv6 as [ADDR]:PORT)"));
  };
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return bad("has no port");
  absl::string_view host = listen.substr(0, colon);
  const absl::string_view port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != absl::string_view::npos) {
    return bad("has an unbracketed IPv6 host");
  }
  if (host.empty()) return bad("has no host");
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 0 || port > 65535) {
    return bad(absl::StrCat("has port \"", port_text, "\" (not 0-65535)"));
  }
  return ListenAddress{std::string(host), port};
}

// The decision's headers as response headers. Repeated names (Vary) are
// joined into one value with ", ": nginx's $upstream_http_<name> reads only
// the first header of a name.
void SetDecisionHeaders(const decision::Decision& d, httplib::Response& res) {
  const auto headers = d.Headers();
  for (size_t i = 0; i < headers.size(); ++i) {
    bool seen = false;
    for (size_t j = 0; j < i; ++j) {
      if (headers[j].name == headers[i].name) seen = true;
    }
    if (seen) continue;
    std::string value(headers[i].value);
    for (size_t j = i + 1; j < headers.size(); ++j) {
      if (headers[j].name == headers[i].name) {
        absl::StrAppend(&value, ", ", headers[j].value);
      }
    }
    res.set_header(std::string(headers[i].name), value);
  }
}

decision::Request ToEngineRequest(const OriginalRequest& o) {
  decision::Request r;
  r.method = o.method;
  r.scheme = o.scheme;
  r.host = o.host;
  r.path = o.path;
  r.has_origin = o.origin.has_value();
  r.origin = o.origin.value_or("");
  r.has_access_control_request_method =
      o.access_control_request_method.has_value();
  r.access_control_request_method =
      o.access_control_request_method.value_or("");
  r.has_access_control_request_headers =
      o.access_control_request_headers.has_value();
  r.access_control_request_headers =
      o.access_control_request_headers.value_or("");
  r.has_access_control_request_private_network =
      o.access_control_request_private_network.has_value();
  r.access_control_request_private_network =
      o.access_control_request_private_network.value_or("");
  r.upgrade = o.upgrade;
  r.connection = o.connection;
  r.credentials = o.credentials;
  return r;
}

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

void Plain(httplib::Response& res, int status, absl::string_view body) {
  res.status = status;
  res.set_content(absl::StrCat(body, "\n"), "text/plain; charset=utf-8");
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpDeps deps;
  httplib::Server server;
  std::thread loop;
  // Set when the accept loop has returned. Release/acquire: Start reads it
  // to stop waiting for a loop that ended (it orders nothing else).
  std::atomic<bool> loop_done{false};
  std::string bound_host;
  int port = 0;
  std::once_flag shutdown_once;
  RequestCounters requests;

  // Which endpoint is deciding: /auth (auth_request) or /preflight.
  enum class Mode { kAuth, kPreflight };

  void Decide(Mode mode, const httplib::Request& req, httplib::Response& res);
  void Ask(const httplib::Request& req, httplib::Response& res);
  void Ready(httplib::Response& res);
  void Metrics(httplib::Response& res);
};

void HttpServer::Impl::Decide(Mode mode, const httplib::Request& req,
                              httplib::Response& res) {
  OriginalRequest original;
  const ForwardAuthOptions parse_options{
      .tenant_header = options.tenant_header,
      .require_original_method = mode == Mode::kAuth,
      .max_header_value_bytes = options.max_header_value_bytes};
  if (absl::Status s = ParseOriginalRequest(req, parse_options, &original);
      !s.ok()) {
    res.set_header("X-Corsd-Reason", "BAD_REQUEST");
    Plain(res, 400, s.message());
    return;
  }
  const decision::Request request = ToEngineRequest(original);

  const auto start = std::chrono::steady_clock::now();
  table::EpochManager::ReadGuard guard(deps.epochs);
  decision::Decision d;
  deps.engine->Decide(original.tenant, request, &d);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count();
  if (deps.metrics != nullptr) {
    deps.metrics->RecordDecision(d.action, d.reason,
                                 static_cast<uint64_t>(nanos));
  }

  SetDecisionHeaders(d, res);
  res.set_header("X-Corsd-Reason", std::string(decision::ReasonName(d.reason)));
  if (!d.tenant_name.empty()) {
    res.set_header("X-Corsd-Tenant", std::string(d.tenant_name));
  }
  // On /auth a body explains refusals to a person reading the gateway's
  // logs (auth_request never shows it to the client). /preflight answers go
  // to the client as they are: no explanation there, since its "did you
  // mean" hints would tell anyone probing which origins a tenant has.
  const bool explain = mode == Mode::kAuth &&
                       d.action == decision::Action::kAnswer && d.status >= 400;
  const std::string body =
      explain ? deps.engine->Explain(original.tenant, request, d) : "";

  if (d.action != decision::Action::kAnswer) {
    // Continue: /auth says "allowed" (2xx); /preflight says "forward it".
    res.status = mode == Mode::kAuth ? 200 : kForwardStatus;
  } else if (mode == Mode::kPreflight || d.status == 401 || d.status == 403) {
    res.status = d.status;
  } else {
    // auth_request passes only 2xx/401/403 through: an allowed preflight
    // (204) reaching /auth becomes 200, anything else 403; X-Corsd-Status
    // says what corsd meant.
    res.set_header("X-Corsd-Status", absl::StrCat(d.status));
    res.status = (d.status >= 200 && d.status <= 299) ? 200 : 403;
  }
  if (!body.empty()) {
    res.set_content(absl::StrCat(body, "\n"), "text/plain; charset=utf-8");
  }
}

void HttpServer::Impl::Ask(const httplib::Request& req,
                           httplib::Response& res) {
  if (req.get_param_value_count("domain") != 1) {
    Plain(res, 400,
          absl::StrCat("query parameter domain appears ",
                       req.get_param_value_count("domain"),
                       " times; expected exactly once (/ask?domain=HOST)"));
    return;
  }
  const std::string domain = req.get_param_value("domain");
  if (domain.empty() || domain.size() > kMaxAskDomainBytes) {
    Plain(res, 400,
          absl::StrCat("query parameter domain is ", domain.size(),
                       " bytes; expected a host of 1 to ", kMaxAskDomainBytes,
                       " bytes"));
    return;
  }
  absl::StatusOr<std::string> host = origin::CanonicalizeHost(domain);
  if (!host.ok()) {
    Plain(res, 400,
          absl::StrCat("query parameter domain \"", domain,
                       "\" is not a host: ", host.status().message()));
    return;
  }
  bool known = false;
  {
    table::EpochManager::ReadGuard guard(deps.epochs);
    known = deps.table->HostIsKnown(*host);
  }
  if (known) {
    Plain(res, 200, absl::StrCat("known ", *host));
  } else {
    Plain(res, 404, absl::StrCat("unknown ", *host));
  }
}

void HttpServer::Impl::Ready(httplib::Response& res) {
  if (deps.catalog != nullptr && !deps.catalog->Ready()) {
    Plain(res, 503,
          absl::StrCat("not ready: ", deps.catalog->NotReadyReason()));
    return;
  }
  Plain(res, 200, "ready");
}

void HttpServer::Impl::Metrics(httplib::Response& res) {
  if (deps.metrics == nullptr) {
    Plain(res, 404, "metrics are not enabled on this server");
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
  res.status = 200;
  res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpDeps deps) {
  absl::StatusOr<ListenAddress> address = ParseListen(options.listen);
  if (!address.ok()) return address.status();
  if (options.keep_alive_max_requests == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("http keep_alive_max_requests is ",
                     options.keep_alive_max_requests, "; expected at least 1"));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http threads is ", options.threads, "; expected at least 1"));
  }
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
  Impl* self = impl.get();
  httplib::Server& server = impl->server;
  const int threads = options.threads;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  const auto timeout_us = absl::ToInt64Microseconds(options.io_timeout);
  server.set_read_timeout(timeout_us / 1000000, timeout_us % 1000000);
  server.set_write_timeout(timeout_us / 1000000, timeout_us % 1000000);
  server.set_keep_alive_timeout(
      absl::ToInt64Seconds(options.keep_alive_timeout));
  // cpp-httplib closes a connection after 5 requests by default; nginx's
  // upstream keepalive to corsd would reconnect every 5 auth_requests.
  server.set_keep_alive_max_count(options.keep_alive_max_requests);
  // Responses are written as headers then body: without TCP_NODELAY, Nagle
  // plus the peer's delayed ACK stalls every /metrics scrape ~40 ms
  // (measured: 27.7 ms per scrape before, see bench_http).
  server.set_tcp_nodelay(true);
  server.set_payload_max_length(64 * 1024);
  server.set_default_headers({{"Cache-Control", "no-store"}});
  // cpp-httplib's default also sets SO_REUSEPORT, which would let a second
  // process bind the same port and silently take half the requests: keep
  // only SO_REUSEADDR (restart without waiting out TIME_WAIT).
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  const auto auth = [self](const httplib::Request& req,
                           httplib::Response& res) {
    self->Decide(Impl::Mode::kAuth, req, res);
  };
  const auto preflight = [self](const httplib::Request& req,
                                httplib::Response& res) {
    self->Decide(Impl::Mode::kPreflight, req, res);
  };
  // auth_request subrequests use the client's method unless the gateway sets
  // one; accept every method httplib routes (HEAD is routed to Get).
  server.Get("/auth", auth);
  server.Post("/auth", auth);
  server.Put("/auth", auth);
  server.Patch("/auth", auth);
  server.Delete("/auth", auth);
  server.Options("/auth", auth);
  server.Options("/preflight", preflight);
  server.Get("/preflight", preflight);
  server.Get("/ask", [self](const httplib::Request& req,
                            httplib::Response& res) { self->Ask(req, res); });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    Plain(res, 200, "ok");
  });
  server.Get("/readyz", [self](const httplib::Request&,
                               httplib::Response& res) { self->Ready(res); });
  server.Get("/metrics",
             [self](const httplib::Request&, httplib::Response& res) {
               self->Metrics(res);
             });
  // The logger runs once per answered request, with the final status.
  server.set_logger(
      [self](const httplib::Request& req, const httplib::Response& res) {
        self->requests.Count(req.path, res.status);
      });
  server.set_error_handler([](const httplib::Request& req,
                              httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      res.set_content(absl::StrCat("no endpoint ", req.method, " ", req.path,
                                   "; corsd serves /auth, /preflight, "
                                   "/metrics, /ask, /healthz, /readyz\n"),
                      "text/plain; charset=utf-8");
    }
  });

  int port = address->port;
  if (port == 0) {
    port = server.bind_to_any_port(address->host);
    if (port < 0) port = 0;
  } else if (!server.bind_to_port(address->host, port)) {
    port = 0;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("http listen address \"", options.listen,
                     "\" cannot be bound (in use, or not a local address)"));
  }
  impl->port = port;
  impl->bound_host = address->host;
  impl->loop = std::thread([self] {
    self->server.listen_after_bind();
    self->loop_done.store(true, std::memory_order_release);
  });
  // stop() is a no-op until the loop runs: wait for it, so that a Shutdown
  // right after Start cannot leave the loop running forever.
  while (!server.is_running() &&
         !impl->loop_done.load(std::memory_order_acquire)) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (!server.is_running()) {
    impl->loop.join();
    return absl::UnavailableError(
        absl::StrCat("http listen address \"", options.listen,
                     "\" was bound but its accept loop ended at once"));
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return impl_->port; }

std::string HttpServer::address() const {
  if (impl_->bound_host.find(':') != std::string::npos) {
    return absl::StrCat("[", impl_->bound_host, "]:", impl_->port);
  }
  return absl::StrCat(impl_->bound_host, ":", impl_->port);
}

void HttpServer::Shutdown() {
  std::call_once(impl_->shutdown_once, [this] {
    impl_->server.stop();
    if (impl_->loop.joinable()) impl_->loop.join();
  });
}

}  // namespace corsd::http
