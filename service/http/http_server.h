// HttpServer: corsd's plain-HTTP listener (--http-listen, off by default),
// for gateways and tools that do not speak gRPC: the routes and the codecs
// of the HTTP door over Transport (transport.h: h2o's HTTP/1.1 server, one
// event loop per thread, keep-alive, pipelining, header values byte for
// byte; service/http/README.md says why h2o). Endpoints:
//
//   /auth[/TENANT]  forward-auth for nginx `auth_request`, Caddy
//               `forward_auth` and Traefik `ForwardAuth`: the original
//               request comes in the headers of forward_auth.h's contract.
//               Tenant: the order every door shares (service/door/
//               run_path.h): TENANT from the path when not empty (the
//               gateway's configuration names it), else the original host's
//               API host, else the header named by
//               HttpServerOptions::tenant_header.
//               Continue -> 200 with the decision's headers (nginx copies
//               them with auth_request_set + add_header ... always);
//               answer -> the decision's status (403) with its headers.
//               auth_request honours only 2xx/401/403, so an allowed
//               preflight (204) reaching /auth is answered 200 with
//               X-Corsd-Status: 204; route preflights to /preflight instead.
//   /preflight[/TENANT]  the same decision, for OPTIONS requests nginx routes
//   here
//               directly (not through auth_request): the answer itself, 204
//               with the CORS headers or 403; a decision to continue (the
//               policy forwards refused preflights) is answered 421 so nginx
//               can hand the request to the upstream with error_page.
//               Refusals carry no explanation body here (the answer goes to
//               the client; "did you mean" hints would leak a tenant's
//               origins); /auth refusals do (nginx keeps subrequest bodies).
//   /metrics    Prometheus text format (DecisionMetrics::RenderPrometheus,
//               after refreshing the table, lag and readiness gauges), then
//               corsd_http_requests_total{endpoint, code}: this listener's
//               answers (the request counted is the one before the scrape).
//   /ask        GET /ask?domain=HOST (Caddy's on_demand_tls `ask`): 200 only
//               for a verified custom domain, a name one label under a
//               verified wildcard, an API host or a --saas-hosts host; 404
//               otherwise (an origin a tenant merely allows is never
//               approved); 400 when HOST is missing or not a host name.
//               ask.h has the rules; refusals are counted and logged (with
//               X-Forwarded-For when a proxy sends it), rate-limited.
//   /healthz    200 "ok" while the process serves (liveness).
//   /readyz     200 "ready" when the tables are loaded and the store is not
//               lagging (Catalog::Ready), else 503 with the reason.
// Every decision's answer carries X-Corsd-Reason (the reason's proto enum
// name) and X-Corsd-Decision-Id (16 hex digits, the id the decision log
// writes; absent when HttpDeps::ids is null); bad input gets a body
// naming the header, the value or its size and what was expected: 431 for
// too many headers or a header value over max_header_value_bytes, 400 for
// a missing or malformed gateway header and for a CR, LF or NUL byte in a
// value. h2o itself bounds a request head at 100 headers and its own size
// limit (400, connection closed). Every response carries Cache-Control:
// no-store. A connection idle or slow to send its request for `io_timeout`
// is closed, so a slow client holds no thread (event-driven) and no
// connection for long.
//
// Thread safety: Start/port/Shutdown may be called from any thread; the
// server answers on its own event-loop threads, reading the dependencies
// concurrently (each decision inside its own EpochManager::ReadGuard).
#ifndef CORSD_SERVICE_HTTP_HTTP_SERVER_H_
#define CORSD_SERVICE_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace corsd::decision {
class Engine;
class DecisionMetrics;
}  // namespace corsd::decision
namespace corsd::domain {
class DomainIndex;
}  // namespace corsd::domain
namespace corsd::door {
class DecisionIds;
class DecisionObserver;
}  // namespace corsd::door
namespace corsd::store {
class Catalog;
}  // namespace corsd::store
namespace corsd::table {
class EpochManager;
class OriginTable;
}  // namespace corsd::table

namespace corsd::http {

struct HttpServerOptions {
  // "HOST:PORT" (IPv6 as "[::1]:PORT"); port 0 binds a free port.
  std::string listen = "127.0.0.1:0";
  // Request header naming the tenant for /auth and /preflight (any case).
  // Empty: the tenant always comes from the original host's API host.
  std::string tenant_header = "X-Corsd-Tenant";
  // Event-loop threads answering requests (>= 1); one per core is enough.
  int threads = 2;
  // Largest accepted value of any header the decision reads (the proto's
  // HttpRequest limit); Origin is limited further by the engine.
  size_t max_header_value_bytes = 8192;
  // Most headers accepted on one request (431 beyond; h2o's own cap is 100).
  size_t max_headers = 100;
  // Largest header block (names and values) accepted (431 beyond).
  size_t max_header_block_bytes = 64 * 1024;
  // A connection that has not sent a whole request (head and body) this
  // long after the previous answer, or after connecting, is closed.
  absl::Duration io_timeout = absl::Seconds(5);
  // Shutdown: how long open connections get to finish their answers.
  absl::Duration drain_timeout = absl::Seconds(5);
  // Hosts /ask always approves: the SaaS's own ("app.saas.com",
  // "*.saas.com"); --saas-hosts.
  std::vector<std::string> saas_hosts;
};

// What the server reads. Not owned; each must outlive the server.
struct HttpDeps {
  const decision::Engine* engine = nullptr;      // required
  const table::OriginTable* table = nullptr;     // required
  table::EpochManager* epochs = nullptr;         // required (the table's)
  const store::Catalog* catalog = nullptr;       // optional: null = ready
  decision::DecisionMetrics* metrics = nullptr;  // optional: null = no
                                                 // /metrics (404), no
                                                 // recording
  // Verified custom domains for /ask; optional (null: API and SaaS hosts
  // only).
  const domain::DomainIndex* domains = nullptr;
  // More Prometheus text appended to /metrics (the custom-domain gauges
  // and counters the app renders); optional.
  std::function<std::string()> extra_metrics = nullptr;
  // Decision ids (X-Corsd-Decision-Id); optional: null = no ids.
  door::DecisionIds* ids = nullptr;
  // Shown every /auth and /preflight decision (door "http"); optional.
  door::DecisionObserver* observer = nullptr;
};

class HttpServer {
 public:
  // Binds options.listen and starts answering before returning.
  // Errors: InvalidArgument when listen is not HOST:PORT, threads < 1,
  // io_timeout not positive, or a required dependency is null (the message
  // names the field and value); Unavailable when the address cannot be bound
  // (in use, not local).
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpServerOptions& options, HttpDeps deps);

  // Shuts down (as Shutdown) if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the real one when options.listen asked for port 0).
  int port() const;
  // The bound address as "HOST:PORT", for corsd's "listening http=" line.
  std::string address() const;

  // Stops accepting, closes idle keep-alive connections, lets the others
  // finish the answer they are writing (up to drain_timeout), joins the
  // loops. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corsd::http

#endif  // CORSD_SERVICE_HTTP_HTTP_SERVER_H_
