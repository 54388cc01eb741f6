#include "service/http/http_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "h2o.h"
#include "service/decision/engine.h"
#include "service/decision/metrics.h"
#include "service/door/header_rules.h"
#include "service/door/run_path.h"
#include "service/http/forward_auth.h"
#include "service/origin/origin.h"
#include "service/store/catalog.h"
#include "service/table/epoch.h"
#include "service/table/origin_table.h"

namespace corsd::http {
namespace {

constexpr size_t kMaxAskDomainBytes = 253 + 6;  // a DNS name and ":port"
constexpr size_t kMaxTenantPathBytes = 256;     // /auth/TENANT
constexpr int kForwardStatus = 421;             // /preflight: "continue"
constexpr size_t kMaxRequestBodyBytes = 64 * 1024;
// h2o's HTTP/1 parser stops at H2O_MAX_HEADERS (100) headers; one more slot
// for the Host the transport may add.
constexpr size_t kMaxFields = H2O_MAX_HEADERS + 1;

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

// Binds and listens on `address`; returns the non-blocking fd and sets
// *bound_port. Only SO_REUSEADDR (restart without waiting out TIME_WAIT):
// SO_REUSEPORT would let a second process bind the same port and silently
// take half the requests.
absl::StatusOr<int> Listen(const ListenAddress& address,
                           absl::string_view listen, int* bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string port = absl::StrCat(address.port);
  if (getaddrinfo(address.host.c_str(), port.c_str(), &hints, &result) != 0 ||
      result == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listen address \"", listen,
                     "\" has a host that does not resolve"));
  }
  int fd = -1;
  for (addrinfo* ai = result; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                ai->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(result);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("http listen address \"", listen,
                     "\" cannot be bound (in use, or not a local address)"));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  *bound_port = ss.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

absl::string_view View(h2o_iovec_t v) {
  return absl::string_view(v.base, v.len);
}

// %XX-decodes a query parameter value ("+" stays "+": a host has no space).
// False on a malformed escape.
bool DecodeQueryValue(absl::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int v = 0;
    if (i + 2 >= in.size()) return false;
    for (size_t k = 1; k <= 2; ++k) {
      const char c = in[i + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return false;
      }
    }
    out->push_back(static_cast<char>(v));
    i += 2;
  }
  return true;
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

// One response being built: status, headers, body; Send hands it to h2o.
// Header names and values are copied into the request's pool, so views into
// the table (valid only under the ReadGuard) never outlive it.
class Reply {
 public:
  explicit Reply(h2o_req_t* req) : req_(req) {}

  void Header(absl::string_view name, absl::string_view value) {
    const h2o_iovec_t n = h2o_strdup(&req_->pool, name.data(), name.size());
    const h2o_iovec_t v = h2o_strdup(&req_->pool, value.data(), value.size());
    h2o_add_header_by_str(&req_->pool, &req_->res.headers, n.base, n.len, 1,
                          nullptr, v.base, v.len);
  }

  void Send(int status, absl::string_view body,
            absl::string_view content_type = "text/plain; charset=utf-8") {
    req_->res.status = status;
    req_->res.reason = ReasonPhrase(status);
    h2o_add_header(&req_->pool, &req_->res.headers, H2O_TOKEN_CACHE_CONTROL,
                   nullptr, H2O_STRLIT("no-store"));
    if (!body.empty()) {
      h2o_add_header(&req_->pool, &req_->res.headers, H2O_TOKEN_CONTENT_TYPE,
                     nullptr, content_type.data(), content_type.size());
    }
    req_->res.content_length = body.size();
    h2o_send_inline(req_, body.data(), body.size());
  }

  // A text answer ending in a newline.
  void Plain(int status, absl::string_view text) {
    Send(status, absl::StrCat(text, "\n"));
  }

 private:
  static const char* ReasonPhrase(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 204:
        return "No Content";
      case 400:
        return "Bad Request";
      case 403:
        return "Forbidden";
      case 404:
        return "Not Found";
      case 421:
        return "Misdirected Request";
      case 431:
        return "Request Header Fields Too Large";
      case 503:
        return "Service Unavailable";
      default:
        return "Status";
    }
  }

  h2o_req_t* req_;
};

// The decision's headers as response headers. Repeated names (Vary) are
// joined into one value with ", ": nginx's $upstream_http_<name> and Caddy's
// {rp.header.<name>} read only the first header of a name.
void AddDecisionHeaders(const decision::Decision& d, Reply* reply) {
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
      reply->Header(headers[i].name, headers[i].value);
      continue;
    }
    std::string value(headers[i].value);
    for (size_t j = i + 1; j < headers.size(); ++j) {
      if (headers[j].name == headers[i].name) {
        absl::StrAppend(&value, ", ", headers[j].value);
      }
    }
    reply->Header(headers[i].name, value);
  }
}

}  // namespace

struct HttpServer::Impl {
  // One event loop: its own h2o context, its own registration of the
  // listening socket. Everything here is touched by the loop's thread only,
  // except `thread` (joined by Shutdown).
  struct Loop {
    Impl* impl = nullptr;
    h2o_evloop_t* evloop = nullptr;
    h2o_context_t ctx{};
    h2o_accept_ctx_t accept_ctx{};
    h2o_socket_t* listener = nullptr;
    std::thread thread;
  };
  // The h2o handler with its server (h2o allocates it with this size).
  struct Handler {
    h2o_handler_t super;
    Impl* impl;
  };

  HttpServerOptions options;
  HttpDeps deps;
  door::DecisionDeps decision_deps;
  h2o_globalconf_t config{};
  int listen_fd = -1;
  std::string bound_host;
  int port = 0;
  std::vector<std::unique_ptr<Loop>> loops;
  // Set by Shutdown; each loop checks it between polls. Release/acquire:
  // nothing else is published through it, but the loops must see it.
  std::atomic<bool> stopping{false};
  std::once_flag shutdown_once;
  RequestCounters requests;

  // Which endpoint is deciding: /auth (forward-auth) or /preflight.
  enum class Mode { kAuth, kPreflight };

  ~Impl() {
    if (listen_fd >= 0) close(listen_fd);
    h2o_config_dispose(&config);
  }

  static int OnRequest(h2o_handler_t* self, h2o_req_t* req);
  static void OnAccept(h2o_socket_t* listener, const char* err);
  void Run(Loop* loop);

  void Route(h2o_req_t* req);
  void Decide(Mode mode, absl::string_view tenant, h2o_req_t* req);
  void Ask(absl::string_view query, Reply* reply);
  void Ready(Reply* reply);
  void Metrics(Reply* reply);
};

int HttpServer::Impl::OnRequest(h2o_handler_t* self, h2o_req_t* req) {
  reinterpret_cast<Handler*>(self)->impl->Route(req);
  return 0;
}

void HttpServer::Impl::OnAccept(h2o_socket_t* listener, const char* err) {
  if (err != nullptr) return;
  Loop* loop = static_cast<Loop*>(listener->data);
  // Accept what is queued, a bounded batch per wake-up so one loop does not
  // starve its own connections while the others sleep.
  for (int i = 0; i < 16; ++i) {
    h2o_socket_t* sock = h2o_evloop_socket_accept(listener);
    if (sock == nullptr) return;
    int yes = 1;
    setsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &yes,
               sizeof(yes));
    h2o_accept(&loop->accept_ctx, sock);
  }
}

void HttpServer::Impl::Run(Loop* loop) {
  while (!stopping.load(std::memory_order_acquire)) {
    h2o_evloop_run(loop->evloop, 50);
  }
  // Drain: no new connections; idle keep-alive ones are closed at once, the
  // others after the answer they are writing.
  h2o_socket_read_stop(loop->listener);
  h2o_socket_close(loop->listener);
  loop->listener = nullptr;
  h2o_context_request_shutdown(&loop->ctx);
  const auto deadline = std::chrono::steady_clock::now() +
                        absl::ToChronoMilliseconds(options.drain_timeout);
  while (!h2o_linklist_is_empty(&loop->ctx.http1._conns) &&
         std::chrono::steady_clock::now() < deadline) {
    h2o_evloop_run(loop->evloop, 10);
  }
  // A few more turns so closed sockets are released by the loop.
  for (int i = 0; i < 3; ++i) h2o_evloop_run(loop->evloop, 0);
  // request_shutdown arms HTTP/2's graceful-shutdown timer even with no
  // HTTP/2 connection; h2o_context_dispose asserts every timer is unlinked.
  if (h2o_timeout_is_linked(&loop->ctx.http2._graceful_shutdown_timeout)) {
    h2o_timeout_unlink(&loop->ctx.http2._graceful_shutdown_timeout);
  }
}

void HttpServer::Impl::Route(h2o_req_t* req) {
  const absl::string_view target = View(req->input.path);
  const size_t q = req->input.query_at;
  const absl::string_view path = q == SIZE_MAX ? target : target.substr(0, q);
  const absl::string_view query =
      q == SIZE_MAX ? absl::string_view() : target.substr(q + 1);
  Reply reply(req);
  int status = 0;
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
    Decide(Mode::kAuth, tenant, req);
    status = req->res.status;
  } else if (with_tenant("/preflight", &tenant)) {
    endpoint = "/preflight";
    Decide(Mode::kPreflight, tenant, req);
    status = req->res.status;
  } else if (path == "/ask") {
    Ask(query, &reply);
    status = req->res.status;
  } else if (path == "/healthz") {
    reply.Plain(status = 200, "ok");
  } else if (path == "/readyz") {
    Ready(&reply);
    status = req->res.status;
  } else if (path == "/metrics") {
    Metrics(&reply);
    status = req->res.status;
  } else {
    reply.Plain(status = 404,
                absl::StrCat("no endpoint ", View(req->input.method), " ",
                             path.substr(0, 64),
                             "; corsd serves /auth, /preflight, /metrics, "
                             "/ask, /healthz, /readyz"));
  }
  requests.Count(endpoint, status);
}

void HttpServer::Impl::Decide(Mode mode, absl::string_view tenant,
                              h2o_req_t* req) {
  Reply reply(req);
  if (tenant.size() > kMaxTenantPathBytes ||
      tenant.find('/') != absl::string_view::npos) {
    reply.Header("x-corsd-reason", "BAD_REQUEST");
    reply.Plain(400, absl::StrCat("path tenant is ", tenant.size(),
                                  " bytes; expected /auth/TENANT with a "
                                  "tenant id of at most ",
                                  kMaxTenantPathBytes, " bytes and no \"/\""));
    return;
  }
  // The request's headers as received; h2o keeps Host in the list, and an
  // HTTP/1.0 request may have none, so the authority stands in for it.
  std::array<HeaderField, kMaxFields> fields;
  size_t n = 0;
  bool has_host = false;
  const size_t count = req->headers.size;
  for (size_t i = 0; i < count && n < kMaxFields; ++i) {
    const h2o_header_t& h = req->headers.entries[i];
    const absl::string_view name(h.name->base, h.name->len);
    has_host = has_host || name == "host";
    fields[n++] = HeaderField{name, View(h.value)};
  }
  if (!has_host && n < kMaxFields && req->input.authority.len > 0) {
    fields[n++] = HeaderField{"host", View(req->input.authority)};
  }
  const ReceivedRequest received{
      .method = View(req->input.method),
      .target = View(req->input.path),
      .headers = absl::Span<const HeaderField>(
          fields.data(), count >= kMaxFields ? count : n)};
  OriginalRequest original;
  const ForwardAuthOptions parse_options{
      .tenant_header = options.tenant_header,
      .require_original_method = mode == Mode::kAuth,
      .max_header_value_bytes = options.max_header_value_bytes,
      .max_headers = options.max_headers};
  if (count >= kMaxFields) {
    // Over h2o's own cap (never reached with h2o 2.2): refuse by count.
    reply.Header("x-corsd-reason", "BAD_REQUEST");
    reply.Plain(
        431, absl::StrCat("request has ", count, " headers; expected at most ",
                          options.max_headers));
    return;
  }
  if (absl::Status s = ParseOriginalRequest(received, parse_options, &original);
      !s.ok()) {
    reply.Header("x-corsd-reason", "BAD_REQUEST");
    reply.Plain(s.code() == absl::StatusCode::kResourceExhausted ? 431 : 400,
                s.message());
    return;
  }
  const decision::Request& request = original.request;

  table::EpochManager::ReadGuard guard(deps.epochs);
  decision::Decision d;
  const absl::string_view asked = door::RunDecide(
      decision_deps,
      door::TenantSources{.named = tenant, .header = original.tenant_header},
      request, &d);

  AddDecisionHeaders(d, &reply);
  reply.Header("x-corsd-reason", decision::ReasonName(d.reason));
  if (!d.tenant_name.empty()) reply.Header("x-corsd-tenant", d.tenant_name);
  // On /auth a body explains refusals to a person reading the gateway's
  // logs (auth_request never shows it to the client). /preflight answers go
  // to the client as they are: no explanation there, since its "did you
  // mean" hints would tell anyone probing which origins a tenant has.
  const bool explain = mode == Mode::kAuth &&
                       d.action == decision::Action::kAnswer && d.status >= 400;
  std::string body;
  if (explain)
    body = absl::StrCat(deps.engine->Explain(asked, request, d), "\n");

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
    reply.Header("x-corsd-status", absl::StrCat(d.status));
    status = (d.status >= 200 && d.status <= 299) ? 200 : 403;
  }
  reply.Send(status, body);
}

void HttpServer::Impl::Ask(absl::string_view query, Reply* reply) {
  int found = 0;
  absl::string_view raw;
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    if (absl::StartsWith(param, "domain=")) {
      ++found;
      raw = param.substr(7);
    } else if (param == "domain") {
      ++found;
      raw = absl::string_view();
    }
  }
  if (found != 1) {
    reply->Plain(400, absl::StrCat("query parameter domain appears ", found,
                                   " times; expected exactly once "
                                   "(/ask?domain=HOST)"));
    return;
  }
  std::string domain;
  if (raw.size() > 3 * kMaxAskDomainBytes || !DecodeQueryValue(raw, &domain)) {
    reply->Plain(400, absl::StrCat("query parameter domain is not a valid "
                                   "percent-encoded value of at most ",
                                   kMaxAskDomainBytes, " bytes"));
    return;
  }
  if (domain.empty() || domain.size() > kMaxAskDomainBytes) {
    reply->Plain(400, absl::StrCat("query parameter domain is ", domain.size(),
                                   " bytes; expected a host of 1 to ",
                                   kMaxAskDomainBytes, " bytes"));
    return;
  }
  absl::StatusOr<std::string> host = origin::CanonicalizeHost(domain);
  if (!host.ok()) {
    reply->Plain(
        400, absl::StrCat("query parameter domain ", door::ShownValue(domain),
                          " is not a host: ", host.status().message()));
    return;
  }
  bool known = false;
  {
    table::EpochManager::ReadGuard guard(deps.epochs);
    known = deps.table->HostIsKnown(*host);
  }
  reply->Plain(known ? 200 : 404,
               absl::StrCat(known ? "known " : "unknown ", *host));
}

void HttpServer::Impl::Ready(Reply* reply) {
  if (deps.catalog != nullptr && !deps.catalog->Ready()) {
    reply->Plain(503,
                 absl::StrCat("not ready: ", deps.catalog->NotReadyReason()));
    return;
  }
  reply->Plain(200, "ready");
}

void HttpServer::Impl::Metrics(Reply* reply) {
  if (deps.metrics == nullptr) {
    reply->Plain(404, "metrics are not enabled on this server");
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
  reply->Send(200, text, "text/plain; version=0.0.4; charset=utf-8");
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const HttpServerOptions& options, HttpDeps deps) {
  absl::StatusOr<ListenAddress> address = ParseListen(options.listen);
  if (!address.ok()) return address.status();
  if (options.threads < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http threads is ", options.threads, "; expected at least 1"));
  }
  if (options.io_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "http io_timeout is ", absl::FormatDuration(options.io_timeout),
        "; expected a positive duration"));
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
  impl->decision_deps = door::DecisionDeps{
      .engine = deps.engine, .epochs = deps.epochs, .metrics = deps.metrics};
  Impl* self = impl.get();

  h2o_config_init(&impl->config);
  impl->config.server_name = h2o_iovec_init(H2O_STRLIT("corsd"));
  impl->config.max_request_entity_size = kMaxRequestBodyBytes;
  impl->config.http1.req_timeout =
      static_cast<uint64_t>(absl::ToInt64Milliseconds(options.io_timeout));
  impl->config.http1.upgrade_to_http2 = 0;
  h2o_hostconf_t* host = h2o_config_register_host(
      &impl->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t* pathconf = h2o_config_register_path(host, "/", 0);
  auto* handler = reinterpret_cast<Impl::Handler*>(
      h2o_create_handler(pathconf, sizeof(Impl::Handler)));
  handler->super.on_req = &Impl::OnRequest;
  handler->impl = self;

  absl::StatusOr<int> fd = Listen(*address, options.listen, &impl->port);
  if (!fd.ok()) return fd.status();
  impl->listen_fd = *fd;
  impl->bound_host = address->host;

  for (int i = 0; i < options.threads; ++i) {
    auto loop = std::make_unique<Impl::Loop>();
    loop->impl = self;
    loop->evloop = h2o_evloop_create();
    h2o_context_init(&loop->ctx, loop->evloop, &impl->config);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = impl->config.hosts;
    const int own_fd = fcntl(impl->listen_fd, F_DUPFD_CLOEXEC, 0);
    loop->listener = h2o_evloop_socket_create(loop->evloop, own_fd,
                                              H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop.get();
    h2o_socket_read_start(loop->listener, &Impl::OnAccept);
    impl->loops.push_back(std::move(loop));
  }
  for (auto& loop : impl->loops) {
    Impl::Loop* l = loop.get();
    l->thread = std::thread([self, l] { self->Run(l); });
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
    impl_->stopping.store(true, std::memory_order_release);
    for (auto& loop : impl_->loops) {
      if (loop->thread.joinable()) loop->thread.join();
    }
    for (auto& loop : impl_->loops) {
      if (h2o_linklist_is_empty(&loop->ctx.http1._conns)) {
        h2o_context_dispose(&loop->ctx);
        h2o_evloop_destroy(loop->evloop);
      }
      // Else a connection outlived drain_timeout: its loop and context are
      // left (a bounded leak at exit) rather than freed under it.
    }
  });
}

}  // namespace corsd::http
